"""Helpers and fixtures for the local runtime's tests: an emulator with the runtime on its own port, a registry
holding a small image, and helpers to run a task with boto3 and wait for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the emulator package
from stack import Moto, _script, base_image  # noqa: E402

RUNTIME_URL = os.environ.get("DJANGO_ECS_RUNTIME_TEST_URL", "http://127.0.0.1:5091")
REGISTRY = os.environ.get("DJANGO_ECS_RUNTIME_TEST_REGISTRY", "127.0.0.1:5092")
DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
LABEL = "django-ecs.runtime"


def docker(*args: str) -> str:
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, check=True).stdout.strip()


def labelled_containers(port: str, settle: float = 0.0) -> list[str]:
    """The emulator's containers; with `settle`, wait up to that many seconds for them to be removed (the
    runtime removes a stopped task's containers just after it reports STOPPED, slower on a loaded machine)."""
    deadline = time.monotonic() + settle
    while True:
        found = docker("ps", "-aq", "--filter", f"label={LABEL}={port}").split()
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.5)


@dataclass
class Env:
    moto: Moto
    image: str
    secret_arn: str
    subnet: str
    security_group: str
    cluster: str = "rt"
    log_group: str = "/rt/tasks"

    def client(self, service: str):
        return self.moto.client(service)

    def register(self, family: str, containers: list[dict], **extra) -> str:
        defaults = {
            "image": self.image,
            "essential": True,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": self.log_group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": family}},
        }  # fmt: skip
        response = self.client("ecs").register_task_definition(
            family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{**defaults, **c} for c in containers], **extra,
        )  # fmt: skip
        return response["taskDefinition"]["taskDefinitionArn"]

    def run(self, task_definition: str, **extra) -> dict:
        response = self.client("ecs").run_task(
            cluster=self.cluster, taskDefinition=task_definition, launchType="FARGATE",
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": [self.subnet], "securityGroups": [self.security_group]}
            },
            **extra,
        )  # fmt: skip
        assert not response["failures"], response["failures"]
        return response["tasks"][0]

    def describe(self, task_arn: str) -> dict:
        return self.client("ecs").describe_tasks(cluster=self.cluster, tasks=[task_arn])["tasks"][0]

    def wait(self, task_arn: str, status: str = "STOPPED", timeout: float = 60) -> tuple[dict, list[str]]:
        """Poll until ``status``; returns the task and every lastStatus seen, in order."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.describe(task_arn)
            if not seen or seen[-1] != task["lastStatus"]:
                seen.append(task["lastStatus"])
            if task["lastStatus"] == status:
                return task, seen
            time.sleep(0.2)
        raise AssertionError(f"task {task_arn} not {status} after {timeout}s: {seen}")

    def log_lines(self, family: str, container: str, task_arn: str) -> list[str]:
        stream = f"{family}/{container}/{task_arn.rsplit('/', 1)[-1]}"
        events = self.client("logs").get_log_events(logGroupName=self.log_group, logStreamName=stream)["events"]
        return [e["message"] for e in events]


@pytest.fixture(scope="session")
def runtime_moto(docker_engine):
    """An emulator with the local runtime on its own port (stopped at the end: that removes its containers)."""
    moto = Moto(RUNTIME_URL, runtime=True).start()
    yield moto
    moto.stop()


@pytest.fixture(scope="session")
def runtime_image(docker_engine):
    """The Debian base image, pushed to a registry of its own: what the tasks run."""
    env = {"DJANGO_ECS_REGISTRY": REGISTRY}
    started = _script("registry.sh", "status", env=env, check=False).returncode != 0
    _script("registry.sh", "start", env=env)
    image = f"{REGISTRY}/rt-base:1"
    docker("tag", base_image(), image)
    docker("push", image)
    yield image
    if started:
        _script("registry.sh", "stop", env=env, check=False)


def make_env(moto: Moto, image: str) -> Env:
    """A secret, log group, cluster and network for tasks, on ``moto`` as it is."""
    sm, logs, ec2, ecs = (moto.client(s) for s in ("secretsmanager", "logs", "ec2", "ecs"))
    secret = sm.create_secret(Name="rt/app", SecretString=json.dumps({"password": "pw-from-secret", "port": 5432}))
    logs.create_log_group(logGroupName="/rt/tasks")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="rt", Description="rt", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="rt")
    return Env(moto, image, secret["ARN"], subnet, group)


@pytest.fixture(scope="session")
def rt(runtime_moto, runtime_image):
    """The session's runtime emulator, reset once, with what tasks need (tests use their own families)."""
    runtime_moto.reset()
    return make_env(runtime_moto, runtime_image)
