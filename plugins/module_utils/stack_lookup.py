# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only look-up of a deployed stack (the stack_info module): what the roles built, found by the names the
roles give it, with one describe call per resource and nothing else.

:class:`StackLookup` reads the parts it is asked for through clients it gets from ``client_for(service)`` (made
with the collection's retries) and counts every call it makes. The rules (default names, subnet classification by
CIDR, the app URL, the service's status line, the cluster tags) are plain functions. A part that does not exist
raises :class:`Missing` with the message of the role that creates it; the secret is described, never read.
"""

from __future__ import annotations

import re
import urllib.error

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.urls import open_url
from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_rollout import task_definition_ref

PARTS = ("network", "database", "image", "load_balancer", "task_definitions", "cluster", "service")
# The parts a role reads before it writes: every setting its drift checks compare, in the shapes of the stock info
# modules, and what exists of the part even when some of it is missing.
DETAIL_PARTS = ("network_detail", "load_balancer_detail")
ALL_PARTS = PARTS + DETAIL_PARTS
# The role that creates each part (the front of its "missing" message, and the tag to run).
ROLE_OF = {
    "network": "network",
    "database": "rds_secret",
    "image": "ecr_image",
    "load_balancer": "alb",
    "task_definitions": "ecs_taskdefs",
    "cluster": "ecs_service",
    "service": "ecs_service",
    "network_detail": "network",
    "load_balancer_detail": "alb",
}
# The AWS services each part reads (clients are made for the requested parts only).
SERVICES_OF = {
    "network": ("ec2",),
    "database": ("secretsmanager", "rds"),
    "image": ("ecr",),
    "load_balancer": ("elbv2",),
    "task_definitions": ("ecs",),
    "cluster": ("ecs",),
    "service": ("ecs",),
    "network_detail": ("ec2",),
    "load_balancer_detail": ("elbv2",),
}
STACK_TAG = "fargate:stack"
MIGRATED_TAG = "fargate:migrated"
WORKER_TAG_PREFIX = "fargate:worker:"
# The media types the registry may store an image under (a HEAD with another Accept can answer 404).
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
LOOPBACK_REGISTRY = re.compile(r"^(127\.|localhost(:|$)|\[::1\])")
REGISTRY_TIMEOUT = 10


class Missing(Exception):
    """A requested part does not exist; ``message`` names the role that creates it and the tag to run. ``found`` is
    what exists of it (a detail part returns that; the other parts return ``{}``)."""

    def __init__(self, part, message, found=None):
        super().__init__(message)
        self.part = part
        self.message = message
        self.found = found or {}


class RegistryError(Exception):
    """The registry did not answer the manifest check (a set-up error, not a missing part)."""


def run_hint(role):
    return f"run `ansible-playbook site.yml --tags {role}` first."


def stack_names(stack_name, names=None):
    """Every name the look-up uses: ``names`` where set (not None), else the rule of the roles' defaults/main.yml."""
    names = dict(names or {})
    s = stack_name
    groups = dict(names.get("security_group_names") or {})
    derived = {
        "vpc_id": "",
        "vpc_name": s,
        "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
        "private_subnet_cidrs": ["10.0.10.0/24", "10.0.11.0/24"],
        "public_subnet_ids": [],
        "private_subnet_ids": [],
        "secret_name": f"{s}/app",
        "db_instance_id": f"{s}-db",
        "db_name": "django",
        "repository_name": s,
        "image_tag": None,
        "registry": "",
        "registry_scheme": "",
        "alb_name": f"{s}-alb",
        "target_group_name": f"{s}-web",
        "app_url": "",
        "domain_names": [],
        "https": False,
        "nat_gateway": False,
        "web_family": f"{s}-web",
        "migrate_family": f"{s}-migrate",
        "log_group": f"/ecs/{s}",
        "cluster_name": s,
        "service_name": f"{s}-web",
    }
    out = {key: names[key] if names.get(key) is not None else value for key, value in derived.items()}
    out["security_group_names"] = {
        kind: groups[kind] if groups.get(kind) is not None else f"{s}-{kind}" for kind in ("alb", "app", "db")
    }
    out["stack_name"] = s
    return out


def subnet_ids(subnets, cidrs):
    """Ids of the subnets with the given CIDRs, in that order ("" when missing, e.g. in check mode).

    `subnets` may mix ec2_vpc_subnet_info entries (`subnet_id`) and ec2_vpc_subnet results (`id`)."""
    by_cidr = {}
    for s in subnets or []:
        sid = s.get("subnet_id") or s.get("id")
        if s.get("cidr_block") and sid:
            by_cidr[s["cidr_block"]] = sid
    return [by_cidr.get(c, "") for c in cidrs or []]


def security_group_ids(groups, names):
    """Ids of the named groups, in that order ("" when missing, e.g. in check mode).

    `groups` may mix ec2_security_group_info entries and ec2_security_group results (both carry
    `group_name` and `group_id`)."""
    by_name = {g.get("group_name"): g.get("group_id") for g in groups or [] if g.get("group_id")}
    return [by_name.get(n, "") for n in names or []]


def app_url(configured, domain_names, https, dns_name):
    """The app URL as the alb role publishes it: ``configured`` when set, else https://<first domain name> with a
    certificate, else the load balancer's DNS name (https:// with a certificate)."""
    if configured:
        return configured
    if https and domain_names:
        return f"https://{domain_names[0]}"
    return f"{'https' if https else 'http'}://{dns_name}"


def registry_scheme(registry, scheme=""):
    """The scheme of the registry's HTTP API: ``scheme`` when set, else http for loopback hosts, else https."""
    if scheme:
        return scheme
    return "http" if LOOPBACK_REGISTRY.match(registry) else "https"


def manifest_url(registry, repository, tag, scheme=""):
    return f"{registry_scheme(registry, scheme)}://{registry}/v2/{repository}/manifests/{tag}"


def head_manifest(url, timeout=REGISTRY_TIMEOUT):
    """HTTP status of a HEAD on the manifest URL (200 or 404 are answers); RegistryError when nothing answers."""
    try:
        response = open_url(url, method="HEAD", headers={"Accept": ", ".join(MANIFEST_TYPES)}, timeout=timeout)
        return response.getcode()
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:  # pylint: disable=broad-exception-caught  # URLError, timeouts, TLS: no answer
        raise RegistryError(str(e)) from e


def tags_dict(tags):
    """ECS tags ([{key, value}]) as a dict."""
    return {t.get("key"): t.get("value") for t in tags or []}


def cluster_facts(cluster):
    """The cluster part from a DescribeClusters entry (include TAGS)."""
    tags = tags_dict(cluster.get("tags"))
    return {
        "name": cluster.get("clusterName"),
        "tags": tags,
        "migrated_task_definition": tags.get(MIGRATED_TAG, ""),
        "workers": sorted(k[len(WORKER_TAG_PREFIX) :] for k in tags if k.startswith(WORKER_TAG_PREFIX)),
    }


def service_status_line(name, service):
    """The one-line status the ecs_service role prints: ``<name> ACTIVE, <family:revision>, running 1/2``."""
    return (
        f"{name} {service.get('status')}, {task_definition_ref(service.get('taskDefinition'))},"
        f" running {service.get('runningCount', 0)}/{service.get('desiredCount', 0)}"
    )


def error_code(error):
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Code", "")


def error_message(error):
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Message", "") or str(error)


def or_missing(call, code, missing):
    """``call()``, or ``missing`` when AWS answers with the error ``code`` (the resource does not exist)."""
    try:
        return call()
    except botocore.exceptions.ClientError as e:
        if error_code(e) != code:
            raise
        return missing


def only(items):
    """The one item of ``items``, else None (none found, or an ambiguous answer)."""
    return items[0] if len(items) == 1 else None


def image_tag_state(client, repository_name, image_tag, registry_id=None):
    """(exists, digest) of a tag in ECR (DescribeImages); a missing repository or tag is (False, None)."""
    params = dict(repositoryName=repository_name, imageIds=[{"imageTag": image_tag}])
    if registry_id:
        params["registryId"] = registry_id
    try:
        resp = client.describe_images(aws_retry=True, **params)
    except botocore.exceptions.ClientError as e:
        if error_code(e) in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return False, None
        raise
    details = resp.get("imageDetails") or []
    if not details:
        return False, None
    return True, details[0].get("imageDigest")


class _Counted:
    """A client whose every operation is recorded (``service:Operation``) before it is called."""

    def __init__(self, client, service, calls):
        self._client = client
        self._service = service
        self._calls = calls

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def call(*args, **kwargs):
            self._calls.append(f"{self._service}:{name}")
            return attr(*args, **kwargs)

        return call


class StackLookup:
    """Reads the stack's parts, read-only. ``client_for(service)`` returns a retrying client (made on first use);
    ``registry_head(url)`` returns the HTTP status of a HEAD on a manifest URL. ``calls`` lists the AWS calls made
    (``service:operation``); ``step`` says what was being read (for error messages)."""

    def __init__(self, names, client_for, registry_head=None):
        self.names = names
        self._client_for = client_for
        self._clients = {}
        self.registry_head = registry_head or head_manifest
        self.calls = []
        self.step = "starting"

    def client(self, service):
        if service not in self._clients:
            self._clients[service] = _Counted(self._client_for(service), service, self.calls)
        return self._clients[service]

    def describe(self, parts):
        """(stack, missing): one entry per requested part (``{}`` when missing) and the missing parts'
        ``{part, message}``, in the order of ALL_PARTS."""
        stack, missing = {}, []
        for part in ALL_PARTS:
            if part not in parts:
                continue
            try:
                stack[part] = getattr(self, part)()
            except Missing as e:
                stack[part] = e.found
                missing.append({"part": e.part, "message": e.message})
        return stack, missing

    # --- network -------------------------------------------------------------------------------------------
    def network(self):
        n = self.names
        hint = run_hint("network")
        ec2 = self.client("ec2")
        if n["vpc_id"]:
            self.step = f"describing VPC {n['vpc_id']}"
            vpcs = or_missing(
                lambda: ec2.describe_vpcs(aws_retry=True, VpcIds=[n["vpc_id"]])["Vpcs"], "InvalidVpcID.NotFound", []
            )
        else:
            self.step = f"describing the VPC tagged Name={n['vpc_name']}"
            vpcs = ec2.describe_vpcs(
                aws_retry=True,
                Filters=[
                    {"Name": "tag:Name", "Values": [n["vpc_name"]]},
                    {"Name": f"tag:{STACK_TAG}", "Values": [n["stack_name"]]},
                ],
            )["Vpcs"]
        if len(vpcs) != 1:
            what = n["vpc_id"] or f"tagged Name={n['vpc_name']}"
            raise Missing("network", f"network: no VPC {what} found (found {len(vpcs)}): {hint}")
        vpc_id = vpcs[0]["VpcId"]

        if n["vpc_id"]:
            public, private = list(n["public_subnet_ids"]), list(n["private_subnet_ids"])
        else:
            self.step = f"describing the subnets of {vpc_id}"
            found = ec2.describe_subnets(aws_retry=True, Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
            subnets = [{"cidr_block": s.get("CidrBlock"), "subnet_id": s.get("SubnetId")} for s in found["Subnets"]]
            public = subnet_ids(subnets, n["public_subnet_cidrs"])
            private = subnet_ids(subnets, n["private_subnet_cidrs"])

        group_names = [n["security_group_names"][k] for k in ("alb", "app", "db")]
        self.step = f"describing the security groups of {vpc_id}"
        found = ec2.describe_security_groups(
            aws_retry=True,
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": group_names}],
        )
        groups = [{"group_name": g.get("GroupName"), "group_id": g.get("GroupId")} for g in found["SecurityGroups"]]
        group_ids = security_group_ids(groups, group_names)
        if not (all(public) and all(private) and all(group_ids)):
            raise Missing(
                "network",
                f"network: the stack's subnets or security groups are missing (public {public}, private {private},"
                f" security groups {list(zip(group_names, group_ids, strict=True))}): {hint}",
            )
        return {
            "vpc_id": vpc_id,
            "public_subnet_ids": public,
            "private_subnet_ids": private,
            "alb_security_group_id": group_ids[0],
            "app_security_group_id": group_ids[1],
            "db_security_group_id": group_ids[2],
        }

    # --- network detail (the network role's read) -----------------------------------------------------------
    def network_detail(self):
        """What the network role compares before it writes, in the shapes of the stock info modules: ``vpcs``
        (ec2_vpc_net_info, without the DNS attributes: they are not read), ``subnets`` (ec2_vpc_subnet_info),
        ``internet_gateways`` (ec2_vpc_igw_info), ``route_tables`` (ec2_vpc_route_table_info), ``nat_gateways``
        (ec2_vpc_nat_gateway_info: pending or available ones, read only with ``names.nat_gateway``) and
        ``security_groups`` (ec2_security_group_info: the stack's three, by name).

        The stack's own VPC (found by its tags): one describe per kind of resource, 5 calls (6 with the NAT gateway);
        nothing after DescribeVpcs when there is not exactly one. An existing VPC (``names.vpc_id``): its given
        subnets and the security groups, 2 calls (the role manages nothing else there)."""
        n = self.names
        hint = run_hint("network")
        ec2 = self.client("ec2")
        found = {
            "vpcs": [],
            "subnets": [],
            "internet_gateways": [],
            "route_tables": [],
            "nat_gateways": [],
            "security_groups": [],
        }
        given = list(n["public_subnet_ids"]) + list(n["private_subnet_ids"])
        if n["vpc_id"]:
            vpc_id = n["vpc_id"]
            self.step = f"describing subnets {', '.join(given)}"
            # None found: the role's check names the subnets it was given.
            subnets = or_missing(
                lambda: _pages(ec2.describe_subnets, "Subnets", SubnetIds=given), "InvalidSubnetID.NotFound", []
            )
            found["subnets"] = [subnet_info(s) for s in subnets]
        else:
            self.step = f"describing the VPC tagged Name={n['vpc_name']}"
            vpcs = _pages(
                ec2.describe_vpcs,
                "Vpcs",
                Filters=[
                    {"Name": "tag:Name", "Values": [n["vpc_name"]]},
                    {"Name": f"tag:{STACK_TAG}", "Values": [n["stack_name"]]},
                ],
            )
            found["vpcs"] = [vpc_info(v) for v in vpcs]
            if len(vpcs) != 1:
                raise Missing(
                    "network_detail",
                    f"network: no VPC tagged Name={n['vpc_name']} found (found {len(vpcs)}): {hint}",
                    found,
                )
            vpc_id = vpcs[0]["VpcId"]
            in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
            self.step = f"describing the subnets of {vpc_id}"
            found["subnets"] = [subnet_info(s) for s in _pages(ec2.describe_subnets, "Subnets", Filters=in_vpc)]
            self.step = f"describing the internet gateway of {vpc_id}"
            found["internet_gateways"] = [
                internet_gateway_info(g)
                for g in _pages(
                    ec2.describe_internet_gateways,
                    "InternetGateways",
                    Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}],
                )
            ]
            self.step = f"describing the route tables of {vpc_id}"
            found["route_tables"] = [
                route_table_info(t) for t in _pages(ec2.describe_route_tables, "RouteTables", Filters=in_vpc)
            ]
            if n["nat_gateway"]:
                self.step = f"describing the NAT gateways of {vpc_id}"
                found["nat_gateways"] = [
                    nat_gateway_info(g)
                    for g in _pages(
                        ec2.describe_nat_gateways,
                        "NatGateways",
                        Filter=in_vpc + [{"Name": "state", "Values": ["pending", "available"]}],
                    )
                ]
        group_names = [n["security_group_names"][k] for k in ("alb", "app", "db")]
        self.step = f"describing the security groups of {vpc_id}"
        groups = _pages(
            ec2.describe_security_groups,
            "SecurityGroups",
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": group_names}],
        )
        found["security_groups"] = [security_group_info(g) for g in groups]

        if n["vpc_id"]:
            have = {s["subnet_id"] for s in found["subnets"]}
            subnets_ok = all(s in have for s in given)
        else:
            subnets_ok = all(subnet_ids(found["subnets"], n["public_subnet_cidrs"] + n["private_subnet_cidrs"]))
        group_ids = security_group_ids(found["security_groups"], group_names)
        if not (subnets_ok and all(group_ids)):
            raise Missing(
                "network_detail",
                f"network: the stack's subnets or security groups are missing in {vpc_id} (security groups"
                f" {list(zip(group_names, group_ids, strict=True))}): {hint}",
                found,
            )
        return found

    # --- database ------------------------------------------------------------------------------------------
    def database(self):
        n = self.names
        hint = run_hint("rds_secret")
        self.step = f"describing secret {n['secret_name']}"
        # DescribeSecret: the ARN and metadata only; the value is never read.
        secrets = self.client("secretsmanager")
        secret = or_missing(
            lambda: secrets.describe_secret(aws_retry=True, SecretId=n["secret_name"]),
            "ResourceNotFoundException",
            None,
        )
        if secret is None or secret.get("DeletedDate"):
            state = "does not exist" if secret is None else "is scheduled for deletion"
            raise Missing("database", f"rds_secret: the secret {n['secret_name']} {state}: {hint}")

        self.step = f"describing database instance {n['db_instance_id']}"
        rds = self.client("rds")
        instances = or_missing(
            lambda: rds.describe_db_instances(aws_retry=True, DBInstanceIdentifier=n["db_instance_id"])["DBInstances"],
            "DBInstanceNotFound",
            [],
        )
        endpoint = (instances[0].get("Endpoint") or {}) if len(instances) == 1 else {}
        if not endpoint.get("Address"):
            status = instances[0].get("DBInstanceStatus") if instances else "missing"
            raise Missing(
                "database",
                f"rds_secret: the database instance {n['db_instance_id']} does not exist or has no endpoint yet"
                f" (status {status}): {hint}",
            )
        return {
            "secret_arn": secret["ARN"],
            "instance_id": n["db_instance_id"],
            "host": endpoint["Address"],
            "port": int(endpoint.get("Port") or 0),
            "name": instances[0].get("DBName") or n["db_name"],
        }

    # --- image ---------------------------------------------------------------------------------------------
    def image(self):
        n = self.names
        repo, tag = n["repository_name"], n["image_tag"]
        ecr = self.client("ecr")
        self.step = f"describing ECR repository {repo}"
        repository = or_missing(
            lambda: ecr.describe_repositories(aws_retry=True, repositoryNames=[repo])["repositories"][0],
            "RepositoryNotFoundException",
            None,
        )
        registry = n["registry"] or ((repository or {}).get("repositoryUri") or "").split("/", 1)[0]
        exists = False
        if repository is not None:
            if n["registry"]:
                url = manifest_url(registry, repo, tag, n["registry_scheme"])
                self.step = f"checking {url}"
                try:
                    status = self.registry_head(url)
                except RegistryError as e:
                    raise RegistryError(registry_error(registry, str(e))) from e
                if status not in (200, 404):
                    raise RegistryError(registry_error(registry, f"HTTP {status}"))
                exists = status == 200
            else:
                self.step = f"looking for tag {tag} in ECR repository {repo}"
                exists = image_tag_state(ecr, repo, tag)[0]
        if not exists:
            raise Missing(
                "image",
                f"ecr_image: the repository {repo} or its image tag {tag} (the current sources) is missing in"
                f" {n['registry'] or registry or 'ECR'}: {run_hint('ecr_image')}",
            )
        return {
            "image": f"{registry}/{repo}:{tag}",
            "image_tag": tag,
            "repository_arn": repository["repositoryArn"],
            "registry": registry,
        }

    # --- load balancer -------------------------------------------------------------------------------------
    def _load_balancer_named(self):
        name = self.names["alb_name"]
        elbv2 = self.client("elbv2")
        self.step = f"describing load balancer {name}"
        return only(
            or_missing(
                lambda: elbv2.describe_load_balancers(aws_retry=True, Names=[name])["LoadBalancers"],
                "LoadBalancerNotFound",
                [],
            )
        )

    def _target_group_named(self):
        name = self.names["target_group_name"]
        elbv2 = self.client("elbv2")
        self.step = f"describing target group {name}"
        return only(
            or_missing(
                lambda: elbv2.describe_target_groups(aws_retry=True, Names=[name])["TargetGroups"],
                "TargetGroupNotFound",
                [],
            )
        )

    def load_balancer(self):
        n = self.names
        missing = Missing(
            "load_balancer",
            f"alb: load balancer {n['alb_name']} or target group {n['target_group_name']} not found: {run_hint('alb')}",
        )
        lb = self._load_balancer_named()
        if lb is None:
            raise missing
        tg = self._target_group_named()
        if tg is None:
            raise missing
        return {
            "arn": lb["LoadBalancerArn"],
            "dns_name": lb["DNSName"],
            "target_group_arn": tg["TargetGroupArn"],
            "app_url": app_url(n["app_url"], n["domain_names"], n["https"], lb["DNSName"]),
            "domain_names": list(n["domain_names"]),
        }

    # --- load balancer detail (the alb role's read) ---------------------------------------------------------
    def load_balancer_detail(self):
        """The load balancer with its listeners and the target group with its attributes, each with its tags, as
        amazon.aws.elb_application_lb_info (include_attributes=false, include_listeners=true,
        include_listener_rules=false) and community.aws.elb_target_group_info return them; ``{}`` for the one
        that does not exist. Five calls when both exist (one DescribeTags for both ARNs), two when neither does."""
        n = self.names
        elbv2 = self.client("elbv2")
        lb = self._load_balancer_named()
        tg = self._target_group_named()
        arns = [r[key] for r, key in ((lb, "LoadBalancerArn"), (tg, "TargetGroupArn")) if r]
        tags = {}
        if arns:
            self.step = f"describing the tags of {', '.join(arns)}"
            for found in elbv2.describe_tags(aws_retry=True, ResourceArns=arns)["TagDescriptions"]:
                tags[found["ResourceArn"]] = boto3_tag_list_to_ansible_dict(found.get("Tags") or [])
        target_group = {}
        if tg:
            arn = tg["TargetGroupArn"]
            self.step = f"describing the attributes of target group {n['target_group_name']}"
            attributes = elbv2.describe_target_group_attributes(aws_retry=True, TargetGroupArn=arn)["Attributes"]
            target_group = target_group_info(tg, attributes, tags.get(arn, {}))
        load_balancer = {}
        if lb:
            arn = lb["LoadBalancerArn"]
            self.step = f"describing the listeners of load balancer {n['alb_name']}"
            listeners, marker = [], None
            while True:
                page = elbv2.describe_listeners(
                    aws_retry=True, LoadBalancerArn=arn, **({"Marker": marker} if marker else {})
                )
                listeners += page.get("Listeners") or []
                marker = page.get("NextMarker")
                if not marker:
                    break
            load_balancer = load_balancer_info(lb, listeners, tags.get(arn, {}))
        found = {"load_balancer": load_balancer, "target_group": target_group}
        if not (load_balancer and target_group):
            raise Missing(
                "load_balancer_detail",
                f"alb: load balancer {n['alb_name']} or target group {n['target_group_name']} not found:"
                f" {run_hint('alb')}",
                found,
            )
        return found

    # --- task definitions ----------------------------------------------------------------------------------
    def task_definitions(self):
        n = self.names
        found, notes = {}, []
        for key in ("web_family", "migrate_family"):
            family = n[key]
            self.step = f"describing task definition {family}"
            try:
                definition = self.client("ecs").describe_task_definition(aws_retry=True, taskDefinition=family)
                found[key] = f"{family}:{definition['taskDefinition']['revision']}"
                notes.append("ok")
            except botocore.exceptions.ClientError as e:
                # ECS answers ClientException "Unable to describe task definition." for a family without an
                # ACTIVE revision.
                if error_code(e) != "ClientException":
                    raise
                notes.append(f"{family}: {error_message(e)}")
        if len(found) != 2:
            raise Missing(
                "task_definitions",
                f"ecs_taskdefs: task definitions {n['web_family']} / {n['migrate_family']} not found"
                f" ({'; '.join(notes)}): {run_hint('ecs_taskdefs')}",
            )
        return {"web": found["web_family"], "migrate": found["migrate_family"], "log_group": n["log_group"]}

    # --- cluster -------------------------------------------------------------------------------------------
    def cluster(self):
        name = self.names["cluster_name"]
        self.step = f"describing cluster {name}"
        clusters = self.client("ecs").describe_clusters(aws_retry=True, clusters=[name], include=["TAGS"])
        cluster = next((c for c in clusters.get("clusters") or [] if c.get("status") == "ACTIVE"), None)
        if cluster is None:
            raise Missing("cluster", f"ecs_service: cluster {name} not found: {run_hint('ecs_service')}")
        return cluster_facts(cluster)

    # --- service -------------------------------------------------------------------------------------------
    def service(self):
        n = self.names
        cluster, name = n["cluster_name"], n["service_name"]
        self.step = f"describing service {name} in cluster {cluster}"
        ecs = self.client("ecs")
        services = or_missing(
            lambda: ecs.describe_services(aws_retry=True, cluster=cluster, services=[name]),
            "ClusterNotFoundException",
            {},
        )
        service = next((s for s in services.get("services") or [] if s.get("status") == "ACTIVE"), None)
        if service is None:
            raise Missing(
                "service", f"ecs_service: service {name} not found in cluster {cluster}: {run_hint('ecs_service')}"
            )
        return {
            "cluster_name": cluster,
            "name": name,
            "status": service_status_line(name, service),
            "task_definition": task_definition_ref(service.get("taskDefinition")),
            "desired_count": service.get("desiredCount", 0),
            "running_count": service.get("runningCount", 0),
        }


