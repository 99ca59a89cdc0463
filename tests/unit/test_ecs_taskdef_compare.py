"""Pure comparison of task definitions: each change kind differs, AWS-filled defaults do not."""

import copy

import pytest

from ansible_collections.django_ecs.fargate.plugins.module_utils import ecs_taskdef_compare as cmp

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:djangoapp/app-AbCdEf"
EXEC_ROLE = "arn:aws:iam::123456789012:role/djangoapp-execution"
TASK_ROLE = "arn:aws:iam::123456789012:role/djangoapp-task"


def desired():
    """What the role sends (RegisterTaskDefinition parameters)."""
    return {
        "family": "djangoapp-web",
        "cpu": "256",
        "memory": "512",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": EXEC_ROLE,
        "taskRoleArn": TASK_ROLE,
        "ephemeralStorage": {"sizeInGiB": 21},
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "containerDefinitions": [
            {
                "name": "web",
                "image": "127.0.0.1:5057/djangoapp:abc123",
                "essential": True,
                "memory": 512,
                "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
                "environment": [
                    {"name": "DB_HOST", "value": "db.local"},
                    {"name": "DB_PORT", "value": "5432"},
                    {"name": "DJANGO_SECURE_SSL_REDIRECT", "value": "false"},
                ],
                "secrets": [
                    {"name": "DB_NAME", "valueFrom": f"{SECRET}:dbname::"},
                    {"name": "DB_PASSWORD", "valueFrom": f"{SECRET}:password::"},
                ],
                "readonlyRootFilesystem": False,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/djangoapp",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "django-webapp",
                    },
                },
            }
        ],
    }


def described():
    """The same definition as DescribeTaskDefinition returns it: defaults filled, lists reordered, extra keys."""
    d = desired()
    c = d["containerDefinitions"][0]
    c.update(cpu=0, mountPoints=[], volumesFrom=[], systemControls=[])
    c.pop("essential")
    c.pop("readonlyRootFilesystem")
    c["portMappings"] = [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}]
    c["environment"] = list(reversed(c["environment"]))
    c["secrets"] = list(reversed(c["secrets"]))
    d.update(
        taskDefinitionArn="arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-web:4",
        revision=4,
        status="ACTIVE",
        volumes=[],
        placementConstraints=[],
        compatibilities=["EC2", "FARGATE"],
        requiresAttributes=[{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
        registeredAt="2026-01-01T00:00:00Z",
        registeredBy="arn:aws:iam::123456789012:root",
    )
    return d


def aws_described():
    """desired() as real DescribeTaskDefinition answers it (the shape of the AWS CLI's describe-task-definition and
    delete-task-definitions examples, plus what AWS added since: ``enableFaultInjection: false`` on every
    definition, container ``versionConsistency``), with every default AWS fills in. moto leaves several out."""
    return {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-web:4",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "127.0.0.1:5057/djangoapp:abc123",
                "cpu": 0,
                "memory": 512,
                "portMappings": [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}],
                "essential": True,
                "environment": [
                    {"name": "DJANGO_SECURE_SSL_REDIRECT", "value": "false"},
                    {"name": "DB_PORT", "value": "5432"},
                    {"name": "DB_HOST", "value": "db.local"},
                ],
                "environmentFiles": [],
                "mountPoints": [],
                "volumesFrom": [],
                "secrets": [
                    {"name": "DB_PASSWORD", "valueFrom": f"{SECRET}:password::"},
                    {"name": "DB_NAME", "valueFrom": f"{SECRET}:dbname::"},
                ],
                "readonlyRootFilesystem": False,
                "ulimits": [],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/djangoapp",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "django-webapp",
                    },
                    "secretOptions": [],
                },
                "systemControls": [],
                "versionConsistency": "enabled",
            }
        ],
        "family": "djangoapp-web",
        "taskRoleArn": TASK_ROLE,
        "executionRoleArn": EXEC_ROLE,
        "networkMode": "awsvpc",
        "revision": 4,
        "volumes": [],
        "status": "ACTIVE",
        "requiresAttributes": [
            {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
            {"name": "ecs.capability.execution-role-awslogs"},
            {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"},
            {"name": "ecs.capability.secrets.asm.environment-variables"},
            {"name": "com.amazonaws.ecs.capability.task-iam-role"},
            {"name": "ecs.capability.execution-role-ecr-pull"},
            {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"},
            {"name": "ecs.capability.task-eni"},
        ],
        "placementConstraints": [],
        "compatibilities": ["EC2", "FARGATE"],
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "ephemeralStorage": {"sizeInGiB": 21},
        "registeredAt": "2026-01-01T10:00:00.000000+00:00",
        "registeredBy": "arn:aws:sts::123456789012:assumed-role/deployer/ansible",
        "enableFaultInjection": False,
    }


def test_aws_filled_defaults_compare_equal():
    assert cmp.diff_task_definitions(described(), desired()) == ([], {}, {})


def test_real_aws_response_compares_equal():
    """A no-op on AWS: enableFaultInjection false and versionConsistency enabled are AWS's defaults, not changes."""
    assert cmp.diff_task_definitions(aws_described(), desired()) == ([], {}, {})


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: _container(d).update(image="127.0.0.1:5057/djangoapp:def456"), "container.web.image"),
        (lambda d: d.update(enableFaultInjection=True), "enableFaultInjection"),
        (lambda d: _container(d).update(versionConsistency="disabled"), "container.web.versionConsistency"),
    ],
    ids=["image", "fault-injection-on", "version-consistency-off"],
)
def test_real_aws_response_still_shows_a_real_change(change, path):
    d = desired()
    change(d)
    changes, before, after = cmp.diff_task_definitions(aws_described(), d)
    assert changes == [path]


