"""EventBridge Scheduler on the local runtime: fire the due schedules whose target is an ECS cluster.

moto's scheduler backend only records schedules. Here a thread looks at them every few seconds and, for each
ENABLED schedule with an ECS target (``Target.Arn`` a cluster ARN, ``Target.EcsParameters``) that is due, calls the
runtime's RunTask with the target's task definition, launch type, platform version, task count and network
configuration, as Scheduler does on AWS; the task then runs for real (emulator/ecs.py). Its ``startedBy`` is
``scheduler/<group>/<name>`` (so tests and status can find it).

- ``rate(N unit)``: due every N units after the schedule was created or last updated (the first run one interval
  after that).
- ``cron(min hour day-of-month month day-of-week year)``: due in each minute the six fields match, in UTC (the
  schedule's time zone is not applied here): ``*``, ``?``, numbers, ranges, lists, steps and month/day names;
  ``L``, ``W`` and ``#`` are not emulated (such a schedule never fires locally).
- Not emulated: the flexible time window, retries, dead-letter queues, start/end dates, one-time ``at()``
  schedules, targets other than ECS.

The clock and the backends are passed in: tests/emulator/test_schedules_pure.py drives it with a fake clock.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import UTC, datetime

from emulator.state import LOCK

log = logging.getLogger("emulator.schedules")

TICK = 5.0
RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
CRON = re.compile(r"^cron\((.+)\)$")
MONTHS = {name: i + 1 for i, name in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
DAYS = {name: i + 1 for i, name in enumerate("SUN MON TUE WED THU FRI SAT".split())}  # AWS: 1 = Sunday
# (lowest, highest, names) of each cron field.
FIELDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, MONTHS), (1, 7, DAYS), (1970, 2199, {}))


def rate_seconds(expression: str) -> int | None:
    match = RATE.match(expression)
    if not match or int(match.group(1)) < 1:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2).rstrip("s")]


def _values(field: str, low: int, high: int, names: dict) -> set[int] | None:
    """The values a cron field allows; None when it uses syntax not emulated (L, W, #)."""
    if field in ("*", "?"):
        return set(range(low, high + 1))
    allowed: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if step_text and not step_text.isdigit():
            return None
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(base, names)
            end = high if step_text else start
        if start is None or end is None:
            return None
        allowed.update(range(start, end + 1, step))
    return allowed


def _number(text: str, names: dict) -> int | None:
    if text.isdigit():
        return int(text)
    return names.get(text.upper())


def cron_matches(expression: str, moment: datetime) -> bool | None:
    """Whether the cron() expression fires in the minute of ``moment`` (UTC); None when it cannot be emulated."""
    match = CRON.match(expression)
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        return None
    sets = [_values(field, *spec) for field, spec in zip(fields, FIELDS, strict=True)]
    if any(values is None for values in sets):
        return None
    minutes, hours, days, months, weekdays, years = sets
    aws_weekday = (moment.isoweekday() % 7) + 1  # Monday (1) -> 2, Sunday (7) -> 1
    return (
        moment.minute in minutes
        and moment.hour in hours
        and moment.month in months
        and moment.year in years
        and (moment.day in days if fields[2] != "?" else True)
        and (aws_weekday in weekdays if fields[4] != "?" else True)
    )


def is_due(expression: str, anchor: float, last_fired: float | None, now: float) -> bool:
    """Whether a schedule created/updated at ``anchor`` and last fired at ``last_fired`` is due at ``now``."""
    seconds = rate_seconds(expression)
    if seconds is not None:
        return now >= (last_fired if last_fired is not None else anchor) + seconds
    moment = datetime.fromtimestamp(now, UTC)
    if not cron_matches(expression, moment):
        return False
    minute = int(now // 60)  # the invocation time is the minute's start: one before the schedule existed is not run
    return minute * 60 >= anchor and (last_fired is None or int(last_fired // 60) != minute)


def _network(params: dict) -> dict | None:
    vpc = (params.get("NetworkConfiguration") or {}).get("awsvpcConfiguration")
    if not vpc:
        return None
    return {
        "awsvpcConfiguration": {
            "subnets": vpc.get("Subnets", []),
            "securityGroups": vpc.get("SecurityGroups", []),
            "assignPublicIp": vpc.get("AssignPublicIp", "DISABLED"),
        }
    }


class Firer:
    """Fires due schedules: ``tick(now)`` once per call; ``start()`` runs it on a thread every TICK seconds."""

    def __init__(self, scheduler_backends, ecs_backends, clock=time.time) -> None:
        self.scheduler_backends, self.ecs_backends, self.clock = scheduler_backends, ecs_backends, clock
        self.fired: dict[tuple[str, float], float] = {}  # (schedule ARN, its anchor) -> last fire time
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="scheduler-firer")

    def start(self) -> Firer:
        self.thread.start()
        return self

    def _loop(self) -> None:
        while not self.stop.wait(TICK):
            with LOCK:
                try:
                    self.tick(self.clock())
                except Exception:  # noqa: BLE001 - a bad schedule must not stop the thread
                    log.exception("firing schedules")

    def _schedules(self):
        for account_id, regions in list(self.scheduler_backends.items()):
            for region, backend in list(regions.items()):
                for group in list(backend.schedule_groups.values()):
                    for schedule in list(group.schedules.values()):
                        yield account_id, region, schedule

    def tick(self, now: float) -> list[str]:
        """Run each due schedule's target once; returns the ARNs of the schedules fired."""
        fired = []
        for account_id, region, schedule in self._schedules():
            target = schedule.target or {}
            params = target.get("EcsParameters")
            if schedule.state != "ENABLED" or not params or ":cluster/" not in target.get("Arn", ""):
                continue
            anchor = float(max(schedule.creation_date or 0, schedule.last_modified_date or 0))
            key = (schedule.arn, anchor)
            if not is_due(schedule.schedule_expression, anchor, self.fired.get(key), now):
                continue
            self.fired[key] = now
            started_by = re.sub(r"[^A-Za-z0-9_/-]", "-", f"scheduler/{schedule.group_name}/{schedule.name}")[:128]
            try:
                self.ecs_backends[account_id][region].run_task(
                    target["Arn"], params["TaskDefinitionArn"], int(params.get("TaskCount") or 1), {}, started_by, [],
                    params.get("LaunchType") or "FARGATE", _network(params), params.get("Group"),
                    params.get("PlatformVersion"),
                )  # fmt: skip
            except Exception:  # noqa: BLE001 - AWS records a failed invocation; here the log says why
                log.exception("schedule %s: RunTask failed", schedule.arn)
                continue
            log.info("schedule %s fired (%s)", schedule.arn, schedule.schedule_expression)
            fired.append(schedule.arn)
        return fired
