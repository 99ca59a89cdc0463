#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: secret_json_keys
short_description: Keep keys of a JSON Secrets Manager secret, generating secret keys once
version_added: 0.1.0
description:
  - Ensures a Secrets Manager secret holding a JSON object exists and that it contains the given keys.
  - Keys listed in O(generate) get a random value only when they are missing from the secret (so a
    password is generated once and never regenerated); the values are made inside the module and never
    appear in its parameters or its result.
  - Keys given in O(values) are set to those values when they differ (e.g. the database endpoint).
  - The result holds the secret's ARN, its name and the names of the keys, never a value, so the ARN is
    not masked by C(no_log) value filtering and can be used in IAM policies and C(valueFrom) references.
  - One API call when nothing changes (C(GetSecretValue)).
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  name:
    description: Name of the secret, e.g. C(djangoapp/app).
    type: str
    required: true
    version_added: 0.1.0
  description:
    description: Description of the secret, set when the secret is created.
    type: str
    version_added: 0.1.0
  kms_key_id:
    description:
      - KMS key to encrypt the secret with, set when the secret is created.
      - Default the account's C(aws/secretsmanager) key.
    type: str
    version_added: 0.1.0
  restore:
    description:
      - Restore the secret when it is scheduled for deletion (a destroy with a recovery window), keeping its values,
        so that a redeploy reuses the same password.
      - When V(false), a secret scheduled for deletion fails the task.
    type: bool
    default: true
    version_added: 0.1.0
  tags:
    description: Tags set when the secret is created.
    type: dict
    default: {}
    version_added: 0.1.0
  values:
    description:
      - Keys set to these values; a key is rewritten when its stored value differs.
      - Values are stored with their JSON type (a number stays a number).
    type: dict
    default: {}
    version_added: 0.1.0
  generate:
    description: Keys given a random value when (and only when) they are missing from the secret.
    type: list
    elements: dict
    default: []
    version_added: 0.1.0
    suboptions:
      key:
        description: JSON key.
        type: str
        required: true
      length:
        description: Number of characters, 8 to 256.
        type: int
        default: 32
      chars:
        description: Character classes to draw from.
        type: list
        elements: str
        choices: [ascii_letters, ascii_lowercase, ascii_uppercase, digits, punctuation]
        default: [ascii_letters, digits]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Make the app secret with a generated password (generated once)
  django_ecs.fargate.secret_json_keys:
    name: djangoapp/app
    values:
      username: postgres
    generate:
      - key: password
        length: 32
      - key: django_secret_key
        length: 64
  no_log: true
  register: app_secret

- name: Write the database endpoint into it
  django_ecs.fargate.secret_json_keys:
    name: djangoapp/app
    values:
      host: "{{ db.endpoint.address }}"
      port: 5432
"""

RETURN = r"""
arn:
  description: ARN of the secret (empty in check mode when the secret does not exist yet).
  returned: always
  type: str
  sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:djangoapp/app-AbCdEf
name:
  description: Name of the secret.
  returned: always
  type: str
created:
  description: Whether the secret was created by this run.
  returned: always
  type: bool
key_names:
  description: The keys the secret holds after the run (names only).
  returned: always
  type: list
  elements: str
restored:
  description: Whether the secret was scheduled for deletion and this run restored it (values kept).
  returned: always
  type: bool
changed_keys:
  description: Keys added or rewritten by this run (names only).
  returned: always
  type: list
  elements: str
