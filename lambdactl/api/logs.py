"""CloudWatch Logs' JSON protocol (`X-Amz-Target: Logs_20140328.<Operation>`) on the project's
log store: DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents, with the
filter patterns `lambdactl logs` takes and the shapes it prints.

Events are ordered by (timestamp, id), and a page's token is the position of its last (or
first) event in that order, so a token stays valid while new events arrive. GetLogEvents'
tokens behave as CloudWatch's: `nextForwardToken` reads on after the newest event returned,
`nextBackwardToken` back before the oldest, and at either end the token given comes back
unchanged (with no events), which is how a caller knows it has read everything.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..errors import AwsError, validation_message
from ..logs import lines, reader
from ..logs.query import FilterPattern, PatternError
from ..logs.store import EVENT_OVERHEAD_BYTES, Query, StoredEvent, StreamSummary
from ..project import Project
from ..shapes import logs as shapes
from .awsjson import LOGS, Params, unknown_operation
from .backend import Backend

PAGE = 50
"""DescribeLogGroups and DescribeLogStreams: at most (and by default) this many a page."""
EVENTS = 10_000
"""GetLogEvents and FilterLogEvents: at most (and by default) this many events a page..."""
RESPONSE_BYTES = 1_048_576
"""...and no more than this many bytes of them (each message plus 26), as CloudWatch."""
START = (0, 0)
"""The position before every event."""
END = (2**62, 0)
"""The position after every event."""
_EVENT_TOKEN = re.compile(r"([fbn])/(\d{20})(\d{20})0{16}(?:/s)?")


class ResourceNotFoundException(AwsError):
    aws_type = "ResourceNotFoundException"
    http_status = 400


class InvalidParameterException(AwsError):
    aws_type = "InvalidParameterException"
    http_status = 400


def _no_group() -> ResourceNotFoundException:
    return ResourceNotFoundException("The specified log group does not exist.")


def _missing(name: str) -> AwsError:
    return InvalidParameterException(
        f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: "
        "Member must not be null"
    )


async def handle(
    request: Request, backend: Backend, operation: str, params: dict[str, Any]
) -> Response:
    """Run one CloudWatch Logs operation (on a worker thread: the log store blocks)."""
    run = OPERATIONS.get(operation)
    if run is None:
        raise unknown_operation(LOGS, operation)
    data = await backend.call(run, backend.project, Params(params, _missing))
    return LOGS.reply(data)


# -- groups and streams -------------------------------------------------------------------------


def describe_log_groups(project: Project, params: Params) -> dict[str, Any]:
    prefix = params.string("logGroupNamePrefix")
    pattern = params.string("logGroupNamePattern")
    if prefix is not None and pattern is not None:
        raise InvalidParameterException(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
        )
    named = params.strings("logGroupIdentifiers")
    wanted = None if named is None else {_group_name(project, n) for n in named}
    kind = params.string("logGroupClass")
    params.boolean("includeLinkedAccounts")
    params.strings("accountIdentifiers")
    limit = _limit(params, "limit", PAGE)
    groups = [
        g
        for g in reader.summaries(project.manifest.state_dir)
        if g.name.startswith(prefix or "")
        and (pattern is None or pattern in g.name)
        and (wanted is None or g.name in wanted)
        and kind in (None, "STANDARD")
    ]
    start = _offset(params.string("nextToken"))
    page = groups[start : start + limit]
    shape: dict[str, Any] = {
        "logGroups": [
            shapes.log_group(
                g.name,
                created=g.first_event if g.first_event is not None else 0,
                stored_bytes=g.stored_bytes,
                arn=_group_arn(project, g.name),
                retention_days=_retention_days(project, g.name),
            )
            for g in page
        ]
    }
    if start + limit < len(groups):
        shape["nextToken"] = _offset_token(start + limit)
    return shape


def describe_log_streams(project: Project, params: Params) -> dict[str, Any]:
    group = _group(project, params)
    prefix = params.string("logStreamNamePrefix")
    order = params.string("orderBy") or "LogStreamName"
    if order not in ("LogStreamName", "LastEventTime"):
        constraint = "Member must satisfy enum value set: [LogStreamName, LastEventTime]"
        raise InvalidParameterException(validation_message(order, "orderBy", constraint))
    if order == "LastEventTime" and prefix is not None:
        raise InvalidParameterException("Cannot order by LastEventTime with a logStreamNamePrefix.")
    descending = params.boolean("descending") or False
    limit = _limit(params, "limit", PAGE)
    streams = [s for s in _streams(project, group) if s.name.startswith(prefix or "")]
    if order == "LastEventTime":
        streams.sort(key=lambda s: (s.last_event, s.name))
    if descending:
        streams.reverse()
    start = _offset(params.string("nextToken"))
    page = streams[start : start + limit]
    arn = _group_arn(project, group)
    shape: dict[str, Any] = {"logStreams": [shapes.log_stream(s, group_arn=arn) for s in page]}
    if start + limit < len(streams):
        shape["nextToken"] = _offset_token(start + limit)
    return shape


# -- events -------------------------------------------------------------------------------------


def get_log_events(project: Project, params: Params) -> dict[str, Any]:
    group = _group(project, params)
    stream = params.string("logStreamName", required=True)
    if stream not in {s.name for s in _streams(project, group)}:
        raise ResourceNotFoundException("The specified log stream does not exist.")
    limit = _limit(params, "limit", EVENTS)
    since, end = _time(params, "startTime"), _time(params, "endTime")
    params.boolean("unmask")
    token = params.string("nextToken")
    forward = bool(params.boolean("startFromHead"))
    anchor = None
    if token is not None:
        direction, anchor = _event_position(token)
        if direction == "n":
            raise _bad_token()
        forward = direction == "f"
    query = Query(
        since=since,
        until=None if end is None else end - 1,  # GetLogEvents' endTime is exclusive
        streams=(stream,),
        after=anchor if forward else None,
        before=None if forward else anchor,
        newest_first=not forward,
    )
    events = _page(reader.read(project.manifest.state_dir, group, query), limit)[0]
    if not forward:
        events.reverse()
    if events:
        first, last = events[0], events[-1]
        forward_token = _event_token("f", (last.timestamp, last.id))
        backward_token = _event_token("b", (first.timestamp, first.id))
    else:  # at an end: the token given comes back as it was
        forward_token = _event_token("f", anchor or START)
        backward_token = _event_token("b", anchor or END)
        if token is not None:
            forward_token, backward_token = (
                (token, backward_token) if forward else (forward_token, token)
            )
    return {
        "events": [shapes.output_event(e) for e in events],
        "nextForwardToken": forward_token,
        "nextBackwardToken": backward_token,
    }


def filter_log_events(project: Project, params: Params) -> dict[str, Any]:
    group = _group(project, params)
    names = params.strings("logStreamNames")
    prefix = params.string("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise InvalidParameterException(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
        )
    if names is not None and not 1 <= len(names) <= 100:
        constraint = "Member must have length between 1 and 100"
        raise InvalidParameterException(validation_message(names, "logStreamNames", constraint))
    streams = _streams(project, group)
    if prefix is not None:
        names = [s.name for s in streams if s.name.startswith(prefix)]
    pattern = _pattern(params.string("filterPattern"))
    limit = _limit(params, "limit", EVENTS)
    params.boolean("interleaved")
    params.boolean("unmask")
    token = params.string("nextToken")
    anchor = None
    if token is not None:
        direction, anchor = _event_position(token)
        if direction != "n":
            raise _bad_token()
    query = Query(
        since=_time(params, "startTime"),
        until=_time(params, "endTime"),  # FilterLogEvents' endTime is inclusive
        streams=None if names is None else tuple(names),
        after=anchor,
    )
    state = project.manifest.state_dir
    events, more = _page(reader.read(state, group, query, pattern=pattern), limit)
    shape: dict[str, Any] = {
        "events": [shapes.filtered_event(e) for e in events],
        "searchedLogStreams": [],
    }
    if more:
        shape["nextToken"] = _event_token("n", (events[-1].timestamp, events[-1].id))
    return shape


def _page(events: Iterator[StoredEvent], limit: int) -> tuple[list[StoredEvent], bool]:
    """Up to `limit` events and `RESPONSE_BYTES` of them (at least one), and whether more
    were left; the reader is closed either way."""
    taken: list[StoredEvent] = []
    size = 0
    try:
        for event in events:
            size += len(event.message.encode()) + EVENT_OVERHEAD_BYTES
            if len(taken) >= limit or (taken and size > RESPONSE_BYTES):
                return taken, True
            taken.append(event)
        return taken, False
    finally:
        close = getattr(events, "close", None)  # a generator holds the store open
        if close is not None:
            close()


def _pattern(text: str | None) -> FilterPattern | None:
    if text is None or not text.strip():
        return None
    if len(text) > 1024:
        constraint = "Member must have length less than or equal to 1024"
        raise InvalidParameterException(validation_message(text, "filterPattern", constraint))
    try:
        return FilterPattern(text)
    except PatternError as exc:
        raise InvalidParameterException(f"Invalid filter pattern '{text}': {exc.reason}") from None


# -- names, positions and pages -----------------------------------------------------------------


def _group(project: Project, params: Params) -> str:
    """The group a request names by `logGroupName` or `logGroupIdentifier` (name or ARN)."""
    name = params.string("logGroupName")
    identifier = params.string("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise InvalidParameterException(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters."
        )
    if identifier is not None:
        return _group_name(project, identifier)
    if name is None:
        raise InvalidParameterException(
            "Either logGroupName or logGroupIdentifier must be provided."
        )
    return name


def _group_name(project: Project, identifier: str) -> str:
    """A group's name from its name or ARN (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`,
    perhaps ending `:*`); another region's or account's group does not exist here."""
    if not identifier.startswith("arn:"):
        return identifier
    parts = identifier.split(":", 6)
    manifest = project.manifest
    if (
        len(parts) != 7
        or parts[2] != "logs"
        or parts[5] != "log-group"
        or (parts[3], parts[4]) != (manifest.region, manifest.account)
    ):
        raise _no_group()
    return parts[6].removesuffix(":*")


def _group_arn(project: Project, group: str) -> str:
    manifest = project.manifest
    return f"arn:aws:logs:{manifest.region}:{manifest.account}:log-group:{group}"


def _retention_days(project: Project, group: str) -> int | None:
    """The group's retention in whole days, as CloudWatch reports it (none: no key)."""
    days = project.manifest.retention(group.removeprefix(lines.GROUP_PREFIX)).days
    return int(days) if days >= 1 and days == int(days) else None


