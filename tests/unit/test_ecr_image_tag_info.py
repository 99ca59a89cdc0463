"""ecr_image_tag_info through main(), on a stubbed ECR client."""

import base64
import json

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import ecr_image_tag_info as mod

Q = {"repositoryName": "app", "imageIds": [{"imageTag": "abc"}]}


@pytest.fixture
def ecr(monkeypatch):
    client = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    stub = Stubber(client)
    monkeypatch.setattr(
        AnsibleAWSModule,
        "client",
        lambda self, service, retry_decorator=None, **extra: RetryingBotoClientWrapper(client, retry_decorator),
    )
    with stub:
        yield stub
        stub.assert_no_pending_responses()


def run(args, capsys):
    with patch_module_args({"region": "us-east-1", "repository_name": "app", **args}), pytest.raises(SystemExit) as e:
        mod.main()
    return e.value.code != 0, json.loads(capsys.readouterr().out)


def test_tag_exists(ecr, capsys):
    ecr.add_response("describe_images", {"imageDetails": [{"imageDigest": "sha256:1", "imageTags": ["abc"]}]}, Q)
    failed, result = run({"image_tag": "abc"}, capsys)
    assert not failed and result["exists"] and result["image_digest"] == "sha256:1" and not result["changed"]


@pytest.mark.parametrize("code", ["ImageNotFoundException", "RepositoryNotFoundException"])
def test_tag_or_repository_missing(ecr, capsys, code):
    ecr.add_client_error("describe_images", code, "nope", expected_params=Q)
    failed, result = run({"image_tag": "abc"}, capsys)
    assert not failed and result["exists"] is False


def test_other_errors_fail(ecr, capsys):
    ecr.add_client_error("describe_images", "AccessDeniedException", "no", expected_params=Q)
    failed, result = run({"image_tag": "abc"}, capsys)
    assert failed and "Could not query ECR repository app" in result["msg"]


def test_login(ecr, capsys):
    token = base64.b64encode(b"AWS:s3cr3t").decode()
    ecr.add_response(
        "get_authorization_token",
        {
            "authorizationData": [
                {"authorizationToken": token, "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}
            ]
        },
        {},
    )
    failed, result = run({"login": True}, capsys)
    assert not failed
    assert result["registry"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert result["username"] == "AWS" and result["password"] == "s3cr3t"
    assert "exists" not in result


# ---- what the mutation run found untested ----------------------------------------------------------


def test_registry_id_reaches_both_calls(ecr, capsys):
    ecr.add_response(
        "describe_images", {"imageDetails": [{"imageDigest": "sha256:2"}]}, {**Q, "registryId": "210987654321"}
    )
    token = base64.b64encode(b"AWS:pa:ss").decode()  # a password may hold ':'
    ecr.add_response(
        "get_authorization_token",
        {
            "authorizationData": [
                {"authorizationToken": token, "proxyEndpoint": "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com/"}
            ]
        },
        {"registryIds": ["210987654321"]},
    )
    failed, result = run({"image_tag": "abc", "registry_id": "210987654321", "login": True}, capsys)
    assert not failed, result["msg"]
    assert result["image_digest"] == "sha256:2"
    assert result["registry"] == "210987654321.dkr.ecr.eu-west-1.amazonaws.com"  # no scheme, no trailing slash
    assert result["username"] == "AWS" and result["password"] == "pa:ss"


def test_a_tag_without_image_details_does_not_exist(ecr, capsys):
    ecr.add_response("describe_images", {"imageDetails": []}, Q)
    failed, result = run({"image_tag": "abc"}, capsys)
    assert not failed and result["exists"] is False and "image_digest" not in result


def test_calls_are_retried_when_ecr_is_unavailable(ecr, capsys, monkeypatch):
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    ecr.add_client_error("describe_images", "ServiceUnavailable", "unavailable", 503)
    ecr.add_response("describe_images", {"imageDetails": [{"imageDigest": "sha256:1"}]}, Q)
    ecr.add_client_error("get_authorization_token", "ServiceUnavailable", "unavailable", 503)
    token = base64.b64encode(b"AWS:x").decode()
    ecr.add_response(
        "get_authorization_token",
        {"authorizationData": [{"authorizationToken": token, "proxyEndpoint": "https://r"}]},
        {},
    )
    failed, result = run({"image_tag": "abc", "login": True}, capsys)
    assert not failed, result["msg"]
    assert len(sleeps) == 2 and result["registry"] == "r"


def test_the_ecr_client_is_asked_for(capsys, monkeypatch):
    asked = []

    def client(self, service, retry_decorator=None, **extra):
        asked.append(service)
        raise SystemExit(0)

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    with patch_module_args({"region": "us-east-1", "repository_name": "app"}), pytest.raises(SystemExit):
        mod.main()
    assert asked == ["ecr"]


def test_errors_carry_the_boto3_error(ecr, capsys):
    ecr.add_client_error("get_authorization_token", "AccessDeniedException", "no ecr:GetAuthorizationToken")
    failed, result = run({"login": True}, capsys)
    assert failed and result["msg"].startswith("Could not query ECR repository app: ")
    assert result["error"]["code"] == "AccessDeniedException"


def test_ecr_throttling_and_its_5xx_are_retried(ecr, capsys, monkeypatch):
    """ECR's own codes (retry_for("ecr")): ThrottlingException and ServerException."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    ecr.add_client_error("describe_images", "ThrottlingException", "Rate exceeded", 400)
    ecr.add_client_error("describe_images", "ServerException", "Internal error", 500)
    ecr.add_response("describe_images", {"imageDetails": [{"imageDigest": "sha256:1"}]}, Q)
    failed, result = run({"image_tag": "abc"}, capsys)
    assert not failed, result["msg"]
    assert len(sleeps) == 2 and result["exists"] is True
