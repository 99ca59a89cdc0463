"""Session fixtures that start the real services the tests need, through scripts/*.sh, and stop
what they started (by PID file) when the session ends, also after failures."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


def _script(name: str, *args: str, env: dict | None = None) -> str:
    result = subprocess.run(
        ["bash", str(SCRIPTS / name), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return result.stdout.strip()


def _running(name: str, env: dict | None = None) -> bool:
    try:
        _script(name, "status", env=env)
        return True
    except subprocess.CalledProcessError:
        return False


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL on 127.0.0.1 with its own data folder; yields connection settings."""
    port = os.environ.get("DJANGO_ECS_PG_PORT", "55432")
    env = {"DJANGO_ECS_PG_PORT": port}
    started = not _running("postgres.sh", env)
    _script("postgres.sh", "start", env=env)
    yield {"host": "127.0.0.1", "port": port, "user": "postgres", "password": "postgres", "dbname": "postgres"}
    if started:
        _script("postgres.sh", "stop", env=env)


@pytest.fixture(scope="session")
def docker_engine():
    """A running Docker engine: the one already up, else one started for this session."""
    started = not _running("docker-engine.sh")
    _script("docker-engine.sh", "start")
    yield
    if started and not os.environ.get("DJANGO_ECS_KEEP_DOCKER"):
        _script("docker-engine.sh", "stop")


@pytest.fixture(scope="session")
def moto_url():
    """A plain moto server (no local runtime: fake images, moto's own task states); yields its URL."""
    url = os.environ.get("DJANGO_ECS_TEST_MOTO_URL", "http://127.0.0.1:5065")
    env = {"DJANGO_ECS_MOTO_URL": url, "DJANGO_ECS_LOCAL_RUNTIME": "off"}
    started = not _running("moto.sh", env)
    _script("moto.sh", "start", env=env)
    yield url
    if started:
        _script("moto.sh", "stop", env=env)
