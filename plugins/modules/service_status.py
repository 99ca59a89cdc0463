#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: service_status
short_description: Report what an ECS service runs - deployments, target health, events, logs, revisions
version_added: 0.1.0
description:
  - Reads, and never changes, an ECS service and what surrounds it, and returns it as data and as printable
    lines (RV(lines)).
  - The service's desired, running and pending counts; every deployment (the C(PRIMARY) one first) with its task
    definition C(family:revision), images, C(rolloutState) and reason; the health of each registered target with
    AWS's reason; the newest service events; the last log lines of the newest tasks; the app URL; the migration
    record (the cluster tag C(fargate:migrated)); the C(ACTIVE) revisions of the web task definition family and
    the one a rollback would go back to.
  - After the web service, each worker service the cluster records (tags C(fargate:worker:<name>), service
    C(<stack>-worker-<name>)) with its status, counts, task definition and rollout state, read in the web service's
    DescribeServices call (up to 10 services a call); and each scheduled job of the schedule group the cluster
    records (tag C(fargate:jobs)) with its schedule expression, state and target task definition. A cluster with
    neither tag costs no extra call, and no Scheduler call at all.
  - A missing (or C(INACTIVE)) cluster or service is not an error; RV(exists) is V(false) and RV(message) says
    what is missing.
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  cluster:
    description:
      - Name or ARN of the ECS cluster.
    type: str
    required: true
    version_added: 0.1.0
  service:
    description:
      - Name or ARN of the ECS service.
    type: str
    required: true
    version_added: 0.1.0
  events:
    description:
      - How many of the newest service events to return (0 to 100).
    type: int
    default: 10
    version_added: 0.1.0
  log_tasks:
    description:
      - Of how many tasks (the newest running ones, then the newest stopped ones) to read the log (0 to 10).
    type: int
    default: 2
    version_added: 0.1.0
  log_lines:
    description:
      - How many of the last lines of each of those tasks' logs to return (0 to 1000).
    type: int
    default: 20
    version_added: 0.1.0
  app_url:
    description:
      - The app's URL, shown as is. When unset, C(http://) and the DNS name of the service's load balancer.
    type: str
    version_added: 0.1.0
  migrated_tag:
    description:
      - The cluster tag that records the last migration that succeeded.
    type: str
    default: fargate:migrated
    version_added: 0.1.0
  worker_service_prefix:
    description:
      - The worker service of the recorded worker C(<name>) is this prefix followed by C(<name>).
      - When unset, the cluster name followed by C(-worker-) (the stack name is the cluster name by default).
    type: str
    version_added: 0.2.0
  worker_tag_prefix:
    description:
      - The cluster tags whose key starts with this prefix record the deployed workers (the rest of the key is the
        worker's name).
    type: str
    default: "fargate:worker:"
    version_added: 0.2.0
  jobs_tag:
    description:
      - The cluster tag whose value is the EventBridge Scheduler schedule group of the scheduled jobs.
    type: str
    default: fargate:jobs
    version_added: 0.2.0
notes:
  - Calls ecs:DescribeClusters, ecs:DescribeServices, ecs:DescribeTaskDefinition, ecs:ListTaskDefinitions,
    ecs:ListTasks, ecs:DescribeTasks, elasticloadbalancing:DescribeTargetHealth,
    elasticloadbalancing:DescribeTargetGroups, elasticloadbalancing:DescribeLoadBalancers, logs:GetLogEvents and,
    when the cluster records jobs, scheduler:ListSchedules and scheduler:GetSchedule.
  - Calls for the workers and jobs - none without the tags; the workers share the web service's
    DescribeServices call (one more per 10 services beyond the first 10); the jobs cost one ListSchedules per
    page of up to 100 schedules and one GetSchedule per schedule (Scheduler has no batch read).
  - Supports check mode (it changes nothing in any mode).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the web service's status
  django_ecs.fargate.service_status:
    cluster: djangoapp
    service: djangoapp-web
    log_lines: 20
  register: status

- name: Show it
  ansible.builtin.debug:
    msg: "{{ status.lines | join('\n') }}"
"""

RETURN = r"""
exists:
  description: Whether the cluster and the service exist and are C(ACTIVE).
  returned: always
  type: bool
  sample: true
message:
  description: One line about the service (or what is missing).
  returned: always
  type: str
  sample: "service djangoapp-web ACTIVE: desired 2, running 2, pending 0"
lines:
  description: The whole report as printable lines.
  returned: always
  type: list
  elements: str
service:
  description: Name, status, counts, launch type and task definition (C(family:revision)) of the service.
  returned: when the service exists
  type: dict
deployments:
  description:
    - Every deployment, C(PRIMARY) first; each with status, task_definition (C(family:revision)), images,
      desired/running/pending/failed counts, rollout_state and rollout_state_reason.
  returned: when the service exists
  type: list
  elements: dict
targets:
  description: Each registered target (target group, id, port, state, reason, description).
  returned: when the service exists
  type: list
  elements: dict
events:
  description: The newest service events, newest first, as C(<time> <message>).
  returned: when the service exists
  type: list
  elements: str
tasks:
  description: The tasks whose logs were read (task_id, task_definition, last_status, started_at, stopped_reason,
    container, log_lines, log_message).
  returned: when the service exists
  type: list
  elements: dict
app_url:
  description: The app URL (O(app_url), else from the load balancer's DNS name), null when unknown.
  returned: when the service exists
  type: str
migrated:
  description: The value of the cluster's O(migrated_tag) tag, null when none.
  returned: when the cluster exists
  type: str
  sample: djangoapp-migrate:3
active_revisions:
  description: The C(ACTIVE) revisions of the PRIMARY deployment's task definition family, newest first.
  returned: when the service exists
  type: list
  elements: str
  sample: [djangoapp-web:5, djangoapp-web:4]
rollback_target:
  description: The newest C(ACTIVE) revision older than the PRIMARY deployment's, null when there is none.
  returned: when the service exists
  type: str
  sample: djangoapp-web:4
workers:
  description:
    - Each worker service the cluster records, by name; with name (the worker's), service (the ECS service's name),
      exists (false when the service is missing or not C(ACTIVE)), status (C(ACTIVE), C(DRAINING), C(INACTIVE), or
      C(MISSING) when DescribeServices does not know it), desired, running and pending counts, task_definition
      (C(family:revision)) and the PRIMARY deployment's rollout_state and rollout_state_reason.
  returned: when the cluster exists
  type: list
  elements: dict
  sample:
    - name: celery
      service: djangoapp-worker-celery
      exists: true
      status: ACTIVE
      desired: 1
      running: 1
      pending: 0
      task_definition: djangoapp-worker-celery:3
      rollout_state: COMPLETED
      rollout_state_reason: ECS deployment ecs-svc/123 completed.
jobs_group:
  description: The schedule group the cluster records (O(jobs_tag)), null when none.
  returned: when the cluster exists
  type: str
  sample: djangoapp
jobs:
  description:
    - Each schedule of RV(jobs_group), by name; with name, schedule_expression, timezone, state (C(ENABLED) or
      C(DISABLED)) and task_definition (C(family:revision) of the target's task definition, null when the target is
      not an ECS task).
  returned: when the cluster exists
  type: list
  elements: dict
  sample:
    - name: clearsessions
      schedule_expression: cron(0 3 * * ? *)
      timezone: UTC
      state: ENABLED
      task_definition: djangoapp-job-clearsessions:2
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_rollout import (
    recent_events,
    task_definition_ref,
)
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_task_logs import container_logs
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_task_wait import (
    essential_containers,
    iso_time,
    task_id,
)

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", required=True),
    service=dict(type="str", required=True),
    events=dict(type="int", default=10),
    log_tasks=dict(type="int", default=2),
    log_lines=dict(type="int", default=20),
    app_url=dict(type="str"),
    migrated_tag=dict(type="str", default="fargate:migrated"),
    worker_service_prefix=dict(type="str"),
    worker_tag_prefix=dict(type="str", default="fargate:worker:"),
    jobs_tag=dict(type="str", default="fargate:jobs"),
)

# DescribeServices takes at most 10 services a call.
SERVICES_PER_CALL = 10

LIMITS = {"events": 100, "log_tasks": 10, "log_lines": 1000}


def validate_params(params):
    return [
        f"{name} must be 0 to {limit} (got {params[name]})"
        for name, limit in LIMITS.items()
        if not 0 <= params[name] <= limit
    ]


def family_revision(arn):
    """``family:revision`` of a task definition ARN, and its (family, revision as int)."""
    ref = task_definition_ref(arn) or ""
    family, dummy, revision = ref.rpartition(":")
    return ref, family, int(revision) if revision.isdigit() else None


def order_deployments(deployments):
    """PRIMARY first, then the others newest first (as ECS lists them)."""
    deployments = list(deployments or [])
    return [d for d in deployments if d.get("status") == "PRIMARY"] + [
        d for d in deployments if d.get("status") != "PRIMARY"
    ]


def rollback_target(active_revisions, current):
    """The newest of ``active_revisions`` (``family:N`` strings) older than ``current`` (``family:N``)."""
    family, number = family_revision(current)[1:]
    if number is None:
        return None
    older = [
        (rev, ref)
        for ref, fam, rev in (family_revision(r) for r in active_revisions)
        if fam == family and rev is not None and rev < number
    ]
    return max(older)[1] if older else None


class StatusReader:
    """Reads the service and its surroundings through the given clients; every call is a read."""

    def __init__(self, params, ecs, elbv2, logs_client_for, scheduler_client):
        self.params = params
        self.ecs = ecs
        self.elbv2 = elbv2
        self.logs_client_for = logs_client_for
        self.scheduler_client = scheduler_client
        self.definitions = {}
        self.step = "starting"

    def definition(self, arn):
        if arn not in self.definitions:
            self.step = f"describing task definition {arn}"
            try:
                found = self.ecs.describe_task_definition(aws_retry=True, taskDefinition=arn)["taskDefinition"]
            except botocore.exceptions.ClientError as e:
                # A revision deleted while a deployment still names it (AWS keeps it DELETE_IN_PROGRESS until then,
                # moto drops it at once) answers ClientException: the report goes on without its images and logs.
                if e.response.get("Error", {}).get("Code") != "ClientException":
                    raise
                found = {}
            self.definitions[arn] = found
        return self.definitions[arn]

    def read(self):
        params = self.params
        cluster_name, service_name = params["cluster"], params["service"]
        self.step = f"describing cluster {cluster_name}"
        clusters = self.ecs.describe_clusters(aws_retry=True, clusters=[cluster_name], include=["TAGS"])
        cluster = next(iter(clusters.get("clusters") or []), None)
        if not cluster or cluster.get("status") != "ACTIVE":
            state = "does not exist" if not cluster else f"is {cluster.get('status')}"
            return missing(f"cluster {cluster_name} {state}")
        tags = {t.get("key"): t.get("value") for t in cluster.get("tags") or []}
        migrated = tags.get(params["migrated_tag"])
        prefix = params["worker_service_prefix"]
        if prefix is None:
            prefix = f"{cluster.get('clusterName') or cluster_name}-worker-"
        worker_names = recorded_workers(tags, params["worker_tag_prefix"])
        jobs_group = tags.get(params["jobs_tag"]) or None

        # The web service and the workers, in as few DescribeServices calls as AWS allows.
        self.step = f"describing service {service_name}"
        try:
            found, failures = self.describe_services(cluster_name, [service_name] + [prefix + n for n in worker_names])
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ClusterNotFoundException":
                return missing(f"cluster {cluster_name} does not exist")
            raise
        service = found.get(short_name(service_name))
        workers = [worker_entry(n, prefix + n, found.get(prefix + n), failures.get(prefix + n)) for n in worker_names]
        jobs = self.jobs(jobs_group) if jobs_group else []
        extra = {"workers": workers, "jobs_group": jobs_group, "jobs": jobs}
        if not service or service.get("status") != "ACTIVE":
            state = "does not exist" if not service else f"is {service.get('status')}"
            result = missing(f"service {service_name} {state} on cluster {cluster_name}")
            result.update(extra, migrated=migrated)
            result["lines"].extend(background_lines(result))
            return result

        deployments = [self.deployment(d) for d in order_deployments(service.get("deployments"))]
        # The service's task definition is the PRIMARY deployment's (moto may not update its deployments).
        current = task_definition_ref(service.get("taskDefinition")) or (
            deployments[0]["task_definition"] if deployments else None
        )
        active = self.active_revisions(family_revision(current)[1]) if current else []
        targets, lb_arns = self.targets(service.get("loadBalancers") or [])
        app_url = params.get("app_url") or self.lb_url(lb_arns)
        result = {
            "exists": True,
            "service": {
                "name": service.get("serviceName"),
                "status": service.get("status"),
                "desired": service.get("desiredCount", 0),
                "running": service.get("runningCount", 0),
                "pending": service.get("pendingCount", 0),
                "launch_type": service.get("launchType"),
                "task_definition": task_definition_ref(service.get("taskDefinition")),
            },
            "deployments": deployments,
            "targets": targets,
            "events": recent_events(service, params["events"]),
            "tasks": self.tasks(cluster_name, service_name),
            "app_url": app_url,
            "migrated": migrated,
            "active_revisions": active,
            "rollback_target": rollback_target(active, current),
            **extra,
        }
        s = result["service"]
        result["message"] = (
            f"service {s['name']} {s['status']} on cluster {cluster_name}: desired {s['desired']},"
            f" running {s['running']}, pending {s['pending']}"
        )
        result["lines"] = report_lines(result, events_read=params["events"] > 0)
        return result

    def describe_services(self, cluster_name, names):
        """{service name: service} and {service name: failure reason} of ``names``, 10 a call."""
        found, failures = {}, {}
        for start in range(0, len(names), SERVICES_PER_CALL):
            batch = names[start : start + SERVICES_PER_CALL]
            answer = self.ecs.describe_services(aws_retry=True, cluster=cluster_name, services=batch)
            # AWS does not promise the order of its answer: match by name.
            for svc in answer.get("services") or []:
                found[svc.get("serviceName")] = svc
            for failure in answer.get("failures") or []:
                failures[short_name(failure.get("arn") or "")] = failure.get("reason")
        return found, failures

    def jobs(self, group):
        """Every schedule of ``group``: one ListSchedules a page, then one GetSchedule each (no batch read)."""
        scheduler = self.scheduler_client()
        names, token = [], None
        try:
            while True:
                self.step = f"listing the schedules of group {group}"
                page = scheduler.list_schedules(
                    aws_retry=True, GroupName=group, **({"NextToken": token} if token else {})
                )
                names.extend(s["Name"] for s in page.get("Schedules") or [])
                token = page.get("NextToken")
                if not token:
                    break
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return []
            raise
        out = []
        for name in sorted(names):
            self.step = f"reading schedule {name} of group {group}"
            try:
                schedule = scheduler.get_schedule(aws_retry=True, Name=name, GroupName=group)
            except botocore.exceptions.ClientError as e:
                if e.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    continue  # deleted since it was listed
                raise
            ecs_target = (schedule.get("Target") or {}).get("EcsParameters") or {}
            out.append(
                {
                    "name": schedule.get("Name") or name,
                    "schedule_expression": schedule.get("ScheduleExpression"),
                    "timezone": schedule.get("ScheduleExpressionTimezone"),
                    "state": schedule.get("State"),
                    "task_definition": task_definition_ref(ecs_target.get("TaskDefinitionArn")),
                }
            )
        return out

    def deployment(self, d):
        ref = task_definition_ref(d.get("taskDefinition"))
        images = [c.get("image") for c in self.definition(d["taskDefinition"]).get("containerDefinitions") or []]
        return {
            "id": d.get("id"),
            "status": d.get("status"),
            "task_definition": ref,
            "images": images,
            "desired": d.get("desiredCount", 0),
            "running": d.get("runningCount", 0),
            "pending": d.get("pendingCount", 0),
            "failed_tasks": d.get("failedTasks", 0),
            "rollout_state": d.get("rolloutState"),
            "rollout_state_reason": d.get("rolloutStateReason"),
            "created_at": iso_time(d.get("createdAt")),
            "updated_at": iso_time(d.get("updatedAt")),
        }

    def active_revisions(self, family):
        self.step = f"listing the ACTIVE revisions of {family}"
        arns = []
        paginator = self.ecs.get_paginator("list_task_definitions")
        for page in paginator.paginate(familyPrefix=family, status="ACTIVE", sort="DESC"):
            arns.extend(page.get("taskDefinitionArns") or [])
        # familyPrefix is a prefix: djangoapp-web also lists djangoapp-web2. Keep the family's own, newest first.
        refs = [family_revision(a) for a in arns]
        mine = sorted((r for r in refs if r[1] == family and r[2] is not None), key=lambda r: -r[2])
        return [r[0] for r in mine]

    def targets(self, load_balancers):
        out, lb_arns = [], []
        for lb in load_balancers:
            tg = lb.get("targetGroupArn")
            if not tg:
                continue
            self.step = f"reading the health of target group {tg}"
            health = self.elbv2.describe_target_health(aws_retry=True, TargetGroupArn=tg)
            name = tg.split(":")[-1].split("/")[1] if "/" in tg else tg
            for item in health.get("TargetHealthDescriptions") or []:
                target = item.get("Target") or {}
                state = item.get("TargetHealth") or {}
                out.append(
                    {
                        "target_group": name,
                        "id": target.get("Id"),
                        "port": target.get("Port"),
                        "state": state.get("State"),
                        "reason": state.get("Reason"),
                        "description": state.get("Description"),
                    }
                )
            self.step = f"describing target group {tg}"
            groups = self.elbv2.describe_target_groups(aws_retry=True, TargetGroupArns=[tg])
            for group in groups.get("TargetGroups") or []:
                lb_arns.extend(a for a in group.get("LoadBalancerArns") or [] if a not in lb_arns)
        return out, lb_arns

    def lb_url(self, lb_arns):
        if not lb_arns:
            return None
        self.step = "describing the load balancer"
        found = self.elbv2.describe_load_balancers(aws_retry=True, LoadBalancerArns=lb_arns[:1])
        dns = next((lb.get("DNSName") for lb in found.get("LoadBalancers") or []), None)
        return f"http://{dns}" if dns else None

    def tasks(self, cluster_name, service_name):
        wanted = self.params["log_tasks"]
        if wanted == 0:
            return []
        found = []
        for desired in ("RUNNING", "STOPPED"):
            if len(found) >= wanted:
                break
            self.step = f"listing the {desired} tasks of {service_name}"
            arns = (
                self.ecs.list_tasks(
                    aws_retry=True, cluster=cluster_name, serviceName=service_name, desiredStatus=desired
                ).get("taskArns")
                or []
            )
            if not arns:
                continue
            self.step = f"describing the {desired} tasks of {service_name}"
            described = self.ecs.describe_tasks(aws_retry=True, cluster=cluster_name, tasks=arns[:100])
            tasks = sorted(
                described.get("tasks") or [],
                key=lambda t: iso_time(t.get("startedAt") or t.get("createdAt")) or "",
                reverse=True,
            )
            found.extend(tasks[: wanted - len(found)])
        return [self.task_logs(task) for task in found]

    def task_logs(self, task):
        definition = self.definition(task["taskDefinitionArn"])
        names = essential_containers(definition) or [
            c.get("name") for c in definition.get("containerDefinitions") or []
        ]
        container = names[0] if names else None
        entry = {
            "task_id": task_id(task["taskArn"]),
            "task_definition": task_definition_ref(task["taskDefinitionArn"]),
            "last_status": task.get("lastStatus"),
            "started_at": iso_time(task.get("startedAt")),
            "stopped_reason": task.get("stoppedReason"),
            "container": container,
            "log_lines": [],
            "log_message": None,
        }
        if container:
            self.step = f"reading the log of task {entry['task_id']}"
            logs = container_logs(
                self.logs_client_for, definition, container, task["taskArn"], self.params["log_lines"]
            )
            entry["log_lines"] = logs["lines"]
            entry["log_message"] = logs["message"]
        return entry


def short_name(name_or_arn):
    """The name of a service given by name or ARN (``.../service/<cluster>/<name>`` or ``.../service/<name>``)."""
    return name_or_arn.rsplit("/", 1)[-1]


def recorded_workers(tags, tag_prefix):
    """The worker names the cluster tags record (``<tag_prefix><name>``), sorted."""
    return sorted(k[len(tag_prefix) :] for k in tags if k.startswith(tag_prefix) and len(k) > len(tag_prefix))


def worker_entry(name, service_name, service, failure):
    """One worker: its service's status, counts, task definition and the PRIMARY deployment's rollout state."""
    if not service:
        return {
            "name": name,
            "service": service_name,
            "exists": False,
            "status": failure or "MISSING",
            "desired": 0,
            "running": 0,
            "pending": 0,
            "task_definition": None,
            "rollout_state": None,
            "rollout_state_reason": None,
        }
    primary = next(iter(order_deployments(service.get("deployments"))), {})
    return {
        "name": name,
        "service": service_name,
        "exists": service.get("status") == "ACTIVE",
        "status": service.get("status"),
        "desired": service.get("desiredCount", 0),
        "running": service.get("runningCount", 0),
        "pending": service.get("pendingCount", 0),
        "task_definition": task_definition_ref(service.get("taskDefinition") or primary.get("taskDefinition")),
        "rollout_state": primary.get("rolloutState"),
        "rollout_state_reason": primary.get("rolloutStateReason"),
    }


def background_lines(r):
    """The workers' and the jobs' lines (none when the cluster records neither)."""
    lines = []
    if r["workers"]:
        lines.append("Workers:")
    for w in r["workers"]:
        if not w["exists"]:
            lines.append(f"  {w['name']}: {w['service']} {w['status']} (recorded on the cluster; run site.yml)")
            continue
        reason = f" - {w['rollout_state_reason']}" if w["rollout_state_reason"] else ""
        lines.append(
            f"  {w['name']}: {w['service']} ({w['status']}) {w['task_definition']} rollout {w['rollout_state'] or '-'}"
            f"{reason}; desired {w['desired']}, running {w['running']}, pending {w['pending']}"
        )
    if r["jobs_group"]:
        lines.append(f"Jobs:       schedule group {r['jobs_group']}" + ("" if r["jobs"] else " (no schedule)"))
    for j in r["jobs"]:
        zone = f" {j['timezone']}" if j["timezone"] else ""
        lines.append(f"  {j['name']}: {j['schedule_expression']}{zone} {j['state']} -> {j['task_definition'] or '-'}")
    return lines


def missing(what):
    message = f"Nothing to show: {what}; run site.yml to deploy the stack"
    # Two lines, so the playbook prints a block the YAML callback does not wrap.
    return {
        "exists": False,
        "message": message,
        "lines": [f"Nothing to show: {what}.", "Run site.yml to deploy the stack."],
        "migrated": None,
    }


def report_lines(r, events_read=True):
    """``events_read``: False when the caller asked for no events (events=0), so none is said to be missing."""
    s = r["service"]
    lines = [
        f"Service:    {s['name']} ({s['status']}) desired {s['desired']}, running {s['running']},"
        f" pending {s['pending']}",
        f"App URL:    {r['app_url'] or '(no load balancer)'}",
        f"Migration:  {r['migrated'] or '(no migration recorded on the cluster)'}",
        "Deployments:",
    ]
    for d in r["deployments"]:
        reason = f" - {d['rollout_state_reason']}" if d["rollout_state_reason"] else ""
        lines.append(
            f"  {d['status']} {d['task_definition']} rollout {d['rollout_state'] or '-'}{reason};"
            f" desired {d['desired']}, running {d['running']}, pending {d['pending']}, failed {d['failed_tasks']}"
        )
        lines.extend(f"    image {image}" for image in d["images"])
    lines.append("Targets:" if r["targets"] else "Targets:    (none registered)")
    for t in r["targets"]:
        why = " - ".join(x for x in (t["reason"], t["description"]) if x)
        lines.append(f"  {t['id']}:{t['port']} {t['state']}" + (f" ({why})" if why else ""))
    family = (s["task_definition"] or "").rpartition(":")[0] or s["name"]
    revisions = ", ".join(r["active_revisions"]) or "none"
    target = (
        f"rollback.yml would go back to {r['rollback_target']}"
        if r["rollback_target"]
        else f"no earlier ACTIVE revision of {family} for rollback.yml to go back to"
    )
    lines.append(f"Revisions:  ACTIVE {revisions}; {target}")
    if r["events"]:
        lines.append("Events (newest first):")
    elif events_read:
        lines.append("Events:     no service events")
    lines.extend(f"  {e}" for e in r["events"])
    for t in r["tasks"]:
        stopped = f", stopped: {t['stopped_reason']}" if t["stopped_reason"] else ""
        lines.append(f"Task {t['task_id']} ({t['task_definition']}, {t['last_status']}{stopped}) {t['container']} log:")
        if t["log_message"]:
            lines.append(f"  ({t['log_message']})")
        lines.extend(f"  {line}" for line in t["log_lines"])
    lines.extend(background_lines(r))
    return lines


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    errors = validate_params(module.params)
    if errors:
        module.fail_json(msg="Invalid options: " + "; ".join(errors), errors=errors)
    ecs = module.client("ecs", retry_decorator=retry_for("ecs"))
    elbv2 = module.client("elbv2", retry_decorator=retry_for("elbv2"))

    def logs_client_for(region):
        extra = {"region": region} if region and region != module.region else {}
        return module.client("logs", retry_decorator=retry_for("logs"), **extra)

    def scheduler_client():
        return module.client("scheduler", retry_decorator=retry_for("scheduler"))

    reader = StatusReader(module.params, ecs, elbv2, logs_client_for, scheduler_client)
    try:
        result = reader.read()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed while {reader.step}")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
