"""ecs_service_deploy through main(), on a stubbed ECS client and a fake clock: create, no-op, update,
the emulator's dropped settings, check mode, and the rollout wait (completed, failed, rolled back, timeout)."""

import datetime
import json

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import ecs_service_deploy as mod
from fakes import FakeClock, run_module, serve_clients

REGION = "us-east-1"
ACCOUNT = "123456789012"
CLUSTER = "djangoapp"
NAME = "djangoapp-web"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{NAME}"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/djangoapp-web/0123456789abcdef"
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def td_arn(revision):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/djangoapp-web:{revision}"


def args(**kw):
    base = {
        "region": REGION,
        "cluster": CLUSTER,
        "name": NAME,
        "task_definition": "djangoapp-web:2",
        "desired_count": 1,
        "subnets": ["subnet-b", "subnet-a"],
        "security_groups": ["sg-1"],
        "assign_public_ip": True,
        "load_balancers": [{"target_group_arn": TG, "container_name": "web", "container_port": 8000}],
        "health_check_grace_period_seconds": 60,
        "tags": {"fargate:stack": "djangoapp"},
        "wait": False,
    }
    base.update(kw)
    return base


def deployment(revision=2, status="PRIMARY", state="COMPLETED", running=1, desired=1, reason=None):
    d = {
        "id": f"ecs-svc/{revision}",
        "status": status,
        "taskDefinition": td_arn(revision),
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": desired - running,
        "failedTasks": 0,
        "rolloutState": state,
    }
    if reason:
        d["rolloutStateReason"] = reason
    return d


def service(revision=2, deployments=None, drop=(), **kw):
    """A DescribeServices service matching args() (minus the keys in ``drop``, as moto's CreateService does)."""
    s = {
        "serviceArn": SERVICE_ARN,
        "serviceName": NAME,
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
        "status": "ACTIVE",
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "taskDefinition": td_arn(revision),
        "desiredCount": 1,
        "runningCount": 1,
        "pendingCount": 0,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "securityGroups": ["sg-1"],
                "assignPublicIp": "ENABLED",
            }
        },
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 8000}],
        "healthCheckGracePeriodSeconds": 60,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "propagateTags": "SERVICE",
        "enableExecuteCommand": False,
        "deployments": deployments if deployments is not None else [deployment(revision)],
        "events": [{"id": "1", "createdAt": T0, "message": "(service djangoapp-web) has reached a steady state."}],
        "tags": [{"key": "fargate:stack", "value": "djangoapp"}],
    }
    for key in drop:
        s.pop(key, None)
    s.update(kw)
    return s


def aws_service(revision=2, **kw):
    """service() as real DescribeServices answers it (the AWS CLI's update-service example output, plus what AWS
    fills in on a service created by this module; the Stubber checks it against botocore's model): deployment
    controller, AZ rebalancing ENABLED (the default for new services), strategy ROLLING, alarms off, platform
    family, empty placement lists, managed tags off, the service-linked role. None of it is managed here."""
    s = service(revision, **kw)
    s["deploymentConfiguration"].update(
        alarms={"alarmNames": [], "rollback": False, "enable": False}, strategy="ROLLING", bakeTimeInMinutes=0
    )
    s["deployments"][0].update(
        platformVersion="1.4.0",
        platformFamily="Linux",
        launchType="FARGATE",
        networkConfiguration=s["networkConfiguration"],
        createdAt=T0,
        updatedAt=T0,
        rolloutStateReason=f"ECS deployment ecs-svc/{revision} completed.",
    )
    s.update(
        serviceRegistries=[],
        platformFamily="Linux",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
        createdAt=T0,
        createdBy=f"arn:aws:iam::{ACCOUNT}:role/deployer",
        placementConstraints=[],
        placementStrategy=[],
        schedulingStrategy="REPLICA",
        deploymentController={"type": "ECS"},
        enableECSManagedTags=False,
        availabilityZoneRebalancing="ENABLED",
    )
    return s


