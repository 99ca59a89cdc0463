"""ecs_run_task end to end through main(), on stubbed boto3 clients (botocore Stubber) and a fake clock."""

import datetime
import json
import re

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import ANY, Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import ecs_run_task as mod
from fakes import FakeClock

REGION = "us-east-1"
CLUSTER = "djangoapp"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:123456789012:cluster/{CLUSTER}"
TD_ARN = f"arn:aws:ecs:{REGION}:123456789012:task-definition/djangoapp-migrate:3"
TASK_ARN = f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/0123456789abcdef"
OTHER_ARN = f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/fedcba9876543210"
STARTED = datetime.datetime(2026, 1, 1, 10, 0, 0, tzinfo=datetime.UTC)
LOG_GROUP = "/ecs/djangoapp"
STREAM = "django-migration/migrate/0123456789abcdef"


def snake(network: dict) -> dict:
    """The module's result form of a boto3 networkConfiguration (snake_case keys, values as they are)."""
    config = network["awsvpcConfiguration"]
    names = {"subnets": "subnets", "securityGroups": "security_groups", "assignPublicIp": "assign_public_ip"}
    return {"awsvpc_configuration": {names[k]: v for k, v in config.items()}}


NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}


class Aws:
    def __init__(self):
        creds = dict(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        self.ecs = boto3.client("ecs", **creds)
        self.logs = boto3.client("logs", **creds)
        self.ecs_stub = Stubber(self.ecs)
        self.logs_stub = Stubber(self.logs)
        self.clients_made = []
        self.clock = FakeClock()
        self.retry_sleeps = []

    def add(self, method, response=None, params=None):
        self.ecs_stub.add_response(method, response or {}, params)

    def error(self, method, code, message="boom", params=None, stub=None):
        (stub or self.ecs_stub).add_client_error(method, code, message, expected_params=params)


@pytest.fixture
def aws(monkeypatch):
    state = Aws()

    def fake_client(self, service, retry_decorator=None, **extra):
        state.clients_made.append((service, extra))
        client = {"ecs": state.ecs, "logs": state.logs}[service]
        return client if retry_decorator is None else RetryingBotoClientWrapper(client, retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    monkeypatch.setattr(mod, "CLOCK", state.clock)
    monkeypatch.setattr(mod, "SLEEP", state.clock.sleep)
    monkeypatch.setattr(cloud.time, "sleep", state.retry_sleeps.append)
    with state.ecs_stub, state.logs_stub:
        yield state
        state.ecs_stub.assert_no_pending_responses()
        state.logs_stub.assert_no_pending_responses()


def run(args, capsys, check_mode=False):
    """Run main() with ``args``; returns (failed, result)."""
    full = {"region": REGION, "cluster": CLUSTER, "task_definition": "djangoapp-migrate", **args}
    if check_mode:
        full["_ansible_check_mode"] = True
    with patch_module_args(full), pytest.raises(SystemExit) as exit_info:
        mod.main()
    result = json.loads(capsys.readouterr().out)
    return exit_info.value.code != 0, result


# ---- response builders --------------------------------------------------------------------------


def container_def(name="migrate", essential=True, logs=True):
    definition = {"name": name, "image": "app:1", "essential": essential}
    if logs:
        definition["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": LOG_GROUP,
                "awslogs-region": REGION,
                "awslogs-stream-prefix": "django-migration",
            },
        }
    return definition


def task_definition(containers=None, network_mode="awsvpc", status="ACTIVE"):
    return {
        "taskDefinition": {
            "taskDefinitionArn": TD_ARN,
            "family": "djangoapp-migrate",
            "revision": 3,
            "status": status,
            "networkMode": network_mode,
            "containerDefinitions": containers or [container_def()],
        }
    }


def ecs_task(
    status="RUNNING", desired="RUNNING", containers=None, arn=TASK_ARN, started_by="django-ecs-run-task", **kw
):
    result = {
        "taskArn": arn,
        "clusterArn": CLUSTER_ARN,
        "taskDefinitionArn": TD_ARN,
        "lastStatus": status,
        "desiredStatus": desired,
        "startedBy": started_by,
        "createdAt": STARTED,
        "containers": containers if containers is not None else [{"name": "migrate", "lastStatus": status}],
    }
    result.update(kw)
    return result


def stopped_task(
    exit_codes=None, stop_code="EssentialContainerExited", reason="Essential container in task exited", **kw
):
    exit_codes = exit_codes if exit_codes is not None else {"migrate": 0}
    containers = []
    for name, code in exit_codes.items():
        entry = {"name": name, "lastStatus": "STOPPED"}
        if code is not None:
            entry["exitCode"] = code
        containers.append(entry)
    return ecs_task(
        "STOPPED",
        "STOPPED",
        containers,
        stopCode=stop_code,
        stoppedReason=reason,
        startedAt=STARTED,
        stoppedAt=STARTED + datetime.timedelta(seconds=37.5),
        **kw,
    )


def prelude(aws, containers=None, service=False, running=(), network_mode="awsvpc"):
    """The calls before RunTask: cluster, task definition, [service], concurrency guard."""
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]}, {"clusters": [CLUSTER]})
    aws.add("describe_task_definition", task_definition(containers, network_mode), {"taskDefinition": ANY})
    if service:
        aws.add(
            "describe_services",
            {"services": [{"serviceName": "djangoapp-web", "status": "ACTIVE", "networkConfiguration": NETWORK}]},
            {"cluster": CLUSTER, "services": ["djangoapp-web"]},
        )
    aws.add(
        "list_tasks",
        {"taskArns": [t["taskArn"] for t in running]},
        {"cluster": CLUSTER, "family": "djangoapp-migrate", "desiredStatus": "RUNNING"},
    )
    if running:
        aws.add(
            "describe_tasks", {"tasks": list(running)}, {"cluster": CLUSTER, "tasks": [t["taskArn"] for t in running]}
        )


def run_task(aws, response=None, params=None):
    aws.add("run_task", response or {"tasks": [ecs_task("PROVISIONING")], "failures": []}, params or ANY_RUN)


ANY_RUN = {
    "cluster": CLUSTER,
    "taskDefinition": TD_ARN,
    "count": 1,
    "startedBy": "django-ecs-run-task",
    "clientToken": ANY,
    "launchType": "FARGATE",
    "networkConfiguration": NETWORK,
}


