"""Worker services (ecs_workers) on the session's deployed stack (local runtime: tasks run real containers).

One worker is created, left alone, changed and removed with `site.yml --tags workers` (the tag works alone; no full
site.yml per step). A full site.yml with the same list and a `--check --diff` run prove the no-op guarantees. Each
step is asserted on durable evidence: the command's own line in the worker's CloudWatch log stream, the service's
task definition and COMPLETED deployment after the awaited rollout, STOPPED tasks, INACTIVE services and
deregistered revisions, the cluster's record tags. Nothing asserts a state a poller had to catch.

Its name sorts it before test_day_two_jobs.py: the full site.yml here lists no jobs, so it would remove (and report
changed) the jobs that module leaves deployed for test_destroy.py.

The module ends with a second worker (`rq`) deployed: test_destroy.py (next in order) checks that destroy.yml removes
it (and deploys one itself when run alone).
"""

from __future__ import annotations

import json
import time

import pytest
from stack import STACK, run_playbook

pytestmark = [pytest.mark.moto, pytest.mark.docker]

CELERY = f"{STACK}-worker-celery"
RQ = f"{STACK}-worker-rq"
LOG_GROUP = f"/ecs/{STACK}"
# A stand-in for `celery -A mysite worker`: says it runs (with what the web definition gives it: the database host and
# whether a secret arrived, never its value) every few seconds, as a worker logs its heartbeat. (The local runtime
# ships a container's lines as later lines arrive: a single line followed by silence could wait in its buffer.)
PRINT_AND_STAY = (
    "import os, time\n"
    "while True:\n"
    "    print('worker', os.environ['WORKER_MARK'], 'db', os.environ['DB_HOST'],"
    " 'password', 'set' if os.environ.get('DB_PASSWORD') else 'unset', flush=True)\n"
    "    time.sleep(3)\n"
)


def worker(name: str, mark: str, **extra) -> dict:
    return {"name": name, "command": ["python", "-c", PRINT_AND_STAY], "environment": {"WORKER_MARK": mark}, **extra}


def workers_args(*workers: dict) -> list[str]:
    return ["-e", json.dumps({"ecs_workers_services": list(workers)})]


def log_lines(moto, task: dict, needle: str, timeout: float = 240) -> list[str]:
    """The lines holding `needle` in the task's awslogs stream (<prefix>/worker/<task id>), waiting for them (a
    container's first line takes a while under load)."""
    logs = moto.client("logs")
    definition = moto.client("ecs").describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
    prefix = definition["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-stream-prefix"]
    stream = f"{prefix}/worker/{task['taskArn'].rsplit('/', 1)[-1]}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            events = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream, startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        found = [e["message"] for e in events if needle in e["message"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(3)


def service(moto, name: str) -> dict:
    services = moto.client("ecs").describe_services(cluster=STACK, services=[name])["services"]
    return services[0] if services else {}


def service_tasks(moto, name: str) -> list[dict]:
    """The service's tasks meant to run (AWS's default filter; moto lists stopped ones too without it)."""
    ecs = moto.client("ecs")
    arns = ecs.list_tasks(cluster=STACK, serviceName=name, desiredStatus="RUNNING")["taskArns"]
    return ecs.describe_tasks(cluster=STACK, tasks=arns)["tasks"] if arns else []


def active_revisions(moto, family: str) -> list[str]:
    arns = moto.client("ecs").list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    return [a.rsplit("/", 1)[-1] for a in arns if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]


def cluster_tags(moto) -> dict:
    cluster = moto.client("ecs").describe_clusters(clusters=[STACK], include=["TAGS"])["clusters"][0]
    return {t["key"]: t["value"] for t in cluster.get("tags", [])}


def timed(run, label: str):
    print(json.dumps({label: round(run.seconds, 1)}))
    return run


@pytest.fixture(scope="module")
def created(deployed_stack):
    moto = deployed_stack.moto
    run = timed(run_playbook(moto, "site.yml", "--tags", "workers", *workers_args(worker("celery", "v1"))), "create")
    assert run.rc == 0, run.describe()
    return deployed_stack, run


@pytest.fixture(scope="module")
def changed(created):
    deployed = created[0]
    before = service_tasks(deployed.moto, CELERY)
    run = timed(
        run_playbook(deployed.moto, "site.yml", "--tags", "workers", *workers_args(worker("celery", "v2"))), "change"
    )
    assert run.rc == 0, run.describe()
    return deployed, run, before


@pytest.fixture(scope="module")
def removed(changed):
    deployed = changed[0]
    before = service_tasks(deployed.moto, CELERY)
    run = timed(
        run_playbook(deployed.moto, "site.yml", "--tags", "workers", *workers_args(worker("rq", "r1"))), "remove"
    )
    assert run.rc == 0, run.describe()
    return deployed, run, before


