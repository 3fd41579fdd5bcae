"""`.lambda/` examined and, on request, repaired: each part's state, what can be rebuilt, and
what is lost for good.

The parts: the state database (versions, aliases, queues, events), the log database, the code
snapshots, the ledger (recovery records of versions and aliases, `store/ledger.py`) and the
worker lock.

Repair never deletes. A damaged or empty database is moved aside, with its `-wal` and `-shm`
files, to `NAME.damaged-TIME` (it can still be opened there); lambdactl makes a new one. A
lost state database is rebuilt from the ledger: every recorded version (number, configuration,
code, layers, description, RevisionId), the layer versions they name, and every alias as last
recorded, and every function created through the API (its configuration and code). What
lived in the state database only is lost with it: `$LATEST`'s RevisionIds (new
ones are made), layer version numbers no published version names, queues made with `queue
create` (the manifest's are made again) and every queue's messages, asynchronous events and
their history. A healthy state database and the ledger are brought level both ways: a missing
record is written, a recorded version or alias missing from the database is put back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import aliases, versions
from .errors import StoreError
from .manifest import Manifest
from .project import Project
from .store import STATE_FILE, AliasWrite, CodeStore, lost_state, open_store, signs_of_use
from .store.ledger import Ledger
from .store.sqlite import check

LOGS_FILE = "logs.db"
LOST_WITH_STATE = (
    "$LATEST RevisionIds (new ones are made)",
    "layer version numbers that no published version names",
    "queues made with 'queue create' (those the manifest declares are made again) "
    "and every queue's messages",
    "asynchronous events and their history",
    "settings changed at run time through the API (overrides of the manifest's functions, "
    "reserved concurrency, event invoke configs, function URLs)",
)
"""What only the state database held: lost with it, whatever the ledger says."""
OK = ("ok", "new", "none", "running", "not running")
"""Statuses that need nothing done."""


@dataclass(frozen=True)
class Check:
    """One part of `.lambda/`: its status, what it holds, and what `--repair` does about it."""

    part: str
    status: str
    detail: str
    repair: str | None = None


@dataclass
class Diagnosis:
    """What `examine` found in `.lambda/` (and, after `repair`, what was done about it)."""

    state_dir: Path
    checks: list[Check]
    repaired: list[str] = field(default_factory=list)
    """What the repair did, in order."""
    recovered: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(c.status in OK for c in self.checks)


def examine(manifest: Manifest) -> Diagnosis:
    """Look at every part of the project's `.lambda/`; changes nothing."""
    state = manifest.state_dir
    ledger = Ledger(state)
    checks = [_state_check(state), _database_check(state / LOGS_FILE, LOGS_FILE, "logs")]
    if checks[0].status == "ok":
        project = _open(manifest)
        try:
            checks.append(_snapshot_check(state, _references(project)))
            checks.append(_ledger_check(ledger, project))
        finally:
            project.close()
    else:
        checks.append(_snapshot_check(state, _recorded_references(ledger)))
        checks.append(_ledger_check(ledger, None))
    pid = _worker_pid(state)
    checks.append(Check("worker", "running" if pid else "not running", f"pid {pid}" if pid else ""))
    return Diagnosis(state, checks)


def repair(manifest: Manifest, *, now: datetime | None = None) -> Diagnosis:
    """Repair what `examine` finds; the report of `.lambda/` afterwards, with what was done,
    recovered and lost. Raises `StoreError` (nothing done) while a worker runs and a database
    must be moved."""
    before = examine(manifest)
    state = manifest.state_dir
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    status = {c.part: c.status for c in before.checks}
    moving = status["state.db"] not in OK or status["logs.db"] not in OK
    if moving and (pid := _worker_pid(state)) is not None:
        raise StoreError(
            f"a worker is running for this project (pid {pid}) on the damaged state",
            hint="stop it first ('lambdactl worker stop'), then run 'lambdactl doctor --repair'",
        )
    done: list[str] = []
    recovered: list[str] = []
    lost: list[str] = []
    if status["logs.db"] not in OK:
        done += _move_aside(state / LOGS_FILE, stamp)
    if status["state.db"] not in OK:
        done += _move_aside(state / STATE_FILE, stamp)
        project = _open(manifest, replace_lost=True)
        done.append(f"made a new {state / STATE_FILE}")
        try:
            _rebuild(project, recovered, lost)
        finally:
            project.close()
        lost += LOST_WITH_STATE
    elif status["state.db"] == "ok":
        project = _open(manifest)
        try:
            done += _level(project, recovered)
        finally:
            project.close()
    done += _rebuild_trees(CodeStore(state))
    after = examine(manifest)
    after.repaired, after.recovered, after.lost = done, recovered, lost
    return after


# -- checks -------------------------------------------------------------------------------------


