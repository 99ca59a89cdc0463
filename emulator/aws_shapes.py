"""Where moto's answers differ from AWS's in a way that changes what the collection's modules do.

Applied to the moto server at start, with or without the runtime. Each fix names the AWS behaviour it restores.
"""

from __future__ import annotations


def apply() -> None:
    # DescribeTags reports a NAT gateway's ResourceType as `natgateway` (the TagSpecifications name); moto says
    # `nat-gateway`, so amazon.aws's ec2_vpc_nat_gateway, which filters tags by resource-type natgateway, finds
    # none and re-tags the gateway on every run (changed=1 where AWS reports changed=0).
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE

    EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"
