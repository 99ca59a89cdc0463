"""Django settings for the app's tests: the environment a task would get, pointing at the test PostgreSQL.

The settings read only the environment, so it is filled in here, at import, before Django loads:
- `pytest tests/django ...`: this file is an initial conftest (loaded before pytest-django's
  `pytest_load_initial_conftests`), so pytest-django sets Django up itself;
- when it is loaded later, during collection, `pytest_configure` below (called at once for late
  conftests) finishes the set-up that pytest-django skipped for want of DJANGO_SETTINGS_MODULE.
The DB values match the `postgres` fixture; `django_db_modify_db_settings` starts the server and checks
that the app's settings, as built from the environment, point at it. Once the settings are loaded, the
environment is put back as it was (tests that start `manage.py` build theirs with `app_env`).
"""

import os
import sys
from pathlib import Path

import pytest

DJANGO_DIR = Path(__file__).resolve().parents[2] / "django"
TEST_SECRET_KEY = "test-only-" + "k" * 50

APP_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DJANGO_SECRET_KEY": TEST_SECRET_KEY,
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "app.example.test",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DB_HOST": "127.0.0.1",
    "DB_PORT": os.environ.get("DJANGO_ECS_PG_PORT", "55432"),
    "DB_NAME": "django_ecs_app",  # pytest-django creates and drops test_django_ecs_app
    "DB_USER": "postgres",
    "DB_PASSWORD": "postgres",
}

if str(DJANGO_DIR) not in sys.path:
    sys.path.insert(0, str(DJANGO_DIR))
# Put back after the settings have loaded, so the rest of the session (other folders' tests and
# their subprocesses) does not inherit DB_* / DJANGO_* values. DJANGO_SETTINGS_MODULE stays.
_ORIGINAL_ENV = {name: os.environ.get(name) for name in APP_ENV if name != "DJANGO_SETTINGS_MODULE"}
os.environ.update(APP_ENV)


def _restore_environment() -> None:
    for name, value in _ORIGINAL_ENV.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def pytest_configure(config):
    from django.apps import apps
    from django.conf import settings

    if not apps.ready:
        apps_setup = __import__("django").setup  # (plain `import django` is sorted oddly: see django/ dir)
        apps_setup()
        # What pytest-django does after its own set-up: block DB access outside django_db tests.
        try:
            from pytest_django.plugin import blocking_manager_key
        except ImportError:  # a private name: without it, only the blocking is lost
            blocking_manager_key = None
        if blocking_manager_key is not None:
            config.stash[blocking_manager_key].block()
    assert settings.DATABASES["default"]["NAME"] == APP_ENV["DB_NAME"]  # loaded from APP_ENV
    _restore_environment()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(postgres, django_db_modify_db_settings_parallel_suffix):
    """Start (or reuse) the real PostgreSQL before pytest-django creates the test database. The settings
    are left as the app built them from DB_*: a broken wiring of DB_PASSWORD and friends must fail here."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    wanted = (postgres["host"], str(postgres["port"]), postgres["user"], postgres["password"])
    assert (db["HOST"], str(db["PORT"]), db["USER"], db["PASSWORD"]) == wanted, "the app's DB settings"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings, tmp_path_factory):
    """The manifest storage needs `collectstatic` output; the tests render pages without it."""
    settings.STATIC_ROOT = str(tmp_path_factory.getbasetemp() / "staticfiles")
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def app_env():
    """Build a process environment for `manage.py` runs: os.environ + APP_ENV + overrides
    (an override of None removes the variable)."""

    def build(**overrides: str | None) -> dict[str, str]:
        env = {**os.environ, **APP_ENV}
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    return build
