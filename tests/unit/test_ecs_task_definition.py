"""ecs_task_definition through main(), on a stubbed ECS client: API calls per case, check mode, diff."""

import datetime

import boto3
import botocore.exceptions
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


def register_request(containers, tags=None):
    """The RegisterTaskDefinition request args() makes, with these containers."""
    request = {
        "family": FAMILY,
        "containerDefinitions": containers,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": EXEC_ROLE,
        "ephemeralStorage": {"sizeInGiB": 21},
        "tags": [{"key": "fargate:stack", "value": "djangoapp"}] if tags is None else tags,
    }
    return request


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
    ("change", "path", "sent"),
    [
        (
            {"container_definitions": [container(image="repo/djangoapp:def")]},
            "container.web.image",
            {"containerDefinitions": [container(image="repo/djangoapp:def")]},
        ),
        (
            {"container_definitions": [container(db_host="db2.local")]},
            "container.web.environment",
            {"containerDefinitions": [container(db_host="db2.local")]},
        ),
        ({"cpu": "512", "memory": "1024"}, "cpu", {"cpu": "512", "memory": "1024"}),
        ({"execution_role_arn": EXEC_ROLE + "-2"}, "executionRoleArn", {"executionRoleArn": EXEC_ROLE + "-2"}),
    ],
)
def test_change_registers_one_revision_with_diff(aws, capsys, change, path, sent):
    aws.describe(described())
    aws.stub.add_response(
        "register_task_definition", described(revision=4), {**register_request([container()]), **sent}
    )
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


def test_a_changed_definition_is_registered_with_the_new_containers(aws, capsys):
    aws.describe(described())
    new = container(image="repo/djangoapp:def", db_host="db2.local")
    aws.stub.add_response("register_task_definition", described(revision=4), register_request([new]))
    failed, result = run(args(container_definitions=[new]), capsys)
    assert not failed and result["registered"], result
    assert result["changes"] == ["container.web.environment", "container.web.image"]
    assert result["task_definition_arn"] == arn(4) and result["revision"] == 4


def test_environment_values_are_sent_as_strings(aws, capsys):
    """ECS environment values are strings (the compare reads 5432 as "5432"): the request says "5432" too."""
    with_int = container(image="repo/djangoapp:def")
    with_int["environment"] = [
        {"name": "DB_PORT", "value": 5432},
        {"name": "DEBUG", "value": False},
        {"name": "SECURE", "value": True},
        {"name": "EMPTY"},  # no value: left as it is
    ]
    sent = container(image="repo/djangoapp:def")
    sent["environment"] = [
        {"name": "DB_PORT", "value": "5432"},
        {"name": "DEBUG", "value": "false"},
        {"name": "SECURE", "value": "true"},
        {"name": "EMPTY"},
    ]
    aws.describe(described())
    aws.stub.add_response("register_task_definition", described(revision=4), register_request([sent]))
    failed, result = run(args(container_definitions=[with_int]), capsys)
    assert not failed, result["msg"]
    assert result["registered"] and "container.web.image" in result["changes"]


def test_an_int_environment_value_equal_to_the_registered_string_is_no_change(aws, capsys):
    same = container()
    same["environment"] = [{"name": "DB_PORT", "value": 5432}, {"name": "DB_HOST", "value": "db.local"}]
    aws.describe(described())
    failed, result = run(args(container_definitions=[same]), capsys)
    assert not failed and not result["changed"] and result["changes"] == []


def test_tags_not_asked_for_are_purged_in_place(aws, capsys):
    response = described()
    response["tags"].append({"key": "old", "value": "x"})
    aws.describe(response)
    aws.stub.add_response("untag_resource", {}, {"resourceArn": arn(3), "tagKeys": ["old"]})
    failed, result = run(args(), capsys, diff=True)
    assert not failed and result["changed"] and not result["registered"]
    aws.stub.assert_no_pending_responses()  # UntagResource was called
    assert result["changes"] == ["tags"]
    assert result["diff"]["before"]["tags"] == {"fargate:stack": "djangoapp", "old": "x"}
    assert result["diff"]["after"]["tags"] == {"fargate:stack": "djangoapp"}


