"""Dead-letter queues of local queues (SQS's RedrivePolicy): the move past maxReceiveCount,
what the moved message keeps, its atomicity under `kill -9`, the manifest's `dead_letter` and
`max_receive_count`, and RedrivePolicy as SQS's API writes it.

Time is injected (`send(now=...)`, `receive(clock=...)`): nothing sleeps.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl import manifest, queues
from lambdactl.errors import ManifestError
from lambdactl.project import Project
from lambdactl.queues import InvalidAttributeValue, QueueNameExists

T0 = float(int(time.time()))
ARN = "arn:aws:sqs:us-east-1:123456789012:"
FUNCTIONS = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
"""
QUEUES = """\
jobs: {visibility_timeout: 5, dead_letter: jobs-dlq, max_receive_count: 3}
jobs-dlq: {}
orders.fifo: {fifo: true, visibility_timeout: 5, dead_letter: dlq.fifo, max_receive_count: 2}
dlq.fifo: {fifo: true}
"""
ATTRIBUTES = {"colour": {"DataType": "String", "StringValue": "red"}}
GOOD_ARN = ARN + "dlq"


def policy(target: str = GOOD_ARN, count: object = 5, **more: object) -> str:
    """A RedrivePolicy as SQS's API takes it (a JSON string)."""
    return json.dumps(
        {"deadLetterTargetArn": target, "maxReceiveCount": count, **more}, separators=(",", ":")
    )


@pytest.fixture
def open_project(project_dir: Path) -> Iterator[Callable[..., Project]]:
    """`open_project(queues_yaml)`: write the manifest with that `queues:` block and open it."""
    opened: list[Project] = []

    def open_(queues_yaml: str = QUEUES) -> Project:
        text = FUNCTIONS + "queues:\n" + textwrap.indent(textwrap.dedent(queues_yaml), "  ")
        (project_dir / "functions.yaml").write_text(text)
        project = Project.open(project_dir / "functions.yaml")
        opened.append(project)
        return project

    yield open_
    for project in opened:
        project.close()


@pytest.fixture
def declared(open_project: Callable[..., Project]) -> Project:
    return open_project()


def receive(project: Project, name: str, now: float, **options: Any) -> list[dict[str, Any]]:
    return queues.receive(project, name, clock=lambda: now, sleep=lambda _s: None, **options)


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


# -- the move ---------------------------------------------------------------------------------


