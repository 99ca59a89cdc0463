"""service_status through main(), on stubbed ECS, ELBv2, CloudWatch Logs and EventBridge Scheduler clients answering
as real AWS does (extra fields moto leaves out, paginated ListTaskDefinitions, INACTIVE resources still listed, errors,
services answered out of order)."""

import datetime

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import service_status as mod
from fakes import run_module, serve_clients

REGION = "us-east-1"
ACCOUNT = "123456789012"
CLUSTER = "djangoapp"
NAME = "djangoapp-web"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/djangoapp-web/0123456789abcdef"
LB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/djangoapp/0123456789abcdef"
T0 = datetime.datetime(2026, 1, 1, 10, 0, tzinfo=datetime.UTC)
REPO = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/djangoapp"


def td_arn(revision, family="djangoapp-web"):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def task_definition(revision, tag):
    # Shaped like a real DescribeTaskDefinition answer (fields moto does not send included).
    return {
        "taskDefinition": {
            "taskDefinitionArn": td_arn(revision),
            "family": "djangoapp-web",
            "revision": revision,
            "status": "ACTIVE",
            "enableFaultInjection": False,
            "compatibilities": ["EC2", "FARGATE"],
            "requiresCompatibilities": ["FARGATE"],
            "registeredAt": T0,
            "registeredBy": f"arn:aws:iam::{ACCOUNT}:user/deploy",
            "containerDefinitions": [
                {
                    "name": "web",
                    "image": f"{REPO}:{tag}",
                    "cpu": 0,
                    "essential": True,
                    "mountPoints": [],
                    "volumesFrom": [],
                    "systemControls": [],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": "/ecs/djangoapp",
                            "awslogs-region": REGION,
                            "awslogs-stream-prefix": "web",
                        },
                    },
                }
            ],
        }
    }


def deployment(revision, status, state, running, desired, reason=None):
    d = {
        "id": f"ecs-svc/{revision}",
        "status": status,
        "taskDefinition": td_arn(revision),
        "desiredCount": desired,
        "pendingCount": 0,
        "runningCount": running,
        "failedTasks": 0,
        "createdAt": T0,
        "updatedAt": T0,
        "launchType": "FARGATE",
        "rolloutState": state,
    }
    if reason:
        d["rolloutStateReason"] = reason
    return d


def service(deployments, status="ACTIVE", events=(), name=NAME):
    return {
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{name}",
        "serviceName": name,
        "clusterArn": CLUSTER_ARN,
        "status": status,
        "desiredCount": 2,
        "runningCount": 2,
        "pendingCount": 0,
        "launchType": "FARGATE",
        "taskDefinition": next((d["taskDefinition"] for d in deployments if d["status"] == "PRIMARY"), td_arn(1)),
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 8000}],
        "deployments": deployments,
        "events": [
            {"id": str(i), "createdAt": T0 - datetime.timedelta(minutes=i), "message": m} for i, m in enumerate(events)
        ],
        "availabilityZoneRebalancing": "ENABLED",
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": {"strategy": "ROLLING", "maximumPercent": 200, "minimumHealthyPercent": 100},
        "platformFamily": "Linux",
    }


