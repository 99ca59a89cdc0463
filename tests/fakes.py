"""Test doubles shared by the unit tests."""


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
