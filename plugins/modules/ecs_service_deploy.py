#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_service_deploy
short_description: Create, update, scale or delete a Fargate ECS service and wait for it
version_added: 0.1.0
description:
  - With O(state=present) (the default) it deploys the service as described below.
  - With O(state=scaled) it changes only the desired count of an existing service. It makes one
    C(DescribeServices), then C(UpdateService) with nothing but C(desiredCount) when the count differs (no task
    definition or deployment configuration is sent back, so nothing else can change). It returns the count it found
    (RV(previous_desired_count)) so a later task can restore it. With O(wait=true) it waits until the service runs
    exactly O(desired_count) tasks and starts none (for 0, until every task stopped). A missing, C(DRAINING) or
    C(INACTIVE) service fails, unless O(ignore_missing=true).
  - With O(state=absent) it deletes the service with C(DeleteService) and C(force=true) (ECS scales it to 0 and
    stops its tasks, so no scale-down is needed first). With O(wait=true) it waits until the service is
    C(INACTIVE) or gone. A missing or C(INACTIVE) service (or a missing cluster) is no change, after one
    C(DescribeServices); a C(DRAINING) one is no change either, and is awaited with O(wait=true).
  - Creates the service, or compares every managed setting with C(DescribeServices) and calls
    C(UpdateService) with only what differs. A no-op run makes one API call.
  - Managed settings are the task definition (compared as C(family:revision)), desired count, subnets,
    security groups, public IP, load balancer, health check grace period, deployment circuit breaker,
    minimum/maximum healthy percent, platform version, tag propagation, ECS Exec and tags.
  - When it changed something and O(wait=true), waits until the PRIMARY deployment's C(rolloutState) is
    C(COMPLETED) with every task running, and fails with C(rolloutStateReason) and the last service events
    when the rollout FAILED, when the circuit breaker rolled it back (the PRIMARY deployment runs another
    task definition), or when O(wait_timeout) passes. C(services_stable) alone would accept a rollback.
  - Emulators (moto) never finish a deployment; set O(wait=false) there. The result then says the rollout
    was not awaited, and the waiting logic is covered by unit tests on stubbed clients.
  - Some emulators drop C(healthCheckGracePeriodSeconds) and C(deploymentConfiguration) on C(CreateService);
    the module compares the creation response with the request and fixes what was dropped with one
    C(UpdateService), so a second run reports no change. On AWS the response matches and no extra call is made.
  - With O(create_cluster=true) the cluster is ensured too (C(DescribeClusters) with settings; created or its
    Container Insights setting updated). Omit O(name) to ensure only the cluster.
  - Validates its options before any AWS call.
  - ECS throttling (C(ThrottlingException)) and ECS server errors (C(ServerException)) are retried with
    jittered exponential backoff.
  - Before it creates the cluster, it ensures the ECS service-linked role (C(CreateServiceLinkedRole) for
    C(ecs.amazonaws.com)). On a fresh account AWS creates that role only with the first cluster, and services and
    tasks are refused until IAM has it. An existing role (C(InvalidInput) "has been taken", C(EntityAlreadyExists))
    is success; without the permission (C(AccessDenied)) the module warns and goes on. Nothing is called when the
    cluster exists. RV(service_linked_role) says what happened.
  - When CreateService or UpdateService answers C(InvalidParameterException) because IAM has not caught up yet
    ("Unable to assume the service linked role" on an account whose first ECS cluster was just created, or "ECS was
    unable to assume the role"), the call is retried with backoff for up to 3 minutes; the module then warns that
    it waited for IAM and returns the wait in RV(iam_wait_seconds).
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  cluster:
    description: Cluster name.
    type: str
    required: true
    version_added: 0.1.0
  create_cluster:
    description: Ensure the cluster exists (create it when missing) with O(container_insights).
    type: bool
    default: false
    version_added: 0.1.0
  container_insights:
    description: Container Insights setting of the cluster (only with O(create_cluster=true)); omit to leave it alone.
    type: str
    choices: [enabled, disabled, enhanced]
    version_added: 0.1.0
  state:
    description:
      - V(present) creates or updates the service (or, without O(name), only the cluster).
      - V(scaled) sets only the desired count of an existing service (O(name) and O(desired_count) required).
      - V(absent) deletes the service (O(name) required).
      - With V(scaled) and V(absent), the options that describe the service (O(task_definition), O(subnets),
        O(security_groups), O(tags), O(create_cluster), O(force_new_deployment)) are refused.
    type: str
    choices: [present, scaled, absent]
    default: present
    version_added: 0.2.0
  ignore_missing:
    description:
      - With O(state=scaled), a missing, C(DRAINING) or C(INACTIVE) service (or a missing cluster) is no error; the
        module changes nothing and returns RV(previous_desired_count) null (e.g. a migration before the first
        deploy). Only with O(state=scaled).
    type: bool
    default: false
    version_added: 0.2.0
  name:
    description: Service name. Omit to ensure only the cluster (O(state=present)).
    type: str
    version_added: 0.1.0
  task_definition:
    description: Task definition as C(family:revision) (or its ARN). Required with O(name) and O(state=present).
    type: str
    version_added: 0.1.0
  desired_count:
    description:
      - Number of tasks. With O(state=present), 1 when omitted. Required with O(state=scaled).
    type: int
    version_added: 0.1.0
  manage_desired_count:
    description: Compare O(desired_count) on existing services. Set V(false) when autoscaling owns the count.
    type: bool
    default: true
    version_added: 0.1.0
  subnets:
    description: Subnet ids of the tasks (1-16). Required with O(name) and O(state=present).
    type: list
    elements: str
    version_added: 0.1.0
  security_groups:
    description: Security group ids of the tasks (1-5). Required with O(name) and O(state=present).
    type: list
    elements: str
    version_added: 0.1.0
  assign_public_ip:
    description: Give tasks a public IP (public subnets without NAT need it to pull images).
    type: bool
    default: false
    version_added: 0.1.0
  load_balancers:
    description: Target groups the service registers its tasks with.
    type: list
    elements: dict
    default: []
    version_added: 0.1.0
    suboptions:
      target_group_arn:
        description: Target group ARN.
        type: str
        required: true
      container_name:
        description: Container receiving the traffic.
        type: str
        required: true
      container_port:
        description: Its port.
        type: int
        required: true
  health_check_grace_period_seconds:
    description: Seconds the scheduler ignores failing load balancer health checks after a task starts.
    type: int
    default: 0
    version_added: 0.1.0
  circuit_breaker:
    description: Enable the deployment circuit breaker.
    type: bool
    default: true
    version_added: 0.1.0
  circuit_breaker_rollback:
    description: Roll back to the last completed deployment when the circuit breaker trips.
    type: bool
    default: true
    version_added: 0.1.0
  minimum_healthy_percent:
    description: Lower bound of running tasks during a deployment, in percent of the desired count (0-100).
    type: int
    default: 100
    version_added: 0.1.0
  maximum_percent:
    description: Upper bound of running tasks during a deployment (100-200, above O(minimum_healthy_percent)).
    type: int
    default: 200
    version_added: 0.1.0
  platform_version:
    description: Fargate platform version.
    type: str
    default: LATEST
    version_added: 0.1.0
  propagate_tags:
    description: Copy tags to tasks from the service or the task definition.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: SERVICE
    version_added: 0.1.0
  enable_execute_command:
    description: Allow ECS Exec into the tasks.
    type: bool
    default: false
    version_added: 0.1.0
  force_new_deployment:
    description: Start a new deployment even when nothing changed (always reports a change).
    type: bool
    default: false
    version_added: 0.1.0
  tags:
    description: Tags of the service (and of a created cluster).
    type: dict
    aliases: [resource_tags]
    version_added: 0.1.0
  purge_tags:
    description: Remove service tags not in O(tags).
    type: bool
    default: true
    version_added: 0.1.0
  wait:
    description:
      - With O(state=present), after a change, wait for the rollout (PRIMARY deployment COMPLETED, every task running).
      - With O(state=scaled), wait until the service runs exactly O(desired_count) tasks and starts none (also when
        the count was already right but tasks were still stopping).
      - With O(state=absent), wait until the service is C(INACTIVE) or gone (every task stopped).
      - Not in check mode. Polls C(DescribeServices) every 5 s, backing off to 15 s.
    type: bool
    default: true
    version_added: 0.1.0
  wait_timeout:
    description: Seconds to wait for the rollout, the scale or the deletion.
    type: int
    default: 900
    version_added: 0.1.0
  failure_events:
    description: How many of the newest service events to report when the rollout (or a scale or deletion wait) fails.
    type: int
    default: 10
    version_added: 0.1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the cluster with Container Insights
  django_ecs.fargate.ecs_service_deploy:
    cluster: djangoapp
    create_cluster: true
    container_insights: enabled

- name: Deploy the web service and wait for the rollout
  django_ecs.fargate.ecs_service_deploy:
    cluster: djangoapp
    name: djangoapp-web
    task_definition: djangoapp-web:4
    desired_count: 2
    subnets: [subnet-0123, subnet-4567]
    security_groups: [sg-0123]
    assign_public_ip: true
    load_balancers:
      - target_group_arn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/djangoapp-web/0123
        container_name: web
        container_port: 8000
    health_check_grace_period_seconds: 60
    wait: true

- name: Scale the web service to 0 (only its desired count changes) and wait for its tasks to stop
  django_ecs.fargate.ecs_service_deploy:
    state: scaled
    cluster: djangoapp
    name: djangoapp-web
    desired_count: 0
    ignore_missing: true  # no service yet (first deploy): nothing to scale
    wait: true
    wait_timeout: 600
  register: scaled_down

- name: Scale it back to the count it had
  django_ecs.fargate.ecs_service_deploy:
    state: scaled
    cluster: djangoapp
    name: djangoapp-web
    desired_count: "{{ scaled_down.previous_desired_count }}"
    wait: false
  when: scaled_down.previous_desired_count is not none

- name: Delete a worker service and wait until it is INACTIVE
  django_ecs.fargate.ecs_service_deploy:
    state: absent
    cluster: djangoapp
    name: djangoapp-worker-celery
    wait: true
    wait_timeout: 900
"""

RETURN = r"""
cluster:
  description: Cluster name.
  returned: always
  type: str
cluster_tags:
  description: The cluster's tags (C(ACTIVE) clusters only), e.g. the revision the last successful migration ran.
  returned: when the cluster exists
  type: dict
  sample: {"fargate:stack": "djangoapp", "fargate:migrated": "djangoapp-migrate:3"}
cluster_status:
  description: Cluster status (C(ACTIVE)), or C(MISSING) in check mode before creation.
  returned: when O(create_cluster=true)
  type: str
service_name:
  description: Service name.
  returned: when O(name) is given
  type: str
service_arn:
  description: Service ARN (null in check mode before creation, and for a missing service).
  returned: when O(name) is given
  type: str
service_status:
  description: >-
    The service's status as found before any change: C(ACTIVE), C(DRAINING), C(INACTIVE), or C(MISSING) (unknown
    service or cluster).
  returned: with O(state=scaled) or O(state=absent)
  type: str
  sample: ACTIVE
