#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_roles
short_description: Make a list of IAM roles match their trust policy, description, inline policy and tags
version_added: 0.1.0
description:
  - Ensures, in one run, that each role of O(roles) exists with the given trust policy and description, has no
    managed policy attached (any found is detached), holds the named inline policy with the given document, and
    carries exactly O(tags).
  - What C(amazon.aws.iam_role) with C(managed_policies=[]), C(purge_policies=true), C(create_instance_profile=false)
    plus C(amazon.aws.iam_policy) do, with fewer calls. When nothing differs, each role costs C(GetRole),
    C(ListAttachedRolePolicies) and, when it has an O(roles[].inline_policy), C(GetRolePolicy); each difference
    costs only the write that repairs it (C(UpdateAssumeRolePolicy), C(UpdateRole), C(TagRole)/C(UntagRole),
    C(DetachRolePolicy), C(PutRolePolicy)). A missing role is created with its tags (C(CreateRole)), then its
    inline policy put.
  - Policies are compared as IAM reads them (C(amazon.aws) C(compare_policies)) - statement and list order and a
    single value versus a one-item list do not count as differences.
  - Inline policies other than O(roles[].policy_name) are left alone, as are all inline policies of a role without
    O(roles[].inline_policy).
  - A role created seconds ago may not be assumable by a service yet (IAM propagation). The modules that hand a
    role to a service (M(django_ecs.fargate.ecs_run_task), M(django_ecs.fargate.ecs_service_deploy),
    M(django_ecs.fargate.scheduler_schedules)) retry for that; this module only retries a C(NoSuchEntity) answer
    on the writes that follow the creation of a role.
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  roles:
    description: The roles to ensure, in this order.
    type: list
    elements: dict
    required: true
    version_added: 0.1.0
    suboptions:
      name:
        description: Role name (1-64 letters, digits or C(+=,.@_-)), created at the path C(/) when missing.
        type: str
        required: true
      description:
        description: Description of the role. Not given - the description is left as it is.
        type: str
      assume_role_policy:
        description: The trust policy document (who may assume the role).
        type: dict
        required: true
      inline_policy:
        description:
          - The document of the inline policy O(roles[].policy_name). Not given (or null) - the role's inline
            policies are left alone.
        type: dict
      policy_name:
        description: Name of the inline policy; default the role's name.
        type: str
  tags:
    description: Tags of every role. Not given - tags are left alone.
    type: dict
    version_added: 0.1.0
  purge_tags:
    description: Remove the tags O(tags) does not list.
    type: bool
    default: true
    version_added: 0.1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the execution role (with its inline policy) and the task role of the stack
  django_ecs.fargate.iam_roles:
    roles:
      - name: djangoapp-execution
        description: ECS pulls the image, writes logs and reads the secret of djangoapp
        assume_role_policy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}
        inline_policy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}
      - name: djangoapp-task
        description: AWS identity of the djangoapp containers
        assume_role_policy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}
    tags:
      fargate:stack: djangoapp
