"""Which functions a project has: those its manifest declares, with what was changed in them
at run time through the Lambda API, and those created through the API.

Both live in the store as records it does not interpret: a created function's record (its
configuration and the zip its code is), and *settings*, one per changed key of a function.
A setting of a declared function is an **override**: beside its value it keeps the manifest's
value it replaced (its `base`). Once the manifest says something else for that key, it was
edited since, and the manifest wins: the override is stale and dropped. Settings of a created
function have no base and last as long as it does. Where a name is both declared and created
(the manifest came to declare it later), the manifest's function is the one.

    config keys (`CONFIG_KEYS`)   {"value": <FunctionConfig.to_dict() value>, "base": ...}
    reserved_concurrency          {"value": N or None (none reserved), "base": ...}
    event_invoke:QUALIFIER        {"value": an EventInvokeConfig or None (deleted), "base": ...}
    url:QUALIFIER                 {"value": a function URL or None (deleted), "base": ...}

The base of every `url:` setting is the manifest's whole `url:` section, so that any edit of
it drops all the URLs made at run time (the manifest says again what the URLs are).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .manifest import (
    API,
    AsyncConfig,
    Cors,
    Destination,
    EventInvokeConfig,
    FunctionConfig,
    FunctionSpec,
    Manifest,
    Upload,
    UrlConfig,
    UrlRecord,
)
from .store import CodeStore, FunctionRecords

CONFIG_KEYS = (
    "runtime",
    "handler",
    "memory",
    "timeout",
    "environment",
    "description",
    "logging",
    "role",
    "ephemeral_storage",
    "tracing",
    "kms_key_arn",
)
"""The configuration UpdateFunctionConfiguration changes, as `FunctionConfig` names it."""
RESERVED_CONCURRENCY = "reserved_concurrency"
EVENT_INVOKE = "event_invoke:"
"""Prefix of the setting of one qualifier's EventInvokeConfig."""
URL = "url:"
"""Prefix of the setting of one qualifier's function URL."""
LATEST = "$LATEST"

Stale = dict[str, list[str]]
"""Settings to drop: function -> keys."""


def event_invoke_key(qualifier: str | None) -> str:
    return EVENT_INVOKE + (qualifier or LATEST)


def url_key(qualifier: str | None) -> str:
    return URL + (qualifier or LATEST)


def compose(
    manifest: Manifest, blobs: CodeStore, records: FunctionRecords
) -> tuple[dict[str, FunctionSpec], Stale]:
    """(every function by name: the manifest's first, in its order, then the created ones by
    name; the settings that are stale: of a function that is gone, or overrides of a key the
    manifest changed since)."""
    functions: dict[str, FunctionSpec] = {}
    stale: Stale = {}
    for name, spec in manifest.functions.items():
        settings = records.settings.get(name, {})
        current = {k: r for k, r in settings.items() if _current(spec, k, r)}
        if len(current) < len(settings):
            stale[name] = [k for k in settings if k not in current]
        functions[name] = apply(spec, current) if current else spec
    for name, record in records.created.items():
        if name not in functions:
            created = created_spec(name, record, manifest, blobs)
            functions[name] = apply(created, records.settings.get(name, {}))
    for name, settings in records.settings.items():
        if name not in functions:
            stale[name] = list(settings)
    return functions, stale


def created_spec(
    name: str, record: Mapping[str, Any], manifest: Manifest, blobs: CodeStore
) -> FunctionSpec:
    """A function created through the API, from its record."""
    code = record["code"]
    return FunctionSpec(
        name=name,
        code=blobs.tree(code["sha256"]),
        config=FunctionConfig.from_dict(record["config"]),
        log_retention=manifest.log_retention,
        source=API,
        upload=Upload(code["sha256"], code["size"]),
    )


def apply(spec: FunctionSpec, settings: Mapping[str, Mapping[str, Any]]) -> FunctionSpec:
    """`spec` with `settings` applied (overrides of a declared function keep their bases)."""
    config = config_dict(spec.config)
    reserved = spec.reserved_concurrency
    event_invoke = dict(spec.event_invoke)
    url_changes = dict(spec.url_changes)
    overrides = dict(spec.overrides)
    for key, setting in settings.items():
        value = setting["value"]
        if key in CONFIG_KEYS:
            config[key] = value
        elif key == RESERVED_CONCURRENCY:
            reserved = value
        elif key.startswith(EVENT_INVOKE):
            event_invoke[key[len(EVENT_INVOKE) :]] = decode_event_invoke(value)
        elif key.startswith(URL):
            url_changes[key[len(URL) :]] = decode_url(value)
        else:
            continue  # written by a later lambdactl: not this one's to apply
        if "base" in setting:
            overrides[key] = setting["base"]
    return replace(
        spec,
        config=FunctionConfig.from_dict(config),
        reserved_concurrency=reserved,
        event_invoke=event_invoke,
        url_changes=url_changes,
        overrides=overrides,
    )