def describe(aws, *tasks):
    for t in tasks:
        aws.add("describe_tasks", {"tasks": [t], "failures": []}, {"cluster": CLUSTER, "tasks": [TASK_ARN]})


def log_events(aws, lines=("Operations to perform:", "No migrations to apply.")):
    aws.logs_stub.add_response(
        "get_log_events",
        {"events": [{"timestamp": 1, "message": line + "\n", "ingestionTime": 2} for line in lines]},
        {"logGroupName": LOG_GROUP, "logStreamName": STREAM, "startFromHead": False, "limit": 50},
    )


def no_stream(aws):
    aws.error(
        "get_log_events", "ResourceNotFoundException", "The specified log stream does not exist.", stub=aws.logs_stub
    )


BASE = {"subnets": ["subnet-1"], "security_groups": ["sg-1"]}


# ---- success ------------------------------------------------------------------------------------


def test_success(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, ecs_task("PENDING"), ecs_task("RUNNING"), ecs_task("DEPROVISIONING", "STOPPED"), stopped_task())
    log_events(aws)
    failed, result = run({**BASE, "container": "migrate"}, capsys)
    assert not failed, result["msg"]
    assert result["changed"] is True
    assert result["outcome"] == "success"
    assert result["task_arn"] == TASK_ARN
    assert result["task_id"] == "0123456789abcdef"
    assert result["task_definition_arn"] == TD_ARN
    assert result["last_status"] == "STOPPED"
    assert result["exit_code"] == 0
    assert result["stop_code"] == "EssentialContainerExited"
    assert result["containers"] == [
        {"name": "migrate", "exit_code": 0, "reason": None, "last_status": "STOPPED", "essential": True}
    ]
    assert result["duration_seconds"] == 37.5
    assert result["started_at"] == "2026-01-01T10:00:00+00:00"
    assert result["log_lines"] == ["Operations to perform:", "No migrations to apply."]
    assert result["logs"][0]["log_stream"] == STREAM
    assert result["describe_tasks_calls"] == 4
    assert [h["status"] for h in result["status_history"]] == ["PENDING", "RUNNING", "DEPROVISIONING", "STOPPED"]
    # 1 s, 1.5 s, 2.25 s while pending/running, then 1 s once the task is stopping.
    assert aws.clock.sleeps == [1.0, 1.5, 2.25, 1.0]
    assert result["timed_out"] is False
    assert result["network_configuration"] == snake(NETWORK)
    assert result["outcome_message"] == result["msg"] == "Task 0123456789abcdef succeeded: migrate exited 0."


def test_overrides_tags_and_capacity_provider_reach_run_task(aws, capsys):
    prelude(aws)
    run_task(
        aws,
        params={
            "cluster": CLUSTER,
            "taskDefinition": TD_ARN,
            "count": 1,
            "startedBy": "django-ecs-migrate",
            "clientToken": ANY,
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
            "platformVersion": "1.4.0",
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": ["subnet-1"],
                    "securityGroups": ["sg-1"],
                    "assignPublicIp": "ENABLED",
                }
            },
            "overrides": {
                "containerOverrides": [
                    {
                        "name": "migrate",
                        "command": ["python", "manage.py", "migrate"],
                        "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "x"}],
                    }
                ]
            },
            "tags": [{"key": "purpose", "value": "migrate"}],
            "propagateTags": "TASK_DEFINITION",
        },
    )
    args = {
        **BASE,
        "assign_public_ip": True,
        "container": "migrate",
        "command": ["python", "manage.py", "migrate"],
        "environment": {"B": "x", "A": 1},
        "capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
        "platform_version": "1.4.0",
        "started_by": "django-ecs-migrate",
        "tags": {"purpose": "migrate"},
        "propagate_tags": "TASK_DEFINITION",
        "wait": False,
    }
    failed, result = run(args, capsys)
    assert not failed, result["msg"]
    assert result["outcome"] == "started"


def test_network_from_service(aws, capsys):
    prelude(aws, service=True)
    run_task(aws)
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run({"network_from_service": "djangoapp-web"}, capsys)
    assert not failed, result["msg"]
    assert result["network_configuration"] == snake(NETWORK)


@pytest.mark.parametrize(
    ("service_setting", "override", "sent"),
    [
        ("DISABLED", True, "ENABLED"),
        ("ENABLED", False, "DISABLED"),
        ("ENABLED", None, "ENABLED"),
    ],
)
def test_assign_public_ip_overrides_the_service_network(aws, capsys, service_setting, override, sent):
    network = {
        "awsvpcConfiguration": {"subnets": ["subnet-9"], "securityGroups": ["sg-9"], "assignPublicIp": service_setting}
    }
    expected = {"awsvpcConfiguration": {"subnets": ["subnet-9"], "securityGroups": ["sg-9"], "assignPublicIp": sent}}
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]}, {"clusters": [CLUSTER]})
    aws.add("describe_task_definition", task_definition(), {"taskDefinition": "djangoapp-migrate"})
    aws.add(
        "describe_services",
        {"services": [{"serviceName": "djangoapp-web", "status": "ACTIVE", "networkConfiguration": network}]},
        {"cluster": CLUSTER, "services": ["djangoapp-web"]},
    )
    aws.add(
        "list_tasks", {"taskArns": []}, {"cluster": CLUSTER, "family": "djangoapp-migrate", "desiredStatus": "RUNNING"}
    )
    run_task(aws, params={**ANY_RUN, "networkConfiguration": expected})
    args = {"network_from_service": "djangoapp-web", "wait": False}
    if override is not None:
        args["assign_public_ip"] = override
    failed, result = run(args, capsys)
    assert not failed, result["msg"]
    assert result["network_configuration"] == snake(expected)


def test_explicit_subnets_default_to_no_public_ip(aws, capsys):
    prelude(aws)
    run_task(aws, params=ANY_RUN)  # assignPublicIp DISABLED
    failed, result = run({**BASE, "wait": False}, capsys)
    assert not failed, result["msg"]
    assert result["network_configuration"]["awsvpc_configuration"]["assign_public_ip"] == "DISABLED"


def test_ec2_bridge_task_needs_no_network(aws, capsys):
    prelude(aws, network_mode="bridge")
    run_task(
        aws,
        params={
            "cluster": CLUSTER,
            "taskDefinition": TD_ARN,
            "count": 1,
            "startedBy": "django-ecs-run-task",
            "clientToken": ANY,
            "launchType": "EC2",
        },
    )
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run({"launch_type": "EC2"}, capsys)
    assert not failed, result["msg"]
    assert "network_configuration" not in result


