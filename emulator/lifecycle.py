"""What ECS decides about a task, as pure functions: a container's environment and command, its
resource limits, the awslogs stream, and how a task stops. Unit-tested without Docker."""

from __future__ import annotations

from datetime import UTC, datetime

# AWS's task lifecycle (ECS developer guide, "Task lifecycle").
STARTING = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")
STOPPING = ("DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED")

ESSENTIAL_EXITED = "EssentialContainerExited"
USER_INITIATED = "UserInitiated"
FAILED_TO_START = "TaskFailedToStart"
SCHEDULER_INITIATED = "ServiceSchedulerInitiated"

DEFAULT_STOP_TIMEOUT = 30  # seconds between SIGTERM and SIGKILL on Fargate when stopTimeout is unset


def container_override(overrides: dict | None, name: str) -> dict:
    for item in (overrides or {}).get("containerOverrides") or []:
        if item.get("name") == name:
            return item
    return {}


def environment(container_def: dict, secret_values: dict[str, str], override: dict, extra: dict | None = None) -> dict:
    """AWS's order: the definition's `environment`, then its `secrets`, then RunTask's overrides.
    ``extra`` (what the platform injects, e.g. AWS_REGION) comes first, so the task can replace it."""
    env: dict[str, str] = dict(extra or {})
    for item in container_def.get("environment") or []:
        env[item["name"]] = str(item.get("value", ""))
    env.update(secret_values)
    for item in override.get("environment") or []:
        env[item["name"]] = str(item.get("value", ""))
    return env


def command(container_def: dict, override: dict) -> list[str] | None:
    if override.get("command"):
        return list(override["command"])
    return list(container_def["command"]) if container_def.get("command") else None


def memory_mib(task_def: dict, container_def: dict, override: dict) -> int | None:
    """Hard limit: the container's `memory`, else the task's (Fargate enforces the task size)."""
    for value in (override.get("memory"), container_def.get("memory"), task_def.get("memory")):
        if value not in (None, "", 0, "0"):
            return int(value)
    return None


def nano_cpus(task_def: dict, container_def: dict, override: dict) -> int | None:
    """CPU units (1024 = one vCPU) as Docker's nano CPUs: the container's share, else the task's."""
    for value in (override.get("cpu"), container_def.get("cpu"), task_def.get("cpu")):
        if value not in (None, "", 0, "0"):
            return int(int(value) * 1_000_000_000 / 1024)
    return None


def stop_timeout(container_def: dict) -> int:
    value = container_def.get("stopTimeout")
    return int(value) if value else DEFAULT_STOP_TIMEOUT


def awslogs(container_def: dict, default_region: str) -> dict | None:
    """The awslogs options of a container, or None when it logs elsewhere (its output is then dropped)."""
    config = container_def.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return None
    options = config.get("options") or {}
    return {
        "group": options.get("awslogs-group"),
        "region": options.get("awslogs-region") or default_region,
        "prefix": options.get("awslogs-stream-prefix"),
        "create_group": str(options.get("awslogs-create-group", "false")).lower() == "true",
    }


def stream_name(prefix: str | None, container: str, task_id: str) -> str:
    """awslogs' stream: `<prefix>/<container>/<task-id>`; without a prefix ECS uses the task id."""
    return f"{prefix}/{container}/{task_id}" if prefix else task_id


def essential_stop(containers: list[dict]) -> str | None:
    """The stoppedReason once an essential container has exited, else None (the task keeps running).

    ``containers``: [{"name", "essential", "exit_code" (None while running)}].
    """
    for item in containers:
        if item.get("essential", True) and item.get("exit_code") is not None:
            return "Essential container in task exited"
    return None


def parse_log_line(raw: bytes) -> tuple[int, str]:
    """A `docker logs --timestamps` line -> (milliseconds since the epoch, message without newline)."""
    text = raw.decode("utf-8", "replace").rstrip("\n")
    stamp, _, message = text.partition(" ")
    try:
        # RFC 3339 with nanoseconds: keep microseconds for fromisoformat.
        head, _, frac = stamp.rstrip("Z").partition(".")
        moment = datetime.fromisoformat(head + ("." + frac[:6] if frac else "")).replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000), message
    except ValueError:
        return int(datetime.now(UTC).timestamp() * 1000), text


def exit_reason(exit_code: int, oom: bool) -> str | None:
    """The container `reason` ECS reports for an abnormal end."""
    if oom:
        return "OutOfMemoryError: Container killed due to memory usage"
    return None
