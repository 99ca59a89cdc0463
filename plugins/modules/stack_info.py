#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: stack_info
short_description: Find what the roles built for a stack - network, database, image, load balancer, ECS - in one look-up
version_added: 0.1.0
description:
  - Reads, and never changes, the parts of a deployed stack that the collection's roles create, found by the names
    the roles give them, and returns them as one structure (RV(stack)). A tag-limited run (for example
    C(ansible-playbook site.yml --tags alb)) uses it to learn what earlier roles built.
  - Only the parts listed in O(parts) are described, with one describe call per resource (RV(api_calls) says how
    many calls were made).
  - The database secret is described (C(DescribeSecret)), never read; its value is neither requested nor returned.
  - With O(require=true) a missing part fails the task with the message of the role that creates it and the
    C(--tags) to run; with O(require=false) it is returned as an empty dict and listed in RV(missing).
author:
  - django_ecs.fargate contributors (@django-ecs)
options:
  stack_name:
    description:
      - The stack's name (the inventory's C(fargate_stack_name)), the prefix of every default name in O(names).
    type: str
    required: true
    version_added: 0.1.0
  parts:
    description:
      - The parts to describe. V(network) is the VPC, subnets and security groups (role C(network)); V(database)
        the secret's ARN and the RDS instance's endpoint (C(rds_secret)); V(image) the ECR repository and the
        image tag (C(ecr_image)); V(load_balancer) the load balancer and the target group (C(alb));
        V(task_definitions) the web and migration task definitions (C(ecs_taskdefs)); V(cluster) the ECS cluster
        and its tags, V(service) the web service (C(ecs_service)).
      - The detail parts are what a role reads before it writes, in the shapes of the stock info modules, and are
        not in the default. V(network_detail) is the VPC, its subnets, internet gateway, route tables, NAT gateways
        (with O(names.nat_gateway)) and the three security groups, for the C(network) role's drift check (see
        RV(stack.network_detail)). V(load_balancer_detail) is the load balancer with its listeners and the target
        group with its attributes, each with its tags, for the C(alb) role's drift check (see
        RV(stack.load_balancer_detail)).
    type: list
    elements: str
    choices: [network, database, image, load_balancer, task_definitions, cluster, service, network_detail,
              load_balancer_detail]
    default: [network, database, image, load_balancer, task_definitions, cluster, service]
    version_added: 0.1.0
  require:
    description:
      - Fail when a requested part does not exist (the message names the role that creates it and the C(--tags)
        to run). V(false) returns a missing part as an empty dict and lists it in RV(missing).
    type: bool
    default: true
    version_added: 0.1.0
  names:
    description:
      - The names the roles use, where they differ from the roles' defaults (derived from O(stack_name) as
        each role's C(defaults/main.yml) does). An unknown key is refused.
    type: dict
    default: {}
    version_added: 0.1.0
    suboptions:
      vpc_id:
        description:
          - Id of an existing VPC (C(network_vpc_id)); empty for the VPC the network role creates, found by its tags
            C(Name=)O(names.vpc_name) and C(fargate:stack=)O(stack_name).
          - With an existing VPC, O(names.public_subnet_ids) and O(names.private_subnet_ids) are required and
            returned as given.
        type: str
        default: ""
      vpc_name:
        description:
          - Tag C(Name) of the stack's own VPC (C(network_vpc_name)). Default O(stack_name).
        type: str
      public_subnet_cidrs:
        description:
          - CIDRs of the two public subnets (C(network_public_subnet_cidrs)); the subnets are found by CIDR.
        type: list
        elements: str
        default: [10.0.0.0/24, 10.0.1.0/24]
      private_subnet_cidrs:
        description:
          - CIDRs of the two private subnets (C(network_private_subnet_cidrs)).
        type: list
        elements: str
        default: [10.0.10.0/24, 10.0.11.0/24]
      public_subnet_ids:
        description:
          - The public subnets of an existing VPC (C(network_public_subnet_ids)), used as given.
        type: list
        elements: str
        default: []
      private_subnet_ids:
        description:
          - The private subnets of an existing VPC (C(network_private_subnet_ids)), used as given.
        type: list
        elements: str
        default: []
      security_group_names:
        description:
          - Names of the three security groups. Each defaults to O(stack_name) followed by C(-alb), C(-app) or
            C(-db).
        type: dict
        suboptions:
          alb:
            description:
              - The load balancer's group (C(network_alb_security_group_name)).
            type: str
          app:
            description:
              - The tasks' group (C(network_app_security_group_name)).
            type: str
          db:
            description:
              - The database's group (C(network_db_security_group_name)).
            type: str
      secret_name:
        description:
          - Name of the Secrets Manager secret (C(rds_secret_name)). Default O(stack_name) followed by C(/app).
        type: str
      db_instance_id:
        description:
          - RDS instance identifier (C(rds_secret_db_instance_id)). Default O(stack_name) followed by C(-db).
        type: str
      db_name:
        description:
          - Database name returned when the instance does not report one (C(rds_secret_db_name)).
        type: str
        default: django
      repository_name:
        description:
          - ECR repository name (C(ecr_image_repository_name)). Default O(stack_name).
        type: str
      image_tag:
        description:
          - The image tag of the current sources (the C(django_ecs.fargate.context_hash) look-up, or C(ecr_image_tag)).
          - Required when O(parts) contains V(image).
        type: str
      registry:
        description:
          - Registry host[:port] the image is pushed to (C(ecr_image_registry)). Empty for the repository's own ECR
            registry, where the tag is looked up with C(DescribeImages); otherwise the tag is checked with a HEAD on
            C(/v2/<repository>/manifests/<tag>) of that registry.
        type: str
        default: ""
      registry_scheme:
        description:
          - Scheme of that registry's HTTP API (C(ecr_image_registry_scheme)). Empty for C(http) on loopback hosts
            and C(localhost), C(https) otherwise.
        type: str
        default: ""
      alb_name:
        description:
          - Load balancer name (C(alb_name)). Default O(stack_name) followed by C(-alb).
        type: str
      target_group_name:
        description:
          - Target group name (C(alb_target_group_name)). Default O(stack_name) followed by C(-web).
        type: str
      app_url:
        description:
          - The app URL (C(alb_app_url)). Empty for C(https://) and the first of O(names.domain_names) when
            O(names.https) is set and there are domain names, else the load balancer's DNS name (C(https://) when
            O(names.https) is set, C(http://) otherwise).
        type: str
        default: ""
      domain_names:
        description:
          - The domain names users browse (C(alb_domain_names)), returned as given.
        type: list
        elements: str
        default: []
      https:
        description:
          - Whether the load balancer has a certificate (C(alb_certificate_arn) is set).
        type: bool
        default: false
      nat_gateway:
        description:
          - Whether the stack has a NAT gateway (C(network_nat_gateway)). With V(true), V(network_detail) describes
            the VPC's pending and available NAT gateways too.
        type: bool
        default: false
      web_family:
        description:
          - Task definition family of the web service (C(ecs_taskdefs_web_family)). Default O(stack_name) followed
            by C(-web).
        type: str
      migrate_family:
        description:
          - Task definition family of the migration (C(ecs_taskdefs_migrate_family)). Default O(stack_name) followed
            by C(-migrate).
        type: str
      log_group:
        description:
          - The tasks' log group (C(ecs_taskdefs_log_group)), returned as given. Default C(/ecs/) followed by
            O(stack_name).
        type: str
      cluster_name:
        description:
          - ECS cluster name (C(ecs_service_cluster_name)). Default O(stack_name).
        type: str
      service_name:
        description:
          - ECS service name (C(ecs_service_name)). Default O(stack_name) followed by C(-web).
        type: str
notes:
  - "One call per resource of the requested parts: network ec2:DescribeVpcs, ec2:DescribeSubnets (not with an
    existing VPC), ec2:DescribeSecurityGroups; database secretsmanager:DescribeSecret, rds:DescribeDBInstances;
    image ecr:DescribeRepositories and ecr:DescribeImages (or the registry HEAD); load_balancer
    elasticloadbalancing:DescribeLoadBalancers and elasticloadbalancing:DescribeTargetGroups; load_balancer_detail
    the same two, then one elasticloadbalancing:DescribeTags for both ARNs,
    elasticloadbalancing:DescribeTargetGroupAttributes and elasticloadbalancing:DescribeListeners; task_definitions
    ecs:DescribeTaskDefinition for each family; cluster ecs:DescribeClusters; service ecs:DescribeServices;
    network_detail ec2:DescribeVpcs, ec2:DescribeSubnets, ec2:DescribeInternetGateways, ec2:DescribeRouteTables,
    ec2:DescribeNatGateways (only with O(names.nat_gateway)) and ec2:DescribeSecurityGroups (with an existing VPC
    ec2:DescribeSubnets of the given subnets and ec2:DescribeSecurityGroups only). A call
    whose resource is missing ends its part (no further call for it); a detail part goes on with what exists."
  - Supports check mode (it changes nothing in any mode).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the whole stack
  django_ecs.fargate.stack_info:
    stack_name: djangoapp
    names:
      image_tag: 0882bdcba9523668
  register: found

- name: Only what the alb role needs, on a stack with its own names; a missing part is not an error
  django_ecs.fargate.stack_info:
    stack_name: shop
    parts: [network, load_balancer]
    require: false
    names:
      security_group_names:
        alb: shop-public
      app_url: https://shop.example.com
  register: found

- name: Use it
  ansible.builtin.debug:
    msg: "{{ found.stack.load_balancer.app_url | default('no load balancer yet') }}"
"""

RETURN = r"""
stack:
  description:
    - One key per requested part; an empty dict for a missing part (with O(require=false)); a missing detail part
      has its keys, empty for what does not exist.
  returned: always
  type: dict
  contains:
    network:
      description: The VPC id, the public and private subnet ids (in the order of the CIDRs, or as given with an
        existing VPC) and the ids of the three security groups.
      returned: when requested
      type: dict
      sample:
        vpc_id: vpc-405653b6d130c5672
        public_subnet_ids: [subnet-0a1b2c3d, subnet-4e5f6a7b]
        private_subnet_ids: [subnet-1a1b2c3d, subnet-5e5f6a7b]
        alb_security_group_id: sg-0a1b2c3d4e5f60718
        app_security_group_id: sg-1b2c3d4e5f6071829
        db_security_group_id: sg-2c3d4e5f607182930
    database:
      description: The secret's ARN (never its value), the instance id, its endpoint's host and port (int), and
        the database name.
      returned: when requested
      type: dict
      sample:
        secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:djangoapp/app-mWEfwN
        instance_id: djangoapp-db
        host: djangoapp-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com
        port: 5432
        name: django
    image:
      description: The image reference (C(registry/repository:tag)), its tag, the repository's ARN and the
        registry.
      returned: when requested
      type: dict
      sample:
        image: 127.0.0.1:5057/djangoapp:0882bdcba9523668
        image_tag: 0882bdcba9523668
        repository_arn: arn:aws:ecr:us-east-1:123456789012:repository/djangoapp
        registry: 127.0.0.1:5057
    load_balancer:
      description: The load balancer's ARN and DNS name, the target group's ARN, the app URL and the domain names.
      returned: when requested
      type: dict
      sample:
        arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/djangoapp-alb/0123456789abcdef
        dns_name: djangoapp-alb-1.us-east-1.elb.amazonaws.com
        target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/djangoapp-web/0123456789abcdef
        app_url: http://djangoapp-alb-1.us-east-1.elb.amazonaws.com
        domain_names: []
    task_definitions:
      description: The newest C(ACTIVE) web and migration task definitions (C(family:revision)) and the log group.
      returned: when requested
      type: dict
      sample:
        web: djangoapp-web:3
        migrate: djangoapp-migrate:3
        log_group: /ecs/djangoapp
    cluster:
      description: The cluster's name and tags, the migration recorded in its tag C(fargate:migrated) (empty when
        none) and the workers recorded in its tags C(fargate:worker:<name>) (names, sorted).
      returned: when requested
      type: dict
      sample:
        name: djangoapp
        tags: {"fargate:migrated": "djangoapp-migrate:3", "fargate:stack": djangoapp}
        migrated_task_definition: djangoapp-migrate:3
        workers: []
    service:
      description: The cluster and service names, a one-line status, the service's task definition
        (C(family:revision)), and its desired and running counts.
      returned: when requested
      type: dict
      sample:
        cluster_name: djangoapp
        name: djangoapp-web
        status: djangoapp-web ACTIVE, djangoapp-web:3, running 1/1
        task_definition: djangoapp-web:3
        desired_count: 1
        running_count: 1
    network_detail:
      description:
        - Lists in the shapes of the stock info modules. C(vpcs) as amazon.aws.ec2_vpc_net_info returns them, without
          C(enable_dns_support) and C(enable_dns_hostnames) (not read), C(subnets) as ec2_vpc_subnet_info,
          C(internet_gateways) as ec2_vpc_igw_info, C(route_tables) as ec2_vpc_route_table_info, C(nat_gateways) as
          ec2_vpc_nat_gateway_info (pending or available; empty without O(names.nat_gateway)) and
          C(security_groups) as ec2_security_group_info (the three groups of O(names.security_group_names)).
        - For the stack's own VPC, every VPC with its tags (the lists after it stay empty unless there is exactly
          one); with O(names.vpc_id), C(vpcs), C(internet_gateways), C(route_tables) and C(nat_gateways) are empty
          and C(subnets) are the given ones (empty when one of them does not exist).
        - The part is listed in RV(missing) when the VPC, a subnet or a security group is missing; it still returns
          what exists.
      returned: when requested
      type: dict
      sample:
        vpcs: [{vpc_id: vpc-405653b6d130c5672, id: vpc-405653b6d130c5672, cidr_block: 10.0.0.0/16,
                tags: {Name: djangoapp, "fargate:stack": djangoapp}}]
        subnets: [{subnet_id: subnet-0a1b2c3d, id: subnet-0a1b2c3d, cidr_block: 10.0.0.0/24,
                   availability_zone: us-east-1a, map_public_ip_on_launch: true, tags: {Name: djangoapp-public-a}}]
        internet_gateways: [{internet_gateway_id: igw-0a1b2c3d, attachments: [{state: available,
                             vpc_id: vpc-405653b6d130c5672}], tags: {Name: djangoapp}}]
        route_tables: [{route_table_id: rtb-0a1b2c3d, associations: [{subnet_id: subnet-0a1b2c3d}],
                        routes: [{destination_cidr_block: 0.0.0.0/0, gateway_id: igw-0a1b2c3d}],
                        tags: {Name: djangoapp-public}}]
        nat_gateways: []
        security_groups: [{group_name: djangoapp-alb, group_id: sg-0a1b2c3d4e5f60718, ip_permissions: [],
                           ip_permissions_egress: [], tags: {Name: djangoapp-alb}}]
    load_balancer_detail:
      description:
        - The load balancer as amazon.aws.elb_application_lb_info returns it with C(include_attributes=false),
          C(include_listeners=true), C(include_listener_rules=false), and the target group as
          community.aws.elb_target_group_info returns it (attributes merged in, C(.) replaced by C(_)); each with
          C(tags) as a dict. An empty dict for the one that does not exist; the part is listed in RV(missing) then,
          and still returns the other.
      returned: when requested
      type: dict
      contains:
        load_balancer:
          description: The load balancer, with C(listeners) (each with its C(default_actions)) and C(tags).
          type: dict
          returned: always
          sample:
            load_balancer_name: djangoapp-alb
            load_balancer_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/djangoapp-alb/5fad5d
            dns_name: djangoapp-alb-1.us-east-1.elb.amazonaws.com
            scheme: internet-facing
            type: application
            security_groups: [sg-0a1b2c3d4e5f60718]
            availability_zones: [{zone_name: us-east-1a, subnet_id: subnet-0a1b2c3d}]
            listeners: [{port: 80, protocol: HTTP, default_actions: [{type: forward, target_group_arn: "arn:..."}]}]
            tags: {"fargate:stack": djangoapp}
        target_group:
          description: The target group with its attributes and C(tags).
          type: dict
          returned: always
          sample:
            target_group_name: djangoapp-web
            target_group_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/djangoapp-web/ee7e725a
            protocol: HTTP
            port: 8000
            health_check_path: /health/
            matcher: {http_code: "200"}
            deregistration_delay_timeout_seconds: "30"
            tags: {"fargate:stack": djangoapp}
