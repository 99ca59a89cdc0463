"""The deployed stack's service on the local runtime: the URL the summary prints answers (curl, loopback
only) with the page that reads the database, the rollout was awaited and COMPLETED, and a web container that
exits at start trips the circuit breaker: site.yml fails with the rollback and the service events while the
previous revision keeps serving."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time

import pytest
from stack import ROOT, STACK

pytestmark = [pytest.mark.moto, pytest.mark.docker]

URL = re.compile(r"AppURL:(http://[a-z0-9-]+\.localhost:\d+)")


def app_url(output: str) -> str:
    found = URL.findall(flat(output))
    assert found, "the summary printed no loopback App URL"
    return found[-1]


def flat(text: str) -> str:
    """Output or needle without whitespace and backslashes: the YAML callback folds long lines, in double-quoted
    strings with a backslash continuation."""
    return re.sub(r"[\s\\]", "", text)


def curl(url: str) -> tuple[int, str]:
    """curl sends *.localhost to loopback (glibc does not resolve it): the way a user opens the URL."""
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "15", "-w", "\n%{http_code}", url], capture_output=True, text=True, check=True
    ).stdout
    body, code = out.rsplit("\n", 1)
    return int(code), body


def service(moto) -> dict:
    ecs = moto.client("ecs")
    return ecs.describe_services(cluster=STACK, services=[f"{STACK}-web"])["services"][0]


def test_the_printed_url_answers_with_the_app_and_the_rollout_completed(deployed_stack):
    output = flat(deployed_stack.first.output)
    url = app_url(output)
    port = int(deployed_stack.moto.port)
    assert url == f"http://{STACK}-alb.localhost:{20000 + port % 1000 * 10}"
    assert flat("rollout COMPLETED (running 1/1") in output
    assert flat("HTTPS listeners answer plain HTTP locally") in output
    status, body = curl(url + "/")
    assert status == 200 and "notes in the database" in body, body[:500]
    stylesheet = re.search(r'href="(/static/notes/style[^"]*\.css)"', body)
    assert stylesheet, body[:500]
    status, css = curl(url + stylesheet.group(1))  # static files through the load balancer
    assert status == 200 and "{" in css
    status, body = curl(url + "/health/db/")
    assert status == 200, body
    svc = service(deployed_stack.moto)
    assert svc["runningCount"] == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED"
    health = deployed_stack.moto.client("elbv2").describe_target_health(
        TargetGroupArn=svc["loadBalancers"][0]["targetGroupArn"]
    )["TargetHealthDescriptions"]
    assert [h["TargetHealth"]["State"] for h in health] == ["healthy"]


def test_a_code_only_release_is_served_without_a_failed_request(deployed_stack, tmp_path):
    url = app_url(deployed_stack.first.output)
    app = tmp_path / "django"
    shutil.copytree(ROOT / "django", app, ignore=shutil.ignore_patterns("staticfiles", "__pycache__", "*.pyc"))
    template = app / "notes" / "templates" / "notes" / "index.html"
    template.write_text(template.read_text().replace("<h1>Notes</h1>", "<h1>Notes, release 2</h1>"))
    results: list[tuple[float, int, bool]] = []  # (time, status, new content)
    done = threading.Event()

    def loop() -> None:  # bounded: at most 3000 requests or 15 minutes
        deadline = time.monotonic() + 900
        while not done.is_set() and len(results) < 3000 and time.monotonic() < deadline:
            try:
                status, body = curl(url + "/")
            except subprocess.CalledProcessError:
                status, body = 0, ""
            results.append((time.monotonic(), status, "release 2" in body))
            time.sleep(0.2)

    thread = threading.Thread(target=loop, daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        run = deployed_stack.site("-e", f"ecr_image_build_context={app}")
    finally:
        done.set()
        thread.join(timeout=30)
    assert run.rc == 0, run.describe()
    assert flat("rollout COMPLETED (running 1/1") in flat(run.output)
    failed = [r for r in results if r[1] != 200]
    assert not failed and len(results) > 10, (failed[:5], len(results))
    first_new = next(t for t, _code, new in results if new)
    # ALBs round-robin over every healthy target: old and new answer side by side only until the old drains.
    assert all(new for t, _code, new in results if t > first_new + 5)
    assert all("release 2" in curl(url + "/")[1] for _attempt in range(5))
    print(f"code-only release: new version served {first_new - started:.0f} s after site.yml started "
          f"({len(results)} requests, 0 failed)")  # fmt: skip


def test_a_web_container_that_exits_at_start_rolls_back_and_the_old_revision_keeps_serving(deployed_stack):
    url = app_url(deployed_stack.first.output)
    before = service(deployed_stack.moto)["taskDefinition"]
    # gunicorn cannot bind (no such folder): it exits at start; the migration container ignores the variable.
    broken_env = json.dumps({"ecs_taskdefs_environment": {"GUNICORN_BIND": "unix:/nonexistent/gunicorn.sock"}})
    started = time.monotonic()
    broken = deployed_stack.site("-e", broken_env)
    took = time.monotonic() - started
    assert broken.rc != 0, broken.describe()
    failure = flat(broken.failure)
    assert flat("rolled back") in failure and flat("circuit breaker") in failure, broken.failure[-3000:]
    assert flat("rolling back to deployment ecs-svc/") in failure
    assert flat("deployment failed: tasks failed to start.") in failure
    svc = service(deployed_stack.moto)
    assert svc["taskDefinition"] == before
    status, body = curl(url + "/")
    assert status == 200 and "notes in the database" in body
    print(f"broken release detected and rolled back by site.yml in {took:.0f} s")
    # The fixed release deploys again (and leaves the stack as the other tests expect it).
    fixed = deployed_stack.site()
    assert fixed.rc == 0, fixed.describe()
    assert curl(url + "/health/db/")[0] == 200
