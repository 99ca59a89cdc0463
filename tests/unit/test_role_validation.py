"""Every checked role input refuses a bad value, naming the variable, with no AWS call (seconds, not minutes).

One ansible-playbook run of the up-front validation (playbooks/tasks/validate_roles.yml) over an inventory
with one host per case: each host is the local inventory plus one bad value. A host must fail and its
message must name the variable; the `valid` host (no bad value) must pass, so a case cannot fail for a
reason of its own. `test_every_checked_variable_has_a_case` fails when a role gains a checked input (an
argument-spec type or choice, or a variable an assert in tasks/validate.yml reads) without a case here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROLES = ["network", "rds_secret", "ecr_image", "alb", "ecs_taskdefs", "ecs_service", "ecs_workers", "ecs_jobs"]
VPC = "vpc-0123456789abcdef0"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0000-1111"

JOB = {"name": "clearsessions", "schedule": "cron(0 3 * * ? *)", "command": ["python", "manage.py", "clearsessions"]}

# What the type check refuses, by argument-spec type (a str becomes a list, so lists get no generic case).
BAD_BY_TYPE = {"int": "many", "bool": "maybe", "dict": "not-a-dict", "float": "lots"}
BAD_CHOICE = "no-such-choice"

# variable -> bad values; a value that is a dict is a whole set of host vars (for checks that need context).
CASES: dict[str, list] = {
    # network
    "network_stack_name": ["9starts-with-a-digit", "x" * 33],
    "network_vpc_id": ["vpc-xyz"],
    "network_public_subnet_ids": [
        {"network_vpc_id": VPC, "network_public_subnet_ids": SUBNETS[:1], "network_private_subnet_ids": SUBNETS},
        {
            "network_vpc_id": VPC,
            "network_public_subnet_ids": ["subnet-1", "subnet-2"],
            "network_private_subnet_ids": SUBNETS,
        },
        {"network_public_subnet_ids": SUBNETS},  # subnet ids without a VPC id
    ],
    "network_private_subnet_ids": [
        {"network_vpc_id": VPC, "network_public_subnet_ids": SUBNETS, "network_private_subnet_ids": [SUBNETS[0]] * 2},
    ],
    "network_vpc_cidr": ["10.0.0.1/16", "10.0.0.0/8", "not-a-cidr"],
    "network_public_subnet_cidrs": [["10.0.0.0/24"], ["192.168.0.0/24", "192.168.1.0/24"]],
    "network_private_subnet_cidrs": [["10.0.0.0/24", "10.0.1.0/24"], ["10.0.2.0/29", "10.0.3.0/30"]],
    "network_availability_zones": [["us-east-1a", "us-east-1a"], ["us-east-1a"], ["us-east-1", "us-east-1b"]],
    "network_db_admin_cidr": ["203.0.113.7/16", "everyone"],
    "network_app_port": [0, 65536],
    "network_db_port": [70000],
    "network_alb_security_group_name": ["sg-web"],
    "network_app_security_group_name": ["bad|name"],
    "network_db_security_group_name": ["x" * 256],
    # rds_secret
    "rds_secret_db_instance_id": ["1db", "db--x", "db-"],
    "rds_secret_db_subnet_group_name": ["default", "bad|name"],
    "rds_secret_db_username": ["rdsadmin", "1user"],
    "rds_secret_db_name": ["postgres", "my-db"],
    "rds_secret_name": ["bad secret"],
    "rds_secret_engine_version": ["sixteen", "16.4.1"],
    "rds_secret_instance_class": ["t4g.micro"],
    "rds_secret_password_length": [7, 129],
    "rds_secret_django_secret_key_length": [49],
    "rds_secret_allocated_storage": [19],
    "rds_secret_backup_retention_period": [36],
    "rds_secret_db_port": [1149],
    "rds_secret_endpoint_timeout": [7201],
    "rds_secret_endpoint_poll_interval": [0],
    "rds_secret_max_allocated_storage": [
        {"rds_secret_allocated_storage": 100, "rds_secret_max_allocated_storage": 109},
        {"rds_secret_max_allocated_storage": 70000},
    ],
    "rds_secret_subnet_ids": [{"rds_secret_security_group_id": "sg-0abc", "rds_secret_subnet_ids": SUBNETS[:1]}],
    "rds_secret_security_group_id": [{"rds_secret_subnet_ids": SUBNETS, "rds_secret_security_group_id": "web"}],
    # ecr_image
    "ecr_image_repository_name": ["Upper", "a", "x/"],
    "ecr_image_tag": ["-leading-hyphen"],
    "ecr_image_keep_images": [0],
    "ecr_image_tag_length": [7, 65],
    "ecr_image_registry": ["http://127.0.0.1:5057", "host/path"],
    "ecr_image_build_context": ["/nonexistent-build-context"],
    "ecr_image_dockerfile": ["No.Such.Dockerfile"],
    "ecr_image_base_image": ["Not An Image"],
    "ecr_image_container_port": [0, "80a"],
    "ecr_image_health_check_path": ["health/"],
    "ecr_image_platform": ["linux/arm64"],  # not the task definition's X86_64
    # alb
    "alb_name": ["internal-web", "x" * 33, "-web"],
    "alb_target_group_name": ["web_tg"],
    "alb_certificate_arn": ["arn:aws:iam::123456789012:server-certificate/x"],
    "alb_domain_names": [
        {"alb_certificate_arn": CERT, "alb_domain_names": []},
        {"alb_certificate_arn": CERT, "alb_domain_names": ["https://app.example.com"]},
        {"alb_domain_names": ["app.example.com", "app.example.com"]},
    ],
    "alb_health_check_path": ["health/"],
    "alb_health_check_matcher": ["OK"],
    "alb_health_check_interval": [4, 301],
    "alb_health_check_timeout": [1, {"alb_health_check_interval": 10, "alb_health_check_timeout": 10}],
    "alb_healthy_threshold": [1, 11],
    "alb_unhealthy_threshold": [11],
    "alb_deregistration_delay": [3601],
    "alb_target_port": [0],
    # ecs_taskdefs
    "ecs_taskdefs_cpu": [300],
    "ecs_taskdefs_memory": [{"ecs_taskdefs_cpu": 256, "ecs_taskdefs_memory": 4096}],
    "ecs_taskdefs_migrate_cpu": [100],
    "ecs_taskdefs_migrate_memory": [{"ecs_taskdefs_migrate_cpu": 1024, "ecs_taskdefs_migrate_memory": 1024}],
    "ecs_taskdefs_gunicorn_workers": [0, 33],
    "ecs_taskdefs_ephemeral_storage": [20, 201],
    "ecs_taskdefs_log_retention_days": [2],
    "ecs_taskdefs_log_group": ["bad group"],
    "ecs_taskdefs_execution_role_name": ["bad role"],
    "ecs_taskdefs_task_role_name": ["x" * 65],
    "ecs_taskdefs_web_family": ["web:1"],
    "ecs_taskdefs_migrate_family": ["migrate.x"],
    "ecs_taskdefs_web_container_name": ["web app"],
    "ecs_taskdefs_migrate_container_name": ["x" * 256],
    "ecs_taskdefs_container_port": [65536],
    "ecs_taskdefs_environment": [
        {"ecs_taskdefs_environment": {"1BAD": "x"}},
        {"ecs_taskdefs_environment": {"A-B": "x"}},
    ],
    "ecs_taskdefs_secrets": [
        {"ecs_taskdefs_secrets": {"API_KEY": "not a key!"}},
        {"ecs_taskdefs_secrets": {"A B": "password"}},
    ],
    "ecs_taskdefs_keep_revisions": [-1],
    "ecs_taskdefs_secret_kms_key_id": ["my-key", "arn:aws:kms:us-east-1:123456789012:thing/x"],
    # ecs_service
    "ecs_service_cluster_name": ["bad cluster"],
    "ecs_service_name": ["x" * 256],
    "ecs_service_desired_count": [-1],
    "ecs_service_minimum_healthy_percent": [101, -1],
    "ecs_service_maximum_percent": [
        99,
        201,
        {"ecs_service_minimum_healthy_percent": 100, "ecs_service_maximum_percent": 100},
    ],
    "ecs_service_container_port": [0],
    "ecs_service_health_check_grace_period": [-1],
    "ecs_service_wait_timeout": [0],
    "ecs_service_failure_events": [-1],
    # Tasks without a way out: one message names all three.
    "ecs_service_subnets": [{"ecs_service_subnets": "private"}],
    "ecs_service_assign_public_ip": [{"ecs_service_assign_public_ip": False}],
    "ecs_service_private_egress_confirmed": [{"ecs_service_subnets": "private", "ecs_service_assign_public_ip": True}],
    "ecs_service_nat_gateway": [{"ecs_service_subnets": "private", "ecs_service_nat_gateway": False}],
    "ecs_service_autoscaling_min": [{"ecs_service_autoscaling": True, "ecs_service_autoscaling_min": -1}],
    "ecs_service_autoscaling_max": [
        {"ecs_service_autoscaling": True, "ecs_service_autoscaling_min": 3, "ecs_service_autoscaling_max": 2},
        {"ecs_service_autoscaling": True, "ecs_service_autoscaling_min": 0, "ecs_service_autoscaling_max": 0},
    ],
    "ecs_service_autoscaling_target_cpu": [
        {"ecs_service_autoscaling": True, "ecs_service_autoscaling_target_cpu": 0},
        {"ecs_service_autoscaling": True, "ecs_service_autoscaling_target_cpu": 101},
    ],
    # ecs_service: the migration (entry point migrate)
    "ecs_service_migrate_timeout": [0],
    "ecs_service_migrate_scale_down_timeout": [0],
    "ecs_service_migrate_log_lines": [-1],
    "ecs_service_migrate_started_by": ["me & you", "x" * 129],
    "ecs_service_migrate_command": ["python manage.py migrate", [["python"]], ["python", ""]],
    # ecs_jobs
    "ecs_jobs_group_name": ["bad group"],
    "ecs_jobs_role_name": ["bad/role"],
    "ecs_jobs_family_prefix": ["bad prefix!"],
    "ecs_jobs_timezone": ["Not a zone!"],
    "ecs_jobs_platform_version": ["1.4"],
    "ecs_jobs_memory": [{"ecs_jobs_cpu": 256, "ecs_jobs_memory": 4096}],
    "ecs_jobs_cpu": [{"ecs_jobs_cpu": 4096, "ecs_jobs_memory": 512}],
    "ecs_jobs_list": [
        [{**JOB, "schedule": "rate(1 minutes)"}],
        [{**JOB, "schedule": "rate(0 days)"}],
        [{**JOB, "schedule": "cron(0 3 * * *)"}],
        [{**JOB, "schedule": "cron(0 3 * * * *)"}],
        [{**JOB, "schedule": "cron(0 3 ? * ? *)"}],
        [{**JOB, "schedule": "0 3 * * *"}],
        [{**JOB, "command": "python manage.py clearsessions"}],
        [{**JOB, "command": []}],
        [{**JOB, "command": ["python", ""]}],
        [{**JOB, "cpu": 256, "memory": 4096}],
        [{**JOB, "cpu": 300}],
        [{**JOB, "environment": {"1BAD": "x"}}],
        [{**JOB, "environment": {"GOOD": 1}}],
        [{**JOB, "enabled": "maybe"}],
        [JOB, JOB],
        [{**JOB, "name": "bad_name"}],
        [{**JOB, "name": "x" * 41}],
        [{**JOB, "unknown": 1}],
        [{"name": "nightly", "command": ["python"]}],
        ["clearsessions"],
    ],
    # ecs_workers
    "ecs_workers_wait_timeout": [0],
    "ecs_workers_services": [
        [{"name": "Celery_1", "command": ["celery"]}],  # name: lowercase letters, digits, hyphens
        [{"name": "w" * 33, "command": ["celery"]}],
        [{"name": "celery", "command": "celery -A mysite worker"}],  # a string: one program name with spaces
        [{"name": "celery", "command": ["celery -A mysite worker"]}],  # the same as a one-item list
        [{"name": "celery", "command": []}],
        [{"name": "celery", "command": ["celery", ""]}],
        [{"name": "celery"}],  # no command
        [{"name": "celery", "command": ["celery"], "cpu": 256, "memory": 4096}],
        [{"name": "celery", "command": ["celery"], "cpu": 300, "memory": 512}],
        [{"name": "celery", "command": ["celery"], "desired_count": -1}],
        [{"name": "celery", "command": ["celery"], "environment": {"A-B": "x"}}],
        [{"name": "celery", "command": ["celery"]}, {"name": "celery", "command": ["rq", "worker"]}],
        ["celery"],  # not a dict
    ],
}

# Host vars of a role's `valid` host beyond the inventory: inputs whose default leaves a check unexercised.
VALID: dict[str, dict] = {
    "ecs_workers": {
        "ecs_workers_services": [
            {
                "name": "celery",
                "command": ["celery", "-A", "mysite", "worker"],
                "desired_count": 0,
                "cpu": 512,
                "memory": 2048,
                "environment": {"C_FORCE_ROOT": "1"},
            },
            {"name": "rq-2", "command": ["python", "-c", "import time\nwhile True:\n    time.sleep(1)\n"]},
        ]  # fmt: skip
    },
}


@cache
def role_specs() -> dict[str, dict]:
    """role -> its main entry point's options."""
    return {
        role: yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"][
            "main"
        ]["options"]
        for role in ROLES
    }


