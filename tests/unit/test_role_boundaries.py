"""One data path (issue 12): a role reads its own inputs (<role>_*), its internal variables (__<role>_*), the
inventory-wide settings (fargate_stack_name, fargate_aws_*, ...) and the two structures the playbooks define
(fargate_stack: what the roles built; fargate_shared: settings one role owns and another follows, wired by the
playbooks). It never reads another role's variables, nor the global fargate_* facts the roles used to publish.
Checked on the Jinja expressions only (messages may name another role's input as advice)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())
# Inventory-wide settings (docs/architecture.md, "Variables") and the playbooks' two structures.
INVENTORY_WIDE = {
    "fargate_stack_name", "fargate_aws_region", "fargate_aws_endpoint_url", "fargate_aws_profile",
    "fargate_aws_access_key", "fargate_aws_secret_key", "fargate_emulator", "fargate_environment",
    "fargate_app_port", "fargate_registry", "fargate_stack", "fargate_shared",
    # Set by playbooks/tasks/validate_roles.yml: the roles skip their own validate.yml.
    "__fargate_inputs_validated",
}  # fmt: skip
# Keys where the whole string is a Jinja expression.
EXPRESSION_KEYS = {"when", "that", "until", "changed_when", "failed_when"}
JINJA = re.compile(r"{{(.*?)}}|{%(.*?)%}", re.S)
STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
IDENTIFIER = re.compile(r"(?<![\w.])(__)?[a-z][a-z0-9_]*")


def expressions(node, key=None):
    """Every Jinja expression in a parsed YAML document (keys included: set_fact names are variables too)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from expressions(k, None)
            yield from expressions(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from expressions(item, key)
    elif isinstance(node, str):
        if key in EXPRESSION_KEYS:
            yield node
        for match in JINJA.finditer(node):
            yield match.group(1) or match.group(2)


def variables(expression: str) -> set[str]:
    """The names an expression reads: its identifiers outside string literals, attribute names excluded."""
    return {m.group(0) for m in IDENTIFIER.finditer(STRING_LITERAL.sub("''", expression))}


def role_files(role: str):
    base = ROOT / "roles" / role
    for folder in ("tasks", "defaults", "vars", "handlers"):
        yield from sorted((base / folder).glob("*.yml"))


def foreign(role: str, names: set[str]) -> set[str]:
    """The names that belong to another role, or are fargate_* / __fargate_* but not inventory-wide."""
    out = set()
    for name in names:
        bare = name.removeprefix("__")
        if name in INVENTORY_WIDE:
            continue
        if bare.startswith("fargate_"):
            out.add(name)
        for other in ROLES:
            # ecs_service_* is not an ecs_service... prefix of another role; the longest matching prefix wins.
            if other != role and bare.startswith(other + "_") and not bare.startswith(role + "_"):
                out.add(name)
    return out


@pytest.mark.parametrize("role", ROLES)
def test_a_role_reads_no_other_roles_variables(role):
    found = {}
    for path in role_files(role):
        for expression in expressions(yaml.safe_load(path.read_text())):
            for name in foreign(role, variables(expression)):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert not found, f"{role} reads variables of other roles or playbooks: {found}"


@pytest.mark.parametrize("role", ROLES)
def test_no_role_needs_a_naming_exception(role):
    for path in role_files(role):
        assert "noqa: var-naming" not in path.read_text(), path


def test_the_check_sees_a_cross_role_read():
    """The checker itself: a default reading another role's input, or an old global fact, is found."""
    assert foreign("network", variables("alb_certificate_arn | default('') | length > 0")) == {"alb_certificate_arn"}
    assert foreign("alb", variables("fargate_vpc_id")) == {"fargate_vpc_id"}
    assert foreign("ecs_taskdefs", variables("__ecs_jobs_jobs")) == {"__ecs_jobs_jobs"}
    assert foreign("alb", variables("fargate_stack.network.vpc_id | default('')")) == set()
    assert foreign("ecs_service", variables("ecs_service_migrate_timeout + ecs_workers_wait")) == {"ecs_workers_wait"}
    # Messages may name another role's input: string literals are not read.
    assert foreign("ecs_service", variables("'set network_nat_gateway=true' ~ ecs_service_subnets")) == set()
    found = {
        name
        for e in expressions({"when": "alb_name | length > 0", "msg": "{{ rds_secret_name }} x"})
        for name in variables(e)
    }
    assert found == {"alb_name", "length", "rds_secret_name"}  # "when" whole, "msg" only inside {{ }}
