"""Unit-test set-up: every module run starts with no warnings left over from an earlier test."""

import pytest
from ansible.module_utils.common import warnings


@pytest.fixture(autouse=True)
def no_leftover_warnings():
    """ansible-core keeps module warnings in a process-wide dict (one module run per process in real life):
    clear it, so a test that asserts a result has no (or certain) warnings sees only its own run's."""
    warnings._global_warnings.clear()
    warnings._global_deprecations.clear()
    yield