def asserted_variables(role: str) -> set[str]:
    """The role's inputs that an assert (its conditions or its loop items) in tasks/validate.yml reads."""
    found: set[str] = set()
    pattern = re.compile(rf"\b({role}_[a-z0-9_]+)")

    def walk(tasks: list[dict]) -> None:
        for task in tasks:
            if "ansible.builtin.assert" in task:
                found.update(
                    pattern.findall(json.dumps([task["ansible.builtin.assert"]["that"], task.get("loop", [])]))
                )
            walk(task.get("block", []))

    walk(yaml.safe_load((ROOT / "roles" / role / "tasks" / "validate.yml").read_text()))
    return found & set(role_specs()[role])


def role_of(name: str) -> str:
    return next(role for role in ROLES if name.startswith(role + "_"))


def type_cases() -> dict[str, dict]:
    """role -> host vars giving every typed or choice option of the role a bad value at once (the argument
    spec check reports every bad input in one message)."""
    cases: dict[str, dict] = {}
    for role, options in role_specs().items():
        for name, spec in options.items():
            if spec.get("choices"):
                cases.setdefault(role, {})[name] = BAD_CHOICE
            elif spec.get("type") in BAD_BY_TYPE:
                cases.setdefault(role, {})[name] = BAD_BY_TYPE[spec["type"]]
    return cases


