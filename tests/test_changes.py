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


class Paths:
    """Collects the paths a listener hears; `wait_for` one of them."""

    def __init__(self) -> None:
        self.heard: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, path: str) -> None:
        with self._changed:
            self.heard.append(path)
            self._changed.notify_all()

    def wait_for(self, path: Path) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: str(path) in self.heard, 20), self.heard


def test_only_what_can_change_the_package_is_heard(tmp_path: Path, changes: Changes) -> None:
    """Editors' files, `__pycache__`, `.git`, `.lambda` and what `.lambdaignore` excludes
    neither mark the directory changed nor reach listeners; events come in order, so once
    the marker is heard, everything written before it has been judged."""
    root = Path(os.path.realpath(tmp_path / "fn"))
    (root / "__pycache__").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".lambdaignore").write_text("*.log\n")
    (root / "app.py").write_text("1")
    paths = Paths()
    changes.watch(root)
    changes.listen(paths)
    assert changes.changed([root])  # watched: changed until first asked
    assert not changes.changed([root])
    swap = root / ".app.py.swp"
    swap.write_text("swap")
    swap.unlink()
    (root / "4913").write_text("")
    (root / "4913").unlink()
    (root / "app.py~").write_text("backup")
    (root / "__pycache__" / "app.cpython-311.pyc").write_text("x")
    (root / ".git" / "index").write_text("x")
    (root / "debug.log").write_text("ignored")
    (root / "marker.py").write_text("counts")
    paths.wait_for(root / "marker.py")
    assert paths.heard == [str(root / "marker.py")] * len(paths.heard)
    assert changes.changed([root])


def test_a_directory_shared_by_two_askers_changed_for_both(
    tmp_path: Path, changes: Changes
) -> None:
    """A layer two functions use: the first to ask does not take the change from the other."""
    layer = Path(os.path.realpath(tmp_path / "layer"))
    layer.mkdir()
    paths = Paths()
    changes.watch(layer)
    changes.listen(paths)
    assert changes.changed([layer], asker="a") and changes.changed([layer], asker="b")
    assert not changes.changed([layer], asker="a") and not changes.changed([layer], asker="b")
    (layer / "util.py").write_text("2")
    paths.wait_for(layer / "util.py")
    assert changes.changed([layer], asker="a")
    assert not changes.changed([layer], asker="a")
    assert changes.changed([layer], asker="b")
