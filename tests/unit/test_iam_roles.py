"""iam_roles on botocore Stubbers answering as IAM does: the no-op's exact calls (GetRole, ListAttachedRolePolicies,
GetRolePolicy only for a role with an inline policy), each drift repaired by its one write and nothing else, the
creation, check mode (no write; the would-be ARN), and AWS errors through fail_json_aws.

IAM answers policy documents URL-encoded (GetRole's AssumeRolePolicyDocument, GetRolePolicy's PolicyDocument);
botocore's after-call handler decodes them into dicts. The stubs answer the encoded form, so that path is the one
tested. A call the test did not queue fails the Stubber: each test's queue is exactly the calls the module may make.
"""

import datetime
import json
from urllib.parse import quote

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.modules import iam_roles as mod
from fakes import run_module, serve_clients

REGION = "us-east-1"
ACCOUNT = "123456789012"
CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing"}
EXECUTION, TASK = "djangoapp-execution", "djangoapp-task"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "EcrAuth", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "WriteTheseLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/djangoapp:log-stream:*",
        },
    ],
}
TAGS = {"fargate:stack": "djangoapp"}
SAME = object()  # Iam.existing: the stored inline policy is POLICY
DESCRIPTIONS = {EXECUTION: "ECS pulls the image, writes logs and reads the secret of djangoapp", TASK: "AWS identity"}


def arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def encoded(document):
    """A policy document as IAM sends it: URL-encoded JSON."""
    return quote(json.dumps(document), safe="")