# ---- failures -----------------------------------------------------------------------------------


def test_run_task_failures(aws, capsys):
    prelude(aws)
    run_task(aws, {"tasks": [], "failures": [{"reason": "Capacity is unavailable at this time", "detail": "FARGATE"}]})
    failed, result = run(BASE, capsys)
    assert failed
    assert result["outcome"] == "run_task_failed"
    assert "RunTask did not start the task: Capacity is unavailable at this time (FARGATE)" in result["msg"]
    assert "Fargate has no capacity" in result["msg"]
    assert result["failures"] == [{"reason": "Capacity is unavailable at this time", "detail": "FARGATE"}]
    assert result["changed"] is False


@pytest.mark.parametrize(
    ("reason", "container_reason", "hint"),
    [
        ("CannotPullContainerError: pull image manifest has been retried 5 time(s)", None, "image"),
        ("ResourceInitializationError: unable to pull secrets or registry auth", None, "secretsmanager:GetSecretValue"),
        ("Task failed to start", "CannotStartContainerError: exec: not found", "command"),
        ("Timeout waiting for network interface provisioning to complete.", None, "stopped_reason"),
    ],
)
def test_failed_to_start(aws, capsys, reason, container_reason, hint):
    prelude(aws)
    run_task(aws)
    containers = [{"name": "migrate", "lastStatus": "STOPPED"}]
    if container_reason:
        containers[0]["reason"] = container_reason
    describe(aws, ecs_task("STOPPED", "STOPPED", containers, stopCode="TaskFailedToStart", stoppedReason=reason))
    no_stream(aws)
    failed, result = run({**BASE, "container": "migrate"}, capsys)
    assert failed
    assert result["outcome"] == "failed_to_start"
    assert "stopped before its container ran (TaskFailedToStart" in result["msg"]
    assert hint in result["msg"]
    assert result["exit_code"] is None
    assert result["stop_code"] == "TaskFailedToStart"
    assert result["logs"][0]["available"] is False
    assert "does not exist" in result["logs"][0]["message"]
    assert result["changed"] is True


def test_non_zero_exit(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, ecs_task("RUNNING"), stopped_task({"migrate": 1}))
    log_events(aws, ["Applying app.0002...", "django.db.utils.ProgrammingError: relation exists"])
    failed, result = run({**BASE, "container": "migrate"}, capsys)
    assert failed
    assert result["outcome"] == "container_failed"
    assert result["exit_code"] == 1
    assert "container 'migrate' exited with code 1" in result["msg"]
    assert "ProgrammingError: relation exists" in result["msg"]
    assert result["log_lines"][-1] == "django.db.utils.ProgrammingError: relation exists"
    # The verdict alone, for a caller that shows the log lines itself (manage.yml): no log line in it.
    assert result["outcome_message"] == (
        "Task 0123456789abcdef: container 'migrate' exited with code 1; see the log lines for the error."
    )
    assert result["msg"].startswith(result["outcome_message"] + " Last log lines: ")


