"""Role options that a default deploy never turns on, deployed for real on an emulator of their own.

One stack with a NAT gateway, a container health check, read-only root filesystems, an extra Secrets
Manager secret, a custom migration command (which proves the secret reached the container and that
Django migrates on a read-only root), a customer managed KMS key for the stack secret, a custom startedBy
for the migration guard, autoscaling and revision clean-up (keep 1: the revisions registered before the
deploy, as a previous release would have left them, are deregistered); then a second run with the same
options reports no change. A second stack name deploys its network into an existing VPC (network tag only).
Two full site.yml runs in all: the test runs in CI's integration stage.
Every value differs from the role's default, so an option the roles ignored fails its assertion.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from stack import Moto, _script, base_image, run_playbook

PORT = int(os.environ.get("DJANGO_ECS_OPTIONS_MOTO_PORT", "5180"))
REGISTRY = f"127.0.0.1:{PORT + 7}"
STACK = "optstack"
TOKEN = "token-value-123"  # a test value; the migration command checks only its length
# The migration container refuses to migrate unless the extra secret arrived (15 characters).
# (No shell length syntax: the command passes through Jinja, where "{#" opens a comment.)
CHECK_TOKEN = "import os, sys; sys.exit(len(os.environ.get('EXTRA_TOKEN', '')) != 15)"
MIGRATE_COMMAND = ["sh", "-c", f'python -c "{CHECK_TOKEN}" && exec python manage.py migrate --no-input']
STARTED_BY = "optstack-migrate"  # the migration guard's key (default django-ecs-migrate)

pytestmark = [pytest.mark.moto, pytest.mark.docker]


@pytest.fixture(scope="module")
def options_moto(docker_engine):
    os.environ.setdefault("DJANGO_ECS_BASE_IMAGE", base_image())
    moto = Moto(f"http://127.0.0.1:{PORT}").start()
    moto.reset()
    env = {"DJANGO_ECS_REGISTRY": REGISTRY}
    _script("registry.sh", "start", env=env)
    yield moto
    moto.stop()
    _script("registry.sh", "stop", env=env, check=False)


def _site(moto: Moto, tmp_path, variables: dict, *args: str):
    extra = tmp_path / f"vars-{len(list(tmp_path.iterdir()))}.json"
    extra.write_text(json.dumps(variables))
    return run_playbook(moto, "site.yml", "-e", f"@{extra}", *args, registry=REGISTRY)


@pytest.fixture(scope="module")
def options_stack(options_moto, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("options")
    arn = options_moto.client("secretsmanager").create_secret(Name=f"{STACK}/extra", SecretString=TOKEN)["ARN"]
    key = options_moto.client("kms").create_key(Description=f"{STACK} secret")["KeyMetadata"]
    variables = {
        "fargate_stack_name": STACK,
        "network_nat_gateway": True,
        "ecs_taskdefs_container_health_check": True,
        "ecs_taskdefs_readonly_root_filesystem": True,
        "ecs_taskdefs_secrets": {"EXTRA_TOKEN": arn},
        "ecs_taskdefs_migrate_command": MIGRATE_COMMAND,
        "ecs_taskdefs_keep_revisions": 1,
        "ecs_service_autoscaling": True,
        "ecs_service_autoscaling_min": 1,
        "ecs_service_autoscaling_max": 3,
        "ecs_service_autoscaling_target_cpu": 55,
        "rds_secret_kms_key_id": key["KeyId"],
        "ecs_service_migrate_started_by": STARTED_BY,
    }
    # What a previous release left: revision 1 of both families (keep_revisions 1 deregisters it).
    ecs = options_moto.client("ecs")
    for family, container in ((f"{STACK}-web", "web"), (f"{STACK}-migrate", "migrate")):
        ecs.register_task_definition(
            family=family, containerDefinitions=[{"name": container, "image": "old-release:1", "memory": 128}]
        )
    first = _site(options_moto, tmp, variables)
    assert first.rc == 0, first.describe()
    again = _site(options_moto, tmp, variables)
    return {"moto": options_moto, "arn": arn, "key": key, "runs": [first, again], "tmp": tmp}


def _task_definition(moto: Moto, family: str) -> dict:
    return moto.client("ecs").describe_task_definition(taskDefinition=family)["taskDefinition"]


def test_nat_gateway_routes_the_private_subnets(options_stack):
    ec2 = options_stack["moto"].client("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:fargate:stack", "Values": [STACK]}])["Vpcs"]
    gateways = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]
    assert [g["State"] for g in gateways] == ["available"]
    routes = [
        route
        for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
        for route in table["Routes"]
        if route.get("DestinationCidrBlock") == "0.0.0.0/0"
    ]
    assert any(route.get("NatGatewayId") == gateways[0]["NatGatewayId"] for route in routes), routes


def test_task_definitions_carry_the_options(options_stack):
    moto = options_stack["moto"]
    (web,) = _task_definition(moto, f"{STACK}-web")["containerDefinitions"]
    (migrate,) = _task_definition(moto, f"{STACK}-migrate")["containerDefinitions"]
    assert web["healthCheck"]["command"][0] in ("CMD", "CMD-SHELL"), web["healthCheck"]
    assert web["readonlyRootFilesystem"] is True and migrate["readonlyRootFilesystem"] is True
    for container in (web, migrate):
        assert {"name": "EXTRA_TOKEN", "valueFrom": options_stack["arn"]} in container["secrets"]
    assert migrate["command"] == MIGRATE_COMMAND


def test_custom_migration_ran_with_the_secret_on_a_read_only_root(options_stack):
    """Really ran: the container checked the secret's length and migrated, with a read-only root."""
    first = options_stack["runs"][0]
    assert "Migration success" in first.output, first.describe()
    ecs = options_stack["moto"].client("ecs")
    arns = ecs.list_tasks(cluster=STACK, startedBy=STARTED_BY, desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=STACK, tasks=arns)["tasks"]
    assert len(tasks) == 1, tasks
    for task in tasks:
        assert [c.get("exitCode") for c in task["containers"]] == [0], task


