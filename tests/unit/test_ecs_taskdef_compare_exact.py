"""The task definition compare, value by value: the exact normalised form, the exact diff and the exact validation
messages (a mutation run showed that "no change" and "some error" checks let many wrong values through)."""

import copy

import pytest

from ansible_collections.django_ecs.fargate.plugins.module_utils import ecs_taskdef_compare as cmp

ROLE = "arn:aws:iam::123456789012:role/djangoapp-execution"


def test_prune_drops_none_and_empty_values_recursively():
    container = {
        "name": "web",
        "image": "app:1",
        "dockerLabels": {},
        "linuxParameters": {"capabilities": {"add": []}, "initProcessEnabled": None},
        "mountPoints": [{"sourceVolume": "v", "containerPath": "/v", "readOnly": None}],
        "links": [],
        "user": None,
        "workingDirectory": "",
    }
    assert cmp.normalize_container(container, "awsvpc") == {
        "name": "web",
        "image": "app:1",
        "essential": True,
        "mountPoints": [{"sourceVolume": "v", "containerPath": "/v"}],
        "workingDirectory": "",
    }


def test_str_values_turns_booleans_and_numbers_into_strings_and_leaves_the_rest():
    items = [
        {"name": "T", "value": True},
        {"name": "F", "value": False},
        {"name": "I", "value": 5},
        {"name": "S", "value": "x"},
        {"name": "N", "value": None},
        {"name": "M"},
    ]
    original = copy.deepcopy(items)
    assert cmp._str_values(items) == [
        {"name": "T", "value": "true"},
        {"name": "F", "value": "false"},
        {"name": "I", "value": "5"},
        {"name": "S", "value": "x"},
        {"name": "N", "value": None},
        {"name": "M"},
    ]
    assert items == original  # the input is not changed
    assert cmp._str_values([{"name": 1, "value": 2}], field="name") == [{"name": "1", "value": 2}]


def rich_container():
    return {
        "name": "web",
        "image": "app:1",
        "cpu": "256",
        "memory": "512",
        "memoryReservation": "128",
        "versionConsistency": "enabled",
        "readonlyRootFilesystem": False,
        "privileged": False,
        "disableNetworking": False,
        "interactive": False,
        "pseudoTerminal": False,
        "environment": [{"name": "B", "value": 2}, {"name": "A", "value": True}, {"value": "nameless"}],
        "secrets": [{"name": "S2", "valueFrom": "arn2"}, {"name": "S1", "valueFrom": "arn1"}],
        "ulimits": [
            {"name": "nproc", "softLimit": 1, "hardLimit": 2},
            {"name": "core", "softLimit": 0, "hardLimit": 0},
        ],
        "systemControls": [{"namespace": "net.b", "value": "1"}, {"namespace": "net.a", "value": "0"}],
        "extraHosts": [{"hostname": "z", "ipAddress": "10.0.0.2"}, {"hostname": "a", "ipAddress": "10.0.0.1"}],
        "resourceRequirements": [{"type": "GPU", "value": "1"}, {"type": "A", "value": "x"}],
        "portMappings": [
            {"containerPort": "9000", "protocol": "UDP"},
            {"containerPort": 8000, "hostPort": "8000"},
            {"containerPort": 8000, "protocol": "udp"},
            {"hostPort": 7000},
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/x", "max-buffer": 5},
            "secretOptions": [{"name": "b", "valueFrom": "arn:b"}, {"name": "a", "valueFrom": "arn:a"}],
        },
        "healthCheck": {"command": ["CMD", "true"], "interval": "10", "startPeriod": "15"},
        "dockerLabels": {"n": 1, "s": "x"},
    }