def test_non_essential_sidecar_non_zero_does_not_fail(aws, capsys):
    prelude(aws, containers=[container_def(), container_def("xray", essential=False, logs=False)])
    run_task(aws)
    describe(aws, stopped_task({"migrate": 0, "xray": 2}))
    log_events(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    sidecar = [c for c in result["containers"] if c["name"] == "xray"][0]
    assert sidecar == {"name": "xray", "exit_code": 2, "reason": None, "last_status": "STOPPED", "essential": False}
    assert [log["container"] for log in result["logs"]] == ["migrate"]


def test_timeout_stops_the_task(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, *[ecs_task("RUNNING")] * 5)
    aws.add(
        "stop_task",
        {"task": ecs_task("RUNNING", "STOPPED")},
        {"cluster": CLUSTER, "task": TASK_ARN, "reason": "Timed out after 12 s (django_ecs.fargate.ecs_run_task)"},
    )
    no_stream(aws)
    failed, result = run({**BASE, "timeout": 12}, capsys)
    assert failed
    assert result["outcome"] == "timeout"
    assert result["timed_out"] is True
    assert result["stopped_by_module"] is True
    assert "did not stop within 12 s (last status RUNNING). It was stopped (StopTask)." in result["msg"]
    assert result["outcome_message"] == result["msg"]
    assert aws.clock.now == 12


def test_timeout_when_stop_task_fails(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, *[ecs_task("RUNNING")] * 3)
    aws.error(
        "stop_task",
        "AccessDeniedException",
        "not authorized to perform: ecs:StopTask",
        params={
            "cluster": CLUSTER,
            "task": TASK_ARN,
            "reason": "Timed out after 4 s (django_ecs.fargate.ecs_run_task)",
        },
    )
    no_stream(aws)
    failed, result = run({**BASE, "timeout": 4}, capsys)
    assert failed
    assert result["outcome"] == "timeout" and result["timed_out"] is True
    assert result["stopped_by_module"] is False
    assert result["msg"].startswith("Task 0123456789abcdef did not stop within 4 s (last status RUNNING). Stopping it")
    assert "Stopping it failed: " in result["msg"] and "ecs:StopTask" in result["msg"]
    assert result["msg"].endswith("; it may still be running.")
    # the task as last described, and its logs, are still reported
    assert result["last_status"] == "RUNNING" and result["task_arn"] == TASK_ARN
    assert result["logs"][0]["available"] is False


def test_timeout_without_stopping(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, *[ecs_task("RUNNING")] * 2)
    no_stream(aws)
    failed, result = run({**BASE, "timeout": 2, "stop_on_timeout": False}, capsys)
    assert failed
    assert result["stopped_by_module"] is False
    assert "still running (stop_on_timeout=false)" in result["msg"]


def test_throttling_is_retried(aws, capsys):
    prelude(aws)
    run_task(aws)
    aws.error("describe_tasks", "ThrottlingException", "Rate exceeded")
    aws.error("describe_tasks", "ThrottlingException", "Rate exceeded")
    describe(aws, stopped_task())
    aws.logs_stub.add_client_error("get_log_events", "ThrottlingException", "Rate exceeded")
    log_events(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert len(aws.retry_sleeps) == 3  # two DescribeTasks retries and one GetLogEvents retry
    assert result["describe_tasks_calls"] == 1  # one logical call, retried inside AWSRetry


# ---- clientToken and waiting for IAM --------------------------------------------------------------

SLR_MESSAGE = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
ROLE_MESSAGE = (
    "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/djangoapp-execution' that was provided for "
    "this task. Please verify that the role being passed has the proper trust relationship and permissions and "
    "that your IAM user has permissions to pass this role."
)


def record_client_tokens(aws):
    """The clientToken of every RunTask request as serialised for the wire (so one botocore generated counts)."""
    tokens = []

    def record(params, event_name, **kwargs):
        if event_name == "before-call.ecs.RunTask":
            tokens.append(json.loads(params["body"]).get("clientToken"))

    # On every call, ahead of the Stubber's own before-call handler (which answers and ends the event).
    aws.ecs.meta.events.register_first("before-call.*.*", record)
    return tokens


def test_a_retried_run_task_reuses_its_client_token(aws, capsys):
    tokens = record_client_tokens(aws)
    prelude(aws)
    # A server error after the request reached ECS: AWSRetry sends RunTask again; the same token lets ECS
    # answer with the task it already started instead of starting a second one.
    aws.error("run_task", "ServiceUnavailable", "Service Unavailable", params=ANY_RUN)
    run_task(aws)
    failed, result = run({**BASE, "wait": False}, capsys)
    assert not failed, result["msg"]
    assert len(tokens) == 2 and tokens[0] == tokens[1], tokens
    assert re.fullmatch(r"[!-~]{1,64}", tokens[0])
    assert result["client_token"] == tokens[0]
    # The next module run uses a new token (a token ECS saw succeed would return the old task for 24 h).
    prelude(aws)
    run_task(aws)
    failed, result = run({**BASE, "wait": False}, capsys)
    assert not failed and len(tokens) == 3 and tokens[2] != tokens[0]


@pytest.mark.parametrize("message", [SLR_MESSAGE, ROLE_MESSAGE], ids=["service-linked-role", "task-role"])
def test_run_task_waits_for_iam(aws, capsys, message):
    tokens = record_client_tokens(aws)
    prelude(aws)
    aws.error("run_task", "InvalidParameterException", message, params=ANY_RUN)
    run_task(aws)
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert result["outcome"] == "success"
    assert result["iam_wait_seconds"] == 5.0
    assert aws.clock.sleeps == [5.0, 1.0]  # the IAM pause, then the first task poll
    warnings = json.dumps(result["warnings"])
    assert "RunTask waited 5 s for IAM" in warnings and json.dumps(message)[1:-1] in warnings, warnings
    assert len(tokens) == 2 and tokens[0] == tokens[1]  # the refused request started nothing; same token


def test_run_task_gives_up_waiting_for_iam(aws, capsys):
    prelude(aws)
    # 5, 7.5, 11.25, 16.875 s, then 20 s pauses: 11 pauses fill the 180 s, the 12th refusal ends the wait.
    for _attempt in range(12):
        aws.error("run_task", "InvalidParameterException", SLR_MESSAGE, params=ANY_RUN)
    failed, result = run(BASE, capsys)
    assert failed
    assert result["outcome"] == "run_task_failed"
    assert "still refused after waiting 180 s for IAM" in result["msg"]
    assert "create-service-linked-role" in result["msg"]
    assert sum(aws.clock.sleeps) == pytest.approx(180) and len(aws.clock.sleeps) == 11
    assert result["iam_wait_seconds"] == 180
    assert "task_arn" not in result


def test_other_invalid_parameter_errors_are_not_retried(aws, capsys):
    prelude(aws)
    aws.error("run_task", "InvalidParameterException", "No Container Instances were found in your cluster.")
    failed, result = run(BASE, capsys)
    assert failed and "No Container Instances" in result["msg"]
    assert aws.clock.sleeps == []


def test_aws_error_is_reported_with_the_step(aws, capsys):
    prelude(aws)
    aws.error("run_task", "AccessDeniedException", "not authorized to perform: iam:PassRole")
    failed, result = run(BASE, capsys)
    assert failed
    assert result["msg"].startswith(f"Failed while running task definition {TD_ARN}")
    assert "iam:PassRole" in result["msg"]


# ---- concurrency guard --------------------------------------------------------------------------


def test_concurrent_task_fails(aws, capsys):
    other = ecs_task("RUNNING", arn=OTHER_ARN)
    # A task of someone else and a finished one are no reason to wait.
    foreign = ecs_task("RUNNING", arn=OTHER_ARN.replace("fedc", "aaaa"), started_by="ecs-svc/123")
    done = ecs_task("STOPPED", arn=OTHER_ARN.replace("fedc", "bbbb"))
    prelude(aws, running=(other, foreign, done))
    failed, result = run(BASE, capsys)
    assert failed
    assert result["outcome"] == "concurrent_task_running"
    assert result["concurrent_tasks"] == [OTHER_ARN]
    assert "fedcba9876543210 (RUNNING)" in result["msg"]
    assert result["outcome_message"] == result["msg"]
    assert result["changed"] is False


def test_other_started_by_or_stopped_tasks_do_not_block(aws, capsys):
    foreign = ecs_task("RUNNING", arn=OTHER_ARN, started_by="ecs-svc/123")
    done = ecs_task("STOPPED", arn=OTHER_ARN.replace("fedc", "bbbb"))
    prelude(aws, running=(foreign, done))
    run_task(aws)
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert result["concurrent_tasks"] == []


def test_concurrent_task_wait(aws, capsys):
    other = ecs_task("PENDING", arn=OTHER_ARN)
    prelude(aws, running=(other,))
    aws.add(
        "describe_tasks", {"tasks": [ecs_task("RUNNING", arn=OTHER_ARN)]}, {"cluster": CLUSTER, "tasks": [OTHER_ARN]}
    )
    aws.add(
        "describe_tasks",
        {"tasks": [ecs_task("STOPPED", "STOPPED", arn=OTHER_ARN)]},
        {"cluster": CLUSTER, "tasks": [OTHER_ARN]},
    )
    run_task(aws)
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run({**BASE, "concurrency": "wait"}, capsys)
    assert not failed, result["msg"]
    assert result["concurrent_tasks"] == [OTHER_ARN]
    assert result["describe_tasks_calls"] == 4


def test_concurrent_task_wait_times_out(aws, capsys):
    other = ecs_task("RUNNING", arn=OTHER_ARN)
    prelude(aws, running=(other,))
    for _poll in range(2):
        aws.add("describe_tasks", {"tasks": [other]}, {"cluster": CLUSTER, "tasks": [OTHER_ARN]})
    failed, result = run({**BASE, "concurrency": "wait", "timeout": 2}, capsys)
    assert failed
    assert "still running after 2 s of waiting" in result["msg"]


def test_concurrency_guard_reads_every_list_tasks_page(aws, capsys):
    """ListTasks pages (nextToken): a running migration on the second page still blocks the run."""
    other = ecs_task("RUNNING", arn=OTHER_ARN)
    first = [ecs_task("RUNNING", arn=OTHER_ARN.replace("fedc", f"{n:04x}"), started_by="ecs-svc/1") for n in range(2)]
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]}, {"clusters": [CLUSTER]})
    aws.add("describe_task_definition", task_definition(), {"taskDefinition": "djangoapp-migrate"})
    request = {"cluster": CLUSTER, "family": "djangoapp-migrate", "desiredStatus": "RUNNING"}
    aws.add("list_tasks", {"taskArns": [t["taskArn"] for t in first], "nextToken": "page-2"}, request)
    aws.add("list_tasks", {"taskArns": [OTHER_ARN]}, {**request, "nextToken": "page-2"})
    arns = [t["taskArn"] for t in first] + [OTHER_ARN]
    aws.add("describe_tasks", {"tasks": [*first, other]}, {"cluster": CLUSTER, "tasks": arns})
    failed, result = run(BASE, capsys)
    assert failed
    assert result["outcome"] == "concurrent_task_running"
    assert result["concurrent_tasks"] == [OTHER_ARN]