def test_a_message_past_max_receive_count_moves_to_the_dead_letter_queue(
    declared: Project,
) -> None:
    sent = queues.send(declared, "jobs", "poison", message_attributes=ATTRIBUTES, now=T0)
    for n in range(3):  # received max_receive_count times, never deleted
        (message,) = receive(declared, "jobs", T0 + 10 * n)
        assert message["Attributes"]["ApproximateReceiveCount"] == str(n + 1)
    assert receive(declared, "jobs", T0 + 30) == []  # the 4th receive moves it instead
    assert queues.counts(declared, "jobs", now=T0 + 30) == (0, 0)
    (moved,) = receive(declared, "jobs-dlq", T0 + 31)
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Body"] == "poison"
    assert moved["MessageAttributes"] == ATTRIBUTES
    assert moved["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert moved["MD5OfBody"] == sent["MD5OfMessageBody"]
    attributes = moved["Attributes"]
    assert attributes["SentTimestamp"] == str(int(T0 * 1000))  # the original send
    assert attributes["ApproximateFirstReceiveTimestamp"] == str(int(T0 * 1000))
    assert attributes["ApproximateReceiveCount"] == "4"  # the count goes on
    assert attributes["DeadLetterQueueSourceArn"] == ARN + "jobs"


def test_the_moving_receive_delivers_the_next_message(declared: Project) -> None:
    queues.send(declared, "jobs", "poison", now=T0)
    for n in range(3):
        assert bodies(receive(declared, "jobs", T0 + 10 * n)) == ["poison"]
    queues.send(declared, "jobs", "fine", now=T0 + 25)
    assert bodies(receive(declared, "jobs", T0 + 30, max_messages=10)) == ["fine"]
    assert bodies(receive(declared, "jobs-dlq", T0 + 30)) == ["poison"]


def test_a_deleted_message_is_never_moved(declared: Project) -> None:
    queues.send(declared, "jobs", "done", now=T0)
    for n in range(3):
        (message,) = receive(declared, "jobs", T0 + 10 * n)
    queues.delete_message(declared, "jobs", message["ReceiptHandle"])
    assert receive(declared, "jobs", T0 + 30) == []
    assert receive(declared, "jobs-dlq", T0 + 30) == []


def test_max_receive_count_one(open_project: Callable[..., Project]) -> None:
    project = open_project("q: {dead_letter: d, max_receive_count: 1}\nd: {}\n")
    queues.send(project, "q", "once", now=T0)
    assert bodies(receive(project, "q", T0, visibility_timeout=0)) == ["once"]
    assert receive(project, "q", T0) == []
    assert bodies(receive(project, "d", T0)) == ["once"]


def test_fifo_moves_keep_the_group_and_let_the_group_go_on(declared: Project) -> None:
    queues.send(declared, "orders.fifo", "first", group_id="g", deduplication_id="1", now=T0)
    queues.send(declared, "orders.fifo", "second", group_id="g", deduplication_id="2", now=T0)
    for n in range(2):  # the group's head fails twice; "second" waits behind it
        assert bodies(receive(declared, "orders.fifo", T0 + 10 * n)) == ["first"]
    assert bodies(receive(declared, "orders.fifo", T0 + 20)) == ["second"]
    (moved,) = receive(declared, "dlq.fifo", T0 + 20)
    assert moved["Body"] == "first"
    assert moved["Attributes"]["MessageGroupId"] == "g"
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == ARN + "orders.fifo"
    assert moved["Attributes"]["SentTimestamp"] == str(int((T0 + 20) * 1000))  # reset


def test_retention_counts_from_the_original_send_in_a_standard_dead_letter_queue(
    open_project: Callable[..., Project],
) -> None:
    project = open_project(
        """\
        q: {visibility_timeout: 5, dead_letter: d, max_receive_count: 1}
        d: {retention: 60}
        q.fifo: {fifo: true, visibility_timeout: 5, dead_letter: d.fifo, max_receive_count: 1}
        d.fifo: {fifo: true, retention: 60}
        """
    )
    queues.send(project, "q", "standard", now=T0)
    queues.send(project, "q.fifo", "fifo", group_id="g", deduplication_id="1", now=T0)
    for name in ("q", "q.fifo"):
        assert len(receive(project, name, T0)) == 1
        assert receive(project, name, T0 + 50) == []  # moved at T0 + 50
    assert queues.counts(project, "d", now=T0 + 59) == (1, 0)
    assert queues.counts(project, "d", now=T0 + 61) == (0, 0)  # 60 s after the send
    assert queues.counts(project, "d.fifo", now=T0 + 109) == (1, 0)  # 60 s after the move
    assert queues.counts(project, "d.fifo", now=T0 + 111) == (0, 0)


def test_without_its_dead_letter_queue_a_message_stays_and_is_delivered(
    project: Project,
) -> None:
    queues.create(project, "dlq")
    queues.create(project, "src", {"dead_letter": "dlq", "max_receive_count": 1})
    queues.send(project, "src", "kept", now=T0)
    assert bodies(receive(project, "src", T0, visibility_timeout=0)) == ["kept"]
    queues.delete(project, "dlq")
    (message,) = receive(project, "src", T0)
    assert message["Attributes"]["ApproximateReceiveCount"] == "2"


# -- atomicity --------------------------------------------------------------------------------

KILLED_MID_MOVE = """\
import os, signal, sys
from pathlib import Path
from lambdactl import queues
from lambdactl.project import Project

point = sys.argv[1]
project = Project.open(Path("functions.yaml"))

def trace(statement):
    # SQLite calls this as each statement starts, inside the receive's transaction
    if statement.startswith(point):
        os.kill(os.getpid(), signal.SIGKILL)

project.store._db.set_trace_callback(trace)
print(queues.receive(project, "jobs", clock=lambda: float(sys.argv[2])))
"""


@pytest.mark.parametrize(
    "point",
    ["DELETE FROM messages WHERE seq", "COMMIT"],
    ids=["after-insert-into-dlq", "before-commit"],
)
def test_a_move_killed_midway_leaves_the_message_in_the_source_only(
    declared: Project, project_dir: Path, point: str
) -> None:
    sent = queues.send(declared, "jobs", "survivor", message_attributes=ATTRIBUTES, now=T0)
    for n in range(3):
        assert bodies(receive(declared, "jobs", T0 + 10 * n)) == ["survivor"]
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_MOVE, point, str(T0 + 30)],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert queues.counts(declared, "jobs", now=T0 + 30) == (1, 0)  # still in the source
    assert queues.counts(declared, "jobs-dlq", now=T0 + 30) == (0, 0)  # and not in both
    assert receive(declared, "jobs", T0 + 30) == []  # the next receive moves it
    (moved,) = receive(declared, "jobs-dlq", T0 + 30)
    assert (moved["MessageId"], moved["Body"]) == (sent["MessageId"], "survivor")
    assert queues.counts(declared, "jobs", now=T0 + 30) == (0, 0)


