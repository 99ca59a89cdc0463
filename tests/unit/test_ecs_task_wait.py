"""The pure waiting and result logic of ecs_run_task, on fixtures and a fake clock (no sleeping)."""

import datetime
import itertools

import pytest

from ansible_collections.django_ecs.fargate.plugins.module_utils import ecs_task_wait as w
from fakes import FakeClock

ARN = "arn:aws:ecs:us-east-1:123456789012:task/djangoapp/abc123"


def task(status="RUNNING", desired="RUNNING", containers=None, **extra):
    result = {"taskArn": ARN, "lastStatus": status, "desiredStatus": desired, "containers": containers or []}
    result.update(extra)
    return result


def container(name="migrate", exit_code=None, reason=None, status="STOPPED"):
    result = {"name": name, "lastStatus": status}
    if exit_code is not None:
        result["exitCode"] = exit_code
    if reason:
        result["reason"] = reason
    return result


# ---- poll schedule ------------------------------------------------------------------------------


def test_poll_delays_grow_to_the_cap_and_stay():
    assert list(itertools.islice(w.poll_delays(), 8)) == [1.0, 1.5, 2.25, 3.375, 5.0, 5.0, 5.0, 5.0]


def test_poll_delays_custom():
    assert list(itertools.islice(w.poll_delays(2, 2, 5), 4)) == [2, 4, 5, 5]


def test_schedule_switches_to_fast_polling_once_the_task_is_stopping():
    schedule = w.PollSchedule()
    running = [schedule.next_delay(task("RUNNING")) for _step in range(6)]
    stopping = [schedule.next_delay(task("DEACTIVATING", "STOPPED")) for _step in range(5)]
    assert running == [1.0, 1.5, 2.25, 3.375, 5.0, 5.0]
    assert stopping == [1.0, 1.25, 1.5625, 1.953125, 2.0]
    assert max(stopping) <= w.STOPPING_MAX_DELAY


def test_schedule_desired_stopped_counts_as_stopping():
    schedule = w.PollSchedule()
    for _step in range(6):
        schedule.next_delay(task("RUNNING"))
    assert schedule.next_delay(task("RUNNING", desired="STOPPED")) == 1.0


# ---- predicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "desired", "done", "stopping", "active"),
    [
        ("PROVISIONING", "RUNNING", False, False, True),
        ("PENDING", "RUNNING", False, False, True),
        ("RUNNING", "RUNNING", False, False, True),
        ("RUNNING", "STOPPED", False, True, False),
        ("DEACTIVATING", "STOPPED", False, True, False),
        ("STOPPING", "STOPPED", False, True, False),
        ("DEPROVISIONING", "STOPPED", False, True, False),
        ("DEPROVISIONING", "RUNNING", False, True, False),  # moto keeps desiredStatus RUNNING
        ("STOPPED", "STOPPED", True, False, False),
        ("STOPPED", "RUNNING", True, False, False),
    ],
)
def test_predicates(status, desired, done, stopping, active):
    t = task(status, desired)
    assert w.task_done(t) is done
    assert w.is_stopping(t) is stopping
    assert w.is_active(t) is active


def test_predicates_on_nothing():
    assert not w.task_done(None)
    assert not w.is_stopping(None)
    assert not w.is_active({})


# ---- wait loop ----------------------------------------------------------------------------------


def scripted(statuses):
    """A describe() returning the given statuses in turn (the last one forever), counting calls."""
    seen = iter(statuses)
    last = {}

    def describe():
        try:
            last["task"] = task(*next(seen)) if isinstance(statuses[0], tuple) else task(next(seen))
        except StopIteration:
            pass
        return last["task"]

    return describe