def test_purge_tags_false_keeps_other_tags(aws, capsys):
    response = described()
    response["tags"].append({"key": "old", "value": "x"})
    aws.describe(response)
    failed, result = run(args(purge_tags=False), capsys)
    assert not failed and not result["changed"] and result["changes"] == []


# ---- what the mutation run found untested ----------------------------------------------------------


def test_every_option_reaches_the_register_request(aws, capsys):
    aws.describe(error="Unable to describe task definition.")
    volumes = [{"name": "tmp"}]
    platform = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    task_role = "arn:aws:iam::123456789012:role/djangoapp-task"
    aws.stub.add_response(
        "register_task_definition",
        described(revision=1),
        {
            **register_request([container()]),
            "taskRoleArn": task_role,
            "runtimePlatform": platform,
            "volumes": volumes,
        },
    )
    failed, result = run(args(task_role_arn=task_role, runtime_platform=platform, volumes=volumes), capsys)
    assert not failed, result["msg"]
    assert result["family"] == FAMILY and result["registered"] and result["revision"] == 1


def test_ec2_definitions_default_to_bridge(aws, capsys):
    aws.describe(error="Unable to describe task definition.")
    request = {
        "family": FAMILY,
        "containerDefinitions": [container()],
        "requiresCompatibilities": ["EC2"],
        "networkMode": "bridge",
        "memory": "512",
    }
    aws.stub.add_response("register_task_definition", described(revision=1), request)
    failed, result = run(
        {"region": REGION, "family": FAMILY, "container_definitions": [container()], "memory": "512"}
        | {"requires_compatibilities": ["EC2"]},
        capsys,
    )
    assert not failed, result["msg"]


def test_first_registration_in_check_mode_is_revision_1(aws, capsys):
    aws.describe(error="Unable to describe task definition.")
    failed, result = run(args(), capsys, check_mode=True)
    assert not failed and result["changed"] and result["registered"]
    assert result["revision"] == 1 and result["task_definition"] == f"{FAMILY}:1"
    assert result["task_definition_arn"] is None
    assert "diff" not in result  # only with --diff


def test_tag_values_compare_as_strings(aws, capsys):
    response = described()
    response["tags"].append({"key": "version", "value": "2"})
    aws.describe(response)
    failed, result = run(args(tags={"fargate:stack": "djangoapp", "version": 2}), capsys)
    assert not failed and not result["changed"]
    assert "warnings" not in result


def test_tag_diff_shows_both_sides(aws, capsys):
    aws.describe(described())
    aws.stub.add_response("tag_resource", {}, {"resourceArn": arn(3), "tags": [{"key": "team", "value": "web"}]})
    failed, result = run(args(tags={"fargate:stack": "djangoapp", "team": "web"}), capsys, diff=True)
    assert not failed
    assert result["diff"]["before"] == {"tags": {"fargate:stack": "djangoapp"}}
    assert result["diff"]["after"] == {"tags": {"fargate:stack": "djangoapp", "team": "web"}}


def test_tags_in_check_mode_are_reported_not_written(aws, capsys):
    response = described()
    response["tags"].append({"key": "old", "value": "x"})
    aws.describe(response)
    failed, result = run(args(tags={"fargate:stack": "djangoapp", "team": "web"}), capsys, check_mode=True)
    assert not failed and result["changed"] and result["changes"] == ["tags"]


def test_calls_are_retried_when_the_service_is_unavailable(aws, capsys, monkeypatch):
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    unavailable = {
        "service_error_code": "ServiceUnavailable",
        "service_message": "unavailable",
        "http_status_code": 503,
    }
    aws.stub.add_client_error("describe_task_definition", **unavailable)
    response = described()
    response["tags"].append({"key": "old", "value": "x"})
    aws.describe(response)
    aws.stub.add_client_error("tag_resource", **unavailable)
    aws.stub.add_response("tag_resource", {}, None)
    aws.stub.add_client_error("untag_resource", **unavailable)
    aws.stub.add_response("untag_resource", {}, None)
    failed, result = run(args(tags={"fargate:stack": "djangoapp", "team": "web"}), capsys)
    assert not failed, result["msg"]
    assert len(sleeps) == 3


