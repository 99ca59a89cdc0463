#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecr_image_tag_info
short_description: Whether an image tag is in an ECR repository, and an ECR login token
version_added: 0.1.0
description:
  - Looks up one tag of an ECR repository (C(DescribeImages)); a missing repository or tag gives
    RV(exists=false) rather than an error.
  - With O(login=true), also returns the registry's login (C(GetAuthorizationToken)) for
    C(community.docker.docker_login).
  - Use C(no_log) on that task, the password is a 12-hour registry token.
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  repository_name:
    description:
      - Name of the repository.
    type: str
    required: true
    version_added: 0.1.0
  image_tag:
    description:
      - Tag to look for; omit to only get a login.
    type: str
    version_added: 0.1.0
  registry_id:
    description:
      - Account id of the registry (default the caller's).
    type: str
    version_added: 0.1.0
  login:
    description:
      - Also return the registry address, user name and password.
    type: bool
    default: false
    version_added: 0.1.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Is the tag pushed already?
  django_ecs.fargate.ecr_image_tag_info:
    repository_name: djangoapp
    image_tag: 0123456789abcdef
  register: tag

- name: Get a login for docker
  django_ecs.fargate.ecr_image_tag_info:
    repository_name: djangoapp
    login: true
  register: ecr
  no_log: true
"""

RETURN = r"""
exists:
  description: Whether O(image_tag) is in the repository (false when the repository does not exist).
  returned: when O(image_tag) is given
  type: bool
image_digest:
  description: Digest of the tagged image.
  returned: when RV(exists)
  type: str
registry:
  description: Registry host name, e.g. C(123456789012.dkr.ecr.eu-west-1.amazonaws.com).
  returned: when O(login=true)
  type: str
username:
  description: User name for docker login (C(AWS)).
  returned: when O(login=true)
  type: str
password:
  description: Registry token for docker login.
  returned: when O(login=true)
  type: str
"""

import base64

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for
from ansible_collections.django_ecs.fargate.plugins.module_utils.stack_lookup import image_tag_state


def login(client, registry_id=None):
    """(registry host, user, password) from GetAuthorizationToken."""
    params = {"registryIds": [registry_id]} if registry_id else {}
    data = client.get_authorization_token(aws_retry=True, **params)["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode("utf-8").split(":", 1)
    registry = data["proxyEndpoint"].split("://", 1)[-1].rstrip("/")
    return registry, user, password


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            repository_name=dict(type="str", required=True),
            image_tag=dict(type="str"),
            registry_id=dict(type="str"),
            login=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    client = module.client("ecr", retry_decorator=retry_for("ecr"))
    result = dict(changed=False)
    try:
        if p["image_tag"]:
            result["exists"], digest = image_tag_state(client, p["repository_name"], p["image_tag"], p["registry_id"])
            if digest:
                result["image_digest"] = digest
        if p["login"]:
            result["registry"], result["username"], result["password"] = login(client, p["registry_id"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not query ECR repository {p['repository_name']}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
