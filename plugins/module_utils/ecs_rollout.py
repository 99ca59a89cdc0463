# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic for waiting on an ECS service deployment (rollout).

``services_stable`` is not enough: it also succeeds after the deployment circuit breaker rolled the
service back to the previous task definition. Here a DescribeServices ``service`` is classified by its
PRIMARY deployment: ours (the task definition we deployed) and ``rolloutState`` COMPLETED with every
task running -> completed; FAILED -> failed; PRIMARY on another task definition -> rolled back.
Nothing here calls AWS or sleeps on its own: the caller passes ``describe``, ``sleep`` and ``clock``.
"""

from __future__ import annotations

import time

IN_PROGRESS = "in_progress"
COMPLETED = "completed"
FAILED = "failed"
ROLLED_BACK = "rolled_back"

# Poll schedule (seconds): ECS deployments take minutes; start at 5 s and back off to 15 s.
INITIAL_DELAY = 5.0
BACKOFF = 1.5
MAX_DELAY = 15.0


def task_definition_ref(value):
    """``arn:...:task-definition/family:3`` or ``family:3`` -> ``family:3`` (None stays None)."""
    if not value:
        return value
    return value.rsplit("/", 1)[-1]


def primary_deployment(service):
    for deployment in (service or {}).get("deployments") or []:
        if deployment.get("status") == "PRIMARY":
            return deployment
    return None


def classify(service, task_definition):
    """Classify a DescribeServices ``service`` against the task definition we deployed.

    Returns ``(state, message)`` with state one of in_progress, completed, failed, rolled_back.
    """
    if not service:
        return FAILED, "the service does not exist (any more)"
    if service.get("status") != "ACTIVE":
        return FAILED, f"the service is {service.get('status')}"
    ours = task_definition_ref(task_definition)
    primary = primary_deployment(service)
    if primary is None:
        return IN_PROGRESS, "no PRIMARY deployment yet"
    primary_td = task_definition_ref(primary.get("taskDefinition"))
    state = primary.get("rolloutState")
    reason = primary.get("rolloutStateReason") or ""
    if ours and primary_td != ours:
        failed = [
            d
            for d in service.get("deployments") or []
            if task_definition_ref(d.get("taskDefinition")) == ours and d.get("rolloutState") == "FAILED"
        ]
        detail = f": {failed[0].get('rolloutStateReason')}" if failed and failed[0].get("rolloutStateReason") else ""
        return ROLLED_BACK, (
            f"the deployment of {ours} was rolled back: the PRIMARY deployment runs {primary_td}"
            f" (circuit breaker){detail}"
        )
    running, desired = primary.get("runningCount", 0), primary.get("desiredCount", 0)
    pending, failed_tasks = primary.get("pendingCount", 0), primary.get("failedTasks", 0)
    counts = f"running {running}/{desired}, pending {pending}, failed tasks {failed_tasks}"
    if state == "FAILED":
        return FAILED, f"rollout FAILED: {reason or 'no reason given'} ({counts})"
    others = [d for d in service.get("deployments") or [] if d is not primary]
    if state == "COMPLETED" or (state is None and not others):
        if running == desired and service.get("runningCount", running) == service.get("desiredCount", desired):
            return COMPLETED, f"rollout COMPLETED ({counts})" + (f": {reason}" if reason else "")
        return IN_PROGRESS, f"rollout {state or 'done'} but not every task runs yet ({counts})"
    return IN_PROGRESS, f"rollout {state or 'IN_PROGRESS'} ({counts})" + (f": {reason}" if reason else "")


def describe_primary(service):
    """One line about the service and its PRIMARY deployment, without judging it (for wait=false)."""
    service = service or {}
    primary = primary_deployment(service) or {}
    return (
        f"service {service.get('status', 'MISSING')}, running {service.get('runningCount', 0)}/"
        f"{service.get('desiredCount', 0)}, PRIMARY deployment {primary.get('rolloutState', 'none')}"
    )


def recent_events(service, count=10):
    """The ``count`` newest service events as ``"<time> <message>"`` strings, newest first."""
    events = (service or {}).get("events") or []
    out = []
    for event in events[: max(count, 0)]:
        created = event.get("createdAt")
        stamp = created.isoformat() if hasattr(created, "isoformat") else str(created or "")
        out.append(f"{stamp} {event.get('message', '')}".strip())
    return out


def poll_delays(timeout, initial=INITIAL_DELAY, backoff=BACKOFF, maximum=MAX_DELAY):
    """Yield sleep durations that back off to ``maximum`` and add up to ``timeout`` exactly."""
    remaining = float(timeout)
    delay = float(initial)
    while remaining > 0:
        step = min(delay, remaining)
        yield step
        remaining -= step
        delay = min(delay * backoff, maximum)


def wait_until(describe, check, timeout, what, sleep=time.sleep, clock=time.monotonic, **schedule):
    """Poll ``describe()`` until ``check(result)`` says something other than in_progress, or ``timeout`` passes.

    ``check`` returns ``(state, message)``; ``what`` names the awaited thing in the timeout message. Sleeps follow
    :func:`poll_delays` (``schedule`` overrides it). Returns ``(state, message, last result, polls)``; state
    ``timeout`` when the time ran out while in progress.
    """
    deadline = clock() + float(timeout)
    delays = poll_delays(timeout, **schedule)
    polls = 0
    while True:
        result = describe()
        polls += 1
        state, message = check(result)
        if state != IN_PROGRESS:
            return state, message, result, polls
        remaining = deadline - clock()
        delay = next(delays, None)
        if delay is None or remaining <= 0:
            return "timeout", f"timed out after {timeout} s waiting for {what}: {message}", result, polls
        sleep(min(delay, remaining))


def wait_for_rollout(describe, task_definition, timeout, sleep=time.sleep, clock=time.monotonic, **schedule):
    """Poll ``describe()`` (returns a service dict or None) until the rollout ends or ``timeout`` passes.

    Returns ``(state, message, service, polls)``; state ``timeout`` when the time ran out while in progress.
    """
    return wait_until(
        describe,
        lambda service: classify(service, task_definition),
        timeout,
        f"the rollout of {task_definition}",
        sleep=sleep,
        clock=clock,
        **schedule,
    )


def classify_count(service, desired_count):
    """A DescribeServices ``service`` (None: missing) against a scale to ``desired_count``.

    completed when it runs exactly that many tasks and starts none; failed when the service is gone or no longer
    ACTIVE; in_progress otherwise.
    """
    if not service:
        return FAILED, "the service does not exist (any more)"
    if service.get("status") != "ACTIVE":
        return FAILED, f"the service is {service.get('status')}"
    running, pending = service.get("runningCount", 0), service.get("pendingCount", 0)
    counts = f"running {running}/{desired_count}, pending {pending}"
    if running == desired_count and pending == 0:
        return COMPLETED, f"the service runs {desired_count} task(s) ({counts})"
    return IN_PROGRESS, counts


def classify_deletion(service):
    """A DescribeServices ``service`` (None: missing) after DeleteService: completed once INACTIVE or gone."""
    if not service:
        return COMPLETED, "the service is gone (MISSING)"
    status = service.get("status")
    if status == "INACTIVE":
        return COMPLETED, "the service is INACTIVE"
    return IN_PROGRESS, f"the service is {status}, running {service.get('runningCount', 0)} task(s)"