def _state_check(state: Path) -> Check:
    path = state / STATE_FILE
    if lost_state(state) is not None:
        condition = "missing" if not path.exists() else "empty"
        return Check(
            "state.db",
            condition,
            f"while {state} holds {' and '.join(signs_of_use(state))}",
            "move it aside, make a new one, rebuild from the ledger",
        )
    if not path.exists() or path.stat().st_size == 0:
        return Check("state.db", "new", "not made yet (a new project)")
    return _database_check(path, "state.db", "state", rebuild=" and rebuild from the ledger")


def _database_check(path: Path, part: str, what: str, *, rebuild: str = "") -> Check:
    if not path.exists():
        return Check(part, "none", "not made yet (made on first use)")
    problem = check(path)
    if problem is None:
        return Check(part, "ok", _size(path))
    return Check(
        part,
        "damaged",
        f"{path}: {problem}",
        f"move it aside (with its -wal and -shm), make a new {what} database{rebuild}",
    )


def _ledger_check(ledger: Ledger, project: Project | None) -> Check:
    """The records; with `project` (a healthy state database), compared with it."""
    recorded = {f: ledger.versions(f) for f in ledger.functions()}
    alias_records = {f: ledger.aliases(f) for f in ledger.functions()}
    count = sum(1 for r in recorded.values() for v in r.values() if v is not None)
    held = f"{count} version record(s), {sum(map(len, alias_records.values()))} alias record(s)"
    if ledger.unreadable:
        unreadable = ", ".join(str(p) for p in ledger.unreadable)
        return Check("ledger", "damaged", f"{held}; unreadable: {unreadable}")
    if project is None:
        return Check("ledger", "ok", held)
    unrecorded, missing = _differences(project, ledger)
    if not unrecorded and not missing:
        return Check("ledger", "ok", held)
    parts = [f"{held}"]
    if unrecorded:
        parts.append(f"no record of {', '.join(unrecorded)}")
    if missing:
        parts.append(f"recorded but missing from state.db: {', '.join(missing)}")
    return Check(
        "ledger",
        "incomplete",
        "; ".join(parts),
        "write the missing records; put back what state.db is missing",
    )


def _snapshot_check(state: Path, references: dict[str, list[str]]) -> Check:
    """`references`: snapshot digest -> the versions (`fn:N`, `layer L`) that need it."""
    zips, trees = CodeStore(state).digests()
    held = f"{len(zips | trees)} snapshot(s)"
    untreed = sorted(zips - trees)
    gone = {d: who for d, who in references.items() if d not in zips | trees}
    if gone:
        names = sorted({name for who in gone.values() for name in who})
        return Check(
            "snapshots",
            "damaged",
            f"{held}; missing, so these cannot run: {', '.join(names)}",
        )
    if untreed:
        return Check(
            "snapshots",
            "incomplete",
            f"{held}; {len(untreed)} zip(s) without their extracted tree",
            "extract them again from their zips",
        )
    return Check("snapshots", "ok", held)


# -- repairs ------------------------------------------------------------------------------------


def _move_aside(path: Path, stamp: str) -> list[str]:
    """Move a database and its -wal/-shm files to `NAME.damaged-STAMP[-wal|-shm]`."""
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while any(Path(f"{target}{s}").exists() for s in ("", "-wal", "-shm")):
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            try:
                os.rename(source, f"{target}{suffix}")
            except OSError as exc:
                raise StoreError(f"cannot move {source} aside: {exc}") from None
            moved.append(f"moved {source} aside to {target}{suffix}")
    return moved


def _rebuild(project: Project, recovered: list[str], lost: list[str]) -> None:
    """Put back into a new state database what the ledger holds."""
    ledger = Ledger(project.manifest.state_dir)
    for function in ledger.functions():
        created = ledger.function(function)
        if created is not None and project.store.create_function(function, created):
            recovered.append(f"function {function} (created through the API)")
        recorded = ledger.versions(function)
        numbers = versions.restore(project, function, recorded)
        recovered += [f"version {function}:{n}" for n in numbers]
        known = set(recorded)
        unknown = [n for n in range(1, max(known, default=0)) if n not in known]
        if unknown:
            lost.append(
                f"versions {', '.join(f'{function}:{n}' for n in unknown)}: no record "
                "(published before lambdactl kept them)"
            )
        for record in ledger.aliases(function):
            _restore_alias(project, function, record, recovered, lost)
    zips, trees = project.blobs.digests()
    unnamed = (zips | trees) - ledger.digests()
    if unnamed:
        lost.append(
            f"the versions behind {len(unnamed)} code snapshot(s) in {project.blobs.root} that "
            "no record names (published before lambdactl kept version records), and aliases "
            "of them; the snapshots are kept"
        )


def _restore_alias(
    project: Project, function: str, record: dict, recovered: list[str], lost: list[str]
) -> None:
    name = f"alias {function}:{record.get('name')}"
    try:
        outcome = aliases.restore(project, function, record)
    except (KeyError, TypeError, ValueError):
        lost.append(f"{name}: its record is unreadable")
        return
    if outcome is AliasWrite.WRITTEN:
        recovered.append(f"{name} -> {record['version']}")
    elif outcome is AliasWrite.VERSION_MISSING:
        lost.append(f"{name}: a version it points to ({record['version']}) is not recoverable")


