"""A template's options remembered in `.lambda/`: defaults, round trip, a damaged file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdactl.errors import UsageError
from lambdactl.sam import options


def test_defaults_when_nothing_is_remembered(tmp_path: Path) -> None:
    assert options.recall(tmp_path / ".lambda") == options.Options()
    assert options.Options().key() == {
        "parameter_overrides": {},
        "region": "us-east-1",
        "account": "000000000000",
    }


def test_remembered_and_recalled(tmp_path: Path) -> None:
    state = tmp_path / ".lambda"
    given = options.Options({"B": "2", "A": "x y"}, region="eu-west-1", account="123456789012")
    options.remember(state, given)  # makes .lambda/
    assert options.recall(state) == given
    assert list(options.recall(state).key()["parameter_overrides"]) == ["A", "B"]


def test_a_damaged_file_is_the_defaults(tmp_path: Path) -> None:
    state = tmp_path / ".lambda"
    state.mkdir()
    (state / options.OPTIONS_NAME).write_text("{not json")
    assert options.recall(state) == options.Options()


def test_region_and_account_are_checked() -> None:
    assert options.check_region("ap-southeast-2") == "ap-southeast-2"
    with pytest.raises(UsageError, match="'mars' is not an AWS region name"):
        options.check_region("mars")
    with pytest.raises(UsageError, match="'12' is not a 12-digit account id"):
        options.check_account("12")