def test_wait_returns_at_the_first_stopped_poll():
    clock = FakeClock()
    describe = scripted(["RUNNING"] * 6 + ["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"])
    result = w.wait_for_stop(describe, 600, clock, clock.sleep, task=task("PROVISIONING"))
    assert not result.timed_out
    assert result.task["lastStatus"] == "STOPPED"
    assert result.describe_calls == 10
    assert clock.sleeps == [1.0, 1.5, 2.25, 3.375, 5.0, 5.0, 5.0, 1.0, 1.25, 1.562]
    assert [h["status"] for h in result.history] == ["RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]
    assert result.history[0]["elapsed"] == 1.0
    assert result.waited_seconds == pytest.approx(sum(clock.sleeps), abs=0.01)


def test_wait_does_not_poll_an_already_stopped_task():
    clock = FakeClock()
    result = w.wait_for_stop(lambda: pytest.fail("no describe"), 60, clock, clock.sleep, task=task("STOPPED"))
    assert result.describe_calls == 0
    assert not result.timed_out


def test_wait_times_out_exactly_at_the_deadline():
    clock = FakeClock()
    result = w.wait_for_stop(scripted(["RUNNING"]), 12, clock, clock.sleep, task=task("PENDING"))
    assert result.timed_out
    assert clock.now == 12
    # 1 + 1.5 + 2.25 + 3.375 = 8.125, then the last sleep is cut to the 3.875 s that remain.
    assert clock.sleeps == [1.0, 1.5, 2.25, 3.375, 3.875]
    assert result.describe_calls == 5
    assert result.task["lastStatus"] == "RUNNING"


def test_wait_keeps_the_last_task_when_describe_returns_nothing():
    clock = FakeClock()
    start = task("PENDING")
    result = w.wait_for_stop(lambda: None, 2, clock, clock.sleep, task=start)
    assert result.timed_out
    assert result.task is start


def test_a_thirty_second_task_costs_about_a_dozen_calls_and_under_two_seconds_of_overshoot():
    """Simulate a task that is RUNNING for 30 s and then takes 3 s to reach STOPPED."""
    clock = FakeClock()

    def describe():
        if clock.now < 30:
            return task("RUNNING")
        if clock.now < 33:
            return task("DEPROVISIONING", "STOPPED")
        return task("STOPPED", "STOPPED")

    result = w.wait_for_stop(describe, 600, clock, clock.sleep, task=task("PROVISIONING"))
    assert result.task["lastStatus"] == "STOPPED"
    assert clock.now - 33 <= w.STOPPING_MAX_DELAY
    assert result.describe_calls <= 12


# ---- times --------------------------------------------------------------------------------------


def test_duration_from_datetimes_and_fallbacks():
    start = datetime.datetime(2026, 1, 1, 10, 0, 0, tzinfo=datetime.UTC)
    stop = start + datetime.timedelta(seconds=42.5)
    assert w.task_duration({"startedAt": start, "stoppedAt": stop}) == 42.5
    assert w.task_duration({"createdAt": start, "stoppingAt": stop}) == 42.5
    assert w.task_duration({"startedAt": start}) is None
    assert w.task_duration({"startedAt": 1000, "stoppedAt": 1010.25}) == 10.25
    assert w.task_duration({"startedAt": "2026-01-01T10:00:00Z", "stoppedAt": "2026-01-01T10:01:00"}) == 60
    assert w.task_duration({"startedAt": "nonsense", "stoppedAt": stop}) is None


def test_iso_time():
    naive = datetime.datetime(2026, 1, 1, 10, 0, 0)
    assert w.iso_time(naive) == "2026-01-01T10:00:00+00:00"
    assert w.iso_time(None) is None


def test_ids():
    assert w.task_id(ARN) == "abc123"
    assert w.task_id(None) is None
    assert w.family_of("arn:aws:ecs:us-east-1:1:task-definition/app-migrate:7") == "app-migrate"
    assert w.family_of("app-migrate:7") == "app-migrate"


# ---- outcome ------------------------------------------------------------------------------------


def test_success():
    outcome = w.classify_outcome(task("STOPPED", containers=[container(exit_code=0)]), ["migrate"])
    assert outcome.ok and outcome.kind == "success" and outcome.exit_code == 0


def test_non_zero_exit():
    t = task("STOPPED", containers=[container(exit_code=1)], stopCode="EssentialContainerExited")
    outcome = w.classify_outcome(t, ["migrate"])
    assert not outcome.ok
    assert outcome.kind == "container_failed"
    assert outcome.exit_code == 1
    assert "container 'migrate' exited with code 1" in outcome.message


def test_out_of_memory_hint():
    t = task("STOPPED", containers=[container(exit_code=137, reason="OutOfMemoryError: Container killed")])
    outcome = w.classify_outcome(t, ["migrate"])
    assert "more memory" in outcome.message
    assert "OutOfMemoryError" in outcome.message


@pytest.mark.parametrize(("code", "words"), [(137, "SIGKILL"), (139, "segmentation"), (143, "SIGTERM"), (2, "log")])
def test_exit_code_hints(code, words):
    outcome = w.classify_outcome(task("STOPPED", containers=[container(exit_code=code)]), ["migrate"])
    assert words in outcome.message


def test_non_essential_sidecar_failure_is_ignored():
    t = task("STOPPED", containers=[container(exit_code=0), container("xray", exit_code=1)])
    assert w.classify_outcome(t, ["migrate"]).ok


def test_every_essential_container_counts_without_a_named_container():
    t = task("STOPPED", containers=[container(exit_code=0), container("worker", exit_code=3)])
    outcome = w.classify_outcome(t, ["migrate", "worker"])
    assert not outcome.ok
    assert "'worker' exited with code 3" in outcome.message
    # Naming the container narrows the verdict to it.
    assert w.classify_outcome(t, ["migrate", "worker"], container="migrate").ok


@pytest.mark.parametrize(
    ("stop_code", "reason", "container_reason", "expect"),
    [
        ("TaskFailedToStart", "CannotPullContainerError: pull access denied", None, "image"),
        ("TaskFailedToStart", "ResourceInitializationError: unable to pull secrets", None, "secrets"),
        ("TaskFailedToStart", "Task failed to start", "CannotStartContainerError: exec failed", "command"),
        ("TaskFailedToStart", "Task failed to start", "CannotCreateContainerError: x", "volumes"),
        ("TaskFailedToStart", "Timeout waiting for network interface provisioning", None, "stopped_reason"),
        ("EssentialContainerExited", "", "CannotPullContainerError: manifest unknown", "image"),
    ],
)
def test_failed_to_start(stop_code, reason, container_reason, expect):
    t = task("STOPPED", stopCode=stop_code, stoppedReason=reason, containers=[container(reason=container_reason)])
    outcome = w.classify_outcome(t, ["migrate"])
    assert not outcome.ok
    assert outcome.kind == "failed_to_start"
    assert "stopped before its container ran" in outcome.message
    assert expect in outcome.message
    assert outcome.exit_code is None


def test_stopped_by_user_without_exit_code():
    t = task("STOPPED", stopCode="UserInitiated", stoppedReason="Stopped by admin", containers=[container()])
    outcome = w.classify_outcome(t, ["migrate"])
    assert outcome.kind == "no_exit_code"
    assert "StopTask" in outcome.message
    assert "Stopped by admin" in outcome.message


def test_spot_interruption():
    t = task("STOPPED", stopCode="SpotInterruption", containers=[container()])
    assert "Spot" in w.classify_outcome(t, ["migrate"]).message


@pytest.mark.parametrize("exit_code", [None, 137], ids=["no-exit-code", "killed"])
def test_infrastructure_health_hint(exit_code):
    """stopCode InfrastructureHealth (botocore's TaskStopCode enum): AWS ended the task, not the container."""
    t = task(
        "STOPPED",
        stopCode="InfrastructureHealth",
        stoppedReason="Task stopped due to an infrastructure health issue.",
        containers=[container(exit_code=exit_code)],
    )
    outcome = w.classify_outcome(t, ["migrate"])
    assert not outcome.ok
    assert "infrastructure under it" in outcome.message and "run it again" in outcome.message
    assert "ran out of memory" not in outcome.message


def test_named_container_missing():
    outcome = w.classify_outcome(task("STOPPED", containers=[container(exit_code=0)]), ["migrate"], container="web")
    assert outcome.kind == "container_missing"
    assert "migrate" in outcome.message


def test_essential_containers_default_true():
    definition = {"containerDefinitions": [{"name": "a"}, {"name": "b", "essential": False}, {"name": "c"}]}
    assert w.essential_containers(definition) == ["a", "c"]


def test_container_summaries():
    summaries = w.container_summaries(task(containers=[container(exit_code=0), container("x")]), ["migrate"])
    assert summaries == [
        {"name": "migrate", "exit_code": 0, "reason": None, "last_status": "STOPPED", "essential": True},
        {"name": "x", "exit_code": None, "reason": None, "last_status": "STOPPED", "essential": False},
    ]


# ---- messages -----------------------------------------------------------------------------------


def test_run_task_failures_message_with_hints():
    message = w.run_task_failures_message(
        [
            {"arn": "arn:aws:ecs:...:container-instance/1", "reason": "RESOURCE:MEMORY"},
            {"reason": "Capacity is unavailable at this time", "detail": "FARGATE"},
        ]
    )
    assert message.startswith("RunTask did not start the task: RESOURCE:MEMORY for arn:aws:ecs")
    assert "(FARGATE)" in message
    assert "no capacity" in message
    assert "Fargate has no capacity" in message


def test_run_task_failures_message_unknown_reason():
    assert w.run_task_failures_message([{}]) == "RunTask did not start the task: unknown reason."


@pytest.mark.parametrize(
    ("stopped", "error", "expect"),
    [(True, None, "It was stopped"), (False, "AccessDenied", "Stopping it failed"), (False, None, "still running")],
)
def test_timeout_message(stopped, error, expect):
    message = w.timeout_message(task("RUNNING"), 30, stopped, error)
    assert "did not stop within 30 s (last status RUNNING)" in message
    assert expect in message


def test_concurrent_message():
    message = w.concurrent_message([task("PENDING")], "django-ecs-migrate", "app-migrate")
    assert "abc123 (PENDING)" in message
    assert "concurrency=wait" in message


# ---- log configuration --------------------------------------------------------------------------


def test_log_configuration():
    definition = {
        "containerDefinitions": [
            {
                "name": "migrate",
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/app", "awslogs-stream-prefix": "django-migration"},
                },
            },
            {"name": "fluent", "logConfiguration": {"logDriver": "awsfirelens"}},
            {"name": "bare"},
        ]
    }
    assert w.log_configuration(definition, "migrate") == {
        "group": "/ecs/app",
        "prefix": "django-migration",
        "region": None,
    }
    assert w.log_configuration(definition, "fluent") is None
    assert w.log_configuration(definition, "bare") is None
    assert w.log_configuration(definition, "nope") is None