def test_normalize_container_exactly():
    container = rich_container()
    original = copy.deepcopy(container)
    assert cmp.normalize_container(container, "awsvpc") == {
        "name": "web",
        "image": "app:1",
        "essential": True,
        "cpu": 256,
        "memory": 512,
        "memoryReservation": 128,
        "environment": [{"value": "nameless"}, {"name": "A", "value": "true"}, {"name": "B", "value": "2"}],
        "secrets": [{"name": "S1", "valueFrom": "arn1"}, {"name": "S2", "valueFrom": "arn2"}],
        "ulimits": [
            {"name": "core", "softLimit": 0, "hardLimit": 0},
            {"name": "nproc", "softLimit": 1, "hardLimit": 2},
        ],
        "systemControls": [{"namespace": "net.a", "value": "0"}, {"namespace": "net.b", "value": "1"}],
        "extraHosts": [{"hostname": "a", "ipAddress": "10.0.0.1"}, {"hostname": "z", "ipAddress": "10.0.0.2"}],
        "resourceRequirements": [{"type": "A", "value": "x"}, {"type": "GPU", "value": "1"}],
        "portMappings": [
            {"containerPort": None, "hostPort": 7000, "protocol": "tcp"},
            {"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"},
            {"containerPort": 8000, "hostPort": 8000, "protocol": "udp"},
            {"containerPort": 9000, "hostPort": 9000, "protocol": "udp"},
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/x", "max-buffer": "5"},
            "secretOptions": [{"name": "a", "valueFrom": "arn:a"}, {"name": "b", "valueFrom": "arn:b"}],
        },
        "healthCheck": {"command": ["CMD", "true"], "interval": 10, "timeout": 5, "retries": 3, "startPeriod": 15},
        "dockerLabels": {"n": "1", "s": "x"},
    }
    assert container == original  # the input is not changed


def test_normalize_container_keeps_what_differs_from_the_defaults():
    container = {
        "name": "web",
        "image": "app:1",
        "essential": False,
        "cpu": "0",
        "versionConsistency": "disabled",
        "readonlyRootFilesystem": True,
        "privileged": True,
        "disableNetworking": True,
        "interactive": True,
        "pseudoTerminal": True,
        "portMappings": [{"containerPort": 80}, {"containerPort": 81, "hostPort": None}],
        "healthCheck": {"command": ["CMD", "true"], "timeout": "7", "retries": 9},
    }
    assert cmp.normalize_container(container, "bridge") == {
        "name": "web",
        "image": "app:1",
        "essential": False,
        "versionConsistency": "disabled",
        "readonlyRootFilesystem": True,
        "privileged": True,
        "disableNetworking": True,
        "interactive": True,
        "pseudoTerminal": True,
        # bridge mode: no host port is filled in (a missing or None one stays as it is)
        "portMappings": [{"containerPort": 80, "protocol": "tcp"}, {"containerPort": 81, "protocol": "tcp"}],
        "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 7, "retries": 9},
    }
    assert cmp.normalize_container({"name": "w", "cpu": 0}, "awsvpc") == {"name": "w", "essential": True}
    assert cmp.normalize_container({"name": "w", "cpu": 1}, "awsvpc") == {"name": "w", "essential": True, "cpu": 1}


def test_normalize_container_log_configuration_without_options():
    log = {"logDriver": "json-file"}
    assert cmp.normalize_container({"name": "w", "logConfiguration": log}, "awsvpc")["logConfiguration"] == log
    assert "healthCheck" not in cmp.normalize_container({"name": "w"}, "awsvpc")


