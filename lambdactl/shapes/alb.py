"""An Application Load Balancer's request to a Lambda target (AWS "Lambda functions as
targets"; aws-lambda-go's alb-lambda-target-request*.json for field names).

Without multi-value headers (the target group's default) the event has `headers` and
`queryStringParameters`, each name's last value; with them, `multiValueHeaders` and
`multiValueQueryStringParameters` instead, never both. Header names are lower-cased; query
parameters are passed as sent, not URL-decoded. The body is "" when there is none, and
base64 (`isBase64Encoded`) unless its Content-Type is text (the same media types as a
function URL's).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timezone
from typing import Any

from .. import ids, urls


def target_group_arn(region: str, account: str, name: str) -> str:
    suffix = hashlib.sha256(f"{account}:{region}:{name}".encode()).hexdigest()[:16]
    return f"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/{suffix}"


def event(
    request: urls.HttpRequest, *, target_group_arn: str, multi_value: bool = False
) -> dict[str, Any]:
    """The event for `request`, forwarded by the target group `target_group_arn`."""
    when = request.time.astimezone(timezone.utc)
    region = target_group_arn.split(":")[3]
    headers = [(name.lower(), value) for name, value in request.headers]
    names = {name for name, _ in headers}
    added = {
        "host": f"lambdactl-alb.{region}.elb.amazonaws.com",
        "x-amzn-trace-id": f"Root=1-{int(when.timestamp()):08x}-{ids.hex_id(24)}",
        "x-forwarded-for": request.source_ip,
        "x-forwarded-port": str(request.port or 80),
        "x-forwarded-proto": "https" if request.port == 443 else "http",
    }
    headers += [(name, value) for name, value in added.items() if name not in names]
    query = [
        tuple(part.split("=", 1)) if "=" in part else (part, "")
        for part in request.raw_query.split("&")
        if part
    ]
    shaped: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": request.method,
        "path": request.raw_path,
    }
    if multi_value:
        shaped["multiValueQueryStringParameters"] = _grouped(query)
        shaped["multiValueHeaders"] = _grouped(headers)
    else:
        shaped["queryStringParameters"] = {name: value for name, value in query}
        shaped["headers"] = dict(headers)
    text = None
    if request.body and urls.is_text(request.header("content-type")):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    encoded = bool(request.body) and text is None
    shaped["body"] = base64.b64encode(request.body).decode() if encoded else (text or "")
    shaped["isBase64Encoded"] = encoded
    return shaped


def _grouped(pairs: Any) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped
