"""The app image on a real Docker engine and a real PostgreSQL: build, migrate, serve, rebuild.

Everything created here (containers, tagged images, the database) is removed by finalizers, also
when a test fails. The engine's build cache (untagged intermediate layers) is kept on purpose: it
is what makes the next run warm, as on a developer machine or a CI runner with a cache.
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
DOCKER = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"
RUN_ID = uuid.uuid4().hex[:10]
APP_HOST = "app.example.test"
ALB_HEALTH_HOST = "10.0.3.17:8000"
REBUILD_LIMIT_S = 20


def docker(*args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess:
    # The classic builder (Debian's docker 20.10 has no buildx): predictable "Using cache" output.
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    result = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])}... exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def build(context: Path, tag: str, base_image: str) -> tuple[float, str]:
    started = time.monotonic()
    result = docker("build", "--network", "host", "--build-arg", f"BASE_IMAGE={base_image}", "-t", tag, str(context))
    return time.monotonic() - started, result.stdout


def step_output(build_log: str, needle: str) -> str:
    """The classic builder's output of the first `Step N/M : ...` containing needle."""
    steps = re.split(r"^Step \d+/\d+ : ", build_log, flags=re.MULTILINE)
    return next(step for step in steps if needle in step.splitlines()[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, host: str = APP_HOST, **headers: str) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host, **headers})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def base_image(docker_engine):
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "base-image.sh")], check=True, capture_output=True, text=True, timeout=600
    ).stdout.strip()


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """A copy of django/ as the build context, so the rebuild test can change code freely."""
    dest = tmp_path_factory.mktemp("context") / "django"
    shutil.copytree(ROOT / "django", dest, ignore=shutil.ignore_patterns("__pycache__", "staticfiles"))
    return dest


@pytest.fixture(scope="module")
def image(request, base_image, context):
    tag = f"django-ecs-test/app:{RUN_ID}"
    request.addfinalizer(lambda: docker("rmi", "-f", tag, check=False))
    seconds, _build_log = build(context, tag, base_image)
    size = int(docker("image", "inspect", tag, "--format", "{{.Size}}").stdout)
    print(f"\nbuild ({base_image}): {seconds:.1f} s, image size {size / 1e6:.0f} MB")
    return tag


@pytest.fixture(scope="module")
def database(postgres):
    """A fresh database for this run; dropped at the end."""
    name = f"imgtest_{RUN_ID}"
    params = {k: postgres[k] for k in ("host", "port", "user", "password")}
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield {**postgres, "dbname": name}
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database: dict, **overrides: str | None) -> list[str]:
    """`docker run -e` arguments for the app; an override of None leaves the variable out."""
    env = {
        "DJANGO_SECRET_KEY": "image-test-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": APP_HOST,
        "DB_HOST": database["host"],
        "DB_PORT": str(database["port"]),
        "DB_NAME": database["dbname"],
        "DB_USER": database["user"],
        "DB_PASSWORD": database["password"],
        **overrides,
    }
    return [arg for name, value in env.items() if value is not None for arg in ("-e", f"{name}={value}")]


def run_once(request, image: str, env: list[str], *command: str) -> subprocess.CompletedProcess:
    name = f"django-ecs-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
    request.addfinalizer(lambda: docker("rm", "-f", name, check=False))
    return docker("run", "--rm", "--name", name, "--network", "host", *env, image, *command, check=False)


@pytest.fixture(scope="module")
def migrated(request, image, database):
    result = run_once(request, image, app_env(database), "python", "manage.py", "migrate", "--no-input")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Applying notes.0001_initial... OK" in result.stdout
    return database


