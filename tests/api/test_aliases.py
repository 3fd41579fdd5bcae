"""The alias operations through boto3 (and raw HTTP for what boto3 will not send) against a
real server: status codes, partial updates, RevisionId, filters, pages, AWS's messages."""

from __future__ import annotations

import http.client
import json
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import Server

ARN = "arn:aws:lambda:us-east-1:123456789012:function:hello"


@pytest.fixture
def two(lambda_client: Any, project_dir: Path) -> Any:
    """The client, with versions 1 and 2 of `hello` published (returning 1 and 2)."""
    for value in (1, 2):
        (project_dir / "src" / "hello" / "app.py").write_text(
            f"def handler(event, context):\n    return {value}\n"
        )
        assert lambda_client.publish_version(FunctionName="hello")["Version"] == str(value)
    return lambda_client


def post(server: Server, path: str, body: bytes) -> tuple[int, Message, dict]:
    """A raw POST: (status, headers (any case), JSON body)."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("POST", path, body=body)
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        connection.close()


def test_create_get_update_delete(two: Any) -> None:
    created = two.create_alias(
        FunctionName="hello", Name="live", FunctionVersion="1", Description="prod"
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    del created["ResponseMetadata"]
    assert created == {
        "AliasArn": f"{ARN}:live",
        "Name": "live",
        "FunctionVersion": "1",
        "Description": "prod",
        "RevisionId": created["RevisionId"],
    }
    got = two.get_alias(FunctionName="hello", Name="live")
    del got["ResponseMetadata"]
    assert got == created

    routed = two.update_alias(
        FunctionName="hello",
        Name="live",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
    )
    assert routed["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (routed["FunctionVersion"], routed["Description"]) == ("1", "prod")  # kept
    assert routed["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    assert routed["RevisionId"] != created["RevisionId"]

    cleared = two.update_alias(
        FunctionName="hello", Name="live", FunctionVersion="2", RoutingConfig={}
    )
    assert cleared["FunctionVersion"] == "2"
    assert "RoutingConfig" not in cleared

    deleted = two.delete_alias(FunctionName="hello", Name="live")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    again = two.delete_alias(FunctionName="hello", Name="live")  # as on AWS: no error
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(two.exceptions.ResourceNotFoundException) as missing:
        two.get_alias(FunctionName="hello", Name="live")
    assert missing.value.response["Error"]["Message"] == f"Cannot find alias arn: {ARN}:live"


def test_update_with_a_stale_revision_id_is_412(two: Any) -> None:
    created = two.create_alias(FunctionName="hello", Name="live", FunctionVersion="1")
    moved = two.update_alias(
        FunctionName="hello", Name="live", FunctionVersion="2", RevisionId=created["RevisionId"]
    )
    with pytest.raises(two.exceptions.PreconditionFailedException) as stale:
        two.update_alias(
            FunctionName="hello", Name="live", FunctionVersion="1",
            RevisionId=created["RevisionId"],
        )
    assert stale.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert stale.value.response["Error"]["Message"] == (
        "The Revision Id provided does not match the latest Revision Id. "
        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
    )
    assert two.get_alias(FunctionName="hello", Name="live")["RevisionId"] == moved["RevisionId"]


def test_aws_rule_errors(two: Any) -> None:
    two.create_alias(FunctionName="hello", Name="live", FunctionVersion="1")
    with pytest.raises(two.exceptions.ResourceConflictException) as exists:
        two.create_alias(FunctionName="hello", Name="live", FunctionVersion="1")
    assert exists.value.response["Error"]["Message"] == f"Alias already exists: {ARN}:live"
    with pytest.raises(two.exceptions.ResourceNotFoundException) as version:
        two.create_alias(FunctionName="hello", Name="next", FunctionVersion="9")
    assert version.value.response["Error"]["Message"] == f"Function not found: {ARN}:9"
    with pytest.raises(two.exceptions.ResourceNotFoundException) as update:
        two.update_alias(FunctionName="hello", Name="other", FunctionVersion="1")
    assert update.value.response["Error"]["Message"] == f"Alias not found: {ARN}:other"
    with pytest.raises(two.exceptions.InvalidParameterValueException) as latest:
        two.create_alias(
            FunctionName="hello", Name="mixed", FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )
    assert latest.value.response["Error"]["Message"] == (
        "$LATEST is not supported for an alias pointing to more than 1 version"
    )
    with pytest.raises(two.exceptions.ClientError) as digits:
        two.create_alias(FunctionName="hello", Name="2024", FunctionVersion="1")
    assert digits.value.response["Error"]["Code"] == "ValidationException"
    assert "Value '2024' at 'name'" in digits.value.response["Error"]["Message"]


def test_list_filters_by_version_and_pages(two: Any) -> None:
    for name, version in (("a", "1"), ("b", "2"), ("c", "1"), ("d", "$LATEST")):
        two.create_alias(FunctionName="hello", Name=name, FunctionVersion=version)
    everything = two.list_aliases(FunctionName="hello")
    assert [a["Name"] for a in everything["Aliases"]] == ["a", "b", "c", "d"]
    assert "NextMarker" not in everything
    ones = two.list_aliases(FunctionName="hello", FunctionVersion="1")
    assert [a["Name"] for a in ones["Aliases"]] == ["a", "c"]
    first = two.list_aliases(FunctionName="hello", MaxItems=3)
    assert [a["Name"] for a in first["Aliases"]] == ["a", "b", "c"]
    rest = two.list_aliases(FunctionName="hello", Marker=first["NextMarker"])
    assert [a["Name"] for a in rest["Aliases"]] == ["d"]
    with pytest.raises(two.exceptions.ClientError) as bad:
        two.list_aliases(FunctionName="hello", FunctionVersion="latest")
    assert bad.value.response["Error"]["Code"] == "ValidationException"


def test_an_alias_with_routing_runs_either_version_and_says_which(two: Any) -> None:
    """The create-publish-alias-invoke flow: X-Amz-Executed-Version names the version that
    ran, and the payload is that version's."""
    two.create_alias(
        FunctionName="hello", Name="canary", FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    seen = set()
    for _ in range(40):
        response = two.invoke(FunctionName="hello", Qualifier="canary")
        executed = response["ExecutedVersion"]
        assert response["Payload"].read().decode() == executed
        seen.add(executed)
        if seen == {"1", "2"}:
            break
    assert seen == {"1", "2"}


def test_bad_bodies_are_400_in_aws_shapes(server: Server) -> None:
    path = "/2015-03-31/functions/hello/aliases"
    status, headers, body = post(server, path, b"{nope")
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    assert body["message"].startswith(
        "Could not parse request body into json: Unexpected character ('n' (code 110)): was "
        "expecting double-quote to start field name"
    )
    status, headers, body = post(server, path, b"")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert body == {
        "message": "2 validation errors detected: Value null at 'name' failed to satisfy "
        "constraint: Member must not be null; Value null at 'functionVersion' failed to "
        "satisfy constraint: Member must not be null"
    }
    status, headers, body = post(server, path, b'["live"]')
    assert (status, headers["x-amzn-ErrorType"]) == (400, "InvalidRequestContentException")
    status, _, body = post(
        server, path, b'{"Name": "x", "FunctionVersion": "1", "RoutingConfig": {'
        b'"AdditionalVersionWeights": {"2": "half"}}}'
    )
    assert status == 400
    assert "AdditionalVersionWeights" in body["message"]
    # ... and the server goes on answering
    client = server.client()
    assert client.list_aliases(FunctionName="hello")["Aliases"] == []