def _pages(call, key, **params):
    """Every item of an EC2 describe that pages with NextToken (one call when it does not)."""
    items, token = [], None
    while True:
        page = call(aws_retry=True, **params, **({"NextToken": token} if token else {}))
        items += page.get(key) or []
        token = page.get("NextToken")
        if not token:
            return items


def vpc_info(vpc):
    """A DescribeVpcs entry as amazon.aws.ec2_vpc_net_info returns it, without the two DNS attributes (they take a
    DescribeVpcAttribute call each)."""
    vpc = dict(vpc, id=vpc["VpcId"])
    result = camel_dict_to_snake_dict(vpc)
    result["tags"] = boto3_tag_list_to_ansible_dict(vpc.get("Tags", []))
    return result


def subnet_info(subnet):
    """A DescribeSubnets entry as amazon.aws.ec2_vpc_subnet_info returns it."""
    subnet = dict(subnet, id=subnet["SubnetId"])
    result = camel_dict_to_snake_dict(subnet)
    result["tags"] = boto3_tag_list_to_ansible_dict(subnet.get("Tags", []))
    return result


def internet_gateway_info(gateway):
    """A DescribeInternetGateways entry as amazon.aws.ec2_vpc_igw_info returns it (convert_tags=true)."""
    return camel_dict_to_snake_dict(
        {
            "InternetGatewayId": gateway["InternetGatewayId"],
            "Attachments": gateway.get("Attachments") or [],
            "Tags": boto3_tag_list_to_ansible_dict(gateway.get("Tags") or []),
        },
        ignore_list=["Tags"],
    )