previous_desired_count:
  description: The service's desired count before the change (null unless the service was C(ACTIVE)).
  returned: with O(state=scaled) or O(state=absent)
  type: int
  sample: 2
desired_count:
  description: The desired count asked for.
  returned: with O(state=scaled)
  type: int
  sample: 0
running_count:
  description: The service's running count as last described (after the wait, when the module waited).
  returned: with O(state=scaled) or O(state=absent), when the service exists
  type: int
  sample: 0
awaited:
  description: Whether the module checked the counts (O(state=scaled)) or the status (O(state=absent)) until done.
  returned: with O(state=scaled) or O(state=absent)
  type: bool
waited_seconds:
  description: Seconds spent waiting (0 when the first answer was already the end state).
  returned: with O(state=scaled) or O(state=absent)
  type: float
  sample: 20.0
task_definition:
  description: The task definition deployed, as C(family:revision).
  returned: when O(name) is given and O(state=present)
  type: str
changes:
  description: >-
    Settings that differed (and were, or in check mode would be, updated); V(service) when a service is created or
    deleted.
  returned: always
  type: list
  elements: str
  sample: [task_definition, desired_count]
created:
  description: Whether the service (or the cluster, in cluster-only mode) was created.
  returned: always
  type: bool
service_linked_role:
  description: >-
    The ECS service-linked role ensured before the cluster was created: V(created), V(exists), V(not_permitted)
    (a warning was given), or V(not_needed) (the cluster existed, or check mode).
  returned: when O(create_cluster=true)
  type: str
  sample: exists
