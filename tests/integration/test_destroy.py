"""destroy.yml on the emulator: after site.yml it leaves none of the stack's resources (checked through the API,
resource by resource), a second run changes nothing, a production inventory is refused without confirmation
(before any AWS call), and site.yml then rebuilds the stack.

The session's stack (stack.deployed_stack) is destroyed here and rebuilt at the end, so the modules that run
after this one find it deployed again.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import botocore.exceptions
import pytest
from stack import STACK, Deployed, run_playbook

pytestmark = pytest.mark.moto

FAMILIES = (f"{STACK}-web", f"{STACK}-migrate")
ROLES = (f"{STACK}-execution", f"{STACK}-task", f"{STACK}-scheduler")
# amazon.aws.rds_subnet_group has no info module and deletes blindly with state=absent (NotFound counts as done),
# so every destroy run makes this one call; it reports no change when the group is already gone.
BLIND_DELETES = {"rds:DeleteDBSubnetGroup"}


def _error_code(call) -> str | None:
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


def snapshot(deployed: Deployed) -> dict:
    """Ids of what site.yml built, read before the destroy (some can only be found by id afterwards)."""
    m = deployed.moto
    ec2, elb = m.client("ec2"), m.client("elbv2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:fargate:stack", "Values": [STACK]}])["Vpcs"]
    vpc_ids = [v["VpcId"] for v in vpcs]
    alb = elb.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"][0]
    return {
        "vpc_ids": vpc_ids,
        "subnet_ids": [
            s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": vpc_ids}])["Subnets"]
        ],
        "igw_ids": [
            g["InternetGatewayId"]
            for g in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])[
                "InternetGateways"
            ]
        ],
        "sg_ids": [
            g["GroupId"]
            for g in ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [f"{STACK}-alb", f"{STACK}-app", f"{STACK}-db"]}]
            )["SecurityGroups"]
        ],
        "alb_arn": alb["LoadBalancerArn"],
        "listener_arns": [
            x["ListenerArn"] for x in elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
        ],
    }


def worker_services(deployed: Deployed) -> list[str]:
    """The ACTIVE worker services (moto also lists deleted, INACTIVE ones)."""
    ecs = deployed.moto.client("ecs")
    names = [a.rsplit("/", 1)[-1] for a in ecs.list_services(cluster=STACK)["serviceArns"]]
    workers = [n for n in names if n.startswith(f"{STACK}-worker-")]
    described = ecs.describe_services(cluster=STACK, services=workers)["services"] if workers else []
    return sorted(s["serviceName"] for s in described if s["status"] == "ACTIVE")


@pytest.fixture(scope="module")
def destroyed(deployed_stack):
    # A worker service to remove: test_day_two_background_workers.py leaves one; alone, this module deploys one.
    if not worker_services(deployed_stack):
        worker = {"name": "rq", "command": ["python", "-c", "import time; time.sleep(86400)"]}
        run = run_playbook(
            deployed_stack.moto, "site.yml", "--tags", "workers", "-e", json.dumps({"ecs_workers_services": [worker]})
        )
        assert run.rc == 0, run.describe()
    before = snapshot(deployed_stack)
    before["workers"] = worker_services(deployed_stack)
    assert before["workers"], "no worker service to destroy"
    assert before["vpc_ids"] and len(before["sg_ids"]) == 3 and before["listener_arns"], before
    run = run_playbook(deployed_stack.moto, "destroy.yml")
    assert run.rc == 0, run.describe()
    return deployed_stack, before, run


# ------------------------------------------------------------------- what must be gone, one check per resource
def _service_gone(m, b):
    ecs = m.client("ecs")
    try:
        services = ecs.describe_services(cluster=STACK, services=[f"{STACK}-web"])["services"]
    except ecs.exceptions.ClusterNotFoundException:
        return
    assert all(s["status"] == "INACTIVE" for s in services), services


def _worker_services_gone(m, b):
    ecs = m.client("ecs")
    try:
        services = ecs.describe_services(cluster=STACK, services=b["workers"])["services"]
    except ecs.exceptions.ClusterNotFoundException:
        return
    assert all(s["status"] == "INACTIVE" for s in services), services


def _cluster_gone(m, b):
    clusters = m.client("ecs").describe_clusters(clusters=[STACK])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters), clusters


def _alb_gone(m, b):
    elb = m.client("elbv2")
    assert _error_code(lambda: elb.describe_load_balancers(Names=[f"{STACK}-alb"])) == "LoadBalancerNotFound"


def _listeners_gone(m, b):
    elb = m.client("elbv2")
    for arn in b["listener_arns"]:
        assert _error_code(lambda arn=arn: elb.describe_listeners(ListenerArns=[arn])) == "ListenerNotFound", arn


def _target_group_gone(m, b):
    elb = m.client("elbv2")
    assert _error_code(lambda: elb.describe_target_groups(Names=[f"{STACK}-web"])) == "TargetGroupNotFound"


def _task_definitions_inactive(m, b):
    ecs = m.client("ecs")
    for family in FAMILIES + tuple(b["workers"]):  # a worker's family is its service's name
        arns = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
        active = [a for a in arns if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]
        assert not active, f"ACTIVE revisions left: {active}"


def _job_schedules_gone(m, b):
    """Scheduled jobs (test_day_two_jobs leaves two): their schedules, group and definitions."""
    groups = m.client("scheduler").list_schedule_groups(NamePrefix=STACK)["ScheduleGroups"]
    assert [g["Name"] for g in groups if g["Name"] == STACK] == []
    arns = m.client("ecs").list_task_definitions(familyPrefix=f"{STACK}-job-", status="ACTIVE")["taskDefinitionArns"]
    assert arns == []


def _log_group_gone(m, b):
    groups = m.client("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{STACK}")["logGroups"]
    assert f"/ecs/{STACK}" not in [g["logGroupName"] for g in groups]


def _iam_roles_gone(m, b):
    iam = m.client("iam")
    for role in ROLES:
        assert _error_code(lambda role=role: iam.get_role(RoleName=role)) == "NoSuchEntity", role


def _db_instance_gone(m, b):
    rds = m.client("rds")
    assert _error_code(lambda: rds.describe_db_instances(DBInstanceIdentifier=f"{STACK}-db")) == "DBInstanceNotFound"


def _final_snapshot_exists(m, b):
    snapshots = m.client("rds").describe_db_snapshots(DBInstanceIdentifier=f"{STACK}-db")["DBSnapshots"]
    names = [s["DBSnapshotIdentifier"] for s in snapshots]
    assert any(n.startswith(f"{STACK}-db-final-") for n in names), names


def _db_subnet_group_gone(m, b):
    rds = m.client("rds")
    code = _error_code(lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=f"{STACK}-db"))
    assert code == "DBSubnetGroupNotFoundFault", code


def _secret_scheduled_for_deletion(m, b):
    sm = m.client("secretsmanager")
    try:
        secret = sm.describe_secret(SecretId=f"{STACK}/app")
    except sm.exceptions.ResourceNotFoundException:
        return
    assert secret.get("DeletedDate"), "the secret is neither deleted nor scheduled for deletion"


def _security_groups_gone(m, b):
    left = m.client("ec2").describe_security_groups(Filters=[{"Name": "group-id", "Values": b["sg_ids"]}])[
        "SecurityGroups"
    ]
    assert not left, [g["GroupName"] for g in left]


def _vpc_gone(m, b):
    left = m.client("ec2").describe_vpcs(Filters=[{"Name": "vpc-id", "Values": b["vpc_ids"]}])["Vpcs"]
    assert not left


def _subnets_gone(m, b):
    left = m.client("ec2").describe_subnets(Filters=[{"Name": "subnet-id", "Values": b["subnet_ids"]}])["Subnets"]
    assert not left, [s["SubnetId"] for s in left]


def _internet_gateway_gone(m, b):
    left = m.client("ec2").describe_internet_gateways(
        Filters=[{"Name": "internet-gateway-id", "Values": b["igw_ids"]}]
    )["InternetGateways"]
    assert not left


def _route_tables_gone(m, b):
    left = m.client("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": b["vpc_ids"]}])["RouteTables"]
    assert not left, [r["RouteTableId"] for r in left]


def _no_container_left(m, b):
    docker = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
    left = subprocess.run([docker, "ps", "-aq", "--filter", f"label=django-ecs.runtime={m.port}"],
                          capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    assert not left, left


def _no_database_left(m, b):
    with urllib.request.urlopen(f"{m.url}/_local_runtime/status", timeout=5) as response:  # noqa: S310 (loopback)
        status = json.load(response)
    assert status["runtime"] is True  # the stack ran on the local runtime: this check means something
    assert status["databases"] == [], status["databases"]


def _ecr_repository_kept(m, b):
    repos = m.client("ecr").describe_repositories(repositoryNames=[STACK])["repositories"]
    assert len(repos) == 1


RESOURCE_CHECKS = [
    _service_gone, _worker_services_gone, _cluster_gone, _alb_gone, _listeners_gone, _target_group_gone,
    _task_definitions_inactive, _job_schedules_gone, _log_group_gone, _iam_roles_gone, _db_instance_gone,
    _final_snapshot_exists, _db_subnet_group_gone,
    _secret_scheduled_for_deletion, _security_groups_gone, _vpc_gone, _subnets_gone, _internet_gateway_gone,
    _route_tables_gone, _ecr_repository_kept, _no_container_left, _no_database_left,
]  # fmt: skip


@pytest.mark.parametrize("check", RESOURCE_CHECKS, ids=[c.__name__.strip("_") for c in RESOURCE_CHECKS])
def test_destroy_leaves_nothing(check, destroyed):
    deployed, before, _run = destroyed
    check(deployed.moto, before)


def test_destroy_deletes_the_worker_services(destroyed):
    # The cluster goes too, so the services cannot be described afterwards: the request log shows the deletes.
    _deployed, before, run = destroyed
    deletes = [c for c in run.calls if c["service"] == "ecs" and c["action"] == "DeleteService"]
    assert len(deletes) == 1 + len(before["workers"]), (before["workers"], deletes)
    assert "changed: [localhost] => (item=rq)" in run.output, run.output[-4000:]


def test_destroy_says_what_it_kept(destroyed):
    _deployed, _before, run = destroyed
    assert "Kept the ECR repository" in run.output and "fargate_destroy_images=true" in run.output
    assert f"{STACK}-db-final-" in run.output  # where the final snapshot is


def test_second_destroy_changes_nothing(destroyed):
    deployed, _before, _run = destroyed
    run = run_playbook(deployed.moto, "destroy.yml")
    assert run.rc == 0, run.describe()
    assert run.recap["changed"] == 0, run.describe()
    assert not set(run.writes) - BLIND_DELETES, run.writes


@pytest.mark.parametrize("confirm", [None, "wrong-stack"])
def test_production_guard_refuses_without_confirmation(confirm, stack_moto):
    args = ["-e", "fargate_environment=production"]
    if confirm:
        args += ["-e", f"fargate_destroy_confirm={confirm}"]
    run = run_playbook(stack_moto, "destroy.yml", *args)
    assert run.rc != 0, run.describe()
    assert "fargate_destroy_confirm" in run.failure and f"fargate_destroy_confirm={STACK}" in run.failure, run.failure
    assert not run.calls, f"AWS calls before the refusal: {run.calls}"


def test_production_guard_passes_with_confirmation(stack_moto):
    # A stack that does not exist, limited to the data part: the confirmation lets the run reach AWS.
    run = run_playbook(
        stack_moto, "destroy.yml", "--tags", "destroy_data",
        "-e", "fargate_environment=production", "-e", "fargate_stack_name=nosuchstack",
        "-e", "fargate_destroy_confirm=nosuchstack",
    )  # fmt: skip
    assert run.rc == 0, run.describe()
    assert run.calls and not set(run.writes) - BLIND_DELETES, run.writes


def test_destroy_images_and_secret_at_once(destroyed):
    deployed, _before, _run = destroyed
    m = deployed.moto
    run = run_playbook(
        m, "destroy.yml", "--tags", "destroy_app,destroy_data",
        "-e", "fargate_destroy_images=true", "-e", "fargate_destroy_force_secret=true",
    )  # fmt: skip
    assert run.rc == 0, run.describe()
    assert (
        _error_code(lambda: m.client("ecr").describe_repositories(repositoryNames=[STACK]))
        == "RepositoryNotFoundException"
    )
    assert (
        _error_code(lambda: m.client("secretsmanager").describe_secret(SecretId=f"{STACK}/app"))
        == "ResourceNotFoundException"
    )


def test_site_rebuilds_after_destroy(destroyed):
    deployed, _before, _run = destroyed
    run = deployed.site()
    assert run.rc == 0, run.describe()
    m = deployed.moto
    assert (
        m.client("ecs").describe_services(cluster=STACK, services=[f"{STACK}-web"])["services"][0]["status"] == "ACTIVE"
    )
    assert m.client("rds").describe_db_instances(DBInstanceIdentifier=f"{STACK}-db")["DBInstances"]
    deployed.remember_secrets()
    deployed.rebuild = run
    print(json.dumps({"destroy_seconds": round(destroyed[2].seconds, 1), "rebuild_seconds": round(run.seconds, 1)}))


def test_destroy_keeps_a_vpc_the_inventory_gave(stack_moto):
    """With network_vpc_id, only the stack's security groups go: the VPC and its subnets stay, even when tagged
    like one the network role would have created."""
    ec2 = stack_moto.client("ec2")
    name = "givenvpc"
    tags = [{"Key": "Name", "Value": name}, {"Key": "fargate:stack", "Value": name}]
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.77.1.0/24")["Subnet"]
    sg = ec2.create_security_group(GroupName=f"{name}-app", Description="app", VpcId=vpc["VpcId"])["GroupId"]
    run = run_playbook(
        stack_moto, "destroy.yml", "--tags", "destroy_network",
        "-e", f"fargate_stack_name={name}", "-e", f"network_vpc_id={vpc['VpcId']}",
    )  # fmt: skip
    assert run.rc == 0, run.describe()
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Vpcs"], (
        "the given VPC was deleted"
    )
    assert ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet["SubnetId"]]}])["Subnets"]
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroups"]
    assert "Kept the VPC" in run.output
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])