def route_table_info(table):
    """A DescribeRouteTables entry as amazon.aws.ec2_vpc_route_table_info returns it (its legacy keys included)."""
    table = dict(table)
    routes = []
    for route in table.get("Routes") or []:
        route = dict(route)
        for legacy in ("DestinationCidrBlock", "GatewayId", "InstanceId", "Origin", "State", "NetworkInterfaceId"):
            route.setdefault(legacy, None)
        route["InterfaceId"] = route["NetworkInterfaceId"]
        routes.append(route)
    table["Associations"] = [dict(a, Id=a["RouteTableAssociationId"]) for a in table.get("Associations") or []]
    table["Routes"] = routes
    table["Id"] = table["RouteTableId"]
    table["tags"] = boto3_tag_list_to_ansible_dict(table.pop("Tags", None) or [])
    return camel_dict_to_snake_dict(table, ignore_list=["tags"])


def nat_gateway_info(gateway):
    """A DescribeNatGateways entry as amazon.aws.ec2_vpc_nat_gateway_info returns it."""
    result = camel_dict_to_snake_dict(normalize_boto3_result(gateway))
    if "tags" in result:
        result["tags"] = boto3_tag_list_to_ansible_dict(result["tags"])
    return result


def security_group_info(group):
    """A DescribeSecurityGroups entry as amazon.aws.ec2_security_group_info returns it."""
    result = camel_dict_to_snake_dict(group)
    result["tags"] = boto3_tag_list_to_ansible_dict(
        result.get("tags", {}), tag_name_key_name="key", tag_value_key_name="value"
    )
    return result


