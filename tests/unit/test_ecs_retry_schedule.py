"""The retry schedules exactly: every service's attempts and pauses (ECS's as before), the new-role retry's, and
the IAM wait's pauses, cap, default timeout and messages."""

import random

import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.exceptions import ClientError

from ansible_collections.django_ecs.fargate.plugins.module_utils import ecs_retry as r
from fakes import FakeClock

SLR = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."


def refusal(code="InvalidParameterException", message=SLR):
    return ClientError({"Error": {"Code": code, "Message": message}}, "RunTask")


def always(error):
    calls = []

    def call():
        calls.append(1)
        raise error

    return call, calls


@pytest.mark.parametrize("service", sorted(r.SERVICE_ERROR_CODES))
def test_every_service_gives_up_after_ten_attempts_with_capped_exponential_pauses(monkeypatch, service):
    """One schedule for every client (ECS's as before): jitter at its upper bound, 1 s doubling, at most 30 s,
    10 attempts in all."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    code = (r.SERVICE_ERROR_CODES[service] or ("Throttling",))[0]  # ECS: ThrottlingException
    call, calls = always(refusal(code, "Rate exceeded"))
    with pytest.raises(ClientError):
        r.retry_for(service)(call)()
    assert len(calls) == 10
    assert sleeps == [1, 2, 4, 8, 16, 30, 30, 30, 30]


def test_new_role_retry_gives_up_sooner(monkeypatch):
    """Right after CreateRole: 8 attempts, pauses of at most 10 s (a role still missing then is a real error)."""
    sleeps = []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    call, calls = always(refusal("NoSuchEntity", "The role with name app cannot be found."))
    with pytest.raises(ClientError):
        r.NEW_IAM_ROLE_RETRY(call)()
    assert len(calls) == 8
    assert sleeps == [1, 2, 4, 8, 10, 10, 10]


def test_pauses_are_jittered_below_the_bound(monkeypatch):
    """Each pause is drawn between 0 and the schedule's bound (the draw is AWSRetry's random.uniform)."""
    sleeps, bounds = [], []
    monkeypatch.setattr(cloud.time, "sleep", sleeps.append)

    def uniform(low, high):
        bounds.append((low, high))
        return high / 2

    monkeypatch.setattr(random, "uniform", uniform)
    call, calls = always(refusal("InternalServiceError", "error"))
    with pytest.raises(ClientError):
        r.retry_for("secretsmanager")(call)()
    assert bounds[:9] == [(0.0, 1), (0.0, 2), (0.0, 4), (0.0, 8), (0.0, 16), (0.0, 30), (0.0, 30), (0.0, 30), (0.0, 30)]
    assert sleeps == [0.5, 1, 2, 4, 8, 15, 15, 15, 15]


def test_is_iam_propagation_error_needs_both_code_and_message():
    assert r.is_iam_propagation_error(refusal()) is True
    assert r.is_iam_propagation_error(refusal(message="ECS was unable to assume the role x")) is True
    assert r.is_iam_propagation_error(refusal(message="")) is False
    assert r.is_iam_propagation_error(refusal(code="ClientException")) is False
    assert r.is_iam_propagation_error(ValueError("no response")) is False
    assert r.is_iam_propagation_error(ClientError({}, "RunTask")) is False


def test_iam_wait_default_timeout_and_capped_pauses():
    clock, messages = FakeClock(), []
    call, calls = always(refusal())
    with pytest.raises(ClientError):
        r.call_waiting_for_iam(call, clock, clock.sleep, on_wait=messages.append)
    # 5 s growing by half, at most 20 s, until 180 s (the default timeout) have passed; the last pause is cut.
    assert clock.sleeps == [5.0, 7.5, 11.25, 16.875, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0, 19.375]
    assert sum(clock.sleeps) == 180.0 and len(calls) == 12
    assert messages[0] == (f"waiting for IAM: {SLR} (attempt 1, retrying in 5 s, giving up after 180 s)")
    assert messages[-1] == (f"waiting for IAM: {SLR} (attempt 11, retrying in 19 s, giving up after 180 s)")
    assert len(messages) == 11


def test_iam_wait_records_attempts_time_and_last_error():
    clock = FakeClock()
    first, last = refusal(), refusal(message="ECS was unable to assume the role 'arn:aws:iam::1:role/x'")
    outcomes = [first, last, "done"]

    def call():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    response, wait = r.call_waiting_for_iam(call, clock, clock.sleep, timeout=60)
    assert (response, wait.attempts, wait.waited_seconds, wait.last_error) == ("done", 3, 12.5, last)
    assert wait.waited is True
    assert wait.summary("CreateService") == (
        "CreateService waited 12 s for IAM (2 refused attempt(s): ECS was unable to assume the role "
        "'arn:aws:iam::1:role/x')"
    )


def test_iam_wait_at_the_timeout_exactly_gives_up():
    clock = FakeClock()
    call, calls = always(refusal())
    with pytest.raises(ClientError):
        r.call_waiting_for_iam(call, clock, clock.sleep, timeout=5)
    assert clock.sleeps == [5.0] and len(calls) == 2


def test_fresh_iam_wait():
    wait = r.IamWait()
    assert (wait.attempts, wait.waited_seconds, wait.last_error, wait.waited) == (0, 0.0, None, False)
    wait.attempts = 1
    assert wait.waited is False and wait.summary("RunTask") is None
    wait.attempts = 2
    assert wait.waited is True


def test_iam_wait_measures_from_the_clock_at_the_start():
    """A monotonic clock does not start at 0: the time waited is counted from the first call."""
    clock = FakeClock()
    clock.now = 1000.0
    call, calls = always(refusal())
    with pytest.raises(ClientError):
        r.call_waiting_for_iam(call, clock, clock.sleep, timeout=10)
    assert clock.sleeps == [5.0, 5.0] and len(calls) == 3
    clock.now = 1000.0
    outcomes = [refusal(), "ok"]

    def once():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert r.call_waiting_for_iam(once, clock, clock.sleep, timeout=10)[1].waited_seconds == 5.0


def test_iam_wait_uses_the_last_half_second():
    clock = FakeClock()
    call, calls = always(refusal())
    with pytest.raises(ClientError):
        r.call_waiting_for_iam(call, clock, clock.sleep, timeout=5.5)
    assert clock.sleeps == [5.0, 0.5] and len(calls) == 3


def test_an_error_without_a_message_is_not_an_iam_wait():
    assert r.is_iam_propagation_error(ClientError({"Error": {"Code": "InvalidParameterException"}}, "RunTask")) is False
