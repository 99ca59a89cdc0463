"""What ECS and ELBv2 decide about a service, as pure functions: the rolling update's bounds and plan,
the deployment circuit breaker's threshold, the target group's matcher and health states. Unit-tested
with a fake clock (no Docker, no moto)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# ELBv2 target states and reasons (DescribeTargetHealth, "Target health status" in the ELB guide).
INITIAL = "initial"
HEALTHY = "healthy"
UNHEALTHY = "unhealthy"
DRAINING = "draining"

REASON_INITIAL = ("Elb.InitialHealthChecking", "Initial health checks in progress")
REASON_DRAINING = ("Target.DeregistrationInProgress", "Target deregistration is in progress")
REASON_TIMEOUT = ("Target.Timeout", "Request timed out")
REASON_FAILED = ("Target.FailedHealthChecks", "Health checks failed")


def failure_threshold(desired: int) -> int:
    """The circuit breaker's failed-task threshold: clamp(ceil(0.5 x desired), 3, 200)."""
    return min(max(math.ceil(0.5 * desired), 3), 200)


def autoscaled_desired(
    desired: int, target: tuple[int | None, int | None] | None, applied: tuple[int | None, int | None] | None
) -> int | None:
    """The desired count Application Auto Scaling sets, or None when it leaves it alone.

    ``target``: the (MinCapacity, MaxCapacity) of the service's scalable target (ecs:service:DesiredCount), None
    when none is registered; ``applied``: the bounds the runtime last acted on. As RegisterScalableTarget does
    on AWS, registering a target or changing its bounds moves an active service's current capacity into the
    range; between registrations the bounds are not re-applied (a manual UpdateService outside them stands,
    as on AWS until a scaling policy acts, and the runtime runs no scaling policy).
    """
    if target is None or target == applied:
        return None
    low, high = target
    clamped = desired
    if low is not None:
        clamped = max(clamped, low)
    if high is not None:
        clamped = min(clamped, high)
    return clamped if clamped != desired else None


def bounds(desired: int, minimum_healthy_percent: int, maximum_percent: int) -> tuple[int, int]:
    """(fewest healthy tasks, most tasks) during a rolling update, as ECS rounds them:
    the minimum rounds up, the maximum down (and never below one task when one is desired)."""
    min_healthy = math.ceil(desired * minimum_healthy_percent / 100)
    max_total = math.floor(desired * maximum_percent / 100)
    if desired > 0:
        max_total = max(max_total, 1)
    return min(min_healthy, desired), max_total


@dataclass(frozen=True)
class Plan:
    start: int  # new tasks of the PRIMARY deployment to launch now
    stop_unhealthy: int  # tasks of older deployments that are not healthy: stopped without limit
    stop_healthy: int  # healthy tasks (older deployments first, then PRIMARY surplus) to drain now


def plan(desired: int, minimum_healthy_percent: int, maximum_percent: int, *, primary: int, total: int,
         healthy: int, old_healthy: int, old_unhealthy: int, primary_healthy: int) -> Plan:  # fmt: skip
    """One step of a rolling update.

    ``primary``: PRIMARY tasks not being stopped; ``total``: every task that is not STOPPED (draining ones
    too: they still run); ``healthy``: healthy tasks not draining; ``old_*``: tasks of older deployments not
    draining; ``primary_healthy``: healthy PRIMARY tasks.
    """
    min_healthy, max_total = bounds(desired, minimum_healthy_percent, maximum_percent)
    start = max(0, min(desired - primary, max_total - total))
    surplus = max(0, primary - desired)
    stoppable = max(0, healthy - min_healthy)
    # Old healthy tasks go once the PRIMARY's healthy tasks keep the minimum (or the service scales in).
    stop_healthy = min(old_healthy + min(surplus, primary_healthy), stoppable)
    return Plan(start=start, stop_unhealthy=old_unhealthy, stop_healthy=stop_healthy)


def matches(status: int, matcher: str) -> bool:
    """A target group matcher ("200", "200,302", "200-299") against an HTTP status code."""
    for part in str(matcher).split(","):
        part = part.strip()
        if "-" in part:
            low, high = part.split("-", 1)
            if int(low) <= status <= int(high):
                return True
        elif part and int(part) == status:
            return True
    return False


def check_outcome(status: int | None, timed_out: bool, matcher: str) -> tuple[bool, tuple[str, str] | None]:
    """One health check's result: (passed, (reason code, description) when it failed)."""
    if timed_out:
        return False, REASON_TIMEOUT
    if status is None:
        return False, REASON_FAILED
    if matches(status, matcher):
        return True, None
    return False, ("Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]")


class TargetHealth:
    """A registered target's state from consecutive check results (healthy/unhealthy thresholds)."""

    def __init__(self, healthy_threshold: int, unhealthy_threshold: int) -> None:
        self.healthy_threshold, self.unhealthy_threshold = healthy_threshold, unhealthy_threshold
        self.state = INITIAL
        self.reason: tuple[str, str] | None = REASON_INITIAL
        self.successes = self.failures = 0
        self.ever_healthy = False

    def record(self, passed: bool, reason: tuple[str, str] | None = None) -> str:
        if self.state == DRAINING:
            return self.state
        if passed:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= self.healthy_threshold:
                self.state, self.reason, self.ever_healthy = HEALTHY, None, True
        else:
            self.successes, self.failures = 0, self.failures + 1
            if self.failures >= self.unhealthy_threshold:
                self.state, self.reason = UNHEALTHY, reason or REASON_FAILED
        return self.state

    def drain(self) -> None:
        self.state, self.reason = DRAINING, REASON_DRAINING
