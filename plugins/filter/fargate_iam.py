# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for the ecs_taskdefs role's execution role policy: the statements that let ECS read
every secret the task definitions name (the stack secret, extra Secrets Manager secrets, SSM
parameters) and decrypt the stack secret when it is encrypted with a customer managed KMS key."""

from __future__ import annotations

import re

# Each filter's documentation is in plugins/filter/<filter name>.yml (ansible-doc -t filter).

# arn:<partition>:secretsmanager:<region>:<account>:secret:<name-suffix>[:json-key:version-stage:version-id]
_SECRET = re.compile(r"^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:\s]+)(:.*)?$")
_SSM = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/\S+$")
_KEY_ID = re.compile(r"^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/\S+$")
_ALIAS_ARN = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}):(alias/\S+)$")
_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]+$")


def kms_key_kind(value):
    """'none' (empty), 'key' (key ID or key ARN), 'alias' (alias name or ARN), 'invalid'."""
    value = (value or "").strip()
    if not value:
        return "none"
    if _KEY_ID.match(value) or _KEY_ARN.match(value):
        return "key"
    if _ALIAS.match(value) or _ALIAS_ARN.match(value):
        return "alias"
    return "invalid"


def _arn_parts(stack_secret_arn):
    parts = (stack_secret_arn or "").split(":")
    if len(parts) < 6:
        raise ValueError(f"not an ARN: {stack_secret_arn!r}")
    return parts[1], parts[3], parts[4]  # partition, region, account


def kms_statement(kms_key_id, stack_secret_arn):
    """The kms:Decrypt statement for the stack secret's customer managed key (None without one)."""
    kind = kms_key_kind(kms_key_id)
    if kind == "none":
        return None
    if kind == "invalid":
        raise ValueError(f"not a KMS key ID, key ARN, alias name or alias ARN: {kms_key_id!r}")
    value = kms_key_id.strip()
    partition, region, account = _arn_parts(stack_secret_arn)
    statement = {"Sid": "DecryptTheSecretsKey", "Effect": "Allow", "Action": "kms:Decrypt"}
    if kind == "key":
        resource = value if value.startswith("arn:") else f"arn:{partition}:kms:{region}:{account}:key/{value}"
        return {**statement, "Resource": resource}
    match = _ALIAS_ARN.match(value)
    prefix, alias = (match.group(1), match.group(2)) if match else (f"arn:{partition}:kms:{region}:{account}", value)
    return {
        **statement,
        "Resource": f"{prefix}:key/*",
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
    }


def execution_secret_statements(value_froms, stack_secret_arn, kms_key_id=""):
    """Statements: GetSecretValue on every Secrets Manager secret (stack secret first), GetParameters on every
    SSM parameter, kms:Decrypt on the stack secret's customer managed key."""
    secrets, parameters = [stack_secret_arn], []
    for ref in value_froms or []:
        match = _SECRET.match(ref or "")
        if match:
            if match.group(1) not in secrets:
                secrets.append(match.group(1))
        elif _SSM.match(ref or ""):
            if ref not in parameters:
                parameters.append(ref)
    statements = [
        {
            "Sid": "ReadThisSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secrets[0] if len(secrets) == 1 else secrets,
        }
    ]
    if parameters:
        statements.append(
            {
                "Sid": "ReadTheseParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": parameters[0] if len(parameters) == 1 else parameters,
            }
        )
    kms = kms_statement(kms_key_id, stack_secret_arn)
    if kms:
        statements.append(kms)
    return statements


class FilterModule:
    def filters(self):
        return {
            "execution_secret_statements": execution_secret_statements,
            "kms_key_kind": kms_key_kind,
        }
