"""Cost arithmetic against hand-computed values."""

from __future__ import annotations

import pytest

from lambdactl.tuning import prices
from lambdactl.tuning.trials import Trial

X86 = prices.PRICES["x86_64"]
ARM = prices.PRICES["arm64"]


def test_published_prices() -> None:
    assert (X86.gb_second, X86.request) == (0.0000166667, 0.0000002)
    assert (ARM.gb_second, ARM.request) == (0.0000133334, 0.0000002)


def test_billing_rounds_up_to_the_millisecond() -> None:
    assert [prices.billed_ms(d) for d in (0.2, 1.0, 1.0001, 99.5)] == [1, 1, 2, 100]


def test_invocation_cost_by_hand() -> None:
    # 512 MB for 100 ms: 0.5 GB x 0.1 s x $0.0000166667 + $0.20 / 1M
    assert prices.invocation_cost(512, 100, X86) == pytest.approx(8.33335e-7 + 2e-7, rel=1e-12)
    # 1,024 MB for 1 s on arm64: 1 GB-s x $0.0000133334 + $0.20 / 1M
    assert prices.invocation_cost(1024, 1000, ARM) == pytest.approx(1.35334e-5, rel=1e-12)


def test_trial_costs_by_hand() -> None:
    trial = Trial(128, (10.2, 11.7), (11, 12), 40, 250.4, ())
    # mean billed 11.5 ms at 0.125 GB: 0.125 x 0.0115 x $0.0000166667 + $0.0000002
    assert trial.cost(X86) == pytest.approx(0.125 * 0.0115 * 0.0000166667 + 2e-7, rel=1e-12)
    # INIT 250.4 ms billed as 251 ms, no request charge
    assert trial.init_cost(X86) == pytest.approx(0.125 * 0.251 * 0.0000166667, rel=1e-12)
    assert Trial(128, (1.0,), (1,), 40, None, ()).init_cost(X86) == 0.0
