"""ECS services, target groups and the load balancer on the local runtime: real tasks behind a real health
check and a loopback listener. Every test runs real containers; nothing here is stubbed."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.moto]

# A tiny web server: answers BODY with CODE (default 200) on every path, logs nothing.
SERVER = (
    "import http.server as h, os\n"
    "class H(h.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        get = self.headers.get\n"
    "        body = (os.environ['BODY'] + ' host=' + get('Host', '') + ' xff=' + get('X-Forwarded-For', '')\n"
    "                + ' proto=' + get('X-Forwarded-Proto', '') + ' port=' + get('X-Forwarded-Port', '')).encode()\n"
    "        self.send_response(int(os.environ.get('CODE', '200')))\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def log_message(self, *args):\n"
    "        pass\n"
    "h.ThreadingHTTPServer(('0.0.0.0', 8000), H).serve_forever()\n"
)
LB = "svc-alb"


def proxy_port(moto_port: str) -> int:
    return 20000 + (int(moto_port) % 1000) * 10


class Lb:
    def __init__(self, rt) -> None:
        self.rt = rt
        elb, ec2 = rt.client("elbv2"), rt.client("ec2")
        vpc = ec2.describe_subnets(SubnetIds=[rt.subnet])["Subnets"][0]["VpcId"]
        found = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.0.2.0/24"]}])["Subnets"]
        other = (
            found[0]
            if found
            else ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]
        )
        self.tg = elb.create_target_group(
            Name="svc-web", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip", HealthCheckPath="/health",
            HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
            UnhealthyThresholdCount=2, Matcher={"HttpCode": "200"},
        )["TargetGroups"][0]["TargetGroupArn"]  # fmt: skip
        elb.modify_target_group_attributes(
            TargetGroupArn=self.tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}]
        )
        lb = elb.create_load_balancer(
            Name=LB, Subnets=[rt.subnet, other["SubnetId"]], SecurityGroups=[rt.security_group]
        )
        elb.create_listener(
            LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"], Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": self.tg}],
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{proxy_port(rt.moto.port)}"

    def get(self, path: str = "/") -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 (loopback)
            self.url + path, headers={"Host": f"{LB}.localhost:{self.url.rsplit(':', 1)[1]}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def health(self) -> list[dict]:
        return self.rt.client("elbv2").describe_target_health(TargetGroupArn=self.tg)["TargetHealthDescriptions"]


def web(rt, family: str, body: str, code: str = "200", command: list[str] | None = None) -> str:
    return rt.register(family, [{
        "name": "web", "command": command or ["python3", "-c", SERVER], "portMappings": [{"containerPort": 8000}],
        "environment": [{"name": "BODY", "value": body}, {"name": "CODE", "value": code}], "stopTimeout": 2,
    }])  # fmt: skip


def service(rt, lb: Lb, name: str, task_definition: str, desired: int = 1, minimum: int = 100, maximum: int = 200):
    """CreateService, then UpdateService with the deployment configuration and grace period, which moto drops on
    CreateService (ecs_service_deploy does the same: it re-applies what the creation answer lacks)."""
    config = {"minimumHealthyPercent": minimum, "maximumPercent": maximum,
              "deploymentCircuitBreaker": {"enable": True, "rollback": True}}  # fmt: skip
    created = rt.client("ecs").create_service(
        cluster=rt.cluster, serviceName=name, taskDefinition=task_definition, desiredCount=desired,
        launchType="FARGATE", healthCheckGracePeriodSeconds=0,
        loadBalancers=[{"targetGroupArn": lb.tg, "containerName": "web", "containerPort": 8000}],
        deploymentConfiguration=config,
        networkConfiguration={"awsvpcConfiguration": {"subnets": [rt.subnet], "securityGroups": [rt.security_group]}},
    )["service"]  # fmt: skip
    rt.client("ecs").update_service(
        cluster=rt.cluster, service=name, deploymentConfiguration=config, healthCheckGracePeriodSeconds=0
    )
    return created


def describe(rt, name: str) -> dict:
    return rt.client("ecs").describe_services(cluster=rt.cluster, services=[name])["services"][0]


def wait_rollout(rt, name: str, state: str, timeout: float = 120, each=None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        svc = describe(rt, name)
        if each:
            each(svc)
        primary = next(d for d in svc["deployments"] if d["status"] == "PRIMARY")
        if primary["rolloutState"] == state and len(svc["deployments"]) == 1:
            return svc
        time.sleep(0.5)
    raise AssertionError(f"{name}: no {state} rollout after {timeout}s: {describe(rt, name)}")


@pytest.fixture
def lb(rt):
    made = Lb(rt)
    yield made
    ecs = rt.client("ecs")
    for arn in ecs.list_services(cluster=rt.cluster)["serviceArns"]:
        ecs.delete_service(cluster=rt.cluster, service=arn, force=True)
    elb = rt.client("elbv2")
    for lb_ in elb.describe_load_balancers()["LoadBalancers"]:
        elb.delete_load_balancer(LoadBalancerArn=lb_["LoadBalancerArn"])
    deadline = time.monotonic() + 60
    while ecs.list_tasks(cluster=rt.cluster, desiredStatus="RUNNING")["taskArns"] and time.monotonic() < deadline:
        time.sleep(0.5)
    elb.delete_target_group(TargetGroupArn=made.tg)


def test_a_service_serves_at_the_loopback_url_and_a_new_revision_rolls_out_without_a_failed_request(rt, lb):
    assert lb.get()[0] == 503  # a listener without a healthy target
    v1 = web(rt, "svc", "v1")
    created = service(rt, lb, "svc", v1)
    assert created["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    svc = wait_rollout(rt, "svc", "COMPLETED")
    assert svc["runningCount"] == 1 and svc["deployments"][0]["runningCount"] == 1
    assert [h["TargetHealth"]["State"] for h in lb.health()] == ["healthy"]
    status, body = lb.get("/any/page")
    port = lb.url.rsplit(":", 1)[1]
    assert status == 200 and body == f"v1 host={LB}.localhost:{port} xff=127.0.0.1 proto=http port={port}"
    old_task = rt.client("ecs").list_tasks(cluster=rt.cluster, serviceName="svc")["taskArns"]
    assert len(old_task) == 1

    v2 = web(rt, "svc", "v2")
    rt.client("ecs").update_service(cluster=rt.cluster, service="svc", taskDefinition=v2)
    results: list[tuple[int, str]] = []
    states: set[str] = set()

    def during(svc: dict) -> None:
        states.add(next(d for d in svc["deployments"] if d["status"] == "PRIMARY")["rolloutState"])
        for _ in range(3):
            results.append(lb.get())

    started = time.monotonic()
    svc = wait_rollout(rt, "svc", "COMPLETED", each=during)
    took = time.monotonic() - started
    assert states == {"IN_PROGRESS", "COMPLETED"} or states == {"IN_PROGRESS"}
    failed = [r for r in results if r[0] != 200]
    assert not failed and len(results) >= 6, (failed, len(results))
    assert {r[1][:2] for r in results} <= {"v1", "v2"}
    assert all(lb.get()[1].startswith("v2") for _ in range(5))
    assert svc["taskDefinition"] == v2 and took < 60
    stopped = rt.describe(old_task[0])
    assert stopped["lastStatus"] == "STOPPED" and stopped["stopCode"] == "ServiceSchedulerInitiated"
    messages = [e["message"] for e in svc["events"]]
    assert any("has begun draining connections on 1 tasks." in m for m in messages)
    assert messages[0] == "(service svc) has reached a steady state."
    assert any(
        m.startswith("(service svc) (deployment ecs-svc/") and m.endswith("deployment completed.") for m in messages
    )


def test_a_container_that_exits_trips_the_circuit_breaker_and_rolls_back(rt, lb):
    good = web(rt, "cb", "good")
    service(rt, lb, "cb", good)
    wait_rollout(rt, "cb", "COMPLETED")
    bad = web(rt, "cb", "bad", command=["python3", "-c", "import sys; sys.exit(1)"])
    rt.client("ecs").update_service(cluster=rt.cluster, service="cb", taskDefinition=bad)
    served: list[tuple[int, str]] = []
    failed_seen: list[dict] = []

    def during(svc: dict) -> None:
        served.append(lb.get())
        failed_seen.extend(d for d in svc["deployments"] if d["rolloutState"] == "FAILED")

    started = time.monotonic()
    svc = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        svc = describe(rt, "cb")
        during(svc)
        primary = next(d for d in svc["deployments"] if d["status"] == "PRIMARY")
        if (
            primary["taskDefinition"] == good
            and primary["rolloutState"] == "COMPLETED"
            and len(svc["deployments"]) == 1
        ):
            break
        time.sleep(0.5)
    took = time.monotonic() - started
    assert svc["taskDefinition"] == good, svc["deployments"]
    assert failed_seen and failed_seen[0]["taskDefinition"] == bad and failed_seen[0]["failedTasks"] >= 3
    assert failed_seen[0]["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    messages = [e["message"] for e in svc["events"]]
    assert any(m.endswith("deployment failed: tasks failed to start.") for m in messages)
    assert any(m.startswith("(service cb) rolling back to deployment ecs-svc/") for m in messages)
    assert all(s == 200 and b.startswith("good") for s, b in served), served
    assert took < 120


def test_a_health_check_that_answers_404_keeps_the_task_out_and_ends_in_the_rollback(rt, lb):
    good = web(rt, "hc", "good")
    service(rt, lb, "hc", good)
    wait_rollout(rt, "hc", "COMPLETED")
    bad = web(rt, "hc", "missing", code="404")
    rt.client("ecs").update_service(cluster=rt.cluster, service="hc", taskDefinition=bad)
    reasons: set[tuple[str, str, str]] = set()
    deadline = time.monotonic() + 150
    svc = {}
    while time.monotonic() < deadline:
        for h in lb.health():
            th = h["TargetHealth"]
            reasons.add((th["State"], th.get("Reason", ""), th.get("Description", "")))
        assert lb.get()[1].startswith("good")
        svc = describe(rt, "hc")
        primary = next(d for d in svc["deployments"] if d["status"] == "PRIMARY")
        if (
            primary["taskDefinition"] == good
            and len(svc["deployments"]) == 1
            and primary["rolloutState"] == "COMPLETED"
        ):
            break
        time.sleep(0.5)
    assert svc["taskDefinition"] == good
    assert ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress") in reasons
    # The target is 'unhealthy' only until the scheduler's next pass deregisters it (as on AWS, where ECS
    # replaces it within seconds), so a poller can miss that state; the event and the stopped task keep it.
    assert any(
        "is unhealthy in (target-group" in e["message"]
        and "(reason Health checks failed with these codes: [404])" in e["message"]
        for e in svc["events"]
    ), [e["message"] for e in svc["events"]]
    ecs = rt.client("ecs")
    stopped = ecs.list_tasks(cluster=rt.cluster, family="hc", desiredStatus="STOPPED")["taskArns"]
    stopped_reasons = [
        (t["taskDefinitionArn"], t.get("stoppedReason", ""))
        for t in ecs.describe_tasks(cluster=rt.cluster, tasks=stopped)["tasks"]
    ]
    assert any(
        td == bad and r.startswith("Task failed ELB health checks in (target-group") for td, r in stopped_reasons
    )


def test_desired_two_at_50_200_never_drops_below_one_healthy_nor_exceeds_four_tasks(rt, lb):
    v1 = web(rt, "two", "v1")
    service(rt, lb, "two", v1, desired=2, minimum=50, maximum=200)
    wait_rollout(rt, "two", "COMPLETED")
    v2 = web(rt, "two", "v2")
    rt.client("ecs").update_service(cluster=rt.cluster, service="two", taskDefinition=v2)
    most_tasks, fewest_healthy = 0, 99

    def during(_svc: dict) -> None:
        nonlocal most_tasks, fewest_healthy
        ecs = rt.client("ecs")
        arns = ecs.list_tasks(cluster=rt.cluster, serviceName="two")["taskArns"]
        tasks = ecs.describe_tasks(cluster=rt.cluster, tasks=arns)["tasks"] if arns else []
        most_tasks = max(most_tasks, sum(1 for t in tasks if t["lastStatus"] != "STOPPED"))
        fewest_healthy = min(fewest_healthy, sum(1 for h in lb.health() if h["TargetHealth"]["State"] == "healthy"))

    svc = wait_rollout(rt, "two", "COMPLETED", each=during)
    assert svc["runningCount"] == 2 and svc["taskDefinition"] == v2
    assert fewest_healthy >= 1 and most_tasks <= 4, (fewest_healthy, most_tasks)
    assert most_tasks > 2  # it did start new tasks before stopping old ones


def test_a_bare_family_names_its_latest_active_revision(rt):
    first = web(rt, "fam", "one")
    second = web(rt, "fam", "two")
    ecs = rt.client("ecs")
    assert ecs.describe_task_definition(taskDefinition="fam")["taskDefinition"]["taskDefinitionArn"] == second
    ecs.deregister_task_definition(taskDefinition=second)
    assert ecs.describe_task_definition(taskDefinition="fam")["taskDefinition"]["taskDefinitionArn"] == first


def test_a_scalable_target_bounds_the_desired_count_with_real_tasks(rt):
    """RegisterScalableTarget moves the desired count into [min, max] (AWS's documented behaviour): min 2 scales a
    service of 1 out to two RUNNING tasks, max 1 scales it back in to one."""
    ecs, aas = rt.client("ecs"), rt.client("application-autoscaling")
    definition = web(rt, "scaled", "scaled")
    ecs.create_service(
        cluster=rt.cluster, serviceName="scaled", taskDefinition=definition, desiredCount=1, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [rt.subnet], "securityGroups": [rt.security_group]}},
    )  # fmt: skip
    wait_rollout(rt, "scaled", "COMPLETED", timeout=240)
    target = {"ServiceNamespace": "ecs", "ResourceId": f"service/{rt.cluster}/scaled",
              "ScalableDimension": "ecs:service:DesiredCount"}  # fmt: skip

    def settled(count: int, timeout: float = 240) -> dict:
        """The service once it holds ``count`` RUNNING tasks and no other live one (durable: nothing changes it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            svc = describe(rt, "scaled")
            arns = ecs.list_tasks(cluster=rt.cluster, serviceName="scaled", desiredStatus="RUNNING")["taskArns"]
            tasks = ecs.describe_tasks(cluster=rt.cluster, tasks=arns)["tasks"] if arns else []
            if svc["runningCount"] == count and [t["lastStatus"] for t in tasks] == ["RUNNING"] * count:
                return svc
            time.sleep(0.5)
        raise AssertionError(f"not {count} RUNNING tasks after {timeout}s: {describe(rt, 'scaled')}")

    try:
        aas.register_scalable_target(**target, MinCapacity=2, MaxCapacity=3)
        svc = settled(2)
        assert svc["desiredCount"] == 2
        messages = [e["message"] for e in svc["events"]]
        assert any(m.startswith("(service scaled) desired count set to 2 (was 1) by Application Auto Scaling")
                   for m in messages), messages  # fmt: skip
        aas.register_scalable_target(**target, MinCapacity=0, MaxCapacity=1)
        svc = settled(1)
        assert svc["desiredCount"] == 1
        assert any("desired count set to 1 (was 2)" in e["message"] for e in svc["events"])
    finally:
        aas.deregister_scalable_target(**target)
        ecs.delete_service(cluster=rt.cluster, service="scaled", force=True)
