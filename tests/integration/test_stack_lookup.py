"""Tag-limited runs of site.yml on the session's deployed stack: what the run does not build is looked up once
(playbooks/tasks/stack_lookup.yml, module stack_info), only the parts its roles read, and a missing part stops the
run before any change with the message of the role that builds it.

The deployed stack is shared with the other modules: these runs only read (they change nothing on it).
"""

from __future__ import annotations

import collections

import pytest

pytestmark = [pytest.mark.moto, pytest.mark.docker]

NETWORK_LOOKUP = ["ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]


def _calls(run) -> collections.Counter:
    return collections.Counter(f"{c['service']}:{c['action']}" for c in run.calls)


def test_tags_alb_reads_the_network_once_and_nothing_else_of_the_stack(deployed_stack):
    run = deployed_stack.site("--tags", "alb")
    assert run.rc == 0, run.describe()
    assert run.recap["changed"] == 0 and run.writes == [], run.describe()
    calls = _calls(run)
    # The look-up: one describe per network resource; the alb role itself reads only the load balancer API.
    assert {call: calls[call] for call in NETWORK_LOOKUP} == dict.fromkeys(NETWORK_LOOKUP, 1), calls
    assert {call.split(":")[0] for call in calls} == {"ec2", "elasticloadbalancing"}, calls
    # The network role did not run: its read is the only one that describes the internet gateway and route tables.
    assert not {"ec2:DescribeInternetGateways", "ec2:DescribeRouteTables"} & set(calls), calls
    assert "Look up the stack" in run.output


def test_tags_ecs_service_looks_up_network_load_balancer_and_definitions_in_one_call(deployed_stack):
    run = deployed_stack.site("--tags", "ecs_service")
    assert run.rc == 0, run.describe()
    assert run.recap["changed"] == 0 and run.writes == [], run.describe()
    calls = _calls(run)
    assert {call: calls[call] for call in NETWORK_LOOKUP} == dict.fromkeys(NETWORK_LOOKUP, 1), calls
    # The load balancer and target group are read by the look-up only (the alb role did not run).
    assert calls["elasticloadbalancing:DescribeLoadBalancers"] == 1, calls
    assert calls["elasticloadbalancing:DescribeListeners"] == 0, calls
    # Neither the database nor the image is read: the service needs neither.
    assert not {call.split(":")[0] for call in calls} & {"rds", "secretsmanager", "ecr", "iam", "logs"}, calls
    assert run.output.count("TASK [Look up the stack]") == 1, run.describe()


def test_a_full_run_looks_nothing_up(deployed_stack):
    run = deployed_stack.site("--check")
    assert run.rc == 0, run.describe()
    assert run.writes == [], run.describe()
    # The look-up task is there, skipped: every part is built (here: checked) by the run's own roles.
    assert "skipping: [localhost]" in run.output.split("TASK [Look up the stack]", 1)[1].split("TASK [", 1)[0]


def test_a_missing_part_stops_the_run_before_any_change_with_the_producing_role_named(deployed_stack):
    # Another stack name: nothing of it exists on the emulator.
    run = deployed_stack.site("--tags", "ecs_service", "-e", "fargate_stack_name=nothere")
    assert run.rc != 0, run.describe()
    assert run.writes == [], run.describe()
    failure = run.failure
    assert "network:" in failure and "run `ansible-playbook site.yml --tags network` first" in failure, failure
    assert "alb:" in failure and "--tags alb` first" in failure, failure
    assert "ecs_taskdefs:" in failure and "--tags ecs_taskdefs` first" in failure, failure
    # It stopped at the look-up: no role task ran.
    assert "TASK [django_ecs.fargate." not in run.output.split("TASK [Look up the stack]", 1)[1], run.describe()
