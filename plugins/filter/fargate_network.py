# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for the network role: CIDR checks (no netaddr / ansible.utils needed) and the
drift computations that let the role describe the network once and call the (chatty) stock
modules only for the pieces that differ from the desired state."""

from __future__ import annotations

import ipaddress

# subnet_ids and security_group_ids also serve the stack_info module: they live in module_utils.
from ansible_collections.django_ecs.fargate.plugins.module_utils.stack_lookup import (
    security_group_ids,
    subnet_ids,
)

# Each filter's documentation is in plugins/filter/<filter name>.yml (ansible-doc -t filter).

STACK_TAG = "fargate:stack"


def _net(value):
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except (ValueError, TypeError):
        return None


def cidr_valid(value):
    """True for an IPv4 CIDR like 10.0.0.0/16 (a prefix length is required, host bits must be 0)."""
    return isinstance(value, str) and "/" in value and _net(value) is not None


def cidr_subnet_of(value, parent):
    """True when CIDR `value` lies within CIDR `parent`; False when either is not a valid CIDR."""
    child, outer = _net(value), _net(parent)
    if child is None or outer is None or "/" not in str(value) or "/" not in str(parent):
        return False
    return child.subnet_of(outer)


def cidrs_overlap(values):
    """True when any two CIDRs of the list overlap (invalid entries are ignored)."""
    nets = [n for n in (_net(v) for v in values or []) if n is not None]
    return any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])


def _tags_ok(actual, wanted):
    actual = actual or {}
    return all(actual.get(k) == v for k, v in (wanted or {}).items())


def subnet_drift(subnets, desired):
    """Desired subnets (dicts: name, cidr, az, public, tags) with no matching actual subnet.

    `subnets` is ec2_vpc_subnet_info's `subnets` list (snake_case, tags as a dict)."""
    out = []
    for want in desired or []:
        match = [
            s
            for s in subnets or []
            if s.get("cidr_block") == want["cidr"]
            and s.get("availability_zone") == want["az"]
            and bool(s.get("map_public_ip_on_launch")) == bool(want["public"])
            and _tags_ok(s.get("tags"), want.get("tags"))
        ]
        if not match:
            out.append(want)
    return out


def _rt_tags(rt):
    tags = rt.get("tags") or {}
    if isinstance(tags, list):  # boto3 style
        tags = {t["Key"]: t["Value"] for t in tags}
    return tags


def route_table_drift(route_tables, desired):
    """Desired route tables (dicts: name, subnet_ids, routes [{dest, gateway_id|nat_gateway_id}], tags)
    that no actual route table matches exactly (same Name tag, the exact set of subnet associations,
    the exact set of non-local routes)."""
    out = []
    for want in desired or []:
        ok = False
        for rt in route_tables or []:
            if not _tags_ok(_rt_tags(rt), want.get("tags")):
                continue
            assoc = {a.get("subnet_id") for a in rt.get("associations") or [] if a.get("subnet_id")}
            routes = set()
            for r in rt.get("routes") or []:
                if r.get("gateway_id") == "local":
                    continue
                target = r.get("gateway_id") or r.get("nat_gateway_id")
                routes.add((r.get("destination_cidr_block"), target))
            want_routes = {
                (r["dest"], r.get("gateway_id") or r.get("nat_gateway_id")) for r in want.get("routes") or []
            }
            if assoc == set(want.get("subnet_ids") or []) and routes == want_routes:
                ok = True
                break
        if not ok:
            out.append(want)
    return out


def _rule_keys(permissions, names_by_id):
    """Flatten ec2_security_group_info ip_permissions(_egress) into comparable tuples."""
    keys = set()
    for perm in permissions or []:
        proto = str(perm.get("ip_protocol"))
        start, end = perm.get("from_port"), perm.get("to_port")
        if proto == "-1":
            start = end = None
        for rng in perm.get("ip_ranges") or []:
            keys.add((proto, start, end, "cidr", rng.get("cidr_ip")))
        for pair in perm.get("user_id_group_pairs") or []:
            gid = pair.get("group_id")
            keys.add((proto, start, end, "group", names_by_id.get(gid, gid)))
        for rng in perm.get("ipv6_ranges") or []:
            keys.add((proto, start, end, "cidr6", rng.get("cidr_ipv6")))
        for pl in perm.get("prefix_list_ids") or []:
            keys.add((proto, start, end, "prefix", pl.get("prefix_list_id")))
    return keys


def _want_keys(rules):
    keys = set()
    for r in rules or []:
        proto = str(r.get("proto", "tcp"))
        if proto in ("all", "-1"):
            proto, start, end = "-1", None, None
        else:
            start = r.get("from_port", r.get("ports"))
            end = r.get("to_port", r.get("ports"))
            start, end = int(start), int(end)
        if r.get("cidr_ip"):
            keys.add((proto, start, end, "cidr", r["cidr_ip"]))
        if r.get("group_name"):
            keys.add((proto, start, end, "group", r["group_name"]))
    return keys


def security_group_drift(groups, desired):
    """Desired security groups (dicts: name, description, rules, rules_egress, tags) whose actual group
    (found by group name) is missing or has other rules/tags (a description cannot change in AWS, so it
    is not compared). Rules that reference a group do so by
    name (`group_name`), matching the way the role passes them to ec2_security_group."""
    names_by_id = {g.get("group_id"): g.get("group_name") for g in groups or []}
    by_name = {g.get("group_name"): g for g in groups or []}
    out = []
    for want in desired or []:
        g = by_name.get(want["name"])
        if (
            g is None
            or not _tags_ok(g.get("tags"), want.get("tags"))
            or _rule_keys(g.get("ip_permissions"), names_by_id) != _want_keys(want.get("rules"))
            or _rule_keys(g.get("ip_permissions_egress"), names_by_id) != _want_keys(want.get("rules_egress"))
        ):
            out.append(want)
    return out


def availability_zones(zones, subnets=None, cidr_sets=None, count=2):
    """The subnets' zones: for position i, the zone of an existing subnet with the i-th CIDR of any of
    ``cidr_sets`` (it stays where it is), else the next usable zone of ``zones`` (aws_az_info's
    availability_zones: state available, zone type availability-zone, no opt-in), by name. Fewer than
    ``count`` when the region has fewer usable zones."""
    usable = sorted(
        z.get("zone_name")
        for z in zones or []
        if z.get("zone_name")
        and z.get("state") == "available"
        and z.get("zone_type", "availability-zone") == "availability-zone"
        and z.get("opt_in_status", "opt-in-not-required") == "opt-in-not-required"
    )
    by_cidr = {s.get("cidr_block"): s.get("availability_zone") for s in subnets or [] if s.get("availability_zone")}
    chosen = []
    for i in range(count):
        existing = [by_cidr[c[i]] for c in cidr_sets or [] if i < len(c) and c[i] in by_cidr]
        chosen.append(existing[0] if existing else None)
    spare = [z for z in usable if z not in chosen]
    result = []
    for zone in chosen:
        if zone is None:
            if not spare:
                continue
            zone = spare.pop(0)
        result.append(zone)
    return result


class FilterModule:
    def filters(self):
        return {
            "cidr_valid": cidr_valid,
            "cidr_subnet_of": cidr_subnet_of,
            "cidrs_overlap": cidrs_overlap,
            "subnet_drift": subnet_drift,
            "subnet_ids": subnet_ids,
            "route_table_drift": route_table_drift,
            "security_group_drift": security_group_drift,
            "security_group_ids": security_group_ids,
            "availability_zones": availability_zones,
        }
