"""The `kinesis:` source's backend: a stream of a real Kinesis endpoint (AWS, or an emulator
at `endpoint_url`), read by the stream engine (`sources.stream`) with boto3.

Shards come from ListShards (with their parents, after a reshard), reading from
GetShardIterator (TRIM_HORIZON, AT_TIMESTAMP, AFTER_SEQUENCE_NUMBER) and GetRecords;
checkpoints and lineage are `sources.shards`'. Records are §7.3's, with the real stream's
ARN. boto3 is imported when the poller first reads, never at start-up.
"""

from __future__ import annotations

import time
from typing import Any

from ..shapes import kinesis
from .filters import SourceKind
from .shards import RealShards, Shard, calls
from .specs import KinesisSource
from .stream import Item


class KinesisShards(RealShards):
    """A real Kinesis stream's shards for one mapping."""

    kind: SourceKind = "kinesis"
    service = "kinesis"
    max_records = 10_000
    source: KinesisSource

    def describe(self) -> tuple[str, list[Shard]]:
        name = self.source.stream_name
        kinesis_ = self.client("kinesis")
        with calls(f"stream {name}"):
            described = kinesis_.describe_stream_summary(StreamName=name)
            summary = described["StreamDescriptionSummary"]
            shards: list[Shard] = []
            answer = kinesis_.list_shards(StreamName=name)
            while True:
                shards.extend(_shard(shard) for shard in answer.get("Shards", []))
                if not answer.get("NextToken"):
                    break
                answer = kinesis_.list_shards(NextToken=answer["NextToken"])
        self.arn = summary["StreamARN"]
        return f"{self.arn} {summary['StreamCreationTimestamp'].timestamp():.3f}", shards

    def latest(self, shard: Shard) -> dict[str, Any]:
        """AT_TIMESTAMP of the first start (Kinesis names no sequence number for the tip of
        an empty shard)."""
        return {"at": time.time()}

    def where(self) -> dict[str, str]:
        return {"StreamName": self.source.stream_name}

    def item(self, shard: str, got: dict[str, Any]) -> Item:
        arrival = got["ApproximateArrivalTimestamp"]  # boto3 gives a datetime
        record = kinesis.record(
            bytes(got["Data"]),
            partition_key=got["PartitionKey"],
            sequence_number=got["SequenceNumber"],
            stream_arn=self.arn,
            arrival=arrival,
            shard_id=shard,
        )
        return Item(got["SequenceNumber"], got["PartitionKey"], arrival.timestamp(), record)


def _shard(shard: dict[str, Any]) -> Shard:
    parents = tuple(
        shard[key] for key in ("ParentShardId", "AdjacentParentShardId") if shard.get(key)
    )
    closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
    return Shard(shard["ShardId"], parents, closed)
