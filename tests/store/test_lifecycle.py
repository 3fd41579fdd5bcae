"""The asynchronous event's lifecycle (`lambdactl.store.lifecycle`): its one table of
transitions, the changes made through it, and the stored form (which old stores wrote too).
Pure: no store, no process."""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import lambdactl
from lambdactl.store import lifecycle
from lambdactl.store.lifecycle import (
    TRANSITIONS,
    Attempt,
    Delivery,
    Event,
    EventState,
    IllegalTransition,
    Result,
)

S = EventState
T = 1_000_000.0
PACKAGE = Path(lambdactl.__file__).parent


def queued() -> Event:
    return Event.queued("e1", "f", '{"n": 1}', qualifier="live", now=T)


def running() -> Event:
    return lifecycle.lease(queued())


def test_a_queued_event_is_pending_and_due_now() -> None:
    event = queued()
    assert (event.state, event.due_at, event.enqueued_at) == (S.PENDING, T, T)
    assert (event.attempts, event.throttles, event.history, event.last) == (0, 0, (), None)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (before, after)
        for before, after in itertools.product(EventState, EventState)
        if after not in TRANSITIONS[before]
    ],
    ids=lambda state: state.value,
)
def test_every_change_not_in_the_table_is_a_bug(before: EventState, after: EventState) -> None:
    with pytest.raises(IllegalTransition, match=f"{before.value} cannot become {after.value}"):
        lifecycle.transition(replace(queued(), state=before), after)


def test_finished_events_never_change_but_a_failed_one_is_redriven() -> None:
    assert TRANSITIONS[S.SUCCEEDED] == frozenset()
    assert TRANSITIONS[S.FAILED] == {S.PENDING}
    assert all(TRANSITIONS[state] for state in EventState if state is not S.SUCCEEDED)


def test_a_transition_knows_where_it_came_from() -> None:
    event = running()
    assert (event.state, event.previous) == (S.RUNNING, S.PENDING)
    assert lifecycle.retry(event, at=T + 60) == replace(event, state=S.RETRYING, due_at=T + 60)
    assert lifecycle.retry(event, at=T + 60).previous is S.RUNNING


def test_attempts_count_when_recorded_throttles_apart() -> None:
    ran = running().attempted(
        Attempt(T, "error", 3.5, "Unhandled"), last=Result(200, "$LATEST", "Unhandled", "{}")
    )
    throttled = ran.attempted(Attempt(T + 1, "throttled", error="Rate Exceeded."))
    refused = throttled.attempted(Attempt(T + 2, "zero_concurrency", error="no"))
    assert (ran.attempts, ran.throttles) == (1, 0)
    assert (throttled.attempts, throttled.throttles, throttled.last) == (1, 1, ran.last)
    assert (refused.attempts, refused.throttles) == (1, 1)
    assert [a.outcome for a in refused.history] == ["error", "throttled", "zero_concurrency"]
    with pytest.raises(IllegalTransition, match="is pending, not running"):
        queued().attempted(Attempt(T, "success"))


def test_lease_attempts_a_due_or_abandoned_event_and_delivers_a_finished_one() -> None:
    assert lifecycle.lease(queued()).state is S.RUNNING
    retrying = lifecycle.retry(running(), at=T)
    assert (lifecycle.lease(retrying).state, lifecycle.lease(retrying).previous) == (
        S.RUNNING,
        S.RETRYING,
    )
    taken_over = lifecycle.lease(running())  # its holder's lease ran out
    assert (taken_over.state, taken_over.previous) == (S.RUNNING, S.RUNNING)
    delivering = lifecycle.finish(running(), "Success", succeeded=True, deliveries=(_queue(),))
    assert lifecycle.lease(delivering).state is S.DELIVERING


def test_release_puts_a_cut_off_attempt_back_as_it_was_leased() -> None:
    assert lifecycle.release(running()).state is S.PENDING
    throttled = running().attempted(Attempt(T, "throttled"))
    again = lifecycle.lease(lifecycle.retry(throttled, at=T + 1))
    assert lifecycle.release(again).state is S.RETRYING
    assert lifecycle.release(again).due_at == T + 1  # due as it was
    errored = running().attempted(Attempt(T, "error"), last=Result(200, "1", "Unhandled", ""))
    assert lifecycle.release(lifecycle.lease(lifecycle.retry(errored, at=T))).state is S.RETRYING
    delivering = lifecycle.finish(running(), "Success", succeeded=True, deliveries=(_queue(),))
    assert lifecycle.release(delivering).state is S.DELIVERING


def _queue(name: str = "done") -> Delivery:
    return Delivery("queue", name, record={"version": "1.0"})


def test_finish_with_nothing_to_deliver_is_final_at_once() -> None:
    succeeded = lifecycle.finish(running(), "Success", succeeded=True)
    failed = lifecycle.finish(running(), "RetriesExhausted", succeeded=False)
    assert (succeeded.state, succeeded.final_state, succeeded.condition) == (
        S.SUCCEEDED,
        S.SUCCEEDED,
        "Success",
    )
    assert (failed.state, failed.final_state) == (S.FAILED, S.FAILED)


def test_deliveries_are_marked_one_by_one_then_the_event_settles() -> None:
    letter = Delivery(lifecycle.DEAD_LETTER, "dlq", attributes={"RequestID": {}})
    event = lifecycle.finish(
        running(), "RetriesExhausted", succeeded=False, deliveries=(_queue("f"), letter)
    )
    assert (event.state, event.final_state) == (S.DELIVERING, S.FAILED)
    with pytest.raises(IllegalTransition):
        lifecycle.retry(event, at=T)
    event = lifecycle.delivered(event, 0, error="too big")
    assert [(d.done, d.error) for d in event.deliveries] == [(True, "too big"), (False, None)]
    event = lifecycle.delivered(event, 1)
    assert lifecycle.settle(event).state is S.FAILED


