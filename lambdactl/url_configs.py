"""Function URLs made through the Lambda API: CreateFunctionUrlConfig,
UpdateFunctionUrlConfig, DeleteFunctionUrlConfig (and the reads, Get and List, over the same
table of URLs).

A function has at most one URL per qualifier: the unqualified function (`$LATEST`) or an
alias. A declared function's `url:` is one of them; what is created, changed or deleted
through the API is a run-time override of it (`catalog`'s `url:QUALIFIER` settings, kept in
`.lambda/`), dropped once the manifest's `url:` changes. A function created through the API
keeps its URLs as its own settings, for as long as it exists.

The settings are checked by the manifest's rules for `url:` (`manifest.choice_problem`,
`cors_problem`, ...), in AWS's words. Then, as AWS orders them: the function, a URL already
there (409), the alias (404).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import catalog, urls
from .errors import (
    InvalidRequestContentException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from .manifest import (
    API,
    CORS_MAX_AGE,
    URL_AUTH_TYPES,
    URL_INVOKE_MODES,
    Cors,
    FunctionSpec,
    UrlConfig,
    UrlRecord,
    choice_problem,
    cors_problem,
    range_problem,
    url_qualifier_problem,
)
from .project import Project
from .timestamps import utcnow

NO_SUCH_URL = "The resource you requested does not exist."
"""AWS's 404 for a URL that is not there (Get, Update, Delete), and for Get and Delete of a
function that is not there either."""
NO_SUCH_FUNCTION = "Function does not exist"
"""AWS's 404 when Create or Update names a function, or an alias, that does not exist."""
EXISTS = (
    "Failed to create function url config for [functionArn = {arn}]. Error message:  "
    "FunctionUrlConfig exists for this Lambda function"
)
"""AWS's 409 on a second URL for the same qualifier (two spaces after `message:`, as AWS)."""
_CORS_MEMBERS = {
    "AllowOrigins": "allow_origins",
    "AllowMethods": "allow_methods",
    "AllowHeaders": "allow_headers",
    "ExposeHeaders": "expose_headers",
}
"""AWS's Cors lists -> `Cors`'s fields."""


def create(
    project: Project,
    function: str,
    qualifier: str | None = None,
    *,
    auth: str | None,
    cors: Mapping[str, Any] | None = None,
    invoke_mode: str | None = None,
    now: datetime | None = None,
) -> urls.FunctionUrl:
    """CreateFunctionUrlConfig: a new URL for the function (or its alias); it answers at once
    on a running server. `cors` is AWS's Cors structure."""
    name, alias = _reference(project, function, qualifier)
    if auth is None:
        raise ValidationException(
            "1 validation error detected: Value null at 'authType' failed to satisfy "
            "constraint: Member must not be null"
        )
    auth, given_cors, mode = _given(auth, cors, invoke_mode)
    spec = project.functions.get(name)
    if spec is None:
        raise ResourceNotFoundException(NO_SUCH_FUNCTION)
    if _existing(project, name, alias) is not None:
        raise ResourceConflictException(EXISTS.format(arn=project.arn(name, alias)))
    _check_alias(project, name, alias)
    config = UrlConfig(auth or "NONE", given_cors, mode or "BUFFERED", alias)
    stamp = urls.iso_time(now or utcnow())
    _write(project, spec, alias, UrlRecord(config, stamp, stamp))
    return _found(project, name, alias)


def update(
    project: Project,
    function: str,
    qualifier: str | None = None,
    *,
    auth: str | None = None,
    cors: Mapping[str, Any] | None = None,
    invoke_mode: str | None = None,
    now: datetime | None = None,
) -> urls.FunctionUrl:
    """UpdateFunctionUrlConfig: what is given replaces what the URL had (a given Cors, the
    whole of it); its CreationTime stays, its LastModifiedTime is now."""
    name, alias = _reference(project, function, qualifier)
    auth, given_cors, mode = _given(auth, cors, invoke_mode)
    spec = project.functions.get(name)
    if spec is None:
        raise ResourceNotFoundException(NO_SUCH_FUNCTION)
    _check_alias(project, name, alias)
    existing = _existing(project, name, alias)
    if existing is None:
        raise ResourceNotFoundException(NO_SUCH_URL)
    current = existing.config
    config = UrlConfig(
        auth=auth or current.auth,
        cors=current.cors if cors is None else given_cors,
        invoke_mode=mode or current.invoke_mode,
        qualifier=alias,
    )
    record = UrlRecord(config, existing.created, urls.iso_time(now or utcnow()))
    _write(project, spec, alias, record)
    return _found(project, name, alias)


def delete(project: Project, function: str, qualifier: str | None = None) -> None:
    """DeleteFunctionUrlConfig: the URL stops answering at once (403, as an unknown URL)."""
    name, alias = _reference(project, function, qualifier)
    spec = project.functions.get(name)
    if spec is None or _existing(project, name, alias) is None:
        raise ResourceNotFoundException(NO_SUCH_URL)
    key = catalog.url_key(alias)
    declared = project.manifest.functions.get(name) if spec.source != API else None
    if declared is not None and declared.url is not None and declared.url.qualifier == alias:
        _override(project, declared, key, None)  # the manifest's URL, deleted at run time
    else:
        project.store.delete_settings(name, [key])


