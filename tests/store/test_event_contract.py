"""The Store contract for asynchronous events: leases, heartbeats, abandoned work."""

from __future__ import annotations

from dataclasses import replace

from lambdactl.store import Store, lifecycle
from lambdactl.store.lifecycle import Attempt, Delivery, Event, EventState, Result
from tests.store import test_contract

open_store = test_contract.open_store
store = test_contract.store

T = 1_000_000.0
S = EventState


def _enqueue(store: Store, event_id: str, *, due: float = T, function: str = "f") -> None:
    store.enqueue_event(Event.queued(event_id, function, '{"n": 1}', qualifier=None, now=due))


def _leased(store: Store, owner: str, event_id: str, *, now: float = T) -> Event:
    """`event_id` as `owner` leased it (the one due event)."""
    (event,) = [e for e in store.lease_events(owner, now=now, lease=30, limit=10)]
    assert event.id == event_id
    return event


def _succeeded(event: Event) -> Event:
    return lifecycle.finish(event, "Success", succeeded=True)


def test_a_due_event_is_leased_once(store: Store) -> None:
    _enqueue(store, "e1")
    (leased,) = store.lease_events("w1", now=T, lease=30, limit=10)
    assert (leased.id, leased.state, leased.payload) == ("e1", S.RUNNING, '{"n": 1}')
    assert leased.previous is S.PENDING
    assert store.lease_events("w2", now=T + 1, lease=30, limit=10) == []
    assert store.get_event("e1").state is S.RUNNING


def test_not_due_yet_is_not_leased(store: Store) -> None:
    _enqueue(store, "later", due=T + 60)
    assert store.lease_events("w1", now=T, lease=30, limit=10) == []
    assert [e.id for e in store.lease_events("w1", now=T + 60, lease=30, limit=10)] == ["later"]


def test_an_abandoned_lease_is_taken_over(store: Store) -> None:
    _enqueue(store, "e1")
    store.lease_events("dead", now=T, lease=5, limit=10)
    assert store.lease_events("w2", now=T + 4, lease=5, limit=10) == []
    (again,) = store.lease_events("w2", now=T + 6, lease=5, limit=10)
    assert again.previous is S.RUNNING
    # the dead worker can no longer record anything
    assert store.update_event(_succeeded(again), "dead") is False
    ok = _succeeded(replace(again, error="ok"))
    assert store.update_event(ok, "w2") is True
    assert store.get_event("e1") == ok


def test_heartbeats_keep_the_lease(store: Store) -> None:
    _enqueue(store, "e1")
    store.lease_events("w1", now=T, lease=5, limit=10)
    assert store.renew_lease("e1", "w1", until=T + 20) is True
    assert store.lease_events("w2", now=T + 10, lease=5, limit=10) == []
    assert store.renew_lease("e1", "w2", until=T + 99) is False


def test_retrying_comes_back_when_due(store: Store) -> None:
    _enqueue(store, "e1")
    leased = _leased(store, "w1", "e1")
    attempted = leased.attempted(
        Attempt(T, "error", 1.5, "Unhandled"), last=Result(200, "$LATEST", "Unhandled", "{}")
    )
    assert store.update_event(lifecycle.retry(attempted, at=T + 60), "w1")
    assert store.lease_events("w1", now=T + 59, lease=5, limit=10) == []
    (again,) = store.lease_events("w1", now=T + 60, lease=5, limit=10)
    assert (again.state, again.previous, again.attempts) == (S.RUNNING, S.RETRYING, 1)
    assert again.history == attempted.history and again.last == attempted.last


def test_delivering_keeps_its_lease_then_is_taken_over_if_abandoned(store: Store) -> None:
    _enqueue(store, "e1")
    leased = _leased(store, "w1", "e1")
    deliveries = (Delivery("queue", "q", record={"r": 1}),)
    finished = lifecycle.finish(leased, "Success", succeeded=True, deliveries=deliveries)
    assert store.update_event(finished, "w1", release=False)
    assert store.lease_events("w2", now=T + 1, lease=5, limit=10) == []
    (taken,) = store.lease_events("w2", now=T + 31, lease=5, limit=10)
    assert (taken.state, taken.previous) == (S.DELIVERING, S.DELIVERING)
    assert (taken.deliveries, taken.final_state) == (deliveries, S.SUCCEEDED)


def test_finished_events_are_never_leased(store: Store) -> None:
    _enqueue(store, "e1")
    leased = _leased(store, "w1", "e1")
    store.update_event(lifecycle.finish(leased, "RetriesExhausted", succeeded=False), "w1")
    assert store.get_event("e1").state is S.FAILED
    assert store.lease_events("w1", now=T + 10_000, lease=5, limit=10) == []


