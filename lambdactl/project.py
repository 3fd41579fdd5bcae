"""A project: one manifest, the `.lambda/` state beside it, and the functions it declares."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import arns
from . import manifest as manifest_module
from .errors import ResourceNotFoundException
from .manifest import FunctionSpec, Manifest
from .store import CodeStore, Store, open_store

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
    """`$LATEST` per function as last computed, valid while `changes` reports nothing."""

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
        for spec in self.manifest.functions.values():
            for directory in (spec.code, *spec.layers):
                self.changes.watch(directory)

    def close(self) -> None:
        if self.changes is not None:
            self.changes.close()
        self.store.close()

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return arns.function_arn(self.manifest.region, self.manifest.account, name, qualifier)

    def ref(self, text: str, qualifier: str | None = None) -> arns.FunctionRef:
        """Parse a user-supplied function reference against this project's region/account."""
        return arns.parse(
            text, region=self.manifest.region, account=self.manifest.account, qualifier=qualifier
        )

    def function(self, name: str) -> FunctionSpec:
        """The declared function, or AWS's `Function not found` error."""
        try:
            return self.manifest.functions[name]
        except KeyError:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name)}") from None
