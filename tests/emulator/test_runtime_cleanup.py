"""Nothing the runtime starts outlives it: a moto reset, a server stop and even a SIGKILL (then
scripts/moto.sh stop) leave no labelled container, network or database behind."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from runtime_env import docker, labelled_containers, make_env
from stack import Moto

pytestmark = [pytest.mark.docker, pytest.mark.moto]

URL = "http://127.0.0.1:5093"


def _gone(port: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while labelled_containers(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    return labelled_containers(port)


def _networks(port: str) -> list[str]:
    return docker("network", "ls", "-q", "--filter", f"label=django-ecs.runtime={port}").split()


def _status(moto: Moto) -> dict:
    with urllib.request.urlopen(f"{moto.url}/_local_runtime/status", timeout=5) as response:  # noqa: S310 (loopback)
        return json.load(response)


@pytest.fixture
def own_moto(docker_engine):
    moto = Moto(URL, runtime=True).start()
    yield moto
    moto.started = True
    moto.stop()


def _start_sleeper_and_db(moto: Moto, image: str) -> None:
    env = make_env(moto, image)
    arn = env.register("sleeper", [{"name": "main", "command": ["sleep", "600"]}])
    task = env.run(arn)
    env.wait(task["taskArn"], "RUNNING")
    moto.client("rds").create_db_instance(
        DBInstanceIdentifier="cleanup-db", Engine="postgres", DBInstanceClass="db.t4g.micro", AllocatedStorage=20,
        MasterUsername="app", MasterUserPassword="a-password-1", DBName="app",
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (
            moto.client("rds").describe_db_instances(DBInstanceIdentifier="cleanup-db")["DBInstances"][0][
                "DBInstanceStatus"
            ]
            == "available"
        ):
            break
        time.sleep(0.5)
    assert labelled_containers(moto.port)


def _db_folder(moto: Moto) -> Path:
    return Path(_status(moto)["databases"][0]["socket_dir"]).parent


def test_a_reset_removes_containers_and_databases(own_moto, runtime_image):
    _start_sleeper_and_db(own_moto, runtime_image)
    folder = _db_folder(own_moto)
    assert (folder / "data" / "postmaster.pid").exists()
    own_moto.reset()
    assert not _gone(own_moto.port)
    assert not folder.exists()
    assert _status(own_moto)["databases"] == []


def test_stopping_the_emulator_removes_everything(own_moto, runtime_image):
    _start_sleeper_and_db(own_moto, runtime_image)
    folder = _db_folder(own_moto)
    own_moto.stop()  # scripts/moto.sh stop: SIGTERM, the server cleans up
    assert not _gone(own_moto.port, timeout=1)
    assert not _networks(own_moto.port)
    assert not folder.exists()


def test_after_a_sigkill_moto_sh_stop_removes_the_leftovers(own_moto, runtime_image):
    _start_sleeper_and_db(own_moto, runtime_image)
    folder = _db_folder(own_moto)
    os.kill(int(own_moto.pid_file.read_text()), signal.SIGKILL)
    time.sleep(0.5)
    assert labelled_containers(own_moto.port)  # the kill left them: the cleanup must find them by label
    own_moto.stop()
    assert not _gone(own_moto.port, timeout=1)
    assert not _networks(own_moto.port)
    assert not folder.exists()
