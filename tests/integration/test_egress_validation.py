"""Tasks need a way out (issue 11, item 7): the ecs_service role's validation with the local inventory,
no AWS at all. The refusals themselves (and that they come before any AWS call) are bad-input cases in
test_bad_input.py; here: which combinations pass, so the switch really accepts what it promises."""

from __future__ import annotations

import json
import subprocess

import pytest
from stack import BIN, ROOT

PLAY = """- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: {vars_files}
  tasks:
    - ansible.builtin.include_role:
        name: django_ecs.fargate.ecs_service
        tasks_from: validate.yml
"""


@pytest.mark.parametrize(
    "extra, ok",
    [
        ({}, True),  # public subnets with a public IP (the default)
        ({"ecs_service_subnets": "private"}, False),
        ({"ecs_service_subnets": "private", "ecs_service_nat_gateway": True}, True),
        ({"ecs_service_subnets": "private", "ecs_service_private_egress_confirmed": True}, True),
        ({"ecs_service_assign_public_ip": False}, False),
        ({"ecs_service_assign_public_ip": False, "ecs_service_private_egress_confirmed": True}, True),
        ({"ecs_service_subnets": "private", "ecs_service_assign_public_ip": True}, False),  # no IGW route there
    ],
)
def test_egress_combinations(tmp_path, extra, ok):
    assert run(tmp_path, extra, vars_files=[]) is ok


# The playbooks wire the network role's NAT gateway into the role (playbooks/vars/stack.yml, fargate_shared).
@pytest.mark.parametrize("nat, ok", [(True, True), (False, False)])
def test_the_network_roles_nat_gateway_admits_private_subnets(tmp_path, nat, ok):
    wiring = str(ROOT / "playbooks" / "vars" / "stack.yml")
    assert run(tmp_path, {"ecs_service_subnets": "private", "network_nat_gateway": nat}, vars_files=[wiring]) is ok


def run(tmp_path, extra, vars_files):
    play = tmp_path / "validate.yml"
    play.write_text(PLAY.format(vars_files=json.dumps(vars_files)))
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), str(play), "-e", json.dumps(extra)],
        cwd=ROOT, env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": f"{BIN}:/usr/bin:/bin",
                       "ANSIBLE_NOCOLOR": "1", "HOME": str(tmp_path)},
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        assert "ecs_service_private_egress_confirmed" in output, output[-3000:]
    return proc.returncode == 0
