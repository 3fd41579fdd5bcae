"""State in `.lambda/`: one metadata storage interface, its backends, and the code blob store."""

from __future__ import annotations

from pathlib import Path

from .base import AliasWrite, Deletion, Store
from .blobs import CodeStore

__all__ = ["AliasWrite", "CodeStore", "Deletion", "Store", "open_store"]


def open_store(state_dir: Path, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the default embedded backend in `state_dir`; `read_only`
    opens only one that is there (StoreError otherwise) and never writes."""
    from .sqlite import SqliteStore

    return SqliteStore(state_dir / "state.db", read_only=read_only)
