"""SHA-256 digests, as `hashlib.sha256(data).hexdigest()` gives them.

CPython's own SHA-256 is built in; `hashlib` also loads OpenSSL's library, ~2.5 ms of every
command that computes a digest (a `$LATEST` invoke computes several). `hashlib` stands in
on a Python built without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data`, as 64 lowercase hex digits."""
    return str(_sha256()(data).hexdigest())


def _sha256() -> Callable[[bytes], Any]:
    global _constructor
    if _constructor is None:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12+
        except ImportError:
            try:
                from _sha256 import sha256  # type: ignore[import-not-found]  # 3.10, 3.11
            except ImportError:
                from hashlib import sha256
        _constructor = sha256
    return _constructor


_constructor: Callable[[bytes], Any] | None = None
