"""The ecr_image role's repository (module django_ecs.fargate.ecr_repository) on the session's deployed stack: a
no-op site.yml reads it with DescribeRepositories + GetLifecyclePolicy and nothing else of ECR, --check --diff writes
nothing, drift is shown under --check and repaired by its own writes, and --check on a repository that does not exist
reports the creation without failing or writing.

The deployed stack is shared with the other modules: every test leaves the repository as site.yml made it.
"""

from __future__ import annotations

import collections
import json

import pytest

pytestmark = [pytest.mark.moto, pytest.mark.docker]

STACK = "djangoapp"
ECR_NO_OP = {"ecr:DescribeRepositories": 1, "ecr:GetLifecyclePolicy": 1}


def ecr_calls(run) -> dict:
    return dict(collections.Counter(f"{c['service']}:{c['action']}" for c in run.calls if c["service"] == "ecr"))


def task_output(run, name: str) -> str:
    """What the run printed under the task ``name`` (after its header line, up to the next task)."""
    after_header = run.output.split(f" : {name}]", 1)[1].split("\n", 1)[1]
    return after_header.split("\nTASK [", 1)[0]


def test_a_second_site_run_changes_nothing_and_reads_the_repository_with_two_calls(deployed_stack):
    run = deployed_stack.site()
    assert run.rc == 0 and run.recap["changed"] == 0 and run.writes == [], run.describe()
    assert ecr_calls(run) == ECR_NO_OP
    print(f"\nno-op site.yml: {len(run.calls)} AWS calls, ECR {ecr_calls(run)}")


def test_check_diff_on_the_deployed_stack_changes_nothing(deployed_stack):
    run = deployed_stack.site("--check", "--diff")
    assert run.rc == 0 and run.recap["changed"] == 0 and run.writes == [], run.describe()
    assert ecr_calls(run) == ECR_NO_OP


def test_drift_is_shown_under_check_and_repaired_by_its_own_writes(deployed_stack):
    ecr = deployed_stack.moto.client("ecr")
    policy = json.loads(ecr.get_lifecycle_policy(repositoryName=STACK)["lifecyclePolicyText"])
    drifted = json.loads(json.dumps(policy))
    drifted["rules"][0]["selection"]["countNumber"] = 3
    ecr.put_lifecycle_policy(repositoryName=STACK, lifecyclePolicyText=json.dumps(drifted))
    ecr.put_image_scanning_configuration(repositoryName=STACK, imageScanningConfiguration={"scanOnPush": False})

    check = deployed_stack.site("--tags", "ecr_image", "--check", "--diff")
    assert check.rc == 0 and check.recap["changed"] == 1 and check.writes == [], check.describe()
    diff = task_output(check, "Create or update the ECR repository")  # the diff, in the callback's YAML
    assert "-                countNumber: 3\n+                countNumber: 10" in diff, check.describe()
    assert "-    scan_on_push: false\n+    scan_on_push: true" in diff, check.describe()

    fix = deployed_stack.site("--tags", "ecr_image")
    assert fix.rc == 0 and fix.recap["changed"] == 1, fix.describe()
    assert sorted(fix.writes) == ["ecr:PutImageScanningConfiguration", "ecr:PutLifecyclePolicy"], fix.writes
    (repository,) = ecr.describe_repositories(repositoryNames=[STACK])["repositories"]
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert json.loads(ecr.get_lifecycle_policy(repositoryName=STACK)["lifecyclePolicyText"]) == policy


def test_check_on_a_repository_that_does_not_exist_reports_it_and_writes_nothing(deployed_stack):
    name = f"{STACK}-not-created"
    run = deployed_stack.site("--tags", "ecr_image", "--check", "-e", f"ecr_image_repository_name={name}")
    assert run.rc == 0 and run.writes == [], run.describe()
    assert task_output(run, "Create or update the ECR repository").startswith("changed: [localhost]"), run.describe()
    names = [r["repositoryName"] for r in deployed_stack.moto.client("ecr").describe_repositories()["repositories"]]
    assert name not in names, names
