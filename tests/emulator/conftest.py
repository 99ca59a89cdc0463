"""Fixtures of the local runtime's tests (defined in runtime_env.py, which the tests import by name:
`from conftest import` would find whichever conftest pytest loaded last)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


from runtime_env import rt, runtime_image, runtime_moto

__all__ = ["rt", "runtime_image", "runtime_moto"]
