"""Secrets never leak: site.yml (first deploy and a re-run) and migrate.yml at -vvv, then the generated database
password and Django secret key (read from Secrets Manager through boto3) must appear nowhere: not in the outputs,
not in files the project writes (.run/, ~/.ansible/tmp leftovers, untracked files of the checkout), not in the task
definitions' plain environment. And no ARN the play built from a result (task definition valueFrom, role ARNs,
IAM policy resources) may hold Ansible's no_log mask `********`.

Leaks are searched for whole, JSON-escaped, with all whitespace removed (the YAML callback folds long lines) and
as 12-character pieces (a truncated or split value is a leak too).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from stack import ROOT, RUN_DIR, STACK, run_playbook

pytestmark = pytest.mark.moto

MASK = "********"
MAX_FILE_BYTES = 5 * 1024 * 1024
SKIP_DIRS = {".venv", ".git", "collections", "node_modules"}


def _needles(secrets: list[dict]) -> dict[str, str]:
    """name -> value for every secret value seen this session (password, Django key), with pieces of each."""
    needles = {}
    for n, values in enumerate(secrets):
        for key in ("password", "django_secret_key"):
            value = values[key]
            assert len(value) >= 16, f"{key} is implausibly short"
            needles[f"{key}#{n}"] = value
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                needles[f"{key}#{n} (JSON-escaped)"] = escaped
            for start in range(0, len(value) - 12 + 1, 10):
                needles[f"{key}#{n}[{start}:{start + 12}]"] = value[start : start + 12]
    return needles


def _leaks(text: str, needles: dict[str, str]) -> list[str]:
    squeezed = "".join(text.split())
    return sorted({name for name, value in needles.items() if value in text or value in squeezed})


@pytest.fixture(scope="module")
def hygiene_runs(deployed_stack):
    """A re-run of site.yml and migrate.yml at -vvv on the deployed stack (the first deploy ran at -vvv too)."""
    rerun = deployed_stack.site("-vvv")
    assert rerun.rc == 0, rerun.describe()
    migrate = run_playbook(deployed_stack.moto, "migrate.yml", "-vvv")
    assert migrate.rc == 0, migrate.describe()
    deployed_stack.remember_secrets()
    runs = {"site.yml (first deploy)": deployed_stack.first, "site.yml (re-run)": rerun, "migrate.yml": migrate}
    rebuild = getattr(deployed_stack, "rebuild", None)
    if rebuild is not None:
        runs["site.yml (rebuild after destroy)"] = rebuild
    return deployed_stack, runs


def test_outputs_hold_no_secret(hygiene_runs):
    deployed, runs = hygiene_runs
    needles = _needles(deployed.secrets)
    found = {name: _leaks(run.output, needles) for name, run in runs.items()}
    assert not any(found.values()), f"secret values in the -vvv output: {found}"


def _project_files() -> list[Path]:
    files = []
    for base in [RUN_DIR, Path.home() / ".ansible" / "tmp"]:
        if base.is_dir():
            for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
                dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
                files += [Path(dirpath) / f for f in filenames]
    untracked = subprocess.run(
        ["git", "ls-files", "-o", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")  # fmt: skip
    files += [ROOT / f for f in untracked if f and f.split("/", 1)[0] not in SKIP_DIRS]
    return files


def test_files_hold_no_secret(hygiene_runs):
    deployed, _runs = hygiene_runs
    needles = {k: v for k, v in _needles(deployed.secrets).items() if "[" not in k}  # whole values only: speed
    leaks, skipped = {}, []
    for path in _project_files():
        try:
            if path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > MAX_FILE_BYTES:
                skipped.append(str(path))
                continue
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        found = _leaks(text, needles)
        if found:
            leaks[str(path)] = found
    assert not leaks, f"secret values in files: {leaks}"


def _task_definitions(moto) -> list[dict]:
    ecs = moto.client("ecs")
    return [
        ecs.describe_task_definition(taskDefinition=f"{STACK}-{name}")["taskDefinition"] for name in ("web", "migrate")
    ]


def test_task_definitions_keep_secrets_out_of_the_environment(hygiene_runs):
    deployed, _runs = hygiene_runs
    needles = _needles(deployed.secrets)
    secret_arn = deployed.moto.client("secretsmanager").describe_secret(SecretId=f"{STACK}/app")["ARN"]
    for definition in _task_definitions(deployed.moto):
        for container in definition["containerDefinitions"]:
            where = f"{definition['family']}:{definition['revision']} container {container['name']}"
            environment = {e["name"]: e["value"] for e in container.get("environment", [])}
            assert not _leaks(json.dumps(environment), needles), f"{where}: secret value in the plain environment"
            for name in ("DB_PASSWORD", "DJANGO_SECRET_KEY", "DB_USER", "DB_NAME"):
                assert name not in environment, f"{where}: {name} is plain environment, not a secret"
            secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
            assert {"DB_PASSWORD", "DJANGO_SECRET_KEY"} <= set(secrets), f"{where}: secrets {sorted(secrets)}"
            for name, value_from in secrets.items():
                assert MASK not in value_from, f"{where}: {name} valueFrom is masked: {value_from}"
                assert value_from.startswith(secret_arn + ":"), (
                    f"{where}: {name} valueFrom {value_from} is not of {secret_arn}"
                )


def test_no_masked_arn_in_task_definitions_or_policies(hygiene_runs):
    deployed, _runs = hygiene_runs
    for definition in _task_definitions(deployed.moto):
        text = json.dumps(definition, default=str)
        assert MASK not in text, f"{definition['family']}: a masked value in the task definition: {text}"
    iam = deployed.moto.client("iam")
    for role in (f"{STACK}-execution", f"{STACK}-task"):
        documents = [iam.get_role(RoleName=role)["Role"]]
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            documents.append(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"])
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            if ":aws:policy/" in arn:  # AWS managed
                continue
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            documents.append(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
        text = json.dumps(documents, default=str)
        assert MASK not in text, f"{role}: a masked ARN in its policies: {text}"
