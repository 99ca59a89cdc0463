"""The shared ECS retries: ThrottlingException, ServerException (ECS) and ServiceUnavailableException (Logs)
retried by ECS_RETRY; IAM propagation refusals waited out."""

import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
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


@pytest.mark.parametrize(
    ("code", "message", "operation"),
    [
        ("ThrottlingException", "Rate exceeded", "RunTask"),
        # ECS's 5xx as AWS answers it (HTTP 500, error code ServerException).
        ("ServerException", "Service Unavailable. Please try again later.", "RunTask"),
        # CloudWatch Logs' 5xx (HTTP 503) on the log read of ecs_run_task.
        ("ServiceUnavailableException", "The service cannot complete the request.", "GetLogEvents"),
    ],
)
def test_ecs_retry_retries_throttling_and_server_errors(monkeypatch, code, message, operation):
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    call, calls = scripted(error(code, message, operation), error(code, message, operation), "ok")
    assert r.ECS_RETRY(call)() == "ok"
    assert len(calls) == 3 and len(sleeps) == 2


def test_ecs_retry_does_not_retry_client_errors(monkeypatch):
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    call, calls = scripted(error("ClientException", "Unable to describe task definition."), "ok")
    with pytest.raises(ClientError):
        r.ECS_RETRY(call)()
    assert len(calls) == 1 and sleeps == []


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
