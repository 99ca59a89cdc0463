"""scheduler_schedules: the pure compare functions, and main() on a stubbed Scheduler client answering as AWS does.

AWS's GetSchedule (botocore model / API reference) adds defaults the request did not hold (Target.RetryPolicy,
ScheduleExpressionTimezone UTC, EcsParameters.TaskCount 1, ActionAfterCompletion NONE) and leaves out fields that
were never set (Description); moto answers null for those. The fake below answers the AWS way, and one test runs
the no-op through botocore's Stubber, which checks the answer against the service model.
"""

import copy
import datetime

import boto3
import botocore
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.module_utils import scheduler_compare as cmp
from ansible_collections.django_ecs.fargate.plugins.modules import scheduler_schedules as mod
from fakes import FakeClock, run_module, serve_clients

GROUP = "djangoapp"
PREFIX = "arn:aws:scheduler:us-east-1:123456789012"
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/djangoapp"
ROLE = "arn:aws:iam::123456789012:role/djangoapp-scheduler"
TASKDEF = "arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-job-clearsessions:1"


def target(taskdef=TASKDEF, subnets=("subnet-a", "subnet-b")):
    return {
        "Arn": CLUSTER,
        "RoleArn": ROLE,
        "EcsParameters": {
            "TaskDefinitionArn": taskdef,
            "LaunchType": "FARGATE",
            "PlatformVersion": "LATEST",
            "NetworkConfiguration": {
                "awsvpcConfiguration": {
                    "Subnets": list(subnets),
                    "SecurityGroups": ["sg-1"],
                    "AssignPublicIp": "ENABLED",
                }
            },
        },
    }


def spec(name="clearsessions", expression="cron(0 3 * * ? *)", **extra):
    return {"name": name, "schedule_expression": expression, "target": target(), **extra}


def error(code, message="", operation="Op"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeScheduler:
    """Schedule groups and schedules in memory; GetSchedule answers as AWS does (defaults in, empty fields out)."""

    def __init__(self):
        self.groups = {}
        self.calls = []
        self.refuse_role = 0  # how many create/update calls answer "role cannot be assumed" first

    def _log(self, name, **kwargs):
        self.calls.append((name, kwargs))

    @property
    def writes(self):
        return [call[0] for call in self.calls if not call[0].startswith(("get_", "list_"))]

    def get_schedule_group(self, Name):
        self._log("get_schedule_group", Name=Name)
        if Name not in self.groups:
            raise error("ResourceNotFoundException", f"Schedule group {Name} does not exist.")
        return {"Arn": f"{PREFIX}:schedule-group/{Name}", "Name": Name, "State": "ACTIVE"}

    def create_schedule_group(self, Name, Tags):
        self._log("create_schedule_group", Name=Name, Tags=Tags)
        self.groups[Name] = {}
        return {"ScheduleGroupArn": f"{PREFIX}:schedule-group/{Name}"}

    def delete_schedule_group(self, Name):
        self._log("delete_schedule_group", Name=Name)
        self.groups.pop(Name)

    def list_schedules(self, GroupName, NextToken=None):
        self._log("list_schedules", GroupName=GroupName)
        names = sorted(self.groups[GroupName])
        # Two pages, as a real group with many schedules answers.
        if NextToken is None and len(names) > 1:
            return {"Schedules": [{"Name": names[0]}], "NextToken": "page2"}
        rest = names[1:] if NextToken else names
        return {"Schedules": [{"Name": name} for name in rest]}

    def get_schedule(self, Name, GroupName):
        self._log("get_schedule", Name=Name)
        stored = copy.deepcopy(self.groups[GroupName][Name])
        stored["Target"].setdefault("RetryPolicy", dict(cmp.DEFAULT_RETRY_POLICY))
        stored["Target"].get("EcsParameters", {}).setdefault("TaskCount", 1)
        # Subnets come back in an order of AWS's own.
        vpc = stored["Target"].get("EcsParameters", {}).get("NetworkConfiguration", {}).get("awsvpcConfiguration")
        if vpc:
            vpc["Subnets"] = sorted(vpc["Subnets"], reverse=True)
        answer = {
            "Arn": f"{PREFIX}:schedule/{GroupName}/{Name}",
            "Name": Name,
            "GroupName": GroupName,
            "ScheduleExpressionTimezone": "UTC",
            "State": "ENABLED",
            "ActionAfterCompletion": "NONE",
            "CreationDate": datetime.datetime(2026, 1, 1),
            **stored,
        }
        if not answer.get("Description"):
            answer.pop("Description", None)
        return answer

    def _write(self, method, Name, GroupName, **fields):
        self._log(method, Name=Name, **fields)
        if self.refuse_role:
            self.refuse_role -= 1
            raise error(
                "ValidationException",
                "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.",
            )
        self.groups[GroupName][Name] = copy.deepcopy(fields)
        return {"ScheduleArn": f"{PREFIX}:schedule/{GroupName}/{Name}"}

    def create_schedule(self, **kwargs):
        return self._write("create_schedule", **kwargs)

    def update_schedule(self, **kwargs):
        return self._write("update_schedule", **kwargs)

    def delete_schedule(self, Name, GroupName):
        self._log("delete_schedule", Name=Name)
        self.groups[GroupName].pop(Name)


@pytest.fixture
def scheduler(monkeypatch):
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    fake = FakeScheduler()
    serve_clients(monkeypatch, {"scheduler": fake})
    return fake


def run(capsys, schedules=(), check_mode=False, diff=False, **extra):
    args = {"region": "us-east-1", "group": GROUP, "schedules": list(schedules), **extra}
    return run_module(mod.main, args, capsys, check_mode, diff)


# --- pure functions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 day)",
        "rate(12 hours)",
        "cron(0 3 * * ? *)",
        "cron(0/15 9-17 ? * MON-FRI *)",
    ],
)
def test_accepted_expressions(expression):
    assert cmp.expression_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "singular"),
        ("rate(0 minutes)", "expected rate"),
        ("rate(1 week)", "expected rate"),
        ("cron(0 3 * * *)", "six fields"),
        ("cron(0 3 * * * *)", "exactly one"),
        ("cron(0 3 ? * ? *)", "exactly one"),
        ("cron(0 3 * * ? *;rm)", "only digits"),
        ("at(2026-01-01T00:00:00)", "expected rate"),
        ("0 3 * * *", "expected rate"),
    ],
)
def test_refused_expressions(expression, why):
    assert why in cmp.expression_problem(expression)


