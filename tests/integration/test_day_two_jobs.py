"""Scheduled jobs (ecs_jobs) on the session's deployed stack: `site.yml --tags jobs` with a job list.

One lifecycle, each step checked through the API (moto's EventBridge Scheduler, ECS, IAM): two schedules
created (job task definitions from the migration definition, the scheduler role allowed exactly RunTask on them
on this cluster and PassRole on the task roles), a second run and --check --diff change nothing, one schedule
changed (only it is updated), one removed (its schedule deleted, its definition deregistered), a bad value
refused before any AWS call, the empty list removing the rest (group, definitions, role) and then costing one
Scheduler call. Then the emulator runs a rate(1 minute) job for real. The module leaves two jobs deployed, so
test_destroy sees destroy.yml remove the schedules, their group, their definitions and the scheduler role.
"""

from __future__ import annotations

import json
import time

import pytest
from stack import STACK, run_playbook

pytestmark = [pytest.mark.moto, pytest.mark.docker]

NIGHTLY = {
    "name": "clearsessions",
    "schedule": "cron(0 3 * * ? *)",
    "command": ["python", "manage.py", "clearsessions"],
}
PING = {
    "name": "ping",
    "schedule": "rate(5 minutes)",
    "command": ["python", "manage.py", "check"],
    "memory": 1024,
    "environment": {"JOB_KIND": "ping"},
    "enabled": False,  # never fires while the test runs (the emulator runs due schedules)
}
# Fires every minute on the emulator: the last step's real run.
TICK = {"name": "tick", "schedule": "rate(1 minute)", "command": ["python", "manage.py", "check"]}


def jobs_args(tmp_path, jobs, *more):
    path = tmp_path / f"jobs-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps({"ecs_jobs_list": jobs}))
    return ("--tags", "jobs", "-e", f"@{path}", *more)


def flat(text: str) -> str:
    return " ".join(text.split())


def scheduler_writes(run) -> list[str]:
    return [w for w in run.writes if w.startswith("scheduler:")]


def schedules(moto) -> dict:
    client = moto.client("scheduler")
    names = [s["Name"] for s in client.list_schedules(GroupName=STACK)["Schedules"]]
    return {name: client.get_schedule(Name=name, GroupName=STACK) for name in names}