def test_the_kill_point_is_reached_by_a_real_move(declared: Project, project_dir: Path) -> None:
    """The control: the same script with a point no statement starts with moves the message."""
    queues.send(declared, "jobs", "moved", now=T0)
    for n in range(3):
        receive(declared, "jobs", T0 + 10 * n)
    done = subprocess.run(
        [sys.executable, "-c", KILLED_MID_MOVE, "NO SUCH STATEMENT", str(T0 + 30)],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert queues.counts(declared, "jobs-dlq", now=T0 + 30) == (1, 0)


# -- the service: create, set, attributes -----------------------------------------------------


def _invalid(project: Project, name: str, attributes: dict[str, Any]) -> str:
    with pytest.raises(InvalidAttributeValue) as info:
        queues.create(project, name, attributes)
    return info.value.message


def test_create_checks_the_dead_letter_queue(project: Project) -> None:
    queues.create(project, "dlq")
    queues.create(project, "dlq.fifo", {"fifo": True})
    prefix = "Value %s for parameter RedrivePolicy is invalid. Reason: "
    assert _invalid(project, "src", {"dead_letter": "nope", "max_receive_count": 3}) == (
        prefix % policy(ARN + "nope", 3) + "Dead letter target does not exist."
    )
    assert _invalid(project, "src", {"dead_letter": "dlq.fifo", "max_receive_count": 3}) == (
        prefix % policy(ARN + "dlq.fifo", 3)
        + "Dead-letter queue must be same type of queue as the source.."
    )
    fifo = {"fifo": True, "dead_letter": "dlq", "max_receive_count": 3}
    assert "same type of queue" in _invalid(project, "src.fifo", fifo)
    assert "its own dead-letter queue" in _invalid(
        project, "src", {"dead_letter": "src", "max_receive_count": 3}
    )
    assert _invalid(project, "src", {"dead_letter": "dlq", "max_receive_count": 1001}) == (
        prefix % '{"deadLetterTargetArn":"dlq","maxReceiveCount":1001}'
        + "Invalid value for maxReceiveCount: 1001, valid values are from 1 to 1000 both "
        "inclusive."
    )
    assert "maxReceiveCount: None" in _invalid(project, "src", {"dead_letter": "dlq"})
    assert [q.name for q in queues.list_queues(project)] == ["dlq", "dlq.fifo"]  # none made


def test_create_compares_the_redrive_policy(project: Project) -> None:
    queues.create(project, "dlq")
    queue = queues.create(project, "src", {"dead_letter": "dlq", "max_receive_count": 4})
    assert (queue.dead_letter, queue.max_receive_count) == ("dlq", 4)
    again = queues.create(project, "src", {"dead_letter": "dlq", "max_receive_count": 4})
    assert again == queue
    with pytest.raises(QueueNameExists) as info:
        queues.create(project, "src", {"dead_letter": "dlq", "max_receive_count": 5})
    assert info.value.message.endswith("different value for attribute RedrivePolicy")


def test_set_attributes_adds_and_removes_the_redrive_policy(project: Project) -> None:
    queues.create(project, "dlq")
    queues.create(project, "src")
    assert "RedrivePolicy" not in queues.sqs_attributes(project, "src")
    given = queues.attributes_from_sqs(project, {"RedrivePolicy": policy(count="2")})
    queues.set_attributes(project, "src", given)
    assert queues.sqs_attributes(project, "src")["RedrivePolicy"] == (
        '{"deadLetterTargetArn":"' + ARN + 'dlq","maxReceiveCount":2}'
    )
    assert [q.name for q in queues.dead_letter_sources(project, "dlq")] == ["src"]
    removed = queues.attributes_from_sqs(project, {"RedrivePolicy": ""})
    queues.set_attributes(project, "src", removed)
    assert "RedrivePolicy" not in queues.sqs_attributes(project, "src")
    assert queues.dead_letter_sources(project, "dlq") == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (" ", None),
        ("[]", None),
        ("{}", "Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        (
            '{"maxReceiveCount":5}',
            "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
        ),
        (
            policy(count=-36),
            "Invalid value for maxReceiveCount: -36, valid values are from 1 to 1000 both "
            "inclusive.",
        ),
        (
            policy(count="many"),
            "Invalid value for maxReceiveCount: many, valid values are from 1 to 1000 both "
            "inclusive.",
        ),
        (
            policy("arn:aws:sns:us-east-1:123456789012:T"),
            "Only SQS queues are valid resources for deadLetterTargetArn.",
        ),
        (
            policy("dlq"),
            "Dead-letter target ARN should be fully qualified ARN.",
        ),
        (
            policy(x=1),
            "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn].",
        ),
        (
            policy("arn:aws:sqs:eu-west-1:123456789012:dlq"),
            "Dead letter target does not exist.",
        ),
    ],
)
def test_a_bad_redrive_policy_is_sqs_error(
    project: Project, value: str, reason: str | None
) -> None:
    with pytest.raises(InvalidAttributeValue) as info:
        queues.attributes_from_sqs(project, {"RedrivePolicy": value})
    if reason is None:
        expected = (
            "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a "
            "valid JSON map."
        )
    else:
        expected = f"Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"
    assert info.value.message == expected
    assert info.value.aws_type == "InvalidAttributeValue"


