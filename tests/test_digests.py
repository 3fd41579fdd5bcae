"""`digests.sha256_hex` is `hashlib.sha256(data).hexdigest()`, without loading OpenSSL."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from lambdactl import digests


@pytest.mark.parametrize("data", [b"", b"abc", bytes(range(256)) * 1000])
def test_the_same_digest_as_hashlib(data: bytes) -> None:
    assert digests.sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_hashlib_is_not_imported() -> None:
    code = (
        "import sys\nfrom lambdactl.digests import sha256_hex\nsha256_hex(b'x')\n"
        "print('hashlib' in sys.modules, '_hashlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "False"], done.stderr
