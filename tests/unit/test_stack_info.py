"""stack_info and module_utils/stack_lookup.py on stubbed clients answering as AWS does: every part found, each part
missing (the message of the role that creates it), an existing VPC, subnets by CIDR, the exact calls each part
makes, the secret described and never read, the app URL rules, the image in ECR or in a registry."""

import datetime
import http.server
import socket
import threading

import alb_wanted
import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.module_utils import stack_lookup as lk
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for
from ansible_collections.django_ecs.fargate.plugins.modules import stack_info as mod
from fakes import run_module, serve_clients

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "djangoapp"
TAG = "0882bdcba9523668"
VPC = "vpc-405653b6d130c5672"
SUBNETS = {
    "10.0.0.0/24": "subnet-b2a1cd477d0f98778",
    "10.0.1.0/24": "subnet-adf6ca24c35f88120",
    "10.0.10.0/24": "subnet-6ab82ea41d6310dca",
    "10.0.11.0/24": "subnet-1febfee0602cf65b4",
}
GROUPS = {
    "djangoapp-alb": "sg-351e7c86e18acd3f0",
    "djangoapp-app": "sg-42fd8aaeb3c6be6d4",
    "djangoapp-db": "sg-63bf4f2665309f509",
}
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:djangoapp/app-mWEfwN"
HOST = "djangoapp-db.c9akciq32.us-east-1.rds.amazonaws.com"
ECR_HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
REPO_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/djangoapp"
LB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/djangoapp-alb/5fad5d9b409da9b1"
TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/djangoapp-web/ee7e725ae3c809c0"
DNS = "djangoapp-alb-1234567890.us-east-1.elb.amazonaws.com"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/djangoapp"
SERVICES = ("ec2", "secretsmanager", "rds", "ecr", "elbv2", "ecs")
CONNECTION = {"region": REGION, "access_key": "testing", "secret_key": "testing"}

# The calls each part makes, in order (ECR mode; the stack's own VPC).
CALLS = {
    "network": ["ec2:describe_vpcs", "ec2:describe_subnets", "ec2:describe_security_groups"],
    "database": ["secretsmanager:describe_secret", "rds:describe_db_instances"],
    "image": ["ecr:describe_repositories", "ecr:describe_images"],
    "load_balancer": ["elbv2:describe_load_balancers", "elbv2:describe_target_groups"],
    "task_definitions": ["ecs:describe_task_definition", "ecs:describe_task_definition"],
    "cluster": ["ecs:describe_clusters"],
    "service": ["ecs:describe_services"],
}

EXPECTED = {
    "network": {
        "vpc_id": VPC,
        "public_subnet_ids": [SUBNETS["10.0.0.0/24"], SUBNETS["10.0.1.0/24"]],
        "private_subnet_ids": [SUBNETS["10.0.10.0/24"], SUBNETS["10.0.11.0/24"]],
        "alb_security_group_id": GROUPS["djangoapp-alb"],
        "app_security_group_id": GROUPS["djangoapp-app"],
        "db_security_group_id": GROUPS["djangoapp-db"],
    },
    "database": {"secret_arn": SECRET_ARN, "instance_id": "djangoapp-db", "host": HOST, "port": 5432, "name": "app"},
    "image": {
        "image": f"{ECR_HOST}/djangoapp:{TAG}",
        "image_tag": TAG,
        "repository_arn": REPO_ARN,
        "registry": ECR_HOST,
    },
    "load_balancer": {
        "arn": LB_ARN,
        "dns_name": DNS,
        "target_group_arn": TG_ARN,
        "app_url": f"http://{DNS}",
        "domain_names": [],
    },
    "task_definitions": {"web": "djangoapp-web:7", "migrate": "djangoapp-migrate:5", "log_group": "/ecs/djangoapp"},
    "cluster": {
        "name": "djangoapp",
        "tags": {
            "fargate:stack": "djangoapp",
            "fargate:migrated": "djangoapp-migrate:5",
            "fargate:worker:celery": "deployed",
            "fargate:worker:beat": "deployed",
        },
        "migrated_task_definition": "djangoapp-migrate:5",
        "workers": ["beat", "celery"],
    },
    "service": {
        "cluster_name": "djangoapp",
        "name": "djangoapp-web",
        "status": "djangoapp-web ACTIVE, djangoapp-web:7, running 1/2",
        "task_definition": "djangoapp-web:7",
        "desired_count": 2,
        "running_count": 1,
    },
}


def error(stub, method, code, message, params=None, status=400):
    stub.add_client_error(method, code, message, http_status_code=status, expected_params=params)


