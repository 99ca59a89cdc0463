"""RunTask / DescribeTasks / StopTask on the local runtime: real containers on the local Docker engine,
answered in AWS's shapes. Every test runs real processes; nothing here is stubbed."""

from __future__ import annotations

import time

import pytest
from runtime_env import labelled_containers

pytestmark = [pytest.mark.docker, pytest.mark.moto]

PY = "python3"


def test_a_task_runs_for_real_and_reports_its_exit_code_logs_and_lifecycle(rt):
    arn = rt.register("exit3", [{"name": "main", "command": [PY, "-c",
        "import sys, time; print('first line'); time.sleep(1); print('last line', flush=True); sys.exit(3)",
    ]}])  # fmt: skip
    started = rt.run(arn)
    assert started["lastStatus"] == "PROVISIONING" and started["desiredStatus"] == "RUNNING"
    task, seen = rt.wait(started["taskArn"])
    assert seen[-1] == "STOPPED" and "RUNNING" in seen, seen
    assert seen.index("RUNNING") < seen.index("STOPPED")
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert task["startedAt"] <= task["stoppedAt"]
    (container,) = task["containers"]
    assert container["exitCode"] == 3 and container["lastStatus"] == "STOPPED"
    ip = container["networkInterfaces"][0]["privateIpv4Address"]
    assert ip.startswith("10.213.") and ip != "10.213.91.1"
    eni = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert eni["privateIPv4Address"] == ip
    # The log is complete once the task shows STOPPED.
    assert rt.log_lines("exit3", "main", started["taskArn"]) == ["first line", "last line"]
    assert not labelled_containers(rt.moto.port, settle=30)  # nothing left behind after the stop


def test_environment_order_definition_then_secrets_then_overrides(rt):
    script = "import os; print(*(os.environ.get(k, '-') for k in ('A', 'B', 'PW', 'PORT', 'AWS_REGION')))"
    arn = rt.register("env", [{
        "name": "main", "command": [PY, "-c", script],
        "environment": [{"name": "A", "value": "from-def"}, {"name": "B", "value": "from-def"},
                        {"name": "PW", "value": "plain-loses"}],
        "secrets": [{"name": "PW", "valueFrom": f"{rt.secret_arn}:password::"},
                    {"name": "PORT", "valueFrom": f"{rt.secret_arn}:port::"}],
    }])  # fmt: skip
    started = rt.run(
        arn, overrides={"containerOverrides": [{"name": "main", "environment": [{"name": "B", "value": "override"}]}]}
    )
    task, _ = rt.wait(started["taskArn"])
    assert task["containers"][0]["exitCode"] == 0
    assert rt.log_lines("env", "main", started["taskArn"]) == ["from-def override pw-from-secret 5432 us-east-1"]


def test_command_override_replaces_the_definition_command(rt):
    arn = rt.register("cmd", [{"name": "main", "command": [PY, "-c", "print('definition')"]}])
    started = rt.run(
        arn, overrides={"containerOverrides": [{"name": "main", "command": [PY, "-c", "print('override')"]}]}
    )
    rt.wait(started["taskArn"])
    assert rt.log_lines("cmd", "main", started["taskArn"]) == ["override"]


def test_a_missing_json_key_fails_to_start_with_resource_initialization_error(rt):
    arn = rt.register("nokey", [{"name": "main", "command": [PY, "-c", "print('never')"],
                                 "secrets": [{"name": "X", "valueFrom": f"{rt.secret_arn}:no_such_key::"}],
                                 }])  # fmt: skip
    started = rt.run(arn)
    task, seen = rt.wait(started["taskArn"])
    assert "RUNNING" not in seen
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError:")
    assert "no_such_key" in task["stoppedReason"]
    assert "exitCode" not in task["containers"][0]  # a container that never started has none, as on AWS
    assert "startedAt" not in task


def test_a_missing_secret_fails_to_start_naming_it(rt):
    missing = rt.secret_arn.replace("rt/app", "rt/gone")
    arn = rt.register("nosecret", [{"name": "main", "command": [PY, "-c", "print(1)"],
                                    "secrets": [{"name": "X", "valueFrom": f"{missing}:password::"}]}])  # fmt: skip
    task, _ = rt.wait(rt.run(arn)["taskArn"])
    assert task["stopCode"] == "TaskFailedToStart"
    assert "ResourceInitializationError" in task["stoppedReason"] and "rt/gone" in task["stoppedReason"]


