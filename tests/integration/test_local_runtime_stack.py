"""The whole stack on the local runtime: migrations really run in the app image against the real
PostgreSQL standing in for RDS, so a broken migration fails site.yml and migrate.yml exactly as it
would on AWS, and a migration stopped by its timeout is stopped for real."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from stack import ROOT, STACK, run_playbook

pytestmark = [pytest.mark.moto, pytest.mark.docker]

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
BOOM = """from django.db import migrations


def boom(apps, schema_editor):
    raise RuntimeError("boom from a test migration")


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [migrations.RunPython(boom, migrations.RunPython.noop)]
"""


def _running_containers(port: str, container: str) -> list[str]:
    out = subprocess.run(
        [DOCKER, "ps", "-q", "--filter", f"label=django-ecs.runtime={port}",
         "--filter", f"label=django-ecs.container={container}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.split()


def _actions(run) -> list[str]:
    return [c["action"] for c in run.calls]


def test_the_first_deploy_ran_the_real_migration_on_the_runtime_database(deployed_stack):
    output = deployed_stack.first.output
    assert "Applying notes.0001_initial... OK" in output
    assert re.search(
        r"Database runs as:\s+PostgreSQL \d+\.\d+ on this machine, available at 10\.213\.\d+\.1:5432", output
    )


@pytest.fixture
def broken_app(tmp_path):
    """A copy of the app with an extra migration that raises."""
    copy = tmp_path / "django"
    shutil.copytree(ROOT / "django", copy, ignore=shutil.ignore_patterns("staticfiles", "__pycache__", "*.pyc"))
    (copy / "notes" / "migrations" / "0002_boom.py").write_text(BOOM)
    return copy


def test_a_migration_that_raises_fails_site_and_migrate_then_the_fixed_release_succeeds(deployed_stack, broken_app):
    moto = deployed_stack.moto
    broken = deployed_stack.site("-e", f"ecr_image_build_context={broken_app}")
    assert broken.rc != 0, broken.describe()
    assert "exit code 1" in broken.output
    assert "RuntimeError: boom from a test migration" in broken.output  # the traceback's last lines
    actions = _actions(broken)
    assert "RunTask" in actions
    after_run = actions[actions.index("RunTask") :]
    assert "UpdateService" not in after_run and "CreateService" not in after_run  # the service stays on the old code
    assert "TagResource" not in after_run  # no fargate:migrated record for a failed migration

    again = run_playbook(moto, "migrate.yml")
    assert again.rc != 0 and "exit code 1" in again.output
    assert "RuntimeError: boom from a test migration" in again.output

    fixed = deployed_stack.site()
    assert fixed.rc == 0, fixed.describe()
    assert "Migration:          success" in fixed.output
    assert "UpdateService" in _actions(fixed)
    cluster = moto.client("ecs").describe_clusters(clusters=[STACK], include=["TAGS"])["clusters"][0]
    tags = {t["key"]: t["value"] for t in cluster.get("tags", [])}
    latest = moto.client("ecs").describe_task_definition(taskDefinition=f"{STACK}-migrate")["taskDefinition"]
    assert tags["fargate:migrated"] == f"{STACK}-migrate:{latest['revision']}"


def test_a_migration_stopped_by_its_timeout_is_stopped_for_real(deployed_stack):
    moto = deployed_stack.moto
    run = run_playbook(
        moto, "migrate.yml", "-e", "ecs_service_migrate_timeout=5",
        "-e", '{"ecs_service_migrate_command": ["python", "-c", "import time; time.sleep(600)"]}',
    )  # fmt: skip
    assert run.rc != 0, run.describe()
    assert "StopTask" in _actions(run)
    task_id = re.search(r"task ([0-9a-f]{8}-[0-9a-f-]{27})", run.output).group(1)
    ecs = moto.client("ecs")
    deadline = time.monotonic() + 60  # SIGTERM, then SIGKILL after the 30 s stopTimeout at most
    while time.monotonic() < deadline:
        task = ecs.describe_tasks(cluster=STACK, tasks=[task_id])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            break
        time.sleep(0.5)
    assert task["lastStatus"] == "STOPPED" and task["stopCode"] == "UserInitiated", task
    assert not _running_containers(moto.port, "migrate")