def test_revision_clean_up_keeps_one_active_revision(options_stack):
    ecs = options_stack["moto"].client("ecs")
    for family in (f"{STACK}-web", f"{STACK}-migrate"):
        active = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
        inactive = ecs.list_task_definitions(familyPrefix=family, status="INACTIVE")["taskDefinitionArns"]
        assert [arn.rsplit(":", 1)[-1] for arn in active] == ["2"], active
        assert [arn.rsplit(":", 1)[-1] for arn in inactive] == ["1"], inactive


def test_autoscaling_tracks_cpu_between_the_bounds(options_stack):
    autoscaling = options_stack["moto"].client("application-autoscaling")
    resource = f"service/{STACK}/{STACK}-web"
    (target,) = autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    (policy,) = autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 55


def test_stack_secret_uses_the_kms_key_the_execution_role_may_decrypt(options_stack):
    moto, key = options_stack["moto"], options_stack["key"]
    secrets = moto.client("secretsmanager")
    (stack_secret,) = [s["ARN"] for s in secrets.list_secrets()["SecretList"] if s["Name"] != f"{STACK}/extra"]
    assert secrets.describe_secret(SecretId=stack_secret).get("KmsKeyId") == key["KeyId"], stack_secret
    iam = moto.client("iam")
    role = f"{STACK}-execution"
    policy = iam.get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
    decrypt = [s for s in policy["Statement"] if s.get("Action") == "kms:Decrypt"]
    assert [s["Resource"] for s in decrypt] == [key["Arn"]], policy


def _changed_tasks(output: str) -> list[str]:
    """The names of the tasks that reported changed (the TASK banner before a 'changed:' line)."""
    tasks, current = [], None
    for line in output.splitlines():
        banner = re.match(r"TASK \[(.*)\] \*", line)
        if banner:
            current = banner.group(1)
        elif line.startswith("changed:") and current not in tasks:
            tasks.append(current)
    return tasks


def test_a_second_run_with_the_options_changes_nothing(options_stack):
    """Every option is idempotent, the NAT gateway included: amazon.aws.ec2_vpc_nat_gateway finds the gateway and
    its tags by the resource type AWS reports (`natgateway`; moto said `nat-gateway` until emulator/aws_shapes.py,
    and the task re-tagged the gateway on every run)."""
    again = options_stack["runs"][1]
    assert again.rc == 0, again.describe()
    assert _changed_tasks(again.output) == [], again.describe()
    assert again.recap["changed"] == 0, again.describe()
    assert again.writes == [], again.writes


def test_network_goes_into_an_existing_vpc(options_stack):
    """Another stack in the same emulator: its network role uses the given VPC and subnets, creating none."""
    moto = options_stack["moto"]
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("abab")
    ]
    variables = {
        "fargate_stack_name": "optvpc",
        "network_vpc_id": vpc,
        "network_public_subnet_ids": subnets[:2],
        "network_private_subnet_ids": subnets[2:],
    }
    run = _site(moto, options_stack["tmp"], variables, "--tags", "network")
    assert run.rc == 0, run.describe()
    created = [w for w in run.writes if w.split(":")[1] in ("CreateVpc", "CreateSubnet", "CreateInternetGateway")]
    assert created == [], run.writes
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert {g["GroupName"] for g in groups} >= {"optvpc-alb", "optvpc-app", "optvpc-db"}, groups
