"""secret_json_keys through main(), on a stubbed Secrets Manager client."""

import json
import string

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import secret_json_keys as mod
from fakes import run_module, serve_clients

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/app-AbCdEf"
GENERATE = [
    {"key": "password"},  # the defaults: 32 letters and digits
    {"key": "django_secret_key", "length": 64, "chars": ["ascii_letters", "digits", "punctuation"]},
]


@pytest.fixture
def retry_sleeps(monkeypatch):
    """AWSRetry's pauses, recorded instead of slept."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    return sleeps


@pytest.fixture
def sm(monkeypatch, retry_sleeps):
    client = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    stub = Stubber(client)
    serve_clients(monkeypatch, {"secretsmanager": client})
    with stub:
        yield stub
        stub.assert_no_pending_responses()


def run(args, capsys, check_mode=False, diff=False):
    return run_module(mod.main, {"region": "us-east-1", "name": "app/app", **args}, capsys, check_mode, diff)


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
    assert "warnings" not in result  # e.g. no "did not set no_log" for generate[].key


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


# ---- what the mutation run found untested ----------------------------------------------------------


def test_create_sends_description_and_kms_key(sm, capsys):
    sm.add_client_error("get_secret_value", "ResourceNotFoundException", "nope")
    sm.add_response(
        "create_secret",
        {"ARN": ARN, "Name": "app/app"},
        {"Name": "app/app", "SecretString": json.dumps({"host": "h"}), "Description": "db", "KmsKeyId": "alias/app"},
    )
    failed, result = run({"values": {"host": "h"}, "description": "db", "kms_key_id": "alias/app"}, capsys)
    assert not failed and result["created"] and result["arn"] == ARN


def test_generated_value_uses_only_the_given_classes(sm, capsys):
    sm.add_response("get_secret_value", existing({"username": "u"}))
    body = Capture()
    sm.add_response("put_secret_value", {"ARN": ARN}, {"SecretId": ARN, "SecretString": body})
    failed, result = run({"generate": [{"key": "pin", "length": 8, "chars": ["digits"]}]}, capsys)
    assert not failed and result["changed_keys"] == ["pin"]
    content = json.loads(body.value)
    assert content["username"] == "u" and len(content["pin"]) == 8 and content["pin"].isdigit()


def test_an_empty_generated_value_is_generated_again(sm, capsys):
    sm.add_response("get_secret_value", existing({"password": ""}))
    body = Capture()
    sm.add_response("put_secret_value", {"ARN": ARN}, {"SecretId": ARN, "SecretString": body})
    failed, result = run({"generate": [{"key": "password"}]}, capsys)
    assert not failed and result["changed_keys"] == ["password"]
    assert len(json.loads(body.value)["password"]) == 32


def test_diff_lists_key_names_only(sm, capsys):
    sm.add_response("get_secret_value", existing({"username": "postgres", "password": "p" * 32}))
    sm.add_response("put_secret_value", {"ARN": ARN}, None)
    failed, result = run({"values": {"host": "h"}}, capsys, diff=True)
    assert not failed
    assert result["diff"] == {
        "before": {"keys": ["password", "username"]},
        "after": {"keys": ["host", "password", "username"], "changed_keys": ["host"]},
    }


def test_diff_of_a_new_secret(sm, capsys):
    sm.add_client_error("get_secret_value", "ResourceNotFoundException", "nope")
    failed, result = run({"values": {"host": "h"}}, capsys, check_mode=True, diff=True)
    assert not failed and result["diff"]["before"] == {"keys": []}


UNAVAILABLE = ("ServiceUnavailable", "Service unavailable", 503)


@pytest.mark.parametrize(
    ("read_error", "write_error"),
    [
        (UNAVAILABLE, UNAVAILABLE),  # AWSRetry's own list
        # Secrets Manager's own codes (retry_for("secretsmanager")): its 5xx and its throttling.
        (("InternalServiceError", "An error occurred on the server side.", 500), ("ThrottlingException", "Rate", 400)),
    ],
)
def test_unavailable_service_calls_are_retried(sm, capsys, retry_sleeps, read_error, write_error):
    sm.add_client_error("get_secret_value", *read_error)
    sm.add_response("get_secret_value", existing({"username": "postgres"}))
    sm.add_client_error("put_secret_value", *write_error)
    sm.add_response("put_secret_value", {"ARN": ARN}, None)
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert not failed, result["msg"]
    assert len(retry_sleeps) == 2


def test_unavailable_service_create_and_restore_are_retried(sm, capsys, retry_sleeps):
    sm.add_client_error("get_secret_value", "InvalidRequestException", DELETED)
    sm.add_client_error("restore_secret", "ServiceUnavailable", "Service unavailable", 503)
    sm.add_response("restore_secret", {"ARN": ARN, "Name": "app/app"}, {"SecretId": "app/app"})
    sm.add_client_error("get_secret_value", "ResourceNotFoundException", "nope")  # gone meanwhile
    sm.add_client_error("create_secret", "ServiceUnavailable", "Service unavailable", 503)
    sm.add_response("create_secret", {"ARN": ARN, "Name": "app/app"}, None)
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert not failed, result["msg"]
    assert len(retry_sleeps) == 2 and result["created"]


@pytest.mark.parametrize(
    ("method", "queue", "message"),
    [
        ("get_secret_value", [], "Could not read secret app/app"),
        ("put_secret_value", [("get_secret_value", existing({}))], "Could not write secret app/app"),
        ("create_secret", ["missing"], "Could not write secret app/app"),
        ("restore_secret", ["deleted"], "Could not restore secret app/app, which is scheduled for deletion"),
    ],
)
def test_aws_errors_are_reported_with_what_failed(sm, capsys, method, queue, message):
    for item in queue:
        if item == "missing":
            sm.add_client_error("get_secret_value", "ResourceNotFoundException", "nope")
        elif item == "deleted":
            sm.add_client_error("get_secret_value", "InvalidRequestException", DELETED)
        else:
            sm.add_response(*item)
    sm.add_client_error(method, "AccessDeniedException", "not authorized")
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert failed
    assert result["msg"].startswith(message + ": ") and "not authorized" in result["msg"]
    assert result["error"]["code"] == "AccessDeniedException"  # fail_json_aws got the boto3 error


def test_an_invalid_request_that_is_not_a_deletion_fails(sm, capsys):
    sm.add_client_error(
        "get_secret_value", "InvalidRequestException", "You provided a parameter value that is not valid."
    )
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert failed and result["msg"].startswith("Could not read secret app/app") and not result.get("restored")


def test_read_transport_errors_are_reported(sm, capsys, monkeypatch):
    import botocore.exceptions

    def broken(*args, **kwargs):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://secretsmanager.example")

    client = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    monkeypatch.setattr(client, "get_secret_value", broken)
    serve_clients(monkeypatch, {"secretsmanager": client})
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert failed and result["msg"].startswith("Could not read secret app/app: ")
    assert "secretsmanager.example" in result["msg"]


def test_refuses_a_json_value_that_is_not_an_object(sm, capsys):
    sm.add_response("get_secret_value", {"ARN": ARN, "Name": "app/app", "SecretString": "[1, 2]"})
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert failed and result["msg"] == "Secret app/app does not hold a JSON object: refusing to overwrite it."


def test_restore_false_message_says_what_to_do(sm, capsys):
    sm.add_client_error("get_secret_value", "InvalidRequestException", DELETED)
    failed, result = run({"generate": GENERATE, "restore": False}, capsys)
    assert failed
    assert result["msg"] == (
        "Secret app/app is scheduled for deletion: restore it (aws secretsmanager restore-secret), "
        "wait for the recovery window to end, or set restore: true."
    )


def test_check_mode_restore_result(sm, capsys):
    sm.add_client_error("get_secret_value", "InvalidRequestException", DELETED)
    failed, result = run({"generate": GENERATE}, capsys, check_mode=True)
    assert not failed
    assert {k: v for k, v in result.items() if k != "invocation"} == {
        "changed": True,
        "arn": "",
        "name": "app/app",
        "created": False,
        "restored": True,
        "key_names": [],
        "changed_keys": [],
    }


def test_result_names_the_secret(sm, capsys):
    sm.add_response("get_secret_value", existing({"username": "postgres"}))
    failed, result = run({"values": {"username": "postgres"}}, capsys)
    assert not failed and result["name"] == "app/app" and result["key_names"] == ["username"]
    assert result["created"] is False and result["restored"] is False


@pytest.mark.parametrize(("length", "ok"), [(7, False), (8, True), (256, True), (257, False)])
def test_generated_length_limits(sm, capsys, length, ok):
    if ok:
        sm.add_client_error("get_secret_value", "ResourceNotFoundException", "nope")
    failed, result = run({"generate": [{"key": "password", "length": length}]}, capsys, check_mode=True)
    assert failed is not ok
    if not ok:
        assert result["msg"] == f"generate: key 'password' has length {length}: allowed 8-256."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": None}, "missing required arguments: name"),
        ({"generate": [{"length": 32}]}, "missing required arguments: key"),
        ({"generate": [{"key": "password", "chars": ["emoji"]}]}, "value of chars must be one or more of"),
    ],
)
def test_argument_spec(capsys, monkeypatch, args, message):
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda *a, **k: pytest.fail("no AWS call expected"))
    full = {"region": "us-east-1", "name": "app/app", **args}
    if full["name"] is None:
        del full["name"]
    failed, result = run_module(mod.main, full, capsys)
    assert failed and message in result["msg"]


def test_a_missing_permission_is_not_retried(sm, capsys, retry_sleeps):
    sm.add_client_error("get_secret_value", "AccessDeniedException", "not authorized", 400)
    failed, result = run({"values": {"host": "h"}}, capsys)
    assert failed and result["error"]["code"] == "AccessDeniedException"
    assert retry_sleeps == []
