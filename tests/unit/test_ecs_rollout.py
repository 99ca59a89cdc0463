"""Rollout classification and waiting (pure functions, fixtures, fake clock)."""

import datetime

import pytest

from ansible_collections.django_ecs.fargate.plugins.module_utils import ecs_rollout as r
from fakes import FakeClock

OURS = "arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-web:5"
OLD = "arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-web:4"
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def deployment(td=OURS, status="PRIMARY", state="IN_PROGRESS", running=0, desired=1, pending=1, failed=0, reason=None):
    d = {
        "id": f"ecs-svc/{td[-1]}{status}",
        "status": status,
        "taskDefinition": td,
        "rolloutState": state,
        "runningCount": running,
        "desiredCount": desired,
        "pendingCount": pending,
        "failedTasks": failed,
    }
    if reason:
        d["rolloutStateReason"] = reason
    return d


def service(*deployments, running=None, desired=1, status="ACTIVE", events=None):
    primary = next(d for d in deployments if d["status"] == "PRIMARY")
    return {
        "status": status,
        "desiredCount": desired,
        "runningCount": primary["runningCount"] if running is None else running,
        "taskDefinition": primary["taskDefinition"],
        "deployments": list(deployments),
        "events": events or [],
    }


IN_PROGRESS = service(
    deployment(state="IN_PROGRESS", running=0, pending=1),
    deployment(td=OLD, status="ACTIVE", state="COMPLETED", running=1, pending=0),
    running=1,
)
COMPLETED = service(deployment(state="COMPLETED", running=1, pending=0, reason="ECS deployment ecs-svc/1 completed."))
COMPLETED_NOT_ALL_RUNNING = service(deployment(state="COMPLETED", running=1, desired=2, pending=1), desired=2)
FAILED = service(
    deployment(
        state="FAILED", running=0, pending=0, failed=3, reason="ECS deployment circuit breaker: tasks failed to start."
    ),
    running=0,
)
ROLLED_BACK = service(
    deployment(td=OLD, state="IN_PROGRESS", running=1, pending=0),
    deployment(status="ACTIVE", state="FAILED", failed=2, reason="ECS deployment circuit breaker: rolling back."),
)
ROLLED_BACK_DONE = service(deployment(td=OLD, state="COMPLETED", running=1, pending=0))


@pytest.mark.parametrize(
    ("svc", "state", "needle"),
    [
        (IN_PROGRESS, r.IN_PROGRESS, "running 0/1"),
        (COMPLETED, r.COMPLETED, "COMPLETED"),
        (COMPLETED_NOT_ALL_RUNNING, r.IN_PROGRESS, "not every task runs yet"),
        (FAILED, r.FAILED, "tasks failed to start"),
        (ROLLED_BACK, r.ROLLED_BACK, "rolling back"),
        (ROLLED_BACK_DONE, r.ROLLED_BACK, "runs djangoapp-web:4"),
        (None, r.FAILED, "does not exist"),
        (service(deployment(), status="DRAINING"), r.FAILED, "DRAINING"),
        ({"status": "ACTIVE", "deployments": []}, r.IN_PROGRESS, "no PRIMARY"),
    ],
)
def test_classify(svc, state, needle):
    got, message = r.classify(svc, "djangoapp-web:5")
    assert got == state
    assert needle in message


def test_services_stable_would_accept_the_rollback_but_classify_does_not():
    # One deployment, running == desired: what botocore's services_stable waits for. Ours is not PRIMARY.
    assert len(ROLLED_BACK_DONE["deployments"]) == 1
    assert r.classify(ROLLED_BACK_DONE, OURS)[0] == r.ROLLED_BACK


def test_classify_without_rollout_state_falls_back_to_counts():
    d = deployment(state=None, running=1, pending=0)
    del d["rolloutState"]
    assert r.classify(service(d), OURS)[0] == r.COMPLETED


def test_task_definition_ref():
    assert r.task_definition_ref(OURS) == "djangoapp-web:5"
    assert r.task_definition_ref("djangoapp-web:5") == "djangoapp-web:5"
    assert r.task_definition_ref(None) is None


def test_recent_events_newest_first_limited():
    events = [{"createdAt": T0, "message": f"event {i}"} for i in range(15)]
    got = r.recent_events({"events": events}, 3)
    assert got == [f"{T0.isoformat()} event {i}" for i in range(3)]
    assert r.recent_events(None) == []


def test_poll_delays_back_off_and_sum_to_timeout():
    delays = list(r.poll_delays(60, initial=5, backoff=2, maximum=15))
    assert delays[:3] == [5, 10, 15]
    assert max(delays) == 15
    assert sum(delays) == pytest.approx(60)


