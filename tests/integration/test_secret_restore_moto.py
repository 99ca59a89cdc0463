"""secret_json_keys on the moto server: a secret that destroy.yml scheduled for deletion is restored
by the next deploy, with its generated password kept (so a redeploy within the recovery window works)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.moto
ROOT = Path(__file__).resolve().parents[2]
ANSIBLE = str(Path(sys.executable).parent / "ansible")
MODULE = "django_ecs.fargate.secret_json_keys"


def run_module(moto_url, name):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", ANSIBLE_NOCOLOR="1")
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    args = json.dumps(
        {"name": name, "region": "us-east-1", "endpoint_url": moto_url, "generate": [{"key": "password", "length": 32}]}
    )
    proc = subprocess.run(
        [ANSIBLE, "localhost", "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
         "-m", MODULE, "-a", args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.split("=>", 1)[1])


def test_secret_scheduled_for_deletion_is_restored_with_its_values(moto_url):
    sm = boto3.client(
        "secretsmanager", region_name="us-east-1", endpoint_url=moto_url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    name = "restore-test/app"
    created = run_module(moto_url, name)
    assert created["created"] and created["changed_keys"] == ["password"]
    password = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"]

    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    restored = run_module(moto_url, name)
    assert restored["restored"] and restored["changed"] and not restored["created"]
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["password"] == password
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)

    again = run_module(moto_url, name)
    assert not again["changed"] and not again["restored"]