def test_schedules_created_no_op_changed_removed(deployed_stack, tmp_path):
    moto = deployed_stack.moto
    ecs, iam = moto.client("ecs"), moto.client("iam")

    # Created.
    run = run_playbook(moto, "site.yml", *jobs_args(tmp_path, [NIGHTLY, PING]))
    assert run.rc == 0, run.describe()
    found = schedules(moto)
    assert sorted(found) == ["clearsessions", "ping"]
    nightly = found["clearsessions"]
    assert nightly["ScheduleExpression"] == "cron(0 3 * * ? *)" and nightly["State"] == "ENABLED"
    assert found["ping"]["State"] == "DISABLED"
    target = nightly["Target"]
    cluster_arn = ecs.describe_clusters(clusters=[STACK])["clusters"][0]["clusterArn"]
    assert target["Arn"] == cluster_arn
    assert target["RoleArn"].endswith(f":role/{STACK}-scheduler")
    params = target["EcsParameters"]
    assert params["LaunchType"] == "FARGATE" and params["TaskDefinitionArn"].endswith(f"/{STACK}-job-clearsessions:1")
    service = ecs.describe_services(cluster=STACK, services=[f"{STACK}-web"])["services"][0]
    web_network = service["networkConfiguration"]["awsvpcConfiguration"]
    job_network = params["NetworkConfiguration"]["awsvpcConfiguration"]
    assert sorted(job_network["Subnets"]) == sorted(web_network["subnets"])
    assert job_network["SecurityGroups"] == web_network["securityGroups"]
    assert job_network["AssignPublicIp"] == web_network["assignPublicIp"]

    # The job definitions: the migration container's image, secrets and environment; the job's command and size.
    migrate = ecs.describe_task_definition(taskDefinition=f"{STACK}-migrate")["taskDefinition"]
    ping = ecs.describe_task_definition(taskDefinition=f"{STACK}-job-ping")["taskDefinition"]
    job, base = ping["containerDefinitions"][0], migrate["containerDefinitions"][0]
    assert job["command"] == PING["command"] and job["image"] == base["image"] and job["secrets"] == base["secrets"]
    assert {e["name"]: e["value"] for e in job["environment"]} == {
        **{e["name"]: e["value"] for e in base["environment"]},
        "JOB_KIND": "ping",
    }
    assert ping["memory"] == "1024" and ping["executionRoleArn"] == migrate["executionRoleArn"]
    assert job["logConfiguration"]["options"]["awslogs-stream-prefix"] == "job-ping"

    # The scheduler's role: only Scheduler of this account; RunTask on the job families on this cluster; PassRole.
    role = iam.get_role(RoleName=f"{STACK}-scheduler")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] == cluster_arn.split(":")[4]
    policy = iam.get_role_policy(RoleName=f"{STACK}-scheduler", PolicyName=f"{STACK}-scheduler")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    run_task, pass_role = policy["Statement"]
    prefix = cluster_arn.split(":cluster/")[0]
    assert run_task["Action"] == "ecs:RunTask"
    assert sorted(run_task["Resource"]) == [
        f"{prefix}:task-definition/{STACK}-job-clearsessions:*",
        f"{prefix}:task-definition/{STACK}-job-ping:*",
    ]
    assert run_task["Condition"] == {"ArnEquals": {"ecs:cluster": cluster_arn}}
    assert pass_role["Action"] == "iam:PassRole"
    assert sorted(pass_role["Resource"]) == sorted([migrate["executionRoleArn"], migrate["taskRoleArn"]])

    # No-op, and --check --diff changes nothing.
    again = run_playbook(moto, "site.yml", *jobs_args(tmp_path, [NIGHTLY, PING]))
    assert again.rc == 0 and again.recap["changed"] == 0, again.describe()
    assert again.writes == [], again.writes
    check = run_playbook(moto, "site.yml", *jobs_args(tmp_path, [NIGHTLY, PING], "--check", "--diff"))
    assert check.rc == 0 and check.recap["changed"] == 0, check.describe()
    assert check.writes == []

    # Changed: only that schedule is updated.
    moved = {**NIGHTLY, "schedule": "cron(30 4 * * ? *)"}
    changed = run_playbook(moto, "site.yml", *jobs_args(tmp_path, [moved, PING]))
    assert changed.rc == 0, changed.describe()
    assert scheduler_writes(changed) == ["scheduler:PUT /schedules/clearsessions"], changed.writes
    assert schedules(moto)["clearsessions"]["ScheduleExpression"] == "cron(30 4 * * ? *)"

    # Removed: the schedule goes, then its definition; the role's policy no longer names it.
    removed = run_playbook(moto, "site.yml", *jobs_args(tmp_path, [moved]))
    assert removed.rc == 0, removed.describe()
    assert sorted(schedules(moto)) == ["clearsessions"]
    assert scheduler_writes(removed) == ["scheduler:DELETE /schedules/ping"], removed.writes
    assert "ecs:DeregisterTaskDefinition" in removed.writes
    arns = ecs.list_task_definitions(familyPrefix=f"{STACK}-job-ping", status="ACTIVE")["taskDefinitionArns"]
    assert arns == []
    policy = iam.get_role_policy(RoleName=f"{STACK}-scheduler", PolicyName=f"{STACK}-scheduler")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    assert policy["Statement"][0]["Resource"] == [f"{prefix}:task-definition/{STACK}-job-clearsessions:*"]

    # A bad value: refused before any AWS call, naming the variable.
    bad = run_playbook(moto, "site.yml", *jobs_args(tmp_path, [{**moved, "schedule": "rate(1 minutes)"}]))
    assert bad.rc != 0 and "ecs_jobs_list[0] (clearsessions)" in flat(bad.failure), bad.describe()
    assert bad.calls == []

    # The cluster records the group: the only way a run with no job listed knows there is one to remove.
    assert tags_of_cluster(ecs).get("fargate:jobs") == STACK

    # No job left: the schedules, the group, the definitions, the role and the cluster's record go; then the default
    # costs no Scheduler call (the cluster's describe, which the other steps make anyway, shows no group).
    empty = run_playbook(moto, "site.yml", "--tags", "jobs")
    assert empty.rc == 0, empty.describe()
    assert "scheduler:DELETE /schedule-groups/djangoapp" in empty.writes, empty.writes
    assert moto.client("scheduler").list_schedule_groups(NamePrefix=STACK)["ScheduleGroups"] == []
    assert ecs.list_task_definitions(familyPrefix=f"{STACK}-job-", status="ACTIVE")["taskDefinitionArns"] == []
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] == f"{STACK}-scheduler"] == []
    none = run_playbook(moto, "site.yml", "--tags", "jobs")
    assert none.rc == 0 and none.recap["changed"] == 0, none.describe()
    assert "fargate:jobs" not in tags_of_cluster(ecs)
    assert [c for c in none.calls if c["service"] in ("iam", "scheduler")] == [], none.calls
    assert [c["action"] for c in none.calls if c["service"] == "ecs"] == ["DescribeClusters"], none.calls

    # Two jobs left deployed: the next test sees the tick run; test_destroy sees destroy.yml remove them.
    # (The nightly one disabled: the emulator would run it if the suite passed 03:00 UTC.)
    final = run_playbook(moto, "site.yml", *jobs_args(tmp_path, [{**NIGHTLY, "enabled": False}, TICK]))
    assert final.rc == 0 and sorted(schedules(moto)) == ["clearsessions", "tick"], final.describe()

    # status.yml lists them after the web service: one ListSchedules and one GetSchedule per job, and the workers
    # (test_day_two_background_workers leaves one) in the web service's DescribeServices call.
    status = run_playbook(moto, "status.yml")
    assert status.rc == 0 and status.writes == [], status.describe()
    text = flat(status.output)
    assert f"Jobs: schedule group {STACK}" in text, status.output[-3000:]
    assert f"clearsessions: cron(0 3 * * ? *) UTC DISABLED -> {STACK}-job-clearsessions:" in text
    assert f"tick: rate(1 minute) UTC ENABLED -> {STACK}-job-tick:" in text
    assert text.index(f"Service: {STACK}-web") < text.index("Jobs: schedule group")
    # Scheduler is a REST API: the request log names a call by method and path (ListSchedules, GetSchedule x2).
    scheduler_actions = sorted(c["action"] for c in status.calls if c["service"] == "scheduler")
    assert scheduler_actions == ["GET /schedules", "GET /schedules/clearsessions", "GET /schedules/tick"], status.calls
    assert [c["action"] for c in status.calls if c["service"] == "ecs"].count("DescribeServices") == 1