def get(project: Project, function: str, qualifier: str | None = None) -> urls.FunctionUrl:
    """GetFunctionUrlConfig."""
    name, alias = _reference(project, function, qualifier)
    found = _existing(project, name, alias)
    if found is None:
        raise ResourceNotFoundException(NO_SUCH_URL)
    return found


def list_urls(project: Project, function: str) -> list[urls.FunctionUrl]:
    """ListFunctionUrlConfigs: the unqualified URL first, then by alias."""
    name, _alias = _reference(project, function, None)
    project.function(name)  # AWS's "Function not found" first
    table = urls.configured(project.manifest, project.functions)
    return [url for (function_name, _q), url in table.items() if function_name == name]


# -- the request ---------------------------------------------------------------------------------


def _reference(project: Project, function: str, qualifier: str | None) -> tuple[str, str | None]:
    """(the function's name, the alias named, None for the unqualified URL)."""
    ref = project.ref(function, qualifier)
    if ref.qualifier is not None:
        problem = url_qualifier_problem(ref.qualifier)
        if problem is not None:
            raise ValidationException(problem)
    return ref.name, ref.qualifier


def _given(
    auth: object, cors: Mapping[str, Any] | None, invoke_mode: object
) -> tuple[str | None, Cors | None, str | None]:
    """The members given (None: not given), checked by the manifest's rules for `url:`."""
    if auth is not None:
        auth = _text(auth, "AuthType")
        problem = choice_problem(auth, "authType", URL_AUTH_TYPES)
        if problem is not None:
            raise ValidationException(problem)
    if invoke_mode is not None:
        invoke_mode = _text(invoke_mode, "InvokeMode")
        problem = choice_problem(invoke_mode, "invokeMode", URL_INVOKE_MODES)
        if problem is not None:
            raise ValidationException(problem)
    return auth, None if cors is None else _cors(cors), invoke_mode


def _cors(given: Mapping[str, Any]) -> Cors:
    """AWS's Cors structure -> `Cors`, by the manifest's limits."""
    if not isinstance(given, Mapping):
        raise _wrong_type("Cors", "an object")
    values: dict[str, Any] = {}
    for member, key in _CORS_MEMBERS.items():
        items = given.get(member)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _wrong_type(f"Cors.{member}", "a list of strings")
        found = cors_problem(key, tuple(items))
        if found is not None:
            raise ValidationException(found[1])
        values[key] = tuple(items)
    credentials = given.get("AllowCredentials")
    if credentials is not None:
        if not isinstance(credentials, bool):
            raise _wrong_type("Cors.AllowCredentials", "true or false")
        values["allow_credentials"] = credentials
    max_age = given.get("MaxAge")
    if max_age is not None:
        if isinstance(max_age, bool) or not isinstance(max_age, int):
            raise _wrong_type("Cors.MaxAge", "a whole number")
        problem = range_problem(max_age, "cors.maxAge", *CORS_MAX_AGE)
        if problem is not None:
            raise ValidationException(problem)
        values["max_age"] = max_age
    return Cors(**values)


def _text(value: object, member: str) -> str:
    if not isinstance(value, str):
        raise _wrong_type(member, "a string")
    return value


def _wrong_type(member: str, expected: str) -> InvalidRequestContentException:
    return InvalidRequestContentException(
        f"Could not parse request body into json: {member} must be {expected}"
    )


# -- the function's URLs -------------------------------------------------------------------------


def _existing(project: Project, name: str, alias: str | None) -> urls.FunctionUrl | None:
    if name not in project.functions:
        return None
    return urls.configured(project.manifest, project.functions).get((name, alias))


def _found(project: Project, name: str, alias: str | None) -> urls.FunctionUrl:
    found = _existing(project, name, alias)
    if found is None:  # deleted between the write and this read, by another client
        raise ResourceNotFoundException(NO_SUCH_URL)
    return found


def _check_alias(project: Project, name: str, alias: str | None) -> None:
    if alias is not None and project.store.get_alias(name, alias) is None:
        raise ResourceNotFoundException(NO_SUCH_FUNCTION)


def _write(project: Project, spec: FunctionSpec, alias: str | None, record: UrlRecord) -> None:
    key = catalog.url_key(alias)
    value = catalog.encode_url(record)
    if spec.source == API:
        project.store.put_setting(spec.name, key, {"value": value})
    else:
        _override(project, project.manifest.functions[spec.name], key, value)


def _override(project: Project, declared: FunctionSpec, key: str, value: Any) -> None:
    """A declared function's URL set at run time, beside the manifest's `url:` it overrides."""
    project.store.put_setting(
        declared.name, key, {"value": value, "base": catalog.base(declared, key)}
    )