def aws_answer(desired):
    """What GetSchedule answers for a schedule created with these fields (defaults added, empties left out)."""
    answer = {"Arn": f"{PREFIX}:schedule/{GROUP}/x", "Name": "x", "GroupName": GROUP, **copy.deepcopy(desired)}
    answer.pop("Description")
    answer["Target"]["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"]["Subnets"].reverse()
    return answer


def test_aws_defaults_and_left_out_fields_are_no_change():
    desired = cmp.desired_schedule(spec())
    assert cmp.schedule_changes(desired, aws_answer(desired)) == []


def test_moto_nulls_are_no_change():
    desired = cmp.desired_schedule(spec())
    answer = {**aws_answer(desired), "Description": None, "KmsKeyArn": None, "StartDate": None}
    assert cmp.schedule_changes(desired, answer) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"schedule_expression": "rate(1 day)"}, "ScheduleExpression"),
        ({"description": "nightly"}, "Description"),
        ({"state": "DISABLED"}, "State"),
        ({"schedule_expression_timezone": "Europe/Paris"}, "ScheduleExpressionTimezone"),
        ({"target": target(taskdef=TASKDEF[:-1] + "2")}, "Target.EcsParameters.TaskDefinitionArn"),
        (
            {"target": target(subnets=("subnet-c",))},
            "Target.EcsParameters.NetworkConfiguration.awsvpcConfiguration.Subnets",
        ),
    ],
)
def test_each_managed_field_is_a_change(change, path):
    before = cmp.desired_schedule(spec())
    after = cmp.desired_schedule({**spec(), **change})
    assert cmp.schedule_changes(after, aws_answer(before)) == [path]


def test_a_retry_policy_changed_elsewhere_is_a_change():
    desired = cmp.desired_schedule(spec())
    answer = aws_answer(desired)
    answer["Target"]["RetryPolicy"]["MaximumRetryAttempts"] = 3
    assert cmp.schedule_changes(desired, answer) == ["Target.RetryPolicy.MaximumRetryAttempts"]


def test_a_description_removed_is_a_change():
    before = cmp.desired_schedule(spec(description="nightly"))
    answer = {**aws_answer(cmp.desired_schedule(spec())), "Description": "nightly"}
    assert cmp.schedule_changes(cmp.desired_schedule(spec()), answer) == ["Description"]
    assert cmp.schedule_changes(before, answer) == []


