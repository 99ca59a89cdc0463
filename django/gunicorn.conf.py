"""gunicorn settings, from the environment (gunicorn --config gunicorn.conf.py config.wsgi).

GUNICORN_BIND (else 0.0.0.0:$PORT, PORT default 8000), GUNICORN_WORKERS, GUNICORN_THREADS (2),
GUNICORN_TIMEOUT (30), GUNICORN_GRACEFUL_TIMEOUT (20), GUNICORN_KEEPALIVE (75), GUNICORN_LOG_LEVEL (info).
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cpus() -> float:
    """CPUs this container may use: the cgroup v2 quota when one is set, else the CPU affinity."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()
        if quota != "max":
            return int(quota) / int(period)
    except (OSError, ValueError):
        pass
    return len(os.sched_getaffinity(0))


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or '8000'}"

# 2 x CPUs + 1, at least 2 (one busy worker must not block the health check) and at most 4:
# a 0.25-0.5 vCPU / 0.5-1 GB Fargate task has no memory for more Django processes. Fargate often
# shows the host's CPUs rather than the task's share, so set GUNICORN_WORKERS in the task definition.
workers = _int("GUNICORN_WORKERS", max(2, min(int(2 * _cpus()) + 1, 4)))
threads = _int("GUNICORN_THREADS", 2)  # > 1 selects the gthread worker
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)  # below ECS's default 30 s stopTimeout
keepalive = _int("GUNICORN_KEEPALIVE", 75)  # above the ALB's 60 s idle timeout: avoids 502s on reuse

# Logs to stdout/stderr (the awslogs driver ships them); the client IP comes from the ALB.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'

# Heartbeat files in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (a private tmpfs per container)
# gunicorn 27 otherwise creates a control socket in the working directory: EACCES as non-root.
control_socket_disable = True
