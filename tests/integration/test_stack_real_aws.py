"""The stack on the local runtime, on the terms of real AWS (issue 11): tag-limited runs really migrate
(item 8), simultaneous migrations (item 9, a documented limit), the execution role's secret permissions
read back from IAM (item 4), the image's platform (item 6). This module runs after the others that share
the session stack: its runs leave the stack with other definitions (new environment, extra secrets).

Item 8, tag-limited runs of site.yml.

`include_tasks` with `tags:` tags only the include itself: the migration tasks inside the former
playbooks/tasks/site_migrate.yml ran under a full site.yml but never under `--tags` (site.yml now imports the
ecs_service role's migrate entry point statically). These tests run the
documented tag-limited commands against the session's deployed stack and check what really happened: the
migration task ran in the app image against the runtime's PostgreSQL, and the record on the cluster moved.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from stack import ROOT, STACK, base_image, run_playbook

from ansible_collections.django_ecs.fargate.plugins.lookup import context_hash

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
    # The record step ran after the task (ecs_tag reads the tags and writes only a different value: the first
    # deploy recorded this same definition) and names the latest definition.
    assert "ListTagsForResource" in actions[actions.index("RunTask") :], actions
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
    assert svc["taskDefinition"].split("/")[-1] == web["taskDefinitionArn"].split("/")[-1], svc["taskDefinition"]


def test_two_migrations_started_together_then_a_third(deployed_stack):
    """The limit ecs_run_task documents (item 9): the guard is check-then-act, so two runs started at the
    same moment may both start a task. What must hold either way: both runs end, every run that failed says
    why (another migration running, or the migration's own error), the database ends migrated, and a later
    run finds nothing to apply."""
    moto = deployed_stack.moto
    mark = moto.mark()
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: run_playbook(moto, "migrate.yml"), range(2)))
    started = [c for c in moto.calls_since(mark) if c["action"] == "RunTask"]
    assert 1 <= len(started) <= 2, started
    assert any(r.rc == 0 for r in runs), "\n\n".join(r.describe() for r in runs)
    for run in runs:
        if run.rc != 0:
            assert re.search(r"already|still running|concurrent|exit code", run.output), run.describe()
    third = run_playbook(moto, "migrate.yml")
    assert third.rc == 0, third.describe()
    assert "No migrations to apply." in third.output, third.describe()
    assert [c["action"] for c in third.calls].count("RunTask") == 1


def test_the_execution_role_may_read_every_secret_and_decrypt_the_key(deployed_stack):
    """Item 4: an extra Secrets Manager secret, an SSM parameter and a customer managed KMS key (by alias)
    end up in the execution role's policy as read back from IAM, and the migration task really gets the
    values (the emulator resolves them as ECS does)."""
    moto = deployed_stack.moto
    extra = moto.client("secretsmanager").create_secret(
        Name=f"extra-{uuid.uuid4().hex[:8]}", SecretString='{"smtp_password": "s3cret-value"}'
    )["ARN"]
    name = f"/{STACK}/api-key-{uuid.uuid4().hex[:8]}"
    moto.client("ssm").put_parameter(Name=name, Value="k3y-value", Type="SecureString")
    parameter = f"arn:aws:ssm:us-east-1:123456789012:parameter{name}"
    options = {
        "ecs_taskdefs_secrets": {"SMTP_PASSWORD": f"{extra}:smtp_password::", "API_KEY": parameter},
        "ecs_taskdefs_secret_kms_key_id": "alias/app-secrets",
    }
    run = deployed_stack.site("--tags", "ecs_taskdefs", "-e", json.dumps(options))
    assert run.rc == 0, run.describe()
    assert "exit code 0" in run.output, run.describe()  # the migration task started with the new secrets

    iam = moto.client("iam")
    document = iam.get_role_policy(RoleName=f"{STACK}-execution", PolicyName=f"{STACK}-execution")["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    statements = {s["Sid"]: s for s in document["Statement"]}
    stack_secret = moto.client("secretsmanager").describe_secret(SecretId=f"{STACK}/app")["ARN"]
    assert statements["ReadThisSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["ReadThisSecret"]["Resource"] == [stack_secret, extra]
    assert statements["ReadTheseParameters"] == {
        "Sid": "ReadTheseParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameter,
    }  # fmt: skip
    assert statements["DecryptTheSecretsKey"] == {
        "Sid": "DecryptTheSecretsKey",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": "arn:aws:kms:us-east-1:123456789012:key/*",
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app-secrets"}},
    }


def test_the_content_tag_covers_the_platform(deployed_stack):
    """Item 6: the deployed image's tag is the content hash of the context, the build arguments and the platform
    the task definition runs (X86_64 -> linux/amd64), so an image built for another platform is never reused."""
    web = deployed_stack.moto.client("ecs").describe_task_definition(taskDefinition=f"{STACK}-web")["taskDefinition"]
    assert web.get("runtimePlatform", {}).get("cpuArchitecture", "X86_64") == "X86_64"
    tag = web["containerDefinitions"][0]["image"].rsplit(":", 1)[1]
    digest = context_hash.context_digest(str(ROOT / "django"), {"BASE_IMAGE": base_image()}, "platform=linux/amd64")
    assert tag == digest[:16]
    assert tag != context_hash.context_digest(str(ROOT / "django"), {"BASE_IMAGE": base_image()})[:16]


def test_an_image_of_the_wrong_platform_is_never_pushed(deployed_stack, tmp_path):
    """Item 6: asked for linux/arm64 (ecs_taskdefs_cpu_architecture=ARM64) on this amd64 engine: refused before
    any AWS call; with ecr_image_cross_platform_build=true the engine builds, and Debian's dockerd builds a
    single-stage image FROM a local amd64 base as linux/amd64 without a word (the app's multi-stage build
    fails at COPY --from instead): the built image's platform is checked and nothing is pushed."""
    moto = deployed_stack.moto
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("ARG BASE_IMAGE=python:3.12-slim\nFROM ${BASE_IMAGE}\nRUN true\n")
    arm = ["-e", '{"ecs_taskdefs_cpu_architecture": "ARM64"}']
    refused = deployed_stack.site("--tags", "ecr_image", *arm)
    assert refused.rc != 0, refused.describe()
    assert "needs linux/arm64" in refused.failure and "ecr_image_cross_platform_build" in refused.failure
    actions = _actions(refused)
    assert refused.writes == [] and "DescribeRepositories" not in actions, actions  # before the repository

    cross_args = ["-e", "ecr_image_cross_platform_build=true", "-e", f"ecr_image_build_context={context}"]
    cross = deployed_stack.site("--tags", "ecr_image", *arm, *cross_args)
    tag = re.search(r"(\S+/djangoapp):([0-9a-f]{16})", cross.failure)
    try:
        assert cross.rc != 0, cross.describe()
        assert "when asked for linux/arm64; nothing was pushed" in cross.failure, cross.describe()
        assert "Push the image" not in cross.output
        images = moto.client("ecr").list_images(repositoryName=STACK)["imageIds"]
        assert tag and tag.group(2) not in [i.get("imageTag") for i in images]
    finally:
        if tag:
            subprocess.run(["docker", "image", "rm", "-f", tag.group(0)], capture_output=True, check=False)


def test_the_first_deploy_ensured_the_service_linked_role_before_the_cluster(deployed_stack):
    """Item 3: on the first deploy, CreateServiceLinkedRole(ecs.amazonaws.com) came before CreateCluster (moto
    creates the role; its existing-role answer, EntityAlreadyExists, and IAM's "has been taken" are unit tests)."""
    actions = [c["action"] for c in deployed_stack.first.calls]
    assert actions.count("CreateServiceLinkedRole") == 1, actions
    assert actions.index("CreateServiceLinkedRole") < actions.index("CreateCluster"), actions
