"""`site.yml --check --diff` on a stack that does not exist yet, on a plain moto server of its own: a preview that
writes nothing, shows the creations of the network, secret, database, repository and load balancer, and ends
with rc 0 and a message where the next steps would need the ARNs this run has not created (it failed in
ecs_taskdefs before). About 1-2 minutes."""

from __future__ import annotations

import os

import pytest
from stack import Moto, _script, run_playbook

PORT = int(os.environ.get("DJANGO_ECS_CHECK_FRESH_MOTO_PORT", "5196"))
REGISTRY = f"127.0.0.1:{PORT + 1}"

pytestmark = [pytest.mark.moto]


@pytest.fixture(scope="module")
def moto():
    server = Moto(f"http://127.0.0.1:{PORT}", runtime=False).start()
    server.reset()
    env = {"DJANGO_ECS_REGISTRY": REGISTRY}
    _script("registry.sh", "start", env=env)  # the image check asks the registry for the tag
    yield server
    _script("registry.sh", "stop", env=env, check=False)
    server.stop()


def test_check_on_a_fresh_stack_previews_the_first_steps_and_writes_nothing(moto):
    run = run_playbook(moto, "site.yml", "--check", "--diff", registry=REGISTRY)
    assert run.rc == 0, run.describe()
    assert run.writes == [], run.writes
    assert run.recap["changed"] > 0, run.describe()  # the creations a real run would make
    for task in ("Create or update the VPC", "Create the secret", "Create or update the ECR repository"):
        section = next(part for part in run.output.split("TASK [")[1:] if task in part.split("]", 1)[0])
        assert "changed: [localhost]" in section, section[:600]
    assert "Check mode on a stack that does not exist yet" in run.output
    assert "TASK [django_ecs.fargate.ecs_taskdefs" not in run.output.split("TASK [End the play]")[1]
