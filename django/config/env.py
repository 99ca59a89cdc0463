"""A tiny helper to read settings from the environment (no django-environ dependency).

Every reader raises ImproperlyConfigured naming the variable when a required value is missing
or a value cannot be parsed, so a misconfigured task stops at start-up with a clear message.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_REQUIRED = object()


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str | None | object = _REQUIRED, *, why: str = "") -> str | None:
    """The variable's value; `default` when unset or empty; ImproperlyConfigured when required."""
    value = _raw(name)
    if value:
        return value
    if default is _REQUIRED:
        raise ImproperlyConfigured(f"Set the {name} environment variable{f' ({why})' if why else ''}.")
    return default  # type: ignore[return-value]


def env_bool(name: str, default: bool = False) -> bool:
    """true/false, 1/0, yes/no, on/off (any case); unset -> default; empty -> False."""
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off.")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]
