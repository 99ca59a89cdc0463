"""django/gunicorn.conf.py read by gunicorn itself, with the environment a task would give it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

DJANGO_DIR = Path(__file__).resolve().parents[2] / "django"
# gunicorn's own config loader: the values it would run with.
SHOW = (
    "import sys; from gunicorn.app.wsgiapp import WSGIApplication; "
    "sys.argv = ['gunicorn', '--config', 'gunicorn.conf.py', 'config.wsgi']; c = WSGIApplication().cfg; "
    "print(c.bind, c.workers, c.threads, c.timeout, c.keepalive, c.control_socket_disable, c.accesslog, "
    "c.worker_class_str)"
)
GUNICORN_VARS = ("GUNICORN_BIND", "PORT", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT")


def gunicorn_config(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in GUNICORN_VARS}
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=DJANGO_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_defaults():
    bind, workers, threads, timeout, keepalive, no_socket, accesslog, worker = gunicorn_config()
    assert bind == "['0.0.0.0:8000']"
    assert 2 <= int(workers) <= 4
    assert (threads, timeout, keepalive, no_socket, accesslog, worker) == ("2", "30", "75", "True", "-", "gthread")


@pytest.mark.parametrize(
    ("env", "bind"),
    [
        ({"PORT": "9000"}, "['0.0.0.0:9000']"),
        ({"GUNICORN_BIND": "127.0.0.1:8123", "PORT": "9000"}, "['127.0.0.1:8123']"),
    ],
)
def test_bind_from_the_environment(env, bind):
    assert gunicorn_config(**env)[0] == bind


def test_workers_threads_timeout_from_the_environment():
    values = gunicorn_config(GUNICORN_WORKERS="3", GUNICORN_THREADS="1", GUNICORN_TIMEOUT="60")
    assert values[1:4] == ["3", "1", "60"]
    assert values[7] == "sync"  # one thread: the plain sync worker