def _sorted_actions(actions):
    """Listener actions in the order amazon.aws.elb_application_lb_info returns them: by Order, then Type."""
    return sorted(actions or [], key=lambda a: (a.get("Order", 0), a.get("Type", "")))


def load_balancer_info(load_balancer, listeners, tags):
    """A DescribeLoadBalancers entry with its DescribeListeners answer and its tags (a dict) in the shape of
    amazon.aws.elb_application_lb_info (include_attributes=false, include_listeners=true,
    include_listener_rules=false): snake_case, datetimes as ISO strings, each listener's default actions sorted by
    Order and Type, ``tags`` a dict."""
    result = camel_dict_to_snake_dict(normalize_boto3_result(dict(load_balancer)))
    result["listeners"] = []
    for listener in normalize_boto3_result(list(listeners)):
        actions = _sorted_actions(listener.get("DefaultActions"))
        snaked = camel_dict_to_snake_dict({k: v for k, v in listener.items() if k != "DefaultActions"})
        if "DefaultActions" in listener:
            snaked["default_actions"] = [camel_dict_to_snake_dict(a) for a in actions] if actions else actions
        result["listeners"].append(snaked)
    result["tags"] = dict(tags)
    return result


def target_group_info(target_group, attributes, tags):
    """A DescribeTargetGroups entry with its DescribeTargetGroupAttributes answer and its tags (a dict) in the shape
    of community.aws.elb_target_group_info: the attributes merged in with ``.`` replaced by ``_`` (values are
    strings, as AWS sends them), snake_case, ``tags`` a dict."""
    merged = dict(target_group)
    merged.update({k.replace(".", "_"): v for k, v in boto3_tag_list_to_ansible_dict(attributes or []).items()})
    result = camel_dict_to_snake_dict(merged)
    result["tags"] = dict(tags)
    return result


def registry_error(registry, reason):
    if len(reason) > 160:
        reason = reason[:157] + "..."
    return (
        f"ecr_image: the registry {registry} (ecr_image_registry) did not answer ({reason}): start it (`make up` for"
        " the local default) or fix ecr_image_registry / ecr_image_registry_scheme."
    )
