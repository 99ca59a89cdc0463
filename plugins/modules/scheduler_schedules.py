#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: scheduler_schedules
short_description: Make the schedules of an EventBridge Scheduler schedule group match a list
version_added: 0.1.0
description:
  - Makes the schedule group O(group) of EventBridge Scheduler (the C(scheduler) API, not EventBridge rules) hold
    exactly the schedules in O(schedules) - creating missing ones, updating those that differ and, with
    O(purge), deleting the ones not listed.
  - A schedule is updated only when a field the module manages differs from what C(GetSchedule) answers; defaults
    AWS fills in (the target's retry policy, the time zone C(UTC), the ECS task count 1, C(ActionAfterCompletion)
    C(NONE)) and fields AWS leaves out when empty do not count as differences.
  - With O(state=absent), deletes every schedule of the group and the group itself.
  - One C(GetScheduleGroup) call when the group does not exist and nothing is listed; otherwise C(ListSchedules)
    and one C(GetSchedule) per existing schedule.
  - No Ansible module for EventBridge Scheduler exists in amazon.aws or community.aws (C(cloudwatchevent_rule)
    manages EventBridge rules).
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  group:
    description: Name of the schedule group (created when missing and O(schedules) is not empty).
    type: str
    required: true
    version_added: 0.1.0
  group_tags:
    description: Tags set on the group when it is created (not updated later).
    type: dict
    default: {}
    version_added: 0.1.0
  schedules:
    description: The schedules the group must hold.
    type: list
    elements: dict
    default: []
    version_added: 0.1.0
    suboptions:
      name:
        description: Schedule name (1-64 letters, digits, C(.) C(-) C(_)).
        type: str
        required: true
      schedule_expression:
        description: A recurring expression, C(rate(value unit)) or C(cron(six fields)).
        type: str
        required: true
      schedule_expression_timezone:
        description: Time zone the C(cron) expression is read in.
        type: str
        default: UTC
      description:
        description: Description of the schedule.
        type: str
        default: ""
      state:
        description: Whether the schedule fires.
        type: str
        choices: [ENABLED, DISABLED]
        default: ENABLED
      flexible_time_window:
        description: "C(FlexibleTimeWindow) in API form; default C({\"Mode\": \"OFF\"}) (no window)."
        type: dict
      target:
        description:
          - The C(Target) in API form (C(Arn), C(RoleArn), C(EcsParameters), C(RetryPolicy)...).
          - C(RetryPolicy) defaults to AWS's default (86400 s, 185 attempts), C(EcsParameters.TaskCount) to 1.
        type: dict
        required: true
  purge:
    description: Delete the schedules of the group that O(schedules) does not list.
    type: bool
    default: true
    version_added: 0.1.0
  state:
    description: C(present) makes the group match O(schedules); C(absent) deletes its schedules and the group.
    type: str
    choices: [present, absent]
    default: present
    version_added: 0.1.0
  role_wait_timeout:
    description:
      - Seconds to keep retrying a create or update that AWS refuses because a new execution role cannot be
        assumed yet (IAM propagation).
    type: int
    default: 120
    version_added: 0.1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run clearsessions every night at 03:00 UTC on the stack's cluster
  django_ecs.fargate.scheduler_schedules:
    group: djangoapp
    schedules:
      - name: clearsessions
        schedule_expression: cron(0 3 * * ? *)
        target:
          Arn: arn:aws:ecs:us-east-1:123456789012:cluster/djangoapp
          RoleArn: arn:aws:iam::123456789012:role/djangoapp-scheduler
          EcsParameters:
            TaskDefinitionArn: arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-job-clearsessions:4
            LaunchType: FARGATE
            PlatformVersion: LATEST
            NetworkConfiguration:
              awsvpcConfiguration:
                Subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
                SecurityGroups: [sg-0123456789abcdef0]
                AssignPublicIp: ENABLED

- name: Delete every schedule and the group
  django_ecs.fargate.scheduler_schedules:
    group: djangoapp
    state: absent
"""

RETURN = r"""
group_arn:
  description: ARN of the group (empty when it does not exist, or would only be created in check mode).
  returned: always
  type: str
  sample: arn:aws:scheduler:us-east-1:123456789012:schedule-group/djangoapp
group_existed:
  description: Whether the group existed before the run.
  returned: always
  type: bool
