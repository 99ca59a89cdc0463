# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fargate's cpu/memory pairs for role validation, from the one table the modules use
(module_utils/ecs_taskdef_compare.py), so a role can refuse a bad size before any AWS call."""

from __future__ import annotations

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_taskdef_compare import validate_fargate_size

DOCUMENTATION = r"""
name: fargate_size
short_description: Why a cpu/memory pair is not a Fargate task size (empty when it is one)
version_added: 0.2.0
description:
  - C(fargate_size_error) takes the task-level cpu units as input and the memory in MiB as argument, and
    returns an empty string for a Fargate size, else what is allowed (the table of
    M(django_ecs.fargate.ecs_task_definition)).
"""


def fargate_size_error(cpu, memory):
    """'' when cpu units / memory MiB are a Fargate task size, else the reason and what is allowed."""
    return "; ".join(validate_fargate_size(cpu, memory))


class FilterModule:
    def filters(self):
        return {"fargate_size_error": fargate_size_error}
