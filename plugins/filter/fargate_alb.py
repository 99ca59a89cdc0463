# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift checks for the alb role: compare the target group and the load balancer as the info modules
return them with the wanted settings, so that community.aws.elb_target_group and
amazon.aws.elb_application_lb (17 API calls on a no-op between them) run only when something differs."""

from __future__ import annotations

# Each filter's documentation is in plugins/filter/<filter name>.yml (ansible-doc -t filter).

# Target group settings compared as integers (the info module returns some attributes as strings, e.g.
# deregistration_delay_timeout_seconds "30").
TARGET_GROUP_INTEGERS = (
    "port",
    "health_check_interval_seconds",
    "health_check_timeout_seconds",
    "healthy_threshold_count",
    "unhealthy_threshold_count",
    "deregistration_delay_timeout_seconds",
)


def _int(value):
    """Jinja's ``int`` filter: base 10, else through float, else 0."""
    try:
        return int(value, 10) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _tag_strings(tags):
    """The wanted tags as AWS keeps them: every value a string (``1`` -> ``"1"``)."""
    return {key: str(value) for key, value in (tags or {}).items()}


def target_group_drift(target_group, wanted):
    if not target_group:
        return sorted(wanted or {})
    out = []
    for key, want in (wanted or {}).items():
        have = target_group.get(key)
        if key in TARGET_GROUP_INTEGERS:
            same = have is not None and _int(have) == _int(want)
        elif key == "matcher":
            same = (have or {}).get("http_code", "") == str((want or {}).get("http_code", ""))
        elif key == "tags":
            same = target_group.get("tags", {}) == _tag_strings(want)
        else:
            same = have == want
        if not same:
            out.append(key)
    return sorted(out)


def _listener_now(listener):
    """An elb_application_lb_info listener as a comparable tuple: port, protocol, action type, target group
    (forward) or protocol:port:status code (redirect), certificate, TLS policy (HTTPS only: AWS may report
    one on an HTTP listener)."""
    action = (listener.get("default_actions") or [{}])[0]
    redirect = action.get("redirect_config") or {}
    kind = action.get("type", "")
    if kind == "forward":
        target = action.get("target_group_arn", "")
    else:
        target = f"{redirect.get('protocol', '')}:{redirect.get('port', '')}:{redirect.get('status_code', '')}"
    certificate = (listener.get("certificates") or [{}])[0].get("certificate_arn", "")
    policy = listener.get("ssl_policy", "") if listener.get("protocol") == "HTTPS" else ""
    return (_int(listener.get("port")), listener.get("protocol"), kind, target, certificate, policy)


def _listener_wanted(listener):
    """A listener as amazon.aws.elb_application_lb takes it (CamelCase) as the same tuple."""
    action = listener["DefaultActions"][0]
    if action["Type"] == "forward":
        target = action["TargetGroupArn"]
    else:
        redirect = action["RedirectConfig"]
        target = f"{redirect['Protocol']}:{redirect['Port']}:{redirect['StatusCode']}"
    certificate = (listener.get("Certificates") or [{}])[0].get("CertificateArn", "")
    return (
        _int(listener["Port"]),
        listener["Protocol"],
        action["Type"],
        target,
        certificate,
        listener.get("SslPolicy", ""),
    )


def _listeners_same(have, want):
    have = have or []
    if any(len(listener.get("default_actions") or []) != 1 for listener in have):
        return False
    return sorted(map(_listener_now, have), key=repr) == sorted(map(_listener_wanted, want or []), key=repr)


def load_balancer_drift(load_balancer, wanted):
    if not load_balancer:
        return sorted(wanted or {})
    out = []
    for key, want in (wanted or {}).items():
        if key == "security_groups":
            same = sorted(load_balancer.get("security_groups") or []) == sorted(want or [])
        elif key == "subnets":
            zones = load_balancer.get("availability_zones") or []
            same = sorted(zone.get("subnet_id", "") for zone in zones) == sorted(want or [])
        elif key == "tags":
            same = load_balancer.get("tags", {}) == _tag_strings(want)
        elif key == "listeners":
            same = _listeners_same(load_balancer.get("listeners"), want)
        else:
            same = load_balancer.get(key) == want
        if not same:
            out.append(key)
    return sorted(out)


class FilterModule:
    def filters(self):
        return {
            "target_group_drift": target_group_drift,
            "load_balancer_drift": load_balancer_drift,
        }