def run_wait(responses, timeout=100):
    clock = FakeClock()
    it = iter(responses)
    last = {}

    def describe():
        last["svc"] = next(it, last.get("svc"))
        return last["svc"]

    state, message, svc, polls = r.wait_for_rollout(describe, OURS, timeout, sleep=clock.sleep, clock=clock)
    return state, message, polls, clock


def test_wait_until_completed():
    state, _msg, polls, clock = run_wait([IN_PROGRESS, IN_PROGRESS, COMPLETED])
    assert (state, polls) == (r.COMPLETED, 3)
    assert clock.sleeps == [5.0, 7.5]


def test_wait_stops_on_failure():
    state, message, polls, _clock = run_wait([IN_PROGRESS, FAILED])
    assert state == r.FAILED and polls == 2 and "circuit breaker" in message


def test_wait_stops_on_rollback():
    state, _msg, _polls, _clock = run_wait([IN_PROGRESS, ROLLED_BACK, ROLLED_BACK_DONE])
    assert state == r.ROLLED_BACK


def test_wait_times_out():
    state, message, polls, clock = run_wait([IN_PROGRESS], timeout=30)
    assert state == "timeout"
    assert "timed out after 30 s" in message and "running 0/1" in message
    assert sum(clock.sleeps) == pytest.approx(30)
    assert polls == len(clock.sleeps) + 1


def test_describe_primary_does_not_judge():
    assert r.describe_primary(ROLLED_BACK_DONE) == "service ACTIVE, running 1/1, PRIMARY deployment COMPLETED"
    assert r.describe_primary(None) == "service MISSING, running 0/0, PRIMARY deployment none"


# ---- what the mutation run found untested: the exact messages and the edges -------------------------


@pytest.mark.parametrize(
    ("svc", "state", "message"),
    [
        (None, r.FAILED, "the service does not exist (any more)"),
        ({"status": "ACTIVE", "deployments": []}, r.IN_PROGRESS, "no PRIMARY deployment yet"),
        (IN_PROGRESS, r.IN_PROGRESS, "rollout IN_PROGRESS (running 0/1, pending 1, failed tasks 0)"),
        (
            COMPLETED,
            r.COMPLETED,
            "rollout COMPLETED (running 1/1, pending 0, failed tasks 0): ECS deployment ecs-svc/1 completed.",
        ),
        (
            service(deployment(state="COMPLETED", running=1, pending=0)),
            r.COMPLETED,
            "rollout COMPLETED (running 1/1, pending 0, failed tasks 0)",
        ),
        (
            COMPLETED_NOT_ALL_RUNNING,
            r.IN_PROGRESS,
            "rollout COMPLETED but not every task runs yet (running 1/2, pending 1, failed tasks 0)",
        ),
        (
            FAILED,
            r.FAILED,
            "rollout FAILED: ECS deployment circuit breaker: tasks failed to start. "
            "(running 0/1, pending 0, failed tasks 3)",
        ),
        (
            service(deployment(state="FAILED", running=0, pending=0)),
            r.FAILED,
            "rollout FAILED: no reason given (running 0/1, pending 0, failed tasks 0)",
        ),
        (
            ROLLED_BACK,
            r.ROLLED_BACK,
            "the deployment of djangoapp-web:5 was rolled back: the PRIMARY deployment runs djangoapp-web:4 "
            "(circuit breaker): ECS deployment circuit breaker: rolling back.",
        ),
        (
            ROLLED_BACK_DONE,
            r.ROLLED_BACK,
            "the deployment of djangoapp-web:5 was rolled back: the PRIMARY deployment runs djangoapp-web:4 "
            "(circuit breaker)",
        ),
        (
            service(
                deployment(td=OLD, state="IN_PROGRESS", running=1, pending=0),
                deployment(status="ACTIVE", state="FAILED"),
            ),
            r.ROLLED_BACK,
            "the deployment of djangoapp-web:5 was rolled back: the PRIMARY deployment runs djangoapp-web:4 "
            "(circuit breaker)",
        ),
        (
            service(
                deployment(td=OLD, state="IN_PROGRESS", running=1, pending=0),
                deployment(td=OLD.replace(":4", ":3"), status="ACTIVE", state="FAILED", reason="not ours"),
                deployment(status="ACTIVE", state="IN_PROGRESS", reason="still going"),
            ),
            r.ROLLED_BACK,
            "the deployment of djangoapp-web:5 was rolled back: the PRIMARY deployment runs djangoapp-web:4 "
            "(circuit breaker)",
        ),
        (
            service(deployment(state="IN_PROGRESS", running=0, pending=1, reason="waiting for tasks")),
            r.IN_PROGRESS,
            "rollout IN_PROGRESS (running 0/1, pending 1, failed tasks 0): waiting for tasks",
        ),
    ],
)
def test_classify_messages(svc, state, message):
    assert r.classify(svc, "djangoapp-web:5") == (state, message)


