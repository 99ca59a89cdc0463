"""ecr_repository through main(), on a stubbed ECR client answering as ECR does (botocore checks every request and
answer against ECR's service model): a no-op makes exactly DescribeRepositories + GetLifecyclePolicy, each drift is
repaired by its one write, a missing repository is created (and only reported under check mode), errors fail with
the step that failed."""

import datetime
import json

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import ecr_repository as mod
from fakes import run_module, serve_clients

REGION = "us-east-1"
ACCOUNT = "123456789012"
NAME = "djangoapp"
ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{NAME}"
URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{NAME}"
CREATED = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)

POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Keep the last 10 images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"},
        }
    ]
}
# What GetLifecyclePolicy sends back: ECR's own spelling (compact, its key order), not the text that was put.
POLICY_TEXT = (
    '{"rules":[{"rulePriority":1,"description":"Keep the last 10 images","selection":{"tagStatus":"any",'
    '"countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}'
)
# The role's arguments (it passes the policy through to_json).
ARGS = {
    "region": REGION,
    "access_key": "testing",
    "secret_key": "testing",
    "name": NAME,
    "scan_on_push": True,
    "image_tag_mutability": "IMMUTABLE",
    "lifecycle_policy": json.dumps(POLICY),
}
BY_NAME = {"repositoryName": NAME}


def repository(mutability="IMMUTABLE", scan_on_push=True):
    """A repository as DescribeRepositories / CreateRepository describe it."""
    return {
        "repositoryArn": ARN,
        "registryId": ACCOUNT,
        "repositoryName": NAME,
        "repositoryUri": URI,
        "createdAt": CREATED,
        "imageTagMutability": mutability,
        "imageScanningConfiguration": {"scanOnPush": scan_on_push},
        "encryptionConfiguration": {"encryptionType": "AES256"},
    }


def policy_text(keep):
    return POLICY_TEXT.replace('"countNumber":10', f'"countNumber":{keep}')


@pytest.fixture
def ecr(monkeypatch):
    client = boto3.client("ecr", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    stub = Stubber(client)
    serve_clients(monkeypatch, {"ecr": client})
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)  # retries, without waiting
    with stub:
        yield stub
        stub.assert_no_pending_responses()  # every call the test expected was made, and no other


def described(stub, repo):
    stub.add_response("describe_repositories", {"repositories": [repo]}, {"repositoryNames": [NAME]})


def not_found(stub):
    stub.add_client_error(
        "describe_repositories",
        "RepositoryNotFoundException",
        f"The repository with name '{NAME}' does not exist in the registry with id '{ACCOUNT}'",
        expected_params={"repositoryNames": [NAME]},
    )


def policy_read(stub, text=POLICY_TEXT):
    if text is None:
        stub.add_client_error(
            "get_lifecycle_policy",
            "LifecyclePolicyNotFoundException",
            f"Lifecycle policy does not exist for the repository with name '{NAME}'"
            f" in the registry with id '{ACCOUNT}'",
            expected_params=BY_NAME,
        )
    else:
        answer = {
            "registryId": ACCOUNT,
            "repositoryName": NAME,
            "lifecyclePolicyText": text,
            "lastEvaluatedAt": CREATED,
        }
        stub.add_response("get_lifecycle_policy", answer, BY_NAME)


def policy_put(stub):
    answer = {"registryId": ACCOUNT, "repositoryName": NAME, "lifecyclePolicyText": POLICY_TEXT}
    stub.add_response(
        "put_lifecycle_policy", answer, {**BY_NAME, "lifecyclePolicyText": json.dumps(POLICY, sort_keys=True)}
    )


def run(capsys, check_mode=False, diff=False, **args):
    return run_module(mod.main, {**ARGS, **args}, capsys, check_mode=check_mode, diff=diff)


# ------------------------------------------------------------------------------------------------- no-op
@pytest.mark.parametrize("check_mode", [False, True])
def test_no_op_makes_the_two_reads_and_returns_the_repository(ecr, capsys, check_mode):
    described(ecr, repository())
    policy_read(ecr)
    failed, result = run(capsys, check_mode=check_mode, diff=True)
    assert not failed, result
    assert result["changed"] is False and result["created"] is False and result["changes"] == []
    repo = result["repository"]
    assert (repo["repository_arn"], repo["repository_uri"], repo["registry_id"]) == (ARN, URI, ACCOUNT)
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    assert repo["encryption_configuration"] == {"encryption_type": "AES256"}
    assert result["lifecycle_policy"] == POLICY
    assert result["diff"]["before"] == result["diff"]["after"]


def test_policy_given_as_a_dict_or_spaced_differently_is_no_change(ecr, capsys):
    described(ecr, repository())
    policy_read(ecr, json.dumps(POLICY, indent=2))
    failed, result = run(capsys, lifecycle_policy=POLICY)
    assert not failed and result["changed"] is False, result


def test_lower_case_mutability_is_no_change(ecr, capsys):
    described(ecr, repository())
    policy_read(ecr)
    failed, result = run(capsys, image_tag_mutability="immutable")
    assert not failed and result["changed"] is False, result


def test_options_omitted_are_neither_read_nor_changed(ecr, capsys):
    described(ecr, repository(mutability="MUTABLE", scan_on_push=False))
    failed, result = run_module(mod.main, {"region": REGION, "name": NAME}, capsys)
    assert not failed and result["changed"] is False and "lifecycle_policy" not in result, result