created:
  description: Names of the schedules created (or that would be, in check mode).
  returned: always
  type: list
  elements: str
updated:
  description: Schedule name -> dotted paths of the fields that differed.
  returned: always
  type: dict
  sample: {clearsessions: [ScheduleExpression, Target.EcsParameters.TaskDefinitionArn]}
deleted:
  description: Names of the schedules deleted.
  returned: always
  type: list
  elements: str
deleted_targets:
  description: Schedule name -> the ECS task definition ARN its target ran, for the deleted schedules that had one.
  returned: always
  type: dict
schedules:
  description: Name -> ARN of every schedule the group holds after the run.
  returned: always
  type: dict
"""

import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.django_ecs.fargate.plugins.module_utils import scheduler_compare as cmp
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for

# CreateSchedule / UpdateSchedule with a role IAM has not propagated yet: "The execution role you provide must
# allow AWS EventBridge Scheduler to assume the role."
ROLE_NOT_READY = "execution role you provide must allow"


def _code(error):
    return error.response.get("Error", {}).get("Code", "")


def _not_found(error):
    """True for ResourceNotFoundException only (is_boto3_error_code returns an exception class, always truthy)."""
    return _code(error) == "ResourceNotFoundException"


def get_group(client, module, name):
    """The group (GetScheduleGroup's answer) or None; a group being deleted (State DELETING) counts as gone."""
    try:
        group = client.get_schedule_group(Name=name, aws_retry=True)
        return None if group.get("State") == "DELETING" else group
    except botocore.exceptions.ClientError as error:
        if _not_found(error):
            return None
        module.fail_json_aws(error, msg=f"Could not read the schedule group {name}")
    except botocore.exceptions.BotoCoreError as error:
        module.fail_json_aws(error, msg=f"Could not read the schedule group {name}")


def list_names(client, module, group):
    names = []
    kwargs = {"GroupName": group}
    try:
        while True:
            page = client.list_schedules(aws_retry=True, **kwargs)
            names.extend(item["Name"] for item in page.get("Schedules", []))
            if not page.get("NextToken"):
                return names
            kwargs["NextToken"] = page["NextToken"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg=f"Could not list the schedules of the group {group}")


def write_schedule(client, module, method, group, name, fields, sleep=time.sleep, clock=time.monotonic):
    """CreateSchedule or UpdateSchedule, retried while the execution role cannot be assumed yet."""
    deadline = clock() + module.params["role_wait_timeout"]
    delay = 5.0
    while True:
        try:
            return getattr(client, method)(Name=name, GroupName=group, aws_retry=True, **fields)
        except botocore.exceptions.ClientError as error:
            message = error.response.get("Error", {}).get("Message", "")
            if _code(error) == "ValidationException" and ROLE_NOT_READY in message and clock() < deadline:
                sleep(delay)
                delay = min(delay * 1.5, 20.0)
                continue
            module.fail_json_aws(error, msg=f"Could not {method.split('_')[0]} the schedule {group}/{name}")
        except botocore.exceptions.BotoCoreError as error:
            module.fail_json_aws(error, msg=f"Could not {method.split('_')[0]} the schedule {group}/{name}")


def check_specs(module, specs):
    """Refuse duplicates and expressions AWS would refuse, before any call."""
    seen = set()
    for spec in specs:
        if spec["name"] in seen:
            module.fail_json(msg=f"schedules: the name {spec['name']} is listed twice")
        seen.add(spec["name"])
        if not cmp.NAME_PATTERN.match(spec["name"]):
            module.fail_json(msg=f"schedules: name {spec['name']!r}: use 1-64 letters, digits, '.', '-' or '_'")
        problem = cmp.expression_problem(spec["schedule_expression"])
        if problem:
            module.fail_json(
                msg=f"schedules: {spec['name']}: schedule_expression {spec['schedule_expression']!r}: {problem}"
            )
        for key in ("Arn", "RoleArn"):
            if not spec["target"].get(key):
                module.fail_json(msg=f"schedules: {spec['name']}: target.{key} is required")


def ensure(module, client):
    params = module.params
    group = params["group"]
    absent = params["state"] == "absent"
    specs = [] if absent else params["schedules"]
    check_specs(module, specs)
    desired = {spec["name"]: cmp.desired_schedule(spec) for spec in specs}
    result = {
        "changed": False,
        "group_arn": "",
        "group_existed": False,
        "created": [],
        "updated": {},
        "deleted": [],
        "deleted_targets": {},
        "schedules": {},
    }
    diff = {"before": {}, "after": {}}

    found = get_group(client, module, group)
    result["group_existed"] = found is not None
    if found is None and not desired:
        return result, diff
    if found is not None:
        result["group_arn"] = found.get("Arn", "")
        current = {}
        for name in list_names(client, module, group):
            try:
                current[name] = client.get_schedule(Name=name, GroupName=group, aws_retry=True)
            except botocore.exceptions.ClientError as error:
                if _not_found(error):
                    continue  # deleted since the listing
                module.fail_json_aws(error, msg=f"Could not read the schedule {group}/{name}")
            except botocore.exceptions.BotoCoreError as error:
                module.fail_json_aws(error, msg=f"Could not read the schedule {group}/{name}")
    else:
        current = {}

    to_create, to_compare, to_delete = cmp.plan(desired, current, purge=params["purge"] or absent)
    to_update = {}
    for name in to_compare:
        changes = cmp.schedule_changes(desired[name], current[name])
        if changes:
            to_update[name] = changes
    for name in to_create + sorted(to_update):
        diff["after"][name] = desired[name]
        if name in current:
            diff["before"][name] = cmp.comparable(current[name])
    for name in to_delete:
        diff["before"][name] = cmp.comparable(current[name])
        task_definition = (current[name].get("Target") or {}).get("EcsParameters", {}).get("TaskDefinitionArn")
        if task_definition:
            result["deleted_targets"][name] = task_definition

    result.update(created=to_create, updated=to_update, deleted=to_delete)
    result["changed"] = (
        bool(to_create or to_update or to_delete) or (found is None and bool(desired)) or (absent and found is not None)
    )
    arns = {name: current[name].get("Arn", "") for name in current if name not in to_delete}
    if module.check_mode:
        result["schedules"] = {**arns, **{name: "" for name in to_create}}
        return result, diff

    if found is None:
        try:
            answer = client.create_schedule_group(
                Name=group, Tags=ansible_dict_to_boto3_tag_list(params["group_tags"], "Key", "Value"), aws_retry=True
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            module.fail_json_aws(error, msg=f"Could not create the schedule group {group}")
        result["group_arn"] = answer["ScheduleGroupArn"]
    for name in to_delete:
        try:
            client.delete_schedule(Name=name, GroupName=group, aws_retry=True)
        except botocore.exceptions.ClientError as error:
            if not _not_found(error):
                module.fail_json_aws(error, msg=f"Could not delete the schedule {group}/{name}")
        except botocore.exceptions.BotoCoreError as error:
            module.fail_json_aws(error, msg=f"Could not delete the schedule {group}/{name}")
    for name in to_create:
        arns[name] = write_schedule(client, module, "create_schedule", group, name, desired[name])["ScheduleArn"]
    for name in sorted(to_update):
        arns[name] = write_schedule(client, module, "update_schedule", group, name, desired[name])["ScheduleArn"]
    if absent and found is not None:
        try:
            client.delete_schedule_group(Name=group, aws_retry=True)
        except botocore.exceptions.ClientError as error:
            if not _not_found(error):
                module.fail_json_aws(error, msg=f"Could not delete the schedule group {group}")
        except botocore.exceptions.BotoCoreError as error:
            module.fail_json_aws(error, msg=f"Could not delete the schedule group {group}")
        result["group_arn"] = ""
        arns = {}
    result["schedules"] = arns
    return result, diff


def main():
    argument_spec = dict(
        group=dict(type="str", required=True),
        group_tags=dict(type="dict", default={}),
        schedules=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                schedule_expression=dict(type="str", required=True),
                schedule_expression_timezone=dict(type="str", default="UTC"),
                description=dict(type="str", default=""),
                state=dict(type="str", choices=["ENABLED", "DISABLED"], default="ENABLED"),
                flexible_time_window=dict(type="dict"),
                target=dict(type="dict", required=True),
            ),
        ),
        purge=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        role_wait_timeout=dict(type="int", default=120),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("scheduler", retry_decorator=retry_for("scheduler"))
    result, diff = ensure(module, client)
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
