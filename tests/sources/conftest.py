"""A moto server for the real-endpoint sources (sqs, kinesis, dynamodb): one per test session,
on 127.0.0.1 and a free port, stopped after; its state is reset before each test that uses it."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Endpoint:
    """Where the moto server answers, and the region the tests' manifests name."""

    url: str
    region: str = "us-east-1"

    def client(self, service: str) -> Any:
        """A boto3 client of `service` against the server, with test credentials."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """The session's moto server (imported only by tests that use it: moto is heavy)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    """The moto server, emptied, and test credentials in the environment, so code under test
    that builds its own clients finds them (never a real account's)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
    return Endpoint(moto_url)



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
