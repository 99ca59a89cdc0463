"""The service runtime's pure parts: rolling-update bounds and steps, the circuit breaker's threshold, the
target group's matcher and health thresholds (a simulated clock drives checks; no Docker, no moto)."""

from __future__ import annotations

import pytest

from emulator import rollout
from emulator.elbv2 import listener_offset, proxy_port


@pytest.mark.parametrize(
    ("desired", "threshold"), [(0, 3), (1, 3), (2, 3), (6, 3), (7, 4), (10, 5), (399, 200), (400, 200), (1000, 200)]
)
def test_circuit_breaker_threshold_is_half_the_desired_count_clamped_to_3_200(desired, threshold):
    assert rollout.failure_threshold(desired) == threshold


@pytest.mark.parametrize(
    ("desired", "minimum", "maximum", "expected"),
    [(1, 100, 200, (1, 2)), (2, 50, 200, (1, 4)), (3, 50, 150, (2, 4)), (1, 0, 100, (0, 1)), (4, 100, 125, (4, 5)),
     (1, 50, 50, (1, 1)), (0, 100, 200, (0, 0))],
)  # fmt: skip
def test_bounds_round_the_minimum_up_and_the_maximum_down(desired, minimum, maximum, expected):
    assert rollout.bounds(desired, minimum, maximum) == expected


@pytest.mark.parametrize(
    ("desired", "target", "applied", "expected"),
    [(1, (2, 4), None, 2), (6, (2, 4), None, 4), (3, (2, 4), None, None), (1, None, None, None),
     (1, (2, 4), (2, 4), None), (5, (0, 1), (2, 6), 1), (0, (1, None), None, 1), (9, (None, 3), (0, 9), 3)],
)  # fmt: skip
def test_a_registered_or_changed_scalable_target_moves_the_desired_count_into_its_range(
    desired, target, applied, expected
):
    assert rollout.autoscaled_desired(desired, target, applied) == expected


def test_between_registrations_a_desired_count_outside_the_bounds_stands():
    """A manual UpdateService to 7 under max 4 is not undone until the target's bounds change (AWS changes the
    capacity on RegisterScalableTarget; the runtime runs no scaling policy)."""
    assert rollout.autoscaled_desired(1, (2, 4), None) == 2  # registered: scaled out to the minimum
    assert rollout.autoscaled_desired(7, (2, 4), (2, 4)) is None  # the same bounds: the manual 7 stands
    assert rollout.autoscaled_desired(7, (2, 5), (2, 4)) == 5  # registered again with max 5: scaled in


def test_plan_of_a_fresh_service_starts_the_desired_count():
    step = rollout.plan(2, 100, 200, primary=0, total=0, healthy=0, old_healthy=0, old_unhealthy=0, primary_healthy=0)
    assert step == rollout.Plan(start=2, stop_unhealthy=0, stop_healthy=0)


def test_plan_keeps_the_old_task_until_the_new_one_is_healthy_at_100_200():
    waiting = rollout.plan(1, 100, 200, primary=1, total=2, healthy=1, old_healthy=1, old_unhealthy=0,
                           primary_healthy=0)  # fmt: skip
    assert waiting == rollout.Plan(start=0, stop_unhealthy=0, stop_healthy=0)
    ready = rollout.plan(1, 100, 200, primary=1, total=2, healthy=2, old_healthy=1, old_unhealthy=0, primary_healthy=1)
    assert ready == rollout.Plan(start=0, stop_unhealthy=0, stop_healthy=1)


def test_plan_at_0_100_stops_first_then_starts():
    first = rollout.plan(1, 0, 100, primary=0, total=1, healthy=1, old_healthy=1, old_unhealthy=0, primary_healthy=0)
    assert first == rollout.Plan(start=0, stop_unhealthy=0, stop_healthy=1)


def test_plan_scales_in_a_primary_surplus_within_the_minimum():
    step = rollout.plan(1, 100, 200, primary=3, total=3, healthy=3, old_healthy=0, old_unhealthy=0, primary_healthy=3)
    assert step == rollout.Plan(start=0, stop_unhealthy=0, stop_healthy=2)


def test_plan_stops_unhealthy_old_tasks_without_limit():
    step = rollout.plan(2, 100, 200, primary=2, total=4, healthy=0, old_healthy=0, old_unhealthy=2, primary_healthy=0)
    assert step.stop_unhealthy == 2 and step.stop_healthy == 0 and step.start == 0


