"""The `sqs:` source: a queue of a real SQS-compatible endpoint (AWS, or moto, ElasticMQ,
LocalStack...), polled with boto3 as Lambda's event source mapping polls it (spec §7.2).

`SqsQueue` is one `Backend` of the queue engine (`sources.queue.QueuePoller`): batching,
filters, the 6 MB cap, outcomes and scaling are the engine's, as for a local queue. Here:
- Receive: ReceiveMessage with up to 10 messages a call (the engine calls again to fill a
  batch within its window), every system and message attribute, and a long poll of
  `WAIT_SECONDS` (short, so `stop` ends within about that: SQS allows 20).
- Records: §7.2's, with `eventSourceARN` the queue's QueueArn attribute (read once, again every
  `ATTRIBUTES_SECONDS`, with the VisibilityTimeout the engine hides messages for).
- Delete (success; a filter's drop) is DeleteMessageBatch; release (a batch gathered while
  stopping, a message past the 6 MB cap) is ChangeMessageVisibilityBatch to 0. An entry those
  refuse (its receipt handle is stale: received again since) is left: at-least-once.
- Not ours: the dead-letter queue. A failed batch is left in flight; SQS shows it again after
  its visibility timeout and moves it after maxReceiveCount (the queue's RedrivePolicy).

Where: `endpoint_url` (None: boto3's own choice, which follows AWS_ENDPOINT_URL_SQS, else
AWS's endpoint for the region), the region (`region:`, else an AWS queue URL's, else the
manifest's) and credentials from boto3's standard chain (environment, profile, SSO, instance
role). Any failure to reach the queue is an `SqsUnavailable` with one readable line, which
the engine shows in the mapping's LastProcessingResult and retries with backoff.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project
from ..shapes import sqs as shapes
from .queue import QueuePoller
from .specs import SqsSource, queue_url_arn

WAIT_SECONDS = 1
"""Each ReceiveMessage's long poll: an idle queue costs one call a second, and a stop waits
for at most one (botocore cannot interrupt a call in flight)."""
ATTRIBUTES_SECONDS = 60.0
"""How long the queue's ARN and visibility timeout are taken as read."""
CONNECT_SECONDS = 5
"""How long to wait for a TCP connection to the endpoint."""
BATCH_ENTRIES = 10
"""SQS's limit of entries in one DeleteMessageBatch or ChangeMessageVisibilityBatch."""


class SqsUnavailable(LambdactlError):
    """The queue cannot be read: unreachable endpoint, credentials refused, no such queue."""


def poller(project: Project, invoker: Invoker, source: SqsSource) -> QueuePoller:
    """The queue engine over this source's real queue."""
    return QueuePoller(project, invoker, source, SqsQueue(source))


class SqsQueue:
    """One queue of an SQS endpoint, through one boto3 client (made on first use)."""

    wait = WAIT_SECONDS
    idle = 0.0  # the long poll was the pause

    def __init__(
        self, source: SqsSource, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.source = source
        self.url = source.queue_url
        self.name = f"sqs source {source.queue_url}"
        self.clock = clock
        self._client: Any = None
        self._lock = threading.Lock()
        self._attributes: dict[str, str] = {}
        self._read_at = float("-inf")
        self._url_arn = queue_url_arn(self.url, source.endpoint.region) or self.url
        """The ARN when the endpoint does not say (QueueArn missing)."""

    # -- the Backend ---------------------------------------------------------------------------

    def visibility_timeout(self) -> int:
        return int(self._queue_attributes().get("VisibilityTimeout", "30"))

    def receive(self, count: int, *, hide: int, wait: int) -> list[dict[str, Any]]:
        arn = self._queue_attributes().get("QueueArn") or self._url_arn
        response = self._call(
            "receive_message",
            QueueUrl=self.url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait,
            VisibilityTimeout=hide,
            # Both spellings: AttributeNames for servers that predate the newer one.
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return [record(message, arn) for message in response.get("Messages", [])]

    def delete(self, records: Sequence[dict[str, Any]]) -> None:
        for entries in _entries(records):
            self._call("delete_message_batch", QueueUrl=self.url, Entries=entries)

    def release(self, records: Sequence[dict[str, Any]]) -> None:
        for entries in _entries(records):
            for entry in entries:
                entry["VisibilityTimeout"] = 0
            self._call("change_message_visibility_batch", QueueUrl=self.url, Entries=entries)

    # -- boto3 ---------------------------------------------------------------------------------

    def _queue_attributes(self) -> dict[str, str]:
        if self.clock() - self._read_at >= ATTRIBUTES_SECONDS or not self._attributes:
            response = self._call(
                "get_queue_attributes",
                QueueUrl=self.url,
                AttributeNames=["QueueArn", "VisibilityTimeout"],
            )
            self._attributes = dict(response.get("Attributes", {}))
            self._read_at = self.clock()
        return self._attributes

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        """One SQS call; any failure to make it is an `SqsUnavailable` saying why."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response: dict[str, Any] = getattr(self.client(), operation)(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "Error"), error.get("Message", "")
            self._read_at = float("-inf")  # the queue may be another one when it is back
            raise SqsUnavailable(f"{code}: {message}" if message else code) from None
        except BotoCoreError as exc:
            self._read_at = float("-inf")
            raise SqsUnavailable(str(exc)) from None
        return response

    def client(self) -> Any:
        """The boto3 SQS client: no retries of its own (the engine's backoff retries), a
        connection pool wide enough for the batches settled at once."""
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                config = Config(
                    retries={"total_max_attempts": 1},
                    connect_timeout=CONNECT_SECONDS,
                    read_timeout=WAIT_SECONDS + 30,
                    max_pool_connections=50,
                )
                self._client = boto3.session.Session().client(
                    "sqs",
                    region_name=self.source.endpoint.region,
                    endpoint_url=self.source.endpoint.url,
                    config=config,
                )
            return self._client


def record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """A received message (boto3's ReceiveMessage entry) as Lambda's record (§7.2)."""
    system = message.get("Attributes", {})
    sent = int(system.get("SentTimestamp", "0")) / 1000
    return shapes.record(
        message["MessageId"],
        message["Body"],
        queue_arn=queue_arn,
        receipt_handle=message["ReceiptHandle"],
        sent=sent,
        sender=system.get("SenderId", ""),
        first_receive=int(system.get("ApproximateFirstReceiveTimestamp", "0")) / 1000 or sent,
        receive_count=int(system.get("ApproximateReceiveCount", "1")),
        attributes=_message_attributes(message.get("MessageAttributes", {})),
        group_id=system.get("MessageGroupId"),
        deduplication_id=system.get("MessageDeduplicationId"),
        sequence_number=system.get("SequenceNumber"),
        trace_header=system.get("AWSTraceHeader"),
    )


def _message_attributes(given: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """boto3's message attributes in the JSON protocol's text form (a BinaryValue arrives as
    bytes; the record, like SQS's wire, carries it base64-encoded)."""
    found: dict[str, dict[str, str]] = {}
    for name, value in given.items():
        entry = {"DataType": value.get("DataType", "String")}
        if "BinaryValue" in value:
            entry["BinaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        else:
            entry["StringValue"] = value.get("StringValue", "")
        found[name] = entry
    return found


def _entries(records: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Batch entries for `records`' receipt handles, at most `BATCH_ENTRIES` at a time."""
    for start in range(0, len(records), BATCH_ENTRIES):
        chunk = records[start : start + BATCH_ENTRIES]
        yield [
            {"Id": str(n), "ReceiptHandle": record["receiptHandle"]}
            for n, record in enumerate(chunk)
        ]