def test_log_stream_name():
    assert w.log_stream_name("django-migration", "migrate", ARN) == "django-migration/migrate/abc123"
    assert w.log_stream_name(None, "migrate", ARN) is None


# ---- what the mutation run found untested: the exact verdicts and messages -------------------------

TFS = "the task failed to start: check stopped_reason and each container's reason"


def outcome_of(t, essential=("migrate",), container_name=None):
    o = w.classify_outcome(t, list(essential), container_name)
    return o.ok, o.kind, o.message, o.exit_code


@pytest.mark.parametrize(
    ("t", "kwargs", "expected"),
    [
        (
            task("STOPPED", containers=[container(exit_code=0), container("worker", exit_code=0)]),
            {"essential": ("migrate", "worker")},
            (True, "success", "Task abc123 succeeded: migrate, worker exited 0.", 0),
        ),
        (
            task("STOPPED", containers=[container(exit_code=1)]),
            {},
            (
                False,
                "container_failed",
                "Task abc123: container 'migrate' exited with code 1; see the log lines for the error.",
                1,
            ),
        ),
        (
            task("STOPPED", containers=[container(exit_code=137, reason="OutOfMemoryError: Container killed")]),
            {},
            (
                False,
                "container_failed",
                "Task abc123: container 'migrate' exited with code 137 (OutOfMemoryError: Container killed); the "
                "container was killed for using more memory than allowed: raise the task or container memory.",
                137,
            ),
        ),
        (
            task("STOPPED", containers=[container(), container("worker", exit_code=2)]),
            {"essential": ("migrate",), "container_name": "worker"},
            (
                False,
                "container_failed",
                "Task abc123: container 'worker' exited with code 2; see the log lines for the error.",
                2,
            ),
        ),
        (
            task(
                "STOPPED",
                containers=[container(exit_code=0), container("worker", exit_code=None)],
                stopCode="UserInitiated",
                stoppedReason="stopped by me",
            ),
            {"essential": ("migrate", "worker")},
            (
                False,
                "no_exit_code",
                "Task abc123 stopped but container 'worker' has no exit code (UserInitiated: stopped by me); "
                "someone (or something) called StopTask on this task.",
                0,
            ),
        ),
        (
            task("STOPPED", containers=[container(exit_code=0), container("worker", reason="killed")]),
            {"essential": ("migrate", "worker")},
            (
                False,
                "no_exit_code",
                "Task abc123 stopped but container 'worker' has no exit code (no stop code: killed); "
                "check stopped_reason.",
                0,
            ),
        ),
        (
            task("STOPPED", containers=[container(exit_code=0), container("worker")]),
            {"essential": ("migrate", "worker")},
            (
                False,
                "no_exit_code",
                "Task abc123 stopped but container 'worker' has no exit code (no stop code: no reason given); "
                "check stopped_reason.",
                0,
            ),
        ),
        (
            task("STOPPED", containers=[container("b", exit_code=0), container("a", exit_code=0)]),
            {"container_name": "web"},
            (False, "container_missing", "Task abc123 has no container named 'web'; it has: a, b.", None),
        ),
        (
            task("STOPPED", containers=[]),
            {"container_name": "web"},
            (False, "container_missing", "Task abc123 has no container named 'web'; it has: none.", None),
        ),
        (
            task("STOPPED", containers=[container()], stopCode="TaskFailedToStart"),
            {},
            (
                False,
                "failed_to_start",
                f"Task abc123 stopped before its container ran (TaskFailedToStart: no reason given); {TFS}.",
                None,
            ),
        ),
        (
            task("STOPPED", containers=[container(reason="boom")], stopCode="TaskFailedToStart"),
            {},
            (
                False,
                "failed_to_start",
                f"Task abc123 stopped before its container ran (TaskFailedToStart: boom); {TFS}.",
                None,
            ),
        ),
        (
            task("STOPPED", containers=[container(exit_code=3)], stopCode="TaskFailedToStart", stoppedReason="half"),
            {},
            (
                False,
                "container_failed",
                "Task abc123: container 'migrate' exited with code 3; see the log lines for the error.",
                3,
            ),
        ),
        (
            task("STOPPED", containers=[container()], stoppedReason="CannotPullContainerError: no such image"),
            {},
            (
                False,
                "failed_to_start",
                "Task abc123 stopped before its container ran (no stop code: CannotPullContainerError: no such image); "
                + dict(w.START_FAILURE_HINTS)["CannotPullContainerError"]
                + ".",
                None,
            ),
        ),
        (
            task("STOPPED", containers=[container(exit_code=0)], stopCode="EssentialContainerExited"),
            {"essential": ("other",)},  # no essential container in the task: every container counts
            (True, "success", "Task abc123 succeeded: migrate exited 0.", 0),
        ),
    ],
)
def test_outcome_verdicts_and_messages(t, kwargs, expected):
    essential = kwargs.get("essential", ("migrate",))
    assert outcome_of(t, essential, kwargs.get("container_name")) == expected


