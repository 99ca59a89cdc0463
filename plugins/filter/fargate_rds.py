# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift check for the rds_secret role: compare an rds_instance_info entry with the wanted settings so
that amazon.aws.rds_instance (several API calls per run) only runs when something differs, and send it
only what RDS accepts as a modification."""

from __future__ import annotations

# Each filter's documentation is in plugins/filter/<filter name>.yml (ansible-doc -t filter).

# RDS: "The maximum allocated storage must be increased by at least 10 percent" over the allocated storage.
MAX_STORAGE_HEADROOM_PERCENT = 10


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


def _version(value):
    """``"16.4"`` -> ``(16, 4)``, ``"16"`` -> ``(16,)``; None when not dotted numbers."""
    try:
        return tuple(int(part) for part in str(value).split("."))
    except ValueError:
        return None


def rds_engine_version_upgrade(current, wanted):
    """The EngineVersion to send to ModifyDBInstance, or None when RDS has nothing to do (or would refuse it).

    ``current`` is the instance's engine version (empty: no instance yet, send ``wanted``). Sent only for a real
    upgrade: a higher major (``"17"`` on ``16.4``), or a pinned minor above the current one (``"16.10"`` on
    ``16.4``). ``"16"`` on ``16.4`` is no change (RDS picked the minor; sending ``16`` again is refused), nor is a
    pinned ``"16.1"`` on ``16.10`` (RDS upgraded the minor on its own), nor a lower major (no downgrades).
    """
    wanted = str(wanted)
    if not current:
        return wanted
    have, want = _version(current), _version(wanted)
    if have is None or want is None:
        return None if str(current) == wanted or str(current).startswith(wanted + ".") else wanted
    if want[0] != have[0]:
        return wanted if want[0] > have[0] else None
    if len(want) == 1:
        return None
    return wanted if want[1:] > have[1:] else None


def rds_min_max_allocated_storage(allocated_storage):
    """The smallest storage autoscaling ceiling RDS accepts for ``allocated_storage`` GiB (10 % above it)."""
    allocated = int(allocated_storage)
    return allocated + -(-allocated * MAX_STORAGE_HEADROOM_PERCENT // 100)


def _autoscaling(wanted):
    return int((wanted or {}).get("max_allocated_storage") or 0) > 0


def rds_instance_drift(instance, wanted):
    if not instance:
        return sorted(wanted)
    out = []
    for key, want in (wanted or {}).items():
        have = _actual(instance, key)
        if key == "engine_version":
            same = rds_engine_version_upgrade(have or "", want) is None if have else False
        elif key == "max_allocated_storage":
            same = int(have or 0) == int(want or 0)
        elif key == "allocated_storage" and _autoscaling(wanted):
            same = have is not None and int(have) >= int(want)
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


def rds_instance_modify_options(instance, wanted):
    """What amazon.aws.rds_instance may be given for the engine version and the storage, as a dict.

    rds_instance compares every option it is given with the instance itself (exact equality) and sends what
    differs, so ``engine_version: "16"`` on a 16.4 instance and ``allocated_storage: 20`` on storage autoscaling
    grew to 25 would go out as a downgrade and a shrink, which RDS refuses. Returns ``engine_version`` (with
    ``allow_major_version_upgrade: true`` for a new major, which RDS requires) and ``allocated_storage`` only when
    they are to be sent: at creation (no ``instance``) or when :func:`rds_instance_drift` reports them.
    """
    drift = rds_instance_drift(instance, wanted)
    out = {}
    if "engine_version" in wanted and "engine_version" in drift:
        out["engine_version"] = str(wanted["engine_version"])
        current = _version(_actual(instance, "engine_version") or "") if instance else None
        target = _version(wanted["engine_version"])
        if current and target and target[0] > current[0]:
            out["allow_major_version_upgrade"] = True
    if "allocated_storage" in wanted and "allocated_storage" in drift:
        out["allocated_storage"] = int(wanted["allocated_storage"])
    return out


class FilterModule:
    def filters(self):
        return {
            "rds_instance_drift": rds_instance_drift,
            "rds_instance_modify_options": rds_instance_modify_options,
            "rds_engine_version_upgrade": rds_engine_version_upgrade,
            "rds_min_max_allocated_storage": rds_min_max_allocated_storage,
        }
