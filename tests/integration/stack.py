"""Shared helpers and session fixtures for the stack-level integration tests (destroy, bad input, secret hygiene).

Fixtures are imported explicitly by each test module (`from stack import ...`): a non-root conftest may not use
`pytest_plugins`, and tests/conftest.py puts this folder's parent on sys.path, so this folder is added here.

- `Moto`: one moto server started (and stopped, by its PID file) through scripts/moto.sh on a port of its own, with
  its request log (.run/moto-PORT.requests.log: one JSON line per AWS call) to count calls and find writes.
- `run_playbook`: ansible-playbook from the repository root against a given moto server; returns rc, output,
  duration, the recap and the AWS calls it made.
- `stack_moto` / `deployed_stack` (session): a moto server and registry on dedicated ports with the stack deployed
  once by site.yml (at -vvv, so the secret hygiene test can read that output too), shared by the test modules.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_DIR = ROOT / ".run"
BIN = Path(sys.executable).parent
REGION = "us-east-1"
STACK = "djangoapp"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": REGION}

# Dedicated ports, so these tests never share an emulator with molecule, other test modules or a demo.
STACK_MOTO_URL = os.environ.get("DJANGO_ECS_STACK_MOTO_URL", "http://127.0.0.1:5084")
STACK_REGISTRY = os.environ.get("DJANGO_ECS_STACK_REGISTRY", "127.0.0.1:5087")
# The bad-input runs use their own servers (reset before every run): 5085, 5086, ...
BAD_INPUT_MOTO_BASE_PORT = int(os.environ.get("DJANGO_ECS_BAD_INPUT_MOTO_PORT", "5085"))

# Every AWS API action that changes something starts with one of these verbs.
WRITE_VERBS = (
    "Create", "Put", "Register", "Update", "Delete", "Deregister", "Modify", "Attach", "Detach",
    "Authorize", "Revoke", "Tag", "Untag", "Run", "Start", "Stop", "Set", "Add", "Remove",
    "Associate", "Disassociate", "Replace", "Restore", "Reboot", "Enable", "Disable", "Upload",
    "Complete", "Initiate", "Batch", "Rotate", "Cancel", "Import", "Apply", "Allocate", "Release",
    "POST ", "PUT ", "DELETE ", "PATCH ",
)  # fmt: skip
READ_ONLY = ("BatchGetImage", "BatchCheckLayerAvailability", "BatchGetSecretValue")


def is_write(action: str) -> bool:
    return action.startswith(WRITE_VERBS) and action not in READ_ONLY


def _script(name: str, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args],
        cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=check,
    )  # fmt: skip


class Moto:
    """A moto server on its own port, started and stopped through scripts/moto.sh (by its PID file)."""

    def __init__(self, url: str, runtime: bool = True) -> None:
        """``runtime``: tasks and databases run for real (emulator/); False: plain moto, for tests that
        only look at API calls and must be fast."""
        self.url = url.rstrip("/")
        self.port = self.url.rsplit(":", 1)[-1]
        self.request_log = RUN_DIR / f"moto-{self.port}.requests.log"
        self.pid_file = RUN_DIR / f"moto-{self.port}.pid"
        self.env = {
            "DJANGO_ECS_MOTO_URL": self.url,
            "MOTO_SERVER": str(BIN / "moto_server"),
            "DJANGO_ECS_LOCAL_RUNTIME": "on" if runtime else "off",
        }
        self.started = False

    def up(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.url}/moto-api/", timeout=5).read()  # noqa: S310 (loopback)
            return True
        except OSError:
            return False

    def start(self) -> Moto:
        # A server already on the port may be stale (another runtime setting, a log from an older run): replace it.
        if self.up():
            _script("moto.sh", "stop", env=self.env, check=False)
        _script("moto.sh", "start", env=self.env)
        self.started = True
        return self

    def stop(self) -> None:
        if self.started:
            _script("moto.sh", "stop", env=self.env, check=False)
            self.started = False

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310 (loopback)
        urllib.request.urlopen(request, timeout=30).read()  # noqa: S310 (loopback)

    def mark(self) -> int:
        """The request log's length now: pass it to `calls_since`."""
        return len(self.read_log())

    def read_log(self) -> list[str]:
        # A missing log would make every "no writes" assertion pass having checked nothing.
        assert self.request_log.exists(), f"the emulator's request log {self.request_log} is missing"
        return self.request_log.read_text().splitlines()

    def calls_since(self, mark: int) -> list[dict]:
        return [json.loads(line) for line in self.read_log()[mark:] if line.strip()]

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, **CREDS)


