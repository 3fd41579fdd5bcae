"""A real stream's shard records (`lambdactl.sources.shards`) in a real store: which shards
are ready across a reshard, the first start of each starting position, a stream made anew,
and iterators that expire. (moto's resharding keeps writing to the closed parent, so the
lineage is tested here rather than through it.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl.project import Project
from lambdactl.sources.shards import Book, Iterating, Shard, SourceProblem, Start
from lambdactl.sources.specs import StreamSettings
from lambdactl.sources.stream import Item
from tests.sources import function_manifest

RESHARDED = [
    Shard("p", closed=True),
    Shard("c1", ("p",), closed=True),
    Shard("c2", ("p",), closed=True),
    Shard("m", ("c1", "c2")),
]
"""A shard split in two, the two then merged."""


@pytest.fixture
def project(project_dir: Path) -> Iterator[Project]:
    event = "kinesis:\n          stream_name: s\n          starting_position: TRIM_HORIZON"
    opened = Project.open(function_manifest(project_dir, "", event))
    yield opened
    opened.close()


def book(project: Project, position: str = "TRIM_HORIZON", at: float | None = None) -> Book:
    return Book(project, "m-1", StreamSettings(position, starting_position_timestamp=at))


def no_latest(shard: Shard) -> dict[str, Any]:
    raise AssertionError(f"no LATEST pin expected for {shard.id}")


def test_a_closed_shard_is_read_to_its_end_before_its_children(project: Project) -> None:
    shards = book(project)
    warned: list[str] = []
    ready = lambda: shards.ready("arn 1", RESHARDED, no_latest, warn=warned.append)  # noqa: E731
    assert ready() == ["p"]
    shards.checkpoint("p", "7")
    assert ready() == ["p"]
    assert shards.start("p") == Start("AFTER_SEQUENCE_NUMBER", sequence="7")
    shards.checkpoint("p", None, ended=True)
    assert ready() == ["c1", "c2"]
    assert shards.start("c1") == Start("TRIM_HORIZON")  # a child is read whole
    shards.checkpoint("c1", "9", ended=True)
    assert ready() == ["c2"]  # a merge waits for both parents
    shards.checkpoint("c2", None, ended=True)
    assert ready() == ["m"]
    assert project.store.shard_checkpoints("m-1")["p"] == {
        "sequence": "7",
        "at": None,
        "ended": True,
    }
    assert warned == []


def test_a_parent_no_longer_listed_does_not_hold_its_child(project: Project) -> None:
    assert book(project).ready("arn 1", RESHARDED[1:], no_latest, warn=print) == ["c1", "c2"]


def test_latest_ends_closed_shards_and_pins_open_ones_at_the_first_start_only(
    project: Project,
) -> None:
    pinned: list[str] = []

    def latest(shard: Shard) -> dict[str, Any]:
        pinned.append(shard.id)
        return {"sequence": "41"}

    shards = book(project, "LATEST")
    listing = [Shard("old", closed=True), Shard("open", ("old",))]
    assert shards.ready("arn 1", listing, latest, warn=print) == ["open"]
    assert shards.start("open") == Start("AFTER_SEQUENCE_NUMBER", sequence="41")
    later = [*listing, Shard("new")]  # a shard that came after the first start
    assert shards.ready("arn 1", later, latest, warn=print) == ["open", "new"]
    assert pinned == ["open"]
    assert shards.start("new") == Start("TRIM_HORIZON")


def test_at_timestamp_starts_every_shard_there_at_that_time(project: Project) -> None:
    shards = book(project, "AT_TIMESTAMP", at=1_700_000_000)
    shards.ready("arn 1", [Shard("a")], no_latest, warn=print)
    assert shards.start("a") == Start("AT_TIMESTAMP", at=1_700_000_000)
    shards.checkpoint("a", "3")
    assert shards.start("a") == Start("AFTER_SEQUENCE_NUMBER", sequence="3")


def test_a_stream_made_anew_starts_over_with_a_warning(project: Project) -> None:
    shards = book(project)
    shards.ready("arn 1", [Shard("a")], no_latest, warn=print)
    shards.checkpoint("a", "3", ended=True)
    warned: list[str] = []
    assert shards.ready("arn 2", [Shard("a")], no_latest, warn=warned.append) == ["a"]
    assert shards.start("a") == Start("TRIM_HORIZON")
    assert warned == ["the stream was made anew: reading at TRIM_HORIZON"]


def test_an_expired_iterator_is_made_again_after_the_last_record_fetched() -> None:
    starts: list[Start] = []
    answers: list[Any] = [
        [{"n": "1"}, {"n": "2"}],
        SourceProblem("expired", code="ExpiredIteratorException"),
        [{"n": "3"}],
    ]

    def get_records(iterator: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer, (None if not answers else f"{iterator}+")

    cursor = Iterating(
        Start("TRIM_HORIZON"),
        get_iterator=lambda start: starts.append(start) or "it",  # type: ignore[func-returns-value]
        get_records=get_records,
        item=lambda record: Item(record["n"], "k", 0.0, record),
    )
    assert [i.sequence_number for i in cursor.fetch(10).items] == ["1", "2"]
    assert cursor.fetch(10).items == []
    last = cursor.fetch(10)
    assert [i.sequence_number for i in last.items] == ["3"] and last.ended
    assert starts == [Start("TRIM_HORIZON"), Start("AFTER_SEQUENCE_NUMBER", sequence="2")]


def test_other_trouble_is_not_swallowed() -> None:
    def get_records(iterator: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        raise SourceProblem("stream s: ResourceNotFoundException: gone", code="x")

    cursor = Iterating(
        Start("TRIM_HORIZON"),
        get_iterator=lambda start: "it",
        get_records=get_records,
        item=lambda record: Item("1", "k", 0.0, record),
    )
    with pytest.raises(SourceProblem, match="gone"):
        cursor.fetch(1)
