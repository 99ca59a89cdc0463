"""Day-two playbooks on the session's deployed stack (local runtime: tasks run real containers).

- manage.yml runs a real management command in the app image (`check`), fails on a command that exits non-zero,
  starts its task with startedBy django-ecs-manage (the migration guard's key is django-ecs-migrate), prints no
  secret at -vvv, and refuses bad input before any AWS call. With manage_secrets the values reach the container as
  ECS secrets (it prints their hashes) through a one-run <stack>-manage revision, INACTIVE afterwards also when the
  command fails, and never show in the output, the RunTask overrides or the request log.
- status.yml shows the service, deployments, migration record and rollback target with no write (also under
  --check), and says "Nothing to show" for a stack that does not exist.
- rollback.yml moves the service to the previous ACTIVE revision, refuses a revision whose image is gone from the
  registry and a revision that is not ACTIVE. The revisions the test adds are deleted afterwards and the service is
  put back, so later test modules (destroy) see the stack site.yml left.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re

import pytest
from stack import STACK, STACK_REGISTRY, run_playbook

pytestmark = [pytest.mark.moto, pytest.mark.docker]

WEB = f"{STACK}-web"


def flat(text: str) -> str:
    """The output with every run of whitespace as one space (the YAML callback folds long lines)."""
    return " ".join(text.split())


def stopped_manage_tasks(ecs) -> list[dict]:
    arns = ecs.list_tasks(cluster=STACK, desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=STACK, tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if t.get("startedBy") == "django-ecs-manage"]


def test_manage_runs_a_real_command_with_its_own_started_by_and_no_secret_at_vvv(deployed_stack):
    moto = deployed_stack.moto
    ecs = moto.client("ecs")
    before = len(stopped_manage_tasks(ecs))
    run = run_playbook(moto, "manage.yml", "-vvv", "-e", 'manage_command="check --fail-level ERROR"')
    assert run.rc == 0, run.describe()
    assert "python manage.py check --fail-level ERROR: success" in flat(run.output)
    assert "exit code 0" in flat(run.output)
    # Django's own output, from the container that really ran.
    assert "System check identified" in flat(run.output), run.output[-3000:]
    tasks = stopped_manage_tasks(ecs)
    assert len(tasks) == before + 1
    override = tasks[-1]["overrides"]["containerOverrides"][0]
    assert override["command"] == ["python", "manage.py", "check", "--fail-level", "ERROR"]
    assert tasks[-1]["taskDefinitionArn"].split("/")[-1].startswith(f"{STACK}-migrate:")
    assert [w for w in run.writes if w != "ecs:RunTask"] == []
    for name, value in deployed_stack.secret_values().items():
        if isinstance(value, str) and len(value) >= 8:
            assert value not in flat(run.output), f"the secret's {name} is in manage.yml's -vvv output"


def test_manage_runs_nothing_under_check(deployed_stack):
    run = run_playbook(deployed_stack.moto, "manage.yml", "--check", "-e", "manage_command=check")
    assert run.rc == 0, run.describe()
    assert "python manage.py check: check_mode" in flat(run.output)
    assert run.writes == [], run.writes


def test_manage_fails_on_a_non_zero_exit_and_says_why_once(deployed_stack):
    run = run_playbook(deployed_stack.moto, "manage.yml", "-e", 'manage_command="migrate no_such_app"')
    assert run.rc != 0, run.describe()
    output, failure = flat(run.output), flat(run.failure)
    # One message (the last task's): the command, the verdict with the exit code, the revision, the log lines.
    assert "python manage.py migrate no_such_app failed (container_failed): Task " in failure, run.describe()
    assert f"revision {STACK}-migrate:" in failure
    assert re.search(r"Last \d+ log lines: .*No installed app with label 'no_such_app'", failure), run.describe()
    # ... and each said once: not before it (the success block is skipped) nor twice inside it.
    for said in ("container 'migrate' exited with code 1", "No installed app with label 'no_such_app'"):
        assert output.count(said) == 1, f"{said!r} {output.count(said)} times:\n{run.describe()}"
    assert output.count("fatal:") == 1


MANAGE_FAMILY = f"{STACK}-manage"
PROBE = (
    "import hashlib, os; print('probe', *(hashlib.sha256(os.environ[n].encode()).hexdigest() "
    "for n in ('PROBE_BY_KEY', 'PROBE_BY_ARN')))"
)


def manage_revisions(ecs, status: str) -> list[str]:
    return ecs.list_task_definitions(familyPrefix=MANAGE_FAMILY, status=status)["taskDefinitionArns"]


def test_manage_secrets_reach_the_container_as_secrets_only(deployed_stack):
    moto = deployed_stack.moto
    ecs = moto.client("ecs")
    values = deployed_stack.secret_values()
    arn = moto.client("secretsmanager").describe_secret(SecretId=f"{STACK}/app")["ARN"]
    secrets = {"PROBE_BY_KEY": "password", "PROBE_BY_ARN": f"{arn}:django_secret_key::"}
    expected = [hashlib.sha256(values[k].encode()).hexdigest() for k in ("password", "django_secret_key")]
    log_mark = moto.mark()
    extra = {"manage_command": ["shell", "-c", PROBE], "manage_secrets": secrets, "manage_environment": {"X": "1"}}
    run = run_playbook(moto, "manage.yml", "-vvv", "-e", json.dumps(extra))
    assert run.rc == 0, run.describe()
    # The container printed the hashes of the values ECS injected: they arrived (and only their hashes are shown).
    assert f"probe {expected[0]} {expected[1]}" in flat(run.output), run.describe()
    assert "secrets PROBE_BY_ARN, PROBE_BY_KEY from revision " + MANAGE_FAMILY in flat(run.output)
    for key in ("password", "django_secret_key"):
        assert values[key] not in run.output, f"the secret's {key} is in manage.yml's -vvv output"
        assert values[key] not in "\n".join(moto.read_log()[log_mark:]), f"the secret's {key} is in the request log"
    assert [w for w in run.writes if w.startswith("ecs:")] == [
        "ecs:RegisterTaskDefinition", "ecs:RunTask", "ecs:DeregisterTaskDefinition",
    ]  # fmt: skip
    task_ids = re.findall(r"task ([0-9a-f-]+) \(", flat(run.output))
    assert task_ids, run.describe()
    task = ecs.describe_tasks(cluster=STACK, tasks=[task_ids[-1]])["tasks"][0]
    revision = task["taskDefinitionArn"]
    assert revision.split("/")[-1].startswith(f"{MANAGE_FAMILY}:")
    override = task["overrides"]["containerOverrides"][0]
    assert "secrets" not in override and override["environment"] == [{"name": "X", "value": "1"}]
    definition = ecs.describe_task_definition(taskDefinition=revision)["taskDefinition"]
    assert definition["status"] == "INACTIVE"
    container_secrets = {s["name"]: s["valueFrom"] for s in definition["containerDefinitions"][0]["secrets"]}
    assert container_secrets["PROBE_BY_KEY"] == f"{arn}:password::"
    assert container_secrets["PROBE_BY_ARN"] == f"{arn}:django_secret_key::"
    assert container_secrets["DB_PASSWORD"] == f"{arn}:password::"  # the migration definition's secrets stay
    assert manage_revisions(ecs, "ACTIVE") == []

    # A command that fails: the one-run revision is deregistered all the same.
    extra = {"manage_command": ["shell", "-c", "raise SystemExit(3)"], "manage_secrets": {"PROBE_BY_KEY": "password"}}
    failed = run_playbook(moto, "manage.yml", "-e", json.dumps(extra))
    assert failed.rc != 0, failed.describe()
    assert flat(failed.output).count("container 'migrate' exited with code 3") == 1, failed.describe()
    assert "secrets PROBE_BY_KEY from revision " + MANAGE_FAMILY in flat(failed.failure)
    assert "ecs:DeregisterTaskDefinition" in failed.writes
    assert manage_revisions(ecs, "ACTIVE") == []
    assert len(manage_revisions(ecs, "INACTIVE")) >= 2


@pytest.mark.parametrize(
    "extra, expect",
    [
        ('{"manage_command": ""}', "manage_command must be"),
        ('{"manage_command": "shell -c \\"import os\\""}', "no quotes|may not hold quotes"),
        ('{"manage_command": "check; rm -rf /"}', "may not hold quotes or shell characters"),
        ('{"manage_command": "check", "manage_environment": {"BAD-NAME": "x"}}', "manage_environment must be"),
        ('{"manage_command": "check", "manage_timeout": 0}', "manage_timeout a number of seconds above 0"),
        ('{"manage_command": "check", "manage_concurrency": "maybe"}', "manage_concurrency allow, wait or fail"),
        ('{"manage_command": "check", "manage_secrets": {"BAD-NAME": "password"}}', "manage_secrets must be"),
        ('{"manage_command": "check", "manage_secrets": {"P": "not a reference"}}', "manage_secrets must be"),
        ('{"manage_command": "check", "manage_secrets": {"P": 12345}}', "manage_secrets must be"),
        ('{"manage_command": "check", "manage_secrets": ["password"]}', "manage_secrets must be"),
        (
            '{"manage_command": "check", "manage_secrets": {"P": "password"}, "manage_environment": {"P": "x"}}',
            "no NAME also in manage_environment",
        ),
        (
            '{"manage_command": "check", "manage_secrets": '
            '{"P": "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf:key::"}}',
            "Not granted: arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf: add it to "
            "ecs_taskdefs_secrets",
        ),
    ],
    ids=[
        "empty",
        "quotes",
        "shell",
        "env-name",
        "timeout",
        "concurrency",
        "secret-name",
        "secret-ref",
        "secret-number",
        "secret-list",
        "secret-and-env",
        "secret-not-granted",
    ],  # fmt: skip
)
def test_manage_refuses_bad_input_before_any_aws_call(deployed_stack, extra, expect):
    run = run_playbook(deployed_stack.moto, "manage.yml", "-e", extra)
    assert run.rc != 0, run.describe()
    assert any(part in flat(run.failure) for part in expect.split("|")), run.describe()
    assert run.calls == [], run.calls


def test_status_shows_the_service_without_writing_also_under_check(deployed_stack):
    moto = deployed_stack.moto
    for args in ((), ("--check",)):
        run = run_playbook(moto, "status.yml", *args)
        assert run.rc == 0, run.describe()
        assert run.writes == [], run.writes
        assert run.recap["changed"] == 0
        assert f"Service: {WEB} (ACTIVE)" in flat(run.output), run.output[-3000:]
        assert f"PRIMARY {WEB}:" in flat(run.output)
        assert f"Migration: {STACK}-migrate:" in flat(run.output)
        assert "App URL: http://" in flat(run.output)
        # The session stack has one web revision here: said in words, not "(none)".
        assert f"no earlier ACTIVE revision of {WEB} for rollback.yml to go back to" in flat(run.output), run.output[
            -3000:
        ]
        assert "(none)" not in run.output
        # One unwrapped block: the callback prints a multi-line string as a literal block.
        assert "msg: |-" in run.output
        # No worker and no job recorded on the cluster (this module runs before the workers' and the jobs'):
        # one DescribeServices (the web service's), no Scheduler call, no Workers/Jobs lines.
        ecs_actions = [c["action"] for c in run.calls if c["service"] == "ecs"]
        assert ecs_actions.count("DescribeServices") == 1, run.calls
        assert [c for c in run.calls if c["service"] == "scheduler"] == [], run.calls
        assert "Workers:" not in run.output and "Jobs: " not in flat(run.output)


def test_status_of_a_stack_that_does_not_exist_is_a_message(deployed_stack):
    run = run_playbook(deployed_stack.moto, "status.yml", "-e", "fargate_stack_name=nosuchstack")
    assert run.rc == 0, run.describe()
    assert "Nothing to show: cluster nosuchstack does not exist." in flat(run.output)
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    "verbosity",
    [
        (),
        # At -v the service_status result is printed too: its report lines say it in words as well.
        ("-v",),
    ],
    ids=["default", "verbose"],
)
def test_rollback_without_an_earlier_revision_says_so(deployed_stack, verbosity):
    ecs = deployed_stack.moto.client("ecs")
    current = ecs.describe_services(cluster=STACK, services=[WEB])["services"][0]["taskDefinition"].split("/")[-1]
    arns = ecs.list_task_definitions(familyPrefix=WEB, status="ACTIVE")["taskDefinitionArns"]
    revisions = [int(a.rsplit(":", 1)[1]) for a in arns if a.split("/")[-1].rsplit(":", 1)[0] == WEB]
    if min(revisions) < int(current.rsplit(":", 1)[1]):
        pytest.skip(f"{WEB} has an ACTIVE revision older than {current} on the session stack: {revisions}")
    run = run_playbook(deployed_stack.moto, "rollback.yml", *verbosity)
    assert run.rc != 0, run.describe()
    assert f"No earlier ACTIVE revision of {WEB} than {current} to roll back to." in flat(run.failure), run.describe()
    assert run.writes == [], run.writes
    assert "(none)" not in run.output, run.describe()


@pytest.fixture
def extra_revisions(deployed_stack):
    """Two more revisions of the web family: N+1 (same image, the service moves to it, as after a deploy) and
    N+2 (an image tag the registry never had). Removed afterwards; the service goes back to revision N."""
    ecs = deployed_stack.moto.client("ecs")
    service = ecs.describe_services(cluster=STACK, services=[WEB])["services"][0]
    original = service["taskDefinition"].split("/")[-1]
    td = ecs.describe_task_definition(taskDefinition=original)["taskDefinition"]
    keep = (
        "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
        "requiresCompatibilities", "cpu", "memory", "runtimePlatform",
    )  # fmt: skip
    spec = {k: td[k] for k in keep if td.get(k)}
    newer = ecs.register_task_definition(**spec)["taskDefinition"]
    gone = copy.deepcopy(spec)
    gone["containerDefinitions"][0]["image"] = f"{STACK_REGISTRY}/{STACK}:never-pushed"
    missing = ecs.register_task_definition(**gone)["taskDefinition"]
    newer_ref = f"{WEB}:{newer['revision']}"
    ecs.update_service(cluster=STACK, service=WEB, taskDefinition=newer_ref)
    yield original, newer_ref, f"{WEB}:{missing['revision']}"
    ecs.update_service(cluster=STACK, service=WEB, taskDefinition=original)
    added = [newer["taskDefinitionArn"], missing["taskDefinitionArn"]]
    for revision in added:
        ecs.deregister_task_definition(taskDefinition=revision)
    # And delete them: moto's DescribeTaskDefinition(family) answers the newest revision even when INACTIVE
    # (AWS: the newest ACTIVE), and destroy.yml finds the revisions to deregister through it.
    ecs.delete_task_definitions(taskDefinitions=added)


def test_rollback_goes_back_and_refuses_a_gone_image_or_an_inactive_revision(deployed_stack, extra_revisions):
    moto = deployed_stack.moto
    ecs = moto.client("ecs")
    original, newer, missing = extra_revisions

    gone = run_playbook(moto, "rollback.yml", "-e", f"rollback_revision={missing.split(':')[1]}")
    assert gone.rc != 0, gone.describe()
    assert f"Not rolling back to {missing}: its image" in flat(gone.failure) and "is gone" in flat(gone.failure)
    assert gone.writes == [], gone.writes

    inactive = run_playbook(moto, "rollback.yml", "-e", "rollback_revision=999")
    assert inactive.rc != 0 and f"{WEB}:999 (rollback_revision) is not an ACTIVE revision" in flat(inactive.failure)
    assert inactive.writes == []

    bad = run_playbook(moto, "rollback.yml", "-e", "rollback_revision=latest")
    assert bad.rc != 0 and "rollback_revision must be a revision number" in flat(bad.failure) and bad.calls == []

    # Default: the newest ACTIVE revision older than the PRIMARY one; N+2 (never deployed) is newer, N+1 runs.
    back = run_playbook(moto, "rollback.yml")
    assert back.rc == 0, back.describe()
    assert f"Rolling {WEB} back from {newer} to {original}" in flat(back.output)
    assert "The database schema is not rolled back" in flat(back.output)
    assert "ecs:UpdateService" in back.writes
    service = ecs.describe_services(cluster=STACK, services=[WEB])["services"][0]
    assert service["taskDefinition"].split("/")[-1] == original  # moto keeps family:revision after UpdateService
    # A missing value is said in words, never as "(none)".
    for run in (gone, inactive, bad, back):
        assert "(none)" not in run.output, run.describe()
