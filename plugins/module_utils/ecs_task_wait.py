# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure waiting and result logic for running a one-off ECS task.

Nothing here talks to AWS or sleeps on its own: the caller passes a ``describe`` callable,
a ``clock`` and a ``sleep``, so every branch can be tested with fixtures and a fake clock.
"""

import datetime

UTC = datetime.timezone.utc  # noqa: UP017 (modules may run on Python < 3.11)

STOPPED = "STOPPED"
# lastStatus values a task passes through once its containers have exited (or were killed).
STOPPING_STATUSES = frozenset(["DEACTIVATING", "STOPPING", "DEPROVISIONING"])
# lastStatus values of a task that has not finished yet and counts as "running" for the guard.
ACTIVE_STATUSES = frozenset(["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"])

# Poll schedule (seconds). A migration is usually short: poll every second at first, back off
# to MAX_DELAY while it runs, and once ECS reports the task stopping poll quickly again so the
# module returns within ~STOPPING_MAX_DELAY of the task reaching STOPPED.
INITIAL_DELAY = 1.0
BACKOFF = 1.5
MAX_DELAY = 5.0
STOPPING_DELAY = 1.0
STOPPING_BACKOFF = 1.25
STOPPING_MAX_DELAY = 2.0

# Signatures of a task that stopped before its container ran, with what a person should check.
START_FAILURE_HINTS = (
    (
        "CannotPullContainerError",
        "the image could not be pulled: check that the image (repository and tag) exists, that the "
        "execution role may pull it (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer), "
        "and that the task's subnets reach the registry (a NAT gateway, a public subnet with assign_public_ip, "
        "or ECR VPC endpoints)",
    ),
    (
        "ResourceInitializationError",
        "the task could not fetch what it needs before starting: check the secrets (the execution role needs "
        "secretsmanager:GetSecretValue or ssm:GetParameters, and kms:Decrypt for a customer key; every valueFrom "
        "must exist, a JSON key is '<secret-arn>:<key>::'), the registry auth (repositoryCredentials), the awslogs "
        "log group (it must exist), and that the subnets reach Secrets Manager, SSM, ECR and CloudWatch Logs",
    ),
    (
        "CannotStartContainerError",
        "the container could not be started: check the command, entryPoint, user and working directory "
        "of the task definition",
    ),
    (
        "CannotCreateContainerError",
        "the container could not be created: check the volumes, the ulimits and the task size",
    ),
    (
        "CannotInspectContainerError",
        "the container runtime failed: run the task again; if it repeats, check the AWS Health Dashboard",
    ),
)

STOP_CODE_HINTS = {
    "TaskFailedToStart": "the task failed to start: check stopped_reason and each container's reason",
    "SpotInterruption": "the Fargate Spot capacity was reclaimed: run it again or use FARGATE (on-demand)",
    "UserInitiated": "someone (or something) called StopTask on this task",
    "ServiceSchedulerInitiated": "the ECS service scheduler stopped this task",
    "TerminationNotice": "the underlying capacity was retired by AWS: run it again",
    "InfrastructureHealth": "AWS stopped the task because the infrastructure under it (the Fargate host, its "
    "network or storage) was unhealthy, not because of the container: run it again; if it repeats, check the "
    "AWS Health Dashboard for the region and zone",
}
# Stop codes where AWS, not the container, ended the task: their hint beats the one for the exit code.
AWS_STOP_CODES = ("InfrastructureHealth", "TerminationNotice", "SpotInterruption")

RUN_TASK_FAILURE_HINTS = (
    ("RESOURCE:", "the cluster has no capacity for this task: add capacity or use Fargate"),
    ("Capacity is unavailable", "Fargate has no capacity in these subnets' zones right now: retry, or add subnets"),
    ("AGENT", "the container instance's agent is disconnected"),
    ("ATTRIBUTE", "no container instance has the attributes the task definition requires"),
    ("MISSING", "a resource named in the request does not exist (cluster, task definition, subnet or SG)"),
    ("subnet", "check the subnets: they must exist and belong to the security groups' VPC"),
)


def poll_delays(initial=INITIAL_DELAY, backoff=BACKOFF, maximum=MAX_DELAY):
    """Yield poll delays: ``initial`` growing by ``backoff`` up to ``maximum``, then forever ``maximum``."""
    delay = initial
    while True:
        yield min(delay, maximum)
        delay = min(delay * backoff, maximum)


class PollSchedule:
    """The delay before the next DescribeTasks, given the task as last seen.

    Two phases: while the task is provisioning or running the delay grows from 1 s to 5 s; from the
    moment ECS reports it stopping (the containers have exited) it restarts at 1 s and stays at or
    below 2 s, because STOPPED is then seconds away.
    """

    def __init__(
        self,
        initial=INITIAL_DELAY,
        backoff=BACKOFF,
        maximum=MAX_DELAY,
        stopping_initial=STOPPING_DELAY,
        stopping_backoff=STOPPING_BACKOFF,
        stopping_maximum=STOPPING_MAX_DELAY,
    ):
        self._running = poll_delays(initial, backoff, maximum)
        self._stopping = poll_delays(stopping_initial, stopping_backoff, stopping_maximum)

    def next_delay(self, task):
        if is_stopping(task):
            return next(self._stopping)
        return next(self._running)


def task_done(task):
    """True when the task has reached its final state (STOPPED)."""
    return bool(task) and task.get("lastStatus") == STOPPED


def is_stopping(task):
    """True once ECS is tearing the task down (its containers have exited or are being stopped)."""
    if not task:
        return False
    return task.get("lastStatus") in STOPPING_STATUSES or (
        task.get("desiredStatus") == STOPPED and task.get("lastStatus") != STOPPED
    )


def is_active(task):
    """True for a task that is still going to run or is running (the concurrency guard's test)."""
    return bool(task) and task.get("lastStatus") in ACTIVE_STATUSES and task.get("desiredStatus", "RUNNING") != STOPPED


class WaitResult:
    """What wait_for_stop saw: the last task description, how long and how often it polled."""

    def __init__(self, task, timed_out, describe_calls, waited_seconds, history):
        self.task = task
        self.timed_out = timed_out
        self.describe_calls = describe_calls
        self.waited_seconds = waited_seconds
        self.history = history


def wait_for_stop(describe, timeout, clock, sleep, schedule=None, task=None):
    """Poll ``describe()`` until the task is STOPPED or ``timeout`` seconds have passed.

    ``describe`` returns the task (a DescribeTasks entry) or None; ``clock`` returns monotonic
    seconds; ``sleep`` sleeps. ``task`` is what RunTask returned, used to pick the first delay.
    Sleeps never go past the deadline, so the timeout is kept to within one API call.
    """
    schedule = schedule or PollSchedule()
    start = clock()
    deadline = start + timeout
    calls = 0
    history = []
    last_status = None
    while True:
        if task_done(task):
            return WaitResult(task, False, calls, round(clock() - start, 3), history)
        now = clock()
        remaining = deadline - now
        if remaining <= 0:
            return WaitResult(task, True, calls, round(now - start, 3), history)
        sleep(min(schedule.next_delay(task), remaining))
        seen = describe()
        calls += 1
        if seen is not None:
            task = seen
            status = task.get("lastStatus")
            if status != last_status:
                history.append({"status": status, "elapsed": round(clock() - start, 3)})
                last_status = status


def _ms_or_datetime(value):
    """DescribeTasks times come as datetimes from boto3; accept epoch seconds and ISO strings too."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=UTC)
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_time(value):
    parsed = _ms_or_datetime(value)
    return parsed.isoformat() if parsed else None


def task_duration(task):
    """Seconds between startedAt (else createdAt) and stoppedAt (else stoppingAt); None if unknown."""
    begin = _ms_or_datetime(task.get("startedAt") or task.get("createdAt"))
    end = _ms_or_datetime(task.get("stoppedAt") or task.get("executionStoppedAt") or task.get("stoppingAt"))
    if begin is None or end is None:
        return None
    return round((end - begin).total_seconds(), 3)


def task_id(task_arn):
    return task_arn.rsplit("/", 1)[-1] if task_arn else None


def family_of(task_definition_arn):
    """'arn:...:task-definition/app-migrate:7' or 'app-migrate:7' -> 'app-migrate'."""
    name = task_definition_arn.rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def essential_containers(task_definition):
    """Names of the essential containers of a task definition (essential defaults to true)."""
    return [c["name"] for c in task_definition.get("containerDefinitions", []) if c.get("essential", True)]


def container_summaries(task, essential_names):
    """Each container as snake_case: name, exit_code, reason, last_status, essential."""
    result = []
    for container in task.get("containers", []) or []:
        name = container.get("name")
        result.append(
            {
                "name": name,
                "exit_code": container.get("exitCode"),
                "reason": container.get("reason"),
                "last_status": container.get("lastStatus"),
                "essential": name in essential_names,
            }
        )
    return result


def _start_failure_hint(texts):
    for marker, hint in START_FAILURE_HINTS:
        if any(marker in (text or "") for text in texts):
            return marker, hint
    return None, None


def _exit_hint(exit_code, reason):
    if reason and "OutOfMemory" in reason:
        return "the container was killed for using more memory than allowed: raise the task or container memory"
    if exit_code == 137:
        return "exit code 137 means SIGKILL: the container ran out of memory or was stopped"
    if exit_code == 139:
        return "exit code 139 means a segmentation fault"
    if exit_code == 143:
        return "exit code 143 means SIGTERM: the task was stopped while running"
    return "see the log lines for the error"


class Outcome:
    """The verdict on a stopped task: ``ok``, a ``kind`` keyword and a message a person can act on."""

    def __init__(self, ok, kind, message, exit_code=None):
        self.ok = ok
        self.kind = kind
        self.message = message
        self.exit_code = exit_code


def classify_outcome(task, essential_names, container=None):
    """Decide whether a STOPPED task succeeded.

    Success means every essential container (or only ``container`` when given) exited 0.
    A non-essential sidecar's exit code does not count.
    """
    ident = task_id(task.get("taskArn"))
    stop_code = task.get("stopCode")
    stopped_reason = task.get("stoppedReason") or ""
    containers = task.get("containers", []) or []
    by_name = dict((c.get("name"), c) for c in containers)
    checked = [container] if container else [n for n in essential_names if n in by_name] or list(by_name)
    main_exit = by_name.get(checked[0], {}).get("exitCode") if checked else None

    reasons = [stopped_reason] + [c.get("reason") for c in containers]
    marker, hint = _start_failure_hint(reasons)
    nobody_ran = all(by_name.get(n, {}).get("exitCode") is None for n in checked)
    if marker or (stop_code == "TaskFailedToStart" and nobody_ran):
        detail = stopped_reason or next((r for r in reasons if r), "no reason given")
        hint = hint or STOP_CODE_HINTS["TaskFailedToStart"]
        message = "Task {} stopped before its container ran ({}: {}); {}.".format(
            ident, stop_code or "no stop code", detail, hint
        )
        return Outcome(False, "failed_to_start", message, main_exit)

    for name in checked:
        info = by_name.get(name)
        if info is None:
            return Outcome(
                False,
                "container_missing",
                "Task {} has no container named '{}'; it has: {}.".format(
                    ident, name, ", ".join(sorted(n for n in by_name if n)) or "none"
                ),
                None,
            )
        exit_code = info.get("exitCode")
        reason = info.get("reason")
        if exit_code is None:
            why = STOP_CODE_HINTS.get(stop_code, "check stopped_reason")
            message = "Task {} stopped but container '{}' has no exit code ({}: {}); {}.".format(
                ident, name, stop_code or "no stop code", reason or stopped_reason or "no reason given", why
            )
            return Outcome(False, "no_exit_code", message, main_exit)
        if exit_code != 0:
            message = "Task {}: container '{}' exited with code {}{}; {}.".format(
                ident,
                name,
                exit_code,
                f" ({reason})" if reason else "",
                f"stop code {stop_code}: {STOP_CODE_HINTS[stop_code]}"
                if stop_code in AWS_STOP_CODES
                else _exit_hint(exit_code, reason),
            )
            return Outcome(False, "container_failed", message, exit_code)
    return Outcome(True, "success", "Task {} succeeded: {} exited 0.".format(ident, ", ".join(checked)), main_exit)


def run_task_failures_message(failures):
    """A message for RunTask's ``failures`` (the task was never created)."""
    parts = []
    hints = []
    for failure in failures:
        reason = failure.get("reason") or "unknown reason"
        text = reason
        if failure.get("detail"):
            text += " ({})".format(failure["detail"])
        if failure.get("arn"):
            text += " for {}".format(failure["arn"])
        parts.append(text)
        for marker, hint in RUN_TASK_FAILURE_HINTS:
            if marker in reason or marker in (failure.get("detail") or ""):
                if hint not in hints:
                    hints.append(hint)
                break
    message = "RunTask did not start the task: " + "; ".join(parts)
    if hints:
        message += ". Check: " + "; ".join(hints)
    return message + "."


def timeout_message(task, timeout, stopped, stop_error=None):
    ident = task_id(task.get("taskArn")) if task else "?"
    status = (task or {}).get("lastStatus", "unknown")
    message = f"Task {ident} did not stop within {timeout} s (last status {status})."
    if stopped:
        message += " It was stopped (StopTask)."
    elif stop_error:
        message += f" Stopping it failed: {stop_error}; it may still be running."
    else:
        message += " It is still running (stop_on_timeout=false): stop it yourself if it must not finish."
    return message


def concurrent_message(tasks, started_by, family):
    arns = ", ".join("{} ({})".format(task_id(t.get("taskArn")), t.get("lastStatus")) for t in tasks)
    return (
        f"Another task of family '{family}' started by '{started_by}' is still running on this cluster: {arns}. "
        "Two migrations must not run at once: wait for it (concurrency=wait) or stop it."
    )


def log_configuration(task_definition, container_name):
    """The awslogs settings of a container: dict(group, prefix, region) or None when not awslogs."""
    for definition in task_definition.get("containerDefinitions", []):
        if definition.get("name") != container_name:
            continue
        config = definition.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            return None
        options = config.get("options") or {}
        if not options.get("awslogs-group"):
            return None
        return {
            "group": options["awslogs-group"],
            "prefix": options.get("awslogs-stream-prefix"),
            "region": options.get("awslogs-region"),
        }
    return None


def log_stream_name(prefix, container_name, task_arn):
    """awslogs stream of an ECS container: '<prefix>/<container>/<task-id>'.

    Without awslogs-stream-prefix the stream is named after the Docker container id, which ECS does
    not report: None then.
    """
    if not prefix:
        return None
    return f"{prefix}/{container_name}/{task_id(task_arn)}"
