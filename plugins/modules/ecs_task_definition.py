#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_task_definition
short_description: Register an ECS task definition revision exactly when the definition changed
version_added: 0.1.0
description:
  - Compares the desired task definition with the latest C(ACTIVE) revision of O(family), after normalising
    both (AWS fills defaults such as empty lists, C(essential=true), container C(cpu=0), C(protocol=tcp),
    C(hostPort) under C(awsvpc), health check defaults, C(enableFaultInjection=false), container
    C(versionConsistency=enabled), cpu/memory as strings, and returns environment/secrets in any order).
  - Registers a new revision when anything differs (image, an environment value, a secret C(valueFrom), cpu,
    memory, roles, network mode, log configuration, command, ports...) and never otherwise.
    M(community.aws.ecs_taskdefinition) misses several of these changes.
  - A no-op run makes one API call (C(DescribeTaskDefinition) of the family, with its tags).
  - Tags are updated in place (C(TagResource)/C(UntagResource)) without a new revision.
  - Validates its options (Fargate cpu/memory pairs, ephemeral storage, role ARNs, container names, ports,
    masked C(********) values) before any AWS call.
  - ECS throttling (C(ThrottlingException)) is retried with jittered exponential backoff.
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  family:
    description: Task definition family.
    type: str
    required: true
    version_added: 0.1.0
  container_definitions:
    description:
      - Container definitions, as the ECS API spells them (camelCase keys such as C(portMappings),
        C(logConfiguration), C(valueFrom)).
      - C(environment) values are sent as strings, as ECS stores them (C(5432) as V(5432), C(false) as V(false)),
        and compared the same way.
    type: list
    elements: dict
    required: true
    version_added: 0.1.0
  cpu:
    description: Task-level cpu units (Fargate pairs with O(memory) are checked).
    type: str
    version_added: 0.1.0
  memory:
    description: Task-level memory in MiB.
    type: str
    version_added: 0.1.0
  network_mode:
    description: Network mode; defaults to C(awsvpc) when O(requires_compatibilities) holds C(FARGATE).
    type: str
    choices: [awsvpc, bridge, host, none]
    version_added: 0.1.0
  requires_compatibilities:
    description: Launch types the definition must be valid for.
    type: list
    elements: str
    choices: [EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES]
    default: [FARGATE]
    version_added: 0.1.0
  execution_role_arn:
    description: Role ECS uses to pull the image, write logs and read secrets.
    type: str
    version_added: 0.1.0
  task_role_arn:
    description: Role the application's AWS calls run as.
    type: str
    version_added: 0.1.0
  ephemeral_storage:
    description: Ephemeral storage in GiB (21-200); omit for Fargate's 20 GiB default.
    type: int
    version_added: 0.1.0
  runtime_platform:
    description: C(cpuArchitecture) (V(X86_64) or V(ARM64)) and C(operatingSystemFamily), camelCase keys.
    type: dict
    version_added: 0.1.0
  volumes:
    description: Volumes, as the ECS API spells them.
    type: list
    elements: dict
    version_added: 0.1.0
  tags:
    description: Tags of the task definition (updated in place, no new revision).
    type: dict
    aliases: [resource_tags]
    version_added: 0.1.0
  purge_tags:
    description: Remove tags not in O(tags).
    type: bool
    default: true
    version_added: 0.1.0
  keep_revisions:
    description:
      - After registering a new revision, deregister ACTIVE revisions of the family beyond the newest O(keep_revisions).
      - Omit (the default) to keep every revision (a rollback target stays available).
    type: int
    version_added: 0.1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Register the web task definition when it changed
  django_ecs.fargate.ecs_task_definition:
    family: djangoapp-web
    cpu: "256"
    memory: "512"
    execution_role_arn: arn:aws:iam::123456789012:role/djangoapp-execution
    container_definitions:
      - name: web
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/djangoapp:abc123
        memory: 512
        portMappings: [{containerPort: 8000}]
        environment: [{name: DB_HOST, value: db.example.internal}]
        secrets:
          - name: DB_PASSWORD
            valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:djangoapp/app-AbCdEf:password::"
  register: web_taskdef