def test_redrive_starts_a_failed_event_over_and_keeps_its_history() -> None:
    failed = lifecycle.finish(
        running().attempted(Attempt(T, "error"), last=Result(200, "1", "Unhandled", "x")),
        "RetriesExhausted",
        succeeded=False,
    )
    again = lifecycle.redrive(failed, now=T + 100)
    assert (again.state, again.due_at, again.enqueued_at) == (S.PENDING, T + 100, T + 100)
    assert (again.attempts, again.throttles, again.last, again.condition) == (0, 0, None, None)
    assert (again.final_state, again.deliveries) == (None, ())
    assert [a.outcome for a in again.history] == ["error", lifecycle.REDRIVEN]
    with pytest.raises(IllegalTransition):
        lifecycle.redrive(queued(), now=T)


def _stored(event: Event) -> Event:
    return Event.stored(
        event.id, event.function, event.state.value, event.due_at, event.enqueued_at, event.data()
    )


def test_the_stored_form_reads_back_as_it_was() -> None:
    event = lifecycle.finish(
        running()
        .attempted(Attempt(T, "throttled", error="Rate Exceeded."))
        .attempted(Attempt(T + 1, "error", 2.5, "Unhandled"), last=Result(200, "3", "U", '"x"')),
        "RetriesExhausted",
        succeeded=False,
        deliveries=(_queue(), Delivery(lifecycle.DEAD_LETTER, "dlq", attributes={"a": {}})),
    )
    event = lifecycle.delivered(event, 0, error="refused")
    assert _stored(event) == event
    redriven = lifecycle.redrive(lifecycle.settle(event), now=T + 5)
    assert _stored(redriven) == redriven
    gone = lifecycle.finish(running().not_attempted("gone"), "EventAgeExceeded", succeeded=False)
    assert _stored(gone) == gone


def test_data_written_by_earlier_versions_still_reads() -> None:
    """The JSON object every lambdactl version kept for an event, keys and all."""
    data = {
        "qualifier": None,
        "payload": '{"n": 1}',
        "attempts": 1,
        "throttles": 0,
        "history": [
            {"time": T, "duration_ms": 1.5, "outcome": "success", "error": None},
            {"time": T + 1, "outcome": "redriven"},
        ],
        "last": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": None,
            "payload": "null",
        },
        "condition": "Success",
        "final_state": "succeeded",
        "deliveries": [
            {"kind": "queue", "name": "done", "record": {"version": "1.0"}, "done": True},
            {"kind": "dead_letter", "name": "dlq", "attributes": {}},
        ],
    }
    event = Event.stored("e1", "f", "delivering", T, T, data)
    assert (event.state, event.final_state, event.attempts) == (S.DELIVERING, S.SUCCEEDED, 1)
    assert event.history[1] == Attempt(T + 1, lifecycle.REDRIVEN)
    assert event.last == Result(200, "$LATEST", None, "null")
    assert [(d.kind, d.done) for d in event.deliveries] == [("queue", True), ("dead_letter", False)]
    assert event.data() == data  # written back the same


def test_the_printed_document_is_the_columns_and_the_data() -> None:
    event = queued()
    assert event.document() == {
        "id": "e1",
        "function": "f",
        "state": "pending",
        "due_at": T,
        "enqueued_at": T,
        "data": {
            "qualifier": "live",
            "payload": '{"n": 1}',
            "attempts": 0,
            "throttles": 0,
            "history": [],
        },
    }


# -- one place ------------------------------------------------------------------------------------


def test_the_lifecycle_imports_nothing_from_lambdactl() -> None:
    """Pure: the store speaks it, every layer above uses it."""
    tree = ast.parse((PACKAGE / "store" / "lifecycle.py").read_text())
    imported = [
        node.module or "" if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert relative == [] and not [name for name in imported if name.startswith("lambdactl")]


STATE_NAMES = {state.value for state in EventState}
OTHER_VOCABULARIES = {("doctor.py", "running")}
"""The same words meaning something else: `doctor` says whether the worker is running."""


def test_the_state_names_are_written_in_the_lifecycle_only() -> None:
    """Code (SQL included) says `EventState.X`, never the state's name, outside the lifecycle."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "store" / "lifecycle.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            named = {name for name in STATE_NAMES if f"'{name}'" in node.value}
            if node.value in STATE_NAMES:
                named.add(node.value)
            found += [
                (str(path.relative_to(PACKAGE)), name, node.lineno)
                for name in named
                if (path.name, name) not in OTHER_VOCABULARIES
            ]
    assert found == []


def test_the_store_imports_the_lifecycle_only_for_events(tmp_path: Path) -> None:
    """A command that handles no event (a synchronous invoke, a publish) does not pay for the
    lifecycle's classes at its start."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from lambdactl.store import open_store\n"
        f"store = open_store(Path({str(tmp_path)!r}))\n"
        "store.observe_latest('f', 'fingerprint', 'now')\n"
        "print('lambdactl.store.lifecycle' in sys.modules)\n"
        "from lambdactl.store.lifecycle import Event\n"
        "store.enqueue_event(Event.queued('e1', 'f', '{}', qualifier=None, now=1.0))\n"
        "print([e.state.value for e in store.list_events()])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "['pending']"]