def _level(project: Project, recovered: list[str]) -> list[str]:
    """A healthy state database and the ledger, brought level both ways."""
    done = []
    ledger = Ledger(project.manifest.state_dir)
    created = _created(project)
    for function in _functions(project, ledger):
        recorded_function = ledger.function(function)
        if function in created and recorded_function != created[function]:
            ledger.record_function(function, created[function])
            done.append(f"wrote the record of function {function} (created through the API)")
        elif function not in created and recorded_function is not None:
            if project.store.create_function(function, recorded_function):
                recovered.append(f"function {function} (created through the API)")
        written = versions.remember(project, function)
        done += [f"wrote the record of version {function}:{n}" for n in written]
        stored = {number for number, _ in project.store.list_versions(function)}
        recorded = ledger.versions(function)
        missing = {n: r for n, r in recorded.items() if r is not None and n not in stored}
        restored = versions.restore(project, function, missing)
        recovered += [f"version {function}:{n}" for n in restored]
        current = {a["name"]: a for a in project.store.list_aliases(function)}
        records = ledger.aliases(function)
        for record in records:
            if record.get("name") not in current:
                _restore_alias(project, function, record, recovered, [])
        for name, record in current.items():
            if record not in records:
                ledger.record_alias(function, record)
                done.append(f"wrote the record of alias {function}:{name}")
    return done


def _rebuild_trees(blobs: CodeStore) -> list[str]:
    zips, trees = blobs.digests()
    done = []
    for digest in sorted(zips - trees):
        if blobs.rebuild_tree(digest):
            done.append(f"extracted snapshot {digest[:12]}… again from its zip")
        else:
            done.append(f"snapshot {digest[:12]}…: its zip is damaged; left as it is")
    return done


# -- helpers ------------------------------------------------------------------------------------


def _open(manifest: Manifest, *, replace_lost: bool = False) -> Project:
    state = manifest.state_dir
    return Project(
        manifest=manifest,
        store=open_store(state, replace_lost=replace_lost),
        blobs=CodeStore(state),
    )


def _worker_pid(state: Path) -> int | None:
    """The running worker's pid; without creating the lock file (or `.lambda/`) to ask."""
    from .events import daemon

    return daemon.running_pid(state) if (state / daemon.LOCK_NAME).exists() else None


def _functions(project: Project, ledger: Ledger) -> list[str]:
    return sorted({*project.functions, *ledger.functions()})


def _created(project: Project) -> dict[str, dict]:
    """The records of the functions created through the API, by name."""
    records = project.store.function_records()
    return {} if records is None else records.created


def _differences(project: Project, ledger: Ledger) -> tuple[list[str], list[str]]:
    """(in state.db without a record, recorded but not in state.db), as `fn:N`, `fn:alias`
    and `fn` (a function created through the API)."""
    unrecorded, missing = [], []
    created = _created(project)
    for function in _functions(project, ledger):
        recorded_function = ledger.function(function)
        if function in created and recorded_function != created[function]:
            unrecorded.append(function)
        if function not in created and recorded_function is not None:
            missing.append(function)
        stored = {n for n, _ in project.store.list_versions(function)}
        recorded = ledger.versions(function)
        unrecorded += [f"{function}:{n}" for n in sorted(stored - set(recorded))]
        missing += [
            f"{function}:{n}" for n, r in recorded.items() if r is not None and n not in stored
        ]
        current = {a["name"]: a for a in project.store.list_aliases(function)}
        records = {str(r.get("name")): r for r in ledger.aliases(function)}
        unrecorded += [f"{function}:{a}" for a in sorted(current) if records.get(a) != current[a]]
        missing += [f"{function}:{a}" for a in sorted(records) if a not in current]
    return unrecorded, missing


def _references(project: Project) -> dict[str, list[str]]:
    """Snapshot digest -> the published versions (and their layers) in state.db that need it."""
    needed: dict[str, list[str]] = {}
    for function, created in _created(project).items():
        _need(needed, f"{function}:$LATEST", created)
    for function in _functions(project, Ledger(project.manifest.state_dir)):
        for number, record in project.store.list_versions(function):
            _need(needed, f"{function}:{number}", record)
    return needed


def _recorded_references(ledger: Ledger) -> dict[str, list[str]]:
    needed: dict[str, list[str]] = {}
    for function in ledger.functions():
        if (created := ledger.function(function)) is not None:
            _need(needed, f"{function}:$LATEST", created)
        for number, record in ledger.versions(function).items():
            if record is not None:
                _need(needed, f"{function}:{number}", record)
    return needed


def _need(needed: dict[str, list[str]], version: str, record: dict) -> None:
    needed.setdefault(record["code"]["sha256"], []).append(version)
    for layer in record.get("layers", []):
        needed.setdefault(layer["sha256"], []).append(f"{version} (layer {layer['name']})")


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"
