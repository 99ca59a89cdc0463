"""Test doubles shared by the unit tests."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


class FakeClock:
    """A monotonic clock that only moves when something sleeps: waits are tested without waiting.
    Call it for the time; pass `clock.sleep` where the code under test sleeps. `sleeps` records each pause
    (rounded to the millisecond, so schedules compare cleanly)."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def serve_clients(monkeypatch, clients):
    """Make AnsibleAWSModule.client hand out stubbed boto3 clients ({service: client}), wrapped for
    retries the way the real one is when the module asks for a retry decorator."""

    def fake_client(self, service, retry_decorator=None, **extra):
        client = clients[service]
        return RetryingBotoClientWrapper(client, retry_decorator) if retry_decorator else client

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)


def run_module(main, module_args, capsys, check_mode=False, diff=False):
    """Run a module's main() with these arguments; return (failed, result)."""
    if check_mode:
        module_args["_ansible_check_mode"] = True
    if diff:
        module_args["_ansible_diff"] = True
    with patch_module_args(module_args), pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code != 0, json.loads(capsys.readouterr().out)
