"""ecs_task_definition through main(), on a stubbed ECS client: API calls per case, check mode, diff."""

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import ecs_task_definition as mod
from fakes import run_module, serve_clients

REGION = "us-east-1"
FAMILY = "djangoapp-web"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:djangoapp/app-AbCdEf"
EXEC_ROLE = "arn:aws:iam::123456789012:role/djangoapp-execution"


def arn(revision):
    return f"arn:aws:ecs:{REGION}:123456789012:task-definition/{FAMILY}:{revision}"


def container(image="repo/djangoapp:abc", db_host="db.local"):
    return {
        "name": "web",
        "image": image,
        "memory": 512,
        "portMappings": [{"containerPort": 8000}],
        "environment": [{"name": "DB_PORT", "value": "5432"}, {"name": "DB_HOST", "value": db_host}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"{SECRET}:password::"}],
    }


def args(**kw):
    base = {
        "region": REGION,
        "family": FAMILY,
        "cpu": "256",
        "memory": "512",
        "execution_role_arn": EXEC_ROLE,
        "ephemeral_storage": 21,
        "container_definitions": [container()],
        "tags": {"fargate:stack": "djangoapp"},
    }
    base.update(kw)
    return base


def described(revision=3, **container_kw):
    c = container(**container_kw)
    c.update(cpu=0, essential=True, mountPoints=[], volumesFrom=[])
    c["portMappings"] = [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}]
    c["environment"] = sorted(c["environment"], key=lambda e: e["name"])
    return {
        "taskDefinition": {
            "taskDefinitionArn": arn(revision),
            "family": FAMILY,
            "revision": revision,
            "status": "ACTIVE",
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "compatibilities": ["EC2", "FARGATE"],
            "executionRoleArn": EXEC_ROLE,
            "ephemeralStorage": {"sizeInGiB": 21},
            "containerDefinitions": [c],
            "volumes": [],
            "placementConstraints": [],
        },
        "tags": [{"key": "fargate:stack", "value": "djangoapp"}],
    }


def aws_described(revision=3, **container_kw):
    """described() with everything real DescribeTaskDefinition adds (the Stubber checks it against botocore's
    model): enableFaultInjection false, container versionConsistency enabled, empty lists, requiresAttributes,
    registeredAt/By. moto leaves enableFaultInjection and versionConsistency out."""
    response = described(revision, **container_kw)
    td = response["taskDefinition"]
    c = td["containerDefinitions"][0]
    c.update(environmentFiles=[], systemControls=[], ulimits=[], versionConsistency="enabled")
    td.update(
        enableFaultInjection=False,
        requiresAttributes=[
            {"name": "ecs.capability.execution-role-ecr-pull"},
            {"name": "ecs.capability.secrets.asm.environment-variables"},
            {"name": "ecs.capability.task-eni"},
            {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"},
        ],
        registeredAt=datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.UTC),
        registeredBy="arn:aws:sts::123456789012:assumed-role/deployer/ansible",
    )
    return response


class Aws:
    def __init__(self):
        self.ecs = boto3.client("ecs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        self.stub = Stubber(self.ecs)

    def describe(self, response=None, error=None):
        params = {"taskDefinition": FAMILY, "include": ["TAGS"]}
        if error:
            self.stub.add_client_error("describe_task_definition", "ClientException", error, expected_params=params)
        else:
            self.stub.add_response("describe_task_definition", response, params)


@pytest.fixture
def aws(monkeypatch):
    state = Aws()

    serve_clients(monkeypatch, {"ecs": state.ecs})
    with state.stub:
        yield state
        state.stub.assert_no_pending_responses()


def run(module_args, capsys, check_mode=False, diff=False):
    return run_module(mod.main, module_args, capsys, check_mode, diff)


def test_no_op_is_one_call(aws, capsys):
    aws.describe(described())
    failed, result = run(args(), capsys)
    assert not failed and not result["changed"] and not result["registered"]
    assert result["task_definition"] == f"{FAMILY}:3"
    assert result["task_definition_arn"] == arn(3)
    assert result["revision"] == 3


def test_no_op_on_a_real_aws_response_is_one_call(aws, capsys):
    aws.describe(aws_described())
    failed, result = run(args(), capsys)
    assert not failed and not result["changed"] and result["changes"] == [], result.get("changes")
    assert result["task_definition"] == f"{FAMILY}:3"


def test_change_on_a_real_aws_response_registers(aws, capsys):
    aws.describe(aws_described())
    aws.stub.add_response("register_task_definition", aws_described(revision=4, image="repo/djangoapp:def"), None)
    failed, result = run(args(container_definitions=[container(image="repo/djangoapp:def")]), capsys)
    assert not failed and result["registered"] and result["changes"] == ["container.web.image"]


def test_first_registration(aws, capsys):
    aws.describe(error="Unable to describe task definition.")
    aws.stub.add_response(
        "register_task_definition",
        described(revision=1),
        {
            "family": FAMILY,
            "containerDefinitions": [container()],
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": "256",
            "memory": "512",
            "executionRoleArn": EXEC_ROLE,
            "ephemeralStorage": {"sizeInGiB": 21},
            "tags": [{"key": "fargate:stack", "value": "djangoapp"}],
        },
    )
    failed, result = run(args(), capsys)
    assert not failed and result["changed"] and result["registered"]
    assert result["task_definition"] == f"{FAMILY}:1"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"container_definitions": [container(image="repo/djangoapp:def")]}, "container.web.image"),
        ({"container_definitions": [container(db_host="db2.local")]}, "container.web.environment"),
        ({"cpu": "512", "memory": "1024"}, "cpu"),
        ({"execution_role_arn": EXEC_ROLE + "-2"}, "executionRoleArn"),
    ],
)
def test_change_registers_one_revision_with_diff(aws, capsys, change, path):
    aws.describe(described())
    aws.stub.add_response("register_task_definition", described(revision=4), None)
    failed, result = run(args(**change), capsys, diff=True)
    assert not failed and result["changed"] and result["registered"]
    assert path in result["changes"]
    assert result["task_definition"] == f"{FAMILY}:4"
    assert result["diff"]["before"] != result["diff"]["after"]


