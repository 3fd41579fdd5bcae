"""What happens to an asynchronous event after each attempt: AWS Lambda's rules, pure.

- A function error (the code's or the runtime's, timeouts included) is retried up to
  `maximum_retry_attempts` times, after `retry_delays` (AWS: 1 and 2 minutes).
- A throttle is retried with exponential back-off from 1 s to 5 min and does not count as an
  attempt.
- Reserved concurrency 0 sends the event straight to the failure path, not attempted at all.
- An event older than `maximum_event_age` when it is due is not attempted again.

Time comes in as arguments, so the rules are tested without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..manifest import AsyncConfig

THROTTLE_BACKOFF_MAX = 300.0
"""Seconds: the longest wait between throttled attempts."""

SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"
ZERO_RESERVED_CONCURRENCY = "ZeroReservedConcurrency"


@dataclass(frozen=True)
class Decision:
    """`retry` at `retry_at` (epoch seconds), or `finish` with a destination `condition`."""

    action: str
    condition: str | None = None
    retry_at: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.condition == SUCCESS


def after_attempt(
    outcome: str, *, attempts: int, throttles: int, now: float, config: AsyncConfig
) -> Decision:
    """Decide after an attempt whose `outcome` is `success`, `error`, `throttled` or
    `zero_concurrency`. `attempts` counts the attempts that ran the function (this one
    included); `throttles` the throttled ones so far (this one included)."""
    if outcome == "success":
        return Decision("finish", SUCCESS)
    if outcome == "zero_concurrency":
        return Decision("finish", ZERO_RESERVED_CONCURRENCY)
    if outcome == "throttled":
        backoff = min(2.0 ** max(0, throttles - 1), THROTTLE_BACKOFF_MAX)
        return Decision("retry", retry_at=now + backoff)
    if attempts > config.maximum_retry_attempts:
        return Decision("finish", RETRIES_EXHAUSTED)
    delay = config.retry_delays[min(attempts, len(config.retry_delays)) - 1]
    return Decision("retry", retry_at=now + delay)


def expired(*, enqueued_at: float, now: float, config: AsyncConfig) -> bool:
    """An event due now but older than the maximum event age is not attempted again."""
    return now - enqueued_at > config.maximum_event_age
