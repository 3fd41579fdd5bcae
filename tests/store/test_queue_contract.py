"""The `Store` queue contract (SQS-like messages), run against every backend.

The backends come from tests/store/test_contract.py's `open_store` fixture, so a backend added
there runs these tests too. Times are explicit (`now`, `visible_at`, `sent`): nothing sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lambdactl.store import Store, VisibilityChange
from tests.store import test_contract

# The backends' fixtures, shared with the main contract: a backend added there runs here too.
open_store = test_contract.open_store
store = test_contract.store

Q = "jobs"
T0 = 1_700_000_000.0
"""A whole number of seconds: sums like T0 + 1 + 30 are exact floats."""
ATTRS = {"visibility_timeout": 30, "fifo": False}


def _message(
    mid: str,
    body: str | None = None,
    *,
    sent: float = T0,
    group: str | None = None,
    dedup: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": mid,
        "body": body if body is not None else f"body of {mid}",
        "attributes": attributes or {},
        "sent": sent,
        "group": group,
        "dedup": dedup,
        "dedup_window": 300,
    }


def _send(store: Store, *mids: str, queue: str = Q, sent: float = T0, **kw: Any) -> None:
    for mid in mids:
        store.send_message(queue, _message(mid, sent=sent, **kw), visible_at=sent)


def _take(
    store: Store,
    *,
    now: float,
    limit: int = 10,
    timeout: float = 30,
    fifo: bool = False,
    queue: str = Q,
) -> list[dict[str, Any]]:
    return store.receive_messages(
        queue, limit=limit, now=now, visibility_timeout=timeout, fifo=fifo
    )


def _ids(received: list[dict[str, Any]]) -> list[str]:
    return [m["id"] for m in received]


# -- queues -----------------------------------------------------------------------------------


def test_put_get_queue(store: Store) -> None:
    assert store.get_queue(Q) is None
    record = store.put_queue(Q, ATTRS, T0)
    assert record == {"name": Q, "attributes": ATTRS, "created": T0}
    assert store.get_queue(Q) == {"name": Q, "attributes": ATTRS, "created": T0}


def test_put_queue_replaces_attributes_and_keeps_created(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    changed = {**ATTRS, "visibility_timeout": 5}
    record = store.put_queue(Q, changed, T0 + 100)
    assert record == {"name": Q, "attributes": changed, "created": T0}
    assert store.get_queue(Q) == {"name": Q, "attributes": changed, "created": T0}


def test_list_queues_ordered_by_name(store: Store) -> None:
    assert store.list_queues() == []
    for name in ("zeta", "Alpha", "beta", "alpha"):
        store.put_queue(name, ATTRS, T0)
    assert [q["name"] for q in store.list_queues()] == ["Alpha", "alpha", "beta", "zeta"]
    assert store.list_queues()[0] == {"name": "Alpha", "attributes": ATTRS, "created": T0}


def test_delete_queue_true_then_false_and_takes_messages(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1", "m2")
    assert store.delete_queue(Q) is True
    assert store.get_queue(Q) is None
    assert store.delete_queue(Q) is False
    store.put_queue(Q, ATTRS, T0)  # the same name again starts empty
    assert _take(store, now=T0 + 1) == []
    assert store.queue_counts(Q, T0 + 1) == (0, 0)


def test_delete_queue_forgets_deduplication_ids(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1", dedup="d")
    store.delete_queue(Q)
    store.put_queue(Q, ATTRS, T0)
    stored = store.send_message(Q, _message("m2", dedup="d", sent=T0 + 1), visible_at=T0 + 1)
    assert stored["id"] == "m2"


def test_queues_are_shared_between_handles(open_store: Callable[[], Store]) -> None:
    open_store().put_queue(Q, ATTRS, T0)
    assert open_store().get_queue(Q) == {"name": Q, "attributes": ATTRS, "created": T0}


# -- send / receive ---------------------------------------------------------------------------


def test_send_returns_the_message_and_receive_gives_it_back(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    message = _message("m1", "héllo ✓", attributes=attributes)
    assert store.send_message(Q, message, visible_at=T0)["id"] == "m1"
    (received,) = _take(store, now=T0 + 2)
    receipt = received.pop("receipt")
    assert isinstance(receipt, str) and receipt
    assert received == {
        "id": "m1",
        "body": "héllo ✓",
        "attributes": attributes,
        "sent": T0,
        "receive_count": 1,
        "first_receive": T0 + 2,
        "group": None,
    }


def test_receive_is_oldest_first_and_bounded_by_limit(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, *(f"m{i:02d}" for i in range(15)))
    assert _ids(_take(store, now=T0, limit=10)) == [f"m{i:02d}" for i in range(10)]
    assert _ids(_take(store, now=T0, limit=10)) == [f"m{i:02d}" for i in range(10, 15)]
    assert _take(store, now=T0, limit=10) == []


def test_messages_are_per_queue(store: Store) -> None:
    store.put_queue("a", ATTRS, T0)
    store.put_queue("b", ATTRS, T0)
    _send(store, "in-a", queue="a")
    _send(store, "in-b", queue="b")
    assert _ids(_take(store, now=T0, queue="b")) == ["in-b"]
    assert _ids(_take(store, now=T0, queue="a")) == ["in-a"]


def test_not_visible_before_visible_at(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    store.send_message(Q, _message("late"), visible_at=T0 + 5)
    assert _take(store, now=T0 + 4.999) == []
    assert store.queue_counts(Q, T0 + 4.999)[0] == 0
    assert _ids(_take(store, now=T0 + 5)) == ["late"]


def test_visibility_timeout_hides_then_shows_with_a_new_receipt(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1")
    (first,) = _take(store, now=T0 + 1, timeout=10)
    assert _take(store, now=T0 + 10.999, timeout=10) == []
    assert store.queue_counts(Q, T0 + 10.999) == (0, 1)
    assert store.queue_counts(Q, T0 + 11) == (1, 0)
    (second,) = _take(store, now=T0 + 11, timeout=10)
    assert second["id"] == "m1"
    assert (first["receive_count"], second["receive_count"]) == (1, 2)
    assert second["first_receive"] == first["first_receive"] == T0 + 1
    assert second["receipt"] != first["receipt"]
    assert store.delete_message(Q, first["receipt"]) is False
    assert store.delete_message(Q, second["receipt"]) is True
    assert _take(store, now=T0 + 100) == []


def test_zero_visibility_timeout_leaves_the_message_visible(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1")
    assert _ids(_take(store, now=T0, timeout=0)) == ["m1"]
    (again,) = _take(store, now=T0, timeout=0)
    assert again["receive_count"] == 2


def test_delete_message(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1", "m2")
    first, second = _take(store, now=T0)
    assert store.delete_message(Q, first["receipt"]) is True
    assert store.delete_message(Q, first["receipt"]) is False
    assert store.delete_message(Q, "no-such-receipt") is False
    assert store.delete_message("other", second["receipt"]) is False  # not this queue's
    assert store.queue_counts(Q, T0) == (0, 1)
    assert _ids(_take(store, now=T0 + 31)) == ["m2"]


def test_delete_messages_deletes_a_batch_and_names_those_it_found(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    store.put_queue("other", ATTRS, T0)
    _send(store, "m1", "m2", "m3")
    _send(store, "o1", queue="other")
    first, second, third = _take(store, now=T0)
    (theirs,) = _take(store, now=T0, queue="other")
    receipts = [first["receipt"], third["receipt"], "no-such-receipt", theirs["receipt"]]
    assert store.delete_messages(Q, receipts) == {first["receipt"], third["receipt"]}
    assert store.delete_messages(Q, [first["receipt"]]) == set()
    assert store.delete_messages(Q, []) == set()
    assert store.queue_counts(Q, T0) == (0, 1)
    assert store.queue_counts("other", T0) == (0, 1)  # not this queue's: left alone
    assert _ids(_take(store, now=T0 + 31)) == ["m2"]


def test_queue_has_visible(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    assert store.queue_has_visible(Q, T0) is False
    store.send_message(Q, _message("delayed"), visible_at=T0 + 60)
    assert store.queue_has_visible(Q, T0) is False
    _send(store, "m1")
    assert store.queue_has_visible(Q, T0) is True
    _take(store, now=T0, timeout=10)
    assert store.queue_has_visible(Q, T0 + 9.999) is False  # in flight
    assert store.queue_has_visible(Q, T0 + 10) is True
    assert store.queue_has_visible("other", T0 + 100) is False


def test_a_message_back_from_flight_comes_before_younger_ones(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, *(f"m{i}" for i in range(5)))
    assert _ids(_take(store, now=T0, limit=1, timeout=10)) == ["m0"]
    assert _ids(_take(store, now=T0 + 1, limit=2)) == ["m1", "m2"]  # m0 in flight, skipped
    # oldest first by when it was sent, not by when it became visible
    assert _ids(_take(store, now=T0 + 10)) == ["m0", "m3", "m4"]


def test_a_message_in_flight_can_be_deleted_after_its_timeout_until_received_again(
    store: Store,
) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1")
    (first,) = _take(store, now=T0, timeout=5)
    # visible again, but nobody received it since: the latest receipt still deletes (as SQS)
    assert store.delete_message(Q, first["receipt"]) is True
    assert _take(store, now=T0 + 10) == []


def test_purge_counts_every_message(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1", "m2", "m3")
    store.send_message(Q, _message("delayed"), visible_at=T0 + 60)
    _take(store, now=T0, limit=1)  # one in flight
    assert store.purge_queue(Q) == 4
    assert store.purge_queue(Q) == 0
    assert store.queue_counts(Q, T0 + 1000) == (0, 0)
    assert store.get_queue(Q) is not None  # the queue stays


def test_expire_messages_deletes_those_sent_before(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "old", sent=T0 - 100)
    _send(store, "edge", sent=T0 - 50)
    _send(store, "new", sent=T0)
    assert store.expire_messages(Q, T0 - 50) == 1
    assert store.expire_messages(Q, T0 - 50) == 0
    assert _ids(_take(store, now=T0)) == ["edge", "new"]
    assert store.expire_messages(Q, T0 + 1) == 2  # in flight or not


def test_queue_counts_visible_and_in_flight(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    assert store.queue_counts(Q, T0) == (0, 0)
    _send(store, "m1", "m2", "m3")
    _take(store, now=T0, limit=2)
    assert store.queue_counts(Q, T0) == (1, 2)


def test_a_delayed_message_is_not_in_flight(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    store.send_message(Q, _message("delayed"), visible_at=T0 + 60)
    assert store.queue_counts(Q, T0) == (0, 0)


def test_delayed_counts_only_never_received_hidden_messages(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    store.send_message(Q, _message("delayed"), visible_at=T0 + 60)
    _send(store, "m1")
    _take(store, now=T0)
    assert store.queue_delayed(Q, T0) == 1
    assert store.queue_delayed(Q, T0 + 60) == 0


def test_change_visibility_of_a_message_in_flight(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1")
    (taken,) = _take(store, now=T0, timeout=30)
    changed = store.change_visibility(Q, taken["receipt"], now=T0 + 1, visible_at=T0 + 5)
    assert changed is VisibilityChange.CHANGED
    assert _take(store, now=T0 + 4.999) == []
    (again,) = _take(store, now=T0 + 5)
    assert again["receive_count"] == 2


def test_change_visibility_to_now_shows_the_message_at_once(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1")
    (taken,) = _take(store, now=T0)
    assert store.change_visibility(Q, taken["receipt"], now=T0, visible_at=T0) is (
        VisibilityChange.CHANGED
    )
    assert _ids(_take(store, now=T0)) == ["m1"]


def test_change_visibility_refuses_visible_and_unknown(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1")
    (taken,) = _take(store, now=T0, timeout=30)
    late = store.change_visibility(Q, taken["receipt"], now=T0 + 30, visible_at=T0 + 60)
    assert late is VisibilityChange.NOT_IN_FLIGHT
    unknown = store.change_visibility(Q, "nope", now=T0, visible_at=T0 + 60)
    assert unknown is VisibilityChange.UNKNOWN_RECEIPT
    other = store.change_visibility("other", taken["receipt"], now=T0, visible_at=T0 + 60)
    assert other is VisibilityChange.UNKNOWN_RECEIPT
    assert _ids(_take(store, now=T0 + 30)) == ["m1"]  # unchanged by the refusals


def test_messages_are_shared_between_handles(open_store: Callable[[], Store]) -> None:
    writer, reader = open_store(), open_store()
    writer.put_queue(Q, ATTRS, T0)
    _send(writer, "m1")
    (received,) = _take(reader, now=T0)
    assert _take(writer, now=T0) == []  # in flight for every handle
    assert writer.delete_message(Q, received["receipt"]) is True


# -- de-duplication ---------------------------------------------------------------------------


def test_dedup_within_the_window_returns_the_earlier_message(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    first = store.send_message(Q, _message("m1", "one", dedup="d"), visible_at=T0)
    assert first["id"] == "m1"
    again = store.send_message(Q, _message("m2", "two", dedup="d", sent=T0 + 299), visible_at=T0)
    assert again["id"] == "m1"
    assert [m["body"] for m in _take(store, now=T0 + 299)] == ["one"]


def test_dedup_holds_after_the_message_was_deleted(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1", dedup="d")
    (received,) = _take(store, now=T0)
    store.delete_message(Q, received["receipt"])
    again = store.send_message(Q, _message("m2", dedup="d", sent=T0 + 10), visible_at=T0 + 10)
    assert again["id"] == "m1"
    assert _take(store, now=T0 + 100) == []


def test_dedup_ends_after_the_window(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "m1", dedup="d")
    later = store.send_message(Q, _message("m2", dedup="d", sent=T0 + 301), visible_at=T0 + 301)
    assert later["id"] == "m2"
    assert _ids(_take(store, now=T0 + 301)) == ["m1", "m2"]


def test_dedup_ids_are_per_queue(store: Store) -> None:
    store.put_queue("a", ATTRS, T0)
    store.put_queue("b", ATTRS, T0)
    assert store.send_message("a", _message("m1", dedup="d"), visible_at=T0)["id"] == "m1"
    assert store.send_message("b", _message("m2", dedup="d"), visible_at=T0)["id"] == "m2"


# -- FIFO groups ------------------------------------------------------------------------------


def test_fifo_group_with_a_message_in_flight_gives_nothing(store: Store) -> None:
    store.put_queue(Q, {**ATTRS, "fifo": True}, T0)
    for mid, group in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B")):
        _send(store, mid, group=group)
    (a1,) = _take(store, now=T0, limit=1, fifo=True)
    assert (a1["id"], a1["group"]) == ("a1", "A")
    # group A is blocked by a1; B flows, in order
    assert _ids(_take(store, now=T0, fifo=True)) == ["b1", "b2"]
    assert _take(store, now=T0, fifo=True) == []
    assert store.delete_message(Q, a1["receipt"])
    assert _ids(_take(store, now=T0, fifo=True)) == ["a2"]


def test_fifo_message_back_after_its_timeout_comes_first_in_its_group(store: Store) -> None:
    store.put_queue(Q, {**ATTRS, "fifo": True}, T0)
    _send(store, "a1", "a2", group="A")
    assert _ids(_take(store, now=T0, limit=1, timeout=5, fifo=True)) == ["a1"]
    assert _take(store, now=T0 + 4, fifo=True) == []
    (again,) = _take(store, now=T0 + 5, limit=1, fifo=True)
    assert (again["id"], again["receive_count"]) == ("a1", 2)


def test_fifo_receive_takes_a_group_in_order(store: Store) -> None:
    store.put_queue(Q, {**ATTRS, "fifo": True}, T0)
    for mid, group in (("a1", "A"), ("b1", "B"), ("a2", "A"), ("a3", "A")):
        _send(store, mid, group=group)
    assert _ids(_take(store, now=T0, limit=3, fifo=True)) == ["a1", "b1", "a2"]
    assert _take(store, now=T0, fifo=True) == []  # a3 waits for a1, a2


def test_without_fifo_groups_do_not_block(store: Store) -> None:
    store.put_queue(Q, ATTRS, T0)
    _send(store, "a1", "a2", group="A")
    assert _ids(_take(store, now=T0, limit=1)) == ["a1"]
    assert _ids(_take(store, now=T0, limit=1)) == ["a2"]


# -- concurrency ------------------------------------------------------------------------------


def test_concurrent_receivers_on_separate_handles_never_share_a_message(
    open_store: Callable[[], Store],
) -> None:
    writer = open_store()
    writer.put_queue(Q, ATTRS, T0)
    sent = [f"m{i:02d}" for i in range(50)]
    _send(writer, *sent)
    handles = [open_store() for _ in range(4)]
    got: list[list[str]] = [[] for _ in handles]
    start = threading.Barrier(len(handles))

    def drain(i: int) -> None:
        start.wait()
        while batch := _take(handles[i], now=T0 + 1, limit=3):
            got[i].extend(_ids(batch))

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(len(handles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    everything = [mid for ids in got for mid in ids]
    assert sorted(everything) == sent  # each exactly once
    assert writer.queue_counts(Q, T0 + 1) == (0, 50)
