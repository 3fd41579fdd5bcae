"""The ledger: recovery records of versions and aliases, as files beside the snapshots."""

from __future__ import annotations

from pathlib import Path

from lambdactl.store.ledger import Ledger


def test_versions_round_trip_and_a_deletion_wins(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    assert (ledger.functions(), ledger.versions("f"), ledger.numbers("f")) == ([], {}, set())
    ledger.record_version("f", 2, {"n": 2, "code": {"sha256": "b"}, "layers": []})
    ledger.record_version("f", 1, {"n": 1, "code": {"sha256": "a"}, "layers": [{"sha256": "l"}]})
    ledger.record_deletion("f", 2)
    ledger.record_deletion("f", 3)  # deleted before its record was written: still used
    assert ledger.functions() == ["f"]
    assert ledger.versions("f") == {
        1: {"n": 1, "code": {"sha256": "a"}, "layers": [{"sha256": "l"}]},
        2: None,
        3: None,
    }
    assert ledger.numbers("f") == {1, 2, 3}
    assert ledger.digests() == {"a", "b", "l"}  # a deleted version's snapshots are named too
    assert [
        p.name for p in (tmp_path / "ledger" / "f" / "versions").iterdir() if p.name.startswith(".")
    ] == []  # no temporary files left


def test_aliases_are_replaced_and_forgotten(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.record_alias("f", {"name": "live", "version": "1"})
    ledger.record_alias("f", {"name": "live", "version": "2"})
    ledger.record_alias("f", {"name": "beta", "version": "1"})
    assert ledger.aliases("f") == [
        {"name": "beta", "version": "1"},
        {"name": "live", "version": "2"},
    ]
    ledger.forget_alias("f", "live")
    ledger.forget_alias("f", "never-was")
    assert ledger.aliases("f") == [{"name": "beta", "version": "1"}]


def test_an_unreadable_record_is_skipped_and_named(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.record_version("f", 1, {"n": 1})
    broken = tmp_path / "ledger" / "f" / "versions" / "2.json"
    broken.write_text("{not json")
    assert ledger.versions("f") == {1: {"n": 1}}
    assert ledger.unreadable == [broken]