def test_ssm_parameter_secrets_resolve(rt):
    rt.client("ssm").put_parameter(Name="/rt/token", Value="from-ssm", Type="SecureString")
    arn = rt.register("ssm", [{"name": "main", "command": [PY, "-c", "import os; print(os.environ['T'])"],
                               "secrets": [{"name": "T", "valueFrom": "/rt/token"}]}])  # fmt: skip
    started = rt.run(arn)
    task, _ = rt.wait(started["taskArn"])
    assert task["containers"][0]["exitCode"] == 0
    assert rt.log_lines("ssm", "main", started["taskArn"]) == ["from-ssm"]


def test_a_missing_image_tag_fails_with_cannot_pull_container_error(rt):
    arn = rt.register("noimage", [{"name": "main", "image": rt.image.rsplit(":", 1)[0] + ":does-not-exist"}])
    task, seen = rt.wait(rt.run(arn)["taskArn"])
    assert "RUNNING" not in seen
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError:")
    assert "does-not-exist" in task["stoppedReason"]
    assert "exitCode" not in task["containers"][0]


def test_a_missing_log_group_fails_to_start(rt):
    arn = rt.register("nologs", [{"name": "main", "logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": "/rt/none", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "x"}}}])  # fmt: skip
    task, _ = rt.wait(rt.run(arn)["taskArn"])
    assert task["stopCode"] == "TaskFailedToStart"
    assert "log group does not exist" in task["stoppedReason"]


def test_essential_exit_0_with_a_failing_sidecar_succeeds_and_both_exit_codes_show(rt):
    arn = rt.register("sidecar", [
        {"name": "main", "command": [PY, "-c", "import time; time.sleep(2); print('done')"]},
        {"name": "sidecar", "essential": False, "command": [PY, "-c", "import sys; sys.exit(5)"]},
    ])  # fmt: skip
    task, _ = rt.wait(rt.run(arn)["taskArn"])
    codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
    assert codes == {"main": 0, "sidecar": 5}
    assert task["stopCode"] == "EssentialContainerExited"


def test_containers_of_a_task_share_its_network_namespace(rt):
    server = "import http.server as h; h.HTTPServer(('127.0.0.1', 8000), h.SimpleHTTPRequestHandler).serve_forever()"
    client = ("import time, urllib.request as u\nfor _ in range(50):\n    try:\n        print(u.urlopen('http://127.0.0.1:8000/')"
              ".status); break\n    except OSError: time.sleep(0.2)")  # fmt: skip
    arn = rt.register("shared-net", [
        {"name": "main", "command": [PY, "-c", client]},
        # PID 1 ignores SIGTERM without a handler (on Fargate too): a short stopTimeout ends it quickly.
        {"name": "server", "essential": False, "command": [PY, "-c", server], "stopTimeout": 1},
    ])  # fmt: skip
    started = rt.run(arn)
    task, _ = rt.wait(started["taskArn"])
    assert rt.log_lines("shared-net", "main", started["taskArn"]) == ["200"]
    assert {c["name"]: c.get("exitCode") for c in task["containers"]}["main"] == 0


def test_stop_task_sends_sigterm_then_sigkill_after_stop_timeout(rt):
    ignores_term = (
        "import signal, time; signal.signal(signal.SIGTERM, lambda *a: print('got TERM', flush=True)); "
        "print('up', flush=True); time.sleep(600)"
    )
    arn = rt.register("stop", [{"name": "main", "command": [PY, "-c", ignores_term], "stopTimeout": 2}])
    started = rt.run(arn)
    rt.wait(started["taskArn"], "RUNNING")
    time.sleep(1)  # let the process install its handler
    before = time.monotonic()
    stopped = rt.client("ecs").stop_task(cluster=rt.cluster, task=started["taskArn"], reason="test stop")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    task, _ = rt.wait(started["taskArn"])
    took = time.monotonic() - before
    assert 1.5 <= took < 15, took
    assert task["stopCode"] == "UserInitiated" and task["stoppedReason"] == "test stop"
    assert task["containers"][0]["exitCode"] == 137  # SIGKILL after the 2 s stopTimeout
    assert rt.log_lines("stop", "main", started["taskArn"]) == ["up", "got TERM"]
    assert not labelled_containers(rt.moto.port, settle=30)
