"""The runtime's schedule firer (emulator/schedules.py) on a fake clock and fake backends: when rate() and cron()
schedules are due, what RunTask receives, what never fires (disabled, non-ECS targets, L/W/#), and that an update
restarts the rate's interval."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from emulator import schedules

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/djangoapp"
TASKDEF = "arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-job-ping:1"
T0 = datetime(2026, 12, 3, 7, 0, 10, tzinfo=UTC).timestamp()  # a Thursday


@dataclass
class FakeSchedule:
    name: str
    schedule_expression: str
    state: str = "ENABLED"
    group_name: str = "djangoapp"
    creation_date: float = T0
    last_modified_date: float = T0
    target: dict = field(
        default_factory=lambda: {
            "Arn": CLUSTER,
            "RoleArn": "arn:aws:iam::123456789012:role/djangoapp-scheduler",
            "EcsParameters": {
                "TaskDefinitionArn": TASKDEF,
                "TaskCount": 1,
                "LaunchType": "FARGATE",
                "PlatformVersion": "LATEST",
                "NetworkConfiguration": {
                    "awsvpcConfiguration": {
                        "Subnets": ["subnet-a"],
                        "SecurityGroups": ["sg-1"],
                        "AssignPublicIp": "ENABLED",
                    }
                },
            },
        }
    )

    @property
    def arn(self):
        return f"arn:aws:scheduler:us-east-1:123456789012:schedule/{self.group_name}/{self.name}"


@dataclass
class FakeGroup:
    schedules: dict


class FakeScheduler:
    def __init__(self, *items):
        self.schedule_groups = {"djangoapp": FakeGroup({s.name: s for s in items})}


class FakeEcs:
    def __init__(self):
        self.runs = []

    def run_task(self, *args):
        self.runs.append(args)
        return []


def firer(*items):
    ecs = FakeEcs()
    backends = {"123456789012": {"us-east-1": FakeScheduler(*items)}}
    return schedules.Firer(backends, {"123456789012": {"us-east-1": ecs}}), ecs


def fires_at(fire, start, seconds, step=5.0):
    """The times (seconds after ``start``) at which ticks every ``step`` seconds fired something."""
    times = []
    now = start
    while now <= start + seconds:
        if fire.tick(now):
            times.append(round(now - start))
        now += step
    return times


def test_rate_fires_one_interval_after_creation_then_every_interval():
    fire, ecs = firer(FakeSchedule("ping", "rate(1 minute)"))
    assert fires_at(fire, T0, 200) == [60, 120, 180]
    cluster, taskdef, count, overrides, started_by, tags, launch, network, group, platform = ecs.runs[0]
    assert (cluster, taskdef, count, launch, platform) == (CLUSTER, TASKDEF, 1, "FARGATE", "LATEST")
    assert started_by == "scheduler/djangoapp/ping" and overrides == {} and group is None
    assert network == {
        "awsvpcConfiguration": {"subnets": ["subnet-a"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}
    }


def test_an_update_restarts_the_interval():
    schedule = FakeSchedule("ping", "rate(2 minutes)")
    fire, _ecs = firer(schedule)
    assert fires_at(fire, T0, 130) == [120]
    schedule.last_modified_date = T0 + 150
    assert fires_at(fire, T0 + 135, 200) == [135]  # 150 + 120 = 270 = 135 s after T0 + 135


def test_cron_fires_once_in_each_matching_minute():
    fire, ecs = firer(FakeSchedule("nightly", "cron(0/2 7 ? * THU *)"))
    # T0 is 07:00:10 on a Thursday: fires at 07:02 and 07:04 (once each, although ticks come every 5 s).
    assert fires_at(fire, T0, 290) == [110, 230]
    assert len(ecs.runs) == 2


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        ("cron(0 3 * * ? *)", datetime(2026, 12, 3, 3, 0, tzinfo=UTC), True),
        ("cron(0 3 * * ? *)", datetime(2026, 12, 3, 3, 1, tzinfo=UTC), False),
        ("cron(15 10 ? * MON-FRI *)", datetime(2026, 12, 5, 10, 15, tzinfo=UTC), False),  # Saturday
        ("cron(15 10 ? * 2-6 *)", datetime(2026, 12, 4, 10, 15, tzinfo=UTC), True),  # Friday = 6
        ("cron(0 0 1 JAN,JUL ? 2026)", datetime(2026, 7, 1, 0, 0, tzinfo=UTC), True),
        ("cron(0 0 1 JAN,JUL ? 2027)", datetime(2026, 7, 1, 0, 0, tzinfo=UTC), False),
        ("cron(0 0 L * ? *)", datetime(2026, 12, 31, 0, 0, tzinfo=UTC), None),
        ("cron(0 0 ? * 6#3 *)", datetime(2026, 12, 18, 0, 0, tzinfo=UTC), None),
        ("cron(0 0 * *)", datetime(2026, 12, 18, 0, 0, tzinfo=UTC), None),
    ],
)
def test_cron_matches(expression, moment, expected):
    assert schedules.cron_matches(expression, moment) is expected


def test_disabled_and_non_ecs_schedules_never_fire():
    other = FakeSchedule("lambda", "rate(1 minute)")
    other.target = {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "RoleArn": "r"}
    fire, ecs = firer(FakeSchedule("off", "rate(1 minute)", state="DISABLED"), other)
    assert fires_at(fire, T0, 300) == [] and ecs.runs == []


def test_a_failing_run_task_is_logged_and_retried_next_interval(caplog):
    fire, ecs = firer(FakeSchedule("ping", "rate(1 minute)"))

    def refuse(*args):
        raise RuntimeError("no such task definition")

    ecs.run_task = refuse
    assert fires_at(fire, T0, 130) == []
    assert "RunTask failed" in caplog.text
