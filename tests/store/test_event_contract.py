"""The Store contract for asynchronous events: leases, heartbeats, abandoned work."""

from __future__ import annotations

from lambdactl.store import Store
from tests.store import test_contract

open_store = test_contract.open_store
store = test_contract.store

T = 1_000_000.0


def _enqueue(store: Store, event_id: str, *, due: float = T, function: str = "f") -> None:
    store.enqueue_event(
        {"id": event_id, "function": function, "due_at": due, "enqueued_at": due, "data": {"n": 1}}
    )


def test_a_due_event_is_leased_once(store: Store) -> None:
    _enqueue(store, "e1")
    (leased,) = store.lease_events("w1", now=T, lease=30, limit=10)
    assert (leased["id"], leased["state"], leased["data"]) == ("e1", "running", {"n": 1})
    assert store.lease_events("w2", now=T + 1, lease=30, limit=10) == []
    assert store.get_event("e1")["state"] == "running"


def test_not_due_yet_is_not_leased(store: Store) -> None:
    _enqueue(store, "later", due=T + 60)
    assert store.lease_events("w1", now=T, lease=30, limit=10) == []
    assert [e["id"] for e in store.lease_events("w1", now=T + 60, lease=30, limit=10)] == ["later"]


def test_an_abandoned_lease_is_taken_over(store: Store) -> None:
    _enqueue(store, "e1")
    store.lease_events("dead", now=T, lease=5, limit=10)
    assert store.lease_events("w2", now=T + 4, lease=5, limit=10) == []
    (again,) = store.lease_events("w2", now=T + 6, lease=5, limit=10)
    assert again["previous_state"] == "running"
    # the dead worker can no longer record anything
    assert store.update_event("e1", "dead", state="succeeded", data={}) is False
    assert store.update_event("e1", "w2", state="succeeded", data={"ok": True}) is True
    assert store.get_event("e1")["data"] == {"ok": True}


def test_heartbeats_keep_the_lease(store: Store) -> None:
    _enqueue(store, "e1")
    store.lease_events("w1", now=T, lease=5, limit=10)
    assert store.renew_lease("e1", "w1", until=T + 20) is True
    assert store.lease_events("w2", now=T + 10, lease=5, limit=10) == []
    assert store.renew_lease("e1", "w2", until=T + 99) is False


def test_retrying_comes_back_when_due(store: Store) -> None:
    _enqueue(store, "e1")
    store.lease_events("w1", now=T, lease=5, limit=10)
    assert store.update_event("e1", "w1", state="retrying", data={"attempts": 1}, due_at=T + 60)
    assert store.lease_events("w1", now=T + 59, lease=5, limit=10) == []
    (again,) = store.lease_events("w1", now=T + 60, lease=5, limit=10)
    assert again["data"] == {"attempts": 1}


def test_delivering_keeps_its_lease_then_is_taken_over_if_abandoned(store: Store) -> None:
    _enqueue(store, "e1")
    store.lease_events("w1", now=T, lease=5, limit=10)
    assert store.update_event("e1", "w1", state="delivering", data={}, release=False)
    assert store.lease_events("w2", now=T + 1, lease=5, limit=10) == []
    (taken,) = store.lease_events("w2", now=T + 6, lease=5, limit=10)
    assert (taken["state"], taken["previous_state"]) == ("delivering", "delivering")


def test_finished_events_are_never_leased(store: Store) -> None:
    _enqueue(store, "e1")
    store.lease_events("w1", now=T, lease=5, limit=10)
    store.update_event("e1", "w1", state="failed", data={})
    assert store.lease_events("w1", now=T + 10_000, lease=5, limit=10) == []


def test_list_filters(store: Store) -> None:
    _enqueue(store, "a", function="f")
    _enqueue(store, "b", function="g", due=T + 1)
    assert [e["id"] for e in store.list_events()] == ["a", "b"]
    assert [e["id"] for e in store.list_events(function="g")] == ["b"]
    assert [e["id"] for e in store.list_events(state="pending")] == ["a", "b"]
    assert store.list_events(state="failed") == []


def test_reclaimed_leases_are_taken_up_at_once_as_they_were_left(store: Store) -> None:
    for event_id in ("run", "deliver", "mine", "done"):
        _enqueue(store, event_id)
    store.lease_events("dead", now=T, lease=30, limit=2)  # "run" and "deliver"
    assert store.update_event(
        "deliver", "dead", state="delivering", data={"left": 1}, release=False
    )
    store.lease_events("alive", now=T, lease=30, limit=2)  # "mine" and "done"
    assert store.update_event("done", "alive", state="succeeded", data={})
    assert store.reclaim_leases("alive") == 2
    assert store.reclaim_leases("alive") == 0
    # the dead holder can record nothing any more; the reclaimer's own lease is untouched
    assert store.update_event("run", "dead", state="succeeded", data={}) is False
    assert store.renew_lease("deliver", "dead", until=T + 60) is False
    assert store.renew_lease("mine", "alive", until=T + 60) is True
    taken = store.lease_events("alive", now=T + 1, lease=30, limit=10)
    assert {(e["id"], e["state"], e["previous_state"], str(e["data"])) for e in taken} == {
        ("run", "running", "running", "{'n': 1}"),
        ("deliver", "delivering", "delivering", "{'left': 1}"),
    }
    assert store.lease_events("other", now=T + 2, lease=30, limit=10) == []
