"""The network role's filters: CIDR checks and the drift computations (pure functions)."""

import pytest

from ansible_collections.django_ecs.fargate.plugins.filter import fargate_network as f

STACK = {"fargate:stack": "app"}


@pytest.mark.parametrize(
    "value, ok",
    [
        ("10.0.0.0/16", True),
        ("10.0.0.1/16", False),
        ("10.0.0.0", False),
        ("10.0.0.0/33", False),
        ("300.0.0.0/8", False),
        ("", False),
        (None, False),
        ("fe80::/64", False),
        ("0.0.0.0/0", True),
    ],
)
def test_cidr_valid(value, ok):
    assert f.cidr_valid(value) is ok


def test_cidr_subnet_of_and_overlap():
    assert f.cidr_subnet_of("10.0.1.0/24", "10.0.0.0/16")
    assert not f.cidr_subnet_of("10.1.0.0/24", "10.0.0.0/16")
    assert not f.cidr_subnet_of("10.0.1.0", "10.0.0.0/16")
    assert not f.cidr_subnet_of("bad", "10.0.0.0/16")
    assert f.cidrs_overlap(["10.0.0.0/24", "10.0.0.128/25"])
    assert not f.cidrs_overlap(["10.0.0.0/24", "10.0.1.0/24", "10.0.10.0/24"])


def want_subnet(cidr="10.0.0.0/24", az="us-east-1a", public=True, name="app-public-a"):
    return {"cidr": cidr, "az": az, "public": public, "tags": {**STACK, "Name": name}}


def subnet(cidr="10.0.0.0/24", az="us-east-1a", public=True, name="app-public-a", sid="subnet-1"):
    return {
        "cidr_block": cidr,
        "availability_zone": az,
        "map_public_ip_on_launch": public,
        "tags": {**STACK, "Name": name, "extra": "x"},
        "subnet_id": sid,
    }


def test_subnet_drift():
    want = [want_subnet(), want_subnet("10.0.10.0/24", public=False, name="app-private-a")]
    assert f.subnet_drift([], want) == want
    assert f.subnet_drift([subnet(), subnet("10.0.10.0/24", public=False, name="app-private-a")], want) == []
    # public IP mapping, zone or a tag differs -> that subnet only
    assert f.subnet_drift([subnet(public=False)], want[:1]) == want[:1]
    assert f.subnet_drift([subnet(az="us-east-1b")], want[:1]) == want[:1]
    assert f.subnet_drift([subnet(name="other")], want[:1]) == want[:1]


def test_subnet_ids_mixes_info_and_module_results():
    subnets = [subnet(sid="subnet-a"), {"cidr_block": "10.0.1.0/24", "id": "subnet-b"}]
    assert f.subnet_ids(subnets, ["10.0.1.0/24", "10.0.0.0/24", "10.0.9.0/24"]) == ["subnet-b", "subnet-a", ""]


def rt(name, subnets, routes, tags_list=False):
    tags = {**STACK, "Name": name}
    if tags_list:
        tags = [{"Key": k, "Value": v} for k, v in tags.items()]
    return {
        "tags": tags,
        "associations": [{"subnet_id": s} for s in subnets] + [{"main": True}],
        "routes": [{"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local"}] + routes,
    }


def test_route_table_drift():
    want = [
        {
            "tags": {**STACK, "Name": "app-public"},
            "subnet_ids": ["s1", "s2"],
            "routes": [{"dest": "0.0.0.0/0", "gateway_id": "igw-1"}],
        },
        {"tags": {**STACK, "Name": "app-private"}, "subnet_ids": ["s3", "s4"], "routes": []},
    ]
    good = [
        rt("app-public", ["s2", "s1"], [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"}]),
        rt("app-private", ["s3", "s4"], [], tags_list=True),
    ]
    assert f.route_table_drift(good, want) == []
    assert f.route_table_drift([], want) == want
    missing_assoc = [good[0], rt("app-private", ["s3"], [])]
    assert f.route_table_drift(missing_assoc, want) == want[1:]
    extra_route = [
        rt(
            "app-public",
            ["s1", "s2"],
            [
                {"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"},
                {"destination_cidr_block": "1.2.3.0/24", "gateway_id": "igw-1"},
            ],
        ),
        good[1],
    ]
    assert f.route_table_drift(extra_route, want) == want[:1]
    nat = [
        {
            "tags": {**STACK, "Name": "app-private"},
            "subnet_ids": ["s3"],
            "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"}],
        }
    ]
    assert (
        f.route_table_drift(
            [rt("app-private", ["s3"], [{"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"}])], nat
        )
        == []
    )


def sg(name, gid, ingress, egress, tags=None):
    return {
        "group_name": name,
        "group_id": gid,
        "description": "whatever",
        "tags": tags or {**STACK, "Name": name},
        "ip_permissions": ingress,
        "ip_permissions_egress": egress,
    }