@dataclass
class Run:
    args: list[str]
    rc: int
    output: str
    seconds: float
    calls: list[dict] = field(default_factory=list)

    @property
    def recap(self) -> dict[str, int]:
        match = re.search(r"localhost\s*:\s*(.*)", self.output.rsplit("PLAY RECAP", 1)[-1])
        assert match, self.output[-3000:]
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}

    @property
    def writes(self) -> list[str]:
        return [f"{c['service']}:{c['action']}" for c in self.calls if is_write(c["action"])]

    @property
    def failure(self) -> str:
        """The part of the output that explains the failure (from the first failed task to the recap)."""
        match = re.search(r"^(fatal:|failed:|\[ERROR\]|ERROR!)", self.output, re.MULTILINE)
        text = self.output[match.start() :] if match else self.output
        return text.split("PLAY RECAP", 1)[0]

    def describe(self) -> str:
        return f"ansible-playbook {' '.join(self.args)} -> rc={self.rc} in {self.seconds:.1f}s\n{self.output[-4000:]}"


def ansible_env(moto: Moto, registry: str = STACK_REGISTRY, **extra: str) -> dict:
    return {
        **os.environ,
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "DJANGO_ECS_MOTO_URL": moto.url,
        "DJANGO_ECS_REGISTRY": registry,
        "DJANGO_ECS_LOCAL_RUNTIME": moto.env[
            "DJANGO_ECS_LOCAL_RUNTIME"
        ],  # plain moto: the local inventory waits for no rollout
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        **extra,
    }


def run_playbook(moto: Moto, playbook: str, *args: str, registry: str = STACK_REGISTRY, timeout: int = 1200) -> Run:
    """ansible-playbook PLAYBOOK ARGS from the repository root (its ansible.cfg and local inventory)."""
    mark = moto.mark()
    started = time.monotonic()
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), playbook, *args],
        cwd=ROOT, env=ansible_env(moto, registry), capture_output=True, text=True, check=False, timeout=timeout,
    )  # fmt: skip
    seconds = time.monotonic() - started
    return Run([playbook, *args], proc.returncode, proc.stdout + proc.stderr, seconds, moto.calls_since(mark))


def base_image() -> str:
    """The base image of the app build: $DJANGO_ECS_BASE_IMAGE, else the one scripts/base-image.sh makes."""
    return os.environ.get("DJANGO_ECS_BASE_IMAGE") or _script("base-image.sh").stdout.strip()


# ---------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def stack_moto():
    """The session's moto server for the deployed stack (dedicated port); stopped at the end if we started it."""
    moto = Moto(STACK_MOTO_URL).start()
    moto.reset()
    env = {"DJANGO_ECS_REGISTRY": STACK_REGISTRY}
    registry_started = _script("registry.sh", "status", env=env, check=False).returncode != 0
    _script("registry.sh", "start", env=env)  # the playbooks start nothing: the harness does, as `make up` would
    yield moto
    moto.stop()
    if registry_started:
        _script("registry.sh", "stop", env=env, check=False)


@dataclass
class Deployed:
    moto: Moto
    first: Run  # the first site.yml (at -vvv)
    secrets: list[dict] = field(default_factory=list)  # every {password, django_secret_key, ...} seen so far

    def secret_values(self) -> dict:
        """The stack secret's current JSON, read through the API (never printed)."""
        client = self.moto.client("secretsmanager")
        return json.loads(client.get_secret_value(SecretId=f"{STACK}/app")["SecretString"])

    def remember_secrets(self) -> None:
        values = self.secret_values()
        if values not in self.secrets:
            self.secrets.append(values)

    def site(self, *args: str) -> Run:
        return run_playbook(self.moto, "site.yml", *args)


@pytest.fixture(scope="session")
def deployed_stack(stack_moto, docker_engine):
    """site.yml once on the session's emulator (-vvv, output kept for the hygiene checks)."""
    os.environ.setdefault("DJANGO_ECS_BASE_IMAGE", base_image())
    first = run_playbook(stack_moto, "site.yml", "-vvv")
    assert first.rc == 0, first.describe()
    deployed = Deployed(stack_moto, first)
    deployed.remember_secrets()
    return deployed
