"""Fixtures of the emulator-backed integration tests (the shared session stack lives in stack.py)."""

from stack import deployed_stack, stack_moto

__all__ = ["deployed_stack", "stack_moto"]