def test_normalize_task_definition_exactly():
    definition = {
        "family": "app",
        "taskRoleArn": "task-role",
        "executionRoleArn": "exec-role",
        "containerDefinitions": [{"name": "z", "image": "z:1"}, {"name": "a", "image": "a:1"}, {"image": "n:1"}],
        "volumes": [{"name": "v"}],
        "placementConstraints": [{"type": "memberOf", "expression": "x"}],
        "requiresCompatibilities": ["FARGATE", "EC2", "FARGATE"],
        "cpu": 256,
        "memory": " 512 ",
        "pidMode": "task",
        "ipcMode": "none",
        "proxyConfiguration": {"containerName": "a"},
        "inferenceAccelerators": [{"deviceName": "d", "deviceType": "t"}],
        "ephemeralStorage": {"sizeInGiB": "30"},
        "runtimePlatform": {"cpuArchitecture": "ARM64"},
        "enableFaultInjection": True,
        "tags": [{"key": "k", "value": "v"}],
        "revision": 3,
        "status": "ACTIVE",
    }
    original = copy.deepcopy(definition)
    assert cmp.normalize_task_definition(definition) == {
        "family": "app",
        "taskRoleArn": "task-role",
        "executionRoleArn": "exec-role",
        "networkMode": "awsvpc",
        "containerDefinitions": [
            {"image": "n:1", "essential": True},
            {"name": "a", "image": "a:1", "essential": True},
            {"name": "z", "image": "z:1", "essential": True},
        ],
        "volumes": [{"name": "v"}],
        "placementConstraints": [{"type": "memberOf", "expression": "x"}],
        "requiresCompatibilities": ["EC2", "FARGATE"],
        "cpu": "256",
        "memory": "512",
        "pidMode": "task",
        "ipcMode": "none",
        "proxyConfiguration": {"containerName": "a"},
        "inferenceAccelerators": [{"deviceName": "d", "deviceType": "t"}],
        "ephemeralStorage": {"sizeInGiB": 30},
        "runtimePlatform": {"cpuArchitecture": "ARM64"},
        "enableFaultInjection": True,
    }
    assert definition == original


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (None, None),
        ({}, None),
        ({"family": "f"}, {"family": "f", "networkMode": "bridge", "containerDefinitions": []}),
        (
            {"family": "f", "requiresCompatibilities": ["EC2"], "enableFaultInjection": False},
            {"family": "f", "requiresCompatibilities": ["EC2"], "networkMode": "bridge", "containerDefinitions": []},
        ),
        (
            {"family": "f", "requiresCompatibilities": [], "networkMode": "host"},
            {"family": "f", "networkMode": "host", "containerDefinitions": []},
        ),
        (
            {"family": "f", "containerDefinitions": [{"name": "w", "portMappings": [{"containerPort": 80}]}]},
            {
                "family": "f",
                "networkMode": "bridge",
                "containerDefinitions": [
                    {"name": "w", "essential": True, "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}
                ],
            },
        ),
    ],
    ids=["none", "empty", "no-compat-bridge", "ec2-fault-injection-default", "empty-compat", "bridge-ports"],
)
def test_normalize_task_definition_defaults(definition, expected):
    assert cmp.normalize_task_definition(definition) == expected


def test_fargate_default_network_mode_fills_host_ports():
    normalized = cmp.normalize_task_definition(
        {
            "family": "f",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": [{"name": "w", "portMappings": [{"containerPort": 80}]}],
        }
    )
    assert normalized["networkMode"] == "awsvpc"
    assert normalized["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 80, "protocol": "tcp", "hostPort": 80}
    ]


def base():
    return {
        "family": "app",
        "cpu": "256",
        "memory": "512",
        "requiresCompatibilities": ["FARGATE"],
        "containerDefinitions": [
            {"name": "web", "image": "app:1"},
            {"name": "side", "image": "side:1"},
        ],
    }


def test_diff_exactly():
    current, desired = base(), base()
    desired["cpu"] = "512"
    desired["containerDefinitions"][0].update(image="app:2", command=["run"])
    desired["containerDefinitions"][1]["name"] = "other"
    changes, before, after = cmp.diff_task_definitions(current, desired)
    assert changes == [
        "cpu",
        "container.other",
        "container.side",
        "container.web.command",
        "container.web.image",
    ]
    assert before == {
        "cpu": "256",
        "containerDefinitions": {
            "other": None,
            "side": {"name": "side", "image": "side:1", "essential": True},
            "web": {"command": None, "image": "app:1"},
        },
    }
    assert after == {
        "cpu": "512",
        "containerDefinitions": {
            "other": {"name": "other", "image": "side:1", "essential": True},
            "side": None,
            "web": {"command": ["run"], "image": "app:2"},
        },
    }


def test_diff_against_nothing_and_to_nothing():
    desired = base()
    changes, before, after = cmp.diff_task_definitions(None, desired)
    # task-level keys first (sorted), then the containers (sorted)
    assert changes == [
        "cpu",
        "family",
        "memory",
        "networkMode",
        "requiresCompatibilities",
        "container.side",
        "container.web",
    ]
    assert before == {
        "cpu": None,
        "family": None,
        "memory": None,
        "networkMode": None,
        "requiresCompatibilities": None,
        "containerDefinitions": {"side": None, "web": None},
    }
    assert after["containerDefinitions"]["web"] == {"name": "web", "image": "app:1", "essential": True}
    assert after["networkMode"] == "awsvpc"
    assert cmp.diff_task_definitions(base(), base()) == ([], {}, {})
    changes, before, after = cmp.diff_task_definitions(base(), None)
    assert "container.web" in changes and after["containerDefinitions"] == {"side": None, "web": None}


