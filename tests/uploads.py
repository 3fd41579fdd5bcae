"""Zips as a test suite uploads them through the API, and the request that creates a function
from one."""

from __future__ import annotations

import io
import stat
import zipfile
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/lambda-test"

HANDLER = """\
import os


def handler(event, context):
    return {"from": "api", "event": event, "greeting": os.environ.get("GREETING")}


def fails(event, context):
    raise ValueError("intentional failure")
"""


def zip_of(files: dict[str, str | bytes], *, links: dict[str, str] | None = None) -> bytes:
    """A zip holding `files` (name -> content; a name ending in `/` is a directory entry)
    and `links` (name -> target) as symbolic-link entries, as `zip -y` stores them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def handler_zip(source: str = HANDLER) -> bytes:
    return zip_of({"main.py": source})


def create_request(**given: Any) -> dict[str, Any]:
    """CreateFunction's fields for a python3.11 function running `main.handler`."""
    return {
        "Runtime": "python3.11",
        "Handler": "main.handler",
        "Role": ROLE,
        "Code": {"ZipFile": handler_zip()},
        **given,
    }
