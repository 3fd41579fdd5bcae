"""The time a test's asynchronous events run on: the real time plus what the test moved it
forward by. Retry delays, throttle back-off, event age and lease expiry are all read from
it (the worker's `clock`, the enqueue's `now`), so a test of "fails twice, then goes to the
dead-letter queue" takes milliseconds, not three minutes. Queues' visibility timeouts and
delays, log timestamps and the functions' own clocks keep the real time."""

from __future__ import annotations

import time

from ..errors import UsageError


class Clock:
    """Never goes back; starts at the real time in each test."""

    def __init__(self) -> None:
        self.offset = 0.0
        """Seconds this clock is ahead of the real time."""

    def now(self) -> float:
        """Epoch seconds."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` (>= 0); the new time."""
        if not seconds >= 0:  # also NaN
            raise UsageError(f"clock.advance: seconds must be 0 or more, not {seconds}")
        self.offset += seconds
        return self.now()

    def advance_to(self, moment: float) -> float:
        """Move forward to `moment` (epoch seconds), if it is ahead; the new time."""
        return self.advance(max(0.0, moment - self.now()))