def test_tag_helpers_exactly():
    assert cmp.tags_to_dict(None) == {}
    assert cmp.tags_to_dict([{"key": "a"}, {"key": "b", "value": "2"}]) == {"a": "", "b": "2"}
    assert cmp.dict_to_tags(None) == []
    assert cmp.dict_to_tags({"b": 2, "a": True}) == [{"key": "a", "value": "True"}, {"key": "b", "value": "2"}]
    # A desired int equal to the current string is no change; purge is the default.
    assert cmp.diff_tags({"n": "1", "old": "x", "keep": "k"}, {"n": 1, "keep": "k2"}) == ({"keep": "k2"}, ["old"])
    assert cmp.diff_tags({"z": "1", "a": "2"}, {}) == ({}, ["a", "z"])
    assert cmp.diff_tags({"old": "x"}, {"new": "y"}, purge=False) == ({"new": "y"}, [])


@pytest.mark.parametrize(
    ("cpu", "memory", "message"),
    [
        (256, 512, None),
        (256, 2048, None),
        (256, 1536, "memory=1536 is not allowed with cpu=256: use 512-2048 MiB (512, 1024, 2048)"),
        (512, 1024, None),
        (512, 4096, None),
        (512, 512, "memory=512 is not allowed with cpu=512: use 1024-4096 MiB in steps of 1024"),
        (512, 5120, "memory=5120 is not allowed with cpu=512: use 1024-4096 MiB in steps of 1024"),
        (1024, 2048, None),
        (1024, 8192, None),
        (1024, 9216, "memory=9216 is not allowed with cpu=1024: use 2048-8192 MiB in steps of 1024"),
        (2048, 4096, None),
        (2048, 16384, None),
        (2048, 3072, "memory=3072 is not allowed with cpu=2048: use 4096-16384 MiB in steps of 1024"),
        (2048, 17408, "memory=17408 is not allowed with cpu=2048: use 4096-16384 MiB in steps of 1024"),
        (4096, 8192, None),
        (4096, 30720, None),
        (4096, 7168, "memory=7168 is not allowed with cpu=4096: use 8192-30720 MiB in steps of 1024"),
        (8192, 16384, None),
        (8192, 61440, None),
        (8192, 17408, "memory=17408 is not allowed with cpu=8192: use 16384-61440 MiB in steps of 4096"),
        (8192, 65536, "memory=65536 is not allowed with cpu=8192: use 16384-61440 MiB in steps of 4096"),
        (16384, 32768, None),
        (16384, 122880, None),
        (16384, 36864, "memory=36864 is not allowed with cpu=16384: use 32768-122880 MiB in steps of 8192"),
        (16384, 131072, "memory=131072 is not allowed with cpu=16384: use 32768-122880 MiB in steps of 8192"),
        ("256", "512", None),
        (128, 512, "cpu=128 is not a Fargate size: use one of 256, 512, 1024, 2048, 4096, 8192, 16384"),
        (None, 512, "cpu=None, memory=512: Fargate needs both as integers (cpu units, MiB)"),
        (256, "lots", "cpu=256, memory='lots': Fargate needs both as integers (cpu units, MiB)"),
    ],
)
def test_fargate_size_messages(cpu, memory, message):
    assert cmp.validate_fargate_size(cpu, memory) == ([message] if message else [])


def valid():
    return {
        "family": "app",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": ROLE,
        "containerDefinitions": [
            {
                "name": "web",
                "image": "app:1",
                "portMappings": [{"containerPort": 1, "hostPort": 65535}],
                "secrets": [{"name": "S", "valueFrom": "arn:aws:secretsmanager:x"}],
                "environment": [{"name": "E", "value": "1"}],
            }
        ],
    }


