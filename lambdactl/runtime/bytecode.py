"""The project's base bytecode cache: what the function's interpreter already has compiled.

Environments run Python with a pycache prefix (`.lambda/pycache/<RevisionId>`, keeping
bytecode out of the user's code), and under a prefix Python ignores the `__pycache__` beside
every source: the standard library's and the provided SDK's (boto3 and its closure, compiled
by pip) too. Without a seed, a fresh project's first cold start compiles every module they
import at the function's CPU share (a 128 MB function has 7% of a CPU). So the bytecode they
already have is mirrored, once per project and interpreter, into the layout Python uses under
a prefix (a source at `/a/b/m.py` -> `<prefix>/a/b/m.<cache_tag>.pyc`, the path as found on
`sys.path`, symlinks not resolved): `.lambda/pycache/base-<digest>`, of hard links (copies
across file systems). New revisions' caches are seeded from it (`invoke.seed_bytecode`).

A stale file (its source changed since) is harmless: Python checks the source's mtime and
size recorded in each `.pyc` and compiles it again, writing a new file (a link is never
written through).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .. import cache
from ..digests import sha256_hex
from .interpreters import Interpreter

LEFT_OUT = frozenset(
    {"test", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "site-packages"}
)
"""Directories of the standard library whose bytecode a function has no use for (its tests,
the IDE, Tk, the `site-packages` that `-S` keeps off the path): ~1,000 files fewer."""


@dataclass(frozen=True)
class Stdlib:
    """Where an interpreter's standard library is, and the tag of its bytecode files."""

    directory: str
    cache_tag: str


_PROBE = (
    "import json, sys, sysconfig; d = sysconfig.get_path('stdlib'); "
    "print(json.dumps([d if d in sys.path else None, sys.implementation.cache_tag]))"
)


def stdlib(interpreter: Interpreter, runtime_dir: Path) -> Stdlib | None:
    """`interpreter`'s standard library (None when it cannot be told). lambdactl's own Python
    answers at once; another (a `python3.12` function's) is asked once, the answer kept in
    `runtime_dir` while that executable is the same file."""
    if interpreter.path == sys.executable:
        import sysconfig

        own = sysconfig.get_path("stdlib")
        own_tag = sys.implementation.cache_tag
        return Stdlib(own, own_tag) if own_tag and own in sys.path else None
    record = runtime_dir / f"stdlib-{sha256_hex(interpreter.path.encode())[:16]}.json"
    key = [interpreter.path, interpreter.version, cache.stamp(interpreter.path)]
    remembered = cache.recall(record, key)
    if remembered is None:
        import json

        try:
            done = subprocess.run(
                [interpreter.path, "-I", "-S", "-c", _PROBE],
                capture_output=True,
                text=True,
                timeout=30,
            )
            where, tag = json.loads(done.stdout)
        except (OSError, subprocess.SubprocessError, ValueError, TypeError):
            return None
        remembered = {"directory": where, "cache_tag": tag}
        cache.save(record, key, remembered)
    where, tag = remembered.get("directory"), remembered.get("cache_tag")
    if isinstance(where, str) and isinstance(tag, str) and tag:
        return Stdlib(where, tag)
    return None


def base(pycache_root: Path, found: Stdlib | None, provided: Path | None) -> Path | None:
    """`pycache_root/base-<digest>`: the bytecode of `found`'s standard library and of the
    `provided` directory's modules (those of `found`'s cache tag), in the pycache-prefix
    layout; made on first use (~700 + ~600 links, see the README's Benchmarks), None when
    there is nothing to put in it or it cannot be made. Its making (files, ms) is recorded
    in `base-<digest>.json` beside it."""
    import tempfile

    if found is None:
        return None
    digest = sha256_hex(repr([found.directory, found.cache_tag, str(provided)]).encode())[:16]
    target = pycache_root / f"base-{digest}"
    if target.is_dir():
        return target
    started = time.perf_counter()
    try:
        pycache_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=pycache_root, prefix=".base-"))
    except OSError:
        return None
    suffix = f".{found.cache_tag}.pyc"
    files = _mirror(Path(found.directory), Path(found.directory), staging, suffix, LEFT_OUT)
    try:
        entries = sorted(os.scandir(provided), key=lambda e: e.name) if provided else []
    except OSError:
        entries = []
    for entry in entries:
        real = Path(os.path.realpath(entry.path))
        if real.is_dir():  # a package: its bytecode, under the link's path
            files += _mirror(real, Path(entry.path), staging, suffix, frozenset())
        elif real.suffix == ".py" and provided is not None:  # a single-file module (six.py)
            pyc = real.parent / "__pycache__" / (real.stem + suffix)
            if pyc.is_file():
                files += _place(pyc, _prefixed(staging, provided) / pyc.name)
    try:
        os.rename(staging, target)
    except OSError:  # made meanwhile by another process
        shutil.rmtree(staging, ignore_errors=True)
        return target if target.is_dir() else None
    ms = round((time.perf_counter() - started) * 1000, 1)
    cache.save(pycache_root / f"{target.name}.json", [digest], {"files": files, "ms": ms})
    return target


def _mirror(real: Path, seen_as: Path, staging: Path, suffix: str, left_out: frozenset[str]) -> int:
    """Link each `__pycache__/*<suffix>` under `real` (non-optimized ones only) to where the
    prefix layout puts it for the sources as seen at `seen_as`; how many."""
    files = 0
    for directory, names, _files in os.walk(real):
        names[:] = [n for n in names if n not in left_out or directory != str(real)]
        if "__pycache__" not in names:
            continue
        names.remove("__pycache__")
        relative = os.path.relpath(directory, real)
        into = _prefixed(staging, seen_as / relative if relative != "." else seen_as)
        cached = os.path.join(directory, "__pycache__")
        try:
            pycs = [n for n in os.listdir(cached) if n.endswith(suffix) and ".opt-" not in n]
        except OSError:
            continue
        for name in pycs:
            files += _place(Path(cached) / name, into / name)
    return files


def _prefixed(prefix: Path, directory: Path) -> Path:
    """Where Python looks under `prefix` for the bytecode of sources in `directory`."""
    return prefix / str(directory.absolute()).lstrip(os.sep)


def _place(source: Path, target: Path) -> int:
    """Link `source` at `target` (a copy across file systems): 1, or 0 when it cannot be."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    except OSError:
        return 0
    return 1
