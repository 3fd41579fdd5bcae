"""Identifiers: request ids, revision ids, environment ids.

Random UUIDs (version 4) are built from `os.urandom` directly: importing `uuid` costs
several milliseconds on every command, and these are the only UUIDs lambdactl needs.
"""

from __future__ import annotations

import base64
import hashlib
import os


def uuid4() -> str:
    """A random RFC 4122 version-4 UUID in its canonical text form."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def hex_id(length: int = 32) -> str:
    """`length` random lowercase hex digits (log stream suffixes, trace ids)."""
    return os.urandom((length + 1) // 2).hex()[:length]


IMPLICIT_API_NAMES = {"REST": "implicit 1.0", "HTTP": "implicit 2.0"}
"""The names `api_id` gives the project's implicit APIs (SAM's `ServerlessRestApi` and
`ServerlessHttpApi`; routes that name no `api`)."""


def api_id(account: str, region: str, name: str) -> str:
    """A stable 10-character id, shaped like API Gateway's, for the API called `name`: the
    one id an API has everywhere (the events of its routes, and a template's `!Ref` of it)."""
    return short_id(f"{account}:{region}:{name}", 10)


def short_id(seed: str, length: int) -> str:
    """`length` lowercase base32 characters derived from `seed` (stable ids)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:length]