"""

RETURN = r"""
task_definition_arn:
  description: ARN of the revision now current (new or existing).
  returned: success (in check mode, the existing revision's ARN or null when one would be created)
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/djangoapp-web:3
family:
  description: Family.
  returned: always
  type: str
revision:
  description: Revision number now current (in check mode with changes, the revision that would be registered).
  returned: success
  type: int
task_definition:
  description: C(family:revision), what services and RunTask take.
  returned: success
  type: str
  sample: djangoapp-web:3
registered:
  description: Whether a new revision was (or in check mode would be) registered.
  returned: always
  type: bool
changes:
  description: Dotted paths of what differs from the latest revision (empty when nothing does).
  returned: always
  type: list
  elements: str
  sample: [container.web.image, cpu]
deregistered:
  description: ARNs deregistered because of O(keep_revisions).
  returned: when O(keep_revisions) is set
  type: list
  elements: str
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_taskdef_compare import (
    dict_to_tags,
    diff_tags,
    diff_task_definitions,
    tags_to_dict,
    validate_task_definition,
)


def api_string(value):
    """An environment value as ECS takes it (a string), spelled the way the compare reads it: YAML gives
    C(5432) or C(false), RegisterTaskDefinition refuses anything but a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None or isinstance(value, str) else str(value)


def api_containers(containers):
    """Container definitions with their environment values as strings (everything else as given)."""
    out = []
    for container in containers or []:
        if isinstance(container, dict) and isinstance(container.get("environment"), list):
            container = dict(container)
            container["environment"] = [
                dict(item, value=api_string(item["value"])) if isinstance(item, dict) and "value" in item else item
                for item in container["environment"]
            ]
        out.append(container)
    return out


def build_definition(params):
    """Module options -> RegisterTaskDefinition parameters (camelCase), without tags."""
    compat = params["requires_compatibilities"] or []
    definition = {
        "family": params["family"],
        "containerDefinitions": api_containers(params["container_definitions"]),
        "requiresCompatibilities": compat,
        "networkMode": params["network_mode"] or ("awsvpc" if "FARGATE" in compat else "bridge"),
    }
    optional = {
        "cpu": params["cpu"],
        "memory": params["memory"],
        "executionRoleArn": params["execution_role_arn"],
        "taskRoleArn": params["task_role_arn"],
        "runtimePlatform": params["runtime_platform"],
        "volumes": params["volumes"],
    }
    if params["ephemeral_storage"] is not None:
        optional["ephemeralStorage"] = {"sizeInGiB": params["ephemeral_storage"]}
    definition.update({k: v for k, v in optional.items() if v not in (None, [], {})})
    return definition


def is_not_found(error):
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    return code in ("ClientException", "InvalidParameterException", "ResourceNotFoundException") and (
        "nable to describe" in message or "not found" in message.lower() or "does not exist" in message.lower()
    )


def describe_latest(client, family):
    try:
        response = client.describe_task_definition(taskDefinition=family, include=["TAGS"], aws_retry=True)
    except botocore.exceptions.ClientError as e:
        if is_not_found(e):
            return None, {}
        raise
    current = response.get("taskDefinition")
    if not current or current.get("status") != "ACTIVE":
        return None, {}
    return current, tags_to_dict(response.get("tags"))


def prune_revisions(client, family, keep):
    revisions = []
    paginator = client.get_paginator("list_task_definitions")
    for page in paginator.paginate(familyPrefix=family, status="ACTIVE", sort="DESC"):
        for arn in page["taskDefinitionArns"]:
            name, revision = arn.rsplit("/", 1)[-1].rsplit(":", 1)
            if name == family:
                revisions.append((int(revision), arn))
    # Newest first by the revision number itself, not the answer's order: moto (the local emulator) ignores
    # sort=DESC and lists oldest first, which would deregister the revision just registered.
    stale = [arn for _revision, arn in sorted(revisions, reverse=True)[keep:]]
    for arn in stale:
        client.deregister_task_definition(taskDefinition=arn, aws_retry=True)
    return stale


def ensure(module, client):
    params = module.params
    desired = build_definition(params)
    current, current_tags = describe_latest(client, params["family"])
    changes, before, after = diff_task_definitions(current, desired)
    desired_tags = {k: str(v) for k, v in (params["tags"] or {}).items()} if params["tags"] is not None else None
    result = {"family": params["family"], "changes": changes, "registered": bool(changes), "changed": bool(changes)}
    if current and not changes:
        result.update(
            task_definition_arn=current["taskDefinitionArn"],
            revision=current["revision"],
            task_definition=f"{params['family']}:{current['revision']}",
        )
        if desired_tags is not None:
            to_set, to_remove = diff_tags(current_tags, desired_tags, params["purge_tags"])
            if to_set or to_remove:
                result["changed"] = True
                result["changes"] = ["tags"]
                before["tags"], after["tags"] = current_tags, desired_tags
                if not module.check_mode:
                    arn = current["taskDefinitionArn"]
                    if to_set:
                        client.tag_resource(resourceArn=arn, tags=dict_to_tags(to_set), aws_retry=True)
                    if to_remove:
                        client.untag_resource(resourceArn=arn, tagKeys=to_remove, aws_retry=True)
    elif changes:
        if module.check_mode:
            revision = (current["revision"] + 1) if current else 1
            result.update(task_definition_arn=None, revision=revision, task_definition=f"{params['family']}:{revision}")
        else:
            request = dict(desired)
            if desired_tags:
                request["tags"] = dict_to_tags(desired_tags)
            registered = client.register_task_definition(aws_retry=True, **request)["taskDefinition"]
            result.update(
                task_definition_arn=registered["taskDefinitionArn"],
                revision=registered["revision"],
                task_definition=f"{params['family']}:{registered['revision']}",
            )
            if params["keep_revisions"] is not None:
                result["deregistered"] = prune_revisions(client, params["family"], params["keep_revisions"])
    if module._diff and result["changed"]:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    argument_spec = dict(
        family=dict(type="str", required=True),
        container_definitions=dict(type="list", elements="dict", required=True),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        network_mode=dict(type="str", choices=["awsvpc", "bridge", "host", "none"]),
        requires_compatibilities=dict(
            type="list",
            elements="str",
            default=["FARGATE"],
            choices=["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"],
        ),
        execution_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        ephemeral_storage=dict(type="int"),
        runtime_platform=dict(type="dict"),
        volumes=dict(type="list", elements="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        keep_revisions=dict(type="int", no_log=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    errors = validate_task_definition(build_definition(module.params))
    keep = module.params["keep_revisions"]
    if keep is not None and keep < 1:
        errors.append(f"keep_revisions={keep} is invalid: use 1 or more (or omit it to keep every revision)")
    if errors:
        module.fail_json(msg="Invalid task definition: " + "; ".join(errors), errors=errors)
    client = module.client("ecs", retry_decorator=retry_for("ecs"))
    try:
        result = ensure(module, client)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to ensure task definition {module.params['family']}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
