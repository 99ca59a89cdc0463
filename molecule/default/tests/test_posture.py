"""What site.yml built, asserted through the AWS API of the emulator (one control per test)."""

import json
import subprocess
import urllib.request

import pytest

from conftest import ROOT, STACK


@pytest.fixture(scope="module")
def db(aws):
    return aws("rds").describe_db_instances(DBInstanceIdentifier=f"{STACK}-db")["DBInstances"][0]


@pytest.fixture(scope="module")
def groups(aws):
    ec2 = aws("ec2")
    found = ec2.describe_security_groups(
        Filters=[{"Name": "tag:Name", "Values": [f"{STACK}-alb", f"{STACK}-app", f"{STACK}-db"]}]
    )
    by_name = {next(t["Value"] for t in g["Tags"] if t["Key"] == "Name"): g for g in found["SecurityGroups"]}
    assert set(by_name) == {f"{STACK}-alb", f"{STACK}-app", f"{STACK}-db"}
    return {name.rsplit("-", 1)[-1]: group for name, group in by_name.items()}


@pytest.fixture(scope="module")
def secret_arn(aws):
    return aws("secretsmanager").describe_secret(SecretId=f"{STACK}/app")["ARN"]


@pytest.fixture(scope="module")
def taskdefs(aws):
    ecs = aws("ecs")
    return {
        kind: ecs.describe_task_definition(taskDefinition=f"{STACK}-{kind}")["taskDefinition"]
        for kind in ("web", "migrate")
    }


@pytest.fixture(scope="module")
def service(aws):
    return aws("ecs").describe_services(cluster=STACK, services=[f"{STACK}-web"])["services"][0]


def test_database_is_private_encrypted_and_backed_up(db):
    assert db["PubliclyAccessible"] is False
    assert db["StorageEncrypted"] is True
    assert db["BackupRetentionPeriod"] > 0
    assert db["Engine"] == "postgres"
    assert db["AllocatedStorage"] == 20 and db["MaxAllocatedStorage"] == 50
    assert db["DBInstanceClass"] == "db.t4g.micro"


def test_database_lives_in_private_subnets(aws, db):
    subnet_ids = {s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]}
    subnets = aws("ec2").describe_subnets(SubnetIds=sorted(subnet_ids))["Subnets"]
    assert len(subnets) == 2 and len({s["AvailabilityZone"] for s in subnets}) == 2
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)


def test_db_security_group_admits_only_the_app_and_has_no_egress(groups, db):
    rules = groups["db"]["IpPermissions"]
    assert [(r["FromPort"], r["ToPort"]) for r in rules] == [(5432, 5432)]
    assert [p["GroupId"] for p in rules[0]["UserIdGroupPairs"]] == [groups["app"]["GroupId"]]
    assert rules[0].get("IpRanges", []) == []  # no admin CIDR is set in the local inventory
    assert groups["db"]["IpPermissionsEgress"] == []
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [groups["db"]["GroupId"]]


def test_app_security_group_admits_only_the_alb_on_8000(groups):
    rules = groups["app"]["IpPermissions"]
    assert [(r["FromPort"], r["ToPort"]) for r in rules] == [(8000, 8000)]
    assert [p["GroupId"] for p in rules[0]["UserIdGroupPairs"]] == [groups["alb"]["GroupId"]]
    assert rules[0].get("IpRanges", []) == []