def tags_of_cluster(ecs) -> dict:
    cluster = ecs.describe_clusters(clusters=[STACK], include=["TAGS"])["clusters"][0]
    return {t["key"]: t["value"] for t in cluster.get("tags", [])}


def scheduled_tasks(ecs, name: str) -> list[dict]:
    arns = ecs.list_tasks(cluster=STACK, desiredStatus="RUNNING")["taskArns"]
    arns += ecs.list_tasks(cluster=STACK, desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=STACK, tasks=arns)["tasks"] if arns else []
    return sorted((t for t in tasks if t.get("startedBy") == f"scheduler/{STACK}/{name}"), key=lambda t: t["createdAt"])


def test_the_emulator_runs_a_rate_schedule(deployed_stack):
    """The tick job (rate(1 minute)) runs for real: a task of its definition, started by the schedule with the
    schedule's network, exits 0 with Django's output in its own log stream. Disabled once it has started, so it
    runs no more while later tests run."""
    moto = deployed_stack.moto
    ecs, scheduler, logs = moto.client("ecs"), moto.client("scheduler"), moto.client("logs")
    tick = scheduler.get_schedule(Name="tick", GroupName=STACK)
    deadline = time.monotonic() + 300  # one minute's wait, a container start, a heavily loaded machine
    while not scheduled_tasks(ecs, "tick") and time.monotonic() < deadline:
        time.sleep(5)
    update = {k: tick[k] for k in ("ScheduleExpression", "Target", "FlexibleTimeWindow")}
    scheduler.update_schedule(Name="tick", GroupName=STACK, State="DISABLED", **update)
    assert scheduled_tasks(ecs, "tick"), "the rate(1 minute) schedule started no task in 300 s"
    while scheduled_tasks(ecs, "tick")[0]["lastStatus"] != "STOPPED" and time.monotonic() < deadline + 300:
        time.sleep(5)
    task = scheduled_tasks(ecs, "tick")[0]
    assert task["lastStatus"] == "STOPPED", task
    assert task["taskDefinitionArn"] == tick["Target"]["EcsParameters"]["TaskDefinitionArn"]
    assert task["containers"][0]["exitCode"] == 0, task
    stream = f"job-tick/job/{task['taskArn'].split('/')[-1]}"
    events = logs.get_log_events(logGroupName=f"/ecs/{STACK}", logStreamName=stream)["events"]
    assert "System check identified" in " ".join(e["message"] for e in events), events