def test_plan():
    assert cmp.plan({"a": 1, "b": 2}, ["b", "c"]) == (["a"], ["b"], ["c"])
    assert cmp.plan({"a": 1}, ["c"], purge=False) == (["a"], [], [])


# --- the module on the fake -------------------------------------------------------------------------------------


def test_empty_list_and_no_group_is_one_read(scheduler, capsys):
    failed, result = run(capsys)
    assert not failed and not result["changed"]
    assert scheduler.calls == [("get_schedule_group", {"Name": GROUP})]


def test_a_group_being_deleted_counts_as_gone(scheduler, capsys, monkeypatch):
    answer = {"Arn": f"{PREFIX}:schedule-group/{GROUP}", "Name": GROUP, "State": "DELETING"}
    monkeypatch.setattr(scheduler, "get_schedule_group", lambda Name: answer)
    failed, result = run(capsys, state="absent")
    assert not failed and not result["changed"] and scheduler.writes == []


def test_create_then_no_op_then_change_then_remove(scheduler, capsys):
    failed, result = run(capsys, [spec(), spec("ping", "rate(5 minutes)")])
    assert not failed, result
    assert result["changed"] and result["created"] == ["clearsessions", "ping"]
    assert scheduler.writes == ["create_schedule_group", "create_schedule", "create_schedule"]
    sent = scheduler.groups[GROUP]["clearsessions"]
    assert sent["Target"]["EcsParameters"]["TaskCount"] == 1 and sent["FlexibleTimeWindow"] == {"Mode": "OFF"}
    # Every managed field is sent, so a retry policy changed outside Ansible counts as a change.
    assert sent["Target"]["RetryPolicy"] == cmp.DEFAULT_RETRY_POLICY and sent["ActionAfterCompletion"] == "NONE"

    scheduler.calls.clear()
    failed, result = run(capsys, [spec(), spec("ping", "rate(5 minutes)")])
    assert not failed and not result["changed"], result
    assert scheduler.writes == []
    assert sorted(result["schedules"]) == ["clearsessions", "ping"]

    scheduler.calls.clear()
    failed, result = run(capsys, [spec(), spec("ping", "rate(10 minutes)")], diff=True)
    assert result["changed"] and result["updated"] == {"ping": ["ScheduleExpression"]}
    assert scheduler.writes == ["update_schedule"]
    assert result["diff"]["before"]["ping"]["ScheduleExpression"] == "rate(5 minutes)"
    assert result["diff"]["after"]["ping"]["ScheduleExpression"] == "rate(10 minutes)"

    scheduler.calls.clear()
    failed, result = run(capsys, [spec("ping", "rate(10 minutes)")])
    assert result["changed"] and result["deleted"] == ["clearsessions"]
    assert result["deleted_targets"] == {"clearsessions": TASKDEF}
    assert scheduler.writes == ["delete_schedule"] and list(scheduler.groups[GROUP]) == ["ping"]


def test_check_mode_reports_and_writes_nothing(scheduler, capsys):
    failed, result = run(capsys, [spec()], check_mode=True, diff=True)
    assert not failed and result["changed"] and result["created"] == ["clearsessions"]
    assert scheduler.writes == [] and "clearsessions" in result["diff"]["after"]
    run(capsys, [spec()])
    scheduler.calls.clear()
    failed, result = run(capsys, [spec(expression="rate(1 day)")], check_mode=True)
    assert result["changed"] and result["updated"] == {"clearsessions": ["ScheduleExpression"]}
    failed, result = run(capsys, [], check_mode=True, state="absent")
    assert result["changed"] and result["deleted"] == ["clearsessions"]
    assert scheduler.writes == []


def test_absent_deletes_the_schedules_and_the_group(scheduler, capsys):
    run(capsys, [spec()])
    scheduler.calls.clear()
    failed, result = run(capsys, [spec()], state="absent")
    assert not failed and result["changed"] and result["deleted"] == ["clearsessions"]
    assert scheduler.writes == ["delete_schedule", "delete_schedule_group"] and GROUP not in scheduler.groups
    failed, result = run(capsys, state="absent")
    assert not result["changed"]


