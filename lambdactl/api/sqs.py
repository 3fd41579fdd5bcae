"""Amazon SQS's JSON protocol (`X-Amz-Target: AmazonSQS.<Operation>`) on the project's local
queues: the same services and shapes as `lambdactl queue`.

A long poll (ReceiveMessage with WaitTimeSeconds) holds its connection, not a thread: it
takes what is there without waiting, then sleeps on the event loop until a message is sent to
the queue through this server or `POLL_SECONDS` pass (a send from elsewhere: the CLI, a
delay or visibility timeout running out), and looks again, until its time is up.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from .. import queues
from ..errors import AwsError, InvalidParameterValueException
from ..project import Project
from ..shapes import sqs as shapes
from .awsjson import SQS, Params, unknown_operation
from .backend import Backend

POLL_SECONDS = 0.2
"""How often a waiting long poll looks at its queue when no send through this server woke
it: each look is one short store transaction on a worker thread."""
MAX_LIST_RESULTS = 1000
"""ListQueues returns at most this many URLs."""
QUEUE_ATTRIBUTE_NAMES = frozenset(
    {
        "All",
        "QueueArn",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "VisibilityTimeout",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "FifoQueue",
        "ContentBasedDeduplication",
        "RedrivePolicy",
        *queues.INERT_ATTRIBUTES,
        *queues.UNIMPLEMENTED_ATTRIBUTES,
    }
)
"""What GetQueueAttributes may ask for; another name is InvalidAttributeName."""


@dataclass(frozen=True)
class Call:
    """One request: where it came from and what it asks."""

    request: Request
    backend: Backend
    params: Params

    @property
    def project(self) -> Project:
        return self.backend.project

    def url(self, name: str) -> str:
        return queues.url(self.project, name, self.backend.endpoint)

    def queue(self) -> str:
        """The queue the request's QueueUrl names."""
        given = self.params.string("QueueUrl", required=True)
        assert given is not None
        return queues.name_from_url(self.project, given)


Operation = Callable[[Call], Awaitable[dict[str, Any]]]


async def handle(
    request: Request, backend: Backend, operation: str, params: dict[str, Any]
) -> Response:
    """Run one SQS operation; its errors become SQS's error responses (in awsjson)."""
    run = OPERATIONS.get(operation)
    if run is None:
        raise unknown_operation(SQS, operation)
    data = await run(Call(request, backend, Params(params, _missing)))
    return SQS.reply(data)


def _missing(name: str) -> AwsError:
    return queues.MissingParameter(f"The request must contain the parameter {name}.")


# -- queues -------------------------------------------------------------------------------------


async def create_queue(call: Call) -> dict[str, Any]:
    name = call.params.string("QueueName", required=True)
    attributes = call.params.mapping("Attributes") or {}
    given = queues.attributes_from_sqs(call.project, attributes)
    call.params.mapping("tags")  # accepted (type-checked) and not kept: queues have no tags
    queue = await call.backend.call(
        queues.create, call.project, name, given, policy_text=_policy_text(attributes)
    )
    return shapes.create_queue(call.url(queue.name))


async def get_queue_url(call: Call) -> dict[str, Any]:
    name = call.params.string("QueueName", required=True)
    owner = call.params.string("QueueOwnerAWSAccountId")
    if owner is not None and owner != call.project.manifest.account:
        raise queues.QueueDoesNotExist()
    queue = await call.backend.call(queues.get, call.project, name)
    return shapes.create_queue(call.url(queue.name))


async def list_queues(call: Call) -> dict[str, Any]:
    prefix = call.params.string("QueueNamePrefix") or ""
    limit, after = _paging(call.params)
    found = await call.backend.call(queues.list_queues, call.project)
    page, next_token = _page([q.name for q in found if q.name.startswith(prefix)], limit, after)
    return shapes.list_queues([call.url(n) for n in page], next_token)


async def list_dead_letter_source_queues(call: Call) -> dict[str, Any]:
    name = call.queue()
    limit, after = _paging(call.params)
    found = await call.backend.call(queues.dead_letter_sources, call.project, name)
    page, next_token = _page([q.name for q in found], limit, after)
    return shapes.dead_letter_sources([call.url(n) for n in page], next_token)


def _paging(params: Params) -> tuple[int | None, str | None]:
    """A list operation's MaxResults (checked) and the name its NextToken resumes after."""
    limit = params.integer("MaxResults")
    token = params.string("NextToken")
    if limit is not None and not 1 <= limit <= MAX_LIST_RESULTS:
        raise InvalidParameterValueException(
            f"Value {limit} for parameter MaxResults is invalid. Reason: MaxResults must be "
            f"an integer between 1 and {MAX_LIST_RESULTS}."
        )
    return limit, _token_name(token) if token else None


