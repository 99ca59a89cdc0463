"""The collection's documentation as ansible-doc and the role argument specs present it: one doc file per filter
(`ansible-doc -t filter django_ecs.fargate.<name>` finds it, by that name), whose options are the filter function's
parameters; `version_added` on the lookup and on every role entry point; argument-spec defaults that say what
defaults/main.yml does. A few seconds (one ansible-doc run)."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FILTER_DIR = ROOT / "plugins" / "filter"
FILTER_FILES = sorted(p.stem for p in FILTER_DIR.glob("*.py") if not p.name.startswith("_"))
ROLES = sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/meta/argument_specs.yml"))
VERSION = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]


def filter_functions() -> dict:
    """Every filter the collection's FilterModules map, by name."""
    found = {}
    for stem in FILTER_FILES:
        module = importlib.import_module(f"ansible_collections.django_ecs.fargate.plugins.filter.{stem}")
        for name, func in module.FilterModule().filters().items():
            assert name not in found, f"filter {name} is mapped twice"
            found[name] = func
    return found


FILTERS = filter_functions()


def ansible_doc(plugin_type: str, *names: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")} | {"ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run(
        [str(BIN / "ansible-doc"), "-t", plugin_type, "--json", *(f"django_ecs.fargate.{n}" for n in names)],
        cwd=ROOT,  # ansible.cfg's collections_path finds the checkout through collections/
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[WARNING]" not in proc.stderr, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def filter_docs():
    return ansible_doc("filter", *FILTERS)


def test_the_collection_has_filters():
    assert len(FILTERS) >= 15, sorted(FILTERS)


def test_every_doc_file_belongs_to_a_filter():
    docs = {p.stem for p in FILTER_DIR.glob("*.yml")}
    assert not docs - set(FILTERS), f"doc files without a filter: {sorted(docs - set(FILTERS))}"
    assert not set(FILTERS) - docs, f"filters without a doc file: {sorted(set(FILTERS) - docs)}"


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_ansible_doc_shows_the_filters_own_doc_file(filter_docs, name):
    entry = filter_docs.get(f"django_ecs.fargate.{name}")
    assert entry, f"ansible-doc found nothing for django_ecs.fargate.{name}"
    doc = entry["doc"]
    assert doc["name"] == name
    assert Path(doc["filename"]).name == f"{name}.yml", doc["filename"]
    assert doc["version_added"] == VERSION
    assert doc["short_description"] and doc["description"] and doc["author"]
    assert "_input" in doc["options"] and doc["options"]["_input"].get("required") is True
    assert "_value" in entry["return"] and entry["return"]["_value"].get("type")
    assert f"django_ecs.fargate.{name}" in entry["examples"]
    yaml.safe_load(entry["examples"])  # the examples are valid YAML


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_the_documented_options_are_the_functions_parameters(filter_docs, name):
    """_input is the first parameter; every other option is a later one, in `positional` order; an option is
    required exactly when its parameter has no default, and a documented default is the function's default (a
    None default that stands for an empty list is documented as that list)."""
    doc = filter_docs[f"django_ecs.fargate.{name}"]["doc"]
    params = list(inspect.signature(FILTERS[name]).parameters.values())
    options = {k: v for k, v in doc["options"].items() if k != "_input"}
    positional = [p.strip() for p in doc.get("positional", "").split(",") if p.strip()]
    assert [p.name for p in params[1:]] == positional
    assert set(options) == set(positional)
    for param in params[1:]:
        option = options[param.name]
        if param.default is inspect.Parameter.empty:
            assert option.get("required") is True, param.name
            assert "default" not in option, param.name
        else:
            assert not option.get("required"), param.name
            assert option.get("default") == ([] if param.default is None else param.default), param.name


def test_the_filter_files_carry_no_documentation_of_their_own():
    """A DOCUMENTATION string in a file of several filters shadows the per-filter doc files (ansible-doc then shows
    the file's text for every filter in it)."""
    for stem in FILTER_FILES:
        module = importlib.import_module(f"ansible_collections.django_ecs.fargate.plugins.filter.{stem}")
        assert not hasattr(module, "DOCUMENTATION"), stem


def test_the_lookup_doc_is_complete():
    entry = ansible_doc("lookup", "context_hash")["django_ecs.fargate.context_hash"]
    doc = entry["doc"]
    assert doc["name"] == "context_hash" and doc["version_added"] == VERSION and doc["author"]
    assert set(doc["options"]) == {"_terms", "build_args", "extra", "length"}
    assert "_raw" in entry["return"] and "django_ecs.fargate.context_hash" in entry["examples"]


def _specs(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def _defaults(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_says_when_it_was_added(role):
    for entry_point, spec in _specs(role).items():
        assert spec.get("version_added") == VERSION, f"{role} entry point {entry_point}"


@pytest.mark.parametrize("role", ROLES)
def test_the_argument_spec_defaults_are_what_defaults_main_does(role):
    """A default in the argument spec is the value of defaults/main.yml. A templated default cannot be stated as a
    value (Ansible does not apply argument-spec defaults; a constant there would be a second, wrong story), so such an
    option has no `default` and its description says what the default is."""
    defaults = _defaults(role)
    for entry_point, spec in _specs(role).items():
        for name, option in (spec.get("options") or {}).items():
            where = f"{role} {entry_point} {name}"
            if name not in defaults:
                assert "default" not in option, f"{where}: a spec default, but none in defaults/main.yml"
            elif "default" in option:
                assert option["default"] == defaults[name], f"{where}: {option['default']!r} vs {defaults[name]!r}"
            else:
                description = option.get("description")
                text = " ".join(description) if isinstance(description, list) else str(description)
                assert "default" in text.lower(), f"{where}: no default in the spec and none in its description"
