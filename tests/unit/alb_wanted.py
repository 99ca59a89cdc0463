"""What the alb role wants of its target group and load balancer (roles/alb/vars/main.yml ``__alb_tg_wanted`` /
``__alb_lb_wanted``), as the drift filters take it: one source for test_fargate_alb and test_stack_info."""


def tg_wanted(vpc_id, tags, **over):
    """The target group settings the role asks for (``over`` replaces some, e.g. a port given as a string)."""
    return {
        "protocol": "HTTP",
        "port": 8000,
        "target_type": "ip",
        "vpc_id": vpc_id,
        "health_check_protocol": "HTTP",
        "health_check_path": "/health/",
        "health_check_port": "traffic-port",
        "health_check_interval_seconds": 10,
        "health_check_timeout_seconds": 5,
        "healthy_threshold_count": 2,
        "unhealthy_threshold_count": 3,
        "matcher": {"http_code": "200"},
        "deregistration_delay_timeout_seconds": 30,
        "tags": tags,
        **over,
    }


def lb_wanted(security_groups, subnets, tags, listeners):
    """The load balancer settings the role asks for; ``listeners`` in API form (Protocol, Port, DefaultActions)."""
    return {
        "scheme": "internet-facing",
        "type": "application",
        "security_groups": security_groups,
        "subnets": subnets,
        "tags": tags,
        "listeners": listeners,
    }