def test_concurrency_guard_describes_tasks_by_hundreds(aws, capsys):
    """DescribeTasks takes at most 100 tasks: 150 listed tasks are described in two calls."""
    listed = [f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/{n:032x}" for n in range(150)]
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]}, {"clusters": [CLUSTER]})
    aws.add("describe_task_definition", task_definition(), {"taskDefinition": "djangoapp-migrate"})
    aws.add(
        "list_tasks",
        {"taskArns": listed},
        {"cluster": CLUSTER, "family": "djangoapp-migrate", "desiredStatus": "RUNNING"},
    )
    aws.add("describe_tasks", {"tasks": []}, {"cluster": CLUSTER, "tasks": listed[:100]})
    aws.add(
        "describe_tasks", {"tasks": [ecs_task("RUNNING", arn=listed[149])]}, {"cluster": CLUSTER, "tasks": listed[100:]}
    )
    failed, result = run(BASE, capsys)
    assert failed and result["concurrent_tasks"] == [listed[149]]
    assert result["describe_tasks_calls"] == 2


def test_concurrency_allow_skips_the_guard(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    run_task(aws)
    failed, result = run({**BASE, "concurrency": "allow", "wait": False}, capsys)
    assert not failed, result["msg"]


# ---- logs ---------------------------------------------------------------------------------------


def test_log_stream_missing_is_not_an_error(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, stopped_task())
    no_stream(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert result["log_lines"] == []
    assert result["logs"][0]["available"] is False
    assert (
        result["logs"][0]["message"]
        == f"log stream {LOG_GROUP}/{STREAM} does not exist (the container never started or wrote nothing)"
    )


def test_no_log_configuration_is_not_an_error(aws, capsys):
    prelude(aws, containers=[container_def(logs=False)])
    run_task(aws)
    describe(aws, stopped_task())
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert "no awslogs log configuration" in result["logs"][0]["message"]


def test_log_read_error_is_a_warning(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, stopped_task())
    aws.logs_stub.add_client_error("get_log_events", "AccessDeniedException", "no logs:GetLogEvents")
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert "could not read logs" in result["logs"][0]["message"]
    assert "Could not read the log of container migrate" in json.dumps(result["warnings"])


def test_log_lines_zero_reads_nothing(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, stopped_task())
    failed, result = run({**BASE, "log_lines": 0}, capsys)
    assert not failed, result["msg"]
    assert result["logs"][0]["message"] == "log_lines is 0: logs not read"


def test_logs_in_another_region_use_their_own_client(aws, capsys):
    containers = [container_def()]
    containers[0]["logConfiguration"]["options"]["awslogs-region"] = "eu-west-1"
    prelude(aws, containers=containers)
    run_task(aws)
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert ("logs", {"region": "eu-west-1"}) in aws.clients_made


# ---- check mode and wait: false -----------------------------------------------------------------


def test_check_mode_runs_nothing(aws, capsys):
    prelude(aws, service=True)
    failed, result = run({"network_from_service": "djangoapp-web"}, capsys, check_mode=True)
    assert not failed, result["msg"]
    assert result["changed"] is True
    assert result["outcome"] == "check_mode"
    assert result["task_definition_arn"] == TD_ARN
    assert "task_arn" not in result


def test_check_mode_reports_a_missing_service(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    aws.add("describe_services", {"services": [], "failures": [{"arn": "djangoapp-web", "reason": "MISSING"}]})
    failed, result = run({"network_from_service": "djangoapp-web"}, capsys, check_mode=True)
    assert failed
    assert "network_from_service: service djangoapp-web not found" in result["msg"]


def test_check_mode_concurrency_wait_only_warns(aws, capsys):
    prelude(aws, running=(ecs_task("RUNNING", arn=OTHER_ARN),))
    failed, result = run({**BASE, "concurrency": "wait"}, capsys, check_mode=True)
    assert not failed, result["msg"]
    assert "The real run would wait for it." in json.dumps(result["warnings"])


def test_wait_false_returns_after_start(aws, capsys):
    prelude(aws)
    run_task(aws)
    failed, result = run({**BASE, "wait": False}, capsys)
    assert not failed, result["msg"]
    assert result["outcome"] == "started"
    assert result["last_status"] == "PROVISIONING"
    assert result["describe_tasks_calls"] == 0
    assert aws.clock.sleeps == []


# ---- what AWS says does not exist ---------------------------------------------------------------


def test_missing_cluster(aws, capsys):
    aws.add("describe_clusters", {"clusters": [], "failures": [{"arn": CLUSTER, "reason": "MISSING"}]})
    failed, result = run(BASE, capsys)
    assert failed
    assert result["msg"] == f"Cluster {CLUSTER} not found (or not ACTIVE) in region {REGION}"


def test_missing_task_definition(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.error("describe_task_definition", "ClientException", "Unable to describe task definition.")
    failed, result = run(BASE, capsys)
    assert failed
    assert "Task definition djangoapp-migrate not found" in result["msg"]


def test_inactive_task_definition(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition(status="INACTIVE"))
    failed, result = run(BASE, capsys)
    assert failed
    assert "is INACTIVE" in result["msg"]


def test_unknown_container(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    failed, result = run({**BASE, "container": "web"}, capsys)
    assert failed
    assert "container 'web' is not in task definition" in result["msg"]


def test_service_without_awsvpc(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    aws.add("describe_services", {"services": [{"serviceName": "djangoapp-web", "status": "ACTIVE"}]})
    failed, result = run({"network_from_service": "djangoapp-web"}, capsys)
    assert failed
    assert "has no awsvpc network configuration" in result["msg"]


def test_ec2_awsvpc_without_network(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    failed, result = run({"launch_type": "EC2"}, capsys)
    assert failed
    assert "uses the awsvpc network mode" in result["msg"]


# ---- option validation (no AWS call at all) ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"timeout": 0}, "timeout must be a number of seconds greater than 0, got 0"),
        ({"timeout": -5}, "got -5"),
        ({"log_lines": -1}, "log_lines must be between 0 and 10000, got -1"),
        ({"log_lines": 10001}, "got 10001"),
        (
            {"launch_type": "FARGATE", "capacity_provider_strategy": [{"capacity_provider": "FARGATE"}]},
            "launch_type (FARGATE) and capacity_provider_strategy are mutually exclusive",
        ),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1001}]}, "weight must be 0-1000"),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": -1}]}, "base must be 0-100000"),
        ({"command": ["migrate"]}, "container (its name) is required with command"),
        ({"environment": {"A": "1"}}, "container (its name) is required with environment"),
        ({"container": "migrate", "command": []}, "command must not be empty"),
        ({"started_by": "has space"}, "started_by must be 1-128 letters"),
        ({"started_by": "x" * 129}, "started_by must be 1-128"),
        ({"started_by": ""}, "started_by is required for the concurrency guard"),
    ],
)
def test_validation(aws, capsys, args, expected):
    failed, result = run({**BASE, **args}, capsys)
    assert failed
    assert result["msg"].startswith("Invalid options: ")
    assert expected in result["msg"]
    assert aws.clients_made == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, "subnets (with security_groups) or network_from_service is required"),
        ({"security_groups": ["sg-1"]}, "subnets are required with security_groups"),
        (
            {"network_from_service": "web", "subnets": ["subnet-1"], "security_groups": ["sg-1"]},
            "network_from_service (web) and subnets and security_groups are mutually exclusive",
        ),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT"}]}, "subnets"),
    ],
)
def test_network_validation(aws, capsys, args, expected):
    failed, result = run(args, capsys)
    assert failed
    assert expected in result["msg"]
    assert aws.clients_made == []