@pytest.mark.parametrize(("desired", "minimum", "maximum"), [(2, 50, 200), (1, 100, 200), (3, 100, 150), (4, 50, 100)])
def test_a_simulated_rollout_keeps_the_bounds_and_ends_with_only_new_tasks(desired, minimum, maximum):
    """Tasks take one tick to turn healthy and one tick to drain; the invariants hold at every tick."""
    min_healthy, max_total = rollout.bounds(desired, minimum, maximum)
    old = [{"healthy": True, "draining": False} for _ in range(desired)]
    new: list[dict] = []
    for _tick in range(50):
        for task in new:
            task["healthy"] = True  # healthy one tick after its start
        old = [t for t in old if not t["draining"]]  # drained tasks stop one tick after deregistration
        active_old = [t for t in old if not t["draining"]]
        step = rollout.plan(
            desired, minimum, maximum, primary=len(new), total=len(old) + len(new),
            healthy=sum(t["healthy"] for t in active_old + new), old_healthy=sum(t["healthy"] for t in active_old),
            old_unhealthy=0, primary_healthy=sum(t["healthy"] for t in new),
        )  # fmt: skip
        new += [{"healthy": False, "draining": False} for _ in range(step.start)]
        for task in active_old[: step.stop_healthy]:
            task["draining"] = True
        assert len(old) + len(new) <= max_total
        assert sum(t["healthy"] for t in old if not t["draining"]) + sum(t["healthy"] for t in new) >= min_healthy
        if not old and len(new) == desired and all(t["healthy"] for t in new):
            break
    else:
        pytest.fail("the rollout never finished")


@pytest.mark.parametrize(
    ("status", "matcher", "ok"),
    [(200, "200", True), (302, "200", False), (302, "200,302", True), (204, "200-299", True), (404, "200-299", False),
     (404, "200, 404", True)],
)  # fmt: skip
def test_matcher(status, matcher, ok):
    assert rollout.matches(status, matcher) is ok


def test_check_outcomes_carry_aws_reasons():
    assert rollout.check_outcome(200, False, "200") == (True, None)
    assert rollout.check_outcome(404, False, "200") == (
        False, ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]"))  # fmt: skip
    assert rollout.check_outcome(None, True, "200") == (False, ("Target.Timeout", "Request timed out"))
    assert rollout.check_outcome(None, False, "200") == (False, ("Target.FailedHealthChecks", "Health checks failed"))


def test_health_thresholds_over_simulated_intervals():
    """Interval 5 s, healthy 2, unhealthy 3: the states a target shows at each check."""
    health = rollout.TargetHealth(healthy_threshold=2, unhealthy_threshold=3)
    assert (health.state, health.reason) == (
        "initial",
        ("Elb.InitialHealthChecking", "Initial health checks in progress"),
    )
    bad = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
    timeline = []
    for clock, passed in zip(
        range(0, 60, 5), [False, True, True, False, False, True, False, False, False, True, True, True], strict=True
    ):
        timeline.append((clock, health.record(passed, None if passed else bad)))
    assert timeline == [
        (0, "initial"), (5, "initial"), (10, "healthy"), (15, "healthy"), (20, "healthy"), (25, "healthy"),
        (30, "healthy"), (35, "healthy"), (40, "unhealthy"), (45, "unhealthy"), (50, "healthy"), (55, "healthy"),
    ]  # fmt: skip
    assert health.ever_healthy and health.reason is None


def test_an_unhealthy_target_carries_the_last_failure_and_draining_ignores_checks():
    health = rollout.TargetHealth(2, 2)
    health.record(False, rollout.REASON_TIMEOUT)
    assert health.record(False, rollout.REASON_TIMEOUT) == "unhealthy" and health.reason == rollout.REASON_TIMEOUT
    assert not health.ever_healthy
    health.drain()
    assert health.record(True) == "draining" and health.record(True) == "draining"
    assert health.reason == ("Target.DeregistrationInProgress", "Target deregistration is in progress")


def test_listener_ports_on_loopback():
    assert proxy_port(5055, 80) == 20550 and proxy_port(5055, 443) == 20551
    assert proxy_port(5204, 80) == 22040 and proxy_port(5091, 8080) == 20910 + 2
    assert listener_offset(8081) == 3
