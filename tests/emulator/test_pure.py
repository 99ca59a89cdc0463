"""The runtime's pure parts: secret references, environment assembly, limits, stop decisions, log lines."""

from __future__ import annotations

import json

import pytest

from emulator import lifecycle, secrets

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stack/app-AbCdEf"


@pytest.mark.parametrize(
    ("value_from", "expected"),
    [
        (ARN, secrets.SecretRef("secretsmanager", ARN)),
        (f"{ARN}:password::", secrets.SecretRef("secretsmanager", ARN, "password")),
        (f"{ARN}:password:AWSPREVIOUS:", secrets.SecretRef("secretsmanager", ARN, "password", "AWSPREVIOUS")),
        (f"{ARN}::AWSCURRENT:v-1", secrets.SecretRef("secretsmanager", ARN, "", "AWSCURRENT", "v-1")),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/app/token",
         secrets.SecretRef("ssm", "arn:aws:ssm:us-east-1:123456789012:parameter/app/token")),
        ("/app/token", secrets.SecretRef("ssm", "/app/token")),
    ],
)  # fmt: skip
def test_parse_value_from(value_from, expected):
    assert secrets.parse_value_from(value_from) == expected


def _readers(store: dict, params: dict):
    calls = []

    def read_secret(secret_id, version_id, version_stage):
        calls.append((secret_id, version_id, version_stage))
        if secret_id not in store:
            raise KeyError("Secrets Manager can't find the specified secret.")
        return store[secret_id]

    return read_secret, params.get, calls


def test_resolve_json_keys_whole_secret_and_parameters_in_order():
    store = {ARN: json.dumps({"password": "pw", "port": 5432})}
    read_secret, read_parameter, calls = _readers(store, {"/p": "pv"})
    values = secrets.resolve(
        [{"name": "PW", "valueFrom": f"{ARN}:password::"}, {"name": "PORT", "valueFrom": f"{ARN}:port::"},
         {"name": "ALL", "valueFrom": ARN}, {"name": "P", "valueFrom": "/p"}],
        read_secret, read_parameter,
    )  # fmt: skip
    assert values == {"PW": "pw", "PORT": "5432", "ALL": store[ARN], "P": "pv"}
    assert list(values) == ["PW", "PORT", "ALL", "P"]
    assert calls == [(ARN, "", "")]  # one read per secret version, as the agent caches it


def test_resolve_a_missing_key_names_it():
    read_secret, read_parameter, _ = _readers({ARN: json.dumps({"password": "pw"})}, {})
    with pytest.raises(secrets.ResourceInitializationError, match="did not contain json key dbname"):
        secrets.resolve([{"name": "DB", "valueFrom": f"{ARN}:dbname::"}], read_secret, read_parameter)


def test_resolve_a_key_of_a_non_json_secret_fails():
    read_secret, read_parameter, _ = _readers({ARN: "plain text"}, {})
    with pytest.raises(secrets.ResourceInitializationError, match="json key password"):
        secrets.resolve([{"name": "X", "valueFrom": f"{ARN}:password::"}], read_secret, read_parameter)


def test_resolve_a_missing_secret_names_it():
    read_secret, read_parameter, _ = _readers({}, {})
    with pytest.raises(secrets.ResourceInitializationError, match=f"failed to fetch secret {ARN}"):
        secrets.resolve([{"name": "X", "valueFrom": ARN}], read_secret, read_parameter)


def test_resolve_a_missing_parameter_names_it():
    read_secret, read_parameter, _ = _readers({}, {})
    with pytest.raises(secrets.ResourceInitializationError, match="invalid parameters: /gone"):
        secrets.resolve([{"name": "X", "valueFrom": "/gone"}], read_secret, read_parameter)


def test_environment_order_platform_definition_secrets_overrides():
    container = {
        "environment": [{"name": "A", "value": "def"}, {"name": "S", "value": "def"}, {"name": "R", "value": "def"}]
    }
    override = {"environment": [{"name": "A", "value": "ovr"}]}
    env = lifecycle.environment(container, {"S": "secret"}, override, {"R": "platform", "AWS_REGION": "r"})
    assert env == {"R": "def", "AWS_REGION": "r", "A": "ovr", "S": "secret"}


def test_command_override_wins_and_absent_means_the_image_default():
    assert lifecycle.command({"command": ["a"]}, {"command": ["b"]}) == ["b"]
    assert lifecycle.command({"command": ["a"]}, {}) == ["a"]
    assert lifecycle.command({}, {}) is None


def test_limits_container_then_task():
    assert lifecycle.memory_mib({"memory": "1024"}, {"memory": 512}, {}) == 512
    assert lifecycle.memory_mib({"memory": "1024"}, {}, {}) == 1024
    assert lifecycle.memory_mib({"memory": "1024"}, {}, {"memory": 256}) == 256
    assert lifecycle.nano_cpus({"cpu": "256"}, {"cpu": 0}, {}) == 250_000_000
    assert lifecycle.nano_cpus({"cpu": "1024"}, {"cpu": 512}, {}) == 500_000_000
    assert lifecycle.nano_cpus({}, {}, {}) is None


def test_stop_timeout_default_is_fargates_30_seconds():
    assert lifecycle.stop_timeout({}) == 30
    assert lifecycle.stop_timeout({"stopTimeout": 2}) == 2


def test_awslogs_options_and_stream_name():
    config = lifecycle.awslogs(
        {
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "/g", "awslogs-stream-prefix": "web"},
            }
        },
        "eu-west-1",
    )
    assert config == {"group": "/g", "region": "eu-west-1", "prefix": "web", "create_group": False}
    assert lifecycle.awslogs({"logConfiguration": {"logDriver": "json-file"}}, "r") is None
    assert lifecycle.stream_name("web", "app", "abc") == "web/app/abc"
    assert lifecycle.stream_name(None, "app", "abc") == "abc"


def test_essential_stop_only_for_an_essential_exit():
    running = [{"name": "a", "essential": True, "exit_code": None}, {"name": "s", "essential": False, "exit_code": 1}]
    assert lifecycle.essential_stop(running) is None
    running[0]["exit_code"] = 0
    assert lifecycle.essential_stop(running) == "Essential container in task exited"
    assert lifecycle.essential_stop([{"name": "a", "exit_code": 2}]) is not None  # essential by default


def test_parse_log_line():
    stamp, message = lifecycle.parse_log_line(b"2026-12-02T18:00:00.123456789Z Applying notes.0001_initial... OK\n")
    assert stamp == 1796234400123
    assert message == "Applying notes.0001_initial... OK"


def test_container_override_by_name():
    overrides = {"containerOverrides": [{"name": "x", "command": ["1"]}, {"name": "y", "command": ["2"]}]}
    assert lifecycle.container_override(overrides, "y") == {"name": "y", "command": ["2"]}
    assert lifecycle.container_override(None, "y") == {}
