# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries shared by the collection's ECS clients.

``ECS_RETRY`` is the retry decorator every ECS (and CloudWatch Logs) client of the collection is made with:
AWSRetry's throttling/5xx list plus ``ThrottlingException``, which ECS and CloudWatch Logs answer with and
AWSRetry does not list itself (it knows ``Throttling`` only).
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

ECS_RETRY = AWSRetry.jittered_backoff(
    retries=10, delay=1, max_delay=30, catch_extra_error_codes=["ThrottlingException"]
)