def _page(names: list[str], limit: int | None, after: str | None) -> tuple[list[str], str | None]:
    """One page of `names` (sorted) after `after`, and the NextToken of the next, if any."""
    if after is not None:
        names = [n for n in names if n > after]
    page = names[: limit or MAX_LIST_RESULTS]
    more = limit is not None and len(names) > limit
    return page, _name_token(page[-1]) if more else None


async def delete_queue(call: Call) -> dict[str, Any]:
    await call.backend.call(queues.delete, call.project, call.queue())
    return {}


async def purge_queue(call: Call) -> dict[str, Any]:
    await call.backend.call(queues.purge, call.project, call.queue())
    return {}


async def get_queue_attributes(call: Call) -> dict[str, Any]:
    name = call.queue()
    wanted = call.params.strings("AttributeNames") or []
    for attribute in wanted:
        if attribute not in QUEUE_ATTRIBUTE_NAMES:
            raise queues.InvalidAttributeName(f"Unknown Attribute {attribute}.")
    every = await call.backend.call(queues.sqs_attributes, call.project, name)
    return shapes.queue_attributes(every, wanted)


async def set_queue_attributes(call: Call) -> dict[str, Any]:
    name = call.queue()
    given = call.params.mapping("Attributes")
    if given is None:
        raise _missing("Attributes")
    await call.backend.call(
        queues.set_attributes,
        call.project,
        name,
        queues.attributes_from_sqs(call.project, given),
        policy_text=_policy_text(given),
    )
    return {}


def _policy_text(attributes: dict[str, Any]) -> str | None:
    """The RedrivePolicy as the request wrote it: SQS's errors quote it so."""
    text = attributes.get("RedrivePolicy")
    return text if isinstance(text, str) else None


# -- messages -----------------------------------------------------------------------------------


async def send_message(call: Call) -> dict[str, Any]:
    name = call.queue()
    message = _message(call.params)
    sent = await call.backend.call(_send, call.project, name, message)
    _arrivals(call.request).arrived(name)
    return sent


async def send_message_batch(call: Call) -> dict[str, Any]:
    name = call.queue()
    entries = call.params.objects("Entries", required=True) or []
    ids = [_entry_id(entry) for entry in entries]
    queues.check_batch(ids, "SendMessageBatchRequestEntry")
    messages = [_message(Params(entry, _missing)) for entry in entries]
    queues.check_batch_size(
        [queues.message_size(m["body"], m["message_attributes"]) for m in messages]
    )
    result = await call.backend.call(_send_batch, call.project, name, ids, messages)
    if result["Successful"]:
        _arrivals(call.request).arrived(name)
    return result


def _message(params: Params) -> dict[str, Any]:
    """SendMessage's parameters (or a batch entry's) as `queues.send` takes them."""
    body = params.string("MessageBody")
    attributes = params.mapping("MessageAttributes") or {}
    for value in attributes.values():
        if not isinstance(value, dict):
            raise InvalidParameterValueException("A message attribute value must be an object.")
    params.mapping("MessageSystemAttributes")  # AWSTraceHeader: accepted, not kept
    return {
        "body": body if body is not None else "",
        "delay": params.integer("DelaySeconds"),
        "group_id": params.string("MessageGroupId"),
        "deduplication_id": params.string("MessageDeduplicationId"),
        "message_attributes": attributes,
    }


def _send(project: Project, name: str, message: dict[str, Any]) -> dict[str, Any]:
    return queues.send(
        project,
        name,
        message["body"],
        delay=message["delay"],
        group_id=message["group_id"],
        deduplication_id=message["deduplication_id"],
        message_attributes=message["message_attributes"] or None,
    )


def _send_batch(
    project: Project, name: str, ids: list[str], messages: list[dict[str, Any]]
) -> dict[str, Any]:
    queues.get(project, name)  # a missing queue fails the request, not each entry
    successful, failed = [], []
    for entry_id, message in zip(ids, messages, strict=True):
        try:
            sent = _send(project, name, message)
        except AwsError as exc:
            failed.append(shapes.batch_failure(entry_id, exc.aws_type, exc.message))
        else:
            successful.append({"Id": entry_id, **sent})
    return shapes.batch_result(successful, failed)


async def receive_message(call: Call) -> dict[str, Any]:
    name = call.queue()
    params = call.params
    count = params.integer("MaxNumberOfMessages")
    options = {
        "max_messages": 1 if count is None else count,
        "visibility_timeout": params.integer("VisibilityTimeout"),
    }
    wait = await call.backend.call(
        queues.receive_wait,
        call.project,
        name,
        wait=params.integer("WaitTimeSeconds"),
        **options,
    )
    system = [*(params.strings("AttributeNames") or [])]
    system += params.strings("MessageSystemAttributeNames") or []
    wanted = params.strings("MessageAttributeNames") or []
    params.string("ReceiveRequestAttemptId")  # FIFO retry de-duplication: not kept
    taken = await _poll(call, name, wait, options)
    return shapes.received([shapes.selected(m, system=system, attributes=wanted) for m in taken])


