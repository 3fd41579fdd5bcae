"""A fresh state directory per test, copied from a template made once per session.

The live directory keeps one path for the whole session, so the paths a warm environment
was given (its bytecode cache, its installed requirements, the compiled bootstrap, its
scratch directory) stay valid from one test to the next: only what is *state* is replaced
between tests, what is *cache* (`CACHES`) stays.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from .. import manifest as manifest_module
from .. import queues, streams, versions
from ..manifest import Manifest
from ..project import Project
from ..store import CodeStore, open_store

CACHES = ("runtime", "deps", "pycache", "scratch", "concurrency")
"""Entries of a state directory that are caches of what the functions' code needs, the same
for every test: kept in the live directory; everything else there is the test's state
(functions, versions, aliases, queues, streams, events, logs) and replaced."""


def load(manifest_path: Path, state: Path) -> Manifest:
    """The manifest, with its state in `state` (never in the project's own `.lambda/`,
    which is not written to: not even its cache of the manifest)."""
    return dataclasses.replace(manifest_module.load(manifest_path, remember=False), state=state)


def open_project(manifest: Manifest) -> Project:
    state = manifest.state_dir
    return Project(manifest=manifest, store=open_store(state), blobs=CodeStore(state))


def make_template(manifest: Manifest) -> None:
    """The state a test starts from: the manifest's queues and streams made, each function's
    `$LATEST` recorded (so every test sees the same RevisionIds, and warm environments of
    `$LATEST` are taken again by the next test). `manifest.state_dir` is where it goes."""
    manifest.state_dir.mkdir(parents=True, exist_ok=True)
    project = open_project(manifest)
    try:
        queues.ensure_declared(project)
        streams.ensure_declared(project)
        for name in project.functions:
            versions.latest(project, name)
    finally:
        project.close()
    for name in CACHES:
        _remove(manifest.state_dir / name)


def reset(live: Path, template: Path) -> None:
    """Make `live` what `template` is, leaving its `CACHES` in place. Nothing may hold a
    file of `live` open (close the project and the log writer first)."""
    live.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(live):
        if entry.name not in CACHES:
            _remove(Path(entry.path))
    for entry in os.scandir(template):
        source, target = Path(entry.path), live / entry.name
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target, follow_symlinks=False)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
