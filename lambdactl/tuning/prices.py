"""AWS Lambda's published on-demand prices, in one table, with the date they were taken.

Prices are US East (N. Virginia), first tier (the first 6 billion GB-s a month on x86_64,
7.5 billion on arm64). Duration is billed in 1 ms increments (since December 2020) and the
INIT phase of a cold start is billed at the same duration price since August 1, 2025.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRICES_TAKEN = "2026-11-30"
"""When the table below was checked against https://aws.amazon.com/lambda/pricing/."""


@dataclass(frozen=True)
class Price:
    architecture: str
    gb_second: float
    """USD per GB-second of billed duration."""
    request: float
    """USD per request ($0.20 per million)."""


PRICES: dict[str, Price] = {
    "x86_64": Price("x86_64", 0.0000166667, 0.0000002),
    "arm64": Price("arm64", 0.0000133334, 0.0000002),
}
ARCHITECTURES = tuple(PRICES)


def billed_ms(duration_ms: float) -> int:
    """AWS's 1 ms billing granularity: rounded up."""
    return math.ceil(duration_ms)


def duration_cost(memory_mb: int, billed: float, price: Price) -> float:
    """USD for `billed` ms at `memory_mb` (1 GB = 1,024 MB, as AWS counts GB-seconds)."""
    return memory_mb / 1024 * billed / 1000 * price.gb_second


def invocation_cost(memory_mb: int, billed: float, price: Price) -> float:
    """USD for one invocation billed `billed` ms: its duration plus the request charge."""
    return duration_cost(memory_mb, billed, price) + price.request
