"""The collection as a release: the tarball holds what ships and nothing git ignores, installs into a fresh path and
passes `ansible-galaxy collection verify`, ansible-builder turns it into an execution environment definition, and
the changelog passes antsibull-changelog's lint. No AWS, no Docker engine: seconds to a minute."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SITE_COLLECTIONS = Path(yaml.__file__).parents[1] / "ansible_collections"  # the `ansible` bundle's collections
DEPENDENCIES = ("amazon/aws", "community/aws", "community/docker")
STRAYS = (".env", "django/.env", "django/staticfiles/stray.css", "plugins/modules/__pycache__/stray.cpython-312.pyc")


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")} | {"ANSIBLE_NOCOLOR": "1"}


def _run(*args: str, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    env = env or _env()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} -> {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The tracked files plus stray git-ignored files, built and installed (with links to the dependencies)."""
    work = tmp_path_factory.mktemp("release")
    source = work / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    for stray in STRAYS:
        (source / stray).parent.mkdir(parents=True, exist_ok=True)
        (source / stray).write_text("SECRET_KEY=stray-local-file\n")
    _run(str(BIN / "ansible-galaxy"), "collection", "build", str(source), "--output-path", str(work), cwd=work)
    (tarball,) = work.glob("django_ecs-fargate-*.tar.gz")
    collections = work / "collections"
    _run(str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(collections), "--no-deps",
         cwd=work)  # fmt: skip
    for dep in DEPENDENCIES:
        link = collections / "ansible_collections" / dep
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(SITE_COLLECTIONS / dep)
    return work, tarball, collections


def test_the_tarball_leaves_out_what_git_ignores(release):
    _work, tarball, _collections = release
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    for stray in STRAYS:
        assert stray not in names, stray
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for wanted in ("COPYING", "bindep.txt", "meta/execution-environment.yml", "meta/ee-requirements.txt",
                   "docs/own-django-project.md", "changelogs/config.yaml", "changelogs/changelog.yaml"):  # fmt: skip
        assert wanted in names, wanted
    print(f"\ntarball: {tarball.stat().st_size} bytes, {len(names)} entries")


def test_galaxy_metadata_points_to_the_docs_and_the_license(release):
    _work, _tarball, collections = release
    manifest = (collections / "ansible_collections/django_ecs/fargate/MANIFEST.json").read_text()
    info = yaml.safe_load(manifest)["collection_info"]
    assert info["documentation"] and info["homepage"] and info["repository"]
    assert info["license"] == ["GPL-3.0-or-later"]
    assert "GNU GENERAL PUBLIC LICENSE" in (collections / "ansible_collections/django_ecs/fargate/COPYING").read_text()


def test_the_installed_collection_verifies(release):
    work, _tarball, collections = release
    proc = _run(str(BIN / "ansible-galaxy"), "collection", "verify", "django_ecs.fargate", "--offline",
                "-p", str(collections), cwd=work)  # fmt: skip
    assert "Successfully verified" in proc.stdout + proc.stderr, proc.stdout


def test_ansible_builder_reads_the_collection_dependencies(release):
    work, _tarball, collections = release
    proc = _run(str(BIN / "ansible-builder"), "introspect", str(collections), cwd=work)
    out = proc.stdout
    for wanted in ("boto3>=1.34.0", "docker>=7.0.0", "ca-certificates"):
        assert wanted in out, out
    assert "django_ecs.fargate" in out
    assert "==" not in out, out  # the lower bounds, not requirements.txt's development pins (ansible==..., boto3==...)


def test_ansible_builder_creates_an_execution_environment_definition(release):
    work, tarball, _collections = release
    ee = work / "ee"
    ee.mkdir()
    (ee / "execution-environment.yml").write_text(yaml.safe_dump({
        "version": 3,
        "images": {"base_image": {"name": "registry.example.invalid/ee-minimal:latest"}},
        "dependencies": {
            "ansible_core": {"package_pip": "ansible-core>=2.19"},
            "ansible_runner": {"package_pip": "ansible-runner"},
            "galaxy": {"collections": [{"name": f"collections/{tarball.name}", "type": "file"}]},
        },
        "additional_build_files": [{"src": str(tarball), "dest": "collections"}],
    }))  # fmt: skip
    _run(str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context", cwd=ee)
    (build_file,) = [p.read_text() for p in (ee / "context").glob("*file")]  # Containerfile or Dockerfile
    assert "ansible-galaxy collection install" in build_file and "introspect" in build_file
    assert (ee / "context/_build/collections" / tarball.name).is_file()  # the collection travels in the context
    requirements = yaml.safe_load((ee / "context/_build/requirements.yml").read_text())
    assert requirements["collections"] == [{"name": f"collections/{tarball.name}", "type": "file"}]


def test_the_changelog_lints():
    _run(str(BIN / "antsibull-changelog"), "lint", cwd=ROOT)
    config = yaml.safe_load((ROOT / "changelogs/config.yaml").read_text())
    assert config["output"][0]["file"] == "CHANGELOG.md"
    fragments = [yaml.safe_load(p.read_text()) for p in (ROOT / "changelogs/fragments").glob("*.yml")]
    assert any("release_summary" in f for f in fragments), "a release summary fragment for the next release"


STANDALONE = """
- name: Each role's input validation on its own, without the stack's inventory
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Validate one role
      ansible.builtin.include_role:
        name: "django_ecs.fargate.{{ item }}"
        tasks_from: validate.yml
      loop: [network, rds_secret, ecr_image, alb, ecs_taskdefs, ecs_service]
"""


def test_every_installed_role_validates_its_inputs_on_its_own(release):
    """No role reads an input it does not declare (alb, ecs_taskdefs, ecs_service failed with
    `'fargate_stack_name' is undefined` when run without the stack's inventory)."""
    work, _tarball, collections = release
    (work / "standalone.yml").write_text(STANDALONE)
    env = _env() | {"ANSIBLE_COLLECTIONS_PATH": str(collections)}
    proc = _run(str(BIN / "ansible-playbook"), "-i", "localhost,", "standalone.yml",
                "-e", f"ansible_python_interpreter={sys.executable}", cwd=work, env=env)  # fmt: skip
    assert "failed=0" in proc.stdout and "undefined" not in proc.stdout, proc.stdout[-3000:]
