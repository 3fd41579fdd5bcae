"""The deploy state file: per target, written whole and atomically, read back the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdactl.cloud.state import DeployState, state_path, target_name
from lambdactl.errors import StoreError


def test_a_target_is_its_endpoint_or_its_account_then_its_region() -> None:
    assert target_name(region="eu-west-1", endpoint="http://127.0.0.1:5000/") == (
        "127.0.0.1_5000-eu-west-1"
    )
    assert target_name(region="us-east-1", account="123456789012") == "123456789012-us-east-1"
    assert target_name(region="us-east-1", account="123456789012", prefix="dev-") == (
        "123456789012-us-east-1+dev-"
    )


def test_saved_state_reads_back_the_same(tmp_path: Path) -> None:
    path = state_path(tmp_path / ".lambda", "123456789012-us-east-1")
    assert path == tmp_path / ".lambda" / "cloud" / "123456789012-us-east-1.json"
    state = DeployState.load(path)
    assert (state.functions, state.resources, state.layers) == ({}, {}, {})
    entry = state.function("hello", "dev-hello")
    entry.code_sha256, entry.versions = "abc=", {"1": "4"}
    state.layers["/p/layers/common"] = {"sha=": "arn:aws:lambda:us-east-1:1:layer:common:1"}
    state.record("queue:orders", digest="d", url="http://q", arn="arn:q")
    again = DeployState.load(path)
    assert again.functions["hello"].name == "dev-hello"
    assert again.functions["hello"].versions == {"1": "4"}
    assert again.layers == state.layers
    assert again.resource("queue:orders") == {"digest": "d", "url": "http://q", "arn": "arn:q"}
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left
    again.forget("queue:orders")
    assert DeployState.load(path).resources == {}


def test_a_damaged_state_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "cloud" / "x-us-east-1.json"
    path.parent.mkdir()
    path.write_text("{not json")
    with pytest.raises(StoreError) as failed:
        DeployState.load(path)
    assert str(failed.value).startswith(f"{path}: cannot read the deploy state")
    assert failed.value.hint == "remove the file to deploy as if for the first time"
