"""Settings from the environment: required variables, parsing, and the production checks.

`manage.py` runs in a subprocess with a crafted environment, as ECS would start the container.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

DJANGO_DIR = Path(__file__).resolve().parents[2] / "django"
PRODUCTION_SECRET = "prod-" + "x7Qm2Lp9Zr4Tn8Wv" * 4  # 69 varied characters: check --deploy accepts it


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=DJANGO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production_env(app_env, **overrides):
    production = {
        "DJANGO_SECRET_KEY": PRODUCTION_SECRET,
        "DJANGO_DEBUG": None,  # off by default
        "DJANGO_SECURE_SSL_REDIRECT": None,  # on by default
        "DJANGO_ALLOWED_HOSTS": "app.example.test,djangoapp-alb-123.us-east-1.elb.amazonaws.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://app.example.test",
    }
    return app_env(**{**production, **overrides})


def test_check_passes_with_the_test_environment(app_env):
    result = manage(app_env(), "check")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_passes_with_a_production_environment(app_env):
    result = manage(production_env(app_env), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_weak_production_setup(app_env):
    env = production_env(app_env, DJANGO_SECRET_KEY="short", DJANGO_SECURE_SSL_REDIRECT="false")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W009" in result.stderr  # weak SECRET_KEY
    assert "security.W008" in result.stderr  # no SSL redirect


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "Set the DJANGO_SECRET_KEY environment variable (required when DJANGO_DEBUG is off)"),
        ("DB_NAME", "Set the DB_NAME environment variable"),
        ("DB_HOST", "Set the DB_HOST environment variable"),
        ("DB_USER", "Set the DB_USER environment variable"),
    ],
)
def test_a_missing_required_variable_stops_start_up(app_env, missing, message):
    for value in (None, ""):  # unset, or set but empty (a task definition with a blank value)
        result = manage(app_env(**{missing: value}), "check")
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert message in result.stderr


def test_debug_mode_needs_no_secret_key_and_allows_localhost(app_env):
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECRET_KEY.startswith('django-insecure'), s.ALLOWED_HOSTS)"
    )
    env = app_env(DJANGO_DEBUG="true", DJANGO_SECRET_KEY=None, DJANGO_ALLOWED_HOSTS=None)
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True ['localhost', '127.0.0.1', '[::1]']"


def test_a_bad_debug_value_stops_start_up(app_env):
    result = manage(app_env(DJANGO_DEBUG="maybe"), "check")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_production_defaults(app_env):
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.DATABASES['default']['PORT'], s.CSRF_TRUSTED_ORIGINS)"
    )
    result = manage(production_env(app_env, DB_PORT=None), "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True True 3600 5432 ['https://app.example.test']"


def test_plain_http_alb_turns_secure_cookies_and_hsts_off(app_env):
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    result = manage(production_env(app_env, DJANGO_SECURE_SSL_REDIRECT="false"), "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False 0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("True", True),
        (" yes ", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_parsing(monkeypatch, value, expected):
    monkeypatch.setenv("DJANGO_DEBUG", value)
    assert env_bool("DJANGO_DEBUG") is expected


def test_env_bool_default_and_invalid(monkeypatch):
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    assert env_bool("DJANGO_DEBUG") is False
    assert env_bool("DJANGO_DEBUG", True) is True
    monkeypatch.setenv("DJANGO_DEBUG", "enabled")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG='enabled' is not a boolean"):
        env_bool("DJANGO_DEBUG")


def test_env_str_int_list(monkeypatch):
    monkeypatch.delenv("X_MISSING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set the X_MISSING environment variable"):
        env_str("X_MISSING")
    assert env_str("X_MISSING", "fallback") == "fallback"
    monkeypatch.setenv("X_PORT", "6543")
    assert env_int("X_PORT", 5432) == 6543
    monkeypatch.setenv("X_PORT", "")
    assert env_int("X_PORT", 5432) == 5432
    monkeypatch.setenv("X_PORT", "abc")
    with pytest.raises(ImproperlyConfigured, match="X_PORT='abc' is not an integer"):
        env_int("X_PORT", 5432)
    monkeypatch.setenv("X_HOSTS", " a.example , ,b.example,")
    assert env_list("X_HOSTS") == ["a.example", "b.example"]
    monkeypatch.delenv("X_HOSTS")
    assert env_list("X_HOSTS", ["d"]) == ["d"]
