"""Each module's argument spec is the interface its DOCUMENTATION promises (types, defaults, choices,
required, aliases, sub-options), and uses only keys Ansible knows: Ansible ignores a misspelt key
(``requried=True``) silently. ansible-test's validate-modules checks the same in `make sanity`; this is
the seconds-fast version, which the mutation run counts."""

import importlib

import pytest
import yaml
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from fakes import run_module

MODULES = [
    "ecr_image_tag_info",
    "ecr_repository",
    "ecs_run_task",
    "ecs_service_deploy",
    "ecs_task_definition",
    "scheduler_schedules",
    "secret_json_keys",
]

# The keys ansible-core reads from an option spec (ansible.module_utils.common.parameters).
SPEC_KEYS = {
    "aliases",
    "apply_defaults",
    "choices",
    "default",
    "deprecated_aliases",
    "elements",
    "fallback",
    "mutually_exclusive",
    "no_log",
    "options",
    "removed_at_date",
    "removed_from_collection",
    "removed_in_version",
    "required",
    "required_by",
    "required_if",
    "required_one_of",
    "required_together",
    "type",
}


class Captured(Exception):
    def __init__(self, kwargs):
        super().__init__("argument spec captured")
        self.kwargs = kwargs


def module_spec(name, monkeypatch):
    """(argument_spec, other AnsibleAWSModule kwargs) the module's main() builds, without running it."""

    def capture(self, **kwargs):
        raise Captured(kwargs)

    monkeypatch.setattr(AnsibleAWSModule, "__init__", capture)
    mod = importlib.import_module(f"ansible_collections.django_ecs.fargate.plugins.modules.{name}")
    with pytest.raises(Captured) as captured:
        mod.main()
    kwargs = dict(captured.value.kwargs)
    return kwargs.pop("argument_spec"), kwargs, yaml.safe_load(mod.DOCUMENTATION)["options"]


def compare(spec, doc, path):
    """Messages for every difference between spec options and documented options."""
    problems = []
    for name in sorted(set(spec) | set(doc)):
        where = f"{path}{name}"
        if name not in doc:
            problems.append(f"{where}: in the argument spec, not documented")
            continue
        if name not in spec:
            problems.append(f"{where}: documented, not in the argument spec")
            continue
        s, d = spec[name], doc[name]
        unknown = sorted(set(s) - SPEC_KEYS)
        if unknown:
            problems.append(f"{where}: unknown argument spec keys {unknown}")
        # Ansible treats a missing type as str, and a missing required/default as False/None.
        checks = {
            "type": (s.get("type") or "str", d.get("type", "str")),
            "required": (bool(s.get("required", False)), bool(d.get("required", False))),
            "default": (s.get("default"), d.get("default")),
            "choices": (s.get("choices"), d.get("choices")),
            "elements": (s.get("elements"), d.get("elements")),
            "aliases": (s.get("aliases") or [], d.get("aliases") or []),
        }
        for key, (in_spec, in_doc) in checks.items():
            if in_spec != in_doc and not (key == "default" and in_doc is None and in_spec in ({}, [])):
                problems.append(f"{where}: {key} is {in_spec!r} in the spec, {in_doc!r} in the documentation")
        if "options" in s or "suboptions" in d:
            problems.extend(compare(s.get("options") or {}, d.get("suboptions") or {}, where + "."))
    return problems


@pytest.mark.parametrize("name", MODULES)
def test_argument_spec_matches_the_documentation(name, monkeypatch):
    spec, _kwargs, doc = module_spec(name, monkeypatch)
    assert compare(spec, doc, "") == []


def test_secret_json_keys_tags_and_values_default_to_empty(monkeypatch):
    spec, _kwargs, _doc = module_spec("secret_json_keys", monkeypatch)
    assert spec["values"]["default"] == {} and spec["generate"]["default"] == []


@pytest.mark.parametrize("name", MODULES)
def test_modules_support_check_mode(name, monkeypatch):
    _spec, kwargs, _doc = module_spec(name, monkeypatch)
    assert kwargs.get("supports_check_mode") is True


def test_service_name_requires_its_network_and_task_definition(capsys, monkeypatch):
    from ansible_collections.django_ecs.fargate.plugins.modules import ecs_service_deploy

    monkeypatch.setattr(AnsibleAWSModule, "client", lambda *a, **k: pytest.fail("no AWS call expected"))
    failed, result = run_module(ecs_service_deploy.main, {"region": "us-east-1", "cluster": "c", "name": "web"}, capsys)
    assert failed
    assert "missing parameter(s) required by 'name': task_definition, subnets, security_groups" in result["msg"]
