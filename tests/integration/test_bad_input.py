"""Bad input gets a clear error before any change.

For each bad value: site.yml (limited with --tags to the role that owns the variable, so only that role's
validation and the inventory preflight load) on a FRESH emulator (POST /moto-api/reset), with the value as an
extra var. The run must fail (rc != 0), the failure message must name the variable and the value (or what is
allowed), and the emulator's request log must show no mutating request during the run.

A second group runs a full site.yml (no tags) with one bad value per role: the issue asks that a bad value fails
the run before its first AWS call, so every role's validation must run before the network role creates anything.

The ecs_run_task module's own option checks run as one small playbook (one task per case, ignore_errors) that
records each result; none of them may call AWS at all.

The runs are independent, so they run concurrently on a few moto servers of their own (one per worker, reset
before each run); the parametrised tests then assert on the recorded results.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from stack import BAD_INPUT_MOTO_BASE_PORT, BIN, ROOT, Moto, Run, ansible_env, is_write

pytestmark = pytest.mark.moto

WORKERS = int(os.environ.get("DJANGO_ECS_BAD_INPUT_WORKERS", "2"))


@dataclass(frozen=True)
class Case:
    id: str
    tags: str  # --tags of the run ("" = full site.yml)
    extra: dict  # extra vars (passed as JSON, so types are exact)
    expect: tuple  # regexes the failure message must match (the variable, the value or what is allowed)
    reads_ok: bool = True  # read-only calls allowed (e.g. a check that needs to look something up)


def case(id_, tags, extra, *expect, **kw):
    return pytest.param(Case(id_, tags, extra, tuple(expect), **kw), id=id_)


LONG = "x" * 33

CASES = [
    # --- inventory-wide (playbooks/tasks/preflight.yml) ---
    case("stack-name-uppercase", "network", {"fargate_stack_name": "My_App"}, r"fargate_stack_name", r"My_App"),
    case("stack-name-too-long", "network", {"fargate_stack_name": "a" * 25}, r"fargate_stack_name", r"a{25}", r"1-20"),
    case("stack-name-trailing-hyphen", "network", {"fargate_stack_name": "app-"}, r"fargate_stack_name", r"app-"),
    case(
        "production-without-region",
        "network",
        {"fargate_environment": "production", "fargate_aws_region": ""},
        r"fargate_aws_region",
        r"region",
    ),
    case("environment-unknown", "network", {"fargate_environment": "staging"}, r"fargate_environment", r"staging"),
    # --- network ---
    case(
        "vpc-cidr-not-a-cidr",
        "network",
        {"network_vpc_cidr": "10.0.0.300/16"},
        r"network_vpc_cidr",
        r"10\.0\.0\.300/16",
    ),
    case("vpc-cidr-host-bits", "network", {"network_vpc_cidr": "10.0.0.1/16"}, r"network_vpc_cidr", r"10\.0\.0\.1/16"),
    case("vpc-cidr-too-large", "network", {"network_vpc_cidr": "10.0.0.0/8"}, r"network_vpc_cidr", r"/16"),
    case(
        "subnet-outside-vpc",
        "network",
        {"network_public_subnet_cidrs": ["10.1.0.0/24", "10.0.1.0/24"]},
        r"network_public_subnet_cidrs",
        r"10\.1\.0\.0/24",
    ),
    case(
        "subnets-overlap",
        "network",
        {"network_private_subnet_cidrs": ["10.0.0.0/24", "10.0.11.0/24"]},
        r"network_private_subnet_cidrs",
        r"overlap",
    ),
    case(
        "one-availability-zone",
        "network",
        {"network_availability_zones": ["us-east-1a"]},
        r"network_availability_zones",
    ),
    case(
        "admin-cidr-not-a-cidr",
        "network",
        {"network_db_admin_cidr": "1.2.3.4"},
        r"network_db_admin_cidr",
        r"1\.2\.3\.4",
    ),
    case("app-port-out-of-range", "network", {"network_app_port": 70000}, r"network_app_port", r"70000", r"1-65535"),
    case("db-port-wrong-type", "network", {"network_db_port": "five"}, r"network_db_port", r"int"),
    case(
        "vpc-id-malformed",
        "network",
        {
            "network_vpc_id": "vpc-xyz",
            "network_public_subnet_ids": ["subnet-0a1b2c3d", "subnet-1a1b2c3d"],
            "network_private_subnet_ids": ["subnet-2a1b2c3d", "subnet-3a1b2c3d"],
        },
        r"network_vpc_id",
        r"vpc-xyz",
    ),
    case(
        "subnet-ids-without-vpc-id",
        "network",
        {"network_public_subnet_ids": ["subnet-0a1b2c3d", "subnet-1a1b2c3d"]},
        r"network_vpc_id",
        r"network_public_subnet_ids",
    ),
    # --- rds_secret ---
    case(
        "db-identifier-starts-with-digit",
        "rds_secret",
        {"rds_secret_db_instance_id": "1db"},
        r"rds_secret_db_instance_id",
        r"1db",
    ),
    case(
        "db-identifier-double-hyphen",
        "rds_secret",
        {"rds_secret_db_instance_id": "my--db"},
        r"rds_secret_db_instance_id",
        r"my--db",
    ),
    case(
        "allocated-above-max-storage",
        "rds_secret",
        {"rds_secret_allocated_storage": 100, "rds_secret_max_allocated_storage": 50},
        r"rds_secret_max_allocated_storage",
        r"50",
        r"100",
    ),
    case(
        "max-storage-less-than-10-percent-above",
        "rds_secret",
        {"rds_secret_allocated_storage": 20, "rds_secret_max_allocated_storage": 21},
        r"rds_secret_max_allocated_storage",
        r"is 21",
        r"22 \(at least 10 % above rds_secret_allocated_storage 20\)",
    ),
    case(
        "allocated-storage-too-small",
        "rds_secret",
        {"rds_secret_allocated_storage": 10},
        r"rds_secret_allocated_storage",
        r"10",
        r"20",
    ),
    case(
        "backup-retention-too-long",
        "rds_secret",
        {"rds_secret_backup_retention_period": 36},
        r"rds_secret_backup_retention_period",
        r"36",
        r"35",
    ),
    case(
        "backup-retention-negative",
        "rds_secret",
        {"rds_secret_backup_retention_period": -1},
        r"rds_secret_backup_retention_period",
        r"-1",
    ),
    case(
        "db-username-reserved",
        "rds_secret",
        {"rds_secret_db_username": "rdsadmin"},
        r"rds_secret_db_username",
        r"rdsadmin",
    ),
    case(
        "db-instance-class",
        "rds_secret",
        {"rds_secret_instance_class": "t4g.micro"},
        r"rds_secret_instance_class",
        r"t4g\.micro",
    ),
    case(
        "password-too-short",
        "rds_secret",
        {"rds_secret_password_length": 4},
        r"rds_secret_password_length",
        r"\b4\b",
        r"8",
    ),
    case(
        "storage-type-choice",
        "rds_secret",
        {"rds_secret_storage_type": "magnetic"},
        r"rds_secret_storage_type",
        r"magnetic",
    ),
    case("multi-az-not-bool", "rds_secret", {"rds_secret_multi_az": "perhaps"}, r"rds_secret_multi_az", r"bool"),
    # --- ecr_image ---
    # An image for another platform than the task definition's (issue 11, item 6).
    case(
        "image-platform-not-the-taskdefs",
        "ecr_image",
        {"ecr_image_platform": "linux/arm64"},
        r"ecr_image_platform is linux/arm64",
        r"ecs_taskdefs_cpu_architecture is\s+X86_64",
    ),
    case("image-tag-bad-characters", "ecr_image", {"ecr_image_tag": "v1 beta!"}, r"ecr_image_tag", r"v1 beta!"),
    case("image-tag-too-long", "ecr_image", {"ecr_image_tag": "t" * 129}, r"ecr_image_tag", r"128"),
    case(
        "repository-name-uppercase",
        "ecr_image",
        {"ecr_image_repository_name": "My_Repo"},
        r"ecr_image_repository_name",
        r"My_Repo",
    ),
    case(
        "repository-name-trailing-slash",
        "ecr_image",
        {"ecr_image_repository_name": "app/"},
        r"ecr_image_repository_name",
        r"app/",
    ),
    case("keep-images-zero", "ecr_image", {"ecr_image_keep_images": 0}, r"ecr_image_keep_images", r"\b0\b"),
    # --- alb ---
    # HTTPS needs the names users browse (issue 11, item 5).
    case(
        "certificate-without-domain-names",
        "alb",
        {"alb_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0000-1111"},
        r"alb_domain_names=\[\]",
        r"\*\.elb\.amazonaws\.com",
    ),
    case(
        "domain-name-with-scheme",
        "alb",
        {
            "alb_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/0000-1111",
            "alb_domain_names": ["https://app.example.com"],
        },
        r"alb_domain_names=\['https://app\.example\.com'\]",
        r"no scheme",
    ),
    case(
        "certificate-not-acm",
        "alb",
        {"alb_certificate_arn": "arn:aws:iam::123456789012:server-certificate/web"},
        r"alb_certificate_arn",
        r"server-certificate/web",
        r"acm",
    ),
    case(
        "health-path-no-slash",
        "alb",
        {"alb_health_check_path": "health/"},
        r"alb_health_check_path",
        r"health/",
        r'must start with "/"',
    ),
    case("alb-name-too-long", "alb", {"alb_name": LONG}, r"alb_name", LONG, r"32"),
    case("target-group-name-too-long", "alb", {"alb_target_group_name": LONG}, r"alb_target_group_name", LONG, r"32"),
    case("alb-name-bad-characters", "alb", {"alb_name": "web_alb"}, r"alb_name", r"web_alb"),
    case(
        "health-timeout-not-below-interval",
        "alb",
        {"alb_health_check_interval": 10, "alb_health_check_timeout": 10},
        r"alb_health_check_timeout",
        r"10",
    ),
    case("health-matcher", "alb", {"alb_health_check_matcher": "20x"}, r"alb_health_check_matcher", r"20x"),
    case("target-port-zero", "alb", {"alb_target_port": 0}, r"alb_target_port", r"\b0\b", r"1-65535"),
    # --- ecs_taskdefs ---
    case(
        "fargate-cpu-memory-pair",
        "ecs_taskdefs",
        {"ecs_taskdefs_cpu": 256, "ecs_taskdefs_memory": 4096},
        r"ecs_taskdefs_cpu",
        r"ecs_taskdefs_memory",
        r"4096",
        r"512",
    ),
    case(
        "fargate-cpu-not-a-size", "ecs_taskdefs", {"ecs_taskdefs_migrate_cpu": 300}, r"ecs_taskdefs_migrate_cpu", r"300"
    ),
    case(
        "ephemeral-storage-too-small",
        "ecs_taskdefs",
        {"ecs_taskdefs_ephemeral_storage": 20},
        r"ecs_taskdefs_ephemeral_storage",
        r"20",
        r"21-200",
    ),
    case(
        "ephemeral-storage-too-large",
        "ecs_taskdefs",
        {"ecs_taskdefs_ephemeral_storage": 201},
        r"ecs_taskdefs_ephemeral_storage",
        r"201",
        r"21-200",
    ),
    case(
        "log-retention-not-allowed",
        "ecs_taskdefs",
        {"ecs_taskdefs_log_retention_days": 45},
        r"ecs_taskdefs_log_retention_days",
        r"45",
    ),
    case(
        "environment-name-invalid",
        "ecs_taskdefs",
        {"ecs_taskdefs_environment": {"1BAD": "x"}},
        r"ecs_taskdefs_environment",
        r"1BAD",
    ),
    case(
        "cpu-architecture-choice",
        "ecs_taskdefs",
        {"ecs_taskdefs_cpu_architecture": "ARM"},
        r"ecs_taskdefs_cpu_architecture",
        r"ARM",
    ),
    # --- ecs_service ---
    case(
        "desired-count-negative", "ecs_service", {"ecs_service_desired_count": -1}, r"ecs_service_desired_count", r"-1"
    ),
    case(
        "desired-count-wrong-type",
        "ecs_service",
        {"ecs_service_desired_count": "two"},
        r"ecs_service_desired_count",
        r"int",
    ),
    case(
        "maximum-percent-too-high",
        "ecs_service",
        {"ecs_service_maximum_percent": 250},
        r"ecs_service_maximum_percent",
        r"250",
    ),
    case("service-subnets-choice", "ecs_service", {"ecs_service_subnets": "dmz"}, r"ecs_service_subnets", r"dmz"),
    # Tasks without a way out (issue 11, item 7): refused before AWS, naming the switch that accepts them.
    case(
        "service-private-without-nat",
        "ecs_service",
        {"ecs_service_subnets": "private"},
        r"ecs_service_subnets=private",
        r"ecs_service_nat_gateway=False \(network_nat_gateway\)",
        r"ecs_service_private_egress_confirmed",
    ),
    case(
        "service-public-without-public-ip",
        "ecs_service",
        {"ecs_service_assign_public_ip": False},
        r"ecs_service_assign_public_ip=False",
        r"ecs_service_private_egress_confirmed",
    ),
    case(
        "service-name-bad-characters", "ecs_service", {"ecs_service_name": "web app"}, r"ecs_service_name", r"web app"
    ),
    # --- ecs_service: the migration (entry point migrate, --tags migrate) ---
    case(
        "migrate-concurrency-choice",
        "migrate",
        {"ecs_service_migrate_concurrency": "bogus"},
        r"ecs_service_migrate_concurrency",
        r"bogus",
    ),
    case(
        "migrate-command-a-string",
        "migrate",
        {"ecs_service_migrate_command": "python manage.py migrate"},
        r"ecs_service_migrate_command",
        r"list of non-empty strings",
    ),
]

# A bad value of each role in a full run: it must stop the run before the network role creates anything.
FULL_RUN_CASES = [
    case(
        "full-run:rds_secret",
        "",
        {"rds_secret_backup_retention_period": 36},
        r"rds_secret_backup_retention_period",
        r"36",
    ),
    case("full-run:ecr_image", "", {"ecr_image_tag": "v1 beta!"}, r"ecr_image_tag", r"v1 beta!"),
    case("full-run:alb", "", {"alb_health_check_path": "health/"}, r"alb_health_check_path", r"health/"),
    case(
        "full-run:ecs_taskdefs",
        "",
        {"ecs_taskdefs_cpu": 256, "ecs_taskdefs_memory": 4096},
        r"ecs_taskdefs_memory",
        r"4096",
    ),
    case("full-run:ecs_service", "", {"ecs_service_desired_count": -1}, r"ecs_service_desired_count", r"-1"),
    case("full-run:private-no-nat", "", {"ecs_service_subnets": "private"}, r"ecs_service_private_egress_confirmed"),
]

# ecs_run_task options: (id, module args, expected regexes). Cluster/definition exist nowhere: validation must
# fail before the first AWS call.
_BASE = {"cluster": "c", "task_definition": "t", "subnets": ["subnet-0a1b2c3d"], "started_by": "tests"}
MODULE_CASES = [
    ("timeout-zero", {**_BASE, "timeout": 0}, [r"timeout", r"greater than 0", r"\b0\b"]),
    ("timeout-negative", {**_BASE, "timeout": -5}, [r"timeout", r"-5"]),
    ("command-without-container", {**_BASE, "command": ["python", "manage.py", "migrate"]}, [r"command", r"container"]),
    ("environment-without-container", {**_BASE, "environment": {"A": "1"}}, [r"environment", r"container"]),
    ("empty-command", {**_BASE, "container": "web", "command": []}, [r"command must not be empty"]),
    (
        "launch-type-and-capacity-providers",
        {**_BASE, "launch_type": "FARGATE", "capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT"}]},
        [r"launch_type", r"capacity_provider_strategy", r"mutually exclusive"],
    ),
    (
        "capacity-provider-weight",
        {**_BASE, "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 2000}]},
        [r"weight", r"2000", r"0-1000"],
    ),
    ("log-lines-negative", {**_BASE, "log_lines": -1}, [r"log_lines", r"-1"]),
    (
        "network-from-service-and-subnets",
        {**_BASE, "network_from_service": "web"},
        [r"network_from_service", r"subnets", r"mutually exclusive"],
    ),
    (
        "no-network-on-fargate",
        {k: v for k, v in _BASE.items() if k != "subnets"},
        [r"subnets", r"network_from_service"],
    ),
    ("started-by-bad-characters", {**_BASE, "started_by": "me & you"}, [r"started_by", r"me & you"]),
    ("launch-type-choice", {**_BASE, "launch_type": "LAMBDA"}, [r"launch_type", r"LAMBDA", r"FARGATE"]),
    ("timeout-wrong-type", {**_BASE, "timeout": "soon"}, [r"timeout", r"int"]),
]


# ------------------------------------------------------------------------------------------------- the runs
@dataclass
class Result:
    run: Run
    reads: list = field(default_factory=list)


def _run_case(moto: Moto, c: Case) -> Run:
    """site.yml with the bad value on a fresh emulator; stopped at its first mutating request (that fails the case
    anyway, and a full run that gets past validation would otherwise build half a stack first)."""
    moto.reset()
    mark = moto.mark()
    args = ["site.yml", "-e", json.dumps(c.extra)]
    if c.tags:
        args += ["--tags", c.tags]
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            [str(BIN / "ansible-playbook"), *args],
            cwd=ROOT, env=ansible_env(moto), stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        killed = ""
        while proc.poll() is None:
            time.sleep(0.3)
            writes = [x for x in moto.calls_since(mark) if is_write(x["action"])]
            if writes:
                killed = f"\n[test] stopped at the first mutating request ({writes[0]['action']})\n"
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
                break
            if time.monotonic() - started > 600:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
                killed = "\n[test] stopped after 600 s\n"
                break
        out.seek(0)
        output = out.read() + killed
    rc = proc.returncode if not killed else (proc.returncode or -1)
    return Run(args, rc, output, time.monotonic() - started, moto.calls_since(mark))


def _run_module_cases(moto: Moto, workdir: Path) -> tuple[Run, dict]:
    """One playbook, one task per module case (ignore_errors), each result written to a JSON file."""
    tasks = []
    for id_, args, _expected in MODULE_CASES:
        tasks += [
            {
                "name": f"Case {id_}",
                "django_ecs.fargate.ecs_run_task": args,
                "register": "r",
                "ignore_errors": True,
            },
            {
                "name": f"Record {id_}",
                "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": str(workdir / f"{id_}.json")},
            },
        ]
    play = [
        {
            "name": "Module option checks",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "module_defaults": {
                "group/django_ecs.fargate.aws": {
                    "region": "us-east-1",
                    "endpoint_url": moto.url,
                    "access_key": "testing",
                    "secret_key": "testing",
                }
            },
            "tasks": tasks,
        }
    ]
    playbook = workdir / "module_cases.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    moto.reset()
    mark = moto.mark()
    started = time.monotonic()
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), str(playbook)],
        cwd=ROOT, env=ansible_env(moto), capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    run = Run(
        [str(playbook)], proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started, moto.calls_since(mark)
    )
    results = {}
    for id_, _args, _expected in MODULE_CASES:
        path = workdir / f"{id_}.json"
        results[id_] = json.loads(path.read_text()) if path.exists() else None
    return run, results


def _selected(request, name: str) -> set[str]:
    """The case ids of the selected items of test function NAME (so `-k` runs only what it needs)."""
    ids = set()
    for item in request.session.items:
        if getattr(item, "originalname", None) == name and hasattr(item, "callspec"):
            ids.add(item.callspec.id)
    return ids


@pytest.fixture(scope="module")
def bad_input_runs(request):
    """Run every selected case once, concurrently on WORKERS moto servers of their own; {case id: Run}."""
    wanted = [p.values[0] for p in CASES + FULL_RUN_CASES]
    selected = _selected(request, "test_bad_input_fails_before_any_change") | _selected(
        request, "test_bad_value_stops_a_full_run_before_any_change"
    )
    wanted = [c for c in wanted if c.id in selected]
    module_selected = _selected(request, "test_module_rejects_bad_options")
    # Plain moto: these runs stop at the first write, nothing would run.
    workers = [
        Moto(f"http://127.0.0.1:{BAD_INPUT_MOTO_BASE_PORT + i}", runtime=False).start() for i in range(max(1, WORKERS))
    ]
    pool: queue.Queue = queue.Queue()
    for moto in workers:
        pool.put(moto)
    results: dict = {}

    def job(c: Case):
        moto = pool.get()
        try:
            results[c.id] = _run_case(moto, c)
        finally:
            pool.put(moto)

    try:
        with tempfile.TemporaryDirectory(prefix="bad-input-") as tmp, ThreadPoolExecutor(len(workers)) as executor:
            futures = [executor.submit(job, c) for c in wanted]
            if module_selected:
                moto = pool.get()
                try:
                    results["module"] = _run_module_cases(moto, Path(tmp))
                finally:
                    pool.put(moto)
            for future in futures:
                future.result()
    finally:
        for moto in workers:
            moto.stop()
    return results


def _check(run: Run, c: Case) -> None:
    context = run.describe()
    assert run.rc != 0, f"{c.id}: the run succeeded with {c.extra}\n{context}"
    assert not run.writes, f"{c.id}: mutating AWS requests before the failure: {run.writes}\n{context}"
    message = run.failure
    for pattern in c.expect:
        assert re.search(pattern, message), f"{c.id}: the failure message does not match {pattern!r}\n{message[-3000:]}"
    if not c.reads_ok:
        assert not run.calls, f"{c.id}: AWS requests before the failure: {run.calls}"


@pytest.mark.parametrize("c", CASES)
def test_bad_input_fails_before_any_change(c, bad_input_runs):
    _check(bad_input_runs[c.id], c)


@pytest.mark.parametrize("c", FULL_RUN_CASES)
def test_bad_value_stops_a_full_run_before_any_change(c, bad_input_runs):
    """The whole site.yml, not only the owning role: validation must come before the first AWS write."""
    _check(bad_input_runs[c.id], c)


@pytest.mark.parametrize("case_id, args, expect", MODULE_CASES, ids=[m[0] for m in MODULE_CASES])
def test_module_rejects_bad_options(case_id, args, expect, bad_input_runs):
    run, results = bad_input_runs["module"]
    result = results[case_id]
    assert result is not None, f"no result recorded for {case_id}\n{run.describe()}"
    assert result.get("failed"), f"{case_id}: the module accepted {args}: {result}"
    message = result.get("msg", "")
    for pattern in expect:
        assert re.search(pattern, message), f"{case_id}: {message!r} does not match {pattern!r}"
    # Option checks come before the first AWS call: the whole playbook of failing cases called nothing.
    assert not run.calls, f"the module made AWS calls while rejecting its options: {run.calls}"