def test_list_filters(store: Store) -> None:
    _enqueue(store, "a", function="f")
    _enqueue(store, "b", function="g", due=T + 1)
    assert [e.id for e in store.list_events()] == ["a", "b"]
    assert [e.id for e in store.list_events(function="g")] == ["b"]
    assert [e.id for e in store.list_events(state=S.PENDING)] == ["a", "b"]
    assert store.list_events(state=S.FAILED) == []


def test_count_events_by_state(store: Store) -> None:
    for name in ("a", "b", "c"):
        _enqueue(store, name)
    assert len(store.lease_events("w1", now=T, lease=30, limit=1)) == 1
    assert store.count_events((S.PENDING,)) == 2
    assert store.count_events((S.PENDING, S.RUNNING)) == 3
    assert store.count_events((S.FAILED, S.SUCCEEDED)) == 0
    assert store.count_events(()) == 0


def test_reclaimed_leases_are_taken_up_at_once_as_they_were_left(store: Store) -> None:
    _enqueue(store, "retry", due=T - 2)
    for n, event_id in enumerate(("run", "deliver", "mine", "done")):
        _enqueue(store, event_id, due=T + n)
    now = T + 10
    (first,) = store.lease_events("w0", now=now, lease=30, limit=1)  # the oldest due
    throttled = first.attempted(Attempt(now, "throttled", error="Rate Exceeded."))
    assert store.update_event(lifecycle.retry(throttled, at=T - 1), "w0")
    taken = {e.id: e for e in store.lease_events("dead", now=now, lease=30, limit=3)}
    assert sorted(taken) == ["deliver", "retry", "run"]
    deliveries = (Delivery("queue", "q", record={}),)
    finished = lifecycle.finish(taken["deliver"], "Success", succeeded=True, deliveries=deliveries)
    assert store.update_event(finished, "dead", release=False)
    mine = {e.id: e for e in store.lease_events("alive", now=now, lease=30, limit=2)}
    assert sorted(mine) == ["done", "mine"]
    assert store.update_event(_succeeded(mine["done"]), "alive")

    assert store.reclaim_leases("alive") == 3
    assert store.reclaim_leases("alive") == 0
    # an attempt cut off goes back as it was leased, due as it was, not counted; a delivery
    # stays to be finished; the reclaimer's own lease is untouched
    assert {e.id: (e.state, e.due_at) for e in store.list_events()} == {
        "retry": (S.RETRYING, T - 1),
        "run": (S.PENDING, T),
        "deliver": (S.DELIVERING, T + 1),
        "mine": (S.RUNNING, T + 2),
        "done": (S.SUCCEEDED, T + 3),
    }
    # the dead holder can record nothing any more
    assert store.update_event(_succeeded(taken["run"]), "dead") is False
    assert store.renew_lease("deliver", "dead", until=now + 60) is False
    assert store.renew_lease("mine", "alive", until=now + 60) is True
    again = store.lease_events("alive", now=now + 1, lease=30, limit=10)
    assert {(e.id, e.state, e.previous, e.attempts, e.throttles) for e in again} == {
        ("retry", S.RUNNING, S.RETRYING, 0, 1),
        ("run", S.RUNNING, S.PENDING, 0, 0),
        ("deliver", S.DELIVERING, S.DELIVERING, 0, 0),
    }
    assert store.lease_events("other", now=now + 2, lease=30, limit=10) == []


def test_a_redriven_event_is_pending_again_only_once(store: Store) -> None:
    _enqueue(store, "e1")
    leased = _leased(store, "w1", "e1")
    failed = lifecycle.finish(leased, "RetriesExhausted", succeeded=False)
    assert store.update_event(failed, "w1")
    redriven = lifecycle.redrive(store.get_event("e1"), now=T + 100)
    assert store.redrive_event(redriven) is True
    assert store.redrive_event(redriven) is False  # not failed any more
    stored = store.get_event("e1")
    assert (stored.state, stored.due_at, stored.enqueued_at) == (S.PENDING, T + 100, T + 100)
    assert store.lease_events("w1", now=T + 99, lease=30, limit=10) == []
    assert [e.id for e in store.lease_events("w1", now=T + 100, lease=30, limit=10)] == ["e1"]


def test_an_event_reads_back_as_it_was_recorded(store: Store) -> None:
    _enqueue(store, "e1")
    leased = _leased(store, "w1", "e1")
    attempted = leased.attempted(
        Attempt(T, "error", 12.5, "Unhandled"), last=Result(200, "1", "Unhandled", '"no"')
    ).attempted(Attempt(T + 1, "throttled", error="Rate Exceeded."))
    deliveries = (
        Delivery("function", "audit", record={"version": "1.0"}, done=True, error="too big"),
        Delivery(lifecycle.DEAD_LETTER, "dlq", attributes={"RequestID": {"DataType": "String"}}),
    )
    finished = lifecycle.finish(
        attempted, "RetriesExhausted", succeeded=False, deliveries=deliveries
    )
    assert store.update_event(finished, "w1", release=False)
    assert store.get_event("e1") == finished
    assert store.list_events(state=S.DELIVERING) == [finished]
