"""HTTPS on the deployed stack: given a certificate, the ALB serves 443 with it, HTTP redirects to HTTPS
(301) and the ALB security group opens 443; without it again, HTTP forwards and 443 is gone.
Runs after test_runs (file order): it changes the stack and puts it back."""

import json

import pytest

from conftest import STACK


@pytest.fixture(scope="module")
def certificate_arn(aws):
    acm = aws("acm")
    return acm.request_certificate(DomainName="app.example.com", ValidationMethod="DNS")["CertificateArn"]


def listeners(aws):
    elb = aws("elbv2")
    (lb,) = elb.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    return {lis["Port"]: lis for lis in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}


def alb_sg_ports(aws):
    (group,) = aws("ec2").describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [f"{STACK}-alb"]}])[
        "SecurityGroups"
    ]
    return sorted(rule["FromPort"] for rule in group["IpPermissions"])


def test_certificate_gives_https_listener_and_redirect(aws, site, certificate_arn):
    # alb_app_url "" as on real AWS: the local inventory's loopback URL would win over the domain's.
    tls = {
        "alb_certificate_arn": certificate_arn,
        "alb_domain_names": ["app.example.com", "www.example.com"],
        "alb_app_url": "",
    }
    run = site("--tags", "network,alb", "-e", json.dumps(tls))
    assert run.rc == 0, run.output[-4000:]
    # The printed URL is the domain the certificate covers, not the ALB's *.elb.amazonaws.com name.
    assert "App URL:            https://app.example.com" in run.output, run.output[-3000:]
    by_port = listeners(aws)
    https, http = by_port[443], by_port[80]
    assert https["Protocol"] == "HTTPS"
    assert [c["CertificateArn"] for c in https["Certificates"]] == [certificate_arn]
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert https["DefaultActions"][0]["Type"] == "forward"
    redirect = http["DefaultActions"][0]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS" and redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert alb_sg_ports(aws) == [80, 443]
    again = site("--tags", "network,alb", "-e", json.dumps(tls))
    assert again.rc == 0 and again.recap["changed"] == 0, again.output[-3000:]


def test_without_certificate_http_forwards_again(aws, site):
    run = site("--tags", "network,alb")
    assert run.rc == 0, run.output[-4000:]
    by_port = listeners(aws)
    assert set(by_port) == {80}
    assert by_port[80]["DefaultActions"][0]["Type"] == "forward"
    assert alb_sg_ports(aws) == [80]