def test_a_worker_is_created_and_runs_its_command(created):
    deployed, run = created
    moto = deployed.moto
    svc = service(moto, CELERY)
    assert svc["status"] == "ACTIVE" and svc["loadBalancers"] == [], svc
    assert svc["taskDefinition"].rsplit("/", 1)[-1] == f"{CELERY}:1"
    # The rollout was awaited: the one deployment completed with its task running.
    rollouts = [(d["rolloutState"], d["runningCount"]) for d in svc["deployments"]]
    assert rollouts == [("COMPLETED", 1)], svc["deployments"]
    web = service(moto, f"{STACK}-web")
    assert svc["networkConfiguration"] == web["networkConfiguration"]
    # The command really ran in the app image, with the web definition's environment and secrets.
    tasks = service_tasks(moto, CELERY)
    assert [t["lastStatus"] for t in tasks] == ["RUNNING"], tasks
    lines = log_lines(moto, tasks[0], "worker v1")
    assert lines, "the worker's command printed nothing to its log stream"
    assert "password set" in lines[0] and " db " in lines[0], lines
    # Same image, secrets and roles as the web definition; its own command, stream prefix, no port.
    ecs = moto.client("ecs")
    worker_def = ecs.describe_task_definition(taskDefinition=f"{CELERY}:1")["taskDefinition"]
    web_def = ecs.describe_task_definition(taskDefinition=web["taskDefinition"])["taskDefinition"]
    (container,), (web_container,) = worker_def["containerDefinitions"], web_def["containerDefinitions"]
    assert container["image"] == web_container["image"]
    assert container["secrets"] == web_container["secrets"]
    assert worker_def["executionRoleArn"] == web_def["executionRoleArn"]
    assert not container.get("portMappings")
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "worker-celery"
    assert {e["name"] for e in container["environment"]} == {e["name"] for e in web_container["environment"]} | {
        "WORKER_MARK"
    }
    assert cluster_tags(moto).get("fargate:worker:celery") == "deployed"
    assert f"{CELERY}" in " ".join(run.output.split())  # the summary names it
    # The secret values (the secret also holds names that are no secret, such as the instance id djangoapp-db).
    values = deployed.secret_values()
    for name in ("password", "django_secret_key"):
        assert values[name] not in run.output, f"the secret's {name} is in the output"


def test_a_second_full_site_run_changes_nothing(created):
    deployed = created[0]
    run = timed(run_playbook(deployed.moto, "site.yml", *workers_args(worker("celery", "v1"))), "noop_full_site")
    assert run.rc == 0, run.describe()
    assert run.recap["changed"] == 0, run.output[-4000:]
    assert run.writes == [], run.writes


def test_check_diff_changes_nothing(created):
    deployed = created[0]
    args = ["--check", "--diff", "--tags", "workers", *workers_args(worker("celery", "v1"))]
    run = timed(run_playbook(deployed.moto, "site.yml", *args), "check_diff")
    assert run.rc == 0, run.describe()
    assert run.recap["changed"] == 0, run.output[-4000:]
    assert run.writes == [], run.writes


def test_a_changed_worker_rolls_out_a_new_revision(changed):
    deployed, run, before = changed
    moto = deployed.moto
    svc = service(moto, CELERY)
    assert svc["taskDefinition"].rsplit("/", 1)[-1] == f"{CELERY}:2"
    rollouts = [(d["rolloutState"], d["runningCount"], d["taskDefinition"].split("/")[-1]) for d in svc["deployments"]]
    assert rollouts == [("COMPLETED", 1, f"{CELERY}:2")], svc["deployments"]
    (task,) = service_tasks(moto, CELERY)
    assert task["taskDefinitionArn"].endswith(f"{CELERY}:2") and task["lastStatus"] == "RUNNING", task
    assert log_lines(moto, task, "worker v2"), "the new revision's command printed nothing"
    # The old task was replaced by the scheduler.
    assert before and all(t["taskDefinitionArn"].endswith(f"{CELERY}:1") for t in before)
    ecs = moto.client("ecs")
    old = ecs.describe_tasks(cluster=STACK, tasks=[t["taskArn"] for t in before])["tasks"]
    assert [t["lastStatus"] for t in old] == ["STOPPED"] * len(before), old
    assert all(t.get("stopCode") == "ServiceSchedulerInitiated" for t in old), old


def test_an_unlisted_worker_is_removed(removed):
    deployed, run, before = removed
    moto = deployed.moto
    assert service(moto, CELERY).get("status", "INACTIVE") == "INACTIVE"
    ecs = moto.client("ecs")
    stopped = ecs.describe_tasks(cluster=STACK, tasks=[t["taskArn"] for t in before])["tasks"]
    assert before and [t["lastStatus"] for t in stopped] == ["STOPPED"] * len(before), stopped
    assert active_revisions(moto, CELERY) == []
    tags = cluster_tags(moto)
    assert "fargate:worker:celery" not in tags and tags.get("fargate:worker:rq") == "deployed", tags
    # The listed one is there (destroy.yml removes it in test_destroy.py).
    assert service(moto, RQ)["status"] == "ACTIVE"
    (task,) = service_tasks(moto, RQ)
    assert log_lines(moto, task, "worker r1"), "the rq worker's command printed nothing"
