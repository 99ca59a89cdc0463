#!/usr/bin/python
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: ecs_run_task
short_description: Run a one-off ECS task (such as a database migration), wait for it and fail on a non-zero exit
version_added: 0.1.0
description:
  - Runs one task of a task definition on an ECS cluster, by default on Fargate, waits until it is C(STOPPED)
    and succeeds only when every essential container (or the one named in O(container)) exited with code 0.
  - Fails with a message a person can act on when RunTask returns C(failures), when the task stops before its
    container ran (C(TaskFailedToStart), C(CannotPullContainerError), C(ResourceInitializationError)), when a
    container exits non-zero, and when O(timeout) passes (the task is then stopped unless O(stop_on_timeout=false)).
  - Returns the exit codes, the stop code and reason, the duration and the last O(log_lines) lines of the
    container's CloudWatch log (C(awslogs) driver).
  - Refuses to start while another task of the same family started with the same O(started_by) is still
    pending or running on the cluster (see O(concurrency)), so a migration is not started while another runs.
  - The guard is check-then-act, not atomic. ECS has no conditional RunTask, and ListTasks is eventually
    consistent (a task started a moment ago may not be listed yet), so two runs started within the same few
    seconds can both see no running task and both start one. Serialize deployments outside this module (one
    CI/CD pipeline at a time, a deployment lock) when that matters; Django runs each migration in a
    transaction on PostgreSQL, so the second of two simultaneous runs usually fails on a duplicate table or
    finds nothing left to apply.
  - In check mode it checks that the cluster, the task definition and the service of O(network_from_service)
    exist, and reports a change without running anything.
  - Passes a C(clientToken) to RunTask, one per module run, so a RunTask that is retried (throttling, a server
    error after the task was created) cannot start a second task.
  - When RunTask answers C(InvalidParameterException) because IAM has not caught up yet ("Unable to assume the
    service linked role" on an account whose first ECS cluster was just created, or "ECS was unable to assume the
    role" for a role created seconds ago), retries it with backoff for up to 3 minutes, warns that it waited for
    IAM and returns the wait in RV(iam_wait_seconds).
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  cluster:
    description:
      - Name or ARN of the ECS cluster to run the task on.
    type: str
    required: true
    version_added: 0.1.0
  task_definition:
    description:
      - The task definition to run, as a family (the latest C(ACTIVE) revision), C(family:revision) or a full ARN.
    type: str
    required: true
    version_added: 0.1.0
  container:
    description:
      - Name of the container that does the work.
      - Required with O(command) or O(environment), which override that container.
      - When set, only this container's exit code decides success and only its log is read;
        otherwise every essential container must exit 0 and each essential container's log is read.
    type: str
    version_added: 0.1.0
  command:
    description:
      - Command override for O(container), as a list of arguments (for example V([python, manage.py, migrate])).
    type: list
    elements: str
    version_added: 0.1.0
  environment:
    description:
      - Environment variables added to (or overriding those of) O(container).
    type: dict
    version_added: 0.1.0
  secrets:
    description:
      - Secrets added to (or replacing those of the same name of) O(container) for this run only, as C(NAME)
        to C(valueFrom), that is a full Secrets Manager ARN (with an optional C(:json-key:version-stage:version-id)
        suffix) or SSM parameter ARN, or a bare JSON key of the secret O(secrets_key_source) reads.
      - RunTask overrides cannot carry secrets, so the module registers a revision of O(secrets_family) copied
        from O(task_definition) with these secrets, runs it and deregisters it afterwards (also when the run
        fails). Only references, never values, are sent; ECS injects the values into the container.
      - The execution role must already be allowed to read each secret. A secret or parameter that no container
        of O(task_definition) reads is refused before anything is registered (the execution role policy of
        this collection grants exactly those).
      - Requires O(container) and O(secrets_family).
    type: dict
    version_added: 0.1.0
  secrets_family:
    description:
      - Family of the one-run revision registered for O(secrets). Must differ from the family of
        O(task_definition).
    type: str
    version_added: 0.1.0
  secrets_key_source:
    description:
      - Name of a secret of O(container) whose Secrets Manager secret holds the JSON keys named in O(secrets).
    type: str
    default: DJANGO_SECRET_KEY
    version_added: 0.1.0
  launch_type:
    description:
      - The launch type. Defaults to C(FARGATE) when O(capacity_provider_strategy) is not set.
      - Mutually exclusive with O(capacity_provider_strategy).
    type: str
    choices: [FARGATE, EC2, EXTERNAL]
    version_added: 0.1.0
  capacity_provider_strategy:
    description:
      - Capacity provider strategy to use instead of a launch type (for example C(FARGATE_SPOT)).
      - Mutually exclusive with O(launch_type).
    type: list
    elements: dict
    version_added: 0.1.0
    suboptions:
      capacity_provider:
        description: Name of the capacity provider.
        type: str
        required: true
        version_added: 0.1.0
      weight:
        description: Relative weight, 0 to 1000.
        type: int
        version_added: 0.1.0
      base:
        description: Minimum number of tasks on this provider, 0 to 100000.
        type: int
        version_added: 0.1.0
  platform_version:
    description:
      - Fargate platform version (for example C(LATEST) or C(1.4.0)). AWS picks C(LATEST) when unset.
    type: str
    version_added: 0.1.0
  network_from_service:
    description:
      - Name or ARN of an ECS service on the same cluster whose awsvpc network configuration (subnets,
        security groups, public IP) the task uses.
      - Mutually exclusive with O(subnets) and O(security_groups). O(assign_public_ip), when set, overrides the
        service's setting.
    type: str
    version_added: 0.1.0
  subnets:
    description:
      - Subnet IDs for an awsvpc task. Required on Fargate unless O(network_from_service) is set.
    type: list
    elements: str
    version_added: 0.1.0
  security_groups:
    description:
      - Security group IDs for an awsvpc task (the VPC's default group when not set).
    type: list
    elements: str
    version_added: 0.1.0
  assign_public_ip:
    description:
      - Whether the task's network interface gets a public IP. Defaults to V(false) with O(subnets), and to
        the service's setting with O(network_from_service).
    type: bool
    version_added: 0.1.0
  started_by:
    description:
      - The C(startedBy) value of the task, up to 128 letters, digits, C(-), C(_) and C(/).
      - The concurrency guard looks for running tasks of the same family with this value.
    type: str
    default: django-ecs-run-task
    version_added: 0.1.0
  tags:
    description:
      - Tags to put on the task.
    type: dict
    version_added: 0.1.0
  propagate_tags:
    description:
      - Copy the task definition's tags to the task (V(TASK_DEFINITION)) or not (V(NONE)).
    type: str
    choices: [TASK_DEFINITION, NONE]
    version_added: 0.1.0
  concurrency:
    description:
      - What to do when a task of the same family started by O(started_by) is still pending or running.
      - The check is not atomic (see the description), so runs started at the same moment can both start a task.
      - V(fail) fails without starting anything, V(wait) waits (up to O(timeout)) for it to stop and then
        runs, V(allow) skips the check.
    type: str
    choices: [fail, wait, allow]
    default: fail
    version_added: 0.1.0
  wait:
    description:
      - Wait for the task to stop and judge its exit codes. With V(false) the module returns as soon as
        the task was started.
    type: bool
    default: true
    version_added: 0.1.0
  timeout:
    description:
      - How many seconds to wait for the task to stop (any length; polling starts every second and backs
        off to every 5 seconds, then every 1-2 seconds once the task is stopping).
      - With O(concurrency=wait) the same limit applies to waiting for the other task.
    type: int
    default: 1800
    version_added: 0.1.0
  stop_on_timeout:
    description:
      - Stop the task (StopTask) when O(timeout) passes. With V(false) it keeps running and the module fails.
    type: bool
    default: true
    version_added: 0.1.0
  log_lines:
    description:
      - How many of the last lines of the container's CloudWatch log to return (0 to 10000; 0 reads none).
      - Only for containers using the C(awslogs) driver with C(awslogs-stream-prefix). A missing log
        configuration or stream is not an error.
    type: int
    default: 50
    version_added: 0.1.0
notes:
  - Calls ecs:DescribeClusters, ecs:DescribeTaskDefinition, ecs:DescribeServices (with O(network_from_service)),
    ecs:ListTasks, ecs:DescribeTasks, ecs:RunTask, ecs:StopTask (on timeout), logs:GetLogEvents and
    iam:PassRole for the task's roles; with O(secrets) also ecs:RegisterTaskDefinition and
    ecs:DeregisterTaskDefinition.
  - Throttling errors (including ECS's and CloudWatch Logs' C(ThrottlingException)) and server errors (ECS's
    C(ServerException), CloudWatch Logs' C(ServiceUnavailableException)) are retried with jittered exponential
    backoff; the C(clientToken) makes a retried RunTask safe.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the migrations with the network of the web service
  django_ecs.fargate.ecs_run_task:
    cluster: djangoapp
    task_definition: djangoapp-migrate
    container: migrate
    network_from_service: djangoapp-web
    started_by: django-ecs-migrate
    timeout: 1200
  register: migration

- name: Show the migration output
  ansible.builtin.debug:
    msg: "exit {{ migration.exit_code }} after {{ migration.duration_seconds }} s: {{ migration.log_lines }}"

- name: First deploy, before the service exists, with an overridden command
  django_ecs.fargate.ecs_run_task:
    cluster: djangoapp
    task_definition: djangoapp-migrate:3
    container: migrate
    command: [python, manage.py, migrate, --noinput]
    environment:
      DJANGO_LOG_LEVEL: INFO
    subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
    security_groups: [sg-0123456789abcdef0]
    concurrency: wait

- name: Start a task on Fargate Spot and do not wait for it
  django_ecs.fargate.ecs_run_task:
    cluster: djangoapp
    task_definition: arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-report:1
    capacity_provider_strategy:
      - capacity_provider: FARGATE_SPOT
        weight: 1
    subnets: [subnet-0123456789abcdef0]
    tags:
      purpose: report
    propagate_tags: TASK_DEFINITION
    concurrency: allow
    wait: false
"""

RETURN = r"""
task_arn:
  description: ARN of the task that was started.
  returned: when a task was started
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task/djangoapp/0f6c0d1f6d2b4a9c8e6f0a1b2c3d4e5f
task_id:
  description: The task's ID (last part of its ARN).
  returned: when a task was started
  type: str
  sample: 0f6c0d1f6d2b4a9c8e6f0a1b2c3d4e5f
secrets_task_definition_arn:
  description:
    - The one-run revision registered for O(secrets) (deregistered again after the run).
  returned: when O(secrets) is set and the module registered the revision
  type: str
  version_added: 0.1.0
secrets_task_definition_deregistered:
  description: Whether the one-run revision of O(secrets_family) was deregistered after the run.
  returned: when O(secrets) is set and the module registered the revision
  type: bool
  version_added: 0.1.0
secret_names:
  description: The names of the secrets added for this run (never their values).
  returned: when O(secrets) is set and accepted
  type: list
  elements: str
  version_added: 0.1.0
task_definition_arn:
  description: ARN of the task definition revision that was (or in check mode would be) run.
  returned: when the task definition was found
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-migrate:7
last_status:
  description: The task's last status (C(STOPPED) after a full wait).
  returned: when a task was started
  type: str
  sample: STOPPED
desired_status:
  description: The task's desired status.
  returned: when a task was started
  type: str
  sample: STOPPED
stop_code:
  description: ECS's stop code, for example C(EssentialContainerExited) or C(TaskFailedToStart).
  returned: when a task was started
  type: str
  sample: EssentialContainerExited
stopped_reason:
  description: ECS's reason for stopping the task.
  returned: when a task was started
  type: str
  sample: Essential container in task exited
exit_code:
  description: Exit code of O(container), or of the first essential container; null when it did not run.
  returned: when a task was started
  type: int
  sample: 0
containers:
  description: Every container of the task.
  returned: when a task was started
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
      returned: always
      sample: migrate
    exit_code:
      description: Exit code, null when the container did not run (or has not stopped).
      type: int
      returned: always
      sample: 0
    reason:
      description: ECS's reason for the container's stop, for example C(CannotPullContainerError ...).
      type: str
      returned: always
      sample: null
    last_status:
      description: The container's last status.
      type: str
      returned: always
      sample: STOPPED
    essential:
      description: Whether the container is essential in the task definition.
      type: bool
      returned: always
      sample: true
started_at:
  description: When the task started running (ISO 8601), null if it never did.
  returned: when a task was started
  type: str
  sample: "2026-01-01T10:00:05.123000+00:00"
stopped_at:
  description: When the task stopped (ISO 8601).
  returned: when a task was started
  type: str
  sample: "2026-01-01T10:00:42.456000+00:00"
duration_seconds:
  description: Seconds from C(startedAt) (else C(createdAt)) to C(stoppedAt); null when ECS did not report both.
  returned: when a task was started
  type: float
  sample: 37.3
waited_seconds:
  description: Seconds the module waited for the task to stop.
  returned: when a task was started
  type: float
  sample: 38.1
timed_out:
  description: Whether O(timeout) passed before the task stopped.
  returned: when a task was started
  type: bool
  sample: false
stopped_by_module:
  description: Whether the module stopped the task (after a timeout).
  returned: when a task was started
  type: bool
  sample: false
describe_tasks_calls:
  description: How many DescribeTasks calls the module made (concurrency check and waiting).
  returned: always
  type: int
  sample: 12
status_history:
  description: Each task status seen while waiting, with the seconds since the wait began.
  returned: when a task was started
  type: list
  elements: dict
  sample: [{"status": "RUNNING", "elapsed": 1.02}, {"status": "STOPPED", "elapsed": 38.1}]
wait_started_at:
  description: Wall-clock time (ISO 8601) the wait began; C(status_history) times count from it.
  returned: when a task was started
  type: str
  sample: "2026-01-01T10:00:03.001000+00:00"
log_lines:
  description: The last O(log_lines) lines of the log of O(container) (or of the first essential container).
  returned: when a task was started
  type: list
  elements: str
  sample: ["Operations to perform:", "  Apply all migrations: admin, auth", "No migrations to apply."]
logs:
  description: Where each container's log was looked for and what was found.
  returned: when a task was started and O(wait=true)
  type: list
  elements: dict
  contains:
    container:
      description: Container name.
      type: str
      returned: always
    log_group:
      description: The awslogs group, null when the container has no awslogs configuration.
      type: str
      returned: always
    log_stream:
      description: The stream C(<prefix>/<container>/<task-id>).
      type: str
      returned: always
    available:
      description: Whether the stream was read.
      type: bool
      returned: always
    lines:
      description: The last lines of the stream.
      type: list
      elements: str
      returned: always
    message:
      description: Why no lines are shown (no log configuration, stream missing, ...), else null.
      type: str
      returned: always
outcome:
  description:
    - C(success), C(started) (O(wait=false)), C(check_mode), C(run_task_failed), C(failed_to_start),
      C(container_failed), C(no_exit_code), C(container_missing), C(timeout) or C(concurrent_task_running).
  returned: always
  type: str
  sample: success
outcome_message:
  description:
    - The verdict on the run in one sentence (the task, the container and its exit code or why it stopped).
    - The same as C(msg) without the last log lines a failure's C(msg) ends with, for a caller that shows
      C(log_lines) itself.
  returned: except on an AWS API error or invalid options
  type: str
  sample: "Task 0123456789abcdef0: container 'migrate' exited with code 1; see the log lines for the error."
failures:
  description: The C(failures) of RunTask, when it returned some.
  returned: when RunTask returned failures
  type: list
  elements: dict
  sample: [{"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/x", "reason": "RESOURCE:MEMORY"}]
concurrent_tasks:
  description: ARNs of the pending or running tasks of the same family and O(started_by) that were found.
  returned: always
  type: list
  elements: str
  sample: []
client_token:
  description: The C(clientToken) RunTask was called with (unique per module run).
  returned: when RunTask was called
  type: str
  sample: 9f1c2b3a4d5e6f708192a3b4c5d6e7f8
iam_wait_seconds:
  description:
    - Seconds RunTask was retried while AWS answered that it could not assume the ECS service-linked role or a
      role yet (IAM propagation); 0 when RunTask was not refused for that.
  returned: when RunTask was called
  type: float
  sample: 0
network_configuration:
  description: The awsvpc configuration used (or, in check mode, that would be used), with snake_case keys.
  returned: when the task uses awsvpc
  type: dict
  sample:
    awsvpc_configuration: {"subnets": ["subnet-1"], "security_groups": ["sg-1"], "assign_public_ip": "DISABLED"}
"""

import copy  # noqa: E402
import datetime  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import (  # noqa: E402
    IAM_WAIT_TIMEOUT,
    call_waiting_for_iam,
    is_iam_propagation_error,
    retry_for,
)
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_task_logs import MAX_LOG_LINES, container_logs  # noqa: E402
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_task_wait import (  # noqa: E402
    UTC,
    classify_outcome,
    concurrent_message,
    container_summaries,
    essential_containers,
    is_active,
    iso_time,
    run_task_failures_message,
    task_duration,
    task_id,
    timeout_message,
    wait_for_stop,
)

# Injected so tests can run the waiting loop on a fake clock.
CLOCK = time.monotonic
SLEEP = time.sleep

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
STARTED_BY_RE = re.compile(r"^[A-Za-z0-9_/-]{1,128}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FAMILY_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
SECRET_ARN_RE = re.compile(r"^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:\s]+)(:[^\s]*)?$")
SSM_ARN_RE = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/\S+$")
JSON_KEY_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
# Fields of DescribeTaskDefinition that RegisterTaskDefinition takes back.
REGISTER_FIELDS = (
    "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes", "placementConstraints",
    "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode", "proxyConfiguration", "inferenceAccelerators",
    "ephemeralStorage", "runtimePlatform",
)  # fmt: skip

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", required=True),
    task_definition=dict(type="str", required=True),
    container=dict(type="str"),
    command=dict(type="list", elements="str"),
    environment=dict(type="dict"),
    # References (ARNs, JSON keys, a family and a name), never secret values: nothing to hide.
    secrets=dict(type="dict", no_log=False),
    secrets_family=dict(type="str", no_log=False),
    secrets_key_source=dict(type="str", default="DJANGO_SECRET_KEY", no_log=False),
    launch_type=dict(type="str", choices=["FARGATE", "EC2", "EXTERNAL"]),
    capacity_provider_strategy=dict(
        type="list",
        elements="dict",
        options=dict(
            capacity_provider=dict(type="str", required=True),
            weight=dict(type="int"),
            base=dict(type="int"),
        ),
    ),
    platform_version=dict(type="str"),
    network_from_service=dict(type="str"),
    subnets=dict(type="list", elements="str"),
    security_groups=dict(type="list", elements="str"),
    assign_public_ip=dict(type="bool"),
    started_by=dict(type="str", default="django-ecs-run-task"),
    tags=dict(type="dict"),
    propagate_tags=dict(type="str", choices=["TASK_DEFINITION", "NONE"]),
    concurrency=dict(type="str", choices=["fail", "wait", "allow"], default="fail"),
    wait=dict(type="bool", default=True),
    timeout=dict(type="int", default=1800),
    stop_on_timeout=dict(type="bool", default=True),
    log_lines=dict(type="int", default=50),
)


class TaskRunFailed(Exception):
    """The run failed in a way the module reports with fail_json (not an AWS API error)."""

    def __init__(self, message, result):
        super().__init__(message)
        self.message = message
        self.result = result


def uses_fargate(params):
    strategy = params.get("capacity_provider_strategy")
    if strategy:
        return any(item["capacity_provider"] in FARGATE_PROVIDERS for item in strategy)
    return (params.get("launch_type") or "FARGATE") == "FARGATE"


def validate_params(params):
    """Option checks that need no AWS call. Returns a list of messages (empty when all is well)."""
    errors = []
    if params["timeout"] is not None and params["timeout"] <= 0:
        errors.append("timeout must be a number of seconds greater than 0, got {}".format(params["timeout"]))
    log_lines = params["log_lines"]
    if log_lines is not None and not 0 <= log_lines <= MAX_LOG_LINES:
        errors.append(f"log_lines must be between 0 and {MAX_LOG_LINES}, got {log_lines}")
    if params.get("launch_type") and params.get("capacity_provider_strategy"):
        errors.append(
            "launch_type ({}) and capacity_provider_strategy are mutually exclusive: set one".format(
                params["launch_type"]
            )
        )
    for index, item in enumerate(params.get("capacity_provider_strategy") or []):
        if item.get("weight") is not None and not 0 <= item["weight"] <= 1000:
            errors.append("capacity_provider_strategy[{}].weight must be 0-1000, got {}".format(index, item["weight"]))
        if item.get("base") is not None and not 0 <= item["base"] <= 100000:
            errors.append("capacity_provider_strategy[{}].base must be 0-100000, got {}".format(index, item["base"]))
    secrets = params.get("secrets") or {}
    if secrets:
        if not params.get("secrets_family"):
            errors.append("secrets_family is required with secrets (the family of the one-run revision)")
        elif not FAMILY_RE.match(params["secrets_family"]):
            errors.append(f"secrets_family must be 1-255 letters, digits, '-' or '_', got {params['secrets_family']!r}")
        elif params["secrets_family"] == params["task_definition"].split("/")[-1].split(":")[0]:
            errors.append("secrets_family must differ from the family of task_definition")
        bad_names = sorted(str(name) for name in secrets if not ENV_NAME_RE.match(str(name)))
        if bad_names:
            errors.append("secrets names must be environment variable names, got {}".format(", ".join(bad_names)))
        bad_refs = sorted(
            str(name)
            for name, ref in secrets.items()
            if not isinstance(ref, str) or not any(rx.match(ref) for rx in (SECRET_ARN_RE, SSM_ARN_RE, JSON_KEY_RE))
        )
        if bad_refs:
            errors.append(
                "secrets values must be a Secrets Manager or SSM parameter ARN or a JSON key; not for: {}".format(
                    ", ".join(bad_refs)
                )
            )
        clash = sorted(set(secrets) & set(params.get("environment") or {}))
        if clash:
            errors.append("{} is both in environment and in secrets: set it in one".format(", ".join(clash)))
    for option in ("command", "environment", "secrets"):
        if params.get(option) and not params.get("container"):
            errors.append(f"{option} overrides a container: container (its name) is required with {option}")
    if params.get("command") is not None and not params["command"]:
        errors.append("command must not be empty: leave it unset to keep the task definition's command")
    service = params.get("network_from_service")
    explicit = [name for name in ("subnets", "security_groups") if params.get(name)]
    if service and explicit:
        errors.append(
            "network_from_service ({}) and {} are mutually exclusive: take the network from the service "
            "or give it explicitly".format(service, " and ".join(explicit))
        )
    if not service and not params.get("subnets") and uses_fargate(params):
        if params.get("security_groups"):
            errors.append("subnets are required with security_groups (got security_groups but no subnets)")
        else:
            errors.append(
                "subnets (with security_groups) or network_from_service is required: Fargate tasks use the awsvpc "
                "network mode"
            )
    started_by = params.get("started_by")
    if started_by is not None and not STARTED_BY_RE.match(started_by):
        errors.append(f"started_by must be 1-128 letters, digits, '-', '_' or '/', got {started_by!r}")
    if params.get("concurrency") != "allow" and not started_by:
        errors.append("started_by is required for the concurrency guard (or set concurrency: allow)")
    return errors


class EcsTaskRunner:
    """Runs the task and builds the result. AWS errors propagate; run failures raise TaskRunFailed."""

    def __init__(self, module, ecs, logs_client_for, clock=None, sleep=None):
        self.module = module
        self.params = module.params
        self.ecs = ecs
        self.logs_client_for = logs_client_for
        self.clock = clock or CLOCK
        self.sleep = sleep or SLEEP
        self.describe_calls = 0
        self.step = "starting"
        self.result = {"changed": False, "describe_tasks_calls": 0, "concurrent_tasks": []}
        # One token per module run: every retry of this RunTask (AWSRetry, the IAM wait) reuses it, so ECS
        # starts at most one task for it. botocore would otherwise generate a new token for each call.
        self.client_token = uuid.uuid4().hex

    # ---- AWS reads -------------------------------------------------------------------------
    def _describe_tasks(self, arns):
        self.describe_calls += 1
        self.result["describe_tasks_calls"] = self.describe_calls
        return self.ecs.describe_tasks(aws_retry=True, cluster=self.params["cluster"], tasks=arns).get("tasks", [])

    def _describe_task(self, arn):
        tasks = self._describe_tasks([arn])
        return tasks[0] if tasks else None

    def check_cluster(self):
        self.step = "describing cluster {}".format(self.params["cluster"])
        response = self.ecs.describe_clusters(aws_retry=True, clusters=[self.params["cluster"]])
        clusters = [c for c in response.get("clusters", []) if c.get("status") == "ACTIVE"]
        if not clusters:
            raise TaskRunFailed(
                "Cluster {} not found (or not ACTIVE) in region {}".format(self.params["cluster"], self.module.region),
                self.result,
            )

    def resolve_task_definition(self):
        name = self.params["task_definition"]
        self.step = f"describing task definition {name}"
        try:
            response = self.ecs.describe_task_definition(aws_retry=True, taskDefinition=name)
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("ClientException", "InvalidParameterException"):
                raise TaskRunFailed(  # noqa: B904 (the AWS error is in the message)
                    "Task definition {} not found (give a family, family:revision or ARN): {}".format(
                        name, e.response["Error"].get("Message", "")
                    ),
                    self.result,
                )
            raise
        definition = response["taskDefinition"]
        if definition.get("status") not in (None, "ACTIVE"):
            raise TaskRunFailed(
                "Task definition {} is {}: only ACTIVE revisions can run".format(
                    definition.get("taskDefinitionArn"), definition.get("status")
                ),
                self.result,
            )
        self.result["task_definition_arn"] = definition["taskDefinitionArn"]
        names = [c["name"] for c in definition.get("containerDefinitions", [])]
        container = self.params.get("container")
        if container and container not in names:
            raise TaskRunFailed(
                "container {!r} is not in task definition {}; its containers are: {}".format(
                    container, definition["taskDefinitionArn"], ", ".join(names)
                ),
                self.result,
            )
        return definition

    def network_configuration(self, definition):
        params = self.params
        service = params.get("network_from_service")
        if service:
            self.step = f"describing service {service}"
            response = self.ecs.describe_services(aws_retry=True, cluster=params["cluster"], services=[service])
            found = [s for s in response.get("services", []) if s.get("status") == "ACTIVE"]
            if not found:
                raise TaskRunFailed(
                    "network_from_service: service {} not found (or not ACTIVE) on cluster {}".format(
                        service, params["cluster"]
                    ),
                    self.result,
                )
            awsvpc = (found[0].get("networkConfiguration") or {}).get("awsvpcConfiguration")
            if not awsvpc or not awsvpc.get("subnets"):
                raise TaskRunFailed(
                    f"network_from_service: service {service} has no awsvpc network configuration; "
                    "give subnets and security_groups instead",
                    self.result,
                )
            config = {"subnets": list(awsvpc["subnets"])}
            if awsvpc.get("securityGroups"):
                config["securityGroups"] = list(awsvpc["securityGroups"])
            config["assignPublicIp"] = awsvpc.get("assignPublicIp", "DISABLED")
        elif params.get("subnets"):
            config = {"subnets": list(params["subnets"])}
            if params.get("security_groups"):
                config["securityGroups"] = list(params["security_groups"])
            config["assignPublicIp"] = "DISABLED"
        else:
            if definition.get("networkMode") == "awsvpc":
                raise TaskRunFailed(
                    "task definition {} uses the awsvpc network mode: subnets (with security_groups) or "
                    "network_from_service is required".format(definition["taskDefinitionArn"]),
                    self.result,
                )
            return None
        if params.get("assign_public_ip") is not None:
            config["assignPublicIp"] = "ENABLED" if params["assign_public_ip"] else "DISABLED"
        network = {"awsvpcConfiguration": config}
        self.result["network_configuration"] = camel_dict_to_snake_dict(network)
        return network

    def find_concurrent(self, family):
        """Pending/running tasks of ``family`` on the cluster started with the same started_by."""
        self.step = f"listing running tasks of family {family}"
        arns = []
        request = {"cluster": self.params["cluster"], "family": family, "desiredStatus": "RUNNING"}
        while True:
            page = self.ecs.list_tasks(aws_retry=True, **request)
            arns.extend(page.get("taskArns", []))
            if not page.get("nextToken"):
                break
            request["nextToken"] = page["nextToken"]
        found = []
        for start in range(0, len(arns), 100):
            for task in self._describe_tasks(arns[start : start + 100]):
                if task.get("startedBy") == self.params["started_by"] and is_active(task):
                    found.append(task)
        return found

    # ---- the run -----------------------------------------------------------------------
    def guard(self, family):
        if self.params["concurrency"] == "allow":
            return
        running = self.find_concurrent(family)
        self.result["concurrent_tasks"] = [t["taskArn"] for t in running]
        if not running:
            return
        message = concurrent_message(running, self.params["started_by"], family)
        if self.params["concurrency"] == "fail":
            self.result["outcome"] = "concurrent_task_running"
            raise TaskRunFailed(message, self.result)
        if self.module.check_mode:
            self.module.warn(message + " The real run would wait for it.")
            return
        for other in running:
            self.step = "waiting for concurrent task {}".format(other["taskArn"])
            waited = wait_for_stop(
                lambda arn=other["taskArn"]: self._describe_task(arn),
                self.params["timeout"],
                self.clock,
                self.sleep,
                task=other,
            )
            if waited.timed_out:
                self.result["outcome"] = "concurrent_task_running"
                raise TaskRunFailed(
                    "{} It was still running after {} s of waiting (concurrency=wait); nothing was started.".format(
                        message, self.params["timeout"]
                    ),
                    self.result,
                )

    def run_task_request(self, definition, network):
        params = self.params
        request = {
            "cluster": params["cluster"],
            "taskDefinition": definition["taskDefinitionArn"],
            "count": 1,
            "startedBy": params["started_by"],
            "clientToken": self.client_token,
        }
        if params.get("capacity_provider_strategy"):
            request["capacityProviderStrategy"] = [
                dict(
                    [("capacityProvider", item["capacity_provider"])]
                    + [(key, item[key]) for key in ("weight", "base") if item.get(key) is not None]
                )
                for item in params["capacity_provider_strategy"]
            ]
        else:
            request["launchType"] = params.get("launch_type") or "FARGATE"
        if params.get("platform_version"):
            request["platformVersion"] = params["platform_version"]
        if network:
            request["networkConfiguration"] = network
        if params.get("command") or params.get("environment"):
            override = {"name": params["container"]}
            if params.get("command"):
                override["command"] = list(params["command"])
            if params.get("environment"):
                override["environment"] = [
                    {"name": str(key), "value": str(value)} for key, value in sorted(params["environment"].items())
                ]
            request["overrides"] = {"containerOverrides": [override]}
        if params.get("tags"):
            request["tags"] = [{"key": str(k), "value": str(v)} for k, v in params["tags"].items()]
        if params.get("propagate_tags"):
            request["propagateTags"] = params["propagate_tags"]
        return request

    def describe_result(self, task, essential):
        summaries = container_summaries(task, essential)
        target = self.params.get("container") or next((c["name"] for c in summaries if c["essential"]), None)
        exit_code = next((c["exit_code"] for c in summaries if c["name"] == target), None)
        self.result.update(
            task_arn=task.get("taskArn"),
            task_id=task_id(task.get("taskArn")),
            last_status=task.get("lastStatus"),
            desired_status=task.get("desiredStatus"),
            stop_code=task.get("stopCode"),
            stopped_reason=task.get("stoppedReason"),
            containers=summaries,
            exit_code=exit_code,
            started_at=iso_time(task.get("startedAt")),
            stopped_at=iso_time(task.get("stoppedAt")),
            duration_seconds=task_duration(task),
        )

    def read_logs(self, definition, task, essential):
        self.step = "reading the task's CloudWatch logs"
        names = [self.params["container"]] if self.params.get("container") else essential
        logs = []
        for name in names:
            try:
                logs.append(
                    container_logs(self.logs_client_for, definition, name, task["taskArn"], self.params["log_lines"])
                )
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                # Logs help to understand the run; failing to read them must not hide its result.
                self.module.warn(f"Could not read the log of container {name}: {e}")
                logs.append(
                    {
                        "container": name,
                        "log_group": None,
                        "log_stream": None,
                        "available": False,
                        "lines": [],
                        "message": f"could not read logs: {e}",
                    }
                )
        self.result["logs"] = logs
        self.result["log_lines"] = logs[0]["lines"] if logs else []

    def secret_definition_spec(self, definition):
        """The RegisterTaskDefinition request of the one-run revision: ``definition`` in O(secrets_family) with
        O(secrets) on the container. Refuses a secret no container of ``definition`` reads (the execution role
        would not be allowed to read it)."""
        params = self.params
        containers = definition.get("containerDefinitions", [])
        container = next(c for c in containers if c["name"] == params["container"])
        current = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
        granted_secrets, granted_parameters = set(), set()
        for item in containers:
            for secret in item.get("secrets", []):
                match = SECRET_ARN_RE.match(secret["valueFrom"])
                if match:
                    granted_secrets.add(match.group(1))
                else:
                    granted_parameters.add(secret["valueFrom"])
        source = params["secrets_key_source"]
        resolved, refused = {}, []
        for name, ref in sorted(params["secrets"].items()):
            if SSM_ARN_RE.match(ref):
                if ref not in granted_parameters:
                    refused.append(f"{name} ({ref})")
                resolved[name] = ref
                continue
            match = SECRET_ARN_RE.match(ref)
            if match:
                if match.group(1) not in granted_secrets:
                    refused.append(f"{name} ({match.group(1)})")
                resolved[name] = ref
                continue
            source_match = SECRET_ARN_RE.match(current.get(source, ""))
            if not source_match:
                raise TaskRunFailed(
                    "secrets: {} names the JSON key {!r}, but container {} of {} has no secret {} read from "
                    "Secrets Manager (secrets_key_source) to take the key from".format(
                        name, ref, params["container"], definition["taskDefinitionArn"], source
                    ),
                    self.result,
                )
            resolved[name] = f"{source_match.group(1)}:{ref}::"
        if refused:
            raise TaskRunFailed(
                "secrets: the execution role of {} is not allowed to read {}: no container of it reads that "
                "secret. Add it to ecs_taskdefs_secrets and run site.yml first.".format(
                    definition["taskDefinitionArn"], ", ".join(refused)
                ),
                self.result,
            )
        self.result["secret_names"] = sorted(resolved)
        merged = dict(current, **resolved)
        spec = {key: copy.deepcopy(definition[key]) for key in REGISTER_FIELDS if definition.get(key)}
        spec["family"] = params["secrets_family"]
        for item in spec["containerDefinitions"]:
            if item["name"] == params["container"]:
                item["secrets"] = [{"name": k, "valueFrom": v} for k, v in sorted(merged.items())]
        return spec

    def run(self):
        self.check_cluster()
        definition = self.resolve_task_definition()
        spec = self.secret_definition_spec(definition) if self.params.get("secrets") else None
        essential = essential_containers(definition)
        network = self.network_configuration(definition)
        self.guard(spec["family"] if spec else definition["family"])

        if self.module.check_mode:
            self.result.update(changed=True, outcome="check_mode")
            self.result["msg"] = "Would run task definition {}{} on cluster {}.".format(
                definition["taskDefinitionArn"],
                " (as a one-run revision of {} with its secrets)".format(spec["family"]) if spec else "",
                self.params["cluster"],
            )
            return self.result
        if not spec:
            return self.run_definition(definition, essential, network)

        self.step = "registering a revision of {}".format(spec["family"])
        registered = self.ecs.register_task_definition(aws_retry=True, **spec)["taskDefinition"]
        self.result.update(changed=True, secrets_task_definition_arn=registered["taskDefinitionArn"])
        try:
            return self.run_definition(registered, essential, network)
        finally:
            step = self.step
            self.step = "deregistering {}".format(registered["taskDefinitionArn"])
            try:
                self.ecs.deregister_task_definition(aws_retry=True, taskDefinition=registered["taskDefinitionArn"])
                self.result["secrets_task_definition_deregistered"] = True
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.result["secrets_task_definition_deregistered"] = False
                self.module.warn("Could not deregister {}: {}".format(registered["taskDefinitionArn"], e))
            self.step = step

    def run_definition(self, definition, essential, network):
        self.result["task_definition_arn"] = definition["taskDefinitionArn"]
        request = self.run_task_request(definition, network)

        self.step = "running task definition {}".format(definition["taskDefinitionArn"])
        response = self.run_task_waiting_for_iam(request)
        tasks = response.get("tasks", [])
        failures = response.get("failures", [])
        if failures or not tasks:
            self.result.update(failures=failures, outcome="run_task_failed")
            raise TaskRunFailed(
                run_task_failures_message(failures or [{"reason": "RunTask returned no task"}]), self.result
            )
        task = tasks[0]
        self.result["changed"] = True
        self.describe_result(task, essential)
        if not self.params["wait"]:
            self.result["outcome"] = "started"
            self.result["msg"] = "Task {} started (not waiting: wait=false).".format(task_id(task["taskArn"]))
            return self.result

        self.step = "waiting for task {} to stop".format(task["taskArn"])
        self.result["wait_started_at"] = datetime.datetime.now(UTC).isoformat()
        waited = wait_for_stop(
            lambda: self._describe_task(task["taskArn"]), self.params["timeout"], self.clock, self.sleep, task=task
        )
        task = waited.task
        self.result.update(
            waited_seconds=waited.waited_seconds,
            status_history=waited.history,
            timed_out=waited.timed_out,
            stopped_by_module=False,
        )
        if waited.timed_out:
            return self.on_timeout(definition, task, essential)

        self.describe_result(task, essential)
        outcome = classify_outcome(task, essential, self.params.get("container"))
        self.read_logs(definition, task, essential)
        self.result["outcome"] = outcome.kind
        self.result["outcome_message"] = message = outcome.message
        if not outcome.ok:
            tail = [line for line in self.result.get("log_lines", []) if line.strip()][-3:]
            if tail:
                message += " Last log lines: " + " | ".join(tail)
            raise TaskRunFailed(message, self.result)
        self.result["msg"] = message
        return self.result

    def run_task_waiting_for_iam(self, request):
        """RunTask, retried while IAM has not caught up (see ecs_retry.call_waiting_for_iam)."""
        self.result["client_token"] = self.client_token
        self.result["iam_wait_seconds"] = 0.0
        started = self.clock()
        try:
            response, iam = call_waiting_for_iam(
                lambda: self.ecs.run_task(aws_retry=True, **request), self.clock, self.sleep, IAM_WAIT_TIMEOUT
            )
        except botocore.exceptions.ClientError as e:
            if not is_iam_propagation_error(e):
                raise
            self.result.update(iam_wait_seconds=round(self.clock() - started, 1))
            self.result["outcome"] = "run_task_failed"
            raise TaskRunFailed(  # noqa: B904 (the AWS error is in the message)
                "RunTask was still refused after waiting {:.0f} s for IAM: {}. Check that the ECS service-linked "
                "role exists (aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com) and that "
                "the task's roles trust ecs-tasks.amazonaws.com, then run again.".format(
                    self.result["iam_wait_seconds"], e.response.get("Error", {}).get("Message", "").rstrip(".")
                ),
                self.result,
            )
        self.result["iam_wait_seconds"] = round(iam.waited_seconds, 1)
        if iam.waited:
            self.module.warn(iam.summary("RunTask"))
        return response

    def on_timeout(self, definition, task, essential):
        self.result["outcome"] = "timeout"
        stopped = False
        stop_error = None
        if self.params["stop_on_timeout"]:
            self.step = "stopping task {} after the timeout".format(task["taskArn"])
            try:
                response = self.ecs.stop_task(
                    aws_retry=True,
                    cluster=self.params["cluster"],
                    task=task["taskArn"],
                    reason="Timed out after {} s (django_ecs.fargate.ecs_run_task)".format(self.params["timeout"]),
                )
                task = response.get("task") or task
                stopped = True
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                stop_error = str(e)
        self.result["stopped_by_module"] = stopped
        self.describe_result(task, essential)
        self.read_logs(definition, task, essential)
        raise TaskRunFailed(timeout_message(task, self.params["timeout"], stopped, stop_error), self.result)


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    errors = validate_params(module.params)
    if errors:
        module.fail_json(msg="Invalid options: " + "; ".join(errors), errors=errors)

    ecs = module.client("ecs", retry_decorator=retry_for("ecs"))

    def logs_client_for(region):
        extra = {"region": region} if region and region != module.region else {}
        return module.client("logs", retry_decorator=retry_for("logs"), **extra)

    runner = EcsTaskRunner(module, ecs, logs_client_for)
    try:
        result = runner.run()
    except TaskRunFailed as e:
        e.result.setdefault("outcome_message", e.message)
        module.fail_json(msg=e.message, **e.result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed while {runner.step}", **runner.result)
    result.setdefault("outcome_message", result.get("msg"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
