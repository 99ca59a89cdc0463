"""The collection's retries: each service's throttling/5xx/concurrency codes retried by retry_for(service), client
errors and other services' codes not; NoSuchEntity retried right after CreateRole only; IAM propagation refusals
waited out."""

import pathlib
import re

import botocore.session
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from botocore.exceptions import ClientError

from ansible_collections.django_ecs.fargate.plugins.module_utils import ecs_retry as r
from fakes import FakeClock

SLR = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."


def error(code, message, operation="RunTask"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def scripted(*outcomes):
    """A call answering each outcome in turn (an exception is raised, anything else returned)."""
    calls = []

    def call():
        outcome = outcomes[len(calls)]
        calls.append(outcome)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return call, calls


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("InvalidParameterException", SLR, True),
        ("InvalidParameterException", "ECS was unable to assume the role 'arn:aws:iam::1:role/x' ...", True),
        ("InvalidParameterException", "No Container Instances were found in your cluster.", False),
        ("AccessDeniedException", SLR, False),
    ],
)
def test_iam_propagation_errors(code, message, expected):
    assert r.is_iam_propagation_error(error(code, message)) is expected


# Per service, the answers that are retried: AWSRetry's own codes as the query-protocol services send them, and the
# extra codes of the service (its throttling, 5xx and concurrency error shapes in botocore's service model).
RETRIED = [
    ("ecs", "ThrottlingException", "DescribeServices"),
    ("ecs", "ServerException", "RunTask"),  # ECS's 5xx (HTTP 500)
    ("logs", "ThrottlingException", "GetLogEvents"),
    ("logs", "ServiceUnavailableException", "GetLogEvents"),  # CloudWatch Logs' 5xx (HTTP 503)
    ("ecr", "ThrottlingException", "DescribeImages"),
    ("ecr", "ServerException", "GetAuthorizationToken"),
    ("iam", "Throttling", "GetRole"),
    ("iam", "ServiceFailure", "GetRole"),  # IAM's 5xx
    ("iam", "ConcurrentModification", "PutRolePolicy"),
    ("sts", "Throttling", "GetCallerIdentity"),
    ("secretsmanager", "ThrottlingException", "GetSecretValue"),
    ("secretsmanager", "InternalServiceError", "PutSecretValue"),  # Secrets Manager's 5xx
    ("scheduler", "ThrottlingException", "GetSchedule"),
    ("scheduler", "InternalServerException", "CreateSchedule"),  # Scheduler's 5xx
    ("ec2", "RequestLimitExceeded", "DescribeVpcs"),
    ("elbv2", "Throttling", "DescribeTargetHealth"),
    ("rds", "Throttling", "DescribeDBInstances"),
    ("ecs", "ServiceUnavailable", "RunTask"),  # a plain 503, for every service (AWSRetry's list)
]

# Answers that are final: client errors, and another service's extra codes (each service retries its own).
NOT_RETRIED = [
    ("ecs", "ClientException", "DescribeTaskDefinition"),
    ("ecs", "AccessDeniedException", "RunTask"),
    ("ecs", "InternalServiceError", "RunTask"),
    ("logs", "ResourceNotFoundException", "GetLogEvents"),
    ("logs", "ServerException", "GetLogEvents"),
    ("ecr", "RepositoryNotFoundException", "DescribeImages"),
    ("ecr", "ServiceUnavailableException", "DescribeImages"),
    ("iam", "AccessDenied", "GetRole"),
    ("iam", "NoSuchEntity", "GetRole"),  # only right after CreateRole (NEW_IAM_ROLE_RETRY)
    ("iam", "ThrottlingException", "GetRole"),
    ("sts", "AccessDenied", "GetCallerIdentity"),
    ("sts", "ServiceFailure", "GetCallerIdentity"),
    ("secretsmanager", "ResourceNotFoundException", "GetSecretValue"),
    ("secretsmanager", "ServerException", "GetSecretValue"),
    ("scheduler", "ResourceNotFoundException", "GetSchedule"),
    ("scheduler", "ServiceFailure", "GetSchedule"),
    ("ec2", "InvalidVpcID.NotFound", "DescribeVpcs"),
    ("elbv2", "LoadBalancerNotFound", "DescribeLoadBalancers"),
    ("elbv2", "ThrottlingException", "DescribeLoadBalancers"),
    ("rds", "DBInstanceNotFound", "DescribeDBInstances"),
]


@pytest.fixture
def sleeps(monkeypatch):
    """AWSRetry's pauses, recorded instead of slept."""
    recorded = []
    monkeypatch.setattr(cloud.time, "sleep", recorded.append)
    return recorded


@pytest.mark.parametrize(("service", "code", "operation"), RETRIED)
def test_each_service_retries_its_throttling_and_server_errors(sleeps, service, code, operation):
    call, calls = scripted(error(code, "try again", operation), error(code, "try again", operation), "ok")
    assert r.retry_for(service)(call)() == "ok"
    assert len(calls) == 3 and len(sleeps) == 2


