# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fargate's cpu/memory pairs for role validation, from the one table the modules use
(module_utils/ecs_taskdef_compare.py), so a role can refuse a bad size before any AWS call."""

from __future__ import annotations

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_taskdef_compare import validate_fargate_size

# The filter's documentation is in plugins/filter/fargate_size_error.yml (ansible-doc -t filter).


def fargate_size_error(cpu, memory):
    """'' when cpu units / memory MiB are a Fargate task size, else the reason and what is allowed."""
    return "; ".join(validate_fargate_size(cpu, memory))


class FilterModule:
    def filters(self):
        return {"fargate_size_error": fargate_size_error}
