"""target_group_drift and load_balancer_drift: which alb settings differ (pure functions), on dicts shaped as
community.aws.elb_target_group_info and amazon.aws.elb_application_lb_info return them (snake_case, tags as a dict,
the deregistration delay as a string, an ssl_policy reported on an HTTP listener as moto and AWS do)."""

import copy

import pytest
from alb_wanted import lb_wanted, tg_wanted

from ansible_collections.django_ecs.fargate.plugins.filter.fargate_alb import load_balancer_drift, target_group_drift

TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-web/ee7e725ae3c809c0"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Tag values as an inventory may give them (an int); AWS keeps every tag value as a string.
TAGS = {"fargate:stack": "app", "cost-centre": 42}
TAGS_AWS = {"fargate:stack": "app", "cost-centre": "42"}

# What the role builds from its inputs (roles/alb/vars/main.yml __alb_tg_wanted / __alb_lb_wanted).
TG_WANT = tg_wanted("vpc-405653b6d130c5672", TAGS)

FORWARD = [{"Type": "forward", "TargetGroupArn": TG_ARN}]
REDIRECT = [
    {
        "Type": "redirect",
        "RedirectConfig": {
            "Protocol": "HTTPS",
            "Port": "443",
            "Host": "#{host}",
            "Path": "/#{path}",
            "Query": "#{query}",
            "StatusCode": "HTTP_301",
        },
    }
]
HTTP_ONLY = [{"Protocol": "HTTP", "Port": 80, "DefaultActions": FORWARD}]
WITH_HTTPS = [
    {"Protocol": "HTTP", "Port": 80, "DefaultActions": REDIRECT},
    {
        "Protocol": "HTTPS",
        "Port": 443,
        "SslPolicy": POLICY,
        "Certificates": [{"CertificateArn": CERT}],
        "DefaultActions": FORWARD,
    },
]


def lb_want(listeners=None):
    return lb_wanted(
        ["sg-351e7c86e18acd3f0"],
        ["subnet-b2a1cd477d0f98778", "subnet-adf6ca24c35f88120"],
        TAGS,
        HTTP_ONLY if listeners is None else listeners,
    )


def target_group(**over):
    tg = {
        "deregistration_delay_timeout_seconds": "30",
        "health_check_enabled": True,
        "health_check_interval_seconds": 10,
        "health_check_path": "/health/",
        "health_check_port": "traffic-port",
        "health_check_protocol": "HTTP",
        "health_check_timeout_seconds": 5,
        "healthy_threshold_count": 2,
        "load_balancer_arns": [],
        "matcher": {"http_code": "200"},
        "port": 8000,
        "protocol": "HTTP",
        "stickiness_enabled": "false",
        "stickiness_type": "lb_cookie",
        "tags": dict(TAGS_AWS),
        "target_group_arn": TG_ARN,
        "target_group_name": "app-web",
        "target_type": "ip",
        "unhealthy_threshold_count": 3,
        "vpc_id": "vpc-405653b6d130c5672",
    }
    tg.update(over)
    return tg


def forward_listener(port=80, protocol="HTTP", **over):
    listener = {
        "default_actions": [{"target_group_arn": TG_ARN, "type": "forward"}],
        "listener_arn": f"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/app-alb/1/{port}",
        "port": port,
        "protocol": protocol,
        # AWS and moto report a policy on an HTTP listener too: it must not count there.
        "ssl_policy": "ELBSecurityPolicy-2016-08",
    }
    listener.update(over)
    return listener


def redirect_listener():
    return {
        "default_actions": [
            {
                "type": "redirect",
                "redirect_config": {
                    "protocol": "HTTPS",
                    "port": "443",
                    "host": "#{host}",
                    "path": "/#{path}",
                    "query": "#{query}",
                    "status_code": "HTTP_301",
                },
            }
        ],
        "port": 80,
        "protocol": "HTTP",
    }


def https_listener(port=443, protocol="HTTPS", **over):
    return forward_listener(
        port, protocol, **{"ssl_policy": POLICY, "certificates": [{"certificate_arn": CERT}], **over}
    )


def load_balancer(listeners=None, **over):
    lb = {
        "availability_zones": [
            {"subnet_id": "subnet-adf6ca24c35f88120", "zone_name": "us-east-1b", "load_balancer_addresses": []},
            {"subnet_id": "subnet-b2a1cd477d0f98778", "zone_name": "us-east-1a", "load_balancer_addresses": []},
        ],
        "dns_name": "app-alb-1.us-east-1.elb.amazonaws.com",
        "ip_address_type": "ipv4",
        "listeners": [forward_listener()] if listeners is None else listeners,
        "load_balancer_name": "app-alb",
        "scheme": "internet-facing",
        "security_groups": ["sg-351e7c86e18acd3f0"],
        "state": {"code": "active"},
        "tags": dict(TAGS_AWS),
        "type": "application",
        "vpc_id": "vpc-405653b6d130c5672",
    }
    lb.update(over)
    return lb