"""

RETURN = r"""
roles:
  description: One entry per role of O(roles), in that order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Role name.
      type: str
      sample: djangoapp-execution
    arn:
      description:
        - Role ARN. In check mode for a role that would be created - built from the account (that of a listed role
          that exists, else C(sts:GetCallerIdentity)'s), or empty when the account cannot be read.
      type: str
      sample: arn:aws:iam::123456789012:role/djangoapp-execution
    created:
      description: Whether the role was created (or would be, in check mode).
      type: bool
    changed:
      description: Whether anything of the role was created or changed (or would be).
      type: bool
    changes:
      description:
        - What differed and was repaired - C(assume_role_policy), C(description), C(tags), C(managed_policies)
          (detached), C(inline_policy); C(created) for a new role.
      type: list
      elements: str
      sample: [description, inline_policy]
"""

import json
import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import NEW_IAM_ROLE_RETRY, retry_for

ROLE_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,64}$")
POLICY_NAME = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,128}$")


def _missing(error):
    return error.response.get("Error", {}).get("Code") == "NoSuchEntity"


def check_roles(module, roles):
    """Refuse what IAM would refuse, naming the role, before any call."""
    seen = set()
    for role in roles:
        name = role["name"]
        if not ROLE_NAME.match(name or ""):
            module.fail_json(msg=f"roles: name {name!r}: use 1-64 letters, digits or +=,.@_-")
        if name.lower() in seen:
            module.fail_json(msg=f"roles: the role {name} is listed twice (IAM role names ignore case)")
        seen.add(name.lower())
        policy_name = role.get("policy_name") or name
        if not POLICY_NAME.match(policy_name):
            module.fail_json(msg=f"roles: {name}: policy_name {policy_name!r}: use 1-128 letters, digits or +=,.@_-")
        for key in ("assume_role_policy", "inline_policy"):
            document = role.get(key)
            if document is not None and "Statement" not in document:
                module.fail_json(msg=f"roles: {name}: {key} is not a policy document (no Statement)")


class IamRoles:
    """The reads, the plan and the writes of one run: every role is read first, then repaired or created."""

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.check_mode = module.check_mode

    def fail(self, error, action, name):
        self.module.fail_json_aws(error, msg=f"Could not {action} the IAM role {name}")

    # --- reads ---
    def get_role(self, name):
        try:
            return self.client.get_role(RoleName=name, aws_retry=True)["Role"]
        except botocore.exceptions.ClientError as error:
            if _missing(error):
                return None
            self.fail(error, "read", name)
        except botocore.exceptions.BotoCoreError as error:
            self.fail(error, "read", name)

    def attached_policies(self, name):
        arns, kwargs = [], {"RoleName": name}
        try:
            while True:
                page = self.client.list_attached_role_policies(aws_retry=True, **kwargs)
                arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
                if not page.get("IsTruncated"):
                    return arns
                kwargs["Marker"] = page["Marker"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            self.fail(error, "list the managed policies attached to", name)

    def inline_policy(self, name, policy_name):
        """The inline policy's document (botocore decodes IAM's URL-encoded JSON into a dict), or None."""
        try:
            return self.client.get_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)["PolicyDocument"]
        except botocore.exceptions.ClientError as error:
            if _missing(error):
                return None
            self.fail(error, f"read the inline policy {policy_name} of", name)
        except botocore.exceptions.BotoCoreError as error:
            self.fail(error, f"read the inline policy {policy_name} of", name)

    def account_arn_prefix(self, found):
        """``arn:PARTITION:iam::ACCOUNT:role/`` from a listed role that exists, else from sts:GetCallerIdentity
        (only asked in check mode when no listed role exists); "" when neither answers."""
        for role in found.values():
            if role is not None:
                parts = role["Arn"].split(":")
                return f"arn:{parts[1]}:iam::{parts[4]}:role/"
        try:
            identity = self.module.client("sts", retry_decorator=retry_for("sts")).get_caller_identity(aws_retry=True)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return ""
        return f"arn:{identity['Arn'].split(':')[1]}:iam::{identity['Account']}:role/"

    # --- plan ---
    def plan(self, spec, role, tags, purge_tags):
        """(changes, before, after, detail) of an existing role; detail holds what the writes need."""
        name = spec["name"]
        changes, detail = [], {}
        before = {"assume_role_policy": role.get("AssumeRolePolicyDocument"), "description": role.get("Description")}
        after = {"assume_role_policy": spec["assume_role_policy"], "description": before["description"]}
        if compare_policies(role.get("AssumeRolePolicyDocument"), spec["assume_role_policy"]):
            changes.append("assume_role_policy")
        if spec["description"] is not None:
            after["description"] = spec["description"]
            if (role.get("Description") or "") != spec["description"]:
                changes.append("description")
        current_tags = boto3_tag_list_to_ansible_dict(role.get("Tags", []))
        before["tags"] = after["tags"] = current_tags
        if tags is not None:
            to_set, to_remove = compare_aws_tags(current_tags, tags, purge_tags=purge_tags)
            after["tags"] = {k: v for k, v in current_tags.items() if k not in to_remove} | to_set
            if to_set or to_remove:
                changes.append("tags")
                detail["tags"] = (to_set, to_remove)
        attached = self.attached_policies(name)
        before["managed_policies"], after["managed_policies"] = attached, []
        if attached:
            changes.append("managed_policies")
            detail["detach"] = attached
        if spec["inline_policy"] is not None:
            policy_name = spec["policy_name"]
            current = self.inline_policy(name, policy_name)
            before["inline_policy"] = {policy_name: current} if current is not None else {}
            after["inline_policy"] = {policy_name: spec["inline_policy"]}
            if current is None or compare_policies(current, spec["inline_policy"]):
                changes.append("inline_policy")
        return changes, before, after, detail

    # --- writes ---
    def write(self, action, name, method, new_role=False, **kwargs):
        try:
            if new_role:
                return NEW_IAM_ROLE_RETRY(getattr(self.client, method))(**kwargs)
            return getattr(self.client, method)(aws_retry=True, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            self.fail(error, action, name)

    def create(self, spec, tags):
        name = spec["name"]
        request = {"RoleName": name, "AssumeRolePolicyDocument": json.dumps(spec["assume_role_policy"])}
        if spec["description"] is not None:
            request["Description"] = spec["description"]
        if tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        role = self.write("create", name, "create_role", **request)["Role"]
        if spec["inline_policy"] is not None:
            self.put_policy(spec, new_role=True)
        return role["Arn"]

    def put_policy(self, spec, new_role=False):
        name = spec["name"]
        self.write(
            f"put the inline policy {spec['policy_name']} of",
            name,
            "put_role_policy",
            new_role=new_role,
            RoleName=name,
            PolicyName=spec["policy_name"],
            PolicyDocument=json.dumps(spec["inline_policy"]),
        )

    def repair(self, spec, changes, detail):
        name = spec["name"]
        if "assume_role_policy" in changes:
            self.write(
                "update the trust policy of",
                name,
                "update_assume_role_policy",
                RoleName=name,
                PolicyDocument=json.dumps(spec["assume_role_policy"]),
            )
        if "description" in changes:
            self.write("update the description of", name, "update_role", RoleName=name, Description=spec["description"])
        if "tags" in changes:
            to_set, to_remove = detail["tags"]
            if to_remove:
                self.write("untag", name, "untag_role", RoleName=name, TagKeys=to_remove)
            if to_set:
                self.write("tag", name, "tag_role", RoleName=name, Tags=ansible_dict_to_boto3_tag_list(to_set))
        for arn in detail.get("detach", []):
            try:
                self.client.detach_role_policy(RoleName=name, PolicyArn=arn, aws_retry=True)
            except botocore.exceptions.ClientError as error:
                if not _missing(error):  # detached meanwhile
                    self.fail(error, f"detach {arn} from", name)
            except botocore.exceptions.BotoCoreError as error:
                self.fail(error, f"detach {arn} from", name)
        if "inline_policy" in changes:
            self.put_policy(spec)

    # --- the run ---
    def ensure(self, specs, tags, purge_tags):
        found = {spec["name"]: self.get_role(spec["name"]) for spec in specs}
        results, diff = [], {"before": {}, "after": {}}
        prefix = None
        for spec in specs:
            name = spec["name"]
            role = found[name]
            result = {"name": name, "arn": "", "created": role is None, "changed": False, "changes": []}
            if role is None:
                result.update(changed=True, changes=["created"])
                diff["before"][name] = {}
                diff["after"][name] = {
                    "assume_role_policy": spec["assume_role_policy"],
                    "description": spec["description"],
                    "tags": tags or {},
                    "managed_policies": [],
                }
                if spec["inline_policy"] is not None:
                    diff["after"][name]["inline_policy"] = {spec["policy_name"]: spec["inline_policy"]}
                if self.check_mode:
                    if prefix is None:
                        prefix = self.account_arn_prefix(found)
                    result["arn"] = prefix + name if prefix else ""
                else:
                    result["arn"] = self.create(spec, tags)
            else:
                result["arn"] = role["Arn"]
                changes, before, after, detail = self.plan(spec, role, tags, purge_tags)
                result.update(changed=bool(changes), changes=changes)
                if changes:
                    diff["before"][name], diff["after"][name] = before, after
                    if not self.check_mode:
                        self.repair(spec, changes, detail)
            results.append(result)
        return results, diff


def main():
    argument_spec = dict(
        roles=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                description=dict(type="str"),
                assume_role_policy=dict(type="dict", required=True),
                inline_policy=dict(type="dict"),
                policy_name=dict(type="str"),
            ),
        ),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    specs = module.params["roles"]
    for spec in specs:
        spec["policy_name"] = spec.get("policy_name") or spec["name"]
    check_roles(module, specs)
    client = module.client("iam", retry_decorator=retry_for("iam"))
    roles, diff = IamRoles(module, client).ensure(specs, module.params["tags"], module.params["purge_tags"])
    result = {"changed": any(role["changed"] for role in roles), "roles": roles}
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