ALL_EGRESS = [{"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}], "user_id_group_pairs": []}]


def perm(port, cidr=None, group=None):
    return {
        "ip_protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "ip_ranges": [{"cidr_ip": cidr, "description": "d"}] if cidr else [],
        "user_id_group_pairs": [{"group_id": group, "user_id": "1"}] if group else [],
    }


WANT_SGS = [
    {
        "name": "app-alb",
        "description": "x",
        "tags": {**STACK, "Name": "app-alb"},
        "rules": [{"proto": "tcp", "from_port": 80, "to_port": 80, "cidr_ip": "0.0.0.0/0", "rule_desc": "HTTP"}],
        "rules_egress": [{"proto": "all", "cidr_ip": "0.0.0.0/0"}],
    },
    {
        "name": "app-app",
        "description": "x",
        "tags": {**STACK, "Name": "app-app"},
        "rules": [{"proto": "tcp", "from_port": "8000", "to_port": "8000", "group_name": "app-alb"}],
        "rules_egress": [{"proto": "all", "cidr_ip": "0.0.0.0/0"}],
    },
    {
        "name": "app-db",
        "description": "x",
        "tags": {**STACK, "Name": "app-db"},
        "rules": [{"proto": "tcp", "from_port": 5432, "to_port": 5432, "group_name": "app-app"}],
        "rules_egress": [],
    },
]


def good_sgs():
    return [
        sg("app-alb", "sg-1", [perm(80, cidr="0.0.0.0/0")], ALL_EGRESS),
        sg("app-app", "sg-2", [perm(8000, group="sg-1")], ALL_EGRESS),
        sg("app-db", "sg-3", [perm(5432, group="sg-2")], []),
    ]


def test_security_group_drift_none_when_equal():
    assert f.security_group_drift(good_sgs(), WANT_SGS) == []
    assert f.security_group_ids(good_sgs(), ["app-db", "app-alb", "nope"]) == ["sg-3", "sg-1", ""]


def test_security_group_drift_catches_default_egress_on_db_group():
    groups = good_sgs()
    groups[2]["ip_permissions_egress"] = ALL_EGRESS
    assert [g["name"] for g in f.security_group_drift(groups, WANT_SGS)] == ["app-db"]


def test_security_group_drift_catches_extra_ingress_and_missing_groups():
    groups = good_sgs()
    groups[1]["ip_permissions"].append(perm(22, cidr="0.0.0.0/0"))
    assert [g["name"] for g in f.security_group_drift(groups, WANT_SGS)] == ["app-app"]
    assert [g["name"] for g in f.security_group_drift(good_sgs()[:1], WANT_SGS)] == ["app-app", "app-db"]


def test_security_group_drift_catches_rule_from_other_group_and_tags():
    groups = good_sgs()
    groups[2]["ip_permissions"] = [perm(5432, group="sg-1")]  # from the ALB group instead of the app group
    groups[0]["tags"] = {"Name": "app-alb"}
    assert [g["name"] for g in f.security_group_drift(groups, WANT_SGS)] == ["app-alb", "app-db"]


# ---- availability zones (issue 11, item 10): aws_az_info's answer as AWS gives it ----------------------------
def zone(name, state="available", zone_type="availability-zone", opt_in="opt-in-not-required"):
    region = "-".join(name.split("-")[:3])[:-1] if zone_type == "availability-zone" else name.split("-")[0]
    return {
        "zone_name": name,
        "zone_id": f"{name[:3]}-az{len(name)}",
        "state": state,
        "zone_type": zone_type,
        "opt_in_status": opt_in,
        "region_name": region,
        "group_name": region,
        "network_border_group": region,
        "messages": [],
    }


# ap-northeast-1 has no "b" zone: <region>a/<region>b failed there.
TOKYO = [zone("ap-northeast-1a"), zone("ap-northeast-1c"), zone("ap-northeast-1d")]


def test_zones_of_a_region_without_b():
    assert f.availability_zones(TOKYO) == ["ap-northeast-1a", "ap-northeast-1c"]


def test_zones_skip_impaired_local_wavelength_and_opt_in_zones():
    zones = [
        zone("us-west-2-lax-1a", zone_type="local-zone", opt_in="opted-in"),
        zone("us-west-2f", state="impaired"),
        zone("us-west-2-wl1-sea-wlz-1", zone_type="wavelength-zone", opt_in="not-opted-in"),
        zone("us-west-2d"),
        zone("us-west-2b", state="unavailable"),
        zone("us-west-2c"),
        zone("us-west-2a", opt_in="not-opted-in"),  # AWS documents AZs as opt-in-not-required; anything else is out
    ]
    assert f.availability_zones(zones) == ["us-west-2c", "us-west-2d"]


def test_existing_subnets_keep_their_zones():
    subnets = [
        subnet(cidr="10.0.0.0/24", az="us-east-1a", sid="subnet-1"),
        subnet(cidr="10.0.1.0/24", az="us-east-1f", sid="subnet-2"),
    ]
    zones = [zone("us-east-1b"), zone("us-east-1c")]
    cidrs = [["10.0.0.0/24", "10.0.1.0/24"], ["10.0.10.0/24", "10.0.11.0/24"]]
    assert f.availability_zones(zones, subnets, cidrs) == ["us-east-1a", "us-east-1f"]
    # One subnet left: it keeps its zone, the other position takes a free available zone.
    assert f.availability_zones(zones, subnets[1:], cidrs) == ["us-east-1b", "us-east-1f"]
    # Only a private subnet exists: its zone counts for its position too.
    private = [subnet(cidr="10.0.11.0/24", az="us-east-1c", public=False, sid="subnet-3")]
    assert f.availability_zones(zones, private, cidrs) == ["us-east-1b", "us-east-1c"]


def test_too_few_zones_gives_fewer():
    assert f.availability_zones([zone("il-central-1a")]) == ["il-central-1a"]
    assert f.availability_zones([]) == []
