# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift check for the rds_secret role: compare an rds_instance_info entry with the wanted settings so
that amazon.aws.rds_instance (several API calls per run) only runs when something differs."""

from __future__ import annotations

DOCUMENTATION = r"""
name: rds_instance_drift
short_description: Names of the RDS instance settings that differ from the wanted ones
version_added: 0.1.0
description:
  - Input is one entry of C(amazon.aws.rds_instance_info)'s C(instances) (snake_case); the argument a dict
    of wanted settings. Returns the sorted names of the settings that differ (empty when none does).
  - Pending modifications count as applied. C(engine_version) V(16) matches V(16.4). C(max_allocated_storage)
    V(0) means storage autoscaling off. C(tags) must be present with the wanted values (extra tags are fine).
"""


def _actual(instance, key):
    pending = instance.get("pending_modified_values") or {}
    if key in pending and pending[key] is not None:
        return pending[key]
    if key == "db_subnet_group_name":
        return (instance.get("db_subnet_group") or {}).get("db_subnet_group_name")
    if key == "vpc_security_group_ids":
        return sorted(g.get("vpc_security_group_id") for g in instance.get("vpc_security_groups") or [])
    if key == "port":
        return (instance.get("endpoint") or {}).get("port") or instance.get("db_instance_port") or None
    return instance.get(key)


def rds_instance_drift(instance, wanted):
    if not instance:
        return sorted(wanted)
    out = []
    for key, want in (wanted or {}).items():
        have = _actual(instance, key)
        if key == "engine_version":
            have, want = str(have or ""), str(want)
            same = have == want or have.startswith(want + ".")
        elif key == "max_allocated_storage":
            same = int(have or 0) == int(want or 0)
        elif key == "vpc_security_group_ids":
            same = have == sorted(want)
        elif key == "port":
            same = have is None or int(have) == int(want)
        elif key == "tags":
            have = have or {}
            same = all(have.get(k) == v for k, v in (want or {}).items())
        elif isinstance(want, bool):
            same = bool(have) == want
        elif isinstance(want, int):
            same = have is not None and int(have) == want
        else:
            same = have == want
        if not same:
            out.append(key)
    return sorted(out)


class FilterModule:
    def filters(self):
        return {"rds_instance_drift": rds_instance_drift}
