"""The emulator's corrections of moto's answers, each against the answer AWS gives (in-process moto, no server)."""

from __future__ import annotations

import boto3
from moto import mock_aws

from emulator import aws_shapes


def test_a_nat_gateways_tags_are_found_by_the_resource_type_aws_reports():
    aws_shapes.apply()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(
            SubnetId=subnet, AllocationId=eip,
            TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "stack-nat"}]}],
        )["NatGateway"]["NatGatewayId"]  # fmt: skip
        # What amazon.aws's describe_ec2_tags asks (ec2_vpc_nat_gateway's idempotence depends on it).
        tags = ec2.describe_tags(
            Filters=[{"Name": "resource-id", "Values": [nat]}, {"Name": "resource-type", "Values": ["natgateway"]}]
        )["Tags"]
    assert tags == [{"Key": "Name", "ResourceId": nat, "ResourceType": "natgateway", "Value": "stack-nat"}]