# ------------------------------------------------------------------------------------------------- drift
def test_scan_on_push_drift_is_repaired_by_one_write(ecr, capsys):
    described(ecr, repository(scan_on_push=False))
    policy_read(ecr)
    ecr.add_response(
        "put_image_scanning_configuration",
        {"registryId": ACCOUNT, "repositoryName": NAME, "imageScanningConfiguration": {"scanOnPush": True}},
        {**BY_NAME, "imageScanningConfiguration": {"scanOnPush": True}},
    )
    failed, result = run(capsys, diff=True)
    assert not failed and result["changed"] is True and result["created"] is False, result
    assert result["changes"] == ["scan_on_push"]
    assert result["repository"]["image_scanning_configuration"] == {"scan_on_push": True}
    assert result["diff"]["before"]["scan_on_push"] is False and result["diff"]["after"]["scan_on_push"] is True


def test_mutability_drift_is_repaired_by_one_write(ecr, capsys):
    described(ecr, repository(mutability="MUTABLE"))
    policy_read(ecr)
    ecr.add_response(
        "put_image_tag_mutability",
        {"registryId": ACCOUNT, "repositoryName": NAME, "imageTagMutability": "IMMUTABLE"},
        {**BY_NAME, "imageTagMutability": "IMMUTABLE"},
    )
    failed, result = run(capsys)
    assert not failed and result["changed"] is True and result["changes"] == ["image_tag_mutability"], result
    assert result["repository"]["image_tag_mutability"] == "IMMUTABLE"


@pytest.mark.parametrize("current", [policy_text(5), None], ids=["different", "missing"])
def test_lifecycle_policy_drift_is_repaired_by_one_put(ecr, capsys, current):
    described(ecr, repository())
    policy_read(ecr, current)
    policy_put(ecr)
    failed, result = run(capsys, diff=True)
    assert not failed and result["changed"] is True and result["changes"] == ["lifecycle_policy"], result
    before = result["diff"]["before"]["lifecycle_policy"]
    assert before == (json.loads(current) if current else None)
    assert result["diff"]["after"]["lifecycle_policy"] == POLICY == result["lifecycle_policy"]


def test_every_drift_under_check_mode_writes_nothing(ecr, capsys):
    described(ecr, repository(mutability="MUTABLE", scan_on_push=False))
    policy_read(ecr, None)
    failed, result = run(capsys, check_mode=True, diff=True)
    assert not failed and result["changed"] is True, result
    assert result["changes"] == ["scan_on_push", "image_tag_mutability", "lifecycle_policy"]
    assert result["diff"]["before"] == {
        "scan_on_push": False,
        "image_tag_mutability": "MUTABLE",
        "lifecycle_policy": None,
    }


# ------------------------------------------------------------------------------------------------- creation
def test_missing_repository_is_created_with_its_settings_then_its_policy(ecr, capsys):
    not_found(ecr)
    ecr.add_response(
        "create_repository",
        {"repository": repository()},
        {**BY_NAME, "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
    )
    policy_put(ecr)
    failed, result = run(capsys, diff=True)
    assert not failed and result["changed"] is True and result["created"] is True, result
    assert result["repository"]["repository_arn"] == ARN and result["repository"]["repository_uri"] == URI
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {
        "scan_on_push": True,
        "image_tag_mutability": "IMMUTABLE",
        "lifecycle_policy": POLICY,
    }


def test_missing_repository_under_check_mode_is_reported_not_created(ecr, capsys):
    not_found(ecr)
    failed, result = run(capsys, check_mode=True, diff=True)
    assert not failed and result["changed"] is True and result["created"] is True, result
    assert result["repository"] == {} and result["diff"]["before"] == {}


# ------------------------------------------------------------------------------------------------- errors
def test_a_refused_read_fails_naming_the_step(ecr, capsys):
    ecr.add_client_error(
        "describe_repositories", "AccessDeniedException", "not authorized", expected_params={"repositoryNames": [NAME]}
    )
    failed, result = run(capsys)
    assert failed and result["msg"].startswith(f"Failed while describing ECR repository {NAME}"), result
    assert result["error"]["code"] == "AccessDeniedException"


def test_a_refused_write_fails_naming_the_step(ecr, capsys):
    described(ecr, repository())
    policy_read(ecr, None)
    ecr.add_client_error(
        "put_lifecycle_policy",
        "InvalidParameterException",
        "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint:"
        " 'Lifecycle policy validation failure'",
        expected_params={**BY_NAME, "lifecyclePolicyText": json.dumps(POLICY, sort_keys=True)},
    )
    failed, result = run(capsys)
    assert failed and f"Failed while putting the lifecycle policy of ECR repository {NAME}" in result["msg"], result


def test_throttling_is_retried(ecr, capsys):
    ecr.add_client_error(
        "describe_repositories", "ThrottlingException", "Rate exceeded", expected_params={"repositoryNames": [NAME]}
    )
    described(ecr, repository())
    policy_read(ecr)
    failed, result = run(capsys)
    assert not failed and result["changed"] is False, result


@pytest.mark.parametrize(
    ("text", "message"),
    [("{rules: [", "lifecycle_policy is not valid JSON"), ("[1, 2]", "lifecycle_policy must be a JSON object")],
)
def test_a_policy_that_is_not_a_json_object_fails_before_any_call(ecr, capsys, text, message):
    failed, result = run(capsys, lifecycle_policy=text)
    assert failed and result["msg"].startswith(message), result