def test_check_mode_reports_without_writing(aws, capsys):
    aws.describe(described())
    failed, result = run(args(container_definitions=[container(image="repo/djangoapp:def")]), capsys, check_mode=True)
    assert not failed and result["changed"]
    assert result["task_definition"] == f"{FAMILY}:4" and result["task_definition_arn"] is None


def test_inactive_latest_counts_as_missing(aws, capsys):
    response = described()
    response["taskDefinition"]["status"] = "INACTIVE"
    aws.describe(response)
    failed, result = run(args(), capsys, check_mode=True)
    assert not failed and result["changed"] and result["registered"]


def test_tag_change_updates_in_place(aws, capsys):
    aws.describe(described())
    aws.stub.add_response("tag_resource", {}, {"resourceArn": arn(3), "tags": [{"key": "team", "value": "web"}]})
    failed, result = run(args(tags={"fargate:stack": "djangoapp", "team": "web"}), capsys)
    assert not failed and result["changed"] and not result["registered"]
    assert result["changes"] == ["tags"]


def test_keep_revisions_deregisters_older(aws, capsys):
    aws.describe(described())
    aws.stub.add_response("register_task_definition", described(revision=4), None)
    aws.stub.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [arn(4), arn(3), arn(2), "arn:aws:ecs:us-east-1:1:task-definition/djangoapp-web-x:9"]},
        {"familyPrefix": FAMILY, "status": "ACTIVE", "sort": "DESC"},
    )
    aws.stub.add_response("deregister_task_definition", {}, {"taskDefinition": arn(2)})
    failed, result = run(args(container_definitions=[container(image="x/y:2")], keep_revisions=2), capsys)
    assert not failed and result["deregistered"] == [arn(2)]


def test_throttling_is_retried(aws, capsys, monkeypatch):
    """ECS answers ThrottlingException (not AWSRetry's "Throttling"): the shared ECS retry must retry it."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    aws.stub.add_client_error("describe_task_definition", "ThrottlingException", "Rate exceeded", 400)
    aws.describe(described())
    failed, result = run(args(), capsys)
    assert not failed and not result["changed"], result.get("msg")
    assert len(sleeps) == 1


def test_api_error_is_reported(aws, capsys):
    aws.stub.add_client_error("describe_task_definition", "AccessDeniedException", "no", expected_params=None)
    failed, result = run(args(), capsys)
    assert failed and "Failed to ensure task definition djangoapp-web" in result["msg"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"cpu": "256", "memory": "4096"}, "memory=4096 is not allowed with cpu=256"),
        ({"ephemeral_storage": 10}, "ephemeral_storage=10"),
        ({"family": "has space"}, "family='has space'"),
        ({"execution_role_arn": "arn:aws:iam::123:role/x"}, "executionRoleArn="),
        ({"keep_revisions": 0}, "keep_revisions=0"),
        ({"container_definitions": [dict(container(), image="")]}, "image is required"),
    ],
)
def test_bad_input_fails_before_any_call(aws, capsys, change, needle):
    failed, result = run(args(**change), capsys)
    assert failed and needle in result["msg"], result["msg"]