class Aws:
    def __init__(self):
        self.ecs = boto3.client("ecs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        self.stub = Stubber(self.ecs)
        self.iam = boto3.client("iam", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        self.iam_stub = Stubber(self.iam)
        self.clock = FakeClock()
        self.calls = []  # every operation of both clients, in order
        for client in (self.ecs, self.iam):
            client.meta.events.register("before-parameter-build.*.*", self._record)

    def _record(self, model, **_):
        self.calls.append(model.name)

    def service_linked_role(self, error=None):
        """CreateServiceLinkedRole(ecs.amazonaws.com) answered as IAM does: created, or an error (code, message)."""
        expected = {"AWSServiceName": "ecs.amazonaws.com"}
        if error:
            code, message, status = error
            self.iam_stub.add_client_error(
                "create_service_linked_role", code, message, http_status_code=status, expected_params=expected
            )
            return
        role = {
            "Path": "/aws-service-role/ecs.amazonaws.com/",
            "RoleName": "AWSServiceRoleForECS",
            "RoleId": "AROAEXAMPLEID1234567",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            "CreateDate": T0,
        }
        self.iam_stub.add_response("create_service_linked_role", {"Role": role}, expected)

    def describe(self, svc, failures=None):
        self.stub.add_response(
            "describe_services",
            {"services": [svc] if svc else [], "failures": failures or []},
            {"cluster": CLUSTER, "services": [NAME], "include": ["TAGS"]},
        )


@pytest.fixture
def aws(monkeypatch):
    state = Aws()

    serve_clients(monkeypatch, {"ecs": state.ecs, "iam": state.iam})
    monkeypatch.setattr(mod, "CLOCK", state.clock)
    monkeypatch.setattr(mod, "SLEEP", state.clock.sleep)
    with state.stub, state.iam_stub:
        yield state
        state.stub.assert_no_pending_responses()
        state.iam_stub.assert_no_pending_responses()


def run(module_args, capsys, check_mode=False, diff=False):
    return run_module(mod.main, module_args, capsys, check_mode, diff)


# ---- create / no-op / update ---------------------------------------------------------------------


def test_no_op_is_one_describe(aws, capsys):
    aws.describe(service())
    failed, result = run(args(wait=True), capsys)
    assert not failed and not result["changed"] and result["changes"] == []
    assert result["rollout_state"] == "completed" and not result["rollout_awaited"]
    assert result["rollout_message"] == "rollout COMPLETED (running 1/1, pending 0, failed tasks 0)"
    assert result["service_arn"] == SERVICE_ARN and result["service"]["service_name"] == NAME


def test_no_op_on_a_real_aws_response_is_one_describe(aws, capsys):
    aws.describe(aws_service())
    failed, result = run(args(wait=True), capsys)
    assert not failed and not result["changed"] and result["changes"] == [], result.get("changes")
    assert result["rollout_state"] == "completed"


def test_change_on_a_real_aws_response_updates_only_it(aws, capsys):
    aws.describe(aws_service())
    aws.stub.add_response(
        "update_service",
        {"service": aws_service(3)},
        {"cluster": CLUSTER, "service": NAME, "taskDefinition": "djangoapp-web:3"},
    )
    failed, result = run(args(task_definition="djangoapp-web:3"), capsys)
    assert not failed and result["changes"] == ["task_definition"]


def test_throttling_is_retried(aws, capsys, monkeypatch):
    """ECS answers ThrottlingException (not AWSRetry's "Throttling"): the shared ECS retry must retry it."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    aws.stub.add_client_error("describe_services", "ThrottlingException", "Rate exceeded", 400)
    aws.describe(service())
    failed, result = run(args(), capsys)
    assert not failed and not result["changed"], result.get("msg")
    assert len(sleeps) == 1


def test_create_sends_everything_once_on_aws(aws, capsys):
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    aws.stub.add_response(
        "create_service",
        {"service": service(deployments=[deployment(state="IN_PROGRESS", running=0)], runningCount=0)},
        {
            "cluster": CLUSTER,
            "serviceName": NAME,
            "launchType": "FARGATE",
            "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "ECS"},
            "taskDefinition": "djangoapp-web:2",
            "desiredCount": 1,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": ["subnet-a", "subnet-b"],
                    "securityGroups": ["sg-1"],
                    "assignPublicIp": "ENABLED",
                }
            },
            "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 8000}],
            "healthCheckGracePeriodSeconds": 60,
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
            },
            "platformVersion": "LATEST",
            "propagateTags": "SERVICE",
            "enableExecuteCommand": False,
            "tags": [{"key": "fargate:stack", "value": "djangoapp"}],
        },
    )
    failed, result = run(args(), capsys)
    assert not failed and result["changed"] and result["created"]
    assert "fixed_after_create" not in result
    assert result["rollout_state"] == "not_awaited" and not result["rollout_awaited"]
    assert result["rollout_message"] == "service ACTIVE, running 0/1, PRIMARY deployment IN_PROGRESS"


def test_create_fixes_what_the_emulator_dropped(aws, capsys):
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    dropped = service(drop=("healthCheckGracePeriodSeconds", "deploymentConfiguration"))
    aws.stub.add_response("create_service", {"service": dropped}, None)
    aws.stub.add_response(
        "update_service",
        {"service": service()},
        {
            "cluster": CLUSTER,
            "service": NAME,
            "healthCheckGracePeriodSeconds": 60,
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
            },
        },
    )
    failed, result = run(args(), capsys)
    assert not failed and result["created"]
    assert result["fixed_after_create"] == ["health_check_grace_period_seconds", "deployment_configuration"]


@pytest.mark.parametrize(
    ("change", "key", "update"),
    [
        ({"task_definition": "djangoapp-web:3"}, "task_definition", {"taskDefinition": "djangoapp-web:3"}),
        ({"desired_count": 2}, "desired_count", {"desiredCount": 2}),
        (
            {"health_check_grace_period_seconds": 90},
            "health_check_grace_period_seconds",
            {"healthCheckGracePeriodSeconds": 90},
        ),
        ({"platform_version": "1.4.0"}, "platform_version", {"platformVersion": "1.4.0"}),
        ({"propagate_tags": "NONE"}, "propagate_tags", {"propagateTags": "NONE"}),
        ({"enable_execute_command": True}, "enable_execute_command", {"enableExecuteCommand": True}),
        (
            {"assign_public_ip": False},
            "network_configuration",
            {
                "networkConfiguration": {
                    "awsvpcConfiguration": {
                        "subnets": ["subnet-a", "subnet-b"],
                        "securityGroups": ["sg-1"],
                        "assignPublicIp": "DISABLED",
                    }
                }
            },
        ),
        (
            {"circuit_breaker_rollback": False},
            "deployment_configuration",
            {
                "deploymentConfiguration": {
                    "deploymentCircuitBreaker": {"enable": True, "rollback": False},
                    "minimumHealthyPercent": 100,
                    "maximumPercent": 200,
                }
            },
        ),
        (
            {"load_balancers": [{"target_group_arn": TG, "container_name": "web", "container_port": 8080}]},
            "load_balancers",
            {"loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 8080}]},
        ),
    ],
)
def test_update_sends_only_what_differs(aws, capsys, change, key, update):
    aws.describe(service())
    aws.stub.add_response("update_service", {"service": service()}, {"cluster": CLUSTER, "service": NAME, **update})
    failed, result = run(args(**change), capsys, diff=True)
    assert not failed and result["changed"] and result["changes"] == [key]
    assert key in result["diff"]["before"]


SLR_MESSAGE = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."


def test_create_waits_for_the_service_linked_role(aws, capsys):
    """A fresh account: the first CreateCluster created AWSServiceRoleForECS seconds ago, CreateService is refused."""
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    aws.stub.add_client_error("create_service", "InvalidParameterException", SLR_MESSAGE, 400)
    aws.stub.add_response("create_service", {"service": aws_service()}, None)
    failed, result = run(args(), capsys)
    assert not failed and result["created"], result.get("msg")
    assert result["iam_wait_seconds"] == 5.0 and aws.clock.sleeps == [5.0]
    warnings = json.dumps(result["warnings"])
    assert "CreateService waited 5 s for IAM" in warnings and SLR_MESSAGE in warnings


def test_update_waits_for_iam(aws, capsys):
    aws.describe(aws_service())
    aws.stub.add_client_error("update_service", "InvalidParameterException", SLR_MESSAGE, 400)
    aws.stub.add_client_error("update_service", "InvalidParameterException", SLR_MESSAGE, 400)
    aws.stub.add_response("update_service", {"service": aws_service(3)}, None)
    failed, result = run(args(task_definition="djangoapp-web:3"), capsys)
    assert not failed and result["changes"] == ["task_definition"], result.get("msg")
    assert aws.clock.sleeps == [5.0, 7.5] and result["iam_wait_seconds"] == 12.5
    assert "UpdateService waited 12 s for IAM (2 refused attempt(s)" in json.dumps(result["warnings"])


def test_create_gives_up_waiting_for_iam(aws, capsys):
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    for _attempt in range(12):  # 11 pauses (5, 7.5, 11.25, 16.875, then 20 s) fill the 180 s
        aws.stub.add_client_error("create_service", "InvalidParameterException", SLR_MESSAGE, 400)
    failed, result = run(args(), capsys)
    assert failed and "CreateService was still refused after waiting 180 s for IAM" in result["msg"]
    assert "create-service-linked-role" in result["msg"]
    assert sum(aws.clock.sleeps) == pytest.approx(180) and result["iam_wait_seconds"] == 180


def test_other_invalid_parameter_errors_are_not_retried(aws, capsys):
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    aws.stub.add_client_error(
        "create_service",
        "InvalidParameterException",
        "The target group does not have an associated load balancer.",
        400,
    )
    failed, result = run(args(), capsys)
    assert failed and "does not have an associated load balancer" in result["msg"]
    assert aws.clock.sleeps == []


def test_desired_count_left_to_autoscaling(aws, capsys):
    aws.describe(service(desiredCount=3))
    failed, result = run(args(manage_desired_count=False), capsys)
    assert not failed and not result["changed"]


def test_tags_update_in_place(aws, capsys):
    aws.describe(service())
    aws.stub.add_response("tag_resource", {}, {"resourceArn": SERVICE_ARN, "tags": [{"key": "team", "value": "web"}]})
    failed, result = run(args(tags={"fargate:stack": "djangoapp", "team": "web"}), capsys)
    assert not failed and result["changes"] == ["tags"]


def test_check_mode_reports_without_writing(aws, capsys):
    aws.describe(service())
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True), capsys, check_mode=True)
    assert not failed and result["changed"] and result["changes"] == ["task_definition"]
    assert not result["rollout_awaited"]


def test_check_mode_on_a_fresh_stack(aws, capsys):
    aws.stub.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    failed, result = run(args(), capsys, check_mode=True)
    assert not failed and result["changed"] and result["rollout_state"] == "not_deployed"


def test_missing_cluster_fails_clearly(aws, capsys):
    aws.stub.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    failed, result = run(args(), capsys)
    assert failed and "Cluster 'djangoapp' not found" in result["msg"]


# ---- cluster -------------------------------------------------------------------------------------


def cluster_args(**kw):
    base = {"region": REGION, "cluster": CLUSTER, "create_cluster": True, "container_insights": "enabled"}
    base.update(kw)
    return base


def describe_cluster(aws, clusters):
    aws.stub.add_response(
        "describe_clusters",
        {"clusters": clusters, "failures": []},
        {"clusters": [CLUSTER], "include": ["SETTINGS", "TAGS"]},
    )


def test_cluster_created_then_no_op(aws, capsys):
    describe_cluster(aws, [])
    aws.service_linked_role()
    aws.stub.add_response(
        "create_cluster",
        {"cluster": {"clusterName": CLUSTER, "status": "ACTIVE"}},
        {"clusterName": CLUSTER, "settings": [{"name": "containerInsights", "value": "enabled"}]},
    )
    failed, result = run(cluster_args(), capsys)
    assert not failed and result["changed"] and result["created"]
    # No capacityProviders key (as moto answers): no KeyError, no change.
    describe_cluster(
        aws,
        [{"clusterName": CLUSTER, "status": "ACTIVE", "settings": [{"name": "containerInsights", "value": "enabled"}]}],
    )
    failed, result = run(cluster_args(), capsys)
    assert not failed and not result["changed"]


def test_cluster_insights_updated(aws, capsys):
    describe_cluster(aws, [{"clusterName": CLUSTER, "status": "ACTIVE", "settings": []}])
    aws.stub.add_response(
        "update_cluster_settings",
        {"cluster": {}},
        {"cluster": CLUSTER, "settings": [{"name": "containerInsights", "value": "enabled"}]},
    )
    failed, result = run(cluster_args(), capsys)
    assert not failed and result["changes"] == ["cluster_container_insights"]


def test_cluster_only_returns_cluster_tags_as_a_dict(aws, capsys):
    describe_cluster(
        aws,
        [
            {
                "clusterName": CLUSTER,
                "status": "ACTIVE",
                "settings": [{"name": "containerInsights", "value": "enabled"}],
                "tags": [{"key": "fargate:migrated", "value": "djangoapp-migrate:3"}],
            }
        ],
    )
    failed, result = run(cluster_args(), capsys)
    assert not failed and not result["changed"]
    assert result["cluster_status"] == "ACTIVE"
    assert result["cluster_tags"] == {"fargate:migrated": "djangoapp-migrate:3"}
    assert "service_name" not in result  # cluster-only: no service call (the stubber has none queued)


# ---- rollout wait --------------------------------------------------------------------------------


def start_update(aws):
    aws.describe(service())
    aws.stub.add_response(
        "update_service",
        {
            "service": service(
                3, deployments=[deployment(3, state="IN_PROGRESS", running=0), deployment(2, status="ACTIVE")]
            )
        },
        None,
    )


def test_wait_until_completed(aws, capsys):
    start_update(aws)
    aws.describe(
        service(3, deployments=[deployment(3, state="IN_PROGRESS", running=0), deployment(2, status="ACTIVE")])
    )
    aws.describe(service(3, deployments=[deployment(3, state="COMPLETED", running=1)]))
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True), capsys)
    assert not failed and result["rollout_state"] == "completed" and result["rollout_awaited"]
    assert aws.clock.sleeps == [5.0]


def test_wait_fails_with_reason_and_events(aws, capsys):
    start_update(aws)
    failed_svc = service(
        3,
        deployments=[
            deployment(3, state="FAILED", running=0, reason="ECS deployment circuit breaker: tasks failed to start.")
        ],
        events=[
            {
                "id": "2",
                "createdAt": T0,
                "message": "(service djangoapp-web) deployment failed: tasks failed to start.",
            },
            {"id": "1", "createdAt": T0, "message": "(service djangoapp-web) has started 1 tasks."},
        ],
    )
    aws.describe(failed_svc)
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True, failure_events=1), capsys)
    assert failed and result["rollout_state"] == "failed"
    assert "tasks failed to start" in result["msg"]
    assert "deployment failed" in result["msg"] and "has started 1 tasks" not in result["msg"]
    assert len(result["events"]) == 1


def test_wait_fails_on_rollback(aws, capsys):
    start_update(aws)
    aws.describe(
        service(
            3,
            deployments=[
                deployment(2, state="IN_PROGRESS", running=1),
                deployment(3, status="ACTIVE", state="FAILED", reason="circuit breaker: rolling back"),
            ],
            taskDefinition=td_arn(2),
        )
    )
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True), capsys)
    assert failed and result["rollout_state"] == "rolled_back"
    assert "rolled back" in result["msg"] and "djangoapp-web:2" in result["msg"]


def test_wait_times_out(aws, capsys):
    start_update(aws)
    in_progress = service(3, deployments=[deployment(3, state="IN_PROGRESS", running=0)])
    for _poll in range(4):  # 5 + 7.5 + 7.5 = 20 s of sleeps, then the deadline
        aws.describe(in_progress)
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True, wait_timeout=20), capsys)
    assert failed and result["rollout_state"] == "timeout"
    assert "timed out after 20 s" in result["msg"]
    assert sum(aws.clock.sleeps) == pytest.approx(20)


def test_no_wait_after_no_op(aws, capsys):
    aws.describe(service(deployments=[deployment(state="IN_PROGRESS", running=0)]))
    failed, result = run(args(wait=True), capsys)
    assert not failed and not result["changed"] and not result["rollout_awaited"]
    # how the last rollout stands, from the one DescribeServices (no second call queued)
    assert result["rollout_state"] == "in_progress"
    assert result["rollout_message"] == "rollout IN_PROGRESS (running 0/1, pending 1, failed tasks 0)"
    assert aws.clock.sleeps == []


def test_no_op_reports_a_failed_last_rollout_without_failing(aws, capsys):
    reason = "ECS deployment circuit breaker: tasks failed to start."
    aws.describe(service(deployments=[deployment(state="FAILED", running=0, reason=reason)]))
    failed, result = run(args(wait=True), capsys)
    assert not failed and not result["changed"]
    assert result["rollout_state"] == "failed"
    assert result["rollout_message"] == f"rollout FAILED: {reason} (running 0/1, pending 1, failed tasks 0)"


def test_no_op_with_wait_false_reports_the_raw_deployment(aws, capsys):
    aws.describe(service(deployments=[deployment(state="IN_PROGRESS", running=0)], runningCount=0))
    failed, result = run(args(wait=False), capsys)
    assert not failed and not result["changed"]
    assert result["rollout_state"] == "not_awaited" and not result["rollout_awaited"]
    assert result["rollout_message"] == "service ACTIVE, running 0/1, PRIMARY deployment IN_PROGRESS"


# ---- force_new_deployment, launch type, tags -----------------------------------------------------


def test_force_new_deployment_alone_is_sent(aws, capsys):
    aws.describe(service())
    aws.stub.add_response(
        "update_service", {"service": service()}, {"cluster": CLUSTER, "service": NAME, "forceNewDeployment": True}
    )
    failed, result = run(args(force_new_deployment=True), capsys, diff=True)
    assert not failed and result["changed"] and result["changes"] == ["force_new_deployment"]
    assert result["diff"]["after"]["force_new_deployment"] is True


def test_force_new_deployment_with_a_new_revision(aws, capsys):
    aws.describe(service())
    aws.stub.add_response(
        "update_service",
        {"service": service(3)},
        {"cluster": CLUSTER, "service": NAME, "taskDefinition": "djangoapp-web:3", "forceNewDeployment": True},
    )
    failed, result = run(args(task_definition="djangoapp-web:3", force_new_deployment=True), capsys)
    assert not failed and result["changes"] == ["task_definition", "force_new_deployment"]


def test_force_new_deployment_in_check_mode_writes_nothing(aws, capsys):
    aws.describe(service())
    failed, result = run(args(force_new_deployment=True), capsys, check_mode=True)
    assert not failed and result["changed"] and result["changes"] == ["force_new_deployment"]


@pytest.mark.parametrize("launch_type", ["EC2", "EXTERNAL"])
def test_a_service_of_another_launch_type_is_refused(aws, capsys, launch_type):
    aws.describe(service(launchType=launch_type, desiredCount=3))
    failed, result = run(args(), capsys)
    assert failed
    assert f"uses launch type {launch_type!r}, not FARGATE" in result["msg"]
    assert "delete the service first" in result["msg"]


def test_a_service_without_launch_type_is_managed(aws, capsys):
    """A capacity-provider service has no launchType: it is updated like a FARGATE one."""
    aws.describe(service(drop=("launchType",)))
    aws.stub.add_response(
        "update_service", {"service": service()}, {"cluster": CLUSTER, "service": NAME, "desiredCount": 2}
    )
    failed, result = run(args(desired_count=2), capsys)
    assert not failed and result["changes"] == ["desired_count"]


def test_service_tags_not_asked_for_are_purged(aws, capsys):
    aws.describe(service(tags=[{"key": "fargate:stack", "value": "djangoapp"}, {"key": "old", "value": "x"}]))
    aws.stub.add_response("untag_resource", {}, {"resourceArn": SERVICE_ARN, "tagKeys": ["old"]})
    failed, result = run(args(), capsys, diff=True)
    assert not failed and result["changed"] and result["changes"] == ["tags"]
    aws.stub.assert_no_pending_responses()  # UntagResource was called
    assert result["diff"]["before"]["tags"] == {"fargate:stack": "djangoapp", "old": "x"}
    assert result["diff"]["after"]["tags"] == {"fargate:stack": "djangoapp"}


def test_service_tags_kept_with_purge_tags_false(aws, capsys):
    aws.describe(service(tags=[{"key": "fargate:stack", "value": "djangoapp"}, {"key": "old", "value": "x"}]))
    failed, result = run(args(purge_tags=False), capsys)
    assert not failed and not result["changed"] and result["changes"] == []


def test_service_tags_changed_after_an_update_use_the_described_tags(aws, capsys):
    """UpdateService answers without tags: the tag compare still uses the described ones (no TagResource)."""
    aws.describe(service())
    answer = service(3)
    answer.pop("tags")
    aws.stub.add_response(
        "update_service",
        {"service": answer},
        {"cluster": CLUSTER, "service": NAME, "taskDefinition": "djangoapp-web:3"},
    )
    failed, result = run(args(task_definition="djangoapp-web:3"), capsys)
    assert not failed and result["changes"] == ["task_definition"]


# ---- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"desired_count": -1}, "desired_count=-1"),
        ({"task_definition": "djangoapp-web"}, "task_definition='djangoapp-web'"),
        ({"subnets": ["nope"]}, "subnets="),
        ({"security_groups": []}, "security_groups="),
        ({"minimum_healthy_percent": 150}, "minimum_healthy_percent=150"),
        ({"maximum_percent": 250}, "maximum_percent=250"),
        ({"minimum_healthy_percent": 100, "maximum_percent": 100}, "must be above minimum_healthy_percent"),
        ({"health_check_grace_period_seconds": -5}, "health_check_grace_period_seconds=-5"),
        (
            {"load_balancers": [{"target_group_arn": "tg", "container_name": "web", "container_port": 8000}]},
            "not a target group ARN",
        ),
        (
            {"load_balancers": [{"target_group_arn": TG, "container_name": "web", "container_port": 0}]},
            "container_port=0",
        ),
        ({"wait_timeout": 0}, "wait_timeout=0"),
        ({"name": "bad name"}, "name='bad name'"),
        ({"cluster": "bad/cluster"}, "cluster='bad/cluster'"),
    ],
)
def test_bad_input_fails_before_any_call(aws, capsys, change, needle):
    failed, result = run(args(**change), capsys)
    assert failed and needle in result["msg"], result["msg"]


# ---- what the mutation run found untested ----------------------------------------------------------

UNAVAILABLE = {"service_error_code": "ServiceUnavailable", "service_message": "unavailable", "http_status_code": 503}


@pytest.fixture
def retry_sleeps(monkeypatch):
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    return sleeps


def test_no_op_result(aws, capsys):
    aws.describe(service())
    failed, result = run(args(), capsys)
    assert not failed
    assert result["cluster"] == CLUSTER and result["created"] is False and result["changes"] == []
    assert result["service_name"] == NAME and result["task_definition"] == "djangoapp-web:2"
    assert result["service_arn"] == SERVICE_ARN
    assert result["service"]["desired_count"] == 1 and result["service"]["tags"] == service()["tags"]
    assert "diff" not in result and "cluster_status" not in result and "warnings" not in result


def test_a_changed_service_without_diff_mode_has_no_diff(aws, capsys):
    aws.describe(service())
    aws.stub.add_response("update_service", {"service": service()}, None)
    failed, result = run(args(desired_count=2), capsys)
    assert not failed and result["changed"] and "diff" not in result


def test_update_diff_shows_both_sides(aws, capsys):
    aws.describe(service())
    aws.stub.add_response("update_service", {"service": service()}, None)
    failed, result = run(args(desired_count=2), capsys, diff=True)
    assert not failed
    assert result["diff"] == {"before": {"desired_count": 1}, "after": {"desired_count": 2}}


def test_tags_only_change_is_a_change(aws, capsys):
    aws.describe(service())
    aws.stub.add_response("tag_resource", {}, {"resourceArn": SERVICE_ARN, "tags": [{"key": "team", "value": "web"}]})
    failed, result = run(args(tags={"fargate:stack": "djangoapp", "team": "web"}), capsys, diff=True)
    assert not failed and result["changed"] is True
    assert result["diff"] == {
        "before": {"tags": {"fargate:stack": "djangoapp"}},
        "after": {"tags": {"fargate:stack": "djangoapp", "team": "web"}},
    }


def test_an_inactive_service_is_created_again(aws, capsys):
    aws.describe(service(status="INACTIVE"))
    aws.stub.add_response("create_service", {"service": service()}, None)
    failed, result = run(args(), capsys, diff=True)
    assert not failed and result["created"] and result["changes"] == ["service"]
    assert result["diff"]["before"] == {"service": None}
    assert result["diff"]["after"]["service"]["desired_count"] == 1


def test_create_without_load_balancer_or_grace_period(aws, capsys):
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    created = service(drop=("loadBalancers", "healthCheckGracePeriodSeconds"))
    aws.stub.add_response(
        "create_service",
        {"service": created},
        {
            "cluster": CLUSTER,
            "serviceName": NAME,
            "launchType": "FARGATE",
            "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "ECS"},
            "taskDefinition": "djangoapp-web:2",
            "desiredCount": 1,
            "networkConfiguration": service()["networkConfiguration"],
            "deploymentConfiguration": {
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
            },
            "platformVersion": "LATEST",
            "propagateTags": "SERVICE",
            "enableExecuteCommand": False,
        },
    )
    failed, result = run(args(load_balancers=[], health_check_grace_period_seconds=0, tags=None), capsys)
    assert not failed, result["msg"]
    assert result["created"] and "fixed_after_create" not in result


def test_create_then_wait_for_the_rollout(aws, capsys):
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    aws.stub.add_response(
        "create_service", {"service": service(deployments=[deployment(state="IN_PROGRESS", running=0)])}
    )
    aws.describe(service(deployments=[deployment(state="COMPLETED", running=1)], runningCount=1))
    failed, result = run(args(wait=True), capsys)
    assert not failed and result["created"] and result["rollout_awaited"]
    assert result["rollout_state"] == "completed"
    assert result["rollout_message"] == "rollout COMPLETED (running 1/1, pending 0, failed tasks 0)"
    assert aws.clock.sleeps == []  # the first poll already saw it completed


def test_wait_reports_the_last_described_service(aws, capsys):
    start_update(aws)
    aws.describe(service(3, deployments=[deployment(3, state="COMPLETED", running=1)], runningCount=1))
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True), capsys)
    assert not failed
    assert result["service"]["deployments"][0]["rollout_state"] == "COMPLETED"
    assert result["events"] == ["2026-01-01T00:00:00+00:00 (service djangoapp-web) has reached a steady state."]


def test_failed_rollout_without_events(aws, capsys):
    start_update(aws)
    aws.describe(service(3, deployments=[deployment(3, state="FAILED", running=0, reason="boom")], events=[]))
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True), capsys)
    assert failed
    assert result["msg"] == (
        "Rollout of djangoapp-web:3 to service 'djangoapp-web' failed: rollout FAILED: boom "
        "(running 0/1, pending 1, failed tasks 0)\nLast service events:\n(no service events)"
    )
    assert result["service"]["deployments"][0]["rollout_state"] == "FAILED"


def test_rolled_back_message_names_the_state(aws, capsys):
    start_update(aws)
    aws.describe(service(3, deployments=[deployment(2, state="COMPLETED")], taskDefinition=td_arn(2), events=[]))
    failed, result = run(args(task_definition="djangoapp-web:3", wait=True), capsys)
    assert failed and result["msg"].startswith("Rollout of djangoapp-web:3 to service 'djangoapp-web' rolled back: ")


def test_launch_type_message(aws, capsys):
    aws.describe(service(launchType="EC2"))
    failed, result = run(args(), capsys)
    assert failed
    assert result["msg"] == (
        "Service 'djangoapp-web' uses launch type 'EC2', not FARGATE: "
        "a launch type cannot be changed in place; delete the service first"
    )


def test_missing_cluster_message(aws, capsys):
    aws.stub.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    failed, result = run(args(), capsys)
    assert failed
    assert result["msg"] == (
        "Cluster 'djangoapp' not found: create it first (create_cluster=true, "
        "or `ansible-playbook site.yml --tags ecs_service`)"
    )


def test_other_describe_errors_fail_with_the_boto3_error(aws, capsys):
    aws.stub.add_client_error("describe_services", "AccessDeniedException", "no ecs:DescribeServices")
    failed, result = run(args(), capsys)
    assert failed and result["msg"].startswith("Failed to deploy ECS service djangoapp-web: ")
    assert result["error"]["code"] == "AccessDeniedException"


def test_service_calls_are_retried(aws, capsys, retry_sleeps):
    aws.stub.add_client_error("describe_services", **UNAVAILABLE)
    aws.describe(service(tags=[{"key": "old", "value": "x"}]))
    aws.stub.add_client_error("update_service", **UNAVAILABLE)
    aws.stub.add_response("update_service", {"service": service(drop=("tags",))}, None)
    aws.stub.add_client_error("tag_resource", **UNAVAILABLE)
    aws.stub.add_response("tag_resource", {}, None)
    aws.stub.add_client_error("untag_resource", **UNAVAILABLE)
    aws.stub.add_response("untag_resource", {}, {"resourceArn": SERVICE_ARN, "tagKeys": ["old"]})
    failed, result = run(args(desired_count=2), capsys)
    assert not failed, result["msg"]
    assert len(retry_sleeps) == 4


def test_create_calls_are_retried(aws, capsys, retry_sleeps):
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    aws.stub.add_client_error("create_service", **UNAVAILABLE)
    aws.stub.add_response("create_service", {"service": service(drop=("healthCheckGracePeriodSeconds",))}, None)
    aws.stub.add_client_error("update_service", **UNAVAILABLE)
    aws.stub.add_response("update_service", {"service": service()}, None)
    failed, result = run(args(), capsys)
    assert not failed, result["msg"]
    assert len(retry_sleeps) == 2 and result["fixed_after_create"] == ["health_check_grace_period_seconds"]


# ---- cluster -------------------------------------------------------------------------------------


def test_cluster_created_with_tags_and_diff(aws, capsys):
    describe_cluster(aws, [{"clusterName": CLUSTER, "status": "INACTIVE"}])  # a deleted one counts as missing
    aws.service_linked_role()
    aws.stub.add_response(
        "create_cluster",
        {"cluster": {"clusterName": CLUSTER}},  # no status in the answer: ACTIVE
        {
            "clusterName": CLUSTER,
            "settings": [{"name": "containerInsights", "value": "enabled"}],
            "tags": [{"key": "fargate:stack", "value": "djangoapp"}],
        },
    )
    failed, result = run(cluster_args(tags={"fargate:stack": "djangoapp"}), capsys, diff=True)
    assert not failed, result["msg"]
    assert result["changed"] and result["created"] and result["changes"] == ["cluster"]
    assert result["cluster_status"] == "ACTIVE"
    assert result["diff"] == {
        "before": {"cluster": None},
        "after": {"cluster": {"name": CLUSTER, "settings": [{"name": "containerInsights", "value": "enabled"}]}},
    }


def test_cluster_without_insights_setting_is_created_plain(aws, capsys):
    describe_cluster(aws, [])
    aws.service_linked_role()
    aws.stub.add_response(
        "create_cluster", {"cluster": {"clusterName": CLUSTER, "status": "PROVISIONING"}}, {"clusterName": CLUSTER}
    )
    failed, result = run({"region": REGION, "cluster": CLUSTER, "create_cluster": True}, capsys)
    assert not failed and result["cluster_status"] == "PROVISIONING"


def test_cluster_and_service_created_in_one_run(aws, capsys):
    describe_cluster(aws, [])
    aws.service_linked_role()
    aws.stub.add_response("create_cluster", {"cluster": {"clusterName": CLUSTER, "status": "ACTIVE"}}, None)
    aws.describe(None, failures=[{"arn": SERVICE_ARN, "reason": "MISSING"}])
    aws.stub.add_response("create_service", {"service": service()}, None)
    failed, result = run(args(create_cluster=True, container_insights="enabled"), capsys)
    assert not failed, result["msg"]
    assert result["changes"] == ["cluster", "service"] and result["created"] is True
    assert result["cluster_status"] == "ACTIVE"


def test_check_mode_fresh_stack_with_cluster(aws, capsys):
    describe_cluster(aws, [])
    aws.stub.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    failed, result = run(args(create_cluster=True), capsys, check_mode=True)
    assert not failed, result["msg"]
    assert result["changes"] == ["cluster", "service"] and result["cluster_status"] == "MISSING"
    assert result["created"] is True  # the service would be created
    assert result["service_arn"] is None
    assert result["rollout_state"] == "not_deployed" and result["rollout_message"] == "would be created"


def test_cluster_only_check_mode_creates_nothing(aws, capsys):
    describe_cluster(aws, [])
    failed, result = run(cluster_args(), capsys, check_mode=True)
    assert not failed and result["created"] and result["cluster_status"] == "MISSING"


def test_cluster_insights_update_diff(aws, capsys):
    describe_cluster(
        aws,
        [{"clusterName": CLUSTER, "status": "ACTIVE", "settings": [{"name": "containerInsights", "value": "enabled"}]}],
    )
    aws.stub.add_response(
        "update_cluster_settings",
        {"cluster": {}},
        {"cluster": CLUSTER, "settings": [{"name": "containerInsights", "value": "enhanced"}]},
    )
    failed, result = run(cluster_args(container_insights="enhanced"), capsys, diff=True)
    assert not failed and result["changed"] is True and result["created"] is False
    assert result["diff"] == {"before": {"container_insights": "enabled"}, "after": {"container_insights": "enhanced"}}


def test_cluster_without_settings_counts_as_insights_disabled(aws, capsys):
    describe_cluster(aws, [{"clusterName": CLUSTER, "status": "ACTIVE"}])
    failed, result = run(cluster_args(container_insights="disabled"), capsys)
    assert not failed and not result["changed"]


def test_cluster_calls_are_retried(aws, capsys, retry_sleeps):
    aws.stub.add_client_error("describe_clusters", **UNAVAILABLE)
    describe_cluster(aws, [{"clusterName": CLUSTER, "status": "ACTIVE", "settings": []}])
    aws.stub.add_client_error("update_cluster_settings", **UNAVAILABLE)
    aws.stub.add_response("update_cluster_settings", {"cluster": {}}, None)
    failed, result = run(cluster_args(), capsys)
    assert not failed, result["msg"]
    assert len(retry_sleeps) == 2


def test_cluster_create_is_retried(aws, capsys, retry_sleeps):
    describe_cluster(aws, [])
    aws.service_linked_role()
    aws.stub.add_client_error("create_cluster", **UNAVAILABLE)
    aws.stub.add_response("create_cluster", {"cluster": {"clusterName": CLUSTER, "status": "ACTIVE"}}, None)
    failed, result = run(cluster_args(), capsys)
    assert not failed, result["msg"]
    assert len(retry_sleeps) == 1


def valid_params(**kw):
    params = {
        "cluster": CLUSTER,
        "create_cluster": False,
        "container_insights": None,
        "name": NAME,
        "task_definition": "djangoapp-web:2",
        "desired_count": 1,
        "subnets": ["subnet-a"],
        "security_groups": ["sg-1"],
        "load_balancers": [],
        "health_check_grace_period_seconds": 0,
        "minimum_healthy_percent": 100,
        "maximum_percent": 200,
        "wait_timeout": 900,
        "failure_events": 10,
        "state": "present",
        "ignore_missing": False,
        "tags": None,
        "force_new_deployment": False,
    }
    params.update(kw)
    return params


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"desired_count": 0}, []),
        ({"subnets": [f"subnet-{n:x}" for n in range(16)]}, []),
        ({"subnets": [f"subnet-{n:x}" for n in range(17)]}, ["subnets="]),
        ({"security_groups": [f"sg-{n}" for n in range(5)]}, []),
        ({"security_groups": [f"sg-{n}" for n in range(6)]}, ["security_groups="]),
        ({"failure_events": 0}, []),
        ({"failure_events": -1}, ["failure_events=-1 is invalid: use 0 or more"]),
        ({"container_insights": "enabled"}, ["container_insights is only managed with create_cluster=true"]),
    ],
)
def test_validation_limits(change, errors):
    got = mod.validate(valid_params(**change))
    assert len(got) == len(errors) and all(got[i].startswith(errors[i]) for i in range(len(errors))), got


# ---- the ECS service-linked role before the first cluster (issue 11, item 3) ---------------------------------
# IAM's answers for an existing role, as AWS gives them: CreateServiceLinkedRole on a name that exists answers
# 400 InvalidInput "... has been taken in this account ...", some paths answer 409 EntityAlreadyExists.
TAKEN = (
    "InvalidInput",
    "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.",
    400,
)
EXISTS = ("EntityAlreadyExists", "Role with name AWSServiceRoleForECS already exists.", 409)
DENIED = (
    "AccessDenied",
    f"User: arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform: iam:CreateServiceLinkedRole on "
    f"resource: arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
    403,
)


def test_the_service_linked_role_is_created_before_the_first_cluster(aws, capsys):
    describe_cluster(aws, [])
    aws.service_linked_role()
    aws.stub.add_response("create_cluster", {"cluster": {"clusterName": CLUSTER, "status": "ACTIVE"}}, None)
    failed, result = run(cluster_args(), capsys)
    assert not failed, result["msg"]
    assert aws.calls == ["DescribeClusters", "CreateServiceLinkedRole", "CreateCluster"]
    assert result["service_linked_role"] == "created"


@pytest.mark.parametrize("answer", [TAKEN, EXISTS], ids=["has-been-taken", "entity-already-exists"])
def test_an_existing_service_linked_role_is_success(aws, capsys, answer):
    describe_cluster(aws, [])
    aws.service_linked_role(error=answer)
    aws.stub.add_response("create_cluster", {"cluster": {"clusterName": CLUSTER, "status": "ACTIVE"}}, None)
    failed, result = run(cluster_args(), capsys)
    assert not failed, result["msg"]
    assert result["service_linked_role"] == "exists" and result["changed"]
    assert aws.calls == ["DescribeClusters", "CreateServiceLinkedRole", "CreateCluster"]
    assert "warnings" not in result


def test_no_permission_for_the_service_linked_role_warns_and_creates_the_cluster(aws, capsys):
    describe_cluster(aws, [])
    aws.service_linked_role(error=DENIED)
    aws.stub.add_response("create_cluster", {"cluster": {"clusterName": CLUSTER, "status": "ACTIVE"}}, None)
    failed, result = run(cluster_args(), capsys)
    assert not failed, result["msg"]
    assert result["service_linked_role"] == "not_permitted" and result["cluster_status"] == "ACTIVE"
    assert "iam:CreateServiceLinkedRole denied" in json.dumps(result["warnings"]), result.get("warnings")


def test_another_iam_error_fails_before_the_cluster(aws, capsys):
    describe_cluster(aws, [])
    aws.service_linked_role(error=("InvalidInput", "Invalid service name: ecs.amazonaws.com.", 400))
    failed, result = run(cluster_args(), capsys)
    assert failed and "Invalid service name" in result["msg"]
    assert "CreateCluster" not in aws.calls


def test_no_service_linked_role_call_when_the_cluster_exists_or_in_check_mode(aws, capsys):
    describe_cluster(
        aws,
        [{"clusterName": CLUSTER, "status": "ACTIVE", "settings": [{"name": "containerInsights", "value": "enabled"}]}],
    )
    failed, result = run(cluster_args(), capsys)
    assert not failed and result["service_linked_role"] == "not_needed"
    describe_cluster(aws, [])
    failed, result = run(cluster_args(), capsys, check_mode=True)
    assert not failed and result["changed"] and result["service_linked_role"] == "not_needed"
    assert "CreateServiceLinkedRole" not in aws.calls


# ---- state=scaled: only the desired count (issue 12) ------------------------------------------------------------
MISSING = [{"arn": SERVICE_ARN.replace(f"/{CLUSTER}/", "/"), "reason": "MISSING"}]


def scale_args(**kw):
    base = {"region": REGION, "cluster": CLUSTER, "name": NAME, "state": "scaled", "desired_count": 0, "wait": True}
    base.update(kw)
    return base


def counted(desired=2, running=None, pending=0, status="ACTIVE", **kw):
    """A service as real DescribeServices/UpdateService/DeleteService answers it, with these counts and status."""
    s = aws_service(status=status, desiredCount=desired, runningCount=desired if running is None else running, **kw)
    s["pendingCount"] = pending
    s.pop("tags")  # asked without include=TAGS
    return s


def describe_plain(aws, svc, failures=None):
    """DescribeServices as scaled/absent ask it: this one service, no include."""
    aws.stub.add_response(
        "describe_services",
        {"services": [svc] if svc else [], "failures": failures if failures is not None else ([] if svc else MISSING)},
        {"cluster": CLUSTER, "services": [NAME]},
    )


def test_scale_down_sends_only_the_desired_count_and_waits_for_the_tasks_to_stop(aws, capsys):
    describe_plain(aws, counted(2))
    # AWS answers UpdateService with the new desired count while the old tasks still run.
    aws.stub.add_response(
        "update_service",
        {"service": counted(0, running=2)},
        {"cluster": CLUSTER, "service": NAME, "desiredCount": 0},  # exactly this: nothing else is sent back
    )
    describe_plain(aws, counted(0, running=1))
    describe_plain(aws, counted(0, running=0))
    failed, result = run(scale_args(), capsys)
    assert not failed, result["msg"]
    assert aws.calls == ["DescribeServices", "UpdateService", "DescribeServices", "DescribeServices"]
    assert result["changed"] and result["changes"] == ["desired_count"]
    assert (result["previous_desired_count"], result["desired_count"], result["running_count"]) == (2, 0, 0)
    assert result["awaited"] and result["waited_seconds"] == 12.5 and aws.clock.sleeps == [5.0, 7.5]
    assert result["service_status"] == "ACTIVE" and result["service_arn"] == SERVICE_ARN


def test_scale_up_without_wait_is_one_describe_and_one_update(aws, capsys):
    describe_plain(aws, counted(0))
    aws.stub.add_response(
        "update_service", {"service": counted(2, running=0)}, {"cluster": CLUSTER, "service": NAME, "desiredCount": 2}
    )
    failed, result = run(scale_args(desired_count=2, wait=False), capsys)
    assert not failed and result["changed"] and result["previous_desired_count"] == 0
    assert aws.calls == ["DescribeServices", "UpdateService"] and not result["awaited"]


def test_scale_up_waits_until_every_task_runs(aws, capsys):
    describe_plain(aws, counted(0))
    aws.stub.add_response(
        "update_service", {"service": counted(2, running=0)}, {"cluster": CLUSTER, "service": NAME, "desiredCount": 2}
    )
    describe_plain(aws, counted(2, running=1, pending=1))
    describe_plain(aws, counted(2, running=2))
    failed, result = run(scale_args(desired_count=2), capsys)
    assert not failed and result["running_count"] == 2 and aws.clock.sleeps == [5.0, 7.5]


def test_scale_no_op_is_one_describe(aws, capsys):
    describe_plain(aws, counted(0, running=0))
    failed, result = run(scale_args(), capsys, diff=True)
    assert not failed and not result["changed"] and result["changes"] == [] and "diff" not in result
    assert aws.calls == ["DescribeServices"] and aws.clock.sleeps == []
    assert result["previous_desired_count"] == 0


def test_scale_no_op_still_waits_for_tasks_that_are_stopping(aws, capsys):
    describe_plain(aws, counted(0, running=1))
    describe_plain(aws, counted(0, running=0))
    failed, result = run(scale_args(), capsys)
    assert not failed and not result["changed"] and aws.calls == ["DescribeServices", "DescribeServices"]


def test_scale_check_mode_reports_without_updating(aws, capsys):
    describe_plain(aws, counted(2))
    failed, result = run(scale_args(), capsys, check_mode=True, diff=True)
    assert not failed and result["changed"] and result["previous_desired_count"] == 2
    assert aws.calls == ["DescribeServices"] and not result["awaited"]
    assert result["diff"] == {"before": {"desired_count": 2}, "after": {"desired_count": 0}}


@pytest.mark.parametrize(
    ("svc", "status"),
    [(None, "MISSING"), (counted(0, status="INACTIVE"), "INACTIVE"), (counted(0, status="DRAINING"), "DRAINING")],
)
def test_scale_of_a_service_that_is_not_active_fails_clearly(aws, capsys, svc, status):
    describe_plain(aws, svc)
    failed, result = run(scale_args(), capsys)
    assert failed and aws.calls == ["DescribeServices"]
    assert result["msg"].startswith(f"Cannot scale service 'djangoapp-web': it is {status} in cluster 'djangoapp'")
    assert "ignore_missing=true" in result["msg"] and result["previous_desired_count"] is None


@pytest.mark.parametrize("svc", [None, counted(0, status="INACTIVE")])
def test_scale_with_ignore_missing_changes_nothing(aws, capsys, svc):
    describe_plain(aws, svc)
    failed, result = run(scale_args(ignore_missing=True), capsys)
    assert not failed and not result["changed"] and result["previous_desired_count"] is None
    assert aws.calls == ["DescribeServices"]


def test_scale_in_a_missing_cluster(aws, capsys):
    aws.stub.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    failed, result = run(scale_args(), capsys)
    assert failed and "it is MISSING in cluster 'djangoapp' (the cluster does not exist)" in result["msg"]


def test_scale_in_a_missing_cluster_with_ignore_missing(aws, capsys):
    aws.stub.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    failed, result = run(scale_args(ignore_missing=True), capsys)
    assert not failed and not result["changed"] and result["service_status"] == "MISSING"


def test_scale_wait_times_out_with_the_events_and_the_previous_count(aws, capsys):
    describe_plain(aws, counted(2))
    aws.stub.add_response(
        "update_service", {"service": counted(0, running=2)}, {"cluster": CLUSTER, "service": NAME, "desiredCount": 0}
    )
    for _poll in range(3):  # after the update's answer: 5 + 7.5 + 7.5 = 20 s of sleeps, then the deadline
        describe_plain(aws, counted(0, running=1))
    failed, result = run(scale_args(wait_timeout=20), capsys)
    assert failed and sum(aws.clock.sleeps) == pytest.approx(20)
    assert result["msg"].startswith(
        "timed out after 20 s waiting for service 'djangoapp-web' to run 0 task(s): running 1/0"
    )
    assert "has reached a steady state" in result["msg"] and len(result["events"]) == 1
    # The caller restores from the failed result too (migrate.yml's always: block).
    assert result["previous_desired_count"] == 2 and result["changed"]


def test_scale_wait_fails_when_the_service_goes_away(aws, capsys):
    describe_plain(aws, counted(2))
    aws.stub.add_response(
        "update_service", {"service": counted(0, running=2)}, {"cluster": CLUSTER, "service": NAME, "desiredCount": 0}
    )
    describe_plain(aws, counted(0, running=0, status="DRAINING"))
    failed, result = run(scale_args(), capsys)
    assert failed and result["msg"].startswith(
        "Waiting for service 'djangoapp-web' to run 0 task(s) failed: the service is DRAINING\nLast service events:"
    )


# ---- state=absent ----------------------------------------------------------------------------------------------
def absent_args(**kw):
    base = {"region": REGION, "cluster": CLUSTER, "name": NAME, "state": "absent", "wait": True}
    base.update(kw)
    return base


def delete_response(aws, answer):
    aws.stub.add_response("delete_service", {"service": answer}, {"cluster": CLUSTER, "service": NAME, "force": True})


def test_delete_with_force_and_wait_until_inactive(aws, capsys):
    describe_plain(aws, counted(2))
    delete_response(aws, counted(0, running=2, status="DRAINING"))
    describe_plain(aws, counted(0, running=1, status="DRAINING"))
    describe_plain(aws, counted(0, running=0, status="INACTIVE"))
    failed, result = run(absent_args(), capsys)
    assert not failed, result["msg"]
    assert aws.calls == ["DescribeServices", "DeleteService", "DescribeServices", "DescribeServices"]
    assert result["changed"] and result["changes"] == ["service"] and result["previous_desired_count"] == 2
    assert result["awaited"] and aws.clock.sleeps == [5.0, 7.5] and result["running_count"] == 0


def test_delete_wait_ends_when_the_service_is_gone(aws, capsys):
    describe_plain(aws, counted(1))
    delete_response(aws, counted(0, running=1, status="DRAINING"))
    describe_plain(aws, None)  # failures[]: MISSING
    failed, result = run(absent_args(), capsys)
    assert not failed and aws.calls == ["DescribeServices", "DeleteService", "DescribeServices"]


def test_delete_without_wait(aws, capsys):
    describe_plain(aws, counted(1))
    delete_response(aws, counted(0, running=1, status="DRAINING"))
    failed, result = run(absent_args(wait=False), capsys)
    assert not failed and result["changed"] and aws.calls == ["DescribeServices", "DeleteService"]


@pytest.mark.parametrize("svc", [None, counted(0, status="INACTIVE")], ids=["missing", "inactive"])
def test_delete_of_an_absent_service_is_one_describe(aws, capsys, svc):
    describe_plain(aws, svc)
    failed, result = run(absent_args(), capsys)
    assert not failed and not result["changed"] and aws.calls == ["DescribeServices"]
    assert result["service_status"] == ("MISSING" if svc is None else "INACTIVE")


def test_delete_in_a_missing_cluster_is_no_change(aws, capsys):
    aws.stub.add_client_error("describe_services", "ClusterNotFoundException", "Cluster not found.")
    failed, result = run(absent_args(), capsys)
    assert not failed and not result["changed"] and result["service_status"] == "MISSING"


def test_delete_of_a_draining_service_only_waits(aws, capsys):
    describe_plain(aws, counted(0, running=1, status="DRAINING"))
    describe_plain(aws, counted(0, running=0, status="INACTIVE"))
    failed, result = run(absent_args(), capsys)
    assert not failed and not result["changed"] and aws.calls == ["DescribeServices", "DescribeServices"]


def test_delete_check_mode_deletes_nothing(aws, capsys):
    describe_plain(aws, counted(2))
    failed, result = run(absent_args(), capsys, check_mode=True, diff=True)
    assert not failed and result["changed"] and aws.calls == ["DescribeServices"]
    assert result["diff"]["before"] == {"service": {"status": "ACTIVE", "desired_count": 2}}


def test_delete_wait_times_out(aws, capsys):
    describe_plain(aws, counted(2))
    delete_response(aws, counted(0, running=2, status="DRAINING"))
    for _poll in range(2):  # 5 + 5 = 10 s
        describe_plain(aws, counted(0, running=1, status="DRAINING"))
    failed, result = run(absent_args(wait_timeout=10), capsys)
    assert failed and result["msg"].startswith(
        "timed out after 10 s waiting for service 'djangoapp-web' to be INACTIVE"
    )
    assert "the service is DRAINING, running 1 task(s)" in result["msg"]


# ---- options of scaled/absent, refused before any AWS call ------------------------------------------------------
@pytest.mark.parametrize(
    ("module_args", "needle"),
    [
        (scale_args(desired_count=None), "state is scaled but all of the following are missing: desired_count"),
        ({**scale_args(), "name": None}, "state is scaled but all of the following are missing: name"),
        ({**absent_args(), "name": None}, "state is absent but all of the following are missing: name"),
        (scale_args(desired_count=-1), "desired_count=-1 is invalid"),
        (scale_args(task_definition="djangoapp-web:3"), "task_definition is only used with state=present"),
        (scale_args(subnets=["subnet-a"]), "subnets is only used with state=present"),
        (absent_args(create_cluster=True), "create_cluster=true is only used with state=present"),
        (absent_args(desired_count=0), "desired_count is not used with state=absent"),
        (absent_args(ignore_missing=True), "ignore_missing is only used with state=scaled"),
        (args(ignore_missing=True), "ignore_missing is only used with state=scaled"),
        (scale_args(name="web app"), "name='web app' is invalid"),
    ],
)
def test_scaled_and_absent_options_are_checked_before_any_call(aws, capsys, module_args, needle):
    failed, result = run({k: v for k, v in module_args.items() if v is not None}, capsys)
    assert failed and needle in result["msg"], result["msg"]
    assert aws.calls == []


def test_the_service_linked_role_call_retries_iams_5xx(aws, capsys, monkeypatch):
    """The IAM client is made with IAM's codes (retry_for("iam")): ServiceFailure is retried."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    describe_cluster(aws, [])
    aws.service_linked_role(error=("ServiceFailure", "Service failure", 500))
    aws.service_linked_role()
    aws.stub.add_response("create_cluster", {"cluster": {"clusterName": CLUSTER, "status": "ACTIVE"}}, None)
    failed, result = run(cluster_args(), capsys)
    assert not failed, result["msg"]
    assert result["service_linked_role"] == "created" and len(sleeps) == 1
