"""The alb role's drift checks (plugins/filter/fargate_alb.py) against the stock modules, on a plain moto server of
its own (no containers: `site.yml --tags network,alb`). An HTTPS load balancer (ACM certificate, HTTP :80 redirecting)
with options away from the defaults, an int tag value among them: the second run finds nothing to do and the stock
modules do not run; a changed option, or a change made behind Ansible's back, runs them and names what differed;
--check reports the drift and writes nothing. About 4 minutes (7 runs of network + alb)."""

from __future__ import annotations

import json
import os

import pytest
from stack import Moto, run_playbook

PORT = int(os.environ.get("DJANGO_ECS_ALB_DRIFT_MOTO_PORT", "5190"))
REGISTRY = f"127.0.0.1:{PORT + 1}"  # no image is built with these tags: nothing listens there
STACK = "albdrift"
POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

pytestmark = [pytest.mark.moto]

STOCK_MODULES = ("Ensure the target group", "Ensure the load balancer and its listeners")


@pytest.fixture(scope="module")
def moto():
    server = Moto(f"http://127.0.0.1:{PORT}", runtime=False).start()
    server.reset()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def options(moto):
    cert = moto.client("acm").request_certificate(DomainName="app.example.com")["CertificateArn"]
    return {
        "fargate_stack_name": STACK,
        "alb_certificate_arn": cert,
        "alb_domain_names": ["app.example.com"],
        "alb_ssl_policy": POLICY,
        "alb_tags": {"fargate:stack": STACK, "cost-centre": 42},
        "alb_health_check_interval": 15,
        "alb_health_check_matcher": "200-299",
        "alb_deregistration_delay": 0,
    }


def _run(moto: Moto, tmp_path, variables: dict, *args: str):
    extra = tmp_path / f"vars-{len(list(tmp_path.iterdir()))}.json"
    extra.write_text(json.dumps(variables))
    return run_playbook(moto, "site.yml", "-e", f"@{extra}", "--tags", "network,alb", *args, registry=REGISTRY)


def _ran(output: str, task: str) -> bool:
    """Whether the alb task ran (its banner followed by anything but a skip)."""
    section = output.split(f"TASK [django_ecs.fargate.alb : {task}]", 1)
    assert len(section) == 2, f"no task {task!r} in the output"
    result = section[1].split("TASK [", 1)[0]
    return "skipping:" not in result


@pytest.fixture(scope="module")
def deployed(moto, options, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alb-drift")
    first = _run(moto, tmp, options)
    assert first.rc == 0, first.describe()
    return {"tmp": tmp, "first": first, "again": _run(moto, tmp, options)}


def _elb(moto: Moto):
    elb = moto.client("elbv2")
    (lb,) = elb.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    (tg,) = elb.describe_target_groups(Names=[f"{STACK}-web"])["TargetGroups"]
    listeners = {x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    return elb, lb, tg, listeners


def test_the_https_load_balancer_is_created_with_the_options(moto, options, deployed):
    elb, lb, tg, listeners = _elb(moto)
    assert sorted(listeners) == [80, 443]
    assert listeners[443]["Certificates"][0]["CertificateArn"] == options["alb_certificate_arn"]
    assert listeners[443]["SslPolicy"] == POLICY
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    assert tg["HealthCheckIntervalSeconds"] == 15 and tg["Matcher"]["HttpCode"] == "200-299"
    (tags,) = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    assert {t["Key"]: t["Value"] for t in tags["Tags"]}["cost-centre"] == "42"


def test_a_second_run_finds_nothing_to_do(deployed):
    again = deployed["again"]
    assert again.rc == 0, again.describe()
    assert again.recap["changed"] == 0, again.describe()
    assert again.writes == [], again.writes
    for task in STOCK_MODULES:
        assert not _ran(again.output, task), f"{task} ran on a no-op\n{again.describe()}"


def test_check_mode_reports_the_drift_and_writes_nothing(moto, options, deployed):
    run = _run(
        moto,
        deployed["tmp"],
        {**options, "alb_deregistration_delay": 5, "alb_ssl_policy": "ELBSecurityPolicy-TLS13-1-3-2021-06"},
        "--check",
    )
    assert run.rc == 0, run.describe()
    assert run.writes == [], run.writes
    assert f"Target group {STACK}-web differed in deregistration_delay_timeout_seconds." in run.output, run.describe()
    assert f"Load balancer {STACK}-alb differed in listeners." in run.output, run.describe()
    assert run.recap["changed"] >= 2, run.describe()


def test_a_change_behind_ansibles_back_is_undone(moto, options, deployed):
    """Someone swaps the HTTPS listener's TLS policy and the health check interval in the console."""
    elb, unused_lb, tg, listeners = _elb(moto)
    elb.modify_listener(ListenerArn=listeners[443]["ListenerArn"], SslPolicy="ELBSecurityPolicy-2016-08")
    elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], HealthCheckIntervalSeconds=30)
    run = _run(moto, deployed["tmp"], options)
    assert run.rc == 0, run.describe()
    assert f"Target group {STACK}-web differed in health_check_interval_seconds." in run.output, run.describe()
    assert f"Load balancer {STACK}-alb differed in listeners." in run.output, run.describe()
    tg, listeners = _elb(moto)[2:]
    assert tg["HealthCheckIntervalSeconds"] == 15
    assert listeners[443]["SslPolicy"] == POLICY


def test_a_changed_option_runs_the_stock_modules_and_names_what_differed(moto, options, deployed):
    changed = {**options, "alb_health_check_path": "/ready/", "alb_tags": {"fargate:stack": STACK, "cost-centre": 43}}
    run = _run(moto, deployed["tmp"], changed)
    assert run.rc == 0, run.describe()
    assert f"Target group {STACK}-web differed in health_check_path, tags." in run.output, run.describe()
    assert f"Load balancer {STACK}-alb differed in tags." in run.output, run.describe()
    assert "elasticloadbalancing:ModifyTargetGroup" in run.writes, run.writes
    tg = _elb(moto)[2]
    assert tg["HealthCheckPath"] == "/ready/"
    again = _run(moto, deployed["tmp"], changed)
    assert again.recap["changed"] == 0 and again.writes == [], again.describe()
    # Back to the module's options, so that the tests do not depend on their order.
    back = _run(moto, deployed["tmp"], options)
    assert back.rc == 0 and "differed in health_check_path, tags." in back.output, back.describe()