def test_outcome_without_containers_key():
    t = task("STOPPED")
    del t["containers"]
    assert outcome_of(t) == (True, "success", "Task abc123 succeeded:  exited 0.", None)


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (137, "exit code 137 means SIGKILL: the container ran out of memory or was stopped"),
        (139, "exit code 139 means a segmentation fault"),
        (143, "exit code 143 means SIGTERM: the task was stopped while running"),
        (2, "see the log lines for the error"),
    ],
)
def test_exit_hint_texts(code, hint):
    message = w.classify_outcome(task("STOPPED", containers=[container(exit_code=code)]), ["migrate"]).message
    assert message == f"Task abc123: container 'migrate' exited with code {code}; {hint}."


def test_run_task_failures_message_in_full():
    failures = [
        {"reason": "RESOURCE:MEMORY", "arn": "arn:ci/1"},
        {"reason": "RESOURCE:CPU"},
        {"reason": "weird", "detail": "subnet-1 is gone"},
        {},
    ]
    assert w.run_task_failures_message(failures) == (
        "RunTask did not start the task: RESOURCE:MEMORY for arn:ci/1; RESOURCE:CPU; weird (subnet-1 is gone); "
        "unknown reason. Check: the cluster has no capacity for this task: add capacity or use Fargate; "
        "check the subnets: they must exist and belong to the security groups' VPC."
    )


