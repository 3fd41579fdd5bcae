"""The real-endpoint sources' fixtures; the moto server (`moto_url`, `aws`, `Endpoint`) is
tests/conftest.py's, shared with the deploy tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.conftest import Endpoint as Endpoint


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def said() -> Iterator[list[logging.LogRecord]]:
    """What the `lambdactl` logger said (warnings and up) during the test, caught on the
    logger itself: the CLI's set-up may have stopped it propagating to pytest's capture."""
    logger = logging.getLogger("lambdactl")
    handler = _Said()
    logger.addHandler(handler)
    level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