def _streams(project: Project, group: str) -> list[StreamSummary]:
    found = reader.streams(project.manifest.state_dir, group)
    if found is None:
        raise _no_group()
    return found


def _limit(params: Params, name: str, ceiling: int) -> int:
    value = params.integer(name)
    if value is None:
        return ceiling
    if value < 1:
        constraint = "Member must have value greater than or equal to 1"
        raise InvalidParameterException(validation_message(value, name, constraint))
    if value > ceiling:
        constraint = f"Member must have value less than or equal to {ceiling}"
        raise InvalidParameterException(validation_message(value, name, constraint))
    return value


def _time(params: Params, name: str) -> int | None:
    value = params.integer(name)
    if value is not None and value < 0:
        constraint = "Member must have value greater than or equal to 0"
        raise InvalidParameterException(validation_message(value, name, constraint))
    return value


def _event_token(direction: str, position: tuple[int, int]) -> str:
    """A page's position as a token shaped like CloudWatch's (`f/<56 digits>/s`)."""
    timestamp, event_id = position
    suffix = "" if direction == "n" else "/s"
    return f"{direction}/{timestamp:020d}{event_id:020d}{0:016d}{suffix}"


def _event_position(token: str) -> tuple[str, tuple[int, int]]:
    match = _EVENT_TOKEN.fullmatch(token)
    if match is None or int(match.group(2)) > END[0]:
        raise _bad_token()
    return match.group(1), (int(match.group(2)), int(match.group(3)))


def _offset_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"page:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except ValueError:
        raise _bad_token() from None
    kind, _, number = text.partition(":")
    if kind != "page" or not number.isdigit():
        raise _bad_token()
    return int(number)


def _bad_token() -> InvalidParameterException:
    return InvalidParameterException("The specified nextToken is invalid.")


OPERATIONS: dict[str, Callable[[Project, Params], dict[str, Any]]] = {
    "DescribeLogGroups": describe_log_groups,
    "DescribeLogStreams": describe_log_streams,
    "GetLogEvents": get_log_events,
    "FilterLogEvents": filter_log_events,
}
"""The CloudWatch Logs operations served, by the name after `Logs_20140328.`."""
