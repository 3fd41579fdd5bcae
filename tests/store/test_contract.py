"""The `Store` contract, run against every backend.

A new backend (Redis, ...) joins by adding a param to `backend` and a branch to `_opener`;
every test below then runs against it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdactl.errors import StoreError
from lambdactl.store import AliasWrite, Deletion, Store

FN = "hello"


def _opener(kind: str, tmp_path: Path) -> Callable[..., Store]:
    """A callable opening a fresh handle on one shared backing state of backend `kind`
    (`read_only=True`: a handle that only reads)."""
    if kind == "sqlite":
        from lambdactl.store.sqlite import SqliteStore

        path = tmp_path / "state" / "state.db"
        return lambda read_only=False: SqliteStore(path, read_only=read_only)
    raise AssertionError(f"no opener for backend {kind!r}")


@pytest.fixture(params=["sqlite"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """Opens handles on one backing state; every handle opened is closed afterwards."""
    opener = _opener(request.param, tmp_path)
    opened: list[Store] = []

    def open_(read_only: bool = False) -> Store:
        store = opener(read_only=read_only)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()


def _data(tag: str) -> dict:
    return {"description": tag, "nested": {"list": [1, 2], "flag": True}}


def _alias(name: str, version: int, routing: dict[str, float] | None = None) -> dict:
    return {"name": name, "version": str(version), "routing": routing or {}, "revision_id": name}


def _publish(store: Store, *fingerprints: str) -> list[int]:
    return [store.add_version(FN, fp, _data(fp))[0] for fp in fingerprints]


# -- observe_latest ---------------------------------------------------------------------------


def test_observe_latest_is_stable_for_the_same_fingerprint(store: Store) -> None:
    first = store.observe_latest(FN, "fp-a", "2024-01-01T00:00:00.000+0000")
    again = store.observe_latest(FN, "fp-a", "2024-06-01T00:00:00.000+0000")
    assert again == first
    assert first[1] == "2024-01-01T00:00:00.000+0000"
    assert first[0]


def test_observe_latest_changes_for_a_new_fingerprint(store: Store) -> None:
    rev_a, mod_a = store.observe_latest(FN, "fp-a", "2024-01-01T00:00:00.000+0000")
    rev_b, mod_b = store.observe_latest(FN, "fp-b", "2024-01-02T00:00:00.000+0000")
    assert rev_b != rev_a
    assert mod_b == "2024-01-02T00:00:00.000+0000"
    assert store.observe_latest(FN, "fp-b", "2030-01-01T00:00:00.000+0000") == (rev_b, mod_b)
    # going back to an older fingerprint is a change as well
    rev_a2, mod_a2 = store.observe_latest(FN, "fp-a", "2024-01-03T00:00:00.000+0000")
    assert rev_a2 not in (rev_a, rev_b)
    assert mod_a2 == "2024-01-03T00:00:00.000+0000"


def test_observe_latest_is_per_function(store: Store) -> None:
    one = store.observe_latest("one", "fp", "2024-01-01T00:00:00.000+0000")
    two = store.observe_latest("two", "fp", "2024-01-02T00:00:00.000+0000")
    assert one[0] != two[0]
    assert store.observe_latest("one", "fp", "x") == one


def test_observe_latest_is_shared_between_handles(open_store: Callable[[], Store]) -> None:
    first = open_store().observe_latest(FN, "fp-a", "2024-01-01T00:00:00.000+0000")
    assert open_store().observe_latest(FN, "fp-a", "later") == first


# -- add_version / get_version / list_versions ------------------------------------------------


def test_add_version_numbers_from_one(store: Store) -> None:
    number, record, created = store.add_version(FN, "fp-a", _data("a"))
    assert (number, record, created) == (1, _data("a"), True)
    assert store.get_version(FN, 1) == _data("a")
    number, record, created = store.add_version(FN, "fp-b", _data("b"))
    assert (number, record, created) == (2, _data("b"), True)


def test_add_version_with_the_newest_fingerprint_returns_it(store: Store) -> None:
    store.add_version(FN, "fp-a", _data("first"))
    number, record, created = store.add_version(FN, "fp-a", _data("second attempt"))
    assert (number, created) == (1, False)
    assert record == _data("first")  # the stored record, not the one offered
    assert store.get_version(FN, 1) == _data("first")
    assert [n for n, _ in store.list_versions(FN)] == [1]


def test_add_version_compares_with_the_newest_version_only(store: Store) -> None:
    assert _publish(store, "fp-a", "fp-b") == [1, 2]
    number, _record, created = store.add_version(FN, "fp-a", _data("a again"))
    assert (number, created) == (3, True)


def test_numbers_are_never_reused_after_deleting_the_newest(store: Store) -> None:
    assert _publish(store, "fp-a", "fp-b") == [1, 2]
    assert store.delete_version(FN, 2).deleted
    number, _record, created = store.add_version(FN, "fp-c", _data("c"))
    assert (number, created) == (3, True)
    assert store.get_version(FN, 2) is None
    assert [n for n, _ in store.list_versions(FN)] == [1, 3]


def test_numbers_are_never_reused_after_deleting_every_version(store: Store) -> None:
    assert _publish(store, "fp-a", "fp-b") == [1, 2]
    assert store.delete_version(FN, 1).deleted
    assert store.delete_version(FN, 2).deleted
    assert store.list_versions(FN) == []
    # even the fingerprint of the deleted newest version makes a new one
    number, _record, created = store.add_version(FN, "fp-b", _data("b"))
    assert (number, created) == (3, True)


def test_numbers_persist_across_handles(open_store: Callable[[], Store]) -> None:
    first = open_store()
    assert _publish(first, "fp-a", "fp-b") == [1, 2]
    assert first.delete_version(FN, 2).deleted
    second = open_store()
    assert second.add_version(FN, "fp-c", _data("c"))[0] == 3
    assert first.get_version(FN, 3) == _data("c")


def test_versions_are_per_function(store: Store) -> None:
    assert store.add_version("one", "fp", _data("1"))[0] == 1
    assert store.add_version("one", "fp2", _data("2"))[0] == 2
    number, _record, created = store.add_version("two", "fp", _data("x"))
    assert (number, created) == (1, True)
    assert store.list_versions("two") == [(1, _data("x"))]


def test_get_version_missing(store: Store) -> None:
    assert store.get_version(FN, 1) is None
    _publish(store, "fp-a")
    assert store.get_version(FN, 2) is None
    assert store.get_version("other", 1) is None


def test_list_versions_ascending(store: Store) -> None:
    assert store.list_versions(FN) == []
    _publish(store, *(f"fp-{i}" for i in range(12)))  # 12 sorts before 2 as text
    store.delete_version(FN, 5)
    listed = store.list_versions(FN)
    assert [n for n, _ in listed] == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]
    assert listed[0] == (1, _data("fp-0"))
    assert listed[-1] == (12, _data("fp-11"))


# -- delete_version ---------------------------------------------------------------------------


def test_delete_version_found(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    outcome = store.delete_version(FN, 1)
    assert outcome == Deletion(found=True)
    assert outcome.deleted and outcome.blocked_by == ()
    assert store.get_version(FN, 1) is None
    assert [n for n, _ in store.list_versions(FN)] == [2]


def test_delete_version_missing(store: Store) -> None:
    _publish(store, "fp-a")
    outcome = store.delete_version(FN, 7)
    assert outcome == Deletion(found=False)
    assert not outcome.deleted
    assert store.delete_version("other", 1) == Deletion(found=False)
    assert store.delete_version(FN, 1).deleted
    assert store.delete_version(FN, 1) == Deletion(found=False)  # already gone


def test_a_number_too_large_to_store_names_no_version(store: Store) -> None:
    _publish(store, "fp-a")
    huge = 10**20  # a user can type it; no backend need hold it
    assert store.get_version(FN, huge) is None
    assert store.delete_version(FN, huge) == Deletion(found=False)
    outcome = store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1, huge])
    assert outcome is AliasWrite.VERSION_MISSING


def test_delete_version_blocked_by_a_primary_alias(store: Store) -> None:
    _publish(store, "fp-a")
    assert store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1]) is (
        AliasWrite.WRITTEN
    )
    outcome = store.delete_version(FN, 1)
    assert outcome == Deletion(found=True, blocked_by=("live",))
    assert not outcome.deleted
    assert store.get_version(FN, 1) == _data("fp-a")


def test_delete_version_blocked_by_a_routed_alias(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    record = _alias("canary", 1, {"2": 0.1})
    assert store.put_alias(FN, "canary", record, create=True, versions=[1, 2]) is (
        AliasWrite.WRITTEN
    )
    assert store.delete_version(FN, 2) == Deletion(found=True, blocked_by=("canary",))
    assert store.get_version(FN, 2) is not None


def test_delete_version_blocked_by_names_are_sorted_and_distinct(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    for name, versions in (("zeta", [2]), ("alpha", [1, 2]), ("Mid", [2]), ("beta", [2, 2])):
        assert store.put_alias(
            FN, name, _alias(name, versions[0]), create=True, versions=versions
        ) is AliasWrite.WRITTEN
    outcome = store.delete_version(FN, 2)
    assert outcome.found and not outcome.deleted
    assert outcome.blocked_by == tuple(sorted(["zeta", "alpha", "Mid", "beta"]))
    assert store.delete_version(FN, 1).blocked_by == ("alpha",)


def test_aliases_of_another_function_do_not_block(store: Store) -> None:
    _publish(store, "fp-a")
    store.add_version("other", "fp", _data("o"))
    store.put_alias("other", "live", _alias("live", 1), create=True, versions=[1])
    assert store.delete_version(FN, 1).deleted


# -- aliases ----------------------------------------------------------------------------------


def test_put_alias_create_then_get_and_list(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    live = _alias("live", 1, {"2": 0.25})
    assert store.put_alias(FN, "live", live, create=True, versions=[1, 2]) is AliasWrite.WRITTEN
    assert store.put_alias(FN, "beta", _alias("beta", 2), create=True, versions=[2]) is (
        AliasWrite.WRITTEN
    )
    assert store.get_alias(FN, "live") == live
    assert store.get_alias(FN, "nope") is None
    assert store.get_alias("other", "live") is None
    assert [a["name"] for a in store.list_aliases(FN)] == ["beta", "live"]
    assert store.list_aliases("other") == []


def test_put_alias_with_no_versions_is_allowed(store: Store) -> None:
    record = {"name": "dev", "version": "$LATEST", "routing": {}, "revision_id": "r"}
    assert store.put_alias(FN, "dev", record, create=True, versions=[]) is AliasWrite.WRITTEN
    assert store.get_alias(FN, "dev") == record


def test_put_alias_create_existing_is_exists_and_writes_nothing(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    outcome = store.put_alias(FN, "live", _alias("live", 2), create=True, versions=[2])
    assert outcome is AliasWrite.EXISTS
    assert store.get_alias(FN, "live") == _alias("live", 1)
    assert store.delete_version(FN, 2).deleted  # no target recorded for the refused write


def test_put_alias_update_missing_is_missing_and_writes_nothing(store: Store) -> None:
    _publish(store, "fp-a")
    outcome = store.put_alias(FN, "live", _alias("live", 1), create=False, versions=[1])
    assert outcome is AliasWrite.MISSING
    assert store.get_alias(FN, "live") is None
    assert store.list_aliases(FN) == []
    assert store.delete_version(FN, 1).deleted


def test_put_alias_update_replaces_record_and_targets(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    updated = {**_alias("live", 2), "description": "moved"}
    assert store.put_alias(FN, "live", updated, create=False, versions=[2]) is AliasWrite.WRITTEN
    assert store.get_alias(FN, "live") == updated
    assert store.delete_version(FN, 1).deleted  # no longer a target
    assert store.delete_version(FN, 2).blocked_by == ("live",)


def test_put_alias_with_the_current_revision_replaces_it(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    moved = {**_alias("live", 2), "revision_id": "second"}
    outcome = store.put_alias(FN, "live", moved, create=False, versions=[2], revision="live")
    assert outcome is AliasWrite.WRITTEN
    assert store.get_alias(FN, "live") == moved


def test_put_alias_with_a_stale_revision_writes_nothing(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    moved = {**_alias("live", 2), "revision_id": "second"}
    outcome = store.put_alias(FN, "live", moved, create=False, versions=[2], revision="old")
    assert outcome is AliasWrite.REVISION_CHANGED
    assert store.get_alias(FN, "live") == _alias("live", 1)
    assert store.delete_version(FN, 2).deleted  # never became a target


def test_put_alias_version_missing_on_create_writes_nothing(store: Store) -> None:
    _publish(store, "fp-a")
    outcome = store.put_alias(FN, "live", _alias("live", 1, {"7": 0.5}), create=True,
                              versions=[1, 7])
    assert outcome is AliasWrite.VERSION_MISSING
    assert store.get_alias(FN, "live") is None
    assert store.list_aliases(FN) == []
    assert store.delete_version(FN, 1).deleted  # no partial target rows left behind


def test_put_alias_version_missing_on_update_keeps_the_old_alias(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    outcome = store.put_alias(FN, "live", _alias("live", 9), create=False, versions=[9])
    assert outcome is AliasWrite.VERSION_MISSING
    assert store.get_alias(FN, "live") == _alias("live", 1)
    assert store.delete_version(FN, 1).blocked_by == ("live",)


def test_put_alias_to_a_deleted_version_is_version_missing(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    assert store.delete_version(FN, 2).deleted
    outcome = store.put_alias(FN, "live", _alias("live", 2), create=True, versions=[2])
    assert outcome is AliasWrite.VERSION_MISSING
    assert store.get_alias(FN, "live") is None


def test_delete_alias_true_then_false(store: Store) -> None:
    _publish(store, "fp-a")
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    assert store.delete_alias(FN, "live") is True
    assert store.get_alias(FN, "live") is None
    assert store.delete_alias(FN, "live") is False
    assert store.delete_alias(FN, "never") is False


def test_delete_alias_unblocks_the_version(store: Store) -> None:
    _publish(store, "fp-a", "fp-b")
    store.put_alias(FN, "live", _alias("live", 1, {"2": 0.5}), create=True, versions=[1, 2])
    store.put_alias(FN, "beta", _alias("beta", 2), create=True, versions=[2])
    assert store.delete_version(FN, 2).blocked_by == ("beta", "live")
    assert store.delete_alias(FN, "live")
    assert store.delete_version(FN, 1).deleted
    assert store.delete_version(FN, 2).blocked_by == ("beta",)
    assert store.delete_alias(FN, "beta")
    assert store.delete_version(FN, 2).deleted


def test_delete_alias_only_touches_its_function(store: Store) -> None:
    _publish(store, "fp-a")
    store.add_version("other", "fp", _data("o"))
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    store.put_alias("other", "live", _alias("live", 1), create=True, versions=[1])
    assert store.delete_alias("other", "live")
    assert store.get_alias(FN, "live") == _alias("live", 1)
    assert store.delete_version(FN, 1).blocked_by == ("live",)


def test_a_recreated_alias_can_be_created_again(store: Store) -> None:
    _publish(store, "fp-a")
    store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    store.delete_alias(FN, "live")
    assert store.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1]) is (
        AliasWrite.WRITTEN
    )


# -- layer versions ---------------------------------------------------------------------------


def test_layer_version_registers_new_content(store: Store) -> None:
    assert store.layer_version("common", "a" * 64) == 1
    assert store.layer_version("common", "b" * 64) == 2
    assert store.layer_version("common", "c" * 64) == 3


def test_layer_version_returns_the_number_of_seen_content(store: Store) -> None:
    assert store.layer_version("common", "a" * 64) == 1
    assert store.layer_version("common", "b" * 64) == 2
    assert store.layer_version("common", "a" * 64) == 1
    assert store.layer_version("common", "b" * 64) == 2
    assert store.layer_version("common", "c" * 64) == 3


def test_layer_versions_are_per_layer(store: Store) -> None:
    assert store.layer_version("common", "a" * 64) == 1
    assert store.layer_version("common", "b" * 64) == 2
    assert store.layer_version("other", "b" * 64) == 1
    assert store.layer_version("other", "a" * 64) == 2


def test_layer_versions_persist_across_handles(open_store: Callable[[], Store]) -> None:
    assert open_store().layer_version("common", "a" * 64) == 1
    second = open_store()
    assert second.layer_version("common", "a" * 64) == 1
    assert second.layer_version("common", "b" * 64) == 2


# -- read-only handles ---------------------------------------------------------------------------


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_read_only_needs_existing_state_and_creates_none(
    open_store: Callable[..., Store], tmp_path: Path
) -> None:
    with pytest.raises(StoreError):
        open_store(read_only=True)
    assert not (tmp_path / "state").exists()


def test_read_only_reads_what_was_written_and_writes_nothing(
    open_store: Callable[..., Store], tmp_path: Path
) -> None:
    writer = open_store()
    _publish(writer, "fp-a", "fp-b")
    writer.put_alias(FN, "live", _alias("live", 1), create=True, versions=[1])
    writer.close()  # everything folded into the backing state
    before = _files(tmp_path / "state")
    reader = open_store(read_only=True)
    assert [number for number, _ in reader.list_versions(FN)] == [1, 2]
    assert [a["name"] for a in reader.list_aliases(FN)] == ["live"]
    with pytest.raises(StoreError):
        reader.add_version(FN, "fp-c", _data("fp-c"))
    reader.close()
    assert _files(tmp_path / "state") == before


def test_read_only_sees_writes_of_a_handle_still_open(open_store: Callable[..., Store]) -> None:
    writer = open_store()
    _publish(writer, "fp-a")
    reader = open_store(read_only=True)
    assert [number for number, _ in reader.list_versions(FN)] == [1]
    _publish(writer, "fp-b")
    assert [number for number, _ in reader.list_versions(FN)] == [1, 2]


# -- recovery ---------------------------------------------------------------------------------


def test_restore_version_keeps_its_number_and_fingerprint(store: Store) -> None:
    assert store.restore_version(FN, 3, "fp3", _data("v3")) is True
    assert store.restore_version(FN, 1, "fp1", _data("v1")) is True
    assert [n for n, _ in store.list_versions(FN)] == [1, 3]
    assert store.get_version(FN, 3) == _data("v3")
    # the newest restored fingerprint counts as unchanged; a new one takes the next number
    assert store.add_version(FN, "fp3", _data("again")) == (3, _data("v3"), False)
    assert _publish(store, "fp4") == [4]


def test_restore_version_never_overwrites(store: Store) -> None:
    _publish(store, "fp1")
    assert store.restore_version(FN, 1, "other", _data("other")) is False
    assert store.get_version(FN, 1) == _data("fp1")


def test_a_restored_deletion_keeps_its_number_used(store: Store) -> None:
    assert store.restore_version(FN, 1, "fp1", _data("v1")) is True
    assert store.restore_version(FN, 2, "", None) is False
    assert [n for n, _ in store.list_versions(FN)] == [1]
    assert _publish(store, "fp3") == [3]


def test_restore_layer_version(store: Store) -> None:
    assert store.restore_layer_version("common", 2, "b" * 64) is True
    assert store.restore_layer_version("common", 2, "c" * 64) is False  # number taken
    assert store.restore_layer_version("common", 5, "b" * 64) is False  # content known
    assert store.layer_version("common", "b" * 64) == 2
    assert store.layer_version("common", "c" * 64) == 3


# -- created functions and settings ---------------------------------------------------------------


def test_function_records_start_empty_at_generation_0(store: Store) -> None:
    records = store.function_records()
    assert records is not None
    assert (records.generation, records.created, records.settings) == (0, {}, {})
    assert store.function_records(since=0) is None


def test_every_write_moves_the_generation_on(store: Store) -> None:
    seen = [store.function_records().generation]  # type: ignore[union-attr]
    assert store.create_function("made", _data("v1")) is True
    assert store.create_function("made", _data("again")) is False  # exists: nothing written
    assert store.replace_function("made", _data("v2")) is True
    assert store.replace_function("gone", _data("x")) is False
    store.put_setting(FN, "memory", {"value": 512})
    store.put_setting(FN, "timeout", {"value": 10})
    assert store.delete_settings(FN, ["timeout", "unknown"]) == 1
    assert store.delete_settings(FN, ["timeout"]) == 0
    records = store.function_records(since=seen[0])
    assert records is not None and records.generation > seen[0]
    assert records.created == {"made": _data("v2")}
    assert records.settings == {FN: {"memory": {"value": 512}}}
    assert store.function_records(since=records.generation) is None


def test_another_handle_sees_the_change(open_store: Callable[..., Store]) -> None:
    first, second = open_store(), open_store()
    generation = first.function_records().generation  # type: ignore[union-attr]
    second.put_setting(FN, "memory", {"value": 256})
    changed = first.function_records(since=generation)
    assert changed is not None and changed.settings == {FN: {"memory": {"value": 256}}}
    reader = open_store(read_only=True)
    assert reader.function_records().settings == changed.settings  # type: ignore[union-attr]


def test_delete_function_forgets_its_versions_aliases_and_numbering(store: Store) -> None:
    store.create_function("made", _data("made"))
    store.put_setting("made", "reserved_concurrency", {"value": 3})
    store.add_version("made", "fp1", _data("v1"))
    store.put_alias("made", "live", _alias("live", 1), create=True, versions=[1])
    store.put_setting(FN, "memory", {"value": 512})
    assert store.delete_function("made") is True
    records = store.function_records()
    assert records is not None
    assert (records.created, records.settings) == ({}, {FN: {"memory": {"value": 512}}})
    assert store.list_versions("made") == [] and store.list_aliases("made") == []
    assert store.add_version("made", "fp1", _data("again"))[0] == 1
    assert store.delete_function("made") is False  # no record (its new version went all the same)
    assert store.list_versions("made") == []


def test_mapping_states_are_kept_by_uuid(open_store: Callable[..., Store]) -> None:
    first = open_store()
    assert first.get_mapping("u1") is None and first.list_mappings() == []
    first.put_mapping("u1", {"state": "Enabled", "n": 1})
    first.put_mapping("u2", {"state": "Disabled"})
    first.put_mapping("u1", {"state": "Disabled", "n": 2})  # replaced
    second = open_store()
    assert second.get_mapping("u1") == {"state": "Disabled", "n": 2}
    assert sorted(m["state"] for m in second.list_mappings()) == ["Disabled", "Disabled"]


def test_a_mapping_swap_changes_only_what_was_read(open_store: Callable[..., Store]) -> None:
    first, second = open_store(), open_store()
    assert first.swap_mapping("u1", None, {"state": "Creating"}) is True
    assert second.swap_mapping("u1", None, {"state": "Creating"}) is False  # one is there
    assert second.swap_mapping("u1", {"state": "Creating"}, {"state": "Enabled"}) is True
    assert first.swap_mapping("u1", {"state": "Creating"}, {"state": "Deleting"}) is False
    assert first.get_mapping("u1") == {"state": "Enabled"}
    assert first.swap_mapping("u1", {"state": "Enabled"}, None) is True
    assert second.get_mapping("u1") is None and second.list_mappings() == []