@pytest.mark.parametrize(
    ("task_", "stopped", "error", "expected"),
    [
        (
            task("RUNNING"),
            True,
            None,
            "Task abc123 did not stop within 9 s (last status RUNNING). It was stopped (StopTask).",
        ),
        (
            task("PENDING"),
            False,
            None,
            "Task abc123 did not stop within 9 s (last status PENDING). It is still running (stop_on_timeout=false): "
            "stop it yourself if it must not finish.",
        ),
        (
            None,
            False,
            "denied",
            "Task ? did not stop within 9 s (last status unknown). Stopping it failed: denied; "
            "it may still be running.",
        ),
        (
            {"taskArn": ARN},
            True,
            None,
            "Task abc123 did not stop within 9 s (last status unknown). It was stopped (StopTask).",
        ),
    ],
)
def test_timeout_message_in_full(task_, stopped, error, expected):
    assert w.timeout_message(task_, 9, stopped, error) == expected


def test_concurrent_message_in_full():
    tasks = [task("RUNNING"), {"taskArn": ARN.replace("abc123", "def456"), "lastStatus": "PENDING"}]
    assert w.concurrent_message(tasks, "django-ecs-run-task", "app-migrate") == (
        "Another task of family 'app-migrate' started by 'django-ecs-run-task' is still running on this cluster: "
        "abc123 (RUNNING), def456 (PENDING). Two migrations must not run at once: wait for it (concurrency=wait) "
        "or stop it."
    )