def test_max_receive_count_as_a_number_or_a_string(project: Project) -> None:
    for given in (7, "7", 7.0):
        given_policy = policy(count=given)
        assert queues.attributes_from_sqs(project, {"RedrivePolicy": given_policy}) == {
            "dead_letter": "dlq",
            "max_receive_count": 7,
        }


# -- the manifest -----------------------------------------------------------------------------


def test_manifest_dead_letter_keys_and_default(project_dir: Path) -> None:
    path = project_dir / "functions.yaml"
    path.write_text(FUNCTIONS + "queues:\n  q: {dead_letter: d}\n  d:\n")
    loaded = manifest.load(path)
    assert loaded.queues["q"] == {"dead_letter": "d", "max_receive_count": 10}
    assert loaded.queues["d"] == {}


def _manifest_error(project_dir: Path, queues_yaml: str) -> ManifestError:
    path = project_dir / "functions.yaml"
    path.write_text(FUNCTIONS + "queues:\n" + queues_yaml)
    with pytest.raises(ManifestError) as info:
        manifest.load(path)
    return info.value


@pytest.mark.parametrize(
    ("queues_yaml", "line", "key", "detail"),
    [
        (
            "  q: {dead_letter: nowhere}\n",
            8,
            "queues.q.dead_letter",
            "no queue 'nowhere' is declared in the manifest",
        ),
        (
            "  q: {dead_letter: q}\n",
            8,
            "queues.q.dead_letter",
            "a queue cannot be its own dead-letter queue",
        ),
        (
            "  d: {}\n  q.fifo:\n    fifo: true\n    dead_letter: d\n",
            11,
            "queues.q.fifo.dead_letter",
            "Dead-letter queue must be same type of queue as the source.",
        ),
        (
            "  d.fifo: {fifo: true}\n  q: {dead_letter: d.fifo}\n",
            9,
            "queues.q.dead_letter",
            "Dead-letter queue must be same type of queue as the source.",
        ),
        (
            "  q: {max_receive_count: 3}\n",
            8,
            "queues.q.max_receive_count",
            "max_receive_count needs dead_letter: the queue its messages move to",
        ),
        (
            "  d: {}\n  q:\n    dead_letter: d\n    max_receive_count: 1001\n",
            11,
            "queues.q.max_receive_count",
            "1 validation error detected: Value '1001' at 'maxReceiveCount' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000",
        ),
        (
            "  d: {}\n  q: {dead_letter: d, max_receive_count: 0}\n",
            9,
            "queues.q.max_receive_count",
            "1 validation error detected: Value '0' at 'maxReceiveCount' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1",
        ),
        (
            "  q: {dead_letter: [d]}\n",
            8,
            "queues.q.dead_letter",
            "expected a single value, got a list",
        ),
    ],
)
def test_manifest_dead_letter_errors(
    project_dir: Path, queues_yaml: str, line: int, key: str, detail: str
) -> None:
    error = _manifest_error(project_dir, queues_yaml)
    assert (error.line, error.key, error.detail) == (line, key, detail)
    assert str(error) == f"functions.yaml:{line}: {key}: {detail}"


def test_manifest_error_on_the_command_line(project_dir: Path) -> None:
    (project_dir / "functions.yaml").write_text(FUNCTIONS + "queues:\n  q: {dead_letter: x}\n")
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "queue", "list"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert (
        "functions.yaml:8: queues.q.dead_letter: no queue 'x' is declared in the manifest"
        in done.stderr
    )


def test_a_state_database_from_before_dead_letters_gains_the_column(tmp_path: Path) -> None:
    """`messages` made without its `source` column (CREATE TABLE IF NOT EXISTS keeps an older
    table as it was): opening the store adds it, and the messages there are received."""
    import sqlite3

    from lambdactl.store.sqlite import SqliteStore

    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, id TEXT NOT NULL,
            body TEXT NOT NULL, attributes TEXT NOT NULL, sent REAL NOT NULL,
            visible_at REAL NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0,
            first_receive REAL, receipt TEXT, grp TEXT, dedup TEXT
        );
        INSERT INTO messages (queue, id, body, attributes, sent, visible_at)
        VALUES ('q', 'm1', 'from before', '{}', 1.0, 1.0);
        """
    )
    old.close()
    store = SqliteStore(path)
    try:
        (message,) = store.receive_messages(
            "q", limit=1, now=2.0, visibility_timeout=30, fifo=False
        )
        assert (message["id"], message["body"]) == ("m1", "from before")
        assert "dead_letter_source" not in message
    finally:
        store.close()
