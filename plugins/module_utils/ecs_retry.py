# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries shared by the collection's AWS clients: the one home of every retry decorator.

:func:`retry_for` gives the decorator a client of one AWS service is made with
(``module.client("ecs", retry_decorator=retry_for("ecs"))``). Every service gets the same jittered backoff schedule
(:data:`RETRIES` attempts, :data:`DELAY` s doubling up to :data:`MAX_DELAY` s) and AWSRetry's own list of
throttling/5xx codes, plus the codes of :data:`SERVICE_ERROR_CODES`: that service's throttling, 5xx and
concurrency answers that AWSRetry does not list itself (it knows ``Throttling``, not ``ThrottlingException``).
:data:`NEW_IAM_ROLE_RETRY` is the one exception: the writes right after CreateRole, which also wait out the
``NoSuchEntity`` of a role IAM has not propagated yet, on a shorter schedule. ``ECS_RETRY`` is
``retry_for("ecs")``.

:func:`call_waiting_for_iam` retries a call that AWS refuses while IAM has not caught up: on an account that
never ran ECS the first CreateCluster creates the service-linked role AWSServiceRoleForECS, and RunTask or
CreateService seconds later can answer ``InvalidParameterException: Unable to assume the service linked role.
Please verify that the ECS service linked role exists.``; a role created seconds ago can be refused with
"ECS was unable to assume the role ...". Both clear up by themselves within a minute or two. The clock and the
sleep are passed in, so the schedule is tested without waiting.
"""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# The one schedule: 10 attempts in all, pauses of up to 1, 2, 4, 8, 16 s, then up to 30 s (jittered: each pause is
# drawn between 0 and that bound), so at most 151 s of pauses before the error is reported.
RETRIES = 10
DELAY = 1
MAX_DELAY = 30

# Per service, the codes retried on top of AWSRetry's own list (RequestLimitExceeded, Unavailable, ServiceUnavailable,
# InternalFailure, InternalError, TooManyRequestsException, Throttling), from the error shapes of botocore's service
# models (botocore/data/<service>/*/service-2.json) and AWS's common errors. JSON-protocol services throttle with
# ThrottlingException; query-protocol ones (IAM, STS, EC2, ELBv2, RDS) with Throttling or RequestLimitExceeded,
# which AWSRetry knows. A client error (AccessDenied, ResourceNotFoundException, ...) is never retried.
SERVICE_ERROR_CODES = {
    # ECS: its 5xx is ServerException (RunTask carries a clientToken, so a retry cannot start a second task).
    "ecs": ("ThrottlingException", "ServerException"),
    # CloudWatch Logs: ServiceUnavailableException is the 5xx of GetLogEvents / FilterLogEvents / DescribeLog*.
    "logs": ("ThrottlingException", "ServiceUnavailableException"),
    "ecr": ("ThrottlingException", "ServerException"),
    # IAM: ServiceFailure is its 5xx, ConcurrentModification a write racing another write of the same entity.
    "iam": ("ServiceFailure", "ConcurrentModification"),
    "sts": (),
    "secretsmanager": ("ThrottlingException", "InternalServiceError"),
    "scheduler": ("ThrottlingException", "InternalServerException"),
    "ec2": (),
    "elbv2": (),
    "rds": (),
}

# The writes right after CreateRole (iam_roles): IAM is eventually consistent and the new role can answer
# NoSuchEntity for a moment. 8 attempts, pauses of at most 10 s: a role still missing after that is a real error.
NEW_ROLE_ERROR_CODES = ("NoSuchEntity",) + SERVICE_ERROR_CODES["iam"]
NEW_ROLE_RETRIES = 8
NEW_ROLE_MAX_DELAY = 10


def _jittered(codes, retries=RETRIES, max_delay=MAX_DELAY):
    return AWSRetry.jittered_backoff(
        retries=retries, delay=DELAY, max_delay=max_delay, catch_extra_error_codes=list(codes)
    )


_DECORATORS = {service: _jittered(codes) for service, codes in SERVICE_ERROR_CODES.items()}


def retry_for(service):
    """The retry decorator of clients of ``service`` (boto3's name: "ecs", "logs", "iam", ...).

    A service not in :data:`SERVICE_ERROR_CODES` raises ValueError: a new client's retryable codes are chosen, not
    defaulted.
    """
    try:
        return _DECORATORS[service]
    except KeyError:
        raise ValueError(
            "no retry for AWS service {!r}: add its throttling/5xx error codes to SERVICE_ERROR_CODES ({})".format(
                service, ", ".join(sorted(SERVICE_ERROR_CODES))
            )
        ) from None


ECS_RETRY = retry_for("ecs")
NEW_IAM_ROLE_RETRY = _jittered(NEW_ROLE_ERROR_CODES, retries=NEW_ROLE_RETRIES, max_delay=NEW_ROLE_MAX_DELAY)

# Error code and message fragments of a request refused because IAM has not propagated yet.
IAM_ERROR_CODES = ("InvalidParameterException",)
IAM_MESSAGES = ("Unable to assume the service linked role", "ECS was unable to assume the role")

# Seconds to keep retrying such a refusal (IAM usually catches up within a minute), and the pauses.
IAM_WAIT_TIMEOUT = 180.0
IAM_INITIAL_DELAY = 5.0
IAM_BACKOFF = 1.5
IAM_MAX_DELAY = 20.0


def is_iam_propagation_error(error):
    """True for an AWS answer that means "IAM (the ECS service-linked role or a new role) is not ready yet"."""
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    message = response.get("Error", {}).get("Message", "")
    return code in IAM_ERROR_CODES and any(fragment in message for fragment in IAM_MESSAGES)


class IamWait:
    """What :func:`call_waiting_for_iam` did: attempts, seconds waited and the last refusal (None if none)."""

    def __init__(self):
        self.attempts = 0
        self.waited_seconds = 0.0
        self.last_error = None

    @property
    def waited(self):
        return self.attempts > 1

    def summary(self, action):
        if not self.waited:
            return None
        return "{} waited {:.0f} s for IAM ({} refused attempt(s): {})".format(
            action,
            self.waited_seconds,
            self.attempts - 1,
            self.last_error.response.get("Error", {}).get("Message", ""),
        )


def call_waiting_for_iam(call, clock, sleep, timeout=IAM_WAIT_TIMEOUT, on_wait=None):
    """Run ``call()``; while it raises an IAM propagation error, sleep and run it again, up to ``timeout`` s.

    Returns ``(response, IamWait)``. Any other error, and the IAM error once ``timeout`` has passed, propagates.
    ``on_wait(message)`` is called before each pause (the modules turn it into a warning).
    """
    wait = IamWait()
    start = clock()
    delay = IAM_INITIAL_DELAY
    while True:
        wait.attempts += 1
        try:
            return call(), wait
        except botocore.exceptions.ClientError as e:
            if not is_iam_propagation_error(e):
                raise
            wait.last_error = e
            elapsed = clock() - start
            remaining = timeout - elapsed
            if remaining <= 0:
                raise
            pause = min(delay, remaining)
            if on_wait:
                on_wait(
                    "waiting for IAM: {} (attempt {}, retrying in {:.0f} s, giving up after {:.0f} s)".format(
                        e.response.get("Error", {}).get("Message", ""), wait.attempts, pause, timeout
                    )
                )
            sleep(pause)
            wait.waited_seconds = clock() - start
            delay = min(delay * IAM_BACKOFF, IAM_MAX_DELAY)