def test_container_summaries_in_full():
    t = task("STOPPED", containers=[container(exit_code=1, reason="Essential container exited"), {"name": "x"}])
    assert w.container_summaries(t, ["migrate"]) == [
        {
            "name": "migrate",
            "exit_code": 1,
            "reason": "Essential container exited",
            "last_status": "STOPPED",
            "essential": True,
        },
        {"name": "x", "exit_code": None, "reason": None, "last_status": None, "essential": False},
    ]
    bare = task("STOPPED")
    del bare["containers"]
    assert w.container_summaries(bare, []) == []


def test_ids_of_odd_arns():
    assert w.task_id("arn:aws:ecs:us-east-1:1:task/cluster/abc/def") == "def"
    assert w.family_of("arn:aws:ecs:us-east-1:1:task-definition/app:migrate:7") == "app"


def test_essential_containers_without_definitions():
    assert w.essential_containers({}) == []
    assert w.essential_containers({"containerDefinitions": [{"name": "a"}, {"name": "b", "essential": False}]}) == ["a"]


def test_log_configuration_of_the_second_container():
    td = {
        "containerDefinitions": [
            {"name": "sidecar"},
            {"name": "migrate", "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}},
        ]
    }
    assert w.log_configuration(td, "migrate") == {"group": "g", "prefix": None, "region": None}
    assert w.log_configuration({}, "migrate") is None


def test_is_active_needs_a_desired_status_other_than_stopped():
    assert w.is_active({"lastStatus": "RUNNING"}) is True
    assert w.is_active({"lastStatus": "RUNNING", "desiredStatus": "STOPPED"}) is False
    assert w.is_active({"lastStatus": "STOPPED", "desiredStatus": "RUNNING"}) is False


def test_times_from_epoch_seconds_and_iso_strings():
    assert w.iso_time(0) == "1970-01-01T00:00:00+00:00"
    assert w.iso_time("2026-01-01T10:00:00Z") == "2026-01-01T10:00:00+00:00"
    assert w.iso_time("2026-01-01T10:00:00") == "2026-01-01T10:00:00+00:00"
    assert w.iso_time("2026-01-01T10:00:00+02:00") == "2026-01-01T10:00:00+02:00"


@pytest.mark.parametrize("end_key", ["stoppedAt", "executionStoppedAt", "stoppingAt"])
def test_duration_end_fallbacks(end_key):
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    t = {"startedAt": start, end_key: start + datetime.timedelta(seconds=1.2346)}
    assert w.task_duration(t) == 1.235  # milliseconds


def test_wait_result_times_and_history():
    clock = FakeClock()
    clock.now = 1000.0
    statuses = iter(["PENDING", "RUNNING", "STOPPED"])
    result = w.wait_for_stop(lambda: task(next(statuses)), 100, clock, clock.sleep)
    assert result.timed_out is False and result.describe_calls == 3
    assert result.waited_seconds == 4.75  # sleeps 1, 1.5, 2.25 before each DescribeTasks
    assert result.history == [
        {"status": "PENDING", "elapsed": 1.0},
        {"status": "RUNNING", "elapsed": 2.5},
        {"status": "STOPPED", "elapsed": 4.75},
    ]


def test_wait_timeout_result_times_and_history():
    clock = FakeClock()
    clock.now = 1000.0
    result = w.wait_for_stop(lambda: task("RUNNING"), 2, clock, clock.sleep)
    assert result.timed_out is True
    assert result.waited_seconds == 2.0 and result.describe_calls == 2
    assert result.history == [{"status": "RUNNING", "elapsed": 1.0}]  # a status is recorded when it changes


def test_schedule_uses_the_given_maximum():
    assert list(itertools.islice(w.PollSchedule(initial=1, backoff=10, maximum=3)._running, 3)) == [1, 3, 3]