@pytest.mark.parametrize(("service", "code", "operation"), NOT_RETRIED)
def test_client_errors_and_other_services_codes_are_not_retried(sleeps, service, code, operation):
    call, calls = scripted(error(code, "no", operation), "ok")
    with pytest.raises(ClientError) as raised:
        r.retry_for(service)(call)()
    assert raised.value.response["Error"]["Code"] == code
    assert len(calls) == 1 and sleeps == []


def test_ecs_retry_is_the_ecs_decorator_and_retries_throttling(sleeps):
    assert r.ECS_RETRY is r.retry_for("ecs")
    call, calls = scripted(error("ThrottlingException", "Rate exceeded"), "ok")
    assert r.ECS_RETRY(call)() == "ok" and len(calls) == 2


@pytest.mark.parametrize("code", ["NoSuchEntity", "ServiceFailure", "ConcurrentModification", "Throttling"])
def test_new_role_retry_waits_out_a_role_iam_has_not_propagated(sleeps, code):
    call, calls = scripted(error(code, "The role with name app cannot be found.", "PutRolePolicy"), "ok")
    assert r.NEW_IAM_ROLE_RETRY(call)() == "ok"
    assert len(calls) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("code", ["AccessDenied", "MalformedPolicyDocument", "ThrottlingException"])
def test_new_role_retry_does_not_retry_client_errors(sleeps, code):
    call, calls = scripted(error(code, "no", "PutRolePolicy"), "ok")
    with pytest.raises(ClientError):
        r.NEW_IAM_ROLE_RETRY(call)()
    assert len(calls) == 1 and sleeps == []


def test_a_service_without_a_retry_is_refused_by_name():
    with pytest.raises(ValueError, match=r"no retry for AWS service 'route53'.*SERVICE_ERROR_CODES"):
        r.retry_for("route53")


@pytest.mark.parametrize("service", sorted(r.SERVICE_ERROR_CODES))
def test_extra_codes_are_the_services_own_error_codes(service):
    """Each extra code is an error the service's model declares (ThrottlingException is one of AWS's common errors,
    declared by some models only); none is already in AWSRetry's own list."""
    model = botocore.session.get_session().get_service_model(service)
    declared = {shape.error_code for shape in model.error_shapes}
    for code in r.SERVICE_ERROR_CODES[service]:
        assert code == "ThrottlingException" or code in declared, (service, code)
        assert not AWSRetry.found(code), (service, code)


def clients_asked_for():
    """(service, file) of every client the collection's modules and module_utils ask for."""
    root = pathlib.Path(__file__).resolve().parents[2] / "plugins"
    pattern = re.compile(r"""(?:module\.client|self\.client)\(\s*["']([a-z0-9-]+)["']""")
    for path in sorted([*root.glob("modules/*.py"), *root.glob("module_utils/*.py")]):
        for service in pattern.findall(path.read_text()):
            yield service, path.name


def test_every_client_the_collection_makes_has_a_retry():
    asked = set(clients_asked_for())
    services = {service for service, dummy in asked}
    assert services >= {"ecs", "logs", "ecr", "iam", "sts", "secretsmanager", "scheduler", "elbv2", "ec2", "rds"}
    assert [(s, f) for s, f in sorted(asked) if s not in r.SERVICE_ERROR_CODES] == []


def test_iam_wait_then_success():
    clock, waits = FakeClock(), []
    call, calls = scripted(error("InvalidParameterException", SLR), error("InvalidParameterException", SLR), "ok")
    response, wait = r.call_waiting_for_iam(call, clock, clock.sleep, timeout=60, on_wait=waits.append)
    assert response == "ok" and wait.attempts == 3 and wait.waited
    assert clock.sleeps == [5.0, 7.5] and wait.waited_seconds == 12.5
    assert len(waits) == 2 and "waiting for IAM" in waits[0]
    assert wait.summary("RunTask").startswith("RunTask waited 12 s for IAM (2 refused attempt(s): Unable to assume")


def test_iam_wait_is_bounded():
    clock = FakeClock()
    call, calls = scripted(*[error("InvalidParameterException", SLR)] * 5)
    with pytest.raises(ClientError):
        r.call_waiting_for_iam(call, clock, clock.sleep, timeout=20)
    assert clock.sleeps == [5.0, 7.5, 7.5] and len(calls) == 4  # the last pause is cut to the time left


def test_no_wait_without_refusal_and_other_errors_propagate_at_once():
    clock = FakeClock()
    response, wait = r.call_waiting_for_iam(lambda: "ok", clock, clock.sleep)
    assert response == "ok" and not wait.waited and wait.summary("RunTask") is None
    call, calls = scripted(error("ClientException", "boom"))
    with pytest.raises(ClientError):
        r.call_waiting_for_iam(call, clock, clock.sleep)
    assert clock.sleeps == []