iam_wait_seconds:
  description:
    - Seconds CreateService/UpdateService were retried while AWS answered that it could not assume the ECS
      service-linked role or a role yet (IAM propagation); 0 when they were not refused for that.
  returned: always
  type: float
  sample: 0
rollout_state:
  description:
    - C(completed), C(in_progress), C(failed), C(rolled_back), C(timeout), C(not_deployed) (check mode before
      creation) or C(not_awaited) (O(wait=false)).
  returned: when O(name) is given and O(state=present)
  type: str
rollout_message:
  description: Human summary of the PRIMARY deployment.
  returned: when O(name) is given and O(state=present)
  type: str
rollout_awaited:
  description: Whether the module waited for the rollout.
  returned: when O(name) is given and O(state=present)
  type: bool
events:
  description: Newest service events (on failure, or after a wait).
  returned: when the rollout was awaited or failed, or a scale or deletion wait failed
  type: list
  elements: str
service:
  description: The service as DescribeServices/UpdateService returned it, snake_case (tags untouched).
  returned: when O(name) is given, O(state=present), and not in check mode before creation
  type: dict
"""

import re
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import (
    IAM_WAIT_TIMEOUT,
    call_waiting_for_iam,
    is_iam_propagation_error,
    retry_for,
)
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_rollout import (
    COMPLETED,
    FAILED,
    ROLLED_BACK,
    classify,
    classify_count,
    classify_deletion,
    describe_primary,
    recent_events,
    task_definition_ref,
    wait_for_rollout,
    wait_until,
)
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_taskdef_compare import (
    dict_to_tags,
    diff_tags,
    tags_to_dict,
)

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
TASKDEF_RE = re.compile(r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/)?[A-Za-z0-9_-]{1,255}:\d+$")
SUBNET_RE = re.compile(r"^subnet-[0-9a-f]+$")
SG_RE = re.compile(r"^sg-[0-9a-f]+$")
TG_RE = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$")

# Injected so tests can run the waiting loop on a fake clock.
CLOCK = time.monotonic
SLEEP = time.sleep

# Settings UpdateService can change, in the order they are reported.
UPDATABLE = (
    "task_definition",
    "desired_count",
    "network_configuration",
    "load_balancers",
    "health_check_grace_period_seconds",
    "deployment_configuration",
    "platform_version",
    "propagate_tags",
    "enable_execute_command",
)
API_NAMES = {
    "task_definition": "taskDefinition",
    "desired_count": "desiredCount",
    "network_configuration": "networkConfiguration",
    "load_balancers": "loadBalancers",
    "health_check_grace_period_seconds": "healthCheckGracePeriodSeconds",
    "deployment_configuration": "deploymentConfiguration",
    "platform_version": "platformVersion",
    "propagate_tags": "propagateTags",
    "enable_execute_command": "enableExecuteCommand",
}


def validate(params):
    """Messages for every invalid option (empty when all are valid). No AWS call."""
    errors = []
    cluster = params["cluster"]
    if not NAME_RE.match(cluster or ""):
        errors.append(f"cluster={cluster!r} is invalid: 1-255 letters, digits, hyphens or underscores")
    if params["container_insights"] and not params["create_cluster"]:
        errors.append("container_insights is only managed with create_cluster=true")
    if params["wait_timeout"] < 1:
        errors.append(f"wait_timeout={params['wait_timeout']} is invalid: use 1 or more seconds")
    if params["failure_events"] < 0:
        errors.append(f"failure_events={params['failure_events']} is invalid: use 0 or more")
    state = params["state"]
    if params["ignore_missing"] and state != "scaled":
        errors.append(f"ignore_missing is only used with state=scaled (state={state})")
    if state != "present":
        return errors + validate_scale_or_delete(params)
    if params["name"] is None:
        return errors
    if not NAME_RE.match(params["name"]):
        errors.append(f"name={params['name']!r} is invalid: 1-255 letters, digits, hyphens or underscores")
    missing = [key for key in ("task_definition", "subnets", "security_groups") if params[key] is None]
    if missing:
        return errors + [f"missing parameter(s) required by 'name': {', '.join(missing)} (state=present)"]
    td = params["task_definition"]
    if not td or not TASKDEF_RE.match(td):
        errors.append(f"task_definition={td!r} is invalid: use family:revision (e.g. djangoapp-web:3) or its ARN")
    if (params["desired_count"] or 0) < 0:
        errors.append(f"desired_count={params['desired_count']} is invalid: use 0 or more")
    subnets, sgs = params["subnets"] or [], params["security_groups"] or []
    if not 1 <= len(subnets) <= 16 or not all(SUBNET_RE.match(s or "") for s in subnets):
        errors.append(f"subnets={subnets!r} is invalid: give 1-16 subnet ids (subnet-...)")
    if not 1 <= len(sgs) <= 5 or not all(SG_RE.match(s or "") for s in sgs):
        errors.append(f"security_groups={sgs!r} is invalid: give 1-5 security group ids (sg-...)")
    for index, lb in enumerate(params["load_balancers"] or []):
        if "********" in lb["target_group_arn"] or not TG_RE.match(lb["target_group_arn"]):
            errors.append(
                f"load_balancers[{index}].target_group_arn={lb['target_group_arn']!r} is not a target group ARN"
            )
        if not 1 <= lb["container_port"] <= 65535:
            errors.append(f"load_balancers[{index}].container_port={lb['container_port']} is invalid: use 1-65535")
    grace = params["health_check_grace_period_seconds"]
    if not 0 <= grace <= 2147483647:
        errors.append(f"health_check_grace_period_seconds={grace} is invalid: use 0-2147483647")
    low, high = params["minimum_healthy_percent"], params["maximum_percent"]
    if not 0 <= low <= 100:
        errors.append(f"minimum_healthy_percent={low} is invalid: use 0-100")
    if not 100 <= high <= 200:
        errors.append(f"maximum_percent={high} is invalid: use 100-200 for Fargate rolling updates")
    elif high <= low:
        errors.append(f"maximum_percent={high} must be above minimum_healthy_percent={low}, or no task can be replaced")
    return errors


# Options that describe the service: state=scaled and state=absent would ignore them, so they are refused.
PRESENT_ONLY = ("task_definition", "subnets", "security_groups", "tags")


def validate_scale_or_delete(params):
    """Checks of state=scaled / state=absent (name and desired_count presence: the argument spec's required_if)."""
    state, errors = params["state"], []
    name = params["name"] or ""
    if not NAME_RE.match(name):
        errors.append(f"name={params['name']!r} is invalid: 1-255 letters, digits, hyphens or underscores")
    for key in PRESENT_ONLY:
        if params[key] is not None:
            errors.append(f"{key} is only used with state=present (state={state} changes no other setting)")
    for key in ("create_cluster", "force_new_deployment"):
        if params[key]:
            errors.append(f"{key}=true is only used with state=present (state={state})")
    count = params["desired_count"]
    if state == "absent" and count is not None:
        errors.append("desired_count is not used with state=absent (DeleteService with force stops every task)")
    if state == "scaled" and count is not None and count < 0:
        errors.append(f"desired_count={count} is invalid: use 0 or more")
    return errors


def desired_settings(params):
    """Module options -> the managed settings in API (camelCase) form, keyed by snake_case name."""
    settings = {
        "task_definition": task_definition_ref(params["task_definition"]),
        "desired_count": 1 if params["desired_count"] is None else params["desired_count"],
        "network_configuration": {
            "awsvpcConfiguration": {
                "subnets": sorted(params["subnets"]),
                "securityGroups": sorted(params["security_groups"]),
                "assignPublicIp": "ENABLED" if params["assign_public_ip"] else "DISABLED",
            }
        },
        "load_balancers": sorted(
            (
                {
                    "targetGroupArn": lb["target_group_arn"],
                    "containerName": lb["container_name"],
                    "containerPort": lb["container_port"],
                }
                for lb in params["load_balancers"] or []
            ),
            key=lambda lb: (lb["targetGroupArn"], lb["containerName"], lb["containerPort"]),
        ),
        "health_check_grace_period_seconds": params["health_check_grace_period_seconds"],
        "deployment_configuration": {
            "deploymentCircuitBreaker": {
                "enable": params["circuit_breaker"],
                "rollback": params["circuit_breaker_rollback"],
            },
            "minimumHealthyPercent": params["minimum_healthy_percent"],
            "maximumPercent": params["maximum_percent"],
        },
        "platform_version": params["platform_version"],
        "propagate_tags": params["propagate_tags"],
        "enable_execute_command": params["enable_execute_command"],
    }
    return settings


def current_settings(service):
    """A DescribeServices ``service`` -> the managed settings, with AWS's defaults for what it omits."""
    awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    deployment = service.get("deploymentConfiguration") or {}
    breaker = deployment.get("deploymentCircuitBreaker") or {}
    return {
        "task_definition": task_definition_ref(service.get("taskDefinition")),
        "desired_count": service.get("desiredCount"),
        "network_configuration": {
            "awsvpcConfiguration": {
                "subnets": sorted(awsvpc.get("subnets") or []),
                "securityGroups": sorted(awsvpc.get("securityGroups") or []),
                "assignPublicIp": awsvpc.get("assignPublicIp") or "DISABLED",
            }
        },
        "load_balancers": sorted(
            (
                {
                    "targetGroupArn": lb.get("targetGroupArn"),
                    "containerName": lb.get("containerName"),
                    "containerPort": lb.get("containerPort"),
                }
                for lb in service.get("loadBalancers") or []
            ),
            key=lambda lb: (lb["targetGroupArn"] or "", lb["containerName"] or "", lb["containerPort"] or 0),
        ),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds") or 0,
        "deployment_configuration": {
            "deploymentCircuitBreaker": {
                "enable": bool(breaker.get("enable", False)),
                "rollback": bool(breaker.get("rollback", False)),
            },
            "minimumHealthyPercent": deployment.get("minimumHealthyPercent", 100),
            "maximumPercent": deployment.get("maximumPercent", 200),
        },
        "platform_version": service.get("platformVersion") or "LATEST",
        "propagate_tags": service.get("propagateTags") or "NONE",
        "enable_execute_command": bool(service.get("enableExecuteCommand", False)),
    }


def diff_settings(current, desired, manage_desired_count=True):
    """Names of the managed settings that differ, in UPDATABLE order."""
    return [
        key
        for key in UPDATABLE
        if current.get(key) != desired.get(key) and (manage_desired_count or key != "desired_count")
    ]


ECS_SERVICE = "ecs.amazonaws.com"


class Deployer:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.result = {
            "cluster": self.params["cluster"],
            "changed": False,
            "changes": [],
            "created": False,
            "iam_wait_seconds": 0.0,
        }
        self.before, self.after = {}, {}
        self.cluster_missing = False

    # ---- cluster -------------------------------------------------------------------------
    def ensure_service_linked_role(self):
        """AWSServiceRoleForECS, before the first cluster: AWS makes it with the first CreateCluster of an account,
        and services and tasks are refused until IAM has propagated it. Asking for it up front gives IAM that time
        while the cluster is created; an existing role is the usual answer."""
        iam = self.module.client("iam", retry_decorator=retry_for("iam"))
        try:
            iam.create_service_linked_role(AWSServiceName=ECS_SERVICE, aws_retry=True)
            self.result["service_linked_role"] = "created"
        except botocore.exceptions.ClientError as e:
            error = e.response.get("Error", {})
            code, message = error.get("Code", ""), error.get("Message", "")
            if code == "EntityAlreadyExists" or (code == "InvalidInput" and "has been taken" in message):
                self.result["service_linked_role"] = "exists"
            elif code in ("AccessDenied", "AccessDeniedException"):
                self.result["service_linked_role"] = "not_permitted"
                self.module.warn(
                    "Could not ensure the ECS service-linked role (iam:CreateServiceLinkedRole denied): on an account "
                    "without it, ECS creates it with this cluster and may refuse services and tasks for a few minutes "
                    "(the module then waits for IAM). " + message
                )
            else:
                raise

    def ensure_cluster(self):
        p = self.params
        self.result["service_linked_role"] = "not_needed"
        response = self.client.describe_clusters(clusters=[p["cluster"]], include=["SETTINGS", "TAGS"], aws_retry=True)
        cluster = next((c for c in response.get("clusters", []) if c.get("status") != "INACTIVE"), None)
        wanted = [{"name": "containerInsights", "value": p["container_insights"]}] if p["container_insights"] else []
        if cluster is None:
            self.result.update(changed=True, cluster_status="MISSING", created=p["name"] is None)
            self.result["changes"].append("cluster")
            self.before["cluster"], self.after["cluster"] = None, {"name": p["cluster"], "settings": wanted}
            if not self.module.check_mode:
                self.ensure_service_linked_role()
                request = {"clusterName": p["cluster"]}
                if wanted:
                    request["settings"] = wanted
                if p["tags"]:
                    request["tags"] = dict_to_tags(p["tags"])
                cluster = self.client.create_cluster(aws_retry=True, **request)["cluster"]
                self.result["cluster_status"] = cluster.get("status", "ACTIVE")
            return
        self.result["cluster_status"] = cluster.get("status")
        self.result["cluster_tags"] = tags_to_dict(cluster.get("tags"))
        current = {s["name"]: s.get("value") for s in cluster.get("settings") or []}
        if p["container_insights"] and current.get("containerInsights", "disabled") != p["container_insights"]:
            self.result["changed"] = True
            self.result["changes"].append("cluster_container_insights")
            self.before["container_insights"] = current.get("containerInsights", "disabled")
            self.after["container_insights"] = p["container_insights"]
            if not self.module.check_mode:
                self.client.update_cluster_settings(cluster=p["cluster"], settings=wanted, aws_retry=True)

    # ---- service -------------------------------------------------------------------------
    def waiting_for_iam(self, action, call):
        """``call()`` (CreateService/UpdateService), retried while IAM has not caught up (ecs_retry)."""
        started = CLOCK()
        try:
            response, iam = call_waiting_for_iam(call, CLOCK, SLEEP, IAM_WAIT_TIMEOUT)
        except botocore.exceptions.ClientError as e:
            if not is_iam_propagation_error(e):
                raise
            self.result["iam_wait_seconds"] = round(self.result["iam_wait_seconds"] + CLOCK() - started, 1)
            refusal = e.response.get("Error", {}).get("Message", "").rstrip(".")
            self.module.fail_json(
                msg=f"{action} was still refused after waiting {self.result['iam_wait_seconds']:.0f} s for IAM: "
                f"{refusal}. Check that the ECS service-linked role exists "
                "(aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com), then run again.",
                **self.result,
            )
        self.result["iam_wait_seconds"] = round(self.result["iam_wait_seconds"] + iam.waited_seconds, 1)
        if iam.waited:
            self.module.warn(iam.summary(action))
        return response

    def describe_service(self):
        p = self.params
        try:
            response = self.client.describe_services(
                cluster=p["cluster"], services=[p["name"]], include=["TAGS"], aws_retry=True
            )
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ClusterNotFoundException":
                if self.module.check_mode or self.result.get("cluster_status") == "MISSING":
                    return None
                self.module.fail_json(
                    msg=f"Cluster {p['cluster']!r} not found: create it first (create_cluster=true, "
                    "or `ansible-playbook site.yml --tags ecs_service`)"
                )
            raise
        for service in response.get("services", []):
            if service.get("status") != "INACTIVE":
                return service
        return None

    def create_service(self, desired):
        p = self.params
        request = {
            "cluster": p["cluster"],
            "serviceName": p["name"],
            "launchType": "FARGATE",
            "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "ECS"},
        }
        for key in UPDATABLE:
            if key == "load_balancers" and not desired[key]:
                continue
            if key == "health_check_grace_period_seconds" and not desired[key]:
                continue
            request[API_NAMES[key]] = desired[key]
        if p["tags"]:
            request["tags"] = dict_to_tags(p["tags"])
        service = self.waiting_for_iam("CreateService", lambda: self.client.create_service(aws_retry=True, **request))[
            "service"
        ]
        # Emulators drop some settings on CreateService; fix exactly what the response lacks (AWS: nothing).
        dropped = diff_settings(current_settings(service), desired)
        if dropped:
            update = {API_NAMES[key]: desired[key] for key in dropped}
            service = self.waiting_for_iam(
                "UpdateService",
                lambda: self.client.update_service(cluster=p["cluster"], service=p["name"], aws_retry=True, **update),
            )["service"]
            self.result["fixed_after_create"] = dropped
        return service

    def sync_tags(self, service):
        p = self.params
        if p["tags"] is None:
            return
        current = tags_to_dict(service.get("tags"))
        desired = {k: str(v) for k, v in p["tags"].items()}
        to_set, to_remove = diff_tags(current, desired, p["purge_tags"])
        if not (to_set or to_remove):
            return
        self.result["changed"] = True
        self.result["changes"].append("tags")
        self.before["tags"], self.after["tags"] = current, desired
        if self.module.check_mode:
            return
        if to_set:
            self.client.tag_resource(resourceArn=service["serviceArn"], tags=dict_to_tags(to_set), aws_retry=True)
        if to_remove:
            self.client.untag_resource(resourceArn=service["serviceArn"], tagKeys=to_remove, aws_retry=True)

    def ensure_service(self):
        p = self.params
        desired = desired_settings(p)
        self.result.update(service_name=p["name"], task_definition=desired["task_definition"], rollout_awaited=False)
        service = self.describe_service()
        deployed = False
        if service is None:
            self.result.update(changed=True, created=True)
            self.result["changes"].append("service")
            self.before["service"], self.after["service"] = None, desired
            if self.module.check_mode:
                self.result.update(service_arn=None, rollout_state="not_deployed", rollout_message="would be created")
                return
            service = self.create_service(desired)
            deployed = True
        else:
            if service.get("launchType") not in (None, "FARGATE"):
                self.module.fail_json(
                    msg=f"Service {p['name']!r} uses launch type {service.get('launchType')!r}, not FARGATE: "
                    "a launch type cannot be changed in place; delete the service first"
                )
            current = current_settings(service)
            changes = diff_settings(current, desired, p["manage_desired_count"])
            if p["force_new_deployment"]:
                changes.append("force_new_deployment")
            if changes:
                self.result["changed"] = True
                self.result["changes"].extend(changes)
                for key in changes:
                    self.before[key], self.after[key] = current.get(key), desired.get(key, True)
                if not self.module.check_mode:
                    update = {API_NAMES[k]: desired[k] for k in changes if k in API_NAMES}
                    if p["force_new_deployment"]:
                        update["forceNewDeployment"] = True
                    tags = service.get("tags")
                    service = self.waiting_for_iam(
                        "UpdateService",
                        lambda: self.client.update_service(
                            cluster=p["cluster"], service=p["name"], aws_retry=True, **update
                        ),
                    )["service"]
                    service.setdefault("tags", tags)
                    deployed = True
            self.sync_tags(service)
        self.result["service_arn"] = service.get("serviceArn")
        # After a wait, wait() replaces it with the service as last described.
        self.result["service"] = camel_dict_to_snake_dict(service, ignore_list=["tags"])
        if deployed and p["wait"] and not self.module.check_mode:
            self.wait(service)
        elif p["wait"]:
            # Nothing deployed now: report how the last rollout stands (completed, failed, rolled back...).
            state, message = classify(service, desired["task_definition"])
            self.result.update(rollout_state=state, rollout_message=message)
        else:
            # wait=false (emulators, whose deployments never progress): report the raw PRIMARY deployment only.
            self.result.update(
                rollout_state="not_awaited",
                rollout_message=describe_primary(service),
            )

    def wait(self, service):
        p = self.params
        td = task_definition_ref(p["task_definition"])

        def describe():
            return self.describe_service()

        state, message, service, _polls = wait_for_rollout(describe, td, p["wait_timeout"], sleep=SLEEP, clock=CLOCK)
        events = recent_events(service, p["failure_events"])
        self.result.update(rollout_state=state, rollout_message=message, rollout_awaited=True, events=events)
        if service:
            self.result["service"] = camel_dict_to_snake_dict(service, ignore_list=["tags"])
        if state in (FAILED, ROLLED_BACK, "timeout"):
            detail = "\n".join(events) if events else "(no service events)"
            self.module.fail_json(
                msg=f"Rollout of {td} to service {p['name']!r} {state.replace('_', ' ')}: {message}\n"
                f"Last service events:\n{detail}",
                **self.result,
            )

    # ---- state=scaled / state=absent ------------------------------------------------------
    def lookup_service(self):
        """The service as DescribeServices answers it, whatever its status; None when unknown (failures[] MISSING)
        or when the cluster does not exist."""
        p = self.params
        try:
            response = self.client.describe_services(cluster=p["cluster"], services=[p["name"]], aws_retry=True)
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ClusterNotFoundException":
                self.cluster_missing = True
                return None
            raise
        return next(iter(response.get("services") or []), None)

    def found(self, service):
        """Record what DescribeServices said about the service; return its status (MISSING when unknown)."""
        status = service.get("status", "MISSING") if service else "MISSING"
        self.result.update(
            service_status=status,
            service_arn=(service or {}).get("serviceArn"),
            previous_desired_count=service.get("desiredCount") if status == "ACTIVE" else None,
        )
        if service:
            self.result["running_count"] = service.get("runningCount", 0)
        return status

    def await_service(self, service, check, what):
        """Poll until ``check(service)`` is completed, starting from ``service`` (the last answer, no new call);
        fail with the last service events when the service went away or the time ran out."""
        p = self.params
        first = [service]

        def describe():
            return first.pop() if first else self.lookup_service()

        started = CLOCK()
        state, message, last, _polls = wait_until(describe, check, p["wait_timeout"], what, sleep=SLEEP, clock=CLOCK)
        self.result.update(awaited=True, waited_seconds=round(CLOCK() - started, 1))
        if last:
            self.result["running_count"] = last.get("runningCount", 0)
        if state != COMPLETED:
            events = recent_events(last, p["failure_events"])
            self.result["events"] = events
            detail = "\n".join(events) if events else "(no service events)"
            summary = message if state == "timeout" else f"Waiting for {what} failed: {message}"
            self.module.fail_json(msg=f"{summary}\nLast service events:\n{detail}", **self.result)

    def scale(self):
        p = self.params
        wanted = p["desired_count"]
        self.result.update(service_name=p["name"], desired_count=wanted, awaited=False, waited_seconds=0.0)
        service = self.lookup_service()
        status = self.found(service)
        if status != "ACTIVE":
            where = f"cluster {p['cluster']!r}" + (" (the cluster does not exist)" if self.cluster_missing else "")
            if p["ignore_missing"]:
                self.result["msg"] = f"Service {p['name']!r} is {status} in {where}: nothing to scale"
                return
            self.module.fail_json(
                msg=f"Cannot scale service {p['name']!r}: it is {status} in {where}. Deploy it first "
                "(state=present), or set ignore_missing=true when a missing service means nothing to scale",
                **self.result,
            )
        previous = service.get("desiredCount")
        if previous != wanted:
            self.result["changed"] = True
            self.result["changes"].append("desired_count")
            self.before["desired_count"], self.after["desired_count"] = previous, wanted
            if self.module.check_mode:
                return
            # Only the count: nothing else is sent, so no other setting can change.
            service = self.client.update_service(
                cluster=p["cluster"], service=p["name"], desiredCount=wanted, aws_retry=True
            )["service"]
            self.result["running_count"] = service.get("runningCount", 0)
        if p["wait"] and not self.module.check_mode:
            self.await_service(
                service, lambda s: classify_count(s, wanted), f"service {p['name']!r} to run {wanted} task(s)"
            )

    def delete(self):
        p = self.params
        self.result.update(service_name=p["name"], awaited=False, waited_seconds=0.0)
        service = self.lookup_service()
        status = self.found(service)
        if status in ("MISSING", "INACTIVE"):
            return
        if status != "DRAINING":  # DRAINING: already being deleted, only the wait is left
            self.result["changed"] = True
            self.result["changes"].append("service")
            self.before["service"] = {"status": status, "desired_count": service.get("desiredCount")}
            self.after["service"] = None
            if self.module.check_mode:
                return
            # force: ECS sets the desired count to 0 and stops the tasks itself (no UpdateService first).
            service = self.client.delete_service(cluster=p["cluster"], service=p["name"], force=True, aws_retry=True)[
                "service"
            ]
        if p["wait"] and not self.module.check_mode:
            self.await_service(service, classify_deletion, f"service {p['name']!r} to be INACTIVE")

    def run(self):
        state = self.params["state"]
        if state == "scaled":
            self.scale()
        elif state == "absent":
            self.delete()
        else:
            if self.params["create_cluster"]:
                self.ensure_cluster()
            if self.params["name"] is not None:
                self.ensure_service()
        if self.module._diff and self.result["changed"]:
            self.result["diff"] = {"before": self.before, "after": self.after}
        return self.result


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "scaled", "absent"], default="present"),
        ignore_missing=dict(type="bool", default=False),
        create_cluster=dict(type="bool", default=False),
        container_insights=dict(type="str", choices=["enabled", "disabled", "enhanced"]),
        name=dict(type="str"),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        manage_desired_count=dict(type="bool", default=True),
        subnets=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        assign_public_ip=dict(type="bool", default=False),
        load_balancers=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int", default=0),
        circuit_breaker=dict(type="bool", default=True),
        circuit_breaker_rollback=dict(type="bool", default=True),
        minimum_healthy_percent=dict(type="int", default=100),
        maximum_percent=dict(type="int", default=200),
        platform_version=dict(type="str", default="LATEST"),
        propagate_tags=dict(type="str", choices=["SERVICE", "TASK_DEFINITION", "NONE"], default="SERVICE"),
        enable_execute_command=dict(type="bool", default=False),
        force_new_deployment=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
        failure_events=dict(type="int", default=10),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "scaled", ["name", "desired_count"]), ("state", "absent", ["name"])],
    )
    errors = validate(module.params)
    if errors:
        module.fail_json(msg="Invalid options: " + "; ".join(errors), errors=errors)
    client = module.client("ecs", retry_decorator=retry_for("ecs"))
    try:
        result = Deployer(module, client).run()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        action = {"present": "deploy", "scaled": "scale", "absent": "delete"}[module.params["state"]]
        target = module.params["name"] or module.params["cluster"]
        module.fail_json_aws(e, msg=f"Failed to {action} ECS service {target}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
