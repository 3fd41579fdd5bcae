"""A project: one manifest, the `.lambda/` state beside it, and its functions (the manifest's,
as changed at run time, and those created through the Lambda API)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import arns
from . import manifest as manifest_module
from .errors import ResourceNotFoundException, StoreError
from .manifest import FunctionSpec, Manifest
from .store import CodeStore, FunctionRecords, Store, open_store

if TYPE_CHECKING:
    from .changes import Changes


@dataclass
class Project:
    manifest: Manifest
    store: Store
    blobs: CodeStore
    changes: Changes | None = None
    """Set by `watch_code`: file-system events tell when `$LATEST` must be looked at again."""
    latest_versions: dict[str, Any] = field(default_factory=dict)
    """(spec, `$LATEST`) per function as last computed, valid while `changes` reports nothing
    and the spec is the same."""
    held: dict[str, Any] = field(default_factory=dict)
    """`versions.Hold` per function whose `$LATEST` is held (see `versions.hold`)."""
    latest_locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    """One per function: its `$LATEST` is worked out by one thread at a time."""
    _functions: tuple[int, Mapping[str, FunctionSpec]] | None = field(default=None, repr=False)
    """(the store's generation of run-time records, the functions composed from them)."""
    _composing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, manifest_path: Path) -> Project:
        """Load and validate the manifest, then open its state (created on first use)."""
        loaded = manifest_module.load(manifest_path)
        state = loaded.state_dir
        return cls(manifest=loaded, store=open_store(state), blobs=CodeStore(state))

    def watch_code(self) -> None:
        """Watch every function's code and layers, for long-running processes."""
        from .changes import Changes

        if self.changes is None:
            self.changes = Changes()
        for spec in self.functions.values():
            if spec.upload is None:  # a created function's code is a snapshot: never changes
                for directory in (spec.code, *spec.layers):
                    self.changes.watch(directory)

    def adopt(self, manifest: Manifest) -> None:
        """Follow `manifest`, a new text of this project's (a long-running process whose
        manifest was edited): the functions are composed from it at their next access, and
        the code of those it adds is watched. Invocations in flight finish with what they
        started with."""
        with self._composing:  # not while composing from the old one (it would be kept)
            self.manifest = manifest
            self._functions = None
        if self.changes is not None:
            self.watch_code()

    def close(self) -> None:
        if self.changes is not None:
            self.changes.close()
        self.store.close()

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return arns.function_arn(self.manifest.region, self.manifest.account, name, qualifier)

    def ref(self, text: str, qualifier: str | None = None) -> arns.FunctionRef:
        """Parse a user-supplied function reference against this project's region/account."""
        ref = arns.parse(
            text, region=self.manifest.region, account=self.manifest.account, qualifier=qualifier
        )
        named = self.manifest.logical_ids.get(ref.name)  # a template function's logical ID
        if named is not None and ref.name not in self.functions:
            return arns.FunctionRef(named, ref.qualifier)
        return ref

    @property
    def functions(self) -> Mapping[str, FunctionSpec]:
        """Every function by name: the manifest's (in its order, with their run-time
        overrides), then those created through the API (by name); see `catalog`.

        Up to date with the store at each access (one read of one row when nothing changed),
        so a process started before a change, in this process or another, follows it."""
        known = self._functions
        records = self.store.function_records(since=None if known is None else known[0])
        if records is None and known is not None:
            return known[1]
        with self._composing:
            return self._compose(records)

    def _compose(self, records: FunctionRecords | None) -> Mapping[str, FunctionSpec]:
        for _attempt in range(3):
            if records is None:
                records = self.store.function_records()
                assert records is not None
            if not records.created and not records.settings:  # most projects: no import
                functions: Mapping[str, FunctionSpec] = self.manifest.functions
                break
            from . import catalog

            functions, stale = catalog.compose(self.manifest, self.blobs, records)
            if not stale:
                break
            try:  # the manifest was edited since those overrides: it wins
                for function, keys in stale.items():
                    self.store.delete_settings(function, keys)
            except StoreError:  # a store opened to look only: they are not applied all the same
                break
            records = None
        self._functions = (records.generation, functions) if records else None
        return functions

    def function(self, name: str) -> FunctionSpec:
        """The function, or AWS's `Function not found` error."""
        spec = self.functions.get(name)
        if spec is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name)}")
        return spec

    @property
    def unreserved_concurrency(self) -> int:
        """What the functions without reserved concurrency share, run-time changes counted."""
        return manifest_module.unreserved(self.manifest.account_concurrency, self.functions)
