# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions: EventBridge Scheduler schedules as the module wants them, and how they differ from AWS's.

GetSchedule (botocore model ``scheduler`` / API reference) answers with bookkeeping the request never holds
(``Arn``, ``CreationDate``, ``LastModificationDate``) and with defaults AWS fills in: ``Target.RetryPolicy``
(86400 s, 185 attempts), ``ScheduleExpressionTimezone`` ``UTC``, ``EcsParameters.TaskCount`` 1,
``ActionAfterCompletion`` ``NONE``, ``State`` ``ENABLED``. It leaves out what was never set (``Description``,
``KmsKeyArn``, ``StartDate``...), where moto answers ``null``. Subnets and security groups are sets.
The module sends every field it manages explicitly (see :func:`desired_schedule`), so the comparison walks the
desired fields only: a field AWS adds on its own never counts as a change, and an empty desired value equals a
field AWS left out. No AWS calls here: unit-tested with AWS-shaped answers.
"""

from __future__ import annotations

import copy
import re

# Fields of CreateSchedule / UpdateSchedule the module manages (UpdateSchedule replaces the whole schedule,
# so an update sends all of them again).
MANAGED_FIELDS = (
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "Description",
    "State",
    "FlexibleTimeWindow",
    "Target",
    "ActionAfterCompletion",
)
# Lists whose order AWS does not keep or promise.
UNORDERED_LISTS = ("Subnets", "SecurityGroups")

NAME_PATTERN = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")
DEFAULT_RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}

# rate(value unit): value >= 1; singular unit for 1, plural otherwise (AWS refuses "rate(1 minutes)").
RATE_PATTERN = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
# cron(minutes hours day-of-month month day-of-week year): six fields, one of day-of-month / day-of-week is '?'.
CRON_PATTERN = re.compile(r"^cron\((?P<fields>[^()]+)\)$")
CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#-]+$")


def expression_problem(expression):
    """Why a schedule expression is not a recurring rate(...)/cron(...) one AWS accepts, or None when it is.

    The same rules as the role's validation (tasks/validate.yml), so the module refuses what the role refuses.
    """
    if not isinstance(expression, str):
        return "expected a string like rate(1 day) or cron(0 3 * * ? *)"
    rate = RATE_PATTERN.match(expression)
    if rate:
        plural = rate.group("unit").endswith("s")
        if (rate.group("value") == "1") == plural:
            return "use the singular unit for 1 and the plural otherwise: rate(1 day), rate(5 minutes)"
        return None
    cron = CRON_PATTERN.match(expression)
    if cron:
        fields = cron.group("fields").split()
        if len(fields) != 6:
            return "cron() takes six fields: minutes hours day-of-month month day-of-week year"
        if not all(CRON_FIELD.match(field) for field in fields):
            return "a cron() field holds only digits, letters, * ? / , - # L W"
        if (fields[2] == "?") == (fields[4] == "?"):
            return "cron(): exactly one of day-of-month (3rd) and day-of-week (5th) must be '?'"
        return None
    return "expected rate(value unit) or cron(six fields), e.g. rate(1 day) or cron(0 3 * * ? *)"


def desired_schedule(spec):
    """The CreateSchedule/UpdateSchedule fields of one schedule of the module's ``schedules`` option."""
    target = copy.deepcopy(spec["target"])
    target.setdefault("RetryPolicy", dict(DEFAULT_RETRY_POLICY))
    ecs = target.get("EcsParameters")
    if ecs is not None:
        ecs.setdefault("TaskCount", 1)
    return {
        "ScheduleExpression": spec["schedule_expression"],
        "ScheduleExpressionTimezone": spec.get("schedule_expression_timezone") or "UTC",
        "Description": spec.get("description") or "",
        "State": spec.get("state") or "ENABLED",
        "FlexibleTimeWindow": copy.deepcopy(spec.get("flexible_time_window") or {"Mode": "OFF"}),
        "Target": target,
        "ActionAfterCompletion": "NONE",
    }


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def differences(desired, current, path=""):
    """Dotted paths where ``current`` (as GetSchedule answers) differs from ``desired``; [] when it matches."""
    if isinstance(desired, dict):
        if _empty(desired):
            return [] if _empty(current) else [path]
        if not isinstance(current, dict):
            return [path]
        found = []
        for key in sorted(desired):
            sub = f"{path}.{key}" if path else key
            value = desired[key]
            if key not in current or current[key] is None:
                if not _empty(value):
                    found.append(sub)
                continue
            if key in UNORDERED_LISTS and isinstance(value, list) and isinstance(current[key], list):
                if sorted(value) != sorted(current[key]):
                    found.append(sub)
                continue
            found.extend(differences(value, current[key], sub))
        return found
    if isinstance(desired, list):
        if _empty(desired):
            return [] if _empty(current) else [path]
        if not isinstance(current, list) or len(current) != len(desired):
            return [path]
        found = []
        for index, want in enumerate(desired):
            found.extend(differences(want, current[index], f"{path}[{index}]"))
        return found
    if _empty(desired) and _empty(current):
        return []
    return [] if desired == current else [path]


def schedule_changes(desired, current):
    """What differs between a desired schedule (:func:`desired_schedule`) and GetSchedule's answer."""
    return differences({key: desired[key] for key in MANAGED_FIELDS}, current)


def plan(desired_by_name, current_names, purge=True):
    """(create, compare, delete): names to create, names to compare with AWS, names to delete (sorted)."""
    wanted = set(desired_by_name)
    existing = set(current_names)
    return (
        sorted(wanted - existing),
        sorted(wanted & existing),
        sorted(existing - wanted) if purge else [],
    )


def comparable(schedule):
    """A GetSchedule answer with only the managed fields (for diff output), in snake_case-free API form."""
    return {key: schedule.get(key) for key in MANAGED_FIELDS if schedule.get(key) not in (None, "")}