def test_defaults_that_aws_fills_are_optional_in_the_request():
    d = desired()
    c = d["containerDefinitions"][0]
    del c["essential"], c["portMappings"][0]["protocol"]
    d.pop("networkMode")
    d["cpu"], d["memory"] = 256, 512  # ints instead of strings
    c["environment"][1]["value"] = 5432  # an int value is sent as a string
    assert cmp.diff_task_definitions(described(), d)[0] == []


def test_health_check_defaults_are_filled():
    d, cur = desired(), described()
    d["containerDefinitions"][0]["healthCheck"] = {"command": ["CMD-SHELL", "true"]}
    cur["containerDefinitions"][0]["healthCheck"] = {
        "command": ["CMD-SHELL", "true"],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
    }
    assert cmp.diff_task_definitions(cur, d)[0] == []


def _container(d):
    return d["containerDefinitions"][0]


CHANGES = {
    "image": (lambda d: _container(d).update(image="127.0.0.1:5057/djangoapp:def456"), "container.web.image"),
    "env value": (lambda d: _container(d)["environment"][0].update(value="db2.local"), "container.web.environment"),
    "env added": (
        lambda d: _container(d)["environment"].append({"name": "X", "value": "1"}),
        "container.web.environment",
    ),
    "secret ref": (
        lambda d: _container(d)["secrets"][0].update(valueFrom=f"{SECRET}:other::"),
        "container.web.secrets",
    ),
    "cpu": (lambda d: d.update(cpu="512", memory="1024"), "cpu"),
    "memory": (lambda d: d.update(memory="1024"), "memory"),
    "execution role": (lambda d: d.update(executionRoleArn=EXEC_ROLE + "2"), "executionRoleArn"),
    "task role": (lambda d: d.pop("taskRoleArn"), "taskRoleArn"),
    "network mode": (lambda d: d.update(networkMode="bridge"), "networkMode"),
    "ephemeral storage": (lambda d: d.update(ephemeralStorage={"sizeInGiB": 30}), "ephemeralStorage"),
    "runtime platform": (lambda d: d["runtimePlatform"].update(cpuArchitecture="ARM64"), "runtimePlatform"),
    "log prefix": (
        lambda d: _container(d)["logConfiguration"]["options"].update({"awslogs-stream-prefix": "x"}),
        "container.web.logConfiguration",
    ),
    "command": (lambda d: _container(d).update(command=["python", "manage.py", "migrate"]), "container.web.command"),
    "port": (lambda d: _container(d).update(portMappings=[{"containerPort": 8080}]), "container.web.portMappings"),
    "container memory": (lambda d: _container(d).update(memory=1024), "container.web.memory"),
    "essential false": (lambda d: _container(d).update(essential=False), "container.web.essential"),
    "read-only root": (
        lambda d: _container(d).update(readonlyRootFilesystem=True),
        "container.web.readonlyRootFilesystem",
    ),
    "container renamed": (lambda d: _container(d).update(name="app"), "container.app"),
    "health check": (
        lambda d: _container(d).update(healthCheck={"command": ["CMD-SHELL", "true"]}),
        "container.web.healthCheck",
    ),
}


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_each_change_kind_differs(kind):
    change, path = CHANGES[kind]
    d = desired()
    change(d)
    changes, before, after = cmp.diff_task_definitions(described(), d)
    assert path in changes, changes
    assert before != after