async def _poll(
    call: Call, name: str, wait: float, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """Messages as soon as there are some, or none once `wait` seconds have passed (or the
    client went away: nothing is taken for a caller that cannot receive it; or the server is
    stopping: it does not wait for long polls)."""
    arrivals = _arrivals(call.request)
    deadline = anyio.current_time() + wait
    while True:
        woken = arrivals.waiter(name)  # before looking: a send while we look still wakes us
        if call.backend.stopping.is_set() or await call.request.is_disconnected():
            return []
        taken = await call.backend.call(queues.receive, call.project, name, wait=0, **options)
        left = deadline - anyio.current_time()
        if taken or left <= 0:
            return taken
        with anyio.move_on_after(min(POLL_SECONDS, left)):
            await woken.wait()


async def delete_message(call: Call) -> dict[str, Any]:
    name = call.queue()
    receipt = call.params.string("ReceiptHandle", required=True)
    await call.backend.call(queues.delete_message, call.project, name, receipt)
    return {}


async def delete_message_batch(call: Call) -> dict[str, Any]:
    name = call.queue()
    entries = call.params.objects("Entries", required=True) or []
    ids = [_entry_id(entry) for entry in entries]
    queues.check_batch(ids, "DeleteMessageBatchRequestEntry")
    receipts = [Params(e, _missing).string("ReceiptHandle", required=True) for e in entries]

    def run(project: Project) -> dict[str, Any]:
        queues.get(project, name)
        return _each(ids, receipts, lambda r: queues.delete_message(project, name, r))

    return await call.backend.call(run, call.project)


async def change_message_visibility(call: Call) -> dict[str, Any]:
    name = call.queue()
    receipt = call.params.string("ReceiptHandle", required=True)
    timeout = call.params.integer("VisibilityTimeout")
    if timeout is None:
        raise _missing("VisibilityTimeout")
    await call.backend.call(queues.change_visibility, call.project, name, receipt, timeout)
    _arrivals(call.request).arrived(name)  # a message shown again at once can be received
    return {}


async def change_message_visibility_batch(call: Call) -> dict[str, Any]:
    name = call.queue()
    entries = call.params.objects("Entries", required=True) or []
    ids = [_entry_id(entry) for entry in entries]
    queues.check_batch(ids, "ChangeMessageVisibilityBatchRequestEntry")
    changes = []
    for entry in entries:
        params = Params(entry, _missing)
        receipt = params.string("ReceiptHandle", required=True)
        changes.append((receipt, params.integer("VisibilityTimeout") or 0))

    def run(project: Project) -> dict[str, Any]:
        queues.get(project, name)
        return _each(ids, changes, lambda c: queues.change_visibility(project, name, c[0], c[1]))

    result = await call.backend.call(run, call.project)
    _arrivals(call.request).arrived(name)
    return result


def _each(ids: list[str], items: list[Any], action: Callable[[Any], None]) -> dict[str, Any]:
    """A batch of `action`s, each entry's failure its own (SQS's Successful/Failed)."""
    successful, failed = [], []
    for entry_id, item in zip(ids, items, strict=True):
        try:
            action(item)
        except AwsError as exc:
            failed.append(shapes.batch_failure(entry_id, exc.aws_type, exc.message))
        else:
            successful.append({"Id": entry_id})
    return shapes.batch_result(successful, failed)


def _entry_id(entry: dict[str, Any]) -> str:
    entry_id = Params(entry, _missing).string("Id", required=True)
    assert entry_id is not None
    return entry_id


def _name_token(name: str) -> str:
    return base64.urlsafe_b64encode(f"after:{name}".encode()).decode()


def _token_name(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except ValueError:
        text = ""
    if not text.startswith("after:"):
        raise InvalidParameterValueException("Invalid NextToken value.")
    return text.removeprefix("after:")


# -- waking long polls --------------------------------------------------------------------------


class Arrivals:
    """Wakes the long polls waiting on a queue when a message is sent to it through this
    server. Used on the event loop only."""

    def __init__(self) -> None:
        self._events: dict[str, anyio.Event] = {}

    def waiter(self, queue: str) -> anyio.Event:
        """The event the next send to `queue` sets."""
        return self._events.setdefault(queue, anyio.Event())

    def arrived(self, queue: str) -> None:
        event = self._events.pop(queue, None)
        if event is not None:
            event.set()


def _arrivals(request: Request) -> Arrivals:
    state = request.app.state
    if not hasattr(state, "sqs_arrivals"):
        state.sqs_arrivals = Arrivals()
    arrivals: Arrivals = state.sqs_arrivals
    return arrivals


OPERATIONS: dict[str, Operation] = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "ListQueues": list_queues,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "DeleteQueue": delete_queue,
    "PurgeQueue": purge_queue,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
}
"""The SQS operations served, by the name `X-Amz-Target` gives after `AmazonSQS.`."""