missing:
  description: The requested parts that do not exist, each with the message of the role that creates it.
  returned: always
  type: list
  elements: dict
  sample:
    - part: load_balancer
      message: "alb: load balancer djangoapp-alb or target group djangoapp-web not found: run
        `ansible-playbook site.yml --tags alb` first."
api_calls:
  description: How many AWS API calls the look-up made (the automatic retries of a throttled call and the registry
    HEAD not counted).
  returned: always
  type: int
  sample: 13
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for
from ansible_collections.django_ecs.fargate.plugins.module_utils.stack_lookup import (
    ALL_PARTS,
    PARTS,
    RegistryError,
    StackLookup,
    stack_names,
)

NAMES_SPEC = dict(
    vpc_id=dict(type="str", default=""),
    vpc_name=dict(type="str"),
    public_subnet_cidrs=dict(type="list", elements="str", default=["10.0.0.0/24", "10.0.1.0/24"]),
    private_subnet_cidrs=dict(type="list", elements="str", default=["10.0.10.0/24", "10.0.11.0/24"]),
    public_subnet_ids=dict(type="list", elements="str", default=[]),
    private_subnet_ids=dict(type="list", elements="str", default=[]),
    security_group_names=dict(
        type="dict", options=dict(alb=dict(type="str"), app=dict(type="str"), db=dict(type="str"))
    ),
    secret_name=dict(type="str"),
    db_instance_id=dict(type="str"),
    db_name=dict(type="str", default="django"),
    repository_name=dict(type="str"),
    image_tag=dict(type="str"),
    registry=dict(type="str", default=""),
    registry_scheme=dict(type="str", default=""),
    alb_name=dict(type="str"),
    target_group_name=dict(type="str"),
    app_url=dict(type="str", default=""),
    domain_names=dict(type="list", elements="str", default=[]),
    https=dict(type="bool", default=False),
    nat_gateway=dict(type="bool", default=False),
    web_family=dict(type="str"),
    migrate_family=dict(type="str"),
    log_group=dict(type="str"),
    cluster_name=dict(type="str"),
    service_name=dict(type="str"),
)