@pytest.mark.parametrize(
    "change",
    [
        lambda d: None,
        lambda d: d.update(family="a" * 255),
        lambda d: d["containerDefinitions"][0].update(name="c" * 255),
        lambda d: d.update(taskRoleArn="arn:aws-us-gov:iam::123456789012:role/path/to/r+=,.@_-"),
        lambda d: d.update(ephemeralStorage={"sizeInGiB": 21}),
        lambda d: d.update(ephemeralStorage={"sizeInGiB": 200}),
        lambda d: d.update(ephemeralStorage={}),
        lambda d: d.pop("networkMode"),
        lambda d: d.update(requiresCompatibilities=["EC2"], networkMode="bridge", cpu=None, memory=None),
        lambda d: d["containerDefinitions"][0].update(portMappings=[{"containerPort": 65535, "hostPort": None}]),
    ],
    ids=[
        "as-is",
        "family-255",
        "name-255",
        "gov-role-path",
        "storage-21",
        "storage-200",
        "storage-unset",
        "fargate-default-network",
        "ec2-bridge",
        "port-65535",
    ],
)
def test_valid_edges(change):
    d = valid()
    change(d)
    assert cmp.validate_task_definition(d) == []


def c0(d):
    return d["containerDefinitions"][0]


INVALID = {
    "family-256": (
        lambda d: d.update(family="a" * 256),
        f"family={'a' * 256!r} is invalid: use 1-255 letters, digits, hyphens or underscores",
    ),
    "family-missing": (
        lambda d: d.pop("family"),
        "family=None is invalid: use 1-255 letters, digits, hyphens or underscores",
    ),
    "family-dot": (
        lambda d: d.update(family="a.b"),
        "family='a.b' is invalid: use 1-255 letters, digits, hyphens or underscores",
    ),
    "no-containers": (
        lambda d: d.pop("containerDefinitions"),
        "container_definitions is empty: give at least one container (name and image)",
    ),
    "not-a-dict": (
        lambda d: d["containerDefinitions"].append("web"),
        "container_definitions[1] must be a dict, got str",
    ),
    "name-256": (
        lambda d: c0(d).update(name="c" * 256),
        f"container_definitions[0].name={'c' * 256!r} is invalid: 1-255 letters, digits, hyphens, underscores",
    ),
    "name-missing": (
        lambda d: c0(d).pop("name"),
        "container_definitions[0].name=None is invalid: 1-255 letters, digits, hyphens, underscores",
    ),
    "image-missing": (
        lambda d: c0(d).update(image=""),
        "container_definitions[0].image is required (container 'web')",
    ),
    "image-masked": (
        lambda d: c0(d).update(image="repo:********"),
        "container_definitions[0].image contains '********' (a no_log-masked value)",
    ),
    "container-port-0": (
        lambda d: c0(d).update(portMappings=[{"containerPort": 0}]),
        "container 'web' portMappings.containerPort=0 is invalid: use 1-65535",
    ),
    "host-port-65536": (
        lambda d: c0(d).update(portMappings=[{"containerPort": 80, "hostPort": 65536}]),
        "container 'web' portMappings.hostPort=65536 is invalid: use 1-65535",
    ),
    "port-string": (
        lambda d: c0(d).update(portMappings=[{"containerPort": "80"}]),
        "container 'web' portMappings.containerPort='80' is invalid: use 1-65535",
    ),
    "secret-no-name": (
        lambda d: c0(d).update(secrets=[{"valueFrom": "arn:x"}]),
        "container 'web' secrets item {'valueFrom': 'arn:x'} needs name and valueFrom",
    ),
    "secret-no-value-from": (
        lambda d: c0(d).update(secrets=[{"name": "S"}]),
        "container 'web' secrets item {'name': 'S'} needs name and valueFrom",
    ),
    "secret-masked": (
        lambda d: c0(d).update(secrets=[{"name": "S", "valueFrom": "arn:********"}]),
        "container 'web' secret 'S' valueFrom='arn:********' contains '********': "
        "the ARN was masked by no_log; read it from a result that holds no secret value",
    ),
    "env-no-name": (
        lambda d: c0(d).update(environment=[{"name": "", "value": "x"}]),
        "container 'web' environment item {'name': '', 'value': 'x'} needs a name",
    ),
    "duplicates": (
        lambda d: d["containerDefinitions"].extend(
            [copy.deepcopy(c0(d)), dict(c0(d), name="b"), dict(c0(d), name="b")]
        ),
        "container names must be unique, repeated: b, web",
    ),
    "execution-role": (
        lambda d: d.update(executionRoleArn="arn:aws:iam::12345678901:role/r"),
        "executionRoleArn='arn:aws:iam::12345678901:role/r' is not an IAM role ARN "
        "(arn:aws:iam::<12 digits>:role/<name>)",
    ),
    "task-role": (
        lambda d: d.update(taskRoleArn="r"),
        "taskRoleArn='r' is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)",
    ),
    "fargate-bridge": (
        lambda d: d.update(networkMode="bridge"),
        "network_mode='bridge': Fargate requires 'awsvpc'",
    ),
    "fargate-size": (
        lambda d: d.update(memory="4096"),
        "memory=4096 is not allowed with cpu=256: use 512-2048 MiB (512, 1024, 2048)",
    ),
    "storage-20": (
        lambda d: d.update(ephemeralStorage={"sizeInGiB": 20}),
        "ephemeral_storage=20 is invalid: use 21-200 GiB (or omit it for the 20 GiB default)",
    ),
    "storage-201": (
        lambda d: d.update(ephemeralStorage={"sizeInGiB": 201}),
        "ephemeral_storage=201 is invalid: use 21-200 GiB (or omit it for the 20 GiB default)",
    ),
    "storage-string": (
        lambda d: d.update(ephemeralStorage={"sizeInGiB": "30"}),
        "ephemeral_storage='30' is invalid: use 21-200 GiB (or omit it for the 20 GiB default)",
    ),
}


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_validation_messages_exactly(kind):
    change, message = INVALID[kind]
    d = valid()
    change(d)
    assert cmp.validate_task_definition(d) == [message]