def test_validation_lists_every_problem(aws, capsys):
    failed, result = run({**BASE, "timeout": 0, "log_lines": -2}, capsys)
    assert failed
    assert len(result["errors"]) == 2


def test_ansible_type_checks_come_first(aws, capsys):
    failed, result = run({**BASE, "launch_type": "LAMBDA"}, capsys)
    assert failed
    assert "launch_type" in result["msg"]
    assert aws.clients_made == []


# ---- what the mutation run found untested ----------------------------------------------------------


def test_success_reports_every_task_field(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert result["desired_status"] == "STOPPED"
    assert result["stopped_reason"] == "Essential container in task exited"
    assert result["stopped_at"] == "2026-01-01T10:00:37.500000+00:00"
    assert result["exit_code"] == 0  # the first essential container's, no container option given
    assert result["concurrent_tasks"] == []
    assert "warnings" not in result


def test_the_exit_code_is_the_named_containers(aws, capsys):
    prelude(aws, containers=[container_def(), container_def("sidecar", essential=False, logs=False)])
    run_task(aws)
    describe(aws, stopped_task({"migrate": 0, "sidecar": 3}))
    failed, result = run({**BASE, "container": "sidecar"}, capsys)
    assert failed and result["exit_code"] == 3 and result["outcome"] == "container_failed"


@pytest.mark.parametrize(
    ("method", "prepare", "step"),
    [
        ("describe_clusters", [], "describing cluster djangoapp"),
        ("describe_task_definition", ["cluster"], "describing task definition djangoapp-migrate"),
        ("describe_services", ["cluster", "taskdef"], "describing service djangoapp-web"),
        ("list_tasks", ["cluster", "taskdef", "service"], "listing running tasks of family djangoapp-migrate"),
    ],
)
def test_aws_errors_name_the_step(aws, capsys, method, prepare, step):
    if "cluster" in prepare:
        aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    if "taskdef" in prepare:
        aws.add("describe_task_definition", task_definition())
    if "service" in prepare:
        aws.add(
            "describe_services",
            {"services": [{"serviceName": "djangoapp-web", "status": "ACTIVE", "networkConfiguration": NETWORK}]},
        )
    aws.error(method, "AccessDeniedException", "not authorized")
    failed, result = run({"network_from_service": "djangoapp-web"}, capsys)
    assert failed
    assert result["msg"].startswith(f"Failed while {step}: ")
    assert result["error"]["code"] == "AccessDeniedException"
    assert result["changed"] is False and result["concurrent_tasks"] == []  # the runner's result so far


def test_waiting_for_a_concurrent_task_error_names_it(aws, capsys):
    prelude(aws, running=(ecs_task("RUNNING", arn=OTHER_ARN),))
    aws.error("describe_tasks", "AccessDeniedException", "not authorized")
    failed, result = run({**BASE, "concurrency": "wait"}, capsys)
    assert failed and result["msg"].startswith(f"Failed while waiting for concurrent task {OTHER_ARN}: ")


def test_the_wait_step_is_named(aws, capsys):
    prelude(aws)
    run_task(aws)
    aws.error("describe_tasks", "AccessDeniedException", "not authorized")
    failed, result = run(BASE, capsys)
    assert failed and result["msg"].startswith(f"Failed while waiting for task {TASK_ARN} to stop: ")
    assert result["changed"] is True  # a task was started


def test_reads_are_retried_when_the_service_is_unavailable(aws, capsys):
    unavailable = {"code": "ServiceUnavailable", "message": "unavailable"}
    aws.error("describe_clusters", **unavailable)
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    aws.error("describe_services", **unavailable)
    aws.add(
        "describe_services",
        {"services": [{"serviceName": "djangoapp-web", "status": "ACTIVE", "networkConfiguration": NETWORK}]},
    )
    aws.error("list_tasks", **unavailable)
    aws.add("list_tasks", {"taskArns": []})
    run_task(aws)
    describe(aws, *[ecs_task("RUNNING")] * 2)
    aws.error("stop_task", **unavailable)
    aws.add("stop_task", {"task": ecs_task("RUNNING", "STOPPED")})
    no_stream(aws)
    failed, result = run({"network_from_service": "djangoapp-web", "timeout": 2}, capsys)
    assert failed and result["stopped_by_module"] is True, result["msg"]
    assert len(aws.retry_sleeps) == 4


def test_concurrent_wait_describes_the_other_task(aws, capsys):
    other = ecs_task("RUNNING", arn=OTHER_ARN)
    prelude(aws, running=(other,))
    aws.add(
        "describe_tasks",
        {"tasks": [ecs_task("STOPPED", "STOPPED", arn=OTHER_ARN)]},
        {"cluster": CLUSTER, "tasks": [OTHER_ARN]},
    )
    run_task(aws)
    failed, result = run({**BASE, "concurrency": "wait", "wait": False}, capsys)
    assert not failed, result["msg"]
    assert aws.clock.sleeps == [1.0]  # one pause (the running task's schedule), then it had stopped


def test_concurrent_wait_timeout_message(aws, capsys):
    other = ecs_task("RUNNING", arn=OTHER_ARN)
    prelude(aws, running=(other,))
    for _poll in range(2):
        aws.add("describe_tasks", {"tasks": [other]}, {"cluster": CLUSTER, "tasks": [OTHER_ARN]})
    failed, result = run({**BASE, "concurrency": "wait", "timeout": 2}, capsys)
    assert failed and result["outcome"] == "concurrent_task_running"
    assert result["msg"] == (
        "Another task of family 'djangoapp-migrate' started by 'django-ecs-run-task' is still running on this "
        "cluster: fedcba9876543210 (RUNNING). Two migrations must not run at once: wait for it (concurrency=wait) "
        "or stop it. It was still running after 2 s of waiting (concurrency=wait); nothing was started."
    )


def test_check_mode_wait_warning_text(aws, capsys):
    prelude(aws, running=(ecs_task("RUNNING", arn=OTHER_ARN),))
    failed, result = run({**BASE, "concurrency": "wait"}, capsys, check_mode=True)
    assert not failed
    assert "or stop it. The real run would wait for it." in json.dumps(result["warnings"])


def test_missing_service_message(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    aws.add("describe_services", {"services": [{"serviceName": "djangoapp-web", "status": "DRAINING"}]})
    failed, result = run({"network_from_service": "djangoapp-web"}, capsys)
    assert failed
    assert result["msg"] == "network_from_service: service djangoapp-web not found (or not ACTIVE) on cluster djangoapp"


def test_service_without_awsvpc_message(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    aws.add("describe_services", {"services": [{"serviceName": "djangoapp-web", "status": "ACTIVE"}]})
    failed, result = run({"network_from_service": "djangoapp-web"}, capsys)
    assert failed
    assert result["msg"] == (
        "network_from_service: service djangoapp-web has no awsvpc network configuration; "
        "give subnets and security_groups instead"
    )


def test_service_network_without_public_ip_setting_or_security_groups(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    network = {"awsvpcConfiguration": {"subnets": ["subnet-9"]}}
    aws.add(
        "describe_services",
        {"services": [{"serviceName": "djangoapp-web", "status": "ACTIVE", "networkConfiguration": network}]},
    )
    aws.add("list_tasks", {"taskArns": []})
    expected = {"awsvpcConfiguration": {"subnets": ["subnet-9"], "assignPublicIp": "DISABLED"}}
    run_task(aws, params={**ANY_RUN, "networkConfiguration": expected})
    failed, result = run({"network_from_service": "djangoapp-web", "wait": False}, capsys)
    assert not failed, result["msg"]


def test_ec2_awsvpc_without_network_message(aws, capsys):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]})
    aws.add("describe_task_definition", task_definition())
    failed, result = run({"launch_type": "EC2"}, capsys)
    assert failed
    assert result["msg"] == (
        f"task definition {TD_ARN} uses the awsvpc network mode: subnets (with security_groups) or "
        "network_from_service is required"
    )


def test_logs_in_the_modules_region_use_the_same_client(aws, capsys):
    prelude(aws)
    run_task(aws)
    describe(aws, stopped_task())
    log_events(aws)
    failed, result = run(BASE, capsys)
    assert not failed, result["msg"]
    assert ("logs", {}) in aws.clients_made


@pytest.mark.parametrize(
    ("args", "ok"),
    [
        ({"timeout": 1}, True),
        ({"log_lines": 10000}, True),
        ({"log_lines": 0}, True),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 0, "base": 0}]}, True),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1000, "base": 100000}]}, True),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": 100001}]}, False),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": -1}]}, False),
        ({"started_by": None, "concurrency": "allow"}, True),
        ({"started_by": None, "concurrency": "fail"}, False),
    ],
)
def test_validation_limits(args, ok):
    params = {name: spec.get("default") for name, spec in mod.ARGUMENT_SPEC.items()}
    params.update(cluster=CLUSTER, task_definition="t", **BASE, **args)
    assert (mod.validate_params(params) == []) is ok


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"timeout": 0}, "timeout must be a number of seconds greater than 0, got 0"),
        (
            {"launch_type": "EC2", "capacity_provider_strategy": [{"capacity_provider": "FARGATE"}]},
            "launch_type (EC2) and capacity_provider_strategy are mutually exclusive: set one",
        ),
        (
            {"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1001}]},
            "capacity_provider_strategy[0].weight must be 0-1000, got 1001",
        ),
        (
            {"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": -1}]},
            "capacity_provider_strategy[0].base must be 0-100000, got -1",
        ),
        (
            {"container": "migrate", "command": []},
            "command must not be empty: leave it unset to keep the task definition's command",
        ),
    ],
)
def test_validation_messages(aws, capsys, args, message):
    failed, result = run({**BASE, **args}, capsys)
    assert failed and result["errors"] == [message]
    assert result["msg"] == "Invalid options: " + message