@pytest.fixture(scope="module")
def server(request, image, migrated):
    """The image's default command (gunicorn) on a free port; yields (container name, port)."""
    port = free_port()
    name = f"django-ecs-test-{RUN_ID}-web"
    request.addfinalizer(lambda: docker("rm", "-f", name, check=False))
    env = app_env(migrated, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
    docker("run", "-d", "--name", name, "--network", "host", *env, image)
    deadline = time.monotonic() + 30
    while True:
        try:
            if get(port, "/health/", host=ALB_HEALTH_HOST)[0] == 200:
                break
        except OSError:
            pass
        running = docker("inspect", name, "--format", "{{.State.Running}}").stdout.strip()
        if running != "true" or time.monotonic() > deadline:
            logs = docker("logs", name, check=False)
            pytest.fail(f"gunicorn did not answer /health/ (running={running}):\n{logs.stdout}{logs.stderr}")
        time.sleep(0.3)
    return name, port


def test_migrate_runs_as_the_migration_task_does(migrated):
    # The fixture ran exactly `python manage.py migrate --no-input` and checked the exit code.
    with psycopg.connect(**{k: migrated[k] for k in ("host", "port", "user", "password", "dbname")}) as conn:
        assert conn.execute("SELECT count(*) FROM notes_note").fetchone() == (0,)


def test_migrate_with_a_wrong_password_fails(request, image, database):
    env = app_env(database, DB_PASSWORD="wrong")
    result = run_once(request, image, env, "python", "manage.py", "migrate", "--no-input")
    assert result.returncode != 0
    assert "password authentication failed" in result.stderr


def test_missing_secret_key_stops_the_container(request, image, database):
    result = run_once(request, image, app_env(database, DJANGO_SECRET_KEY=None), "python", "manage.py", "check")
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_health_answers_the_alb_with_a_private_ip_host(server):
    _name, port = server
    status, headers, body = get(port, "/health/", host=ALB_HEALTH_HOST)
    assert (status, body) == (200, b"ok\n")
    # Not redirected to https although SSL redirect is on (the default) and no X-Forwarded-Proto is sent.
    assert get(port, "/health/db/", host=ALB_HEALTH_HOST)[0] == 200


def test_pages_and_static_files(server, migrated):
    name, port = server
    params = {k: migrated[k] for k in ("host", "port", "user", "password", "dbname")}
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO notes_note (title, body, pinned, created_at) VALUES (%s, '', false, now())",
            (f"note {RUN_ID}",),
        )

    https = {"X-Forwarded-Proto": "https"}  # what the ALB adds when TLS ends there
    status, _headers, body = get(port, "/", **https)
    assert status == 200, body[:500]
    assert b"1 note in the database" in body and f"note {RUN_ID}".encode() in body

    # SSL redirect is on by default; the ALB header is trusted; unknown hosts stay rejected.
    status, headers, _body = get(port, "/")
    assert (status, headers["Location"]) == (301, f"https://{APP_HOST}/")
    assert get(port, "/", host=ALB_HEALTH_HOST, **https)[0] == 400
    assert get(port, "/admin/login/", **https)[0] == 200

    # The page links its CSS by the hashed name from collectstatic's manifest; whitenoise serves it.
    css = re.search(rb'href="(/static/notes/style\.[0-9a-f]{12}\.css)"', body)
    assert css, body[:800]
    status, headers, content = get(port, css.group(1).decode(), **https)
    assert status == 200 and b"font-family" in content
    assert headers["Content-Type"].startswith("text/css")
    assert "immutable" in headers.get("Cache-Control", "")
    manifest = json.loads(docker("exec", name, "cat", "/app/staticfiles/staticfiles.json").stdout)
    admin_css = manifest["paths"]["admin/css/base.css"]
    status, headers, _body = get(port, f"/static/{admin_css}", **{**https, "Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"


def test_runs_as_non_root_without_a_secret_in_the_image(server, image):
    name, _port = server
    assert docker("exec", name, "id", "-u").stdout.strip() == "10001"
    config = json.loads(docker("image", "inspect", image, "--format", "{{json .Config}}").stdout)
    assert config["User"] and config["User"].split(":")[0] not in ("", "0", "root")
    assert not [e for e in config["Env"] if e.startswith("DJANGO_SECRET_KEY")], config["Env"]
    assert "/opt/venv/bin" == next(e for e in config["Env"] if e.startswith("PATH=")).split("=", 1)[1].split(":")[0]
    assert config["Cmd"] == ["gunicorn", "--config", "gunicorn.conf.py", "config.wsgi"]
    assert "8000/tcp" in config["ExposedPorts"]
    # No build-only value leaked into any layer's recorded environment either.
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    assert "ENV DJANGO_SECRET_KEY" not in history


def test_code_change_rebuild_reuses_the_dependency_layer(request, image, base_image, context):
    views = context / "notes" / "views.py"
    views.write_text(views.read_text().replace("LATEST = 20", "LATEST = 25"))
    tag = f"django-ecs-test/app:{RUN_ID}-rebuild"
    request.addfinalizer(lambda: docker("rmi", "-f", tag, check=False))
    seconds, log = build(context, tag, base_image)
    size = int(docker("image", "inspect", tag, "--format", "{{.Size}}").stdout)
    print(f"\nrebuild after a one-line code change: {seconds:.1f} s, image size {size / 1e6:.0f} MB")
    assert "Using cache" in step_output(log, "pip install"), log
    assert "Using cache" in step_output(log, "COPY --from=builder /opt/venv"), log
    assert "Using cache" not in step_output(log, "COPY . /app"), log
    assert seconds < REBUILD_LIMIT_S, f"rebuild took {seconds:.1f} s"
    assert docker("run", "--rm", "--network", "host", tag, "grep", "-c", "LATEST = 25", "notes/views.py").stdout
