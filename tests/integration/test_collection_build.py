"""The collection as users install it: `ansible-galaxy collection build` + `install`, then the playbooks
run by FQCN from another folder (no repository ansible.cfg), and the tarball holds no local clutter."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.moto
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("collection")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    build = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", str(ROOT), "--output-path", str(work)],
        capture_output=True, text=True, check=False, env=env, cwd=work,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (tarball,) = work.glob("django_ecs-fargate-*.tar.gz")
    install = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(work / "collections"),
         "--no-deps"],
        capture_output=True, text=True, check=False, env=env, cwd=work,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    env["ANSIBLE_COLLECTIONS_PATH"] = str(work / "collections")
    return work, tarball, env


def test_tarball_holds_the_collection_and_no_local_clutter(installed):
    _work, tarball, _env = installed
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    for wanted in ("MANIFEST.json", "meta/runtime.yml", "playbooks/site.yml", "playbooks/migrate.yml",
                   "playbooks/destroy.yml", "roles/ecs_service/tasks/main.yml", "plugins/modules/ecs_run_task.py",
                   "django/Dockerfile", "inventories/local/hosts.yml"):  # fmt: skip
        assert wanted in names, wanted
    # The emulator and its scripts stay in the checkout: nothing installed starts local services.
    for unwanted in ("collections/", ".venv/", ".git/", ".run/", "molecule/", "__pycache__"):
        assert not [n for n in names if unwanted in n], unwanted
    for top in ("emulator/", "scripts/", "tests/emulator/"):
        assert not [n for n in names if n.startswith(top)], top


def test_playbooks_resolve_by_fqcn(installed):
    work, _tarball, env = installed
    for playbook in ("site", "migrate", "manage", "status", "rollback", "destroy"):
        proc = subprocess.run(
            [str(BIN / "ansible-playbook"), f"django_ecs.fargate.{playbook}", "--syntax-check",
             "-i", str(work / "collections/ansible_collections/django_ecs/fargate/inventories/local")],
            capture_output=True, text=True, check=False, env=env, cwd=work,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = subprocess.run(
        [str(BIN / "ansible-doc"), "django_ecs.fargate.ecs_run_task", "django_ecs.fargate.service_status"],
        capture_output=True, text=True, check=False, env=env, cwd=work,
    )  # fmt: skip
    assert doc.returncode == 0 and "network_from_service" in doc.stdout, doc.stderr
    assert "rollback_target" in doc.stdout


def test_installed_site_playbook_runs_a_role_against_the_emulator(installed, moto_url):
    work, _tarball, env = installed
    env.update(DJANGO_ECS_MOTO_URL=moto_url, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "django_ecs.fargate.site", "--tags", "network",
         "-i", str(work / "collections/ansible_collections/django_ecs/fargate/inventories/local"),
         "-e", f"ansible_python_interpreter={sys.executable}"],
        capture_output=True, text=True, check=False, env=env, cwd=work,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "fargate_vpc_id" in proc.stdout or "Publish the network outputs" in proc.stdout
    assert "Check that the local emulator is running" in proc.stdout  # it checks, and starts nothing itself


def readme_inventory() -> str:
    """The minimal inventory the README shows under `# inventory.yml`."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("# inventory.yml\n", 1)[1].split("```", 1)[0]
    assert "fargate_stack_name" in block and "ansible_python_interpreter" in block, block
    return block


def test_the_readme_inventory_drives_the_installed_playbook_from_an_empty_folder(installed, moto_url, tmp_path):
    """An empty folder with only the README's inventory (and the project folder it names); the emulator's
    address and keys come as extra vars, as a user pointing the real-account inventory at the emulator would."""
    _work, _tarball, env = installed
    (tmp_path / "inventory.yml").write_text(readme_inventory())
    (tmp_path / "mysite-project").mkdir()
    (tmp_path / "mysite-project" / "Dockerfile").write_text("FROM scratch\n")
    env = {**env, "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "django_ecs.fargate.site", "-i", "inventory.yml", "--tags", "network",
         "-e", "fargate_emulator=true", "-e", "fargate_environment=local", "-e", f"fargate_aws_endpoint_url={moto_url}",
         "-e", "fargate_aws_access_key=testing", "-e", "fargate_aws_secret_key=testing",
         "-e", "fargate_aws_region=us-east-1", "-e", "ecs_service_wait=false"],
        capture_output=True, text=True, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "failed=0" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.yml", "mysite-project"]  # nothing written here
