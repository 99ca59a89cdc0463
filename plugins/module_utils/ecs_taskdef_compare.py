# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions: normalise ECS task definitions and compare them.

AWS (and moto) fill in defaults when a task definition is registered: empty lists, ``essential: true``,
container ``cpu: 0``, ``protocol: tcp``, ``hostPort`` equal to ``containerPort`` under ``awsvpc``,
health check interval/timeout/retries, cpu/memory as strings, ``enableFaultInjection: false`` and
container ``versionConsistency: enabled`` (AWS only, moto leaves them out), and bookkeeping keys
(``revision``, ``status``, ``compatibilities``, ``requiresAttributes``, ``registeredAt``...). Both the
desired definition (RegisterTaskDefinition parameters, camelCase) and the described one go through
:func:`normalize_task_definition`, so the comparison sees only what the user controls.
No AWS calls here: unit-tested with fixtures.
"""

from __future__ import annotations

import copy
import re

# Task-level keys that make up a definition (RegisterTaskDefinition parameters, minus tags).
TASK_KEYS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
)

# Lists whose order carries no meaning, and the key that identifies an item.
_NAMED_LISTS = ("environment", "secrets", "ulimits", "systemControls", "extraHosts", "resourceRequirements")
_SORT_KEYS = {
    "environment": "name",
    "secrets": "name",
    "ulimits": "name",
    "systemControls": "namespace",
    "extraHosts": "hostname",
    "resourceRequirements": "type",
}

# Container booleans whose absence means false (AWS omits them or returns false).
_FALSE_DEFAULTS = (
    "readonlyRootFilesystem",
    "privileged",
    "disableNetworking",
    "interactive",
    "pseudoTerminal",
)

HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}

# Values DescribeTaskDefinition reports although they were never set, meaning the same as absent
# (botocore's model: "The default value is false" / "By default, the value is enabled").
TASK_DEFAULTS = {"enableFaultInjection": False}
CONTAINER_DEFAULTS = {"versionConsistency": "enabled"}

# Fargate task-level cpu -> allowed memory (MiB).
FARGATE_CPU_MEMORY = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}

_FAMILY_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_CONTAINER_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def _prune(value):
    """Drop None, empty lists and empty dicts, recursively (AWS treats them as absent)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _prune(item)
            if item is None or item == [] or item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def _str_values(items, field="value"):
    out = []
    for item in items:
        item = dict(item)
        if field in item and item[field] is not None and not isinstance(item[field], str):
            if isinstance(item[field], bool):
                item[field] = "true" if item[field] else "false"
            else:
                item[field] = str(item[field])
        out.append(item)
    return out


def normalize_container(container, network_mode):
    """Return a container definition with AWS defaults applied and meaningless order removed."""
    c = _prune(copy.deepcopy(container))
    c.setdefault("essential", True)
    for key, default in CONTAINER_DEFAULTS.items():
        if c.get(key) == default:
            c.pop(key)
    if c.get("cpu") in (0, "0"):
        c.pop("cpu")
    for key in ("cpu", "memory", "memoryReservation"):
        if key in c:
            c[key] = int(c[key])
    for key in _FALSE_DEFAULTS:
        if c.get(key) is False:
            c.pop(key)
    if "environment" in c:
        c["environment"] = _str_values(c["environment"])
    for key in _NAMED_LISTS:
        if key in c:
            c[key] = sorted(c[key], key=lambda item, k=_SORT_KEYS[key]: str(item.get(k, "")))
    if "portMappings" in c:
        mappings = []
        for pm in c["portMappings"]:
            pm = dict(pm)
            pm["containerPort"] = int(pm["containerPort"]) if "containerPort" in pm else None
            pm.setdefault("protocol", "tcp")
            pm["protocol"] = pm["protocol"].lower()
            if network_mode == "awsvpc" and pm.get("hostPort") is None:
                pm["hostPort"] = pm["containerPort"]
            if "hostPort" in pm and pm["hostPort"] is not None:
                pm["hostPort"] = int(pm["hostPort"])
            mappings.append(pm)
        c["portMappings"] = sorted(mappings, key=lambda pm: (pm.get("containerPort") or 0, pm["protocol"]))
    if "logConfiguration" in c:
        log = c["logConfiguration"]
        if "options" in log:
            log["options"] = {k: str(v) for k, v in log["options"].items()}
        if "secretOptions" in log:
            log["secretOptions"] = sorted(log["secretOptions"], key=lambda item: item.get("name", ""))
    if "healthCheck" in c:
        hc = c["healthCheck"]
        for key, default in HEALTH_CHECK_DEFAULTS.items():
            hc[key] = int(hc.get(key, default))
        if "startPeriod" in hc:
            hc["startPeriod"] = int(hc["startPeriod"])
    if "dockerLabels" in c:
        c["dockerLabels"] = {k: str(v) for k, v in c["dockerLabels"].items()}
    return c