class Aws:
    def __init__(self):
        self.clients = {
            name: boto3.client(name, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
            for name in ("ecs", "elbv2", "logs", "scheduler")
        }
        self.ecs = Stubber(self.clients["ecs"])
        self.elbv2 = Stubber(self.clients["elbv2"])
        self.logs = Stubber(self.clients["logs"])
        self.scheduler = Stubber(self.clients["scheduler"])
        self.asked = []  # the services the module made a client of, in order

    def cluster(self, status="ACTIVE", tags=None, missing=False):
        clusters = (
            []
            if missing
            else [
                {
                    "clusterArn": CLUSTER_ARN,
                    "clusterName": CLUSTER,
                    "status": status,
                    "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
                }
            ]
        )
        failures = [{"arn": CLUSTER_ARN, "reason": "MISSING"}] if missing else []
        self.ecs.add_response("describe_clusters", {"clusters": clusters, "failures": failures},
                              {"clusters": [CLUSTER], "include": ["TAGS"]})  # fmt: skip

    def service(self, svc=None, missing=False):
        services = [] if missing else [svc]
        failures = [{"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{NAME}", "reason": "MISSING"}]
        self.ecs.add_response(
            "describe_services",
            {"services": services, "failures": failures if missing else []},
            {"cluster": CLUSTER, "services": [NAME]},
        )


@pytest.fixture
def aws(monkeypatch):
    a = Aws()
    serve_clients(monkeypatch, a.clients)
    serve = AnsibleAWSModule.client

    def recording_client(self, service, *args, **kwargs):
        a.asked.append(service)
        return serve(self, service, *args, **kwargs)

    monkeypatch.setattr(AnsibleAWSModule, "client", recording_client)
    with a.ecs, a.elbv2, a.logs, a.scheduler:
        yield a
        a.ecs.assert_no_pending_responses()
        a.elbv2.assert_no_pending_responses()
        a.logs.assert_no_pending_responses()
        a.scheduler.assert_no_pending_responses()


def run(capsys, check_mode=False, **kw):
    return run_module(mod.main, {"region": REGION, "cluster": CLUSTER, "service": NAME, **kw}, capsys, check_mode)


def test_rollout_half_way_shows_both_deployments_targets_events_logs_and_the_rollback_target(aws, capsys):
    aws.cluster(tags={"fargate:migrated": "djangoapp-migrate:4", "fargate:stack": "djangoapp"})
    svc = service(
        # ECS lists the newer (PRIMARY) deployment first here, but order is not guaranteed: put ACTIVE first.
        [deployment(5, "ACTIVE", "COMPLETED", 2, 0), deployment(6, "PRIMARY", "IN_PROGRESS", 1, 2)],
        events=[
            "(service djangoapp-web) has started 1 tasks: (task abc).",
            "(service djangoapp-web) has reached a steady state.",
        ],
    )
    aws.service(svc)
    aws.ecs.add_response("describe_task_definition", task_definition(6, "v6"), {"taskDefinition": td_arn(6)})
    aws.ecs.add_response("describe_task_definition", task_definition(5, "v5"), {"taskDefinition": td_arn(5)})
    # Paginated, with a family that only shares the prefix.
    aws.ecs.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [td_arn(6), td_arn(3, "djangoapp-web2")], "nextToken": "page2"},
        {"familyPrefix": "djangoapp-web", "status": "ACTIVE", "sort": "DESC"},
    )
    aws.ecs.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [td_arn(5), td_arn(2)]},
        {"familyPrefix": "djangoapp-web", "status": "ACTIVE", "sort": "DESC", "nextToken": "page2"},
    )
    aws.elbv2.add_response(
        "describe_target_health",
        {"TargetHealthDescriptions": [
            {"Target": {"Id": "10.0.1.5", "Port": 8000}, "HealthCheckPort": "8000",
             "TargetHealth": {"State": "healthy"}},
            {"Target": {"Id": "10.0.2.7", "Port": 8000}, "HealthCheckPort": "8000",
             "TargetHealth": {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                              "Description": "Health checks failed with these codes: [400]"}},
        ]},
        {"TargetGroupArn": TG},
    )  # fmt: skip
    aws.elbv2.add_response(
        "describe_target_groups",
        {"TargetGroups": [{"TargetGroupArn": TG, "LoadBalancerArns": [LB]}]},
        {"TargetGroupArns": [TG]},
    )
    aws.elbv2.add_response(
        "describe_load_balancers",
        {"LoadBalancers": [{"LoadBalancerArn": LB, "DNSName": "djangoapp-1.us-east-1.elb.amazonaws.com"}]},
        {"LoadBalancerArns": [LB]},
    )
    task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/0f6c0d1f6d2b4a9c"
    aws.ecs.add_response("list_tasks", {"taskArns": [task_arn]},
                         {"cluster": CLUSTER, "serviceName": NAME, "desiredStatus": "RUNNING"})  # fmt: skip
    aws.ecs.add_response(
        "describe_tasks",
        {"tasks": [{"taskArn": task_arn, "taskDefinitionArn": td_arn(6), "lastStatus": "RUNNING",
                    "startedAt": T0, "createdAt": T0}], "failures": []},
        {"cluster": CLUSTER, "tasks": [task_arn]},
    )  # fmt: skip
    aws.logs.add_response(
        "get_log_events",
        {"events": [{"timestamp": 1, "message": "Booting worker with pid: 7\n", "ingestionTime": 1}],
         "nextForwardToken": "f", "nextBackwardToken": "b"},
        {"logGroupName": "/ecs/djangoapp", "logStreamName": "web/web/0f6c0d1f6d2b4a9c", "startFromHead": False,
         "limit": 20},
    )  # fmt: skip

    failed, result = run(capsys, check_mode=True, log_tasks=1)
    assert not failed and result["exists"] and not result["changed"]
    assert [d["task_definition"] for d in result["deployments"]] == ["djangoapp-web:6", "djangoapp-web:5"]
    primary = result["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["rollout_state"] == "IN_PROGRESS"
    assert primary["images"] == [f"{REPO}:v6"] and result["deployments"][1]["images"] == [f"{REPO}:v5"]
    assert result["active_revisions"] == ["djangoapp-web:6", "djangoapp-web:5", "djangoapp-web:2"]
    assert result["rollback_target"] == "djangoapp-web:5"
    assert result["migrated"] == "djangoapp-migrate:4"
    assert result["app_url"] == "http://djangoapp-1.us-east-1.elb.amazonaws.com"
    assert result["targets"][1] == {
        "target_group": "djangoapp-web", "id": "10.0.2.7", "port": 8000, "state": "unhealthy",
        "reason": "Target.ResponseCodeMismatch", "description": "Health checks failed with these codes: [400]",
    }  # fmt: skip
    assert result["tasks"][0]["log_lines"] == ["Booting worker with pid: 7"]
    text = "\n".join(result["lines"])
    assert "PRIMARY djangoapp-web:6 rollout IN_PROGRESS" in text
    assert "Target.ResponseCodeMismatch - Health checks failed with these codes: [400]" in text
    assert "rollback.yml would go back to djangoapp-web:5" in text
    assert "has reached a steady state." in text and "Booting worker with pid: 7" in text
    assert text.index("PRIMARY") < text.index("ACTIVE djangoapp-web:5")


def test_failed_rollout_reason_and_given_app_url(aws, capsys):
    aws.cluster()
    svc = service(
        [deployment(7, "PRIMARY", "FAILED", 0, 1, reason="ECS deployment circuit breaker: tasks failed to start.")]
    )
    svc["loadBalancers"] = []
    aws.service(svc)
    aws.ecs.add_response("describe_task_definition", task_definition(7, "v7"), {"taskDefinition": td_arn(7)})
    aws.ecs.add_response("list_task_definitions", {"taskDefinitionArns": [td_arn(7)]},
                         {"familyPrefix": "djangoapp-web", "status": "ACTIVE", "sort": "DESC"})  # fmt: skip
    failed, result = run(capsys, log_tasks=0, app_url="https://app.example.com")
    assert not failed
    assert result["app_url"] == "https://app.example.com" and result["migrated"] is None
    assert result["rollback_target"] is None and result["tasks"] == [] and result["targets"] == []
    assert "rollout FAILED - ECS deployment circuit breaker: tasks failed to start." in "\n".join(result["lines"])


@pytest.mark.parametrize("kind", ["missing", "INACTIVE"])
def test_missing_or_inactive_cluster_is_a_message_not_a_failure(aws, capsys, kind):
    aws.cluster(missing=kind == "missing", status=kind)
    failed, result = run(capsys)
    assert not failed and result["exists"] is False
    assert (
        result["lines"][0]
        == f"Nothing to show: cluster djangoapp {'does not exist' if kind == 'missing' else 'is INACTIVE'}."
    )


@pytest.mark.parametrize("kind", ["missing", "INACTIVE"])
def test_missing_or_inactive_service_is_a_message(aws, capsys, kind):
    # A deleted service stays listed as INACTIVE for a while (moto lists it too).
    aws.cluster(tags={"fargate:migrated": "djangoapp-migrate:2"})
    aws.service(service([], status="INACTIVE"), missing=kind == "missing")
    failed, result = run(capsys)
    assert not failed and result["exists"] is False and result["migrated"] == "djangoapp-migrate:2"
    assert result["message"].startswith(
        f"Nothing to show: service djangoapp-web {'does not exist' if kind == 'missing' else 'is INACTIVE'}"
    )


def test_cluster_not_found_from_describe_services(aws, capsys):
    aws.cluster()
    aws.ecs.add_client_error(
        "describe_services", "ClusterNotFoundException", "Cluster not found.", expected_params=None
    )
    failed, result = run(capsys)
    assert not failed and result["exists"] is False and "cluster djangoapp does not exist" in result["message"]


def test_access_denied_fails_naming_the_step(aws, capsys):
    aws.ecs.add_client_error("describe_clusters", "AccessDeniedException", "not authorized", expected_params=None)
    failed, result = run(capsys)
    assert failed and "describing cluster djangoapp" in result["msg"]


def test_bad_options_fail_before_any_call(aws, capsys):
    failed, result = run(capsys, log_lines=5000, events=-1)
    assert failed and "log_lines must be 0 to 1000" in result["msg"] and "events must be 0 to 100" in result["msg"]


def test_rollback_target_picks_the_newest_older_revision_of_the_same_family():
    active = ["djangoapp-web:9", "djangoapp-web:4", "djangoapp-web:7", "djangoapp-web2:8"]
    assert mod.rollback_target(active, "djangoapp-web:9") == "djangoapp-web:7"
    assert mod.rollback_target(active, "djangoapp-web:4") is None
    # The current revision was deregistered: the newest older ACTIVE one still counts.
    assert mod.rollback_target(active, "djangoapp-web:8") == "djangoapp-web:7"


# Workers (cluster tags fargate:worker:<name>, services djangoapp-worker-<name>) and scheduled jobs (cluster tag
# fargate:jobs naming the EventBridge Scheduler group).

SCHEDULER = f"arn:aws:scheduler:{REGION}:{ACCOUNT}"


def worker_service(name, revision, state="COMPLETED", status="ACTIVE", running=1):
    family = f"djangoapp-worker-{name}"
    svc = service([], status=status, name=family)
    svc.update(desiredCount=1, runningCount=running, loadBalancers=[], taskDefinition=td_arn(revision, family))
    svc["deployments"] = [
        {**deployment(revision, "PRIMARY", state, running, 1), "taskDefinition": td_arn(revision, family)},
    ]
    if state == "COMPLETED":
        svc["deployments"][0]["rolloutStateReason"] = f"ECS deployment ecs-svc/{revision} completed."
    return svc


def web_answered_in_same_call(aws, names, services, failures=()):
    """The web service (revision 7, no load balancer) described with ``names`` in one call, then what its report
    reads: its task definition and its ACTIVE revisions (log_tasks=0: no task read)."""
    web = service([deployment(7, "PRIMARY", "COMPLETED", 2, 2)])
    web["loadBalancers"] = []
    aws.ecs.add_response(
        "describe_services",
        {
            "services": [*services, web] if web["serviceName"] in names else list(services),
            "failures": [
                {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{n}", "reason": "MISSING"} for n in failures
            ],
        },
        {"cluster": CLUSTER, "services": names},
    )
    aws.ecs.add_response("describe_task_definition", task_definition(7, "v7"), {"taskDefinition": td_arn(7)})
    aws.ecs.add_response("list_task_definitions", {"taskDefinitionArns": [td_arn(7)]},
                         {"familyPrefix": "djangoapp-web", "status": "ACTIVE", "sort": "DESC"})  # fmt: skip


def test_no_worker_or_job_tag_costs_no_extra_call(aws, capsys):
    aws.cluster(tags={"fargate:migrated": "djangoapp-migrate:4", "fargate:stack": "djangoapp"})
    web_answered_in_same_call(aws, [NAME], [])
    failed, result = run(capsys, log_tasks=0)
    assert not failed and result["exists"]
    assert result["workers"] == [] and result["jobs"] == [] and result["jobs_group"] is None
    # No Scheduler client at all, and the stubbers hold no other call (one DescribeServices of the web only).
    assert aws.asked == ["ecs", "elbv2"]
    assert not any(line.startswith(("Workers:", "Jobs:")) for line in result["lines"])


def test_two_workers_are_described_in_the_web_services_call(aws, capsys):
    aws.cluster(
        tags={"fargate:worker:rq": "deployed", "fargate:stack": "djangoapp", "fargate:worker:celery": "deployed"}
    )
    names = [NAME, "djangoapp-worker-celery", "djangoapp-worker-rq"]
    # AWS answers in its own order: rq, the web, celery.
    web_answered_in_same_call(
        aws, names, [worker_service("rq", 2, state="IN_PROGRESS", running=0), worker_service("celery", 3)]
    )
    failed, result = run(capsys, check_mode=True, log_tasks=0)
    assert not failed and result["exists"] and not result["changed"]
    assert result["service"]["name"] == NAME and result["service"]["task_definition"] == "djangoapp-web:7"
    assert result["workers"] == [
        {"name": "celery", "service": "djangoapp-worker-celery", "exists": True, "status": "ACTIVE", "desired": 1,
         "running": 1, "pending": 0, "task_definition": "djangoapp-worker-celery:3", "rollout_state": "COMPLETED",
         "rollout_state_reason": "ECS deployment ecs-svc/3 completed."},
        {"name": "rq", "service": "djangoapp-worker-rq", "exists": True, "status": "ACTIVE", "desired": 1,
         "running": 0, "pending": 0, "task_definition": "djangoapp-worker-rq:2", "rollout_state": "IN_PROGRESS",
         "rollout_state_reason": None},
    ]  # fmt: skip
    assert aws.asked == ["ecs", "elbv2"]
    lines = result["lines"]
    assert lines[lines.index("Workers:") + 1 :] == [
        "  celery: djangoapp-worker-celery (ACTIVE) djangoapp-worker-celery:3 rollout COMPLETED"
        " - ECS deployment ecs-svc/3 completed.; desired 1, running 1, pending 0",
        "  rq: djangoapp-worker-rq (ACTIVE) djangoapp-worker-rq:2 rollout IN_PROGRESS; desired 1, running 0, pending 0",
    ]


def test_eleven_workers_take_a_second_describe_services_call(aws, capsys):
    workers = [f"w{i:02d}" for i in range(11)]
    aws.cluster(tags={f"fargate:worker:{w}": "deployed" for w in workers})
    services = [f"djangoapp-worker-{w}" for w in workers]
    first = [NAME, *services[:9]]
    aws.ecs.add_response(
        "describe_services",
        {"services": [worker_service(w, 1) for w in workers[:9]], "failures": [
            {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{NAME}", "reason": "MISSING"}]},
        {"cluster": CLUSTER, "services": first},
    )  # fmt: skip
    aws.ecs.add_response(
        "describe_services",
        {"services": [worker_service(w, 1) for w in workers[9:]], "failures": []},
        {"cluster": CLUSTER, "services": services[9:]},
    )
    failed, result = run(capsys)
    assert not failed and result["exists"] is False
    assert [w["name"] for w in result["workers"]] == workers and all(w["exists"] for w in result["workers"])
    # The web service is gone; the workers still show.
    assert result["lines"][0] == "Nothing to show: service djangoapp-web does not exist on cluster djangoapp."
    assert "Workers:" in result["lines"]


def schedule(name, expression, state, revision):
    family = f"djangoapp-job-{name}"
    # Shaped like GetSchedule's answer (botocore's scheduler model), ECS target included.
    return {
        "Arn": f"{SCHEDULER}:schedule/djangoapp/{name}",
        "GroupName": "djangoapp",
        "Name": name,
        "ScheduleExpression": expression,
        "ScheduleExpressionTimezone": "Europe/Paris",
        "State": state,
        "CreationDate": T0,
        "LastModificationDate": T0,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "NONE",
        "Target": {
            "Arn": CLUSTER_ARN,
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/djangoapp-scheduler",
            "RetryPolicy": {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185},
            "EcsParameters": {
                "TaskDefinitionArn": td_arn(revision, family),
                "TaskCount": 1,
                "LaunchType": "FARGATE",
                "PlatformVersion": "LATEST",
                "NetworkConfiguration": {
                    "awsvpcConfiguration": {
                        "Subnets": ["subnet-a"],
                        "SecurityGroups": ["sg-1"],
                        "AssignPublicIp": "DISABLED",
                    }
                },
            },
        },
    }


def summary(name, state):
    return {"Arn": f"{SCHEDULER}:schedule/djangoapp/{name}", "Name": name, "GroupName": "djangoapp", "State": state,
            "CreationDate": T0, "LastModificationDate": T0, "Target": {"Arn": CLUSTER_ARN}}  # fmt: skip


def test_jobs_are_listed_with_expression_state_and_task_definition(aws, capsys):
    aws.cluster(tags={"fargate:jobs": "djangoapp"})
    web_answered_in_same_call(aws, [NAME], [])
    # Two pages (AWS pages at 100 schedules, or fewer with MaxResults): one call a page, then one GetSchedule each.
    aws.scheduler.add_response("list_schedules", {"Schedules": [summary("nightly", "DISABLED")], "NextToken": "p2"},
                               {"GroupName": "djangoapp"})  # fmt: skip
    aws.scheduler.add_response("list_schedules", {"Schedules": [summary("clearsessions", "ENABLED")]},
                               {"GroupName": "djangoapp", "NextToken": "p2"})  # fmt: skip
    aws.scheduler.add_response("get_schedule", schedule("clearsessions", "cron(0 3 * * ? *)", "ENABLED", 2),
                               {"Name": "clearsessions", "GroupName": "djangoapp"})  # fmt: skip
    aws.scheduler.add_response("get_schedule", schedule("nightly", "rate(1 day)", "DISABLED", 5),
                               {"Name": "nightly", "GroupName": "djangoapp"})  # fmt: skip
    failed, result = run(capsys, check_mode=True, log_tasks=0)
    assert not failed and result["exists"] and result["workers"] == [] and result["jobs_group"] == "djangoapp"
    assert result["jobs"] == [
        {"name": "clearsessions", "schedule_expression": "cron(0 3 * * ? *)", "timezone": "Europe/Paris",
         "state": "ENABLED", "task_definition": "djangoapp-job-clearsessions:2"},
        {"name": "nightly", "schedule_expression": "rate(1 day)", "timezone": "Europe/Paris", "state": "DISABLED",
         "task_definition": "djangoapp-job-nightly:5"},
    ]  # fmt: skip
    assert aws.asked == ["ecs", "elbv2", "scheduler"]
    lines = result["lines"]
    assert lines[lines.index("Jobs:       schedule group djangoapp") + 1 :] == [
        "  clearsessions: cron(0 3 * * ? *) Europe/Paris ENABLED -> djangoapp-job-clearsessions:2",
        "  nightly: rate(1 day) Europe/Paris DISABLED -> djangoapp-job-nightly:5",
    ]


def test_a_recorded_group_that_is_gone_shows_no_schedule(aws, capsys):
    aws.cluster(tags={"fargate:jobs": "djangoapp"})
    web_answered_in_same_call(aws, [NAME], [])
    aws.scheduler.add_client_error("list_schedules", "ResourceNotFoundException", "Schedule group djangoapp does not"
                                   " exist.", expected_params={"GroupName": "djangoapp"})  # fmt: skip
    failed, result = run(capsys, log_tasks=0)
    assert (
        not failed and result["jobs"] == [] and "Jobs:       schedule group djangoapp (no schedule)" in result["lines"]
    )


@pytest.mark.parametrize("kind", ["missing", "INACTIVE"])
def test_a_recorded_worker_whose_service_is_missing_or_inactive_is_reported_so(aws, capsys, kind):
    aws.cluster(tags={"fargate:worker:celery": "deployed", "fargate:worker:rq": "deployed"})
    names = [NAME, "djangoapp-worker-celery", "djangoapp-worker-rq"]
    if kind == "missing":
        web_answered_in_same_call(aws, names, [worker_service("rq", 1)], failures=["djangoapp-worker-celery"])
    else:
        # A deleted service stays listed as INACTIVE for a while.
        web_answered_in_same_call(aws, names, [worker_service("rq", 1), worker_service("celery", 4, status="INACTIVE")])
    failed, result = run(capsys, log_tasks=0)
    assert not failed and result["exists"]
    celery, rq = result["workers"]
    status = "MISSING" if kind == "missing" else "INACTIVE"
    assert celery["exists"] is False and celery["status"] == status and rq["exists"] is True
    assert f"  celery: djangoapp-worker-celery {status} (recorded on the cluster; run site.yml)" in result["lines"]


def bare_report(**kw):
    """The smallest result report_lines reads: one service on one revision, nothing else."""
    service_part = {"name": NAME, "status": "ACTIVE", "desired": 1, "running": 1, "pending": 0,
                    "task_definition": "djangoapp-web:1"}  # fmt: skip
    return {"service": service_part, "app_url": "", "migrated": "", "deployments": [], "targets": [],
            "active_revisions": ["djangoapp-web:1"], "rollback_target": None, "events": [], "tasks": [],
            "workers": [], "jobs": [], "jobs_group": None, **kw}  # fmt: skip


@pytest.mark.parametrize("events_read", [True, False])
def test_a_missing_value_is_said_in_words(events_read):
    """No earlier revision, no event: said as such (rollback.yml reads no events: no Events line at all)."""
    text = "\n".join(mod.report_lines(bare_report(), events_read=events_read))
    assert "(none)" not in text
    assert "ACTIVE djangoapp-web:1; no earlier ACTIVE revision of djangoapp-web for rollback.yml to go back to" in text
    assert ("Events:     no service events" in text) is events_read


@pytest.mark.parametrize("code, fails", [("ClientException", False), ("AccessDeniedException", True)])
def test_a_revision_that_cannot_be_described_is_reported_without_images(aws, capsys, code, fails):
    """ECS answers ClientException "Unable to describe task definition." for a deleted revision a deployment still
    names: the status goes on without its images; any other error (access denied) still fails naming the step."""
    aws.cluster()
    svc = service([deployment(7, "PRIMARY", "COMPLETED", 1, 1)])
    svc["loadBalancers"] = []
    aws.service(svc)
    aws.ecs.add_client_error("describe_task_definition", service_error_code=code,
                             service_message="Unable to describe task definition.", http_status_code=400,
                             expected_params={"taskDefinition": td_arn(7)})  # fmt: skip
    if not fails:
        aws.ecs.add_response("list_task_definitions", {"taskDefinitionArns": [td_arn(7)]},
                             {"familyPrefix": "djangoapp-web", "status": "ACTIVE", "sort": "DESC"})  # fmt: skip
    failed, result = run(capsys, log_tasks=0)
    assert failed is fails
    if fails:
        assert f"describing task definition {td_arn(7)}" in result["msg"]
    else:
        assert result["deployments"][0]["task_definition"] == "djangoapp-web:7"
        assert result["deployments"][0]["images"] == []
