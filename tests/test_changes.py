"""`Changes.watch_file`: the manifest's edits are heard, however an editor saves, and nothing
else in its directory or below it is. Events come in order through one watcher, so once a
later write has been heard, an earlier one that should not have been never will be."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdactl.changes import Changes


class Heard:
    """Counts the calls back."""

    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()


@pytest.fixture
def changes() -> Iterator[Changes]:
    watcher = Changes()
    yield watcher
    watcher.close()


def test_a_file_written_or_replaced_is_heard_and_nothing_else(
    tmp_path: Path, changes: Changes
) -> None:
    manifest, marker = tmp_path / "functions.yaml", tmp_path / "marker"
    manifest.write_text("a")
    (tmp_path / "src").mkdir()
    heard, markers = Heard(), Heard()
    changes.watch_file(manifest, heard)
    changes.watch_file(marker, markers)

    def heard_after(action: Callable[[], object]) -> int:
        """How many calls `action` caused: all of them are in once the marker's write is."""
        before = heard.count
        action()
        markers.event.clear()
        marker.write_text("x")
        assert markers.event.wait(20), "the marker was not heard"
        return heard.count - before

    assert heard_after(lambda: (tmp_path / "README.md").write_text("beside it")) == 0
    assert heard_after(lambda: (tmp_path / "src" / "functions.yaml").write_text("below")) == 0
    assert heard_after(lambda: manifest.write_text("b")) >= 1  # in place

    def save_as_editors_do() -> None:  # written aside, renamed over it
        partial = tmp_path / ".functions.yaml.swp"
        partial.write_text("c")
        os.replace(partial, manifest)

    assert heard_after(save_as_editors_do) >= 1
    assert heard_after(manifest.unlink) >= 1
