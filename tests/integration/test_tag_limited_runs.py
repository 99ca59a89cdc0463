"""Tag-limited runs of site.yml on the local runtime (issue 11, item 8).

`include_tasks` with `tags:` tags only the include itself: the migration tasks inside
playbooks/tasks/site_migrate.yml ran under a full site.yml but never under `--tags`. These tests run the
documented tag-limited commands against the session's deployed stack and check what really happened: the
migration task ran in the app image against the runtime's PostgreSQL, and the record on the cluster moved.
"""

from __future__ import annotations

import re
import uuid

import pytest
from stack import STACK

pytestmark = [pytest.mark.moto, pytest.mark.docker]


def _actions(run) -> list[str]:
    return [c["action"] for c in run.calls]


def _migrated_tag(moto) -> str:
    cluster = moto.client("ecs").describe_clusters(clusters=[STACK], include=["TAGS"])["clusters"][0]
    return {t["key"]: t["value"] for t in cluster.get("tags", [])}["fargate:migrated"]


def _latest_migrate(moto) -> str:
    latest = moto.client("ecs").describe_task_definition(taskDefinition=f"{STACK}-migrate")["taskDefinition"]
    return f"{STACK}-migrate:{latest['revision']}"


def _task_ids(run) -> list[str]:
    return re.findall(r"task ([0-9a-f]{8}-[0-9a-f-]{27}) \(", run.output)


def test_site_tags_migrate_really_runs_the_migration(deployed_stack):
    moto = deployed_stack.moto
    run = deployed_stack.site("--tags", "migrate")
    assert run.rc == 0, run.describe()
    actions = _actions(run)
    assert actions.count("RunTask") == 1, actions
    # Only the migration: no new definition, no redeploy.
    assert "RegisterTaskDefinition" not in actions and "UpdateService" not in actions, actions
    assert "CreateService" not in actions, actions
    # The real task ran to its end in the app image: Django's own output, exit code 0.
    assert "No migrations to apply." in run.output, run.describe()
    task_ids = _task_ids(run)
    assert len(task_ids) == 1, run.describe()
    task = moto.client("ecs").describe_tasks(cluster=STACK, tasks=task_ids)["tasks"][0]
    assert task["lastStatus"] == "STOPPED", task
    assert [c.get("exitCode") for c in task["containers"] if c["name"] == "migrate"] == [0], task
    # The record is written again (after the task), naming the latest definition.
    assert "TagResource" in actions[actions.index("RunTask") :], actions
    assert _migrated_tag(moto) == _latest_migrate(moto)


def test_release_by_tags_runs_the_new_migration_once_before_the_rollout(deployed_stack):
    """`--tags ecs_taskdefs` (new definitions) then `--tags ecs_service` (roll out): the new migration
    definition runs exactly once, and before the service moves to the new code."""
    moto = deployed_stack.moto
    marker = ["-e", f'{{"ecs_taskdefs_environment": {{"RELEASE_MARK": "{uuid.uuid4().hex}"}}}}']
    before = _latest_migrate(moto)

    taskdefs = deployed_stack.site("--tags", "ecs_taskdefs", *marker)
    assert taskdefs.rc == 0, taskdefs.describe()
    new = _latest_migrate(moto)
    assert new != before and "RegisterTaskDefinition" in _actions(taskdefs)

    service = deployed_stack.site("--tags", "ecs_service", *marker)
    assert service.rc == 0, service.describe()

    actions = _actions(taskdefs) + _actions(service)
    assert actions.count("RunTask") == 1, actions
    assert "UpdateService" in actions, actions
    assert actions.index("RunTask") < actions.index("UpdateService"), actions
    # The one task ran the new migration definition, to success, and the record names it.
    runs = [r for r in (taskdefs, service) if "RunTask" in _actions(r)]
    assert f"({new}), exit code 0" in runs[0].output, runs[0].describe()
    assert _migrated_tag(moto) == new
    # The service now runs the new web definition.
    svc = moto.client("ecs").describe_services(cluster=STACK, services=[f"{STACK}-web"])["services"][0]
    web = moto.client("ecs").describe_task_definition(taskDefinition=f"{STACK}-web")["taskDefinition"]
    assert svc["taskDefinition"] == web["taskDefinitionArn"], svc["taskDefinition"]
