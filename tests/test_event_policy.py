"""The asynchronous retry rules, with time passed in (no sleeping)."""

from __future__ import annotations

from lambdactl.events import policy
from lambdactl.manifest import AsyncConfig

AWS = AsyncConfig()
T = 1_000_000.0


def test_success_finishes_with_success() -> None:
    decision = policy.after_attempt("success", attempts=1, throttles=0, now=T, config=AWS)
    assert decision == policy.Decision("finish", "Success")
    assert decision.succeeded


def test_errors_are_retried_after_one_then_two_minutes_then_exhausted() -> None:
    first = policy.after_attempt("error", attempts=1, throttles=0, now=T, config=AWS)
    assert first == policy.Decision("retry", retry_at=T + 60)
    second = policy.after_attempt("error", attempts=2, throttles=0, now=T + 60, config=AWS)
    assert second == policy.Decision("retry", retry_at=T + 60 + 120)
    third = policy.after_attempt("error", attempts=3, throttles=0, now=T + 180, config=AWS)
    assert third == policy.Decision("finish", "RetriesExhausted")


def test_fewer_retries_and_shortened_delays() -> None:
    config = AsyncConfig(maximum_retry_attempts=1, retry_delays=(0.5, 1.0))
    assert policy.after_attempt("error", attempts=1, throttles=0, now=T, config=config) == (
        policy.Decision("retry", retry_at=T + 0.5)
    )
    assert policy.after_attempt("error", attempts=2, throttles=0, now=T, config=config) == (
        policy.Decision("finish", "RetriesExhausted")
    )
    none = AsyncConfig(maximum_retry_attempts=0)
    assert policy.after_attempt("error", attempts=1, throttles=0, now=T, config=none) == (
        policy.Decision("finish", "RetriesExhausted")
    )


def test_throttles_back_off_exponentially_to_five_minutes_and_do_not_count() -> None:
    waits = [
        policy.after_attempt("throttled", attempts=0, throttles=n, now=T, config=AWS).retry_at - T
        for n in range(1, 12)
    ]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_zero_reserved_concurrency_goes_straight_to_failure() -> None:
    decision = policy.after_attempt("zero_concurrency", attempts=0, throttles=0, now=T, config=AWS)
    assert decision == policy.Decision("finish", "ZeroReservedConcurrency")


def test_event_age() -> None:
    config = AsyncConfig(maximum_event_age=60)
    assert not policy.expired(enqueued_at=T, now=T + 60, config=config)
    assert policy.expired(enqueued_at=T, now=T + 60.001, config=config)
    assert not policy.expired(enqueued_at=T, now=T + 21600, config=AWS)