# ---- target group -----------------------------------------------------------------------------------


def test_target_group_in_sync():
    assert target_group_drift(target_group(), TG_WANT) == []


def test_target_group_missing_is_every_setting():
    assert target_group_drift({}, TG_WANT) == sorted(TG_WANT)


@pytest.mark.parametrize(
    "key, value",
    [
        ("protocol", "HTTPS"),
        ("port", 8080),
        ("target_type", "instance"),
        ("vpc_id", "vpc-0000000000000000"),
        ("health_check_protocol", "HTTPS"),
        ("health_check_path", "/"),
        ("health_check_port", "8000"),
        ("health_check_interval_seconds", 30),
        ("health_check_timeout_seconds", 6),
        ("healthy_threshold_count", 5),
        ("unhealthy_threshold_count", 2),
        ("matcher", {"http_code": "200-299"}),
        ("matcher", None),
        ("deregistration_delay_timeout_seconds", "300"),
        ("tags", {"fargate:stack": "app"}),
        ("tags", {**TAGS_AWS, "owner": "someone"}),
        ("tags", {**TAGS_AWS, "cost-centre": "43"}),
    ],
)
def test_each_target_group_setting_is_noticed(key, value):
    assert target_group_drift(target_group(**{key: value}), TG_WANT) == [key]


@pytest.mark.parametrize("key", sorted(TG_WANT))
def test_a_setting_the_target_group_lacks_differs(key):
    tg = target_group()
    del tg[key]
    assert target_group_drift(tg, TG_WANT) == [key]


def test_target_group_numbers_and_codes_compare_by_value():
    """The info module gives the delay as a string; the inventory may give numbers and codes as strings or ints."""
    as_strings = {
        **TG_WANT,
        "port": "8000",
        "health_check_interval_seconds": "10",
        "deregistration_delay_timeout_seconds": "30",
        "matcher": {"http_code": 200},
    }
    assert target_group_drift(target_group(), as_strings) == []
    assert target_group_drift(target_group(deregistration_delay_timeout_seconds=30), TG_WANT) == []
    assert target_group_drift(target_group(deregistration_delay_timeout_seconds="0"), TG_WANT) == [
        "deregistration_delay_timeout_seconds"
    ]


def test_target_group_tag_values_are_compared_as_strings():
    assert target_group_drift(target_group(tags={"fargate:stack": "app", "cost-centre": 42}), TG_WANT) == ["tags"]
    assert target_group_drift(target_group(tags={"on": "True"}), {"tags": {"on": True}}) == []


def test_target_group_only_the_wanted_keys_count():
    assert target_group_drift(target_group(stickiness_enabled="true"), TG_WANT) == []
    assert target_group_drift(target_group(port=1), {"health_check_path": "/health/"}) == []


# ---- load balancer ----------------------------------------------------------------------------------


def test_load_balancer_in_sync():
    assert load_balancer_drift(load_balancer(), lb_want()) == []


def test_load_balancer_missing_is_every_setting():
    assert load_balancer_drift({}, lb_want()) == sorted(lb_want())


def test_https_listener_with_certificate_and_policy_and_a_redirect_in_sync():
    """HTTP :80 redirects to HTTPS :443 (301), which forwards with the certificate and the TLS policy; the order
    in which AWS lists the listeners does not matter."""
    lb = load_balancer([https_listener(), redirect_listener()])
    assert load_balancer_drift(lb, lb_want(WITH_HTTPS)) == []
    lb["listeners"].reverse()
    assert load_balancer_drift(lb, lb_want(WITH_HTTPS)) == []


def _redirect(**over):
    listener = redirect_listener()
    listener["default_actions"][0]["redirect_config"].update(over)
    return listener