def test_validation_messages_join(aws, capsys):
    failed, result = run({**BASE, "timeout": 0, "log_lines": -2}, capsys)
    assert failed and result["msg"] == "Invalid options: " + "; ".join(result["errors"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {},
            "subnets (with security_groups) or network_from_service is required: Fargate tasks use the awsvpc "
            "network mode",
        ),
        (
            {"security_groups": ["sg-1"]},
            "subnets are required with security_groups (got security_groups but no subnets)",
        ),
        (
            {"network_from_service": "web", "subnets": ["subnet-1"]},
            "network_from_service (web) and subnets are mutually exclusive: take the network from the service "
            "or give it explicitly",
        ),
    ],
)
def test_network_validation_messages(aws, capsys, args, message):
    failed, result = run(args, capsys)
    assert failed and result["errors"] == [message]


def test_capacity_provider_strategy_without_fargate_needs_no_subnets():
    params = {name: spec.get("default") for name, spec in mod.ARGUMENT_SPEC.items()}
    params.update(
        cluster=CLUSTER,
        task_definition="t",
        capacity_provider_strategy=[{"capacity_provider": "my-ec2", "weight": 1, "base": None}],
    )
    assert mod.validate_params(params) == []
    assert mod.uses_fargate(params) is False
    params["capacity_provider_strategy"] = [{"capacity_provider": "FARGATE_SPOT"}]
    assert mod.uses_fargate(params) is True


