#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecr_repository
short_description: Ensure an ECR repository with its scan on push, tag mutability and lifecycle policy
version_added: 0.1.0
description:
  - Creates the ECR repository O(name) when it does not exist, and otherwise repairs what differs from the options
    given, each with its own single write (C(PutImageScanningConfiguration), C(PutImageTagMutability),
    C(PutLifecyclePolicy)).
  - A no-op run makes two API calls, C(DescribeRepositories) and C(GetLifecyclePolicy) (none of the latter when
    O(lifecycle_policy) is omitted). The repository policy and the tags are neither read nor changed.
  - The lifecycle policy is compared as parsed JSON, so spacing and key order never count as a change.
  - In check mode nothing is written; on a repository that does not exist yet the result says it would be created.
  - ECR throttling (C(ThrottlingException)) and server errors are retried with jittered exponential backoff.
  - M(community.aws.ecs_ecr) also reads the repository policy and fails in check mode on the lifecycle policy of a
    repository it did not create.
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  name:
    description: Name of the repository.
    type: str
    required: true
    version_added: 0.1.0
  scan_on_push:
    description:
      - Scan every pushed image for vulnerabilities.
      - Omit to leave the setting as it is (a new repository then gets ECR's default, V(false)).
    type: bool
    version_added: 0.1.0
  image_tag_mutability:
    description:
      - V(IMMUTABLE) (a tag, once pushed, always means the same image) or V(MUTABLE); lower case is accepted.
      - Omit to leave the setting as it is (a new repository then gets ECR's default, V(MUTABLE)).
    type: str
    choices: [IMMUTABLE, MUTABLE, immutable, mutable]
    version_added: 0.1.0
  lifecycle_policy:
    description:
      - The lifecycle policy document, as a dict or a JSON string.
      - Omit to leave the policy as it is (then it is not read either).
    type: json
    version_added: 0.1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the app repository, keeping the last 10 images
  django_ecs.fargate.ecr_repository:
    name: djangoapp
    scan_on_push: true
    image_tag_mutability: IMMUTABLE
    lifecycle_policy:
      rules:
        - rulePriority: 1
          description: Keep the last 10 images
          selection:
            tagStatus: any
            countType: imageCountMoreThan
            countNumber: 10
          action:
            type: expire
  register: repo

- name: Use its URI
  ansible.builtin.debug:
    msg: "{{ repo.repository.repository_uri }}"
"""

RETURN = r"""
repository:
  description:
    - The repository as C(DescribeRepositories) or C(CreateRepository) describes it, in snake_case, with the
      settings this run wrote.
    - Empty in check mode when the repository would be created.
  returned: success
  type: dict
  contains:
    repository_arn:
      description: ARN of the repository.
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/djangoapp
    repository_uri:
      description: URI to push to, C(<registry>/<name>).
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/djangoapp
    registry_id:
      description: Account id of the registry.
      type: str
      sample: "123456789012"
    repository_name:
      description: Name of the repository.
      type: str
      sample: djangoapp
    image_tag_mutability:
      description: V(IMMUTABLE) or V(MUTABLE).
      type: str
    image_scanning_configuration:
      description: C(scan_on_push).
      type: dict
    encryption_configuration:
      description: C(encryption_type) and, for KMS, C(kms_key).
      type: dict
    created_at:
      description: When the repository was created.
      type: str
lifecycle_policy:
  description: The lifecycle policy in force after the run (in check mode, as it would be), parsed.
  returned: when O(lifecycle_policy) is given
  type: dict
created:
  description: Whether the repository was (or in check mode would be) created.
  returned: always
  type: bool
changes:
  description: The settings that differed and were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
  sample: [scan_on_push, lifecycle_policy]
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for


class EcrRepository:
    """The look-ups and writes of one repository; ``step`` names what is under way, for the error message."""

    def __init__(self, client, name):
        self.client = client
        self.name = name
        self.step = f"describing ECR repository {name}"

    def describe(self):
        """The repository (DescribeRepositories' entry), or None when it does not exist."""
        self.step = f"describing ECR repository {self.name}"
        try:
            answer = self.client.describe_repositories(aws_retry=True, repositoryNames=[self.name])
        except is_boto3_error_code("RepositoryNotFoundException"):
            return None
        return answer["repositories"][0]

    def lifecycle_policy(self):
        """The lifecycle policy in force, parsed, or None when there is none."""
        self.step = f"reading the lifecycle policy of ECR repository {self.name}"
        try:
            answer = self.client.get_lifecycle_policy(aws_retry=True, repositoryName=self.name)
        except is_boto3_error_code("LifecyclePolicyNotFoundException"):
            return None
        return json.loads(answer["lifecyclePolicyText"])

    def create(self, mutability, scan_on_push):
        self.step = f"creating ECR repository {self.name}"
        request = {"repositoryName": self.name}
        if mutability is not None:
            request["imageTagMutability"] = mutability
        if scan_on_push is not None:
            request["imageScanningConfiguration"] = {"scanOnPush": scan_on_push}
        return self.client.create_repository(aws_retry=True, **request)["repository"]

    def put_scan_on_push(self, scan_on_push):
        self.step = f"setting scan on push of ECR repository {self.name}"
        self.client.put_image_scanning_configuration(
            aws_retry=True, repositoryName=self.name, imageScanningConfiguration={"scanOnPush": scan_on_push}
        )

    def put_mutability(self, mutability):
        self.step = f"setting the tag mutability of ECR repository {self.name}"
        self.client.put_image_tag_mutability(aws_retry=True, repositoryName=self.name, imageTagMutability=mutability)

    def put_lifecycle_policy(self, policy):
        self.step = f"putting the lifecycle policy of ECR repository {self.name}"
        self.client.put_lifecycle_policy(
            aws_retry=True, repositoryName=self.name, lifecyclePolicyText=json.dumps(policy, sort_keys=True)
        )


def settings_of(repository, policy, wanted):
    """The settings of ``repository`` (None: absent) this run manages (the keys of ``wanted``), for the diff."""
    if repository is None:
        return {}
    current = {
        "scan_on_push": repository.get("imageScanningConfiguration", {}).get("scanOnPush", False),
        "image_tag_mutability": repository.get("imageTagMutability"),
        "lifecycle_policy": policy,
    }
    return {key: current[key] for key in wanted}


def policy_error(text):
    """Why the O(lifecycle_policy) text is not a policy document (None when it is one)."""
    try:
        policy = json.loads(text)
    except ValueError as e:
        return f"lifecycle_policy is not valid JSON: {e}"
    if not isinstance(policy, dict):
        return f"lifecycle_policy must be a JSON object (a dict with rules), got {type(policy).__name__}"
    return None


def wanted_settings(params):
    """The settings asked for: {name: value} of the options given (None = leave as is)."""
    wanted = {}
    if params["scan_on_push"] is not None:
        wanted["scan_on_push"] = params["scan_on_push"]
    if params["image_tag_mutability"] is not None:
        wanted["image_tag_mutability"] = params["image_tag_mutability"].upper()
    if params["lifecycle_policy"] is not None:
        wanted["lifecycle_policy"] = json.loads(params["lifecycle_policy"])
    return wanted


def ensure(module, repo):
    wanted = wanted_settings(module.params)
    repository = repo.describe()
    manages_policy = "lifecycle_policy" in wanted
    policy = repo.lifecycle_policy() if repository is not None and manages_policy else None
    before = settings_of(repository, policy, wanted)
    changes = [key for key, value in wanted.items() if repository is None or before[key] != value]
    result = {"changed": bool(changes), "created": repository is None, "changes": changes}

    if module.check_mode:
        if repository is None:
            repository = {}
    elif repository is None:
        repository = repo.create(wanted.get("image_tag_mutability"), wanted.get("scan_on_push"))
        if manages_policy:
            repo.put_lifecycle_policy(wanted["lifecycle_policy"])
    else:
        if "scan_on_push" in changes:
            repo.put_scan_on_push(wanted["scan_on_push"])
            repository["imageScanningConfiguration"] = {"scanOnPush": wanted["scan_on_push"]}
        if "image_tag_mutability" in changes:
            repo.put_mutability(wanted["image_tag_mutability"])
            repository["imageTagMutability"] = wanted["image_tag_mutability"]
        if "lifecycle_policy" in changes:
            repo.put_lifecycle_policy(wanted["lifecycle_policy"])

    result["repository"] = camel_dict_to_snake_dict(repository)
    if manages_policy:
        result["lifecycle_policy"] = wanted["lifecycle_policy"]
    if module._diff:
        result["diff"] = {"before": before, "after": dict(before, **wanted)}
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            scan_on_push=dict(type="bool"),
            image_tag_mutability=dict(type="str", choices=["IMMUTABLE", "MUTABLE", "immutable", "mutable"]),
            lifecycle_policy=dict(type="json"),
        ),
        supports_check_mode=True,
    )
    if module.params["lifecycle_policy"] is not None:
        error = policy_error(module.params["lifecycle_policy"])
        if error:
            module.fail_json(msg=error)
    repo = EcrRepository(module.client("ecr", retry_decorator=retry_for("ecr")), module.params["name"])
    try:
        result = ensure(module, repo)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed while {repo.step}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
