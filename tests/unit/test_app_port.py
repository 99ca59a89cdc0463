"""The app's port is one inventory setting, `fargate_app_port`: every role input that names the port (the app
security group, the target group, the task definition and its health check, the service, the image check)
follows it. Rendered by Ansible itself from each role's defaults/main.yml (one local run, no AWS call)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORT_INPUTS = {
    "network": ["network_app_port"],
    "alb": ["alb_target_port"],
    "ecs_taskdefs": ["ecs_taskdefs_container_port", "ecs_taskdefs_health_check_command"],
    "ecs_service": ["ecs_service_container_port"],
    "ecr_image": ["ecr_image_container_port"],
}


def render(tmp_path: Path, extra: dict) -> dict:
    """The port inputs as Ansible renders them from the roles' defaults, with `extra` as play vars."""
    tasks = [
        {"ansible.builtin.include_vars": {"file": str(ROOT / "roles" / role / "defaults" / "main.yml")}}
        for role in PORT_INPUTS
    ]
    names = [name for names in PORT_INPUTS.values() for name in names]
    out = tmp_path / "ports.json"
    content = "{{ {" + ", ".join(f"'{n}': {n}" for n in names) + "} | to_json }}"
    tasks.append({"ansible.builtin.copy": {"content": content, "dest": str(out), "mode": "0600"}})
    playbook = tmp_path / "ports.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars": {"ansible_python_interpreter": sys.executable, **extra},
                    "tasks": tasks,
                }
            ]
        )
    )
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
        cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def test_every_port_input_follows_fargate_app_port(tmp_path):
    ports = render(tmp_path, {"fargate_app_port": 8080})
    assert "http://127.0.0.1:8080/health/" in ports.pop("ecs_taskdefs_health_check_command")[1]
    assert {name: int(value) for name, value in ports.items()} == dict.fromkeys(ports, 8080)


def test_the_default_port_is_8000(tmp_path):
    ports = render(tmp_path, {})
    assert "http://127.0.0.1:8000/health/" in ports.pop("ecs_taskdefs_health_check_command")[1]
    assert {name: int(value) for name, value in ports.items()} == dict.fromkeys(ports, 8000)