def test_validation_reports_every_problem_in_order():
    d = valid()
    d["family"] = ""
    c0(d).update(name="bad name", image="", portMappings=[{"containerPort": 0, "hostPort": 70000}])
    assert cmp.validate_task_definition(d) == [
        "family='' is invalid: use 1-255 letters, digits, hyphens or underscores",
        "container_definitions[0].name='bad name' is invalid: 1-255 letters, digits, hyphens, underscores",
        "container_definitions[0].image is required (container 'bad name')",
        "container 'bad name' portMappings.containerPort=0 is invalid: use 1-65535",
        "container 'bad name' portMappings.hostPort=70000 is invalid: use 1-65535",
    ]
    assert cmp.validate_task_definition({"containerDefinitions": None, "family": "f"}) == [
        "container_definitions is empty: give at least one container (name and image)"
    ]


def test_nameless_containers_sort_and_diff_under_the_empty_name():
    """validate_task_definition refuses a nameless container; the compare still files it under "" (first)."""
    normalized = cmp.normalize_task_definition(
        {"family": "f", "containerDefinitions": [{"name": "B"}, {"image": "n:1"}]}
    )
    assert [c.get("name") for c in normalized["containerDefinitions"]] == [None, "B"]
    changes, before, after = cmp.diff_task_definitions(
        None, {"family": "f", "containerDefinitions": [{"image": "n:1"}]}
    )
    assert "container." in changes and before["containerDefinitions"] == {"": None}


def test_port_mappings_without_container_port_sort_first():
    mappings = [{"containerPort": 1, "protocol": "tcp"}, {"hostPort": 5, "protocol": "udp"}]
    assert cmp.normalize_container({"name": "w", "portMappings": mappings}, "bridge")["portMappings"] == [
        {"containerPort": None, "hostPort": 5, "protocol": "udp"},
        {"containerPort": 1, "protocol": "tcp"},
    ]


def test_validation_goes_on_after_a_container_that_is_not_a_dict():
    d = valid()
    d["containerDefinitions"].insert(0, "web")
    c0 = d["containerDefinitions"][1]
    c0["image"] = ""
    assert cmp.validate_task_definition(d) == [
        "container_definitions[0] must be a dict, got str",
        "container_definitions[1].image is required (container 'web')",
    ]