class Aws:
    """One stubbed client per service; the answers below are shaped as AWS sends them (botocore validates the
    parameters and the answer against the service model)."""

    def __init__(self):
        self.clients = {
            s: boto3.client(s, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t") for s in SERVICES
        }
        self.stubs = {s: Stubber(c) for s, c in self.clients.items()}
        self.asked = []  # the services a client was made for

    def client_for(self, service):
        """The clients as the module makes them (retrying: the calls carry aws_retry=True)."""
        self.asked.append(service)
        return RetryingBotoClientWrapper(self.clients[service], retry_for(service))

    def __getattr__(self, service):
        return self.stubs[service]

    # --- network ---
    def vpcs(self, vpcs=(VPC,), vpc_id=None):
        params = (
            {"VpcIds": [vpc_id]}
            if vpc_id
            else {
                "Filters": [
                    {"Name": "tag:Name", "Values": [STACK]},
                    {"Name": "tag:fargate:stack", "Values": [STACK]},
                ]
            }
        )
        answer = [
            {
                "VpcId": v,
                "CidrBlock": "10.0.0.0/16",
                "State": "available",
                "OwnerId": ACCOUNT,
                "InstanceTenancy": "default",
                "IsDefault": False,
                "DhcpOptionsId": "dopt-7a8b9c2d",
                "Tags": [{"Key": "Name", "Value": STACK}, {"Key": "fargate:stack", "Value": STACK}],
            }
            for v in vpcs
        ]
        self.ec2.add_response("describe_vpcs", {"Vpcs": answer}, params)

    def subnets(self, subnets=None):
        subnets = SUBNETS if subnets is None else subnets
        answer = [
            {
                "SubnetId": sid,
                "CidrBlock": cidr,
                "VpcId": VPC,
                "State": "available",
                "AvailabilityZone": "us-east-1a",
                "AvailableIpAddressCount": 251,
                "MapPublicIpOnLaunch": cidr.startswith("10.0.0.") or cidr.startswith("10.0.1."),
                "OwnerId": ACCOUNT,
                "SubnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
            }
            for cidr, sid in subnets.items()
        ]
        self.ec2.add_response(
            "describe_subnets", {"Subnets": answer}, {"Filters": [{"Name": "vpc-id", "Values": [VPC]}]}
        )

    def groups(self, groups=None, names=tuple(GROUPS)):
        groups = GROUPS if groups is None else groups
        answer = [
            {
                "GroupName": name,
                "GroupId": gid,
                "VpcId": VPC,
                "OwnerId": ACCOUNT,
                "Description": name,
                "IpPermissions": [],
                "IpPermissionsEgress": [],
            }
            for name, gid in groups.items()
        ]
        params = {"Filters": [{"Name": "vpc-id", "Values": [VPC]}, {"Name": "group-name", "Values": list(names)}]}
        self.ec2.add_response("describe_security_groups", {"SecurityGroups": answer}, params)

    def network(self):
        self.vpcs()
        self.subnets()
        self.groups()

    # --- database ---
    def secret(self, deleted=False):
        answer = {
            "ARN": SECRET_ARN,
            "Name": "djangoapp/app",
            "VersionIdsToStages": {"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111": ["AWSCURRENT"]},
        }
        if deleted:
            answer["DeletedDate"] = "2026-12-01T10:00:00Z"
        self.secretsmanager.add_response("describe_secret", answer, {"SecretId": "djangoapp/app"})

    def instance(self, endpoint=True, status="available"):
        instance = {
            "DBInstanceIdentifier": "djangoapp-db",
            "DBInstanceStatus": status,
            "Engine": "postgres",
            "DBName": "app",
            "DBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:djangoapp-db",
        }
        if endpoint:
            instance["Endpoint"] = {"Address": HOST, "Port": 5432, "HostedZoneId": "Z2R2ITUGPM61AM"}
        self.rds.add_response(
            "describe_db_instances", {"DBInstances": [instance]}, {"DBInstanceIdentifier": "djangoapp-db"}
        )

    def database(self):
        self.secret()
        self.instance()

    # --- image ---
    def repository(self):
        repo = {
            "repositoryArn": REPO_ARN,
            "registryId": ACCOUNT,
            "repositoryName": "djangoapp",
            "repositoryUri": f"{ECR_HOST}/djangoapp",
            "imageTagMutability": "IMMUTABLE",
        }
        self.ecr.add_response("describe_repositories", {"repositories": [repo]}, {"repositoryNames": ["djangoapp"]})

    def tag(self):
        detail = {"registryId": ACCOUNT, "repositoryName": "djangoapp", "imageDigest": "sha256:" + "a" * 64}
        detail["imageTags"] = [TAG]
        self.ecr.add_response(
            "describe_images",
            {"imageDetails": [detail]},
            {"repositoryName": "djangoapp", "imageIds": [{"imageTag": TAG}]},
        )

    def image(self):
        self.repository()
        self.tag()

    # --- load balancer ---
    def lb(self):
        lb = {
            "LoadBalancerArn": LB_ARN,
            "DNSName": DNS,
            "LoadBalancerName": "djangoapp-alb",
            "Scheme": "internet-facing",
            "VpcId": VPC,
            "State": {"Code": "active"},
            "Type": "application",
        }
        self.elbv2.add_response("describe_load_balancers", {"LoadBalancers": [lb]}, {"Names": ["djangoapp-alb"]})

    def tg(self):
        tg = {"TargetGroupArn": TG_ARN, "TargetGroupName": "djangoapp-web", "Protocol": "HTTP", "Port": 8000}
        self.elbv2.add_response("describe_target_groups", {"TargetGroups": [tg]}, {"Names": ["djangoapp-web"]})

    def load_balancer(self):
        self.lb()
        self.tg()

    # --- ECS ---
    def taskdef(self, family, revision):
        answer = {
            "taskDefinition": {
                "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}",
                "family": family,
                "revision": revision,
                "status": "ACTIVE",
                "containerDefinitions": [{"name": "web", "image": f"{ECR_HOST}/djangoapp:{TAG}"}],
            }
        }
        self.ecs.add_response("describe_task_definition", answer, {"taskDefinition": family})

    def taskdef_missing(self, family):
        error(self.ecs, "describe_task_definition", "ClientException", "Unable to describe task definition.",
              {"taskDefinition": family})  # fmt: skip

    def task_definitions(self):
        self.taskdef("djangoapp-web", 7)
        self.taskdef("djangoapp-migrate", 5)

    def cluster(self, status="ACTIVE", missing=False):
        tags = EXPECTED["cluster"]["tags"]
        found = [
            {
                "clusterArn": CLUSTER_ARN,
                "clusterName": "djangoapp",
                "status": status,
                "tags": [{"key": k, "value": v} for k, v in tags.items()],
            }
        ]
        answer = (
            {"clusters": [], "failures": [{"arn": CLUSTER_ARN, "reason": "MISSING"}]}
            if missing
            else {"clusters": found, "failures": []}
        )
        self.ecs.add_response("describe_clusters", answer, {"clusters": ["djangoapp"], "include": ["TAGS"]})

    def service(self, status="ACTIVE"):
        svc = {
            "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/djangoapp/djangoapp-web",
            "serviceName": "djangoapp-web",
            "clusterArn": CLUSTER_ARN,
            "status": status,
            "desiredCount": 2,
            "runningCount": 1,
            "pendingCount": 1,
            "taskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/djangoapp-web:7",
        }
        self.ecs.add_response(
            "describe_services",
            {"services": [svc], "failures": []},
            {"cluster": "djangoapp", "services": ["djangoapp-web"]},
        )

    def part(self, name):
        getattr(self, name)()


@pytest.fixture
def aws(monkeypatch):
    a = Aws()
    serve_clients(monkeypatch, a.clients)
    for stub in a.stubs.values():
        stub.activate()
    yield a
    for stub in a.stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def run(capsys, check_mode=False, **args):
    names = {"image_tag": TAG, **args.pop("names", {})}
    return run_module(mod.main, {**CONNECTION, "stack_name": STACK, "names": names, **args}, capsys, check_mode)


def lookup(aws, **names):
    return lk.StackLookup(lk.stack_names(STACK, {"image_tag": TAG, **names}), aws.client_for)


# --- every part --------------------------------------------------------------------------------------------------
def test_every_part_found_in_check_mode_with_one_call_per_resource(aws, capsys):
    for part in lk.PARTS:
        aws.part(part)
    failed, result = run(capsys, check_mode=True)
    assert not failed, result
    assert result["stack"] == EXPECTED
    assert result["missing"] == [] and result["changed"] is False
    assert result["api_calls"] == sum(len(c) for c in CALLS.values()) == 13


@pytest.mark.parametrize("part", lk.PARTS)
def test_only_the_requested_part_is_described_with_exactly_its_calls(aws, part):
    aws.part(part)
    found = lookup(aws)
    stack, missing = found.describe({part})
    assert stack == {part: EXPECTED[part]} and missing == []
    assert found.calls == CALLS[part]
    assert set(aws.asked) == {c.split(":")[0] for c in CALLS[part]}  # no client made for another service


def test_two_parts_through_the_module(aws, capsys):
    aws.part("load_balancer")
    aws.part("cluster")
    failed, result = run(capsys, parts=["cluster", "load_balancer"], names={"image_tag": None})
    assert not failed, result
    assert set(result["stack"]) == {"load_balancer", "cluster"} and result["api_calls"] == 3


# --- missing parts -----------------------------------------------------------------------------------------------
def hint(role):
    return f"run `ansible-playbook site.yml --tags {role}` first."


def missing_vpc(aws):
    aws.vpcs(vpcs=())


def missing_subnet(aws):
    aws.vpcs()
    aws.subnets({k: v for k, v in SUBNETS.items() if k != "10.0.1.0/24"})
    aws.groups()


def missing_secret(aws):
    error(aws.secretsmanager, "describe_secret", "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret.", {"SecretId": "djangoapp/app"})  # fmt: skip


def deleted_secret(aws):
    aws.secret(deleted=True)


def missing_instance(aws):
    aws.secret()
    error(aws.rds, "describe_db_instances", "DBInstanceNotFound", "DBInstance djangoapp-db not found.",
          {"DBInstanceIdentifier": "djangoapp-db"}, status=404)  # fmt: skip


def creating_instance(aws):
    aws.secret()
    aws.instance(endpoint=False, status="creating")


def missing_repository(aws):
    error(aws.ecr, "describe_repositories", "RepositoryNotFoundException",
          "The repository with name 'djangoapp' does not exist", {"repositoryNames": ["djangoapp"]})  # fmt: skip


def missing_tag(aws):
    aws.repository()
    error(aws.ecr, "describe_images", "ImageNotFoundException", "The image requested does not exist",
          {"repositoryName": "djangoapp", "imageIds": [{"imageTag": TAG}]})  # fmt: skip


def missing_lb(aws):
    error(aws.elbv2, "describe_load_balancers", "LoadBalancerNotFound", "The specified load balancer does not exist.",
          {"Names": ["djangoapp-alb"]})  # fmt: skip


def missing_tg(aws):
    aws.lb()
    error(aws.elbv2, "describe_target_groups", "TargetGroupNotFound", "One or more target groups not found",
          {"Names": ["djangoapp-web"]})  # fmt: skip


def missing_migrate(aws):
    aws.taskdef("djangoapp-web", 7)
    aws.taskdef_missing("djangoapp-migrate")


def missing_cluster(aws):
    aws.cluster(missing=True)


def inactive_cluster(aws):
    aws.cluster(status="INACTIVE")


def missing_service_cluster(aws):
    error(aws.ecs, "describe_services", "ClusterNotFoundException", "Cluster not found.",
          {"cluster": "djangoapp", "services": ["djangoapp-web"]})  # fmt: skip


def draining_service(aws):
    aws.service(status="DRAINING")


MISSING = [
    (missing_vpc, "network", f"network: no VPC tagged Name=djangoapp found (found 0): {hint('network')}"),
    (
        missing_subnet,
        "network",
        "network: the stack's subnets or security groups are missing (public ['subnet-b2a1cd477d0f98778', ''],"
        " private ['subnet-6ab82ea41d6310dca', 'subnet-1febfee0602cf65b4'], security groups [('djangoapp-alb',"
        " 'sg-351e7c86e18acd3f0'), ('djangoapp-app', 'sg-42fd8aaeb3c6be6d4'), ('djangoapp-db',"
        f" 'sg-63bf4f2665309f509')]): {hint('network')}",
    ),
    (missing_secret, "database", f"rds_secret: the secret djangoapp/app does not exist: {hint('rds_secret')}"),
    (
        deleted_secret,
        "database",
        f"rds_secret: the secret djangoapp/app is scheduled for deletion: {hint('rds_secret')}",
    ),
    (
        missing_instance,
        "database",
        "rds_secret: the database instance djangoapp-db does not exist or has no endpoint yet (status missing): "
        + hint("rds_secret"),
    ),
    (
        creating_instance,
        "database",
        "rds_secret: the database instance djangoapp-db does not exist or has no endpoint yet (status creating): "
        + hint("rds_secret"),
    ),
    (
        missing_repository,
        "image",
        f"ecr_image: the repository djangoapp or its image tag {TAG} (the current sources) is missing in ECR: "
        + hint("ecr_image"),
    ),
    (
        missing_tag,
        "image",
        f"ecr_image: the repository djangoapp or its image tag {TAG} (the current sources) is missing in {ECR_HOST}: "
        + hint("ecr_image"),
    ),
    (
        missing_lb,
        "load_balancer",
        f"alb: load balancer djangoapp-alb or target group djangoapp-web not found: {hint('alb')}",
    ),
    (
        missing_tg,
        "load_balancer",
        f"alb: load balancer djangoapp-alb or target group djangoapp-web not found: {hint('alb')}",
    ),
    (
        missing_migrate,
        "task_definitions",
        "ecs_taskdefs: task definitions djangoapp-web / djangoapp-migrate not found (ok; djangoapp-migrate: Unable to"
        f" describe task definition.): {hint('ecs_taskdefs')}",
    ),
    (missing_cluster, "cluster", f"ecs_service: cluster djangoapp not found: {hint('ecs_service')}"),
    (inactive_cluster, "cluster", f"ecs_service: cluster djangoapp not found: {hint('ecs_service')}"),
    (
        missing_service_cluster,
        "service",
        f"ecs_service: service djangoapp-web not found in cluster djangoapp: {hint('ecs_service')}",
    ),
    (
        draining_service,
        "service",
        f"ecs_service: service djangoapp-web not found in cluster djangoapp: {hint('ecs_service')}",
    ),
]


@pytest.mark.parametrize("answer, part, message", MISSING, ids=[m[0].__name__ for m in MISSING])
def test_a_missing_part_fails_with_the_owning_roles_message(aws, capsys, answer, part, message):
    answer(aws)
    failed, result = run(capsys, parts=[part])
    assert failed
    assert result["msg"] == message
    assert result["missing"] == [{"part": part, "message": message}]


@pytest.mark.parametrize("answer, part, message", MISSING[::3], ids=[m[0].__name__ for m in MISSING[::3]])
def test_with_require_false_a_missing_part_is_empty_and_listed(aws, capsys, answer, part, message):
    answer(aws)
    failed, result = run(capsys, parts=[part], require=False)
    assert not failed, result
    assert result["stack"] == {part: {}}
    assert result["missing"] == [{"part": part, "message": message}]


def test_a_missing_load_balancer_costs_no_target_group_call(aws):
    missing_lb(aws)
    found = lookup(aws)
    stack, missing = found.describe({"load_balancer"})
    assert found.calls == ["elbv2:describe_load_balancers"] and stack == {"load_balancer": {}}


def test_several_missing_parts_are_all_listed_and_the_others_returned(aws, capsys):
    missing_vpc(aws)
    aws.database()
    missing_lb(aws)
    failed, result = run(capsys, parts=["load_balancer", "database", "network"])
    assert failed
    assert [m["part"] for m in result["missing"]] == ["network", "load_balancer"]
    assert result["msg"] == " ".join(m["message"] for m in result["missing"])
    assert result["stack"]["database"] == EXPECTED["database"]


# --- network -----------------------------------------------------------------------------------------------------
def test_an_existing_vpc_takes_the_given_subnets_and_skips_describe_subnets(aws):
    aws.vpcs(vpcs=["vpc-0feedfacecafe0001"], vpc_id="vpc-0feedfacecafe0001")
    aws.ec2.add_response(
        "describe_security_groups",
        {
            "SecurityGroups": [
                {"GroupName": n, "GroupId": g, "VpcId": "vpc-0feedfacecafe0001"} for n, g in GROUPS.items()
            ]
        },
        {
            "Filters": [
                {"Name": "vpc-id", "Values": ["vpc-0feedfacecafe0001"]},
                {"Name": "group-name", "Values": list(GROUPS)},
            ]
        },
    )
    found = lookup(aws, vpc_id="vpc-0feedfacecafe0001", public_subnet_ids=["subnet-p1", "subnet-p2"],
                   private_subnet_ids=["subnet-q1", "subnet-q2"])  # fmt: skip
    stack, missing = found.describe({"network"})
    assert missing == []
    assert stack["network"]["public_subnet_ids"] == ["subnet-p1", "subnet-p2"]
    assert stack["network"]["private_subnet_ids"] == ["subnet-q1", "subnet-q2"]
    assert stack["network"]["vpc_id"] == "vpc-0feedfacecafe0001"
    assert found.calls == ["ec2:describe_vpcs", "ec2:describe_security_groups"]


def test_an_existing_vpc_that_does_not_exist(aws):
    error(aws.ec2, "describe_vpcs", "InvalidVpcID.NotFound", "The vpc ID 'vpc-0feedfacecafe0001' does not exist",
          {"VpcIds": ["vpc-0feedfacecafe0001"]})  # fmt: skip
    found = lookup(aws, vpc_id="vpc-0feedfacecafe0001", public_subnet_ids=["subnet-p1"], private_subnet_ids=["s-q1"])
    dummy, missing = found.describe({"network"})
    assert missing == [
        {"part": "network", "message": f"network: no VPC vpc-0feedfacecafe0001 found (found 0): {hint('network')}"}
    ]


def test_subnets_are_classified_by_cidr_whatever_the_order_and_other_subnets(aws):
    aws.vpcs()
    shuffled = {"10.0.11.0/24": "subnet-d", "10.0.200.0/24": "subnet-other", "10.0.1.0/24": "subnet-b"}
    shuffled |= {"10.0.10.0/24": "subnet-c", "10.0.0.0/24": "subnet-a"}
    aws.subnets(shuffled)
    aws.groups(names=["shop-public", "djangoapp-app", "djangoapp-db"],
               groups={"djangoapp-db": "sg-d", "shop-public": "sg-a", "djangoapp-app": "sg-b"})  # fmt: skip
    stack, dummy = lookup(aws, security_group_names={"alb": "shop-public"}).describe({"network"})
    net = stack["network"]
    assert net["public_subnet_ids"] == ["subnet-a", "subnet-b"]
    assert net["private_subnet_ids"] == ["subnet-c", "subnet-d"]
    assert [net[f"{k}_security_group_id"] for k in ("alb", "app", "db")] == ["sg-a", "sg-b", "sg-d"]


def test_the_filter_and_the_module_share_one_subnet_classification():
    from ansible_collections.django_ecs.fargate.plugins.filter import fargate_network

    filters = fargate_network.FilterModule().filters()
    assert filters["subnet_ids"] is lk.subnet_ids
    assert filters["security_group_ids"] is lk.security_group_ids


# --- database: the secret is described, never read --------------------------------------------------------------
def test_the_secret_value_is_never_requested(aws, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("GetSecretValue called")

    monkeypatch.setattr(aws.clients["secretsmanager"], "get_secret_value", refuse)
    aws.database()
    found = lookup(aws)
    stack, dummy = found.describe({"database"})
    assert found.calls == ["secretsmanager:describe_secret", "rds:describe_db_instances"]
    assert stack["database"]["secret_arn"] == SECRET_ARN
    assert "SecretString" not in repr(stack) and "password" not in repr(stack)


def test_the_database_name_defaults_when_the_instance_reports_none(aws):
    aws.secret()
    aws.rds.add_response(
        "describe_db_instances",
        {"DBInstances": [{"DBInstanceIdentifier": "djangoapp-db", "Endpoint": {"Address": HOST, "Port": 5432}}]},
        {"DBInstanceIdentifier": "djangoapp-db"},
    )
    stack, dummy = lookup(aws, db_name="shop").describe({"database"})
    assert stack["database"]["name"] == "shop" and stack["database"]["port"] == 5432


# --- image: ECR or a registry -----------------------------------------------------------------------------------
def test_image_in_a_loopback_registry_is_checked_with_a_head_over_http(aws):
    aws.repository()
    heads = []
    found = lk.StackLookup(
        lk.stack_names(STACK, {"image_tag": TAG, "registry": "127.0.0.1:5057"}),
        aws.client_for,
        registry_head=lambda url: heads.append(url) or 200,
    )
    stack, missing = found.describe({"image"})
    assert heads == [f"http://127.0.0.1:5057/v2/djangoapp/manifests/{TAG}"]
    assert found.calls == ["ecr:describe_repositories"]  # no DescribeImages
    assert stack["image"] == {
        "image": f"127.0.0.1:5057/djangoapp:{TAG}",
        "image_tag": TAG,
        "repository_arn": REPO_ARN,
        "registry": "127.0.0.1:5057",
    }


def test_image_missing_from_the_registry(aws, capsys, monkeypatch):
    aws.repository()
    monkeypatch.setattr(lk, "head_manifest", lambda url: 404)
    failed, result = run(capsys, parts=["image"], names={"registry": "127.0.0.1:5057"})
    assert failed
    assert result["msg"] == (
        f"ecr_image: the repository djangoapp or its image tag {TAG} (the current sources) is missing in"
        f" 127.0.0.1:5057: {hint('ecr_image')}"
    )


@pytest.mark.parametrize("answer", [500, lk.RegistryError("<urlopen error [Errno 111] Connection refused>")])
def test_a_registry_that_does_not_answer_fails_even_without_require(aws, capsys, monkeypatch, answer):
    aws.repository()

    def head(url):
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(lk, "head_manifest", head)
    failed, result = run(capsys, parts=["image"], require=False, names={"registry": "registry.example.com"})
    assert failed
    assert result["msg"].startswith(
        "ecr_image: the registry registry.example.com (ecr_image_registry) did not answer ("
    )
    assert ("HTTP 500" if answer == 500 else "Connection refused") in result["msg"]


@pytest.mark.parametrize(
    "registry, scheme, url",
    [
        ("127.0.0.1:5057", "", "http://127.0.0.1:5057/v2/app/manifests/t1"),
        ("localhost:5000", "", "http://localhost:5000/v2/app/manifests/t1"),
        ("localhost", "", "http://localhost/v2/app/manifests/t1"),
        ("[::1]:5000", "", "http://[::1]:5000/v2/app/manifests/t1"),
        ("localhost.example.com", "", "https://localhost.example.com/v2/app/manifests/t1"),
        ("registry.example.com", "", "https://registry.example.com/v2/app/manifests/t1"),
        ("10.0.0.5:5000", "http", "http://10.0.0.5:5000/v2/app/manifests/t1"),
    ],
)
def test_manifest_url_scheme(registry, scheme, url):
    assert lk.manifest_url(registry, "app", "t1", scheme) == url


class _Registry(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802 - http.server's name
        ok = self.path == "/v2/app/manifests/t1" and "manifest.v2+json" in self.headers.get("Accept", "")
        self.send_response(200 if ok else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_head_manifest_on_a_real_http_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/v2/app/manifests"
        assert lk.head_manifest(f"{base}/t1") == 200
        assert lk.head_manifest(f"{base}/t2") == 404
    finally:
        server.shutdown()
        server.server_close()
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(lk.RegistryError):
        lk.head_manifest(f"http://127.0.0.1:{port}/v2/app/manifests/t1", timeout=5)


# --- load balancer: the app URL ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "configured, domains, https, url",
    [
        ("", [], False, f"http://{DNS}"),
        ("", [], True, f"https://{DNS}"),
        ("", ["shop.example.com", "www.shop.example.com"], True, "https://shop.example.com"),
        ("", ["shop.example.com"], False, f"http://{DNS}"),
        ("http://djangoapp-alb.localhost:20550", ["shop.example.com"], True, "http://djangoapp-alb.localhost:20550"),
    ],
)
def test_app_url_rules(configured, domains, https, url):
    assert lk.app_url(configured, domains, https, DNS) == url


def test_the_load_balancer_part_carries_the_app_url_and_domain_names(aws):
    aws.load_balancer()
    stack, dummy = lookup(aws, domain_names=["shop.example.com"], https=True).describe({"load_balancer"})
    assert stack["load_balancer"]["app_url"] == "https://shop.example.com"
    assert stack["load_balancer"]["domain_names"] == ["shop.example.com"]


# --- options, errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        ({"names": {"image_tag": None}}, "names.image_tag is required for the image part"),
        (
            {"parts": ["network"], "names": {"vpc_id": "vpc-1", "public_subnet_ids": ["subnet-1"]}},
            "names.private_subnet_ids is required with names.vpc_id",
        ),
        ({"names": {"alb_nmae": "x"}}, "alb_nmae"),
        ({"names": {"security_group_names": {"web": "x"}}}, "web"),
        ({"parts": ["alb"]}, "parts"),
    ],
)
def test_bad_options_fail_before_any_call(aws, capsys, args, message):
    failed, result = run(capsys, **args)
    assert failed and message in result["msg"], result
    assert aws.asked == []


def test_an_aws_error_fails_naming_what_was_read(aws, capsys):
    error(aws.ecs, "describe_clusters", "AccessDeniedException", "not authorized to perform ecs:DescribeClusters",
          {"clusters": ["djangoapp"], "include": ["TAGS"]})  # fmt: skip
    failed, result = run(capsys, parts=["cluster"])
    assert failed
    assert result["msg"].startswith("Failed while describing cluster djangoapp")
    assert result["error"]["code"] == "AccessDeniedException"


@pytest.mark.parametrize(
    ("part", "service", "method", "code", "step"),
    [
        ("load_balancer", "elbv2", "describe_load_balancers", "AccessDenied", "describing load balancer djangoapp-alb"),
        ("database", "secretsmanager", "describe_secret", "AccessDeniedException", "describing secret djangoapp/app"),
        ("image", "ecr", "describe_repositories", "AccessDeniedException", "describing ECR repository djangoapp"),
        ("service", "ecs", "describe_services", "AccessDeniedException", "describing service djangoapp-web"),
    ],
)
def test_only_the_not_found_error_means_missing_any_other_fails(aws, capsys, part, service, method, code, step):
    error(getattr(aws, service), method, code, "User is not authorized to perform this action")
    failed, result = run(capsys, parts=[part], require=False)
    assert failed and result["msg"].startswith(f"Failed while {step}"), result
    assert result["error"]["code"] == code


def test_only_one_answer_counts_as_found():
    assert lk.only([]) is None
    assert lk.only(["arn:1"]) == "arn:1"
    assert lk.only(["arn:1", "arn:2"]) is None  # ambiguous: not taken as the stack's


def test_the_names_follow_the_roles_defaults():
    n = lk.stack_names("shop", {"alb_name": "front", "security_group_names": {"db": "shop-postgres"}})
    assert n["alb_name"] == "front" and n["target_group_name"] == "shop-web"
    assert n["security_group_names"] == {"alb": "shop-alb", "app": "shop-app", "db": "shop-postgres"}
    assert (n["secret_name"], n["db_instance_id"], n["repository_name"]) == ("shop/app", "shop-db", "shop")
    assert (n["web_family"], n["migrate_family"], n["log_group"]) == ("shop-web", "shop-migrate", "/ecs/shop")
    assert (n["cluster_name"], n["service_name"], n["vpc_name"]) == ("shop", "shop-web", "shop")


# --- load_balancer_detail: the alb role's read -------------------------------------------------------------------
LB_TAGS = [{"Key": "fargate:stack", "Value": STACK}, {"Key": "cost-centre", "Value": "42"}]
LISTENER_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/djangoapp-alb/5fad5d9b409da9b1/8f0e1d2c"
DETAIL_CALLS = [
    "elbv2:describe_load_balancers",
    "elbv2:describe_target_groups",
    "elbv2:describe_tags",
    "elbv2:describe_target_group_attributes",
    "elbv2:describe_listeners",
]


def lb_answer():
    """A DescribeLoadBalancers entry as AWS sends it (CreatedTime a timestamp)."""
    return {
        "LoadBalancerArn": LB_ARN,
        "DNSName": DNS,
        "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
        "CreatedTime": datetime.datetime(2026, 12, 1, 10, 0, 0, tzinfo=datetime.UTC),
        "LoadBalancerName": "djangoapp-alb",
        "Scheme": "internet-facing",
        "VpcId": VPC,
        "State": {"Code": "active"},
        "Type": "application",
        "AvailabilityZones": [
            {"ZoneName": "us-east-1a", "SubnetId": SUBNETS["10.0.0.0/24"], "LoadBalancerAddresses": []},
            {"ZoneName": "us-east-1b", "SubnetId": SUBNETS["10.0.1.0/24"], "LoadBalancerAddresses": []},
        ],
        "SecurityGroups": [GROUPS["djangoapp-alb"]],
        "IpAddressType": "ipv4",
    }


def tg_answer():
    return {
        "TargetGroupArn": TG_ARN,
        "TargetGroupName": "djangoapp-web",
        "Protocol": "HTTP",
        "Port": 8000,
        "VpcId": VPC,
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPort": "traffic-port",
        "HealthCheckEnabled": True,
        "HealthCheckIntervalSeconds": 10,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3,
        "HealthCheckPath": "/health/",
        "Matcher": {"HttpCode": "200"},
        "LoadBalancerArns": [LB_ARN],
        "TargetType": "ip",
        "ProtocolVersion": "HTTP1",
        "IpAddressType": "ipv4",
    }


TG_ATTRIBUTES = [
    {"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
    {"Key": "stickiness.enabled", "Value": "false"},
    {"Key": "stickiness.type", "Value": "lb_cookie"},
    {"Key": "load_balancing.algorithm.type", "Value": "round_robin"},
]


def listener_answer(marker=None):
    listener = {
        "ListenerArn": LISTENER_ARN,
        "LoadBalancerArn": LB_ARN,
        "Port": 80,
        "Protocol": "HTTP",
        # Two actions out of order: the stock module sorts them by Order, then Type.
        "DefaultActions": [
            {"Type": "forward", "TargetGroupArn": TG_ARN, "Order": 2},
            {
                "Type": "authenticate-oidc",
                "Order": 1,
                "AuthenticateOidcConfig": {
                    "Issuer": "https://idp.example.com",
                    "AuthorizationEndpoint": "https://idp.example.com/a",
                    "TokenEndpoint": "https://idp.example.com/t",
                    "UserInfoEndpoint": "https://idp.example.com/u",
                    "ClientId": "c",
                },
            },
        ],
    }
    answer = {"Listeners": [listener]}
    if marker:
        answer["NextMarker"] = marker
    return answer


def detail_answers(aws, lb=True, tg=True, listener_pages=1):
    if lb:
        aws.elbv2.add_response(
            "describe_load_balancers", {"LoadBalancers": [lb_answer()]}, {"Names": ["djangoapp-alb"]}
        )
    else:
        missing_lb(aws)
    if tg:
        aws.elbv2.add_response("describe_target_groups", {"TargetGroups": [tg_answer()]}, {"Names": ["djangoapp-web"]})
    else:
        error(
            aws.elbv2,
            "describe_target_groups",
            "TargetGroupNotFound",
            "One or more target groups not found",
            {"Names": ["djangoapp-web"]},
        )
    arns = ([LB_ARN] if lb else []) + ([TG_ARN] if tg else [])
    if arns:
        aws.elbv2.add_response(
            "describe_tags",
            {"TagDescriptions": [{"ResourceArn": arn, "Tags": LB_TAGS} for arn in arns]},
            {"ResourceArns": arns},
        )
    if tg:
        aws.elbv2.add_response(
            "describe_target_group_attributes", {"Attributes": TG_ATTRIBUTES}, {"TargetGroupArn": TG_ARN}
        )
    if lb:
        for page in range(listener_pages):
            last = page == listener_pages - 1
            params = {"LoadBalancerArn": LB_ARN} | ({"Marker": f"m{page}"} if page else {})
            aws.elbv2.add_response("describe_listeners", listener_answer(None if last else f"m{page + 1}"), params)


def test_load_balancer_detail_reads_both_in_five_calls_one_describe_tags(aws):
    detail_answers(aws)
    found = lookup(aws)
    stack, missing = found.describe({"load_balancer_detail"})
    assert missing == []
    assert found.calls == DETAIL_CALLS
    assert set(stack["load_balancer_detail"]) == {"load_balancer", "target_group"}


def test_the_target_group_has_the_shape_of_elb_target_group_info(aws):
    detail_answers(aws)
    stack, dummy = lookup(aws).describe({"load_balancer_detail"})
    # community.aws.elb_target_group_info: the attributes merged in ('.' -> '_'), camel_dict_to_snake_dict, tags.
    assert stack["load_balancer_detail"]["target_group"] == {
        "target_group_arn": TG_ARN,
        "target_group_name": "djangoapp-web",
        "protocol": "HTTP",
        "port": 8000,
        "vpc_id": VPC,
        "health_check_protocol": "HTTP",
        "health_check_port": "traffic-port",
        "health_check_enabled": True,
        "health_check_interval_seconds": 10,
        "health_check_timeout_seconds": 5,
        "healthy_threshold_count": 2,
        "unhealthy_threshold_count": 3,
        "health_check_path": "/health/",
        "matcher": {"http_code": "200"},
        "load_balancer_arns": [LB_ARN],
        "target_type": "ip",
        "protocol_version": "HTTP1",
        "ip_address_type": "ipv4",
        "deregistration_delay_timeout_seconds": "30",
        "stickiness_enabled": "false",
        "stickiness_type": "lb_cookie",
        "load_balancing_algorithm_type": "round_robin",
        "tags": {"fargate:stack": STACK, "cost-centre": "42"},
    }


def test_the_load_balancer_has_the_shape_of_elb_application_lb_info(aws):
    from ansible_collections.amazon.aws.plugins.module_utils.elbv2 import normalize_application_load_balancer

    detail_answers(aws)
    stack, dummy = lookup(aws).describe({"load_balancer_detail"})
    lb = stack["load_balancer_detail"]["load_balancer"]
    # What amazon.aws.elb_application_lb_info builds from the same answers (include_listeners, no attributes, no
    # rules), plus the tags it adds from DescribeTags.
    stock = normalize_application_load_balancer({**lb_answer(), "Listeners": listener_answer()["Listeners"]})
    stock["tags"] = {"fargate:stack": STACK, "cost-centre": "42"}
    assert lb == stock
    assert lb["created_time"] == "2026-12-01T10:00:00+00:00"
    assert [a["type"] for a in lb["listeners"][0]["default_actions"]] == ["authenticate-oidc", "forward"]
    assert lb["availability_zones"][1]["subnet_id"] == SUBNETS["10.0.1.0/24"]


def test_the_alb_drift_filters_find_nothing_on_the_detail_of_a_stack_in_sync(aws):
    from ansible_collections.django_ecs.fargate.plugins.filter.fargate_alb import (
        load_balancer_drift,
        target_group_drift,
    )

    detail_answers(aws)
    stack, dummy = lookup(aws).describe({"load_balancer_detail"})
    detail = stack["load_balancer_detail"]
    tags = {"fargate:stack": STACK, "cost-centre": 42}
    tg_wanted = alb_wanted.tg_wanted(VPC, tags, port="8000")
    assert target_group_drift(detail["target_group"], tg_wanted) == []
    assert target_group_drift(detail["target_group"], tg_wanted | {"deregistration_delay_timeout_seconds": 60}) == [
        "deregistration_delay_timeout_seconds"
    ]
    lb_wanted = alb_wanted.lb_wanted(
        [GROUPS["djangoapp-alb"]],
        [SUBNETS["10.0.1.0/24"], SUBNETS["10.0.0.0/24"]],
        tags,
        [{"Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG_ARN}]}],
    )
    # The stack's listener has two actions (an authentication in front): the role's single forward differs.
    assert load_balancer_drift(detail["load_balancer"], lb_wanted) == ["listeners"]
    detail["load_balancer"]["listeners"][0]["default_actions"].pop(0)
    assert load_balancer_drift(detail["load_balancer"], lb_wanted) == []
    assert load_balancer_drift(detail["load_balancer"], lb_wanted | {"tags": {"fargate:stack": STACK}}) == ["tags"]


@pytest.mark.parametrize(
    "lb, tg, calls",
    [
        (False, True, DETAIL_CALLS[:4]),
        (True, False, DETAIL_CALLS[:3] + DETAIL_CALLS[4:]),
        (False, False, DETAIL_CALLS[:2]),
    ],
    ids=["no load balancer", "no target group", "neither"],
)
def test_load_balancer_detail_returns_what_exists_and_lists_the_part_missing(aws, capsys, lb, tg, calls):
    detail_answers(aws, lb=lb, tg=tg)
    failed, result = run(capsys, parts=["load_balancer_detail"], require=False, names={"image_tag": None})
    assert not failed, result
    detail = result["stack"]["load_balancer_detail"]
    assert bool(detail["load_balancer"]) is lb and bool(detail["target_group"]) is tg
    assert result["api_calls"] == len(calls)
    message = f"alb: load balancer djangoapp-alb or target group djangoapp-web not found: {hint('alb')}"
    assert result["missing"] == [{"part": "load_balancer_detail", "message": message}]
    if tg:
        assert detail["target_group"]["tags"] == {"fargate:stack": STACK, "cost-centre": "42"}


def test_load_balancer_detail_follows_the_listener_pages(aws):
    detail_answers(aws, listener_pages=2)
    found = lookup(aws)
    stack, dummy = found.describe({"load_balancer_detail"})
    assert found.calls == DETAIL_CALLS + ["elbv2:describe_listeners"]
    assert len(stack["load_balancer_detail"]["load_balancer"]["listeners"]) == 2


def test_detail_parts_are_not_in_the_default():
    assert "load_balancer_detail" not in mod.ARGUMENT_SPEC["parts"]["default"]
    assert "load_balancer_detail" in mod.ARGUMENT_SPEC["parts"]["choices"]


# --- network_detail: the network role's read ---------------------------------------------------------------------
IGW = "igw-0c9e4b1f7a2d3e5f6"
NAT = "nat-0a1b2c3d4e5f60718"
NET_CALLS = [
    "ec2:describe_vpcs",
    "ec2:describe_subnets",
    "ec2:describe_internet_gateways",
    "ec2:describe_route_tables",
    "ec2:describe_security_groups",
]
IN_VPC = [{"Name": "vpc-id", "Values": [VPC]}]
NAME_OF = {
    "10.0.0.0/24": "public-a",
    "10.0.1.0/24": "public-b",
    "10.0.10.0/24": "private-a",
    "10.0.11.0/24": "private-b",
}


def stack_tags(name):
    return [{"Key": "fargate:stack", "Value": STACK}, {"Key": "Name", "Value": name}]


def subnet_answer(cidr, sid):
    return {
        "SubnetId": sid,
        "CidrBlock": cidr,
        "VpcId": VPC,
        "State": "available",
        "AvailabilityZone": "us-east-1a" if cidr in ("10.0.0.0/24", "10.0.10.0/24") else "us-east-1b",
        "AvailabilityZoneId": "use1-az1",
        "AvailableIpAddressCount": 251,
        "DefaultForAz": False,
        "MapPublicIpOnLaunch": cidr in ("10.0.0.0/24", "10.0.1.0/24"),
        "OwnerId": ACCOUNT,
        "SubnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{sid}",
        "Tags": stack_tags(f"{STACK}-{NAME_OF[cidr]}"),
    }


def igw_answer():
    return {
        "InternetGatewayId": IGW,
        "OwnerId": ACCOUNT,
        "Attachments": [{"State": "available", "VpcId": VPC}],
        "Tags": stack_tags(STACK),
    }


def route_table_answer(name, subnets, routes):
    return {
        "RouteTableId": f"rtb-{name}",
        "VpcId": VPC,
        "OwnerId": ACCOUNT,
        "PropagatingVgws": [],
        "Associations": [
            {
                "RouteTableAssociationId": f"rtbassoc-{sid[-6:]}",
                "RouteTableId": f"rtb-{name}",
                "SubnetId": sid,
                "Main": False,
                "AssociationState": {"State": "associated"},
            }
            for sid in subnets
        ],
        "Routes": [
            {
                "DestinationCidrBlock": "10.0.0.0/16",
                "GatewayId": "local",
                "Origin": "CreateRouteTable",
                "State": "active",
            }
        ]
        + routes,
        "Tags": stack_tags(f"{STACK}-{name}"),
    }


def route_tables_answer(nat=False):
    private = [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": NAT, "Origin": "CreateRoute", "State": "active"}]
    return [
        route_table_answer(
            "public",
            [SUBNETS["10.0.0.0/24"], SUBNETS["10.0.1.0/24"]],
            [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": IGW, "Origin": "CreateRoute", "State": "active"}],
        ),
        route_table_answer("private", [SUBNETS["10.0.10.0/24"], SUBNETS["10.0.11.0/24"]], private if nat else []),
        # The VPC's main route table: no tags of the stack, no subnet.
        {
            "RouteTableId": "rtb-main",
            "VpcId": VPC,
            "Associations": [{"RouteTableAssociationId": "rtbassoc-main", "RouteTableId": "rtb-main", "Main": True}],
            "Routes": [
                {
                    "DestinationCidrBlock": "10.0.0.0/16",
                    "GatewayId": "local",
                    "Origin": "CreateRouteTable",
                    "State": "active",
                }
            ],
            "Tags": [],
        },
    ]


def group_answer(name, gid, ingress, egress):
    return {
        "GroupName": name,
        "GroupId": gid,
        "VpcId": VPC,
        "OwnerId": ACCOUNT,
        "Description": name,
        "IpPermissions": ingress,
        "IpPermissionsEgress": egress,
        "Tags": stack_tags(name),
    }


ALL_OUT = [
    {
        "IpProtocol": "-1",
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "Ipv6Ranges": [],
        "PrefixListIds": [],
        "UserIdGroupPairs": [],
    }
]


def from_group(port, gid, description):
    return [
        {
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "IpRanges": [],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "UserIdGroupPairs": [{"GroupId": gid, "UserId": ACCOUNT, "Description": description}],
        }
    ]


def groups_answer():
    return [
        group_answer(
            "djangoapp-alb",
            GROUPS["djangoapp-alb"],
            [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 80,
                    "ToPort": 80,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "HTTP from anywhere"}],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                    "UserIdGroupPairs": [],
                }
            ],
            ALL_OUT,
        ),
        group_answer(
            "djangoapp-app",
            GROUPS["djangoapp-app"],
            from_group(8000, GROUPS["djangoapp-alb"], "App port from the load balancer"),
            ALL_OUT,
        ),
        group_answer(
            "djangoapp-db",
            GROUPS["djangoapp-db"],
            from_group(5432, GROUPS["djangoapp-app"], "PostgreSQL from the app"),
            [],
        ),
    ]


def nat_answer(state="available"):
    return {
        "NatGatewayId": NAT,
        "SubnetId": SUBNETS["10.0.0.0/24"],
        "VpcId": VPC,
        "State": state,
        "ConnectivityType": "public",
        "CreateTime": datetime.datetime(2026, 12, 1, 10, 0, 0, tzinfo=datetime.UTC),
        "NatGatewayAddresses": [{"AllocationId": "eipalloc-0a1b2c3d", "PublicIp": "198.51.100.7"}],
        "Tags": stack_tags(f"{STACK}-nat"),
    }


def network_answers(aws, vpcs=(VPC,), nat=False, subnets=None, groups=None):
    aws.vpcs(vpcs=vpcs)
    if len(vpcs) != 1:
        return
    subnets = SUBNETS if subnets is None else subnets
    aws.ec2.add_response(
        "describe_subnets", {"Subnets": [subnet_answer(c, s) for c, s in subnets.items()]}, {"Filters": IN_VPC}
    )
    aws.ec2.add_response(
        "describe_internet_gateways",
        {"InternetGateways": [igw_answer()]},
        {"Filters": [{"Name": "attachment.vpc-id", "Values": [VPC]}]},
    )
    aws.ec2.add_response("describe_route_tables", {"RouteTables": route_tables_answer(nat)}, {"Filters": IN_VPC})
    if nat:
        aws.ec2.add_response(
            "describe_nat_gateways",
            {"NatGateways": [nat_answer()]},
            {"Filter": IN_VPC + [{"Name": "state", "Values": ["pending", "available"]}]},
        )
    answer = groups_answer() if groups is None else groups
    params = {"Filters": IN_VPC + [{"Name": "group-name", "Values": list(GROUPS)}]}
    aws.ec2.add_response("describe_security_groups", {"SecurityGroups": answer}, params)


def test_network_detail_reads_each_kind_once(aws):
    network_answers(aws)
    found = lookup(aws)
    stack, missing = found.describe({"network_detail"})
    assert missing == [] and found.calls == NET_CALLS
    detail = stack["network_detail"]
    assert [len(detail[k]) for k in ("vpcs", "subnets", "internet_gateways", "route_tables", "security_groups")] == [
        1,
        4,
        1,
        3,
        3,
    ]
    assert detail["nat_gateways"] == []


def test_network_detail_with_the_nat_gateway_reads_it_too(aws):
    network_answers(aws, nat=True)
    found = lookup(aws, nat_gateway=True)
    stack, dummy = found.describe({"network_detail"})
    assert found.calls == NET_CALLS[:4] + ["ec2:describe_nat_gateways", "ec2:describe_security_groups"]
    (nat,) = stack["network_detail"]["nat_gateways"]
    # ec2_vpc_nat_gateway_info's shape: snake_case, datetimes as ISO strings, tags as a dict.
    assert nat["nat_gateway_id"] == NAT and nat["subnet_id"] == SUBNETS["10.0.0.0/24"] and nat["state"] == "available"
    assert nat["create_time"] == "2026-12-01T10:00:00+00:00"
    assert nat["tags"] == {"fargate:stack": STACK, "Name": f"{STACK}-nat"}
    assert nat["nat_gateway_addresses"] == [{"allocation_id": "eipalloc-0a1b2c3d", "public_ip": "198.51.100.7"}]


def test_network_detail_has_the_shapes_of_the_stock_info_modules(aws):
    from ansible_collections.amazon.aws.plugins.modules import ec2_vpc_igw_info, ec2_vpc_route_table_info

    network_answers(aws)
    stack, dummy = lookup(aws).describe({"network_detail"})
    detail = stack["network_detail"]
    (vpc,) = detail["vpcs"]
    # ec2_vpc_net_info: snake_case, `id`, tags as a dict (the two DNS attributes are not read).
    assert vpc["vpc_id"] == vpc["id"] == VPC and vpc["cidr_block"] == "10.0.0.0/16"
    assert vpc["tags"] == {"Name": STACK, "fargate:stack": STACK}
    assert "enable_dns_hostnames" not in vpc
    # ec2_vpc_subnet_info: snake_case, `id`, tags as a dict.
    assert detail["subnets"][0] == {
        "subnet_id": SUBNETS["10.0.0.0/24"],
        "id": SUBNETS["10.0.0.0/24"],
        "cidr_block": "10.0.0.0/24",
        "vpc_id": VPC,
        "state": "available",
        "availability_zone": "us-east-1a",
        "availability_zone_id": "use1-az1",
        "available_ip_address_count": 251,
        "default_for_az": False,
        "map_public_ip_on_launch": True,
        "owner_id": ACCOUNT,
        "subnet_arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{SUBNETS['10.0.0.0/24']}",
        "tags": {"fargate:stack": STACK, "Name": f"{STACK}-public-a"},
    }
    # The stock modules' own conversions, on the same answers.
    assert detail["internet_gateways"] == [ec2_vpc_igw_info.get_internet_gateway_info(igw_answer(), True)]
    assert detail["route_tables"] == [ec2_vpc_route_table_info.normalize_route_table(t) for t in route_tables_answer()]
    # ec2_security_group_info: snake_case (rules included), tags as a dict.
    alb, app, db = detail["security_groups"]
    assert app["group_name"] == "djangoapp-app" and app["group_id"] == GROUPS["djangoapp-app"]
    assert app["ip_permissions"][0]["user_id_group_pairs"] == [
        {"group_id": GROUPS["djangoapp-alb"], "user_id": ACCOUNT, "description": "App port from the load balancer"}
    ]
    assert alb["ip_permissions_egress"][0]["ip_ranges"] == [{"cidr_ip": "0.0.0.0/0"}]
    assert db["tags"] == {"fargate:stack": STACK, "Name": "djangoapp-db"}


def test_the_network_drift_filters_find_nothing_on_the_detail_of_a_stack_in_sync(aws):
    from ansible_collections.django_ecs.fargate.plugins.filter import fargate_network as fn

    network_answers(aws)
    stack, dummy = lookup(aws).describe({"network_detail"})
    detail = stack["network_detail"]

    def tags(name):
        return {"fargate:stack": STACK, "Name": f"{STACK}-{name}"}

    subnets = [
        {
            "cidr": c,
            "az": "us-east-1a" if c.startswith(("10.0.0.", "10.0.10.")) else "us-east-1b",
            "public": c in ("10.0.0.0/24", "10.0.1.0/24"),
            "tags": tags(NAME_OF[c]),
        }
        for c in SUBNETS
    ]
    assert fn.subnet_drift(detail["subnets"], subnets) == []
    assert fn.subnet_drift(detail["subnets"], [subnets[0] | {"public": False}]) == [subnets[0] | {"public": False}]
    tables = [
        {
            "tags": tags("public"),
            "subnet_ids": [SUBNETS["10.0.0.0/24"], SUBNETS["10.0.1.0/24"]],
            "routes": [{"dest": "0.0.0.0/0", "gateway_id": IGW}],
        },
        {"tags": tags("private"), "subnet_ids": [SUBNETS["10.0.10.0/24"], SUBNETS["10.0.11.0/24"]], "routes": []},
    ]
    assert fn.route_table_drift(detail["route_tables"], tables) == []
    nat_route = tables[1] | {"routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": NAT}]}
    assert fn.route_table_drift(detail["route_tables"], [nat_route]) == [nat_route]
    egress = [{"proto": "all", "cidr_ip": "0.0.0.0/0"}]
    groups = [
        {
            "name": "djangoapp-alb",
            "rules": [{"proto": "tcp", "from_port": 80, "to_port": 80, "cidr_ip": "0.0.0.0/0"}],
            "rules_egress": egress,
            "tags": {"fargate:stack": STACK, "Name": "djangoapp-alb"},
        },
        {
            "name": "djangoapp-app",
            "rules": [{"proto": "tcp", "from_port": 8000, "to_port": 8000, "group_name": "djangoapp-alb"}],
            "rules_egress": egress,
            "tags": {"Name": "djangoapp-app"},
        },
        {
            "name": "djangoapp-db",
            "rules": [{"proto": "tcp", "from_port": 5432, "to_port": 5432, "group_name": "djangoapp-app"}],
            "rules_egress": [],
            "tags": {"Name": "djangoapp-db"},
        },
    ]
    assert fn.security_group_drift(detail["security_groups"], groups) == []
    assert fn.security_group_drift(detail["security_groups"], [groups[2] | {"rules_egress": egress}]) == [
        groups[2] | {"rules_egress": egress}
    ]


@pytest.mark.parametrize("vpcs", [(), (VPC, "vpc-0feedfacecafe0002")], ids=["no VPC", "two VPCs"])
def test_network_detail_without_exactly_one_vpc_stops_after_describe_vpcs(aws, capsys, vpcs):
    network_answers(aws, vpcs=vpcs)
    failed, result = run(capsys, parts=["network_detail"], require=False, names={"image_tag": None})
    assert not failed, result
    assert result["api_calls"] == 1
    detail = result["stack"]["network_detail"]
    assert [v["vpc_id"] for v in detail["vpcs"]] == list(vpcs)
    assert detail["subnets"] == detail["security_groups"] == detail["route_tables"] == []
    message = f"network: no VPC tagged Name=djangoapp found (found {len(vpcs)}): {hint('network')}"
    assert result["missing"] == [{"part": "network_detail", "message": message}]


def test_network_detail_lists_missing_groups_and_returns_what_exists(aws):
    network_answers(aws, groups=groups_answer()[:2])
    stack, missing = lookup(aws).describe({"network_detail"})
    assert [m["part"] for m in missing] == ["network_detail"]
    assert "('djangoapp-db', '')" in missing[0]["message"]
    assert len(stack["network_detail"]["security_groups"]) == 2 and len(stack["network_detail"]["subnets"]) == 4


EXISTING = {
    "vpc_id": "vpc-0feedfacecafe0001",
    "public_subnet_ids": ["subnet-0000000000000000a", "subnet-0000000000000000b"],
    "private_subnet_ids": ["subnet-0000000000000000c", "subnet-0000000000000000d"],
}


def existing_groups(aws):
    aws.ec2.add_response(
        "describe_security_groups",
        {"SecurityGroups": [group_answer(n, g, [], []) | {"VpcId": EXISTING["vpc_id"]} for n, g in GROUPS.items()]},
        {
            "Filters": [
                {"Name": "vpc-id", "Values": [EXISTING["vpc_id"]]},
                {"Name": "group-name", "Values": list(GROUPS)},
            ]
        },
    )


def test_network_detail_of_an_existing_vpc_reads_the_given_subnets_and_the_groups(aws):
    given = EXISTING["public_subnet_ids"] + EXISTING["private_subnet_ids"]
    answer = [
        subnet_answer(c, s) | {"VpcId": EXISTING["vpc_id"], "Tags": []} for c, s in zip(SUBNETS, given, strict=True)
    ]
    aws.ec2.add_response("describe_subnets", {"Subnets": answer}, {"SubnetIds": given})
    existing_groups(aws)
    found = lookup(aws, **EXISTING)
    stack, missing = found.describe({"network_detail"})
    assert missing == []
    assert found.calls == ["ec2:describe_subnets", "ec2:describe_security_groups"]
    detail = stack["network_detail"]
    assert [s["subnet_id"] for s in detail["subnets"]] == given
    assert {s["vpc_id"] for s in detail["subnets"]} == {EXISTING["vpc_id"]}
    assert detail["vpcs"] == detail["internet_gateways"] == detail["route_tables"] == []


def test_network_detail_of_an_existing_vpc_with_an_unknown_subnet_returns_no_subnets(aws):
    given = EXISTING["public_subnet_ids"] + EXISTING["private_subnet_ids"]
    error(
        aws.ec2,
        "describe_subnets",
        "InvalidSubnetID.NotFound",
        "The subnet ID 'subnet-0000000000000000d' does not exist",
        {"SubnetIds": given},
    )
    existing_groups(aws)
    stack, missing = lookup(aws, **EXISTING).describe({"network_detail"})
    assert stack["network_detail"]["subnets"] == []
    assert [m["part"] for m in missing] == ["network_detail"]


def test_network_detail_follows_next_token(aws):
    aws.vpcs()
    first = [subnet_answer(c, s) for c, s in list(SUBNETS.items())[:2]]
    rest = [subnet_answer(c, s) for c, s in list(SUBNETS.items())[2:]]
    aws.ec2.add_response("describe_subnets", {"Subnets": first, "NextToken": "t1"}, {"Filters": IN_VPC})
    aws.ec2.add_response("describe_subnets", {"Subnets": rest}, {"Filters": IN_VPC, "NextToken": "t1"})
    aws.ec2.add_response(
        "describe_internet_gateways",
        {"InternetGateways": []},
        {"Filters": [{"Name": "attachment.vpc-id", "Values": [VPC]}]},
    )
    aws.ec2.add_response("describe_route_tables", {"RouteTables": []}, {"Filters": IN_VPC})
    params = {"Filters": IN_VPC + [{"Name": "group-name", "Values": list(GROUPS)}]}
    aws.ec2.add_response("describe_security_groups", {"SecurityGroups": groups_answer()}, params)
    found = lookup(aws)
    stack, missing = found.describe({"network_detail"})
    assert missing == [] and len(stack["network_detail"]["subnets"]) == 4
    assert found.calls.count("ec2:describe_subnets") == 2
