"""secret_json_keys through main(), on a stubbed Secrets Manager client."""

import json
import string

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import secret_json_keys as mod

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/app-AbCdEf"
GENERATE = [
    {"key": "password", "length": 32},
    {"key": "django_secret_key", "length": 64, "chars": ["ascii_letters", "digits", "punctuation"]},
]


@pytest.fixture
def sm(monkeypatch):
    client = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    stub = Stubber(client)

    def fake_client(self, service, retry_decorator=None, **extra):
        return client if retry_decorator is None else RetryingBotoClientWrapper(client, retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    with stub:
        yield stub
        stub.assert_no_pending_responses()


def run(args, capsys, check_mode=False):
    full = {"region": "us-east-1", "name": "app/app", **args}
    if check_mode:
        full["_ansible_check_mode"] = True
    with patch_module_args(full), pytest.raises(SystemExit) as exit_info:
        mod.main()
    return exit_info.value.code != 0, json.loads(capsys.readouterr().out)


def existing(content):
    return {"ARN": ARN, "Name": "app/app", "SecretString": json.dumps(content), "VersionId": "0" * 32}


class Capture:
    """Stands in for an expected request parameter: matches anything and keeps what was sent."""

    def __init__(self):
        self.value = None

    def __eq__(self, other):
        self.value = other
        return True

    def __ne__(self, other):
        return not self.__eq__(other)


def test_creates_with_generated_values_once(sm, capsys):
    sm.add_client_error("get_secret_value", "ResourceNotFoundException", "nope")
    body = Capture()
    sm.add_response(
        "create_secret",
        {"ARN": ARN, "Name": "app/app"},
        {"Name": "app/app", "SecretString": body, "Tags": [{"Key": "fargate:stack", "Value": "app"}]},
    )
    # "app" is also in the ARN: were the values no_log, Ansible would mask the ARN ("secret:********/********-...").
    failed, result = run(
        {"values": {"username": "app", "dbname": "app"}, "generate": GENERATE, "tags": {"fargate:stack": "app"}},
        capsys,
    )
    assert not failed and result["changed"] and result["created"]
    # The secret holds the given values and the generated ones, from the requested character classes.
    content = json.loads(body.value)
    assert sorted(content) == ["dbname", "django_secret_key", "password", "username"]
    assert content["username"] == "app" and content["dbname"] == "app"
    password, key = content["password"], content["django_secret_key"]
    assert len(password) == 32 and password.isascii() and password.isalnum()
    assert len(key) == 64 and set(key) <= set(string.ascii_letters + string.digits + string.punctuation)
    assert result["arn"] == ARN  # unmasked, usable by the task definitions
    assert sorted(result["changed_keys"]) == ["dbname", "django_secret_key", "password", "username"]
    assert result["key_names"] == ["dbname", "django_secret_key", "password", "username"]
    # Neither generated value is anywhere in what the module printed (result, invocation, warnings).
    printed = json.dumps(result)
    for value in (password, key):
        assert json.dumps(value)[1:-1] not in printed  # as JSON spells it (the key may hold quotes, backslashes)
    assert "********" not in printed


def test_generated_values_shape():
    content, changed = mod.plan(
        None, {"username": "u"}, [{"key": "password", "length": 32, "chars": ["ascii_letters", "digits"]}]
    )
    assert len(content["password"]) == 32 and content["password"].isalnum()
    assert changed == ["password", "username"]
    again, _changed = mod.plan(None, {}, [{"key": "password", "length": 32, "chars": ["ascii_letters", "digits"]}])
    assert again["password"] != content["password"]


def test_never_regenerates(sm, capsys):
    sm.add_response(
        "get_secret_value", existing({"username": "postgres", "password": "p" * 32, "django_secret_key": "k" * 64})
    )
    failed, result = run({"values": {"username": "postgres"}, "generate": GENERATE}, capsys)
    assert not failed and not result["changed"] and result["changed_keys"] == [] and result["arn"] == ARN


def test_updates_only_differing_values_and_keeps_the_rest(sm, capsys):
    sm.add_response("get_secret_value", existing({"username": "postgres", "password": "p" * 32, "host": "old"}))
    expected = json.dumps({"username": "postgres", "password": "p" * 32, "host": "new", "port": 5432})
    sm.add_response("put_secret_value", {"ARN": ARN}, {"SecretId": ARN, "SecretString": expected})
    failed, result = run({"values": {"host": "new", "port": 5432, "username": "postgres"}}, capsys)
    assert not failed and result["changed"] and result["changed_keys"] == ["host", "port"]


def test_check_mode_writes_nothing(sm, capsys):
    sm.add_response("get_secret_value", existing({"username": "postgres"}))
    failed, result = run({"values": {"host": "h"}}, capsys, check_mode=True)
    assert not failed and result["changed"] and result["changed_keys"] == ["host"]


def test_check_mode_missing_secret(sm, capsys):
    sm.add_client_error("get_secret_value", "ResourceNotFoundException", "nope")
    failed, result = run({"generate": GENERATE}, capsys, check_mode=True)
    assert not failed and result["created"] and result["arn"] == ""


def test_refuses_non_json(sm, capsys):
    sm.add_response("get_secret_value", {"ARN": ARN, "Name": "app/app", "SecretString": "plain"})
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert failed and "JSON object" in result["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"generate": [{"key": "password", "length": 4}]}, "length 4"),
        ({"generate": [{"key": "password", "chars": []}]}, "no character classes"),
        ({"values": {"password": "x"}, "generate": [{"key": "password"}]}, "both in values and in generate"),
    ],
)
def test_bad_options(args, message, capsys, monkeypatch):
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda *a, **k: pytest.fail("no AWS call expected"))
    failed, result = run(args, capsys)
    assert failed and message in result["msg"]


DELETED = "You can't perform this operation on the secret because it was marked for deletion."
KEPT = {"username": "postgres", "password": "p" * 32, "django_secret_key": "k" * 64}


def test_restores_a_secret_scheduled_for_deletion_and_keeps_its_values(sm, capsys):
    sm.add_client_error("get_secret_value", "InvalidRequestException", DELETED)
    sm.add_response("restore_secret", {"ARN": ARN, "Name": "app/app"}, {"SecretId": "app/app"})
    sm.add_response("get_secret_value", existing(KEPT))
    failed, result = run({"values": {"username": "postgres"}, "generate": GENERATE}, capsys)
    assert not failed, result
    assert result["restored"] and result["changed"] and not result["created"]
    assert result["changed_keys"] == [] and result["arn"] == ARN  # the old password is reused


def test_restore_false_fails_on_a_secret_scheduled_for_deletion(sm, capsys):
    sm.add_client_error("get_secret_value", "InvalidRequestException", DELETED)
    failed, result = run({"generate": GENERATE, "restore": False}, capsys)
    assert failed and "scheduled for deletion" in result["msg"] and "restore" in result["msg"]


def test_check_mode_reports_a_restore_without_calling_it(sm, capsys):
    sm.add_client_error("get_secret_value", "InvalidRequestException", DELETED)
    failed, result = run({"generate": GENERATE}, capsys, check_mode=True)
    assert not failed and result["changed"] and result["restored"]