def test_a_role_not_yet_assumable_is_retried(scheduler, capsys, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(mod.time, "sleep", clock.sleep)
    monkeypatch.setattr(mod.time, "monotonic", clock)
    monkeypatch.setattr(mod, "write_schedule", _with_defaults(mod.write_schedule, clock))
    scheduler.refuse_role = 2
    failed, result = run(capsys, [spec()])
    assert not failed, result
    assert clock.sleeps == [5.0, 7.5]


def _with_defaults(function, clock):
    def call(*args, **kwargs):
        return function(*args, sleep=clock.sleep, clock=clock, **kwargs)

    return call


def test_a_role_never_assumable_fails_with_the_reason(scheduler, capsys, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(mod, "write_schedule", _with_defaults(mod.write_schedule, clock))
    scheduler.refuse_role = 1000
    failed, result = run(capsys, [spec()], role_wait_timeout=60)
    assert failed and "must allow AWS EventBridge Scheduler" in result["msg"]
    assert 60 <= clock.now <= 80


@pytest.mark.parametrize(
    ("schedules", "message"),
    [
        ([spec(expression="rate(1 minutes)")], "schedule_expression 'rate(1 minutes)'"),
        ([spec(), spec()], "listed twice"),
        ([spec(name="bad name")], "name 'bad name'"),
        ([{**spec(), "target": {"Arn": CLUSTER}}], "target.RoleArn is required"),
    ],
)
def test_bad_schedules_are_refused_before_any_call(scheduler, capsys, schedules, message):
    failed, result = run(capsys, schedules)
    assert failed and message in result["msg"]
    assert scheduler.calls == []


def test_no_op_on_an_answer_botocore_validates(monkeypatch, capsys):
    """The no-op against Stubber: the GetSchedule answer is checked against the real service model."""
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    client = boto3.client("scheduler", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    desired = cmp.desired_schedule(spec())
    answer = {
        "Arn": f"{PREFIX}:schedule/{GROUP}/clearsessions",
        "Name": "clearsessions",
        "GroupName": GROUP,
        "CreationDate": datetime.datetime(2026, 1, 1),
        "LastModificationDate": datetime.datetime(2026, 1, 2),
        **{key: value for key, value in desired.items() if key != "Description"},
    }
    answer["Target"]["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"]["Subnets"].reverse()
    with Stubber(client) as stub:
        stub.add_response(
            "get_schedule_group", {"Arn": f"{PREFIX}:schedule-group/{GROUP}", "Name": GROUP, "State": "ACTIVE"}
        )
        stub.add_response(
            "list_schedules",
            {
                "Schedules": [
                    {"Name": "clearsessions", "GroupName": GROUP, "Target": {"Arn": CLUSTER}, "State": "ENABLED"}
                ]
            },
        )
        stub.add_response("get_schedule", answer, {"Name": "clearsessions", "GroupName": GROUP})
        serve_clients(monkeypatch, {"scheduler": client})
        failed, result = run(capsys, [spec()])
        stub.assert_no_pending_responses()
    assert not failed and not result["changed"], result


@pytest.mark.parametrize(
    ("codes", "retried"),
    [
        (["ThrottlingException", "InternalServerException"], True),  # Scheduler's own (retry_for("scheduler"))
        (["AccessDeniedException"], False),
    ],
)
def test_scheduler_throttling_and_its_5xx_are_retried(scheduler, capsys, monkeypatch, codes, retried):
    sleeps, answers = [], [error(code, "try again", "GetScheduleGroup") for code in codes]
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    read = scheduler.get_schedule_group

    def get_schedule_group(Name):
        if answers:
            scheduler.calls.append(("get_schedule_group", {"Name": Name}))
            raise answers.pop(0)
        return read(Name)

    monkeypatch.setattr(scheduler, "get_schedule_group", get_schedule_group)
    failed, result = run(capsys)
    if retried:
        assert not failed, result["msg"]
        assert len(sleeps) == 2 and len(scheduler.calls) == 3
    else:
        assert failed and result["error"]["code"] == "AccessDeniedException"
        assert sleeps == [] and len(scheduler.calls) == 1


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("get_schedule", "Could not read the schedule djangoapp/clearsessions"),
        ("delete_schedule", "Could not delete the schedule djangoapp/clearsessions"),
        ("delete_schedule_group", "Could not delete the schedule group djangoapp"),
    ],
)
def test_an_error_other_than_not_found_fails(scheduler, capsys, monkeypatch, method, message):
    """Only ResourceNotFoundException means "gone"; AccessDenied on a read or a delete fails the run."""
    run(capsys, [spec()])

    def refused(**kwargs):
        raise error("AccessDeniedException", "not authorized", "Op")

    monkeypatch.setattr(scheduler, method, refused)
    failed, result = run(capsys, [spec()], state="absent")
    assert failed and result["msg"].startswith(message + ": ")
    assert result["error"]["code"] == "AccessDeniedException"
