"""The `dynamodb:` source's backend: the DynamoDB stream of a table of a real endpoint (AWS,
or an emulator at `endpoint_url`), read by the stream engine (`sources.stream`) with boto3.

DescribeTable names the table's LatestStreamArn (a table without an enabled stream is
trouble, said once, until it has one); DescribeStream lists the shards with their parents,
GetShardIterator and GetRecords read them; checkpoints and lineage are `sources.shards`'.
Records are as Lambda delivers them: eventVersion 1.1, `ApproximateCreationDateTime` in
epoch seconds (boto3 parses it into a datetime), binary attributes in base64, and the
stream's ARN as eventSourceARN. On-failure records carry DDBStreamBatchInfo.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .filters import SourceKind
from .shards import RealShards, Shard, SourceProblem, Start, calls
from .specs import DynamoDBSource
from .stream import Item

IMAGE_KEYS = ("Keys", "NewImage", "OldImage")


class DynamoDBShards(RealShards):
    """A table's DynamoDB stream's shards for one mapping."""

    kind: SourceKind = "dynamodb"
    service = "dynamodbstreams"
    max_records = 1000
    source: DynamoDBSource

    def describe(self) -> tuple[str, list[Shard]]:
        table = self.source.table
        with calls(f"table {table}"):
            described = self.client("dynamodb").describe_table(TableName=table)["Table"]
        arn = described.get("LatestStreamArn")
        if not arn or not described.get("StreamSpecification", {}).get("StreamEnabled"):
            raise SourceProblem(f"table {table} has no stream: enable DynamoDB Streams on it")
        streams = self.client("dynamodbstreams")
        shards: list[Shard] = []
        options: dict[str, Any] = {}
        with calls(f"table {table} stream"):
            while True:
                answer = streams.describe_stream(StreamArn=arn, **options)["StreamDescription"]
                shards.extend(_shard(shard) for shard in answer.get("Shards", []))
                if not answer.get("LastEvaluatedShardId"):
                    break
                options = {"ExclusiveStartShardId": answer["LastEvaluatedShardId"]}
        self.arn = arn
        return arn, shards

    def latest(self, shard: Shard) -> dict[str, Any]:
        """The sequence number of the shard's last record at the first start, read to it
        (DynamoDB Streams has no AT_TIMESTAMP; its records live 24 hours)."""
        cursor = self.open(shard.id)
        cursor.begin = Start("TRIM_HORIZON")
        while True:
            got = cursor.fetch(self.max_records)
            if not got.items or got.ended:
                return {"sequence": cursor.last}

    def where(self) -> dict[str, str]:
        return {"StreamArn": self.arn}

    def item(self, shard: str, got: dict[str, Any]) -> Item:
        change = got["dynamodb"]
        created = change.get("ApproximateCreationDateTime")
        seconds = created.timestamp() if created is not None else 0.0
        dynamodb: dict[str, Any] = {"ApproximateCreationDateTime": int(seconds)}
        for key in IMAGE_KEYS:
            if key in change:
                dynamodb[key] = _plain(change[key])
        dynamodb["SequenceNumber"] = change["SequenceNumber"]
        dynamodb["SizeBytes"] = change.get("SizeBytes", 0)
        dynamodb["StreamViewType"] = change.get("StreamViewType", "")
        record: dict[str, Any] = {
            "eventID": got["eventID"],
            "eventName": got["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": got.get("awsRegion") or self.source.endpoint.region,
            "dynamodb": dynamodb,
            "eventSourceARN": self.arn,
        }
        if "userIdentity" in got:  # a TTL delete's
            record["userIdentity"] = got["userIdentity"]
        keys = json.dumps(dynamodb.get("Keys", {}), sort_keys=True)
        return Item(change["SequenceNumber"], keys, seconds, record)


def _plain(value: Any) -> Any:
    """Attribute values as JSON: boto3's bytes (B, BS) back to base64, as the wire has them."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(inner) for inner in value]
    return value


def _shard(shard: dict[str, Any]) -> Shard:
    parents = (shard["ParentShardId"],) if shard.get("ParentShardId") else ()
    closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
    return Shard(shard["ShardId"], parents, closed)
