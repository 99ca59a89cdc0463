# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries shared by the collection's ECS clients.

``ECS_RETRY`` is the retry decorator every ECS (and CloudWatch Logs) client of the collection is made with:
AWSRetry's throttling/5xx list plus ``ThrottlingException``, which ECS and CloudWatch Logs answer with and
AWSRetry does not list itself (it knows ``Throttling`` only).

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

# ECS throttling, ECS's 5xx (ServerException: RunTask carries a clientToken, so a retry cannot start a second
# task) and CloudWatch Logs' 5xx (ServiceUnavailableException; the logs client uses this retry too). AWSRetry's
# own list has neither name.
RETRIED_ERROR_CODES = ["ThrottlingException", "ServerException", "ServiceUnavailableException"]
ECS_RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30, catch_extra_error_codes=RETRIED_ERROR_CODES)

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