def test_register_and_deregister_are_retried(aws, capsys, monkeypatch):
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    unavailable = {
        "service_error_code": "ServiceUnavailable",
        "service_message": "unavailable",
        "http_status_code": 503,
    }
    aws.describe(described())
    aws.stub.add_client_error("register_task_definition", **unavailable)
    aws.stub.add_response("register_task_definition", described(revision=4), None)
    aws.stub.add_response("list_task_definitions", {"taskDefinitionArns": [arn(4), arn(3)]}, None)
    aws.stub.add_client_error("deregister_task_definition", **unavailable)
    aws.stub.add_response("deregister_task_definition", {}, {"taskDefinition": arn(3)})
    failed, result = run(args(container_definitions=[container(image="x/y:2")], keep_revisions=1), capsys)
    assert not failed, result["msg"]
    assert result["deregistered"] == [arn(3)] and len(sleeps) == 2


def test_keep_revisions_1_is_accepted(aws, capsys):
    aws.describe(described())
    failed, result = run(args(keep_revisions=1), capsys)
    assert not failed and not result["changed"] and "deregistered" not in result


def test_every_invalid_option_is_reported_at_once(aws, capsys):
    failed, result = run(args(family="has space", keep_revisions=0), capsys)
    assert failed
    assert result["errors"] == [
        "family='has space' is invalid: use 1-255 letters, digits, hyphens or underscores",
        "keep_revisions=0 is invalid: use 1 or more (or omit it to keep every revision)",
    ]
    assert result["msg"] == "Invalid task definition: " + "; ".join(result["errors"])


def test_api_error_carries_the_boto3_error(aws, capsys):
    aws.stub.add_client_error("describe_task_definition", "AccessDeniedException", "no", expected_params=None)
    failed, result = run(args(), capsys)
    assert failed and result["error"]["code"] == "AccessDeniedException"


@pytest.mark.parametrize(
    ("code", "message", "missing"),
    [
        ("ClientException", "Unable to describe task definition.", True),
        ("ClientException", "The specified task definition does not exist.", True),
        ("InvalidParameterException", "Family not found", True),
        ("ResourceNotFoundException", "Task definition NOT FOUND", True),
        ("ClientException", "Too many requests", False),
        ("AccessDeniedException", "Unable to describe task definition.", False),
    ],
)
def test_is_not_found(code, message, missing):
    error = botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "DescribeTaskDefinition")
    assert mod.is_not_found(error) is missing


def test_a_describe_error_that_is_not_missing_fails(aws, capsys):
    aws.describe(error="Too many requests")
    failed, result = run(args(), capsys)
    assert failed and result["msg"].startswith("Failed to ensure task definition djangoapp-web: ")


def test_keep_revisions_orders_by_revision_not_by_the_answer(aws, capsys):
    """An answer listing oldest first (moto ignores sort=DESC) must not deregister the revision just registered."""
    aws.describe(described())
    aws.stub.add_response("register_task_definition", described(revision=10), None)
    aws.stub.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [arn(2), arn(3), arn(9), arn(10)]},
        {"familyPrefix": FAMILY, "status": "ACTIVE", "sort": "DESC"},
    )
    aws.stub.add_response("deregister_task_definition", {}, {"taskDefinition": arn(3)})
    aws.stub.add_response("deregister_task_definition", {}, {"taskDefinition": arn(2)})
    failed, result = run(args(container_definitions=[container(image="x/y:2")], keep_revisions=2), capsys)
    assert not failed, result.get("msg")
    assert result["revision"] == 10 and result["deregistered"] == [arn(3), arn(2)]