def assert_cases() -> list[tuple[str, dict]]:
    """(variable, host vars) for every hand-written case."""
    return [
        (name, value if isinstance(value, dict) else {name: value})
        for name, values in CASES.items()
        for value in values
    ]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple[bool, str]]:
    """host -> (failed, every failure message of the host), from one run over every case."""
    folder = tmp_path_factory.mktemp("validation")
    (folder / "group_vars").symlink_to(ROOT / "inventories" / "local" / "group_vars")
    # Each host validates one role (a case's role, by its variable's prefix): seconds, not minutes.
    hosts = {f"valid-{role}": {"validated_role": role, **VALID.get(role, {})} for role in ROLES}
    hosts.update({f"types-{role}": {"validated_role": role, **bad} for role, bad in type_cases().items()})
    hosts.update({f"case{i}": {"validated_role": role_of(name), **bad} for i, (name, bad) in enumerate(assert_cases())})
    common = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"hosts": {host: {**common, **host_vars} for host, host_vars in hosts.items()}}}
    (folder / "hosts.yml").write_text(yaml.safe_dump(inventory))
    validate = {
        "name": "Validate the role's inputs",
        "ansible.builtin.include_role": {
            "name": "django_ecs.fargate.{{ validated_role }}",
            "tasks_from": "validate.yml",
        },
    }
    play = {"name": "Validate", "hosts": "all", "gather_facts": False, "tasks": [validate]}
    (folder / "validate.yml").write_text(yaml.safe_dump([play]))
    env = {
        **os.environ,
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_FORKS": "25",
        "DJANGO_ECS_MOTO_URL": "http://127.0.0.1:9",  # nothing must reach AWS; a call would fail here
    }
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(folder / "hosts.yml"), str(folder / "validate.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    report = json.loads(proc.stdout[proc.stdout.index("{") :])
    outcome = {host: (stats.get("failures", 0) > 0, "") for host, stats in report["stats"].items()}
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed"):
                    failed, messages = outcome[host]
                    texts = [result.get("msg", "")] + [item.get("msg", "") for item in result.get("results", [])]
                    outcome[host] = (True, messages + json.dumps(texts) + "\n")
    assert set(outcome) == set(hosts), proc.stderr[-2000:]
    return outcome


def named(name: str, messages: str) -> bool:
    return re.search(rf"\b{name}\b", messages) is not None


@pytest.mark.parametrize("role", ROLES)
def test_the_inventory_passes_validation(outcomes, role):
    failed, messages = outcomes[f"valid-{role}"]
    assert not failed, messages


@pytest.mark.parametrize("role", sorted(type_cases()))
def test_a_wrong_type_or_choice_is_refused_naming_the_variable(outcomes, role):
    failed, messages = outcomes[f"types-{role}"]
    assert failed, f"{type_cases()[role]} passed validation"
    unnamed = [name for name in type_cases()[role] if not named(name, messages)]
    assert not unnamed, f"refused without naming {unnamed}: {messages}"


@pytest.mark.parametrize(
    ("index", "case"), list(enumerate(assert_cases())), ids=lambda c: c if isinstance(c, int) else c[0]
)
def test_a_bad_value_is_refused_naming_the_variable(outcomes, index, case):
    name, host_vars = case
    failed, messages = outcomes[f"case{index}"]
    assert failed, f"{host_vars} passed validation"
    assert named(name, messages), f"{host_vars} was refused without naming {name}: {messages}"


@pytest.mark.parametrize("role", ROLES)
def test_every_checked_variable_has_a_case(role):
    """An input that an assert reads needs a case in CASES (the type and choice cases come from the spec)."""
    missing = asserted_variables(role) - {name for name, _host_vars in assert_cases()}
    assert not missing, f"{role} inputs that tasks/validate.yml checks have no bad-value case in CASES"