@pytest.mark.parametrize(
    "listeners",
    [
        pytest.param([https_listener(certificates=[{"certificate_arn": CERT + "0"}]), redirect_listener()], id="cert"),
        pytest.param([https_listener(certificates=[]), redirect_listener()], id="no-cert"),
        pytest.param([https_listener(ssl_policy="ELBSecurityPolicy-2016-08"), redirect_listener()], id="policy"),
        pytest.param([https_listener(ssl_policy=None), redirect_listener()], id="no-policy"),
        pytest.param([https_listener(port=8443), redirect_listener()], id="https-port"),
        pytest.param([https_listener(protocol="HTTP"), redirect_listener()], id="https-protocol"),
        pytest.param(
            [
                https_listener(default_actions=[{"type": "forward", "target_group_arn": TG_ARN + "0"}]),
                redirect_listener(),
            ],
            id="https-target-group",
        ),
        pytest.param([https_listener(), _redirect(status_code="HTTP_302")], id="redirect-status"),
        pytest.param([https_listener(), _redirect(port="8443")], id="redirect-port"),
        pytest.param([https_listener(), _redirect(protocol="HTTP")], id="redirect-protocol"),
        pytest.param([https_listener(), forward_listener()], id="http-forwards-instead-of-redirecting"),
        pytest.param([https_listener()], id="http-missing"),
        pytest.param([redirect_listener()], id="https-missing"),
        pytest.param([https_listener(), redirect_listener(), forward_listener(8080)], id="extra-listener"),
        pytest.param([https_listener(default_actions=[]), redirect_listener()], id="no-default-action"),
        pytest.param(
            [
                https_listener(default_actions=[{"type": "forward", "target_group_arn": TG_ARN}] * 2),
                redirect_listener(),
            ],
            id="two-default-actions",
        ),
        pytest.param(
            [https_listener(default_actions=[{"type": "fixed-response"}]), redirect_listener()], id="action-type"
        ),
    ],
)
def test_each_listener_difference_is_noticed(listeners):
    assert load_balancer_drift(load_balancer(listeners), lb_want(WITH_HTTPS)) == ["listeners"]


def test_a_policy_on_an_http_listener_does_not_count():
    assert load_balancer_drift(load_balancer([forward_listener(ssl_policy="anything")]), lb_want()) == []
    assert load_balancer_drift(load_balancer([forward_listener(certificates=[])]), lb_want()) == []


def test_http_only_against_https_wanted_and_back():
    assert load_balancer_drift(load_balancer(), lb_want(WITH_HTTPS)) == ["listeners"]
    https = load_balancer([https_listener(), redirect_listener()])
    assert load_balancer_drift(https, lb_want()) == ["listeners"]


def _without(key):
    lb = load_balancer()
    del lb[key]
    return lb


def _zones(*subnets):
    return [{"subnet_id": s, "zone_name": "us-east-1a"} for s in subnets]


@pytest.mark.parametrize(
    "lb, key",
    [
        pytest.param(load_balancer(scheme="internal"), "scheme", id="scheme"),
        pytest.param(load_balancer(type="network"), "type", id="type"),
        pytest.param(load_balancer(security_groups=["sg-1"]), "security_groups", id="security-group"),
        pytest.param(
            load_balancer(security_groups=["sg-351e7c86e18acd3f0", "sg-1"]),
            "security_groups",
            id="extra-security-group",
        ),
        pytest.param(_without("security_groups"), "security_groups", id="no-security-groups"),
        pytest.param(load_balancer(availability_zones=_zones("subnet-b2a1cd477d0f98778")), "subnets", id="subnet-gone"),
        pytest.param(
            load_balancer(availability_zones=_zones("subnet-b2a1cd477d0f98778", "subnet-0")), "subnets", id="subnet"
        ),
        pytest.param(_without("availability_zones"), "subnets", id="no-zones"),
        pytest.param(load_balancer(tags={"fargate:stack": "app"}), "tags", id="tag-missing"),
        pytest.param(load_balancer(tags={**TAGS_AWS, "owner": "x"}), "tags", id="tag-extra"),
        pytest.param(load_balancer(tags={"fargate:stack": "app", "cost-centre": 42}), "tags", id="tag-not-a-string"),
        pytest.param(_without("tags"), "tags", id="no-tags"),
        pytest.param(load_balancer([]), "listeners", id="no-listener"),
        pytest.param(_without("listeners"), "listeners", id="listeners-not-read"),
    ],
)
def test_each_load_balancer_setting_is_noticed(lb, key):
    assert load_balancer_drift(lb, lb_want()) == [key]


def test_load_balancer_sets_compare_in_any_order():
    lb = load_balancer(security_groups=["sg-2", "sg-1"])
    assert load_balancer_drift(lb, {**lb_want(), "security_groups": ["sg-1", "sg-2"]}) == []
    want = {**lb_want(), "subnets": list(reversed(lb_want()["subnets"]))}
    assert load_balancer_drift(load_balancer(), want) == []


def test_several_differences_are_all_named():
    lb = load_balancer([redirect_listener()], scheme="internal", tags={})
    assert load_balancer_drift(lb, lb_want()) == ["listeners", "scheme", "tags"]


def test_the_inputs_are_left_as_they_were():
    lb, want = load_balancer([https_listener(), redirect_listener()]), lb_want(WITH_HTTPS)
    lb_before, want_before = copy.deepcopy(lb), copy.deepcopy(want)
    load_balancer_drift(lb, want)
    target_group_drift(target_group(), TG_WANT)
    assert (lb, want) == (lb_before, want_before)
    assert TG_WANT["tags"] == {"fargate:stack": "app", "cost-centre": 42}