ARGUMENT_SPEC = dict(
    stack_name=dict(type="str", required=True),
    parts=dict(type="list", elements="str", choices=list(ALL_PARTS), default=list(PARTS)),
    require=dict(type="bool", default=True),
    names=dict(type="dict", default={}, options=NAMES_SPEC),
)


def validate_params(params, names):
    """What the options cannot say themselves: checked before any AWS call."""
    errors = []
    if not params["stack_name"]:
        errors.append("stack_name must not be empty")
    if "image" in params["parts"] and not names["image_tag"]:
        errors.append("names.image_tag is required for the image part (the tag of the current sources)")
    if {"network", "network_detail"} & set(params["parts"]) and names["vpc_id"]:
        for key in ("public_subnet_ids", "private_subnet_ids"):
            if not names[key]:
                errors.append(f"names.{key} is required with names.vpc_id (an existing VPC)")
    return errors


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    names = stack_names(params["stack_name"], params["names"])
    errors = validate_params(params, names)
    if errors:
        module.fail_json(msg="Invalid options: " + "; ".join(errors), errors=errors)

    def client_for(service):
        return module.client(service, retry_decorator=retry_for(service))

    lookup = StackLookup(names, client_for)
    try:
        stack, missing = lookup.describe(set(params["parts"]))
    except RegistryError as e:
        module.fail_json(msg=str(e), api_calls=len(lookup.calls))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed while {lookup.step}")
    result = dict(changed=False, stack=stack, missing=missing, api_calls=len(lookup.calls))
    if missing and params["require"]:
        module.fail_json(msg=" ".join(m["message"] for m in missing), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
