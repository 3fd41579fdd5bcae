"""`--on-change 'FUNCTION[:QUALIFIER] [--event FILE | --payload JSON]'`: what the dev loop
invokes after each reload of a function, and how the answer reads in one line.

The text is split as a shell splits it (`shlex`), and checked when `dev` starts: a function
the project has, at most one of `--event` (a JSON file, read again at each run: edit it while
`dev` runs) and `--payload` (JSON text; given last, it may be written as is, without the
quotes a shell would need); neither sends `{}`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import LambdactlError, UsageError

if TYPE_CHECKING:
    from ..invoke import InvocationResult
    from ..project import Project

SHOWN_PAYLOAD = 120
"""How much of an answer's payload its line shows."""


@dataclass(frozen=True)
class Trigger:
    """One `--on-change`: invoke `function` (at `qualifier`) after each reload of it."""

    text: str
    """As given, for messages."""
    function: str
    qualifier: str | None = None
    payload: bytes | None = None
    event_file: Path | None = None

    def body(self) -> bytes:
        """The payload to send now (the event file as it is now); `UsageError` naming the
        file when it cannot be read or is not JSON."""
        if self.event_file is None:
            return self.payload if self.payload is not None else b"{}"
        try:
            data = self.event_file.read_bytes()
        except OSError as exc:
            raise UsageError(
                f"--on-change {self.function}: cannot read {self.event_file}: {exc.strerror}"
            ) from None
        _check_json(data, f"--on-change {self.function}: {self.event_file}")
        return data

    @property
    def target(self) -> str:
        return self.function if self.qualifier is None else f"{self.function}:{self.qualifier}"


def parse(text: str, project: Project) -> Trigger:
    """The trigger `text` describes, checked against `project`; a one-line `UsageError`
    quoting it otherwise."""
    where = f"--on-change {text!r}"
    head, raw = _raw_payload(text)
    try:
        words = shlex.split(head)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None
    if raw is not None:
        words += ["--payload", raw]
    if not words or words[0].startswith("-"):
        raise UsageError(f"{where}: expected FUNCTION[:QUALIFIER] [--event FILE | --payload JSON]")
    try:
        ref = project.ref(words[0])
    except LambdactlError as exc:
        raise UsageError(f"{where}: {exc}") from None
    if ref.name not in project.functions:
        raise UsageError(f"{where}: the project has no function {ref.name}")
    options = _options(words[1:], where)
    if len(options) > 1:
        raise UsageError(f"{where}: give --event or --payload, not both")
    payload = event_file = None
    if "--payload" in options:
        payload = options["--payload"].encode()
        _check_json(payload, f"{where}: --payload")
    if "--event" in options:
        event_file = Path(options["--event"]).resolve()
    trigger = Trigger(text, ref.name, ref.qualifier, payload, event_file)
    if event_file is not None:
        trigger.body()  # readable and JSON now
    return trigger


def _raw_payload(text: str) -> tuple[str, str | None]:
    """(the text before `--payload`, the JSON after it) when `--payload` comes last and what
    follows it is JSON as written (`hello --payload {"a": 1}`: a shell's quotes would be
    taken out of it); else (`text`, None)."""
    head, found, tail = text.rpartition("--payload")
    tail = tail.removeprefix("=").strip()
    if not found or not tail:
        return text, None
    try:
        json.loads(tail)
    except ValueError:
        return text, None
    return head, tail


def _options(words: list[str], where: str) -> Mapping[str, str]:
    found: dict[str, str] = {}
    rest = list(words)
    while rest:
        word = rest.pop(0)
        name, equals, value = word.partition("=")
        if name not in ("--event", "--payload"):
            raise UsageError(f"{where}: unexpected {word!r} (--event FILE or --payload JSON)")
        if not equals:
            if not rest:
                raise UsageError(f"{where}: {name} needs a value")
            value = rest.pop(0)
        if name in found:
            raise UsageError(f"{where}: {name} given twice")
        found[name] = value
    return found


def _check_json(data: bytes, where: str) -> None:
    try:
        json.loads(data)
    except ValueError as exc:
        raise UsageError(f"{where}: not JSON: {exc}") from None


def outcome(trigger: Trigger, result: InvocationResult) -> tuple[str, str]:
    """(level, line) for what the invocation answered: its status, then the head of its
    payload or the error it reports."""
    shown = result.payload.decode("utf-8", "replace").replace("\n", " ").strip()
    if len(shown) > SHOWN_PAYLOAD:
        shown = shown[: SHOWN_PAYLOAD - 1] + "…"
    if result.function_error:
        error = _error(result.payload)
        return "error", f"on-change {trigger.target}: {result.status_code} {error}"
    return "info", f"on-change {trigger.target}: {result.status_code} {shown}"


def _error(payload: bytes) -> str:
    try:
        body = json.loads(payload)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return "Unhandled"
    kind, message = body.get("errorType") or "Unhandled", str(body.get("errorMessage") or "")
    message = message.replace("\n", " ")
    if len(message) > SHOWN_PAYLOAD:
        message = message[: SHOWN_PAYLOAD - 1] + "…"
    return f"{kind}: {message}" if message else str(kind)