# ---- secrets: a one-run revision of another family --------------------------------------------------

SECRET = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:djangoapp/app-AbCdEf"
OTHER_SECRET = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:stripe-GhIjKl"
MANAGE_ARN = f"arn:aws:ecs:{REGION}:123456789012:task-definition/djangoapp-manage:7"
SECRETS_ARGS = {**BASE, "container": "migrate", "secrets_family": "djangoapp-manage", "concurrency": "allow"}


def migrate_with_secrets():
    container = container_def()
    container["secrets"] = [
        {"name": "DJANGO_SECRET_KEY", "valueFrom": f"{SECRET}:django_secret_key::"},
        {"name": "STRIPE_KEY", "valueFrom": f"{OTHER_SECRET}:api_key::"},
    ]
    return [container]


def secrets_prelude(aws):
    aws.add("describe_clusters", {"clusters": [{"clusterName": CLUSTER, "status": "ACTIVE"}]}, {"clusters": [CLUSTER]})
    aws.add("describe_task_definition", task_definition(migrate_with_secrets()), {"taskDefinition": ANY})


def expect_register(aws, secrets):
    container = container_def()
    container["secrets"] = secrets
    aws.add(
        "register_task_definition",
        {
            "taskDefinition": {
                "taskDefinitionArn": MANAGE_ARN,
                "family": "djangoapp-manage",
                "revision": 7,
                "containerDefinitions": [container],
            }
        },
        {"family": "djangoapp-manage", "networkMode": "awsvpc", "containerDefinitions": [container]},
    )


def test_secrets_run_a_one_run_revision_and_deregister_it_also_when_the_command_fails(aws, capsys):
    secrets_prelude(aws)
    expect_register(
        aws,
        [
            {"name": "DJANGO_SECRET_KEY", "valueFrom": f"{SECRET}:django_secret_key::"},
            {"name": "PASSWORD", "valueFrom": f"{SECRET}:admin_password::"},
            {"name": "STRIPE", "valueFrom": f"{OTHER_SECRET}:other::"},
            {"name": "STRIPE_KEY", "valueFrom": f"{OTHER_SECRET}:api_key::"},
        ],
    )
    run_task(aws, params={**ANY_RUN, "taskDefinition": MANAGE_ARN})
    describe(aws, stopped_task({"migrate": 2}))
    log_events(aws, ["boom"])
    aws.add("deregister_task_definition", {"taskDefinition": {}}, {"taskDefinition": MANAGE_ARN})
    secrets = {"PASSWORD": "admin_password", "STRIPE": f"{OTHER_SECRET}:other::"}
    failed, result = run({**SECRETS_ARGS, "secrets": secrets}, capsys)
    assert failed
    assert result["exit_code"] == 2
    assert result["task_definition_arn"] == MANAGE_ARN
    assert result["secrets_task_definition_deregistered"] is True
    assert result["secret_names"] == ["PASSWORD", "STRIPE"]


@pytest.mark.parametrize(
    "ref, expect",
    [
        (f"arn:aws:secretsmanager:{REGION}:123456789012:secret:elsewhere-XyZxYz", "secret:elsewhere-XyZxYz"),
        (f"arn:aws:ssm:{REGION}:123456789012:parameter/app/dsn", "parameter/app/dsn"),
    ],
)
def test_secrets_the_execution_role_cannot_read_are_refused_before_any_write(aws, capsys, ref, expect):
    secrets_prelude(aws)
    failed, result = run({**SECRETS_ARGS, "secrets": {"P": ref}}, capsys)
    assert failed
    assert "is not allowed to read P (" in result["msg"] and expect in result["msg"]
    assert "ecs_taskdefs_secrets" in result["msg"]


def test_secrets_under_check_register_nothing(aws, capsys):
    secrets_prelude(aws)
    failed, result = run({**SECRETS_ARGS, "secrets": {"P": "admin_password"}}, capsys, check_mode=True)
    assert not failed, result["msg"]
    assert result["outcome"] == "check_mode"
    assert "one-run revision of djangoapp-manage" in result["msg"]


@pytest.mark.parametrize(
    "args, expect",
    [
        ({"secrets": {"P": "k"}, "secrets_family": None}, "secrets_family is required"),
        ({"secrets": {"P": "k"}, "secrets_family": "djangoapp-migrate"}, "must differ"),
        ({"secrets": {"BAD-NAME": "k"}}, "environment variable names, got BAD-NAME"),
        ({"secrets": {"P": "not a ref"}}, "not for: P"),
        ({"secrets": {"P": "k"}, "environment": {"P": "x"}}, "P is both in environment and in secrets"),
        ({"secrets": {"P": "k"}, "container": None}, "container (its name) is required with secrets"),
    ],
)
def test_secrets_bad_options_are_refused_before_any_aws_call(aws, capsys, args, expect):
    failed, result = run({**SECRETS_ARGS, **args}, capsys)
    assert failed
    assert expect in result["msg"]