def role_answer(name, trust=None, description=None, tags=None):
    role = {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + name.upper().replace("-", "")[:17].ljust(17, "X"),
        "Arn": arn(name),
        "CreateDate": datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC),
        "AssumeRolePolicyDocument": encoded(trust or TRUST),
        "MaxSessionDuration": 3600,
        "RoleLastUsed": {},
    }
    description = DESCRIPTIONS[name] if description is None else description
    if description:  # IAM leaves the key out when the role has none
        role["Description"] = description
    tags = TAGS if tags is None else tags
    if tags:  # likewise
        role["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return {"Role": role}


class Iam:
    """Stubbed IAM (and STS) clients; each method queues one call with the parameters the module must send."""

    def __init__(self):
        kwargs = {"region_name": REGION, "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        self.clients = {"iam": boto3.client("iam", **kwargs), "sts": boto3.client("sts", **kwargs)}
        self.iam = Stubber(self.clients["iam"])
        self.sts = Stubber(self.clients["sts"])

    def get_role(self, name, **answer):
        self.iam.add_response("get_role", role_answer(name, **answer), {"RoleName": name})

    def refuse(self, method, error, **params):
        """One IAM call answered with an error (code, message, HTTP status), as IAM answers it."""
        code, message, status = error
        self.iam.add_client_error(method, code, message, http_status_code=status, expected_params=params)

    def no_role(self, name):
        self.refuse("get_role", ("NoSuchEntity", f"The role with name {name} cannot be found.", 404), RoleName=name)

    def attached(self, name, arns=()):
        answer = {
            "AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in arns],
            "IsTruncated": False,
        }
        self.iam.add_response("list_attached_role_policies", answer, {"RoleName": name})

    def inline(self, name, document=None):
        params = {"RoleName": name, "PolicyName": name}
        if document is None:
            missing = ("NoSuchEntity", f"The role policy with name {name} cannot be found.", 404)
            self.refuse("get_role_policy", missing, **params)
        else:
            answer = {"RoleName": name, "PolicyName": name, "PolicyDocument": encoded(document)}
            self.iam.add_response("get_role_policy", answer, params)

    def existing(self, name, attached=(), stored=SAME, **answer):
        """The reads of an existing role with an inline policy: GetRole, ListAttachedRolePolicies, GetRolePolicy
        (``stored``: the policy IAM has; POLICY unless given, None for none)."""
        self.get_role(name, **answer)
        self.attached(name, attached)
        self.inline(name, POLICY if stored is SAME else stored)

    def write(self, method, **params):
        self.iam.add_response(method, {}, params)

    def create_role(self, name):
        params = {
            "RoleName": name,
            "AssumeRolePolicyDocument": json.dumps(TRUST),
            "Description": DESCRIPTIONS[name],
            "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()],
        }
        answer = role_answer(name)
        answer["Role"].pop("AssumeRolePolicyDocument")  # CreateRole's answer: the role without the documents
        self.iam.add_response("create_role", answer, params)

    def put_policy(self, name, error=None):
        """PutRolePolicy with POLICY, answered or refused with error (code, message, HTTP status)."""
        params = {"RoleName": name, "PolicyName": name, "PolicyDocument": json.dumps(POLICY)}
        if error:
            self.refuse("put_role_policy", error, **params)
        else:
            self.write("put_role_policy", **params)


@pytest.fixture
def aws(monkeypatch):
    iam = Iam()
    serve_clients(monkeypatch, iam.clients)
    with iam.iam, iam.sts:
        yield iam
        iam.iam.assert_no_pending_responses()
        iam.sts.assert_no_pending_responses()


def spec(name, inline=True, **extra):
    return {
        "name": name,
        "description": DESCRIPTIONS[name],
        "assume_role_policy": TRUST,
        **({"inline_policy": POLICY} if inline else {}),
        **extra,
    }


def run(capsys, roles, check_mode=False, diff=False, **args):
    return run_module(mod.main, {**CONNECTION, "roles": roles, "tags": TAGS, **args}, capsys, check_mode, diff)


def the_stack():
    """The demo's two roles: the execution role with its inline policy, the task role without one."""
    return [spec(EXECUTION), spec(TASK, inline=False)]


def test_a_no_op_makes_five_calls_for_the_two_roles(aws, capsys):
    aws.get_role(EXECUTION)
    aws.get_role(TASK)
    aws.attached(EXECUTION)
    aws.inline(EXECUTION, POLICY)
    aws.attached(TASK)
    failed, result = run(capsys, the_stack(), diff=True)
    assert not failed, result
    assert result["changed"] is False
    assert result["roles"] == [
        {"name": EXECUTION, "arn": arn(EXECUTION), "created": False, "changed": False, "changes": []},
        {"name": TASK, "arn": arn(TASK), "created": False, "changed": False, "changes": []},
    ]
    assert result["diff"] == {"before": {}, "after": {}}


def test_documents_that_differ_only_in_form_are_equal(aws, capsys):
    """Statement order, a one-item list for a string: IAM reads them the same, so no write."""
    trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Action": ["sts:AssumeRole"]}]}
    policy = {**POLICY, "Statement": list(reversed(POLICY["Statement"]))}
    aws.existing(EXECUTION, stored=policy, trust=trust)
    failed, result = run(capsys, [spec(EXECUTION)])
    assert not failed and result["changed"] is False, result


OTHER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
OTHER_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

# drift -> (GetRole's answer, the attached policies, the stored inline policy, the writes that repair it, changes)
DRIFTS = {
    "trust policy": (
        {"trust": OTHER_TRUST},
        [],
        POLICY,
        [("update_assume_role_policy", {"RoleName": EXECUTION, "PolicyDocument": json.dumps(TRUST)})],
        ["assume_role_policy"],
    ),
    "description": (
        {"description": "old"},
        [],
        POLICY,
        [("update_role", {"RoleName": EXECUTION, "Description": DESCRIPTIONS[EXECUTION]})],
        ["description"],
    ),
    "no description": (
        {"description": ""},
        [],
        POLICY,
        [("update_role", {"RoleName": EXECUTION, "Description": DESCRIPTIONS[EXECUTION]})],
        ["description"],
    ),
    "a managed policy attached": (
        {},
        [ADMIN],
        POLICY,
        [("detach_role_policy", {"RoleName": EXECUTION, "PolicyArn": ADMIN})],
        ["managed_policies"],
    ),
    "inline policy differs": (
        {},
        [],
        OTHER_POLICY,
        [("put_role_policy", {"RoleName": EXECUTION, "PolicyName": EXECUTION, "PolicyDocument": json.dumps(POLICY)})],
        ["inline_policy"],
    ),
    "inline policy missing": (
        {},
        [],
        None,
        [("put_role_policy", {"RoleName": EXECUTION, "PolicyName": EXECUTION, "PolicyDocument": json.dumps(POLICY)})],
        ["inline_policy"],
    ),
    "an extra tag": (
        {"tags": {**TAGS, "owner": "someone"}},
        [],
        POLICY,
        [("untag_role", {"RoleName": EXECUTION, "TagKeys": ["owner"]})],
        ["tags"],
    ),
    "a tag value differs": (
        {"tags": {"fargate:stack": "other"}},
        [],
        POLICY,
        [("tag_role", {"RoleName": EXECUTION, "Tags": [{"Key": "fargate:stack", "Value": "djangoapp"}]})],
        ["tags"],
    ),
    "no tags": (
        {"tags": {}},
        [],
        POLICY,
        [("tag_role", {"RoleName": EXECUTION, "Tags": [{"Key": "fargate:stack", "Value": "djangoapp"}]})],
        ["tags"],
    ),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_each_drift_is_repaired_by_its_write_and_nothing_else(aws, capsys, drift):
    answer, attached, stored, writes, changes = DRIFTS[drift]
    aws.existing(EXECUTION, attached, stored, **answer)
    for method, params in writes:
        aws.write(method, **params)
    failed, result = run(capsys, [spec(EXECUTION)], diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert result["roles"] == [
        {"name": EXECUTION, "arn": arn(EXECUTION), "created": False, "changed": True, "changes": changes}
    ]
    before, after = result["diff"]["before"][EXECUTION], result["diff"]["after"][EXECUTION]
    assert after == {
        "assume_role_policy": TRUST,
        "description": DESCRIPTIONS[EXECUTION],
        "tags": TAGS,
        "managed_policies": [],
        "inline_policy": {EXECUTION: POLICY},
    }
    assert [key for key in after if before.get(key) != after[key]] == changes


@pytest.mark.parametrize("drift", DRIFTS)
def test_check_mode_reports_each_drift_and_writes_nothing(aws, capsys, drift):
    answer, attached, stored, _writes, changes = DRIFTS[drift]
    aws.existing(EXECUTION, attached, stored, **answer)
    failed, result = run(capsys, [spec(EXECUTION)], check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] is True and result["roles"][0]["changes"] == changes
    assert EXECUTION in result["diff"]["after"]


def test_several_drifts_of_a_role_are_repaired_together(aws, capsys):
    aws.existing(EXECUTION, [ADMIN], OTHER_POLICY, trust=OTHER_TRUST, description="old", tags={"owner": "someone"})
    aws.write("update_assume_role_policy", RoleName=EXECUTION, PolicyDocument=json.dumps(TRUST))
    aws.write("update_role", RoleName=EXECUTION, Description=DESCRIPTIONS[EXECUTION])
    aws.write("untag_role", RoleName=EXECUTION, TagKeys=["owner"])
    aws.write("tag_role", RoleName=EXECUTION, Tags=[{"Key": "fargate:stack", "Value": "djangoapp"}])
    aws.write("detach_role_policy", RoleName=EXECUTION, PolicyArn=ADMIN)
    aws.put_policy(EXECUTION)
    failed, result = run(capsys, [spec(EXECUTION)])
    assert not failed, result
    assert result["roles"][0]["changes"] == [
        "assume_role_policy",
        "description",
        "tags",
        "managed_policies",
        "inline_policy",
    ]


def test_without_an_inline_policy_the_roles_inline_policies_are_left_alone(aws, capsys):
    """The task role without ecs_taskdefs_task_role_policy: no GetRolePolicy, no ListRolePolicies, no delete."""
    aws.get_role(TASK)
    aws.attached(TASK)
    failed, result = run(capsys, [spec(TASK, inline=False)])
    assert not failed and result["changed"] is False, result


def test_a_policy_name_of_its_own(aws, capsys):
    aws.get_role(EXECUTION)
    aws.attached(EXECUTION)
    aws.iam.add_response(
        "get_role_policy",
        {"RoleName": EXECUTION, "PolicyName": "pull", "PolicyDocument": encoded(OTHER_POLICY)},
        {"RoleName": EXECUTION, "PolicyName": "pull"},
    )
    aws.write("put_role_policy", RoleName=EXECUTION, PolicyName="pull", PolicyDocument=json.dumps(POLICY))
    failed, result = run(capsys, [spec(EXECUTION, policy_name="pull")])
    assert not failed and result["roles"][0]["changes"] == ["inline_policy"], result


def test_without_tags_the_tags_are_left_alone(aws, capsys):
    aws.existing(EXECUTION, tags={"owner": "someone"})
    failed, result = run(capsys, [spec(EXECUTION)], tags=None)
    assert not failed and result["changed"] is False, result


def test_missing_roles_are_created_with_their_tags_then_the_inline_policy_put(aws, capsys):
    aws.no_role(EXECUTION)
    aws.no_role(TASK)
    aws.create_role(EXECUTION)
    aws.put_policy(EXECUTION)
    aws.create_role(TASK)
    failed, result = run(capsys, the_stack(), diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert result["roles"] == [
        {"name": EXECUTION, "arn": arn(EXECUTION), "created": True, "changed": True, "changes": ["created"]},
        {"name": TASK, "arn": arn(TASK), "created": True, "changed": True, "changes": ["created"]},
    ]
    assert result["diff"]["before"] == {EXECUTION: {}, TASK: {}}
    assert result["diff"]["after"][EXECUTION]["inline_policy"] == {EXECUTION: POLICY}
    assert "inline_policy" not in result["diff"]["after"][TASK]


def test_check_mode_on_a_fresh_stack_writes_nothing_and_builds_the_arns_from_the_account(aws, capsys):
    aws.no_role(EXECUTION)
    aws.no_role(TASK)
    aws.sts.add_response(
        "get_caller_identity",
        {"UserId": "AIDAEXAMPLE", "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer"},
        {},
    )
    failed, result = run(capsys, the_stack(), check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert [(r["arn"], r["created"], r["changes"]) for r in result["roles"]] == [
        (arn(EXECUTION), True, ["created"]),
        (arn(TASK), True, ["created"]),
    ]


def test_check_mode_takes_the_account_from_a_listed_role_that_exists(aws, capsys):
    aws.get_role(EXECUTION)
    aws.no_role(TASK)
    aws.attached(EXECUTION)
    aws.inline(EXECUTION, POLICY)
    failed, result = run(capsys, the_stack(), check_mode=True)
    assert not failed, result
    assert [(r["arn"], r["changed"]) for r in result["roles"]] == [(arn(EXECUTION), False), (arn(TASK), True)]


def test_check_mode_without_the_account_returns_an_empty_arn(aws, capsys):
    aws.no_role(TASK)
    aws.sts.add_client_error("get_caller_identity", "AccessDenied", "not allowed", http_status_code=403)
    failed, result = run(capsys, [spec(TASK, inline=False)], check_mode=True)
    assert not failed, result
    assert result["roles"][0]["arn"] == "" and result["changed"] is True


def test_a_read_error_fails_with_the_aws_error(aws, capsys):
    denied = f"User: arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform: iam:GetRole"
    aws.refuse("get_role", ("AccessDenied", denied, 403), RoleName=EXECUTION)
    failed, result = run(capsys, [spec(EXECUTION)])
    assert failed
    assert result["msg"].startswith(f"Could not read the IAM role {EXECUTION}: ")
    assert result["error"]["code"] == "AccessDenied"


def test_a_write_error_fails_with_the_aws_error(aws, capsys):
    aws.existing(EXECUTION, stored=OTHER_POLICY)
    aws.put_policy(EXECUTION, error=("MalformedPolicyDocument", "Syntax errors in policy.", 400))
    failed, result = run(capsys, [spec(EXECUTION)])
    assert failed
    assert result["msg"].startswith(f"Could not put the inline policy {EXECUTION} of the IAM role {EXECUTION}: ")
    assert result["error"]["code"] == "MalformedPolicyDocument"


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([spec(EXECUTION), spec(EXECUTION)], f"roles: the role {EXECUTION} is listed twice"),
        ([{**spec(TASK), "name": "bad name"}], "roles: name 'bad name': use 1-64 letters"),
        ([spec(TASK, policy_name="a/b")], "roles: djangoapp-task: policy_name 'a/b'"),
        ([{**spec(TASK), "assume_role_policy": {"Version": "2012-10-17"}}], "assume_role_policy is not a policy"),
    ],
)
def test_bad_input_fails_before_any_call(aws, capsys, roles, message):
    failed, result = run(capsys, roles)
    assert failed and message in result["msg"], result


def test_every_page_of_attached_policies_is_detached(aws, capsys):
    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    aws.get_role(TASK)
    aws.iam.add_response(
        "list_attached_role_policies",
        {
            "AttachedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}],
            "IsTruncated": True,
            "Marker": "m1",
        },
        {"RoleName": TASK},
    )
    aws.iam.add_response(
        "list_attached_role_policies",
        {"AttachedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": readonly}], "IsTruncated": False},
        {"RoleName": TASK, "Marker": "m1"},
    )
    aws.write("detach_role_policy", RoleName=TASK, PolicyArn=ADMIN)
    aws.write("detach_role_policy", RoleName=TASK, PolicyArn=readonly)
    failed, result = run(capsys, [spec(TASK, inline=False)])
    assert not failed and result["roles"][0]["changes"] == ["managed_policies"], result


@pytest.fixture
def retry_sleeps(monkeypatch):
    """AWSRetry's pauses, recorded instead of slept."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    return sleeps


def test_iam_5xx_and_concurrent_modification_are_retried(aws, capsys, retry_sleeps):
    """IAM's own codes (retry_for("iam")): ServiceFailure (its 5xx) and ConcurrentModification."""
    aws.refuse("get_role", ("ServiceFailure", "Service failure", 500), RoleName=TASK)
    aws.get_role(TASK)
    aws.refuse("list_attached_role_policies", ("ConcurrentModification", "Try again", 409), RoleName=TASK)
    aws.attached(TASK)
    failed, result = run(capsys, [spec(TASK, inline=False)])
    assert not failed, result
    assert result["changed"] is False and len(retry_sleeps) == 2


def test_a_new_role_that_iam_has_not_propagated_yet_is_waited_for(aws, capsys, retry_sleeps):
    """Right after CreateRole, PutRolePolicy answering NoSuchEntity is retried (NEW_IAM_ROLE_RETRY)."""
    aws.no_role(EXECUTION)
    aws.create_role(EXECUTION)
    aws.put_policy(EXECUTION, error=("NoSuchEntity", f"The role with name {EXECUTION} cannot be found.", 404))
    aws.put_policy(EXECUTION)
    failed, result = run(capsys, [spec(EXECUTION)])
    assert not failed, result
    assert result["roles"][0]["created"] is True and len(retry_sleeps) == 1


def test_no_such_entity_on_an_existing_role_is_not_retried(aws, capsys, retry_sleeps):
    """Only a role just created waits for IAM; a role that vanished in mid-run fails at once."""
    aws.existing(EXECUTION, stored=OTHER_POLICY)
    aws.put_policy(EXECUTION, error=("NoSuchEntity", f"The role with name {EXECUTION} cannot be found.", 404))
    failed, result = run(capsys, [spec(EXECUTION)])
    assert failed and result["error"]["code"] == "NoSuchEntity"
    assert retry_sleeps == []
