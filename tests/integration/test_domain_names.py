"""HTTPS with the names users browse (issue 11, item 5), no AWS: the alb role's app URL (its own
__alb_app_url, given the DNS name AWS would return) and what the ecs_taskdefs role then puts into Django's
environment. An ACM certificate cannot cover *.elb.amazonaws.com, so with a certificate the URL, ALLOWED_HOSTS and
CSRF_TRUSTED_ORIGINS must carry alb_domain_names. The refusal without them is a bad-input case."""

from __future__ import annotations

import json
import subprocess

import pytest
from stack import BIN, ROOT

DNS = "djangoapp-alb-1234567890.us-east-1.elb.amazonaws.com"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0000-1111"
PLAY = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: django_ecs.fargate.alb
        tasks_from: validate.yml
        public: true
    # The load balancer part of the stack structure, as site.yml's fargate_stack holds it after the alb role.
    - ansible.builtin.set_fact:
        fargate_stack:
          load_balancer:
            dns_name: "{{ __alb_dns_name }}"
            app_url: "{{ __alb_app_url }}"
            domain_names: "{{ alb_domain_names }}"
    - ansible.builtin.include_role:
        name: django_ecs.fargate.ecs_taskdefs
        tasks_from: validate.yml
        public: true
    - ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ {'url': fargate_stack.load_balancer.app_url, 'hosts': ecs_taskdefs_allowed_hosts,
                      'csrf': ecs_taskdefs_csrf_trusted_origins, 'ssl': ecs_taskdefs_secure_ssl_redirect} | to_json }}"
        mode: "0600"
"""


# As a real-AWS inventory renders it: no loopback alb_app_url (the local inventory's would win).
REAL_AWS = {"__alb_dns_name": DNS, "alb_app_url": ""}


def render(tmp_path, **extra):
    play = tmp_path / "render.yml"
    play.write_text(PLAY)
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), str(play), "-e", json.dumps({**REAL_AWS, "out": str(out), **extra})],
        cwd=ROOT, env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": f"{BIN}:/usr/bin:/bin",
                       "ANSIBLE_NOCOLOR": "1", "HOME": str(tmp_path)},
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return json.loads(out.read_text())


def test_with_a_certificate_the_domain_names_are_the_url_hosts_and_origins(tmp_path):
    got = render(tmp_path, alb_certificate_arn=CERT, alb_domain_names=["app.example.com", "www.example.com"])
    assert got["url"] == "https://app.example.com"
    assert got["hosts"] == [DNS, "app.example.com", "www.example.com"]
    assert got["csrf"] == ["https://app.example.com", "https://www.example.com"]
    assert got["ssl"] is True


@pytest.mark.parametrize("extra", [{}, {"alb_domain_names": ["app.example.com"]}], ids=["plain", "names-no-cert"])
def test_without_a_certificate_the_alb_name_stays_the_url(tmp_path, extra):
    got = render(tmp_path, **extra)
    assert got["url"] == f"http://{DNS}"
    assert got["hosts"][0] == DNS
    assert got["csrf"][0] == f"http://{DNS}"
    assert got["ssl"] is False
