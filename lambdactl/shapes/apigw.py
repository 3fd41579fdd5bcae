"""API Gateway's events (spec §7.4): a REST API's proxy integration (payload format 1.0)
and an HTTP API's (payload format 2.0), built from the HTTP request (`urls.HttpRequest`).

Payload 2.0 is the function URL's event (`lambdactl.urls.event`) with an API's names in the
request context: one builder for both, not two. Payload 1.0 (aws-lambda-go's
apigw-request.json for field names): header names as sent, each header's and query
parameter's last value in `headers` / `queryStringParameters` and every value in the
`multiValue*` maps, unset maps null, `requestContext.path` with the stage, the body as text.
"""

from __future__ import annotations

import base64
import os
from datetime import timezone
from typing import Any
from urllib.parse import parse_qsl, unquote

from .. import ids, urls
from ..manifest import UrlConfig


def api_id(account: str, region: str, name: str = "api") -> str:
    """A stable 10-character API id, like API Gateway's."""
    return urls.url_id(account, region, f"apigw:{name}")[:10]


def domain(api: str, region: str) -> str:
    return f"{api}.execute-api.{region}.amazonaws.com"


def rest_event(
    request: urls.HttpRequest,
    *,
    region: str,
    account: str,
    api: str,
    request_id: str,
    stage: str = "prod",
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    stage_variables: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API's proxy event; `resource` is the matched resource's path template (the
    request's path when None: a resource without parameters)."""
    when = request.time.astimezone(timezone.utc)
    host = domain(api, region)
    sent = [*request.headers]
    names = {name.lower() for name, _ in sent}
    added = {
        "host": ("Host", host),
        "x-amzn-trace-id": (
            "X-Amzn-Trace-Id",
            f"Root=1-{int(when.timestamp()):08x}-{ids.hex_id(24)}",
        ),
        "x-forwarded-for": ("X-Forwarded-For", request.source_ip),
        "x-forwarded-port": ("X-Forwarded-Port", "443"),
        "x-forwarded-proto": ("X-Forwarded-Proto", "https"),
    }
    sent += [pair for key, pair in added.items() if key not in names]
    headers, multi_headers = _single_and_multi(sent)
    query, multi_query = _single_and_multi(parse_qsl(request.raw_query, keep_blank_values=True))
    path = unquote(request.raw_path)
    body, encoded = _text_body(request.body)
    user_agent = request.header("user-agent")
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters,
        "stageVariables": stage_variables,
        "requestContext": {
            "accountId": account,
            "apiId": api,
            "domainName": host,
            "domainPrefix": api,
            "extendedRequestId": base64.b64encode(os.urandom(12)).decode(),
            "httpMethod": request.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": request.source_ip,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
            },
            "path": f"/{stage}{path}",
            "protocol": request.protocol,
            "requestId": request_id,
            "requestTime": urls.request_time(when),
            "requestTimeEpoch": int(when.timestamp() * 1000),
            "resourceId": ids.hex_id(6),
            "resourcePath": resource or path,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def http_event(
    request: urls.HttpRequest,
    *,
    region: str,
    account: str,
    api: str,
    request_id: str,
    route_key: str = "$default",
    stage: str = "$default",
) -> dict[str, Any]:
    """An HTTP API's event (payload format 2.0): the function URL's event, with the API's
    id, domain, route, stage and the caller's account."""
    target = urls.FunctionUrl(
        function="", config=UrlConfig(), url_id=api, function_arn="", created="", modified=""
    )
    shaped = urls.event(request, target, region=region, account=account, request_id=request_id)
    shaped["routeKey"] = route_key
    context = shaped["requestContext"]
    context.update(
        accountId=account, domainName=domain(api, region), routeKey=route_key, stage=stage
    )
    return shaped


def _single_and_multi(pairs: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each name's last value, and all its values in order (payload 1.0's two maps)."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _text_body(body: bytes) -> tuple[str | None, bool]:
    """A REST API passes the body as text (null when there is none); bytes that are not
    UTF-8 can only travel as base64 (a binary media type's handling)."""
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True