def test_classify_counts_missing_from_the_deployment_are_zero():
    primary = {"status": "PRIMARY", "taskDefinition": OURS, "rolloutState": "IN_PROGRESS"}
    got = r.classify({"status": "ACTIVE", "deployments": [primary]}, OURS)
    assert got == (r.IN_PROGRESS, "rollout IN_PROGRESS (running 0/0, pending 0, failed tasks 0)")


def test_classify_completed_needs_the_service_counts_too():
    # The PRIMARY deployment's tasks all run, the service's do not yet (an old task still draining).
    svc = service(deployment(state="COMPLETED", running=1, pending=0), running=2, desired=1)
    assert r.classify(svc, OURS)[0] == r.IN_PROGRESS
    # And without the service counts, the deployment's decide.
    svc = {"status": "ACTIVE", "deployments": [deployment(state="COMPLETED", running=1, pending=0)]}
    assert r.classify(svc, OURS)[0] == r.COMPLETED


def test_classify_without_rollout_state_and_another_deployment_is_in_progress():
    d = deployment(state=None, running=1, pending=0)
    del d["rolloutState"]
    svc = service(d, deployment(td=OLD, status="ACTIVE", state=None, running=1, pending=0))
    assert r.classify(svc, OURS) == (r.IN_PROGRESS, "rollout IN_PROGRESS (running 1/1, pending 0, failed tasks 0)")


def test_classify_without_rollout_state_but_not_all_running():
    d = deployment(state=None, running=0, pending=1)
    del d["rolloutState"]
    assert r.classify(service(d), OURS) == (
        r.IN_PROGRESS,
        "rollout done but not every task runs yet (running 0/1, pending 1, failed tasks 0)",
    )


def test_classify_without_our_task_definition_judges_the_primary_only():
    assert r.classify(ROLLED_BACK_DONE, None)[0] == r.COMPLETED


def test_task_definition_ref_of_an_arn_with_a_path():
    assert r.task_definition_ref("arn:aws:ecs:us-east-1:1:task-definition/a/b:3") == "b:3"


def test_recent_events_edges():
    assert r.recent_events({"events": [{"createdAt": T0, "message": "x"}]}, 0) == []
    assert r.recent_events({"events": [{"createdAt": T0, "message": "x"}]}, -1) == []
    assert r.recent_events({"events": [{"createdAt": "2026-01-01 00:00", "message": "x"}]}) == ["2026-01-01 00:00 x"]
    assert r.recent_events({"events": [{"message": "no time"}]}) == ["no time"]
    assert r.recent_events({"events": [{"createdAt": T0}]}) == [T0.isoformat()]


def test_poll_delays_last_step_fills_the_timeout_exactly():
    assert list(r.poll_delays(0.5, initial=5)) == [0.5]
    assert list(r.poll_delays(12, initial=5, backoff=1.5, maximum=15)) == [5.0, 7.0]
    assert list(r.poll_delays(0)) == []


def test_wait_uses_the_given_schedule():
    clock = FakeClock()
    r.wait_for_rollout(lambda: IN_PROGRESS, OURS, 3, sleep=clock.sleep, clock=clock, initial=1, backoff=2, maximum=2)
    assert clock.sleeps == [1.0, 2.0]


def test_wait_stops_at_the_deadline_even_if_sleeping_took_longer():
    clock = FakeClock()

    def slow_sleep(seconds):
        clock.sleep(seconds * 3)  # the host was suspended: more time passed than asked

    state, _message, _svc, polls = r.wait_for_rollout(lambda: IN_PROGRESS, OURS, 10, sleep=slow_sleep, clock=clock)
    assert state == "timeout" and polls == 2 and clock.sleeps == [15.0]


def test_wait_counts_the_time_describe_takes():
    clock = FakeClock()
    clock.now = 100.0
    responses = iter([IN_PROGRESS, IN_PROGRESS, COMPLETED])

    def describe():
        clock.now += 4  # each DescribeServices takes 4 s
        return next(responses)

    state, _m, _s, polls = r.wait_for_rollout(describe, OURS, 10, sleep=clock.sleep, clock=clock)
    # 10 s budget: 4 s describe, sleep 5, 4 s describe: 13 s used, deadline passed -> timeout
    assert state == "timeout" and polls == 2 and clock.sleeps == [5.0]


def test_wait_times_out_when_exactly_at_the_deadline():
    clock = FakeClock()
    state, _m, _s, polls = r.wait_for_rollout(lambda: IN_PROGRESS, OURS, 5, sleep=clock.sleep, clock=clock)
    assert state == "timeout" and polls == 2 and clock.sleeps == [5.0]
