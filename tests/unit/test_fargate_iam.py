"""The execution role's secret statements (issue 11, item 4): every secret the task definitions name is
readable by ECS, and the stack secret's customer managed KMS key can be used to decrypt it."""

import pytest

from ansible_collections.django_ecs.fargate.plugins.filter import fargate_iam as f

STACK = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/app-AbCdEf"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:eu-west-1:123456789012:key/{KEY_ID}"
# The valueFrom references of the base secrets: JSON keys of the stack secret.
BASE = [f"{STACK}:password::", f"{STACK}:username::", f"{STACK}:dbname::", f"{STACK}:django_secret_key::"]


def _by_sid(statements):
    return {s["Sid"]: s for s in statements}


def test_only_the_stack_secret_keeps_the_policy_as_it_was():
    assert f.execution_secret_statements(BASE, STACK, "") == [
        {"Sid": "ReadThisSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": STACK}
    ]


def test_extra_secrets_manager_arns_are_readable_by_their_secret_arn():
    other = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mail-XyZ123"
    third = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-QwErTy"
    refs = [*BASE, f"{other}:smtp_password::", third, f"{other}:user:AWSCURRENT:"]
    statements = _by_sid(f.execution_secret_statements(refs, STACK))
    assert statements["ReadThisSecret"]["Resource"] == [STACK, other, third]
    assert set(statements) == {"ReadThisSecret"}


def test_ssm_parameters_get_ssm_get_parameters():
    param = "arn:aws:ssm:eu-west-1:123456789012:parameter/app/api_key"
    statements = _by_sid(f.execution_secret_statements([*BASE, param], STACK))
    assert statements["ReadTheseParameters"] == {
        "Sid": "ReadTheseParameters", "Effect": "Allow", "Action": "ssm:GetParameters", "Resource": param,
    }  # fmt: skip
    assert statements["ReadThisSecret"]["Resource"] == STACK


@pytest.mark.parametrize("key", [KEY_ID, KEY_ARN])
def test_a_key_id_or_arn_gets_kms_decrypt_on_the_key_arn(key):
    statements = _by_sid(f.execution_secret_statements(BASE, STACK, key))
    assert statements["DecryptTheSecretsKey"] == {
        "Sid": "DecryptTheSecretsKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY_ARN,
    }  # fmt: skip


def test_a_multi_region_key_id():
    key = "mrk-1234abcd12ab34cd56ef1234567890ab"
    statement = _by_sid(f.execution_secret_statements(BASE, STACK, key))["DecryptTheSecretsKey"]
    assert statement["Resource"] == f"arn:aws:kms:eu-west-1:123456789012:key/{key}"


@pytest.mark.parametrize(
    "alias, prefix",
    [
        ("alias/app-secrets", "arn:aws:kms:eu-west-1:123456789012"),
        ("arn:aws:kms:eu-central-1:210987654321:alias/app-secrets", "arn:aws:kms:eu-central-1:210987654321"),
    ],
)
def test_an_alias_gets_key_star_limited_by_the_resource_alias(alias, prefix):
    statement = _by_sid(f.execution_secret_statements(BASE, STACK, alias))["DecryptTheSecretsKey"]
    assert statement == {
        "Sid": "DecryptTheSecretsKey",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": f"{prefix}:key/*",
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app-secrets"}},
    }


def test_other_partitions_are_kept():
    gov = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:app-AbCdEf"
    statement = _by_sid(f.execution_secret_statements([], gov, KEY_ID))["DecryptTheSecretsKey"]
    assert statement["Resource"] == f"arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/{KEY_ID}"


@pytest.mark.parametrize(
    "value, kind",
    [
        ("", "none"),
        (None, "none"),
        (KEY_ID, "key"),
        (KEY_ARN, "key"),
        ("mrk-1234abcd12ab34cd56ef1234567890ab", "key"),
        ("alias/app", "alias"),
        ("arn:aws:kms:eu-west-1:123456789012:alias/app", "alias"),
        ("app", "invalid"),
        ("1234", "invalid"),
        ("arn:aws:kms:eu-west-1:123456789012:thing/app", "invalid"),
    ],
)
def test_kms_key_kind(value, kind):
    assert f.kms_key_kind(value) == kind


def test_an_invalid_key_raises():
    with pytest.raises(ValueError, match="not a KMS key ID"):
        f.execution_secret_statements(BASE, STACK, "my-key")
