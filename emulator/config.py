"""Settings of one emulator process, read once from the environment at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Every Docker object and database the runtime creates carries this label (value: the emulator's port),
# so cleanup finds exactly what one emulator started, also after it was killed.
LABEL = "django-ecs.runtime"


def _switch(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "on", "true", "yes"):
        return True
    if lowered in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"DJANGO_ECS_LOCAL_RUNTIME={value!r}: expected on or off")


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    runtime: bool  # False: plain moto (records calls, runs nothing)
    state_dir: Path  # databases' data and sockets (never secrets)
    docker_url: str
    subnet: str  # the Docker bridge network tasks and databases share (awsvpc stand-in)

    @property
    def label_value(self) -> str:
        return str(self.port)

    @property
    def network_name(self) -> str:
        return f"django-ecs-{self.port}"


def default_subnet(port: int) -> str:
    """One /24 per emulator port, so several emulators (tests, a demo) never share a network."""
    return f"10.213.{port % 250}.0/24"


def default_state_dir(port: int) -> Path:
    # The postgres user must reach the data folder: under a checkout in a private folder it could not.
    return Path(os.environ.get("DJANGO_ECS_RUNTIME_DIR") or f"/var/tmp/django-ecs-runtime-{port}")  # noqa: S108


def load(host: str, port: int, environ: dict | None = None) -> Config:
    env = os.environ if environ is None else environ
    return Config(
        host=host,
        port=port,
        runtime=_switch(env.get("DJANGO_ECS_LOCAL_RUNTIME"), default=True),
        state_dir=Path(env.get("DJANGO_ECS_RUNTIME_DIR") or default_state_dir(port)),
        docker_url=env.get("DOCKER_HOST") or "unix:///var/run/docker.sock",
        subnet=env.get("DJANGO_ECS_RUNTIME_SUBNET") or default_subnet(port),
    )
