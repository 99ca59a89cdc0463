"""Runs of site.yml against the deployed stack: request order of the first deploy, a no-op re-run,
check mode, and change tests. Module order matters: the change tests go last."""

import collections
import json

import pytest

from conftest import STACK, read_requests


def first(calls, action):
    return next(i for i, c in enumerate(calls) if c["action"] == action)


def test_first_deploy_starts_slow_resources_early_and_waits_only_where_needed():
    """RDS and the ALB are created before the work that does not need them (ECR, image, IAM);
    the DB endpoint is read back only after that work."""
    calls = read_requests()
    create_db = first(calls, "CreateDBInstance")
    assert create_db < first(calls, "CreateRepository")
    assert first(calls, "CreateLoadBalancer") < first(calls, "RegisterTaskDefinition")
    # Between starting the DB and recording its endpoint, the image and the ALB were done.
    record_endpoint = min(
        first(calls, a) for a in ("PutSecretValue", "UpdateSecret") if any(c["action"] == a for c in calls)
    )
    assert create_db < first(calls, "CreateRepository") < first(calls, "CreateLoadBalancer") < record_endpoint
    assert record_endpoint < first(calls, "RegisterTaskDefinition")
    # The migration ran (RunTask) after the task definitions and before the service was created.
    assert first(calls, "RegisterTaskDefinition") < first(calls, "RunTask") < first(calls, "CreateService")


def test_noop_rerun_changes_nothing_and_stays_cheap(site):
    run = site()
    assert run.rc == 0, run.output[-4000:]
    assert run.recap["changed"] == 0, run.output[-4000:]
    assert run.writes == []
    print(f"\nno-op re-run: {run.seconds:.1f} s, {len(run.calls)} AWS API calls")
    # Issue 12's budget: one describe per resource. Twice only where there are two of a kind (the web and migration
    # definitions; the execution and task roles).
    actions = collections.Counter(c["action"] for c in run.calls)
    assert len(run.calls) <= 25, sorted(actions.items())
    twice = {"DescribeTaskDefinition", "GetRole", "ListAttachedRolePolicies"}
    assert {a: n for a, n in actions.items() if n > (2 if a in twice else 1)} == {}, sorted(actions.items())


def test_check_diff_changes_nothing_and_writes_nothing(site):
    run = site("--check", "--diff")
    assert run.rc == 0, run.output[-4000:]
    assert run.recap["changed"] == 0, run.output[-4000:]
    assert run.writes == []


def test_summary_names_url_database_image_revisions_and_service(site):
    run = site("--tags", "never")  # only the always-tagged steps: preflight, emulator, summary
    assert run.rc == 0, run.output[-3000:]
    run = site()
    for label in ("App URL:", "Database endpoint:", "Image:", "Web task def:", "Migration task def:", "Service:"):
        line = next(line for line in run.output.splitlines() if label in line)
        assert "not looked up" not in line, line
    assert f"{STACK}-web:" in run.output and f"{STACK}-migrate:" in run.output


@pytest.mark.parametrize("tag", ["network", "rds_secret", "ecr_image", "alb", "ecs_taskdefs", "ecs_service"])
def test_each_tag_runs_alone_on_the_existing_stack(site, tag):
    run = site("--tags", tag)
    assert run.rc == 0, run.output[-4000:]
    assert run.recap["changed"] == 0, run.output[-4000:]


def revisions(aws):
    ecs = aws("ecs")
    return {
        kind: ecs.describe_task_definition(taskDefinition=f"{STACK}-{kind}")["taskDefinition"]["revision"]
        for kind in ("web", "migrate")
    }


def service_taskdef(aws):
    return aws("ecs").describe_services(cluster=STACK, services=[f"{STACK}-web"])["services"][0]["taskDefinition"]


def test_changed_environment_value_gives_one_new_revision_of_each_and_a_service_update(aws, site):
    before = revisions(aws)
    run = site("-e", json.dumps({"ecs_taskdefs_environment": {"FEATURE_FLAG": "on"}}))
    assert run.rc == 0, run.output[-4000:]
    after = revisions(aws)
    assert after == {"web": before["web"] + 1, "migrate": before["migrate"] + 1}
    assert service_taskdef(aws).endswith(f"{STACK}-web:{after['web']}")
    assert run.writes.count("RegisterTaskDefinition") == 2 and "UpdateService" in run.writes
    assert "RunTask" in run.writes  # the migration definition changed: migrate before the rollout
    # The same values again: nothing new.
    again = site("-e", json.dumps({"ecs_taskdefs_environment": {"FEATURE_FLAG": "on"}}))
    assert again.rc == 0 and again.recap["changed"] == 0 and revisions(aws) == after, again.output[-3000:]


def test_changed_cpu_gives_a_new_web_revision_only(aws, site):
    extra = json.dumps(
        {
            "ecs_taskdefs_environment": {"FEATURE_FLAG": "on"},
            "ecs_taskdefs_cpu": 512,
            "ecs_taskdefs_memory": 1024,
            "ecs_taskdefs_migrate_cpu": 256,  # the migration keeps its size: only the web definition changes
            "ecs_taskdefs_migrate_memory": 512,
        }
    )
    before = revisions(aws)
    run = site("-e", extra)
    assert run.rc == 0, run.output[-4000:]
    after = revisions(aws)
    assert after == {"web": before["web"] + 1, "migrate": before["migrate"]}
    assert service_taskdef(aws).endswith(f"{STACK}-web:{after['web']}")
    assert run.writes.count("RegisterTaskDefinition") == 1 and "UpdateService" in run.writes
    assert "RunTask" not in run.writes  # migration definition unchanged: no migration


def test_changed_image_tag_gives_one_new_revision_of_each_and_a_service_update(aws, site):
    extra = {
        "ecs_taskdefs_environment": {"FEATURE_FLAG": "on"},
        "ecs_taskdefs_cpu": 512,
        "ecs_taskdefs_memory": 1024,
        "ecs_taskdefs_migrate_cpu": 256,
        "ecs_taskdefs_migrate_memory": 512,
        "ecr_image_tag": "release-2",
    }
    before = revisions(aws)
    run = site("-e", json.dumps(extra))
    assert run.rc == 0, run.output[-4000:]
    after = revisions(aws)
    assert after == {"web": before["web"] + 1, "migrate": before["migrate"] + 1}
    image = aws("ecs").describe_task_definition(taskDefinition=f"{STACK}-web")["taskDefinition"]
    assert image["containerDefinitions"][0]["image"].endswith(":release-2")
    assert service_taskdef(aws).endswith(f"{STACK}-web:{after['web']}")
    assert "RunTask" in run.writes  # new image: migrate before the rollout
    again = site("-e", json.dumps(extra))
    assert again.rc == 0 and again.recap["changed"] == 0 and revisions(aws) == after, again.output[-3000:]