"""

import json
import secrets
import string

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for

CHAR_CLASSES = {
    "ascii_letters": string.ascii_letters,
    "ascii_lowercase": string.ascii_lowercase,
    "ascii_uppercase": string.ascii_uppercase,
    "digits": string.digits,
    "punctuation": string.punctuation,
}


def random_value(length, chars):
    """A random string of `length` characters drawn from the given classes (secrets module)."""
    alphabet = "".join(sorted(set("".join(CHAR_CLASSES[c] for c in chars))))
    return "".join(secrets.choice(alphabet) for _position in range(length))


def plan(current, values, generate):
    """Return (new_content, changed_keys) for the JSON object `current` (None when the secret is missing)."""
    content = dict(current or {})
    changed = []
    for spec in generate:
        if spec["key"] not in content or content[spec["key"]] in (None, ""):
            content[spec["key"]] = random_value(spec["length"], spec["chars"])
            changed.append(spec["key"])
    for key, value in values.items():
        if key not in content or content[key] != value:
            content[key] = value
            if key not in changed:
                changed.append(key)
    return content, changed


def validate(module):
    keys = set(module.params["values"])
    for spec in module.params["generate"]:
        if not 8 <= spec["length"] <= 256:
            module.fail_json(msg=f"generate: key {spec['key']!r} has length {spec['length']}: allowed 8-256.")
        if not spec["chars"]:
            module.fail_json(msg=f"generate: key {spec['key']!r} has no character classes (chars).")
        if spec["key"] in keys:
            module.fail_json(msg=f"key {spec['key']!r} is both in values and in generate: choose one.")


SCHEDULED_FOR_DELETION = "scheduled-for-deletion"


def restore_secret(module, client, name):
    """Cancel the scheduled deletion of a secret (destroy.yml's recovery window); its values are kept."""
    if not module.params["restore"]:
        module.fail_json(
            msg=f"Secret {name} is scheduled for deletion: restore it (aws secretsmanager restore-secret), "
            "wait for the recovery window to end, or set restore: true."
        )
    try:
        client.restore_secret(SecretId=name, aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not restore secret {name}, which is scheduled for deletion")


def read_secret(module, client, name):
    """(arn, content) of the secret, (None, None) when it does not exist."""
    try:
        resp = client.get_secret_value(SecretId=name, aws_retry=True)
    except botocore.exceptions.ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return None, None
        if code == "InvalidRequestException" and "delet" in str(e).lower():
            return SCHEDULED_FOR_DELETION, None
        module.fail_json_aws(e, msg=f"Could not read secret {name}")
    except botocore.exceptions.BotoCoreError as e:
        module.fail_json_aws(e, msg=f"Could not read secret {name}")
    try:
        content = json.loads(resp.get("SecretString") or "{}")
    except ValueError:
        module.fail_json(msg=f"Secret {name} does not hold a JSON object: refusing to overwrite it.")
    if not isinstance(content, dict):
        module.fail_json(msg=f"Secret {name} does not hold a JSON object: refusing to overwrite it.")
    return resp["ARN"], content


def ensure(module, client):
    p = module.params
    name = p["name"]
    arn, current = read_secret(module, client, name)
    restored = arn == SCHEDULED_FOR_DELETION
    if restored:
        if module.check_mode:
            return dict(changed=True, arn="", name=name, created=False, restored=True, key_names=[], changed_keys=[])
        restore_secret(module, client, name)
        arn, current = read_secret(module, client, name)
    content, changed_keys = plan(current, p["values"], p["generate"])
    result = dict(
        changed=bool(changed_keys) or restored,
        restored=restored,
        arn=arn or "",
        name=name,
        created=arn is None,
        key_names=sorted(content),
        changed_keys=changed_keys,
    )
    if module._diff:
        result["diff"] = dict(
            before={"keys": sorted(current or {})}, after={"keys": sorted(content), "changed_keys": changed_keys}
        )
    if not changed_keys or module.check_mode:
        return result
    body = json.dumps(content)
    try:
        if arn is None:
            params = dict(Name=name, SecretString=body)
            if p["description"]:
                params["Description"] = p["description"]
            if p["kms_key_id"]:
                params["KmsKeyId"] = p["kms_key_id"]
            if p["tags"]:
                params["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
            result["arn"] = client.create_secret(aws_retry=True, **params)["ARN"]
        else:
            client.put_secret_value(SecretId=arn, SecretString=body, aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not write secret {name}")
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        kms_key_id=dict(type="str"),
        restore=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
        values=dict(type="dict", default={}),
        generate=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                key=dict(type="str", required=True, no_log=False),
                length=dict(type="int", default=32),
                chars=dict(
                    type="list",
                    elements="str",
                    default=["ascii_letters", "digits"],
                    choices=list(CHAR_CLASSES),
                ),
            ),
        ),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    client = module.client("secretsmanager", retry_decorator=retry_for("secretsmanager"))
    module.exit_json(**ensure(module, client))


if __name__ == "__main__":
    main()