def normalize_task_definition(definition):
    """Reduce a task definition (desired or described, camelCase) to the fields a user controls."""
    if not definition:
        return None
    d = {key: copy.deepcopy(definition[key]) for key in TASK_KEYS if key in definition}
    d = _prune(d)
    for key, default in TASK_DEFAULTS.items():
        if d.get(key) == default:
            d.pop(key)
    compat = sorted(set(d.get("requiresCompatibilities") or []))
    if compat:
        d["requiresCompatibilities"] = compat
    if "networkMode" not in d:
        d["networkMode"] = "awsvpc" if "FARGATE" in compat else "bridge"
    for key in ("cpu", "memory"):
        if key in d:
            d[key] = str(d[key]).strip()
    if "ephemeralStorage" in d:
        d["ephemeralStorage"] = {"sizeInGiB": int(d["ephemeralStorage"]["sizeInGiB"])}
    d["containerDefinitions"] = sorted(
        (normalize_container(c, d["networkMode"]) for c in d.get("containerDefinitions", [])),
        key=lambda c: c.get("name", ""),
    )
    return d


def _container_map(normalized):
    return {c.get("name", ""): c for c in normalized.get("containerDefinitions", [])}


def diff_task_definitions(current, desired):
    """Compare two task definitions (raw or normalised) and list what differs.

    Returns ``(changes, before, after)``: ``changes`` is a sorted list of dotted paths
    (``cpu``, ``container.web.image``, ``container.web.environment``...), ``before``/``after`` hold only
    the differing values. ``current`` None means nothing is registered yet: every desired key differs.
    """
    cur = normalize_task_definition(current) or {}
    des = normalize_task_definition(desired) or {}
    changes, before, after = [], {}, {}
    for key in sorted(set(cur) | set(des)):
        if key == "containerDefinitions":
            continue
        if cur.get(key) != des.get(key):
            changes.append(key)
            before[key] = cur.get(key)
            after[key] = des.get(key)
    cur_c, des_c = _container_map(cur), _container_map(des)
    for name in sorted(set(cur_c) | set(des_c)):
        a, b = cur_c.get(name), des_c.get(name)
        if a is None or b is None:
            changes.append(f"container.{name}")
            before.setdefault("containerDefinitions", {})[name] = a
            after.setdefault("containerDefinitions", {})[name] = b
            continue
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                changes.append(f"container.{name}.{key}")
                before.setdefault("containerDefinitions", {}).setdefault(name, {})[key] = a.get(key)
                after.setdefault("containerDefinitions", {}).setdefault(name, {})[key] = b.get(key)
    return changes, before, after


def tags_to_dict(tags):
    """ECS tag list ``[{key, value}]`` -> dict."""
    return {t["key"]: t.get("value", "") for t in (tags or [])}


def dict_to_tags(tags):
    return [{"key": k, "value": str(v)} for k, v in sorted((tags or {}).items())]


def diff_tags(current, desired, purge=True):
    """Return ``(to_set, to_remove)`` to go from ``current`` to ``desired`` (dicts)."""
    to_set = {k: str(v) for k, v in desired.items() if current.get(k) != str(v)}
    to_remove = sorted(k for k in current if k not in desired) if purge else []
    return to_set, to_remove