def test_secret_holds_every_key_the_task_definitions_read(aws, secret_arn, taskdefs):
    value = json.loads(aws("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    assert {"username", "password", "django_secret_key", "host", "port", "dbname", "engine"} <= set(value)
    assert len(value["password"]) >= 16 and value["password"].isalnum()
    for taskdef in taskdefs.values():
        (container,) = taskdef["containerDefinitions"]
        for ref in container["secrets"]:
            arn, key = ref["valueFrom"].rsplit(":", 3)[0], ref["valueFrom"].rsplit(":", 3)[1]
            assert arn == secret_arn and key in value, ref


def test_no_secret_value_in_task_definitions(aws, secret_arn, taskdefs):
    value = json.loads(aws("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    for taskdef in taskdefs.values():
        (container,) = taskdef["containerDefinitions"]
        names = {s["name"] for s in container["secrets"]}
        assert {"DB_NAME", "DB_USER", "DB_PASSWORD", "DJANGO_SECRET_KEY"} <= names
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert not names & set(env)
        dumped = json.dumps(taskdef)
        for key in ("password", "django_secret_key"):
            assert value[key] not in dumped
        assert "********" not in dumped


def test_task_definitions_match_the_blog_sizes_and_commands(taskdefs):
    web, migrate = taskdefs["web"], taskdefs["migrate"]
    for taskdef in (web, migrate):
        assert taskdef["requiresCompatibilities"] == ["FARGATE"] and taskdef["networkMode"] == "awsvpc"
        assert (taskdef["cpu"], taskdef["memory"]) == ("256", "512")
        assert taskdef["ephemeralStorage"]["sizeInGiB"] == 21
    (web_c,), (mig_c,) = web["containerDefinitions"], migrate["containerDefinitions"]
    assert web_c["image"] == mig_c["image"]
    assert web_c["portMappings"][0]["containerPort"] == 8000
    assert mig_c["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert web_c["logConfiguration"]["options"]["awslogs-stream-prefix"] == "django-webapp"
    assert mig_c["logConfiguration"]["options"]["awslogs-stream-prefix"] == "django-migration"
    assert web_c["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{STACK}"


def test_execution_role_reads_only_this_secret(aws, secret_arn, taskdefs):
    iam = aws("iam")
    role_name = taskdefs["web"]["executionRoleArn"].rsplit("/", 1)[-1]
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
        statements += doc["Statement"]
    attached = [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    assert not [p for p in attached if "SecretsManager" in p or p in ("AdministratorAccess", "PowerUserAccess")]
    secret_statements = [s for s in statements if any("secretsmanager" in a for a in _list(s["Action"]))]
    assert secret_statements, statements
    for s in secret_statements:
        assert _list(s["Action"]) == ["secretsmanager:GetSecretValue"]
        assert _list(s["Resource"]) == [secret_arn]
    for s in statements:
        for action in _list(s["Action"]):
            assert action != "*" and not action.endswith(":*"), s


def test_execution_role_pulls_only_this_repository(aws, taskdefs):
    iam = aws("iam")
    repo_arn = aws("ecr").describe_repositories(repositoryNames=[STACK])["repositories"][0]["repositoryArn"]
    role_name = taskdefs["web"]["executionRoleArn"].rsplit("/", 1)[-1]
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        statements += (json.loads(doc) if isinstance(doc, str) else doc)["Statement"]
    pull = [s for s in statements if "ecr:BatchGetImage" in _list(s["Action"])]
    assert pull and all(_list(s["Resource"]) == [repo_arn] for s in pull), pull
    # GetAuthorizationToken cannot be scoped by AWS; nothing else may use a wildcard resource.
    for s in statements:
        if _list(s["Resource"]) == ["*"]:
            assert _list(s["Action"]) == ["ecr:GetAuthorizationToken"], s


def _list(value):
    return value if isinstance(value, list) else [value]


def test_log_group_has_retention(aws):
    (group,) = aws("logs").describe_log_groups(logGroupNamePrefix=f"/ecs/{STACK}")["logGroups"]
    assert group.get("retentionInDays", 0) > 0


def test_ecr_repository_scans_keeps_tags_and_expires_old_images(aws):
    ecr = aws("ecr")
    (repo,) = ecr.describe_repositories(repositoryNames=[STACK])["repositories"]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert repo["imageTagMutability"] == "IMMUTABLE"
    policy = json.loads(ecr.get_lifecycle_policy(repositoryName=STACK)["lifecyclePolicyText"])
    assert policy["rules"][0]["selection"]["countType"] == "imageCountMoreThan"


def test_listener_forwards_http_to_a_healthchecked_ip_target_group(aws):
    elb = aws("elbv2")
    (lb,) = elb.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    (tg,) = elb.describe_target_groups(Names=[f"{STACK}-web"])["TargetGroups"]
    assert tg["TargetType"] == "ip" and tg["Port"] == 8000
    assert tg["HealthCheckPath"] == "/health/"
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    (http,) = [lis for lis in listeners if lis["Port"] == 80]
    assert http["DefaultActions"][0]["Type"] == "forward"
    assert http["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
    assert not [lis for lis in listeners if lis["Port"] == 443]  # no certificate in the local inventory


def test_service_runs_the_web_definition_behind_the_target_group(aws, service, taskdefs, groups):
    (tg,) = aws("elbv2").describe_target_groups(Names=[f"{STACK}-web"])["TargetGroups"]
    assert service["launchType"] == "FARGATE"
    assert service["taskDefinition"] == taskdefs["web"]["taskDefinitionArn"]
    (lb,) = service["loadBalancers"]
    assert (lb["targetGroupArn"], lb["containerName"], lb["containerPort"]) == (tg["TargetGroupArn"], "web", 8000)
    breaker = service["deploymentConfiguration"]["deploymentCircuitBreaker"]
    assert breaker == {"enable": True, "rollback": True}
    assert service["healthCheckGracePeriodSeconds"] > 0
    vpc = service["networkConfiguration"]["awsvpcConfiguration"]
    assert vpc["securityGroups"] == [groups["app"]["GroupId"]]


def _registry_json(url: str, accept: str) -> dict:
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 (the local registry)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def test_pushed_image_runs_as_a_non_root_user(taskdefs):
    """The image config as pushed, read from the registry (not whatever this engine has under that tag)."""
    image = taskdefs["web"]["containerDefinitions"][0]["image"]
    registry, reference = image.split("/", 1)
    repository, tag = reference.rsplit(":", 1)
    manifest = _registry_json(
        f"http://{registry}/v2/{repository}/manifests/{tag}",
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    )
    config = _registry_json(f"http://{registry}/v2/{repository}/blobs/{manifest['config']['digest']}", "*/*")
    user = config["config"].get("User", "")
    assert user and user.split(":")[0] not in ("root", "0"), user


def test_production_inventory_turns_on_deletion_protection_and_waits_for_rollouts():
    inventory = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-inventory"), "-i", str(ROOT / "inventories/production"), "--host", "localhost"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert inventory.returncode == 0, inventory.stderr
    host = json.loads(inventory.stdout)
    assert host["fargate_environment"] == "production"
    assert host["rds_secret_deletion_protection"] is True
    assert host["ecs_service_wait"] is True
    assert "fargate_aws_endpoint_url" not in host  # real AWS: no emulator endpoint


def test_local_database_has_no_deletion_protection_so_destroy_works(db):
    assert db["DeletionProtection"] is False
