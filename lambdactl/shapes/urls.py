"""Lambda's shapes for function URLs: FunctionUrlConfig (Get/Create/Update/List)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..manifest import Cors
    from ..urls import FunctionUrl, HttpRequest


def function_url_config(
    url: FunctionUrl, endpoint: str, *, last_modified: bool = True
) -> dict[str, Any]:
    """Get/Update/CreateFunctionUrlConfig and ListFunctionUrlConfigs' entries (Create's
    without `LastModifiedTime`, as AWS's model). `FunctionUrl` is the URL on the server at
    `endpoint`, where it answers (AWS's is `https://<url-id>.lambda-url...`)."""
    shape: dict[str, Any] = {
        "FunctionUrl": url.url(endpoint),
        "FunctionArn": url.function_arn,
        "AuthType": url.config.auth,
    }
    if url.config.cors is not None:
        shape["Cors"] = cors(url.config.cors)
    shape["CreationTime"] = url.created
    if last_modified:
        shape["LastModifiedTime"] = url.modified
    shape["InvokeMode"] = url.config.invoke_mode
    return shape


def cors(config: Cors) -> dict[str, Any]:
    """AWS's `Cors`: the lists that are set, AllowCredentials, and MaxAge when set."""
    shape: dict[str, Any] = {"AllowCredentials": config.allow_credentials}
    for key, values in (
        ("AllowHeaders", config.allow_headers),
        ("AllowMethods", config.allow_methods),
        ("AllowOrigins", config.allow_origins),
        ("ExposeHeaders", config.expose_headers),
    ):
        if values:
            shape[key] = list(values)
    if config.max_age is not None:
        shape["MaxAge"] = config.max_age
    return shape


def url_event(
    request: HttpRequest,
    function: str,
    *,
    region: str,
    account: str,
    request_id: str,
    auth: str = "NONE",
    qualifier: str | None = None,
) -> dict[str, Any]:
    """The event a function URL of `function` (its alias `qualifier`) sends for `request`:
    `lambdactl.urls.event`, the one that `serve` delivers, for a URL described here rather
    than read from the manifest."""
    from .. import arns, urls
    from ..manifest import UrlConfig

    target = urls.FunctionUrl(
        function=function,
        config=UrlConfig(auth=auth, qualifier=qualifier),
        url_id=urls.url_id(account, region, function, qualifier),
        function_arn=arns.function_arn(region, account, function, qualifier),
        created="",
        modified="",
    )
    return urls.event(request, target, region=region, account=account, request_id=request_id)
