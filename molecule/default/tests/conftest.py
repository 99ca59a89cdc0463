"""Fixtures for the stack tests: AWS clients on the emulator that molecule deployed to, the request
log of that emulator, and a runner for site.yml that returns its recap and the calls it made."""

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[3]
MOTO_URL = os.environ.get("DJANGO_ECS_MOTO_URL", "http://127.0.0.1:5075")
PORT = MOTO_URL.rsplit(":", 1)[-1].strip("/")
REQUEST_LOG = ROOT / ".run" / f"moto-{PORT}.requests.log"
STACK = "djangoapp"
REGION = "us-east-1"

# Every API action that changes something starts with one of these verbs.
WRITE_VERBS = (
    "Create", "Put", "Register", "Update", "Delete", "Deregister", "Modify", "Attach", "Detach",
    "Authorize", "Revoke", "Tag", "Untag", "Run", "Start", "Stop", "Set", "Add", "Remove",
    "Associate", "Disassociate", "Replace", "Restore", "Reboot", "Enable", "Disable", "Upload",
    "Complete", "Initiate", "Batch", "Rotate", "Cancel", "Import", "Apply",
)  # fmt: skip
READ_ONLY_BATCH = ("BatchGetImage", "BatchCheckLayerAvailability")


def is_write(action: str) -> bool:
    return action.startswith(WRITE_VERBS) and action not in READ_ONLY_BATCH


def read_requests() -> list[dict]:
    return [json.loads(line) for line in REQUEST_LOG.read_text().splitlines() if line.strip()]


@dataclass
class Run:
    rc: int
    output: str
    seconds: float
    calls: list[dict] = field(default_factory=list)

    @property
    def recap(self) -> dict[str, int]:
        match = re.search(r"localhost\s*:\s*(.*)", self.output.split("PLAY RECAP", 1)[-1])
        assert match, self.output[-3000:]
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}

    @property
    def writes(self) -> list[str]:
        return [c["action"] for c in self.calls if is_write(c["action"])]


def run_playbook(playbook: str, *args: str) -> Run:
    before = len(read_requests())
    # As a user runs it: the repository's ansible.cfg and local inventory, not molecule's settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_NOCOLOR="1", DJANGO_ECS_MOTO_URL=MOTO_URL)
    started = time.monotonic()
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), playbook, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    return Run(proc.returncode, proc.stdout + proc.stderr, seconds, read_requests()[before:])


@pytest.fixture(scope="session")
def aws():
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=MOTO_URL)


@pytest.fixture(scope="session")
def site():
    return lambda *args: run_playbook("site.yml", *args)
