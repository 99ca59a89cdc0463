"""The collection as users install it: `ansible-galaxy collection build` + `install`, then the playbooks
run by FQCN from another folder (no repository ansible.cfg), and the tarball holds no local clutter."""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from stack import Moto, _script, base_image

pytestmark = pytest.mark.moto  # the last test also needs Docker (its fixture starts the engine if down)
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
    assert "Register the network outputs" in proc.stdout
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


# ------------------------------------------------------------------ the whole stack from the installed collection
INSTALLED_MOTO_URL = os.environ.get("DJANGO_ECS_INSTALLED_MOTO_URL", "http://127.0.0.1:5089")
# A registry of its own too: this stage runs beside pytest_stack, whose registry a teardown here must not stop.
INSTALLED_REGISTRY = os.environ.get("DJANGO_ECS_INSTALLED_REGISTRY", "127.0.0.1:5090")


@pytest.fixture(scope="module")
def installed_moto(docker_engine):
    """An emulator with the local runtime and a registry on ports of their own (the harness starts
    them, as `make up` would: the installed playbooks start nothing); both stopped at the end."""
    os.environ.setdefault("DJANGO_ECS_BASE_IMAGE", base_image())
    moto = Moto(INSTALLED_MOTO_URL).start()
    moto.reset()
    env = {"DJANGO_ECS_REGISTRY": INSTALLED_REGISTRY}
    registry_started = _script("registry.sh", "status", env=env, check=False).returncode != 0
    _script("registry.sh", "start", env=env)
    yield moto, INSTALLED_REGISTRY
    moto.stop()  # removes the task containers and the databases it started
    if registry_started:
        _script("registry.sh", "stop", env=env, check=False)


def readme_emulator_vars() -> str:
    """The vars file the README shows under `# emulator.yml` (the README inventory pointed at a local emulator)."""
    block = (ROOT / "README.md").read_text().split("# emulator.yml\n", 1)[1].split("```", 1)[0]
    assert "fargate_emulator: true" in block and "fargate_aws_endpoint_url" in block, block
    return block


def this_emulator(moto_url: str, registry: str) -> list[str]:
    """The README's emulator.yml names `make up`'s ports; these extra vars move them to this test's own."""
    lb_port = 20000 + int(moto_url.rsplit(":", 1)[-1]) % 1000 * 10
    values = {
        "fargate_aws_endpoint_url": moto_url, "ecr_image_registry": registry,
        "ecr_image_base_image": os.environ["DJANGO_ECS_BASE_IMAGE"],
        "alb_app_url": f"http://myapp-alb.localhost:{lb_port}",
    }  # fmt: skip
    return [arg for key, value in values.items() for arg in ("-e", f"{key}={value}")]


def test_the_installed_collection_deploys_the_whole_stack_from_an_empty_folder(installed, installed_moto, tmp_path):
    """site.yml by FQCN from an empty folder holding only the README's inventory.yml and emulator.yml (its ports moved
    to this test's emulator by extra vars) and the project the inventory names (a copy of the bundled sample): the
    app answers through the local load balancer, its migration ran, and nothing was written beside those files or
    inside the installed collection."""
    work, _tarball, env = installed
    moto, registry = installed_moto
    (tmp_path / "inventory.yml").write_text(readme_inventory())
    (tmp_path / "emulator.yml").write_text(readme_emulator_vars())
    shutil.copytree(ROOT / "django", tmp_path / "mysite-project", ignore=shutil.ignore_patterns("__pycache__"))
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    collection = work / "collections"
    installed_before = sorted((str(p), p.stat().st_mtime_ns) for p in collection.rglob("*"))
    started = time.monotonic()
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "django_ecs.fargate.site", "-i", "inventory.yml", "-e", "@emulator.yml",
         *this_emulator(moto.url, registry)],
        capture_output=True, text=True, check=False, env={**env, "ANSIBLE_NOCOLOR": "1"}, cwd=tmp_path, timeout=1800,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    print(f"installed site.yml: rc={proc.returncode} in {time.monotonic() - started:.0f}s")
    assert proc.returncode == 0, output[-6000:]
    assert "failed=0" in output
    # The migration ran as an ECS task and stopped with exit code 0 (durable: the stopped task's record).
    ecs = moto.client("ecs")
    arns = ecs.list_tasks(cluster="myapp", family="myapp-migrate", desiredStatus="STOPPED")["taskArns"]
    assert arns, "no stopped migration task"
    tasks = ecs.describe_tasks(cluster="myapp", tasks=arns)["tasks"]
    assert [c.get("exitCode") for t in tasks for c in t["containers"]] == [0] * len(tasks), tasks
    # The printed App URL answers through the local load balancer with the sample app's page.
    found = re.findall(r"App URL:\s+(http://[\w.-]+:\d+)", re.sub(r"\\\n\s*", "", output))
    assert found, output[-4000:]
    url = found[-1]
    assert url.startswith("http://myapp-alb.localhost:"), url
    for path, expected in (("/", "<title>Notes</title>"), ("/health/db/", "ok")):
        # curl sends *.localhost to loopback (glibc does not resolve it): the way a user opens the URL.
        out = subprocess.run(
            ["curl", "-sS", "--max-time", "30", "-w", "\n%{http_code}", f"{url}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        body, code = out.rsplit("\n", 1)
        assert code == "200" and expected in body, (path, code, body[:2000])
    # Nothing written beside the inventory and the project (no .run/, no retry files, no build output) ...
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before
    # ... nor inside the installed collection, which still verifies against the tarball's checksums (FILES.json;
    # `verify` takes no tarball path, and --offline reports added files such as a .run/ folder too).
    assert sorted((str(p), p.stat().st_mtime_ns) for p in collection.rglob("*")) == installed_before
    verify = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "verify", "django_ecs.fargate", "-p", str(collection), "--offline"],
        capture_output=True, text=True, check=False, env=env, cwd=work,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
