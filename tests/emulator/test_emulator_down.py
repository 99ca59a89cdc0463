"""The playbooks never start the emulator: against a local inventory whose emulator is down they stop
before any role runs, saying how to start it."""

from __future__ import annotations

import time
import urllib.request

import pytest
from stack import Moto, run_playbook

DOWN_URL = "http://127.0.0.1:5094"


@pytest.mark.parametrize("playbook", ["site.yml", "migrate.yml", "destroy.yml"])
def test_a_playbook_against_a_stopped_emulator_fails_at_once_saying_make_up(playbook):
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{DOWN_URL}/moto-api/", timeout=2)  # noqa: S310 (loopback): really nothing there
    nothing = Moto(DOWN_URL, runtime=False)
    nothing.request_log.parent.mkdir(parents=True, exist_ok=True)
    nothing.request_log.write_text("")  # run_playbook counts calls from this (empty) log
    started = time.monotonic()
    run = run_playbook(nothing, playbook)
    assert run.rc != 0
    assert time.monotonic() - started < 60
    assert "The local AWS emulator does not answer at http://127.0.0.1:5094" in run.output
    assert "make up" in run.output
    # Only input validation (no AWS call) ran before; nothing ran after the check.
    after = run.output.split("TASK [Stop when the local emulator is down]", 1)[1]
    assert "TASK [" not in after, after[:2000]
    assert not nothing.up()  # and nothing was started behind our back