def config_dict(config: FunctionConfig) -> dict[str, Any]:
    """Every key of `config` as JSON, defaults included (`to_dict` leaves them out to keep
    the hashes of older versions): the base of an override of any of `CONFIG_KEYS`."""
    return {
        **config.to_dict(),
        "logging": config.logging.to_dict(),
        "role": config.role,
        "ephemeral_storage": config.ephemeral_storage,
        "tracing": config.tracing,
        "kms_key_arn": config.kms_key_arn,
    }


def base(spec: FunctionSpec, key: str) -> Any:
    """The manifest's value of setting `key` for a declared function, as JSON."""
    if key in CONFIG_KEYS:
        return config_dict(spec.config)[key]
    if key == RESERVED_CONCURRENCY:
        return spec.reserved_concurrency
    if key.startswith(EVENT_INVOKE):
        return async_fields(spec.asynchronous)
    if key.startswith(URL):
        return None if spec.url is None else encode_url_config(spec.url)
    return None


def async_fields(config: AsyncConfig) -> dict[str, Any]:
    """The part of an `async:` section that an EventInvokeConfig sets, as JSON."""
    return {
        "maximum_retry_attempts": config.maximum_retry_attempts,
        "maximum_event_age": config.maximum_event_age,
        "on_success": _destination(config.on_success),
        "on_failure": _destination(config.on_failure),
    }


def encode_event_invoke(config: EventInvokeConfig) -> dict[str, Any]:
    return {
        "last_modified": config.last_modified,
        "maximum_retry_attempts": config.maximum_retry_attempts,
        "maximum_event_age": config.maximum_event_age,
        "on_success": _destination(config.on_success),
        "on_failure": _destination(config.on_failure),
    }


def decode_event_invoke(value: Mapping[str, Any] | None) -> EventInvokeConfig | None:
    if value is None:
        return None
    return EventInvokeConfig(
        last_modified=value["last_modified"],
        maximum_retry_attempts=value.get("maximum_retry_attempts"),
        maximum_event_age=value.get("maximum_event_age"),
        on_success=_target(value.get("on_success")),
        on_failure=_target(value.get("on_failure")),
    )


def encode_url(record: UrlRecord) -> dict[str, Any]:
    return {
        "config": encode_url_config(record.config),
        "created": record.created,
        "modified": record.modified,
    }


def decode_url(value: Mapping[str, Any] | None) -> UrlRecord | None:
    if value is None:
        return None
    return UrlRecord(decode_url_config(value["config"]), value["created"], value["modified"])


def encode_url_config(config: UrlConfig) -> dict[str, Any]:
    """A URL's settings as JSON (a manifest's `url:` as the base of its overrides)."""
    cors = config.cors
    return {
        "auth": config.auth,
        "invoke_mode": config.invoke_mode,
        "qualifier": config.qualifier,
        "cors": None
        if cors is None
        else {
            "allow_origins": list(cors.allow_origins),
            "allow_methods": list(cors.allow_methods),
            "allow_headers": list(cors.allow_headers),
            "expose_headers": list(cors.expose_headers),
            "allow_credentials": cors.allow_credentials,
            "max_age": cors.max_age,
        },
    }


def decode_url_config(value: Mapping[str, Any]) -> UrlConfig:
    cors = value.get("cors")
    return UrlConfig(
        auth=value["auth"],
        invoke_mode=value["invoke_mode"],
        qualifier=value.get("qualifier"),
        cors=None
        if cors is None
        else Cors(
            allow_origins=tuple(cors["allow_origins"]),
            allow_methods=tuple(cors["allow_methods"]),
            allow_headers=tuple(cors["allow_headers"]),
            expose_headers=tuple(cors["expose_headers"]),
            allow_credentials=cors["allow_credentials"],
            max_age=cors.get("max_age"),
        ),
    )


def _current(spec: FunctionSpec, key: str, setting: Mapping[str, Any]) -> bool:
    """Whether an override still applies: the manifest says for `key` what it said when the
    override was made."""
    return same(setting.get("base"), base(spec, key))


def same(a: Any, b: Any) -> bool:
    """Equal as JSON (a tuple and a list alike)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _destination(target: Destination | None) -> list[str] | None:
    return None if target is None else [target.kind, target.name]


def _target(value: Any) -> Destination | None:
    return None if value is None else Destination(value[0], value[1])