def validate_task_definition(definition):
    """Check what AWS would refuse (or accept and regret), before any call. Returns a list of messages."""
    errors = []
    family = definition.get("family")
    if not family or not _FAMILY_RE.match(str(family)):
        errors.append(f"family={family!r} is invalid: use 1-255 letters, digits, hyphens or underscores")
    containers = definition.get("containerDefinitions") or []
    if not containers:
        errors.append("container_definitions is empty: give at least one container (name and image)")
    names = []
    for index, c in enumerate(containers):
        if not isinstance(c, dict):
            errors.append(f"container_definitions[{index}] must be a dict, got {type(c).__name__}")
            continue
        name = c.get("name")
        if not name or not _CONTAINER_NAME_RE.match(str(name)):
            errors.append(
                f"container_definitions[{index}].name={name!r} is invalid: 1-255 letters, digits, hyphens, underscores"
            )
        names.append(name)
        if not c.get("image"):
            errors.append(f"container_definitions[{index}].image is required (container {name!r})")
        elif "********" in str(c["image"]):
            errors.append(f"container_definitions[{index}].image contains '********' (a no_log-masked value)")
        for pm in c.get("portMappings") or []:
            for key in ("containerPort", "hostPort"):
                port = pm.get(key)
                if port is not None and not (isinstance(port, int) and 1 <= port <= 65535):
                    errors.append(f"container {name!r} portMappings.{key}={port!r} is invalid: use 1-65535")
        for item in c.get("secrets") or []:
            value_from = str(item.get("valueFrom", ""))
            if not item.get("name") or not value_from:
                errors.append(f"container {name!r} secrets item {item!r} needs name and valueFrom")
            if "********" in value_from:
                errors.append(
                    f"container {name!r} secret {item.get('name')!r} valueFrom={value_from!r} contains '********': "
                    "the ARN was masked by no_log; read it from a result that holds no secret value"
                )
        for item in c.get("environment") or []:
            if not item.get("name"):
                errors.append(f"container {name!r} environment item {item!r} needs a name")
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        errors.append(f"container names must be unique, repeated: {', '.join(duplicates)}")
    for key in ("executionRoleArn", "taskRoleArn"):
        arn = definition.get(key)
        if arn and not _ROLE_ARN_RE.match(str(arn)):
            errors.append(f"{key}={arn!r} is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)")
    compat = definition.get("requiresCompatibilities") or []
    if "FARGATE" in compat:
        if definition.get("networkMode", "awsvpc") != "awsvpc":
            errors.append(f"network_mode={definition.get('networkMode')!r}: Fargate requires 'awsvpc'")
        errors.extend(validate_fargate_size(definition.get("cpu"), definition.get("memory")))
    storage = (definition.get("ephemeralStorage") or {}).get("sizeInGiB")
    if storage is not None and not (isinstance(storage, int) and 21 <= storage <= 200):
        errors.append(f"ephemeral_storage={storage!r} is invalid: use 21-200 GiB (or omit it for the 20 GiB default)")
    return errors


def validate_fargate_size(cpu, memory):
    """Fargate's cpu/memory pairs. Returns a list of messages (empty when valid)."""
    try:
        cpu_i = int(str(cpu))
        mem_i = int(str(memory))
    except (TypeError, ValueError):
        return [f"cpu={cpu!r}, memory={memory!r}: Fargate needs both as integers (cpu units, MiB)"]
    if cpu_i not in FARGATE_CPU_MEMORY:
        return [f"cpu={cpu_i} is not a Fargate size: use one of {', '.join(map(str, FARGATE_CPU_MEMORY))}"]
    allowed = FARGATE_CPU_MEMORY[cpu_i]
    if mem_i not in allowed:
        step = allowed[1] - allowed[0] if len(allowed) > 1 else 0
        return [
            f"memory={mem_i} is not allowed with cpu={cpu_i}: use {allowed[0]}-{allowed[-1]} MiB"
            + (f" in steps of {step}" if len(allowed) > 3 else f" ({', '.join(map(str, allowed))})")
        ]
    return []