def test_diff_holds_only_what_differs():
    d = desired()
    _container(d)["environment"][0]["value"] = "db2.local"
    changes, before, after = cmp.diff_task_definitions(described(), d)
    assert changes == ["container.web.environment"]
    assert set(before) == {"containerDefinitions"}
    assert list(before["containerDefinitions"]["web"]) == ["environment"]
    assert {"name": "DB_HOST", "value": "db2.local"} in after["containerDefinitions"]["web"]["environment"]


def test_nothing_registered_yet_differs():
    changes, before, after = cmp.diff_task_definitions(None, desired())
    assert "container.web" in changes and "cpu" in changes
    assert before["containerDefinitions"]["web"] is None


def test_container_order_does_not_matter():
    d, cur = desired(), described()
    extra = {"name": "sidecar", "image": "busybox:1", "essential": False}
    d["containerDefinitions"].append(copy.deepcopy(extra))
    cur["containerDefinitions"].insert(0, dict(extra, cpu=0, mountPoints=[]))
    assert cmp.diff_task_definitions(cur, d)[0] == []


def test_tags_helpers():
    assert cmp.tags_to_dict([{"key": "a", "value": "1"}]) == {"a": "1"}
    assert cmp.dict_to_tags({"b": 2, "a": "1"}) == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    assert cmp.diff_tags({"a": "1", "old": "x"}, {"a": "1", "b": 2}) == ({"b": "2"}, ["old"])
    assert cmp.diff_tags({"old": "x"}, {}, purge=False) == ({}, [])


@pytest.mark.parametrize(
    ("cpu", "memory", "ok"),
    [
        (256, 512, True),
        (256, 2048, True),
        (256, 3072, False),
        (512, 4096, True),
        (1024, 1024, False),
        (2048, 16384, True),
        (2048, 4608, False),
        (4096, 30720, True),
        (4096, 31744, False),
        (8192, 20480, True),
        (16384, 122880, True),
        (300, 512, False),
        ("x", 512, False),
    ],
)
def test_fargate_sizes(cpu, memory, ok):
    assert (cmp.validate_fargate_size(cpu, memory) == []) is ok


BAD = {
    "family": (lambda d: d.update(family="bad family!"), "family="),
    "no containers": (lambda d: d.update(containerDefinitions=[]), "container_definitions is empty"),
    "no image": (lambda d: _container(d).pop("image"), "image is required"),
    "masked image": (lambda d: _container(d).update(image="repo:********"), "no_log-masked"),
    "bad container name": (lambda d: _container(d).update(name="a b"), ".name="),
    "port": (lambda d: _container(d).update(portMappings=[{"containerPort": 70000}]), "containerPort=70000"),
    "masked secret arn": (
        lambda d: _container(d)["secrets"][0].update(
            valueFrom="arn:aws:secretsmanager:x:1:secret:********/db-1:dbname::"
        ),
        "masked by no_log",
    ),
    "secret without valueFrom": (lambda d: _container(d)["secrets"][0].pop("valueFrom"), "needs name and valueFrom"),
    "duplicate containers": (
        lambda d: d["containerDefinitions"].append(copy.deepcopy(_container(d))),
        "must be unique",
    ),
    "role arn": (lambda d: d.update(executionRoleArn="djangoapp-execution"), "executionRoleArn="),
    "fargate network mode": (lambda d: d.update(networkMode="bridge"), "Fargate requires 'awsvpc'"),
    "fargate size": (lambda d: d.update(cpu="256", memory="4096"), "memory=4096 is not allowed with cpu=256"),
    "ephemeral storage": (lambda d: d.update(ephemeralStorage={"sizeInGiB": 201}), "ephemeral_storage=201"),
    "env without name": (lambda d: _container(d)["environment"].append({"value": "x"}), "needs a name"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_validation_names_the_problem(kind):
    change, needle = BAD[kind]
    d = desired()
    change(d)
    errors = cmp.validate_task_definition(d)
    assert any(needle in e for e in errors), errors


def test_valid_definition_passes():
    assert cmp.validate_task_definition(desired()) == []
