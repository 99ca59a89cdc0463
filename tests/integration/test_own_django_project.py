"""Your own Django project (docs/own-django-project.md): a project made here by `django-admin startproject`, changed
by exactly the blocks the document shows (read from it), deploys through site.yml on the local runtime and its
migrations run in its own image against the emulator's PostgreSQL. The same project with the health view left out,
or serving another port, stops in ecr_image before the push with a message naming the fix.

It runs on an emulator of its own (DJANGO_ECS_OWN_APP_MOTO_URL, default port 5088), so the second stack never meets
the session's stack (whose destroy test counts containers and databases), and shares the session's registry."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from stack import BIN, ROOT, STACK_REGISTRY, Moto, _script, base_image, run_playbook

pytestmark = [pytest.mark.moto, pytest.mark.docker]

OWN_APP_MOTO_URL = os.environ.get("DJANGO_ECS_OWN_APP_MOTO_URL", "http://127.0.0.1:5088")
DOC = ROOT / "docs" / "own-django-project.md"
SNIPPET = re.compile(r"<!-- contract: (append|create) (\S+) -->\n```\w*\n(.*?)```", re.DOTALL)


def contract_snippets() -> list[tuple[str, str, str]]:
    """(action, path, text) of every block the document marks as a change to the startproject project."""
    found = SNIPPET.findall(DOC.read_text())
    assert {path for _a, path, _t in found} >= {"mysite/settings.py", "mysite/health.py", "Dockerfile"}, found
    return found


def make_project(where: Path) -> Path:
    """`django-admin startproject mysite` plus the documented changes."""
    where.mkdir(parents=True)
    subprocess.run([str(BIN / "django-admin"), "startproject", "mysite", str(where)], check=True)
    for action, path, text in contract_snippets():
        target = where / path
        if action == "append":
            target.write_text(target.read_text() + "\n" + text)
        else:
            target.write_text(text)
    return where


@pytest.fixture(scope="module")
def own_moto(docker_engine):
    os.environ.setdefault("DJANGO_ECS_BASE_IMAGE", base_image())
    moto = Moto(OWN_APP_MOTO_URL).start()
    moto.reset()
    env = {"DJANGO_ECS_REGISTRY": STACK_REGISTRY}
    registry_started = _script("registry.sh", "status", env=env, check=False).returncode != 0
    _script("registry.sh", "start", env=env)
    yield moto
    moto.stop()  # removes the task containers and the databases it started
    if registry_started:
        _script("registry.sh", "stop", env=env, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("own") / "mysite-project")


def test_a_startproject_project_with_the_documented_changes_deploys_and_migrates(own_moto, project):
    context = f"ecr_image_build_context={project}"
    run = run_playbook(own_moto, "site.yml", "-e", "fargate_stack_name=mysite", "-e", context)
    assert run.rc == 0, run.describe()
    # Its own migrations (Django's contrib apps; the bundled sample's notes app is not in this image) ran for real.
    assert "Applying auth.0001_initial... OK" in run.output, run.describe()
    assert "Applying sessions.0001_initial... OK" in run.output
    assert "notes.0001_initial" not in run.output
    assert "Migration:          success" in run.output
    ecs = own_moto.client("ecs")
    web = ecs.describe_task_definition(taskDefinition="mysite-web")["taskDefinition"]["containerDefinitions"][0]
    assert web["image"].startswith(f"{STACK_REGISTRY}/mysite:"), web["image"]
    assert web["portMappings"][0]["containerPort"] == 8000
    assert {s["name"] for s in web["secrets"]} == {"DB_NAME", "DB_USER", "DB_PASSWORD", "DJANGO_SECRET_KEY"}
    assert ecs.describe_services(cluster="mysite", services=["mysite-web"])["services"][0]["status"] == "ACTIVE"


def _variant(project: Path, tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the project with one documented change undone or altered."""
    copy = tmp_path / "variant"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / name
    assert old in path.read_text(), (name, old)
    path.write_text(path.read_text().replace(old, new))
    return copy


def _image_only(moto: Moto, stack: str, context: Path):
    return run_playbook(moto, "site.yml", "--tags", "ecr_image", "-e", f"fargate_stack_name={stack}",
                        "-e", f"ecr_image_build_context={context}")  # fmt: skip


def test_without_the_health_view_the_image_stops_before_the_push(own_moto, project, tmp_path):
    context = _variant(project, tmp_path, "mysite/settings.py", 'MIDDLEWARE.insert(0, "mysite.health.', "# ")
    run = _image_only(own_moto, "nohealth", context)
    assert run.rc != 0, run.describe()
    assert "does not meet the app contract" in run.failure, run.describe()
    assert "GET /health/ with the Host header 10.0.0.10:8000" in run.failure
    assert "answered 400, not 200" in run.failure  # Django's host check refused the task's IP
    assert "ecr_image : Push the image" not in run.output  # a broken image is never pushed


def test_an_app_on_another_port_stops_before_the_push(own_moto, project, tmp_path):
    context = _variant(project, tmp_path, "Dockerfile", "8000", "8080")
    run = _image_only(own_moto, "otherport", context)
    assert run.rc != 0, run.describe()
    expected = "exposes 8080/tcp, but the tasks and the load balancer send traffic to port 8000"
    assert expected in run.failure, run.describe()
    assert "or set fargate_app_port in the inventory" in run.failure
