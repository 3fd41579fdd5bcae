"""Debugging one function under debugpy: what the environment needs, and whether an editor is
attached.

- **Install**: debugpy is installed on first use for the function's Python version and machine
  (`pip install --target`, as `dependencies.py` installs a `requirements.txt`) into a per-machine
  cache, `$XDG_CACHE_HOME/lambdactl/debugpy/python3.X-<machine>` (`~/.cache/...` without it),
  shared by every project: it is lambdactl's tool, not a dependency of the project. Only a
  debugged environment has that directory on `sys.path`, and last: after the code, its
  requirements, its layers, the standard library and boto3, so that a function that brings its
  own debugpy (to debug it remotely on AWS) runs that one, and one process never holds two
  copies of pydevd (each patches `threading` and the trace hooks for the whole process).
- **In the child** (`bootstrap/python_runtime.py`): `debugpy.listen` with the adapter in
  process (no second interpreter: faster to start, 19 MB less counted against the function's
  memory, and the port belongs to the runtime, which dies with its environment), then
  `wait_for_client` before the handler's module is imported.
- **Attached or not**, as the parent sees it: an ESTABLISHED TCP connection whose local port
  is the debug port, in the kernel's socket table (a netlink `sock_diag` dump of the
  established and listening sockets, ~0.2 ms; `/proc/net/tcp` where that is refused). The
  kernel answers while the child is frozen at a breakpoint, when no code of the child could
  tell, and whatever the debugpy version; an editor that hangs up without a `disconnect`
  leaves the server's end in CLOSE_WAIT, which counts as detached. No other socket can have
  that local port while the environment's listener holds it. The LISTEN socket says when the
  runtime waits for an editor (`Debug.announce`). Where neither can be read (macOS), a
  debugged environment counts as attached for its whole life: its limits never run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from . import dependencies
from .interpreters import Interpreter

DEFAULT_PORT = 5678
"""debugpy's own default, and what editors' attach configurations use."""

DEBUGPY = "debugpy"
"""What is installed: the newest release, once per Python version and machine."""

POLL_SECONDS = 0.05
"""How often a debugged environment's limits look whether an editor is attached."""


@dataclass(frozen=True)
class Debug:
    """Run `function`'s environments (every version) under debugpy on `host:port`.

    `announce` is called (with this value, from the invoking thread) each time an environment
    of it listens and waits for an editor: a face says so to its user.
    """

    function: str
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    announce: Callable[[Debug], None] | None = field(default=None, compare=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def cache_root() -> Path:
    """Where debugpy installs are kept: per machine, shared by projects."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lambdactl" / "debugpy"


def install(interpreter: Interpreter) -> Path:
    """The directory that holds debugpy for `interpreter`'s version and this machine,
    installing it on first use (one installer at a time, per directory; atomic: a failed or
    interrupted install leaves nothing behind). `DependencyError` names what failed."""
    python = "python" + interpreter.version.rsplit(".", 1)[0]
    target = cache_root() / f"{python}-{os.uname().machine}"
    return dependencies.install(
        interpreter,
        target,
        lambda: [DEBUGPY],
        failure=lambda: (
            f"installing debugpy for {python} ({interpreter.path}) into {target} failed"
        ),
    )


def check_port(debug: Debug) -> None:
    """A one-line `UsageError` when `debug`'s port cannot be listened on (another program,
    or another debugged environment, holds it): better said here than as the function's init
    error."""
    import socket

    family = socket.AF_INET6 if ":" in debug.host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As debugpy's listener does: a connection of the last environment in TIME_WAIT
        # does not keep the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((debug.host, debug.port))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"cannot debug {debug.function} on {debug.address}: {reason.lower()}",
            hint="choose another port with --debug-port",
        ) from None
    finally:
        probe.close()


def state(debug: Debug) -> str:
    """`attached` (an editor is connected to the port), `listening` (only the listener is
    there) or `none`, from the kernel's socket table; `attached` where it cannot be read."""
    ipv6 = ":" in debug.host
    try:
        states = _diagnosed(debug.port, ipv6)
    except OSError:  # no sock_diag (a sandbox that forbids it): the same from /proc
        try:
            states = _proc_states(debug.port, ipv6)
        except OSError:
            return "attached"  # nothing tells: limits must not stop a debugged function
    if _ESTABLISHED in states:
        return "attached"
    return "listening" if _LISTEN in states else "none"


_ESTABLISHED, _LISTEN = 1, 10
"""The kernel's TCP states (`TCP_ESTABLISHED`, `TCP_LISTEN`)."""
_NETLINK_SOCK_DIAG, _SOCK_DIAG_BY_FAMILY = 4, 20
_NLM_F_DUMP_REQUEST = 0x301
_NLMSG_ERROR, _NLMSG_DONE = 2, 3


def _diagnosed(port: int, ipv6: bool) -> set[int]:
    """The states of the TCP sockets whose local port is `port`, among the established and
    listening ones, from a netlink `sock_diag` dump (~0.2 ms: binary, and only sockets in those
    states; /proc/net/tcp formats every socket as text, TIME_WAIT included: 1.3 ms for 100)."""
    import socket
    import struct

    if not hasattr(socket, "AF_NETLINK"):  # not Linux
        raise OSError("no netlink")
    family = socket.AF_INET6 if ipv6 else socket.AF_INET
    wanted = (1 << _ESTABLISHED) | (1 << _LISTEN)
    request = struct.pack("=BBBBI48x", family, socket.IPPROTO_TCP, 0, 0, wanted)
    header = struct.pack(
        "=IHHII", 16 + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_DUMP_REQUEST, 1, 0
    )
    found: set[int] = set()
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as diag:
        diag.sendto(header + request, (0, 0))
        while True:
            data = diag.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == _NLMSG_DONE:
                    return found
                if kind == _NLMSG_ERROR or length < 16:
                    raise OSError("sock_diag refused the dump")
                # inet_diag_msg: family, state, timer, retrans, then the id (source port first).
                tcp_state = data[offset + 17]
                if struct.unpack_from("!H", data, offset + 20)[0] == port:
                    found.add(tcp_state)
                offset += (length + 3) & ~3
            if not data:
                return found


def _proc_states(port: int, ipv6: bool) -> set[int]:
    """What `_diagnosed` finds, read from /proc/net/tcp (or tcp6)."""
    data = _read_whole("/proc/net/tcp6" if ipv6 else "/proc/net/tcp")
    suffix = f":{port:04X}".encode()
    found: set[int] = set()
    for line in data.splitlines()[1:]:
        fields = line.split(None, 4)
        if len(fields) >= 4 and fields[1].endswith(suffix):
            found.add(int(fields[3], 16))
    return found


def _read_whole(path: str) -> bytes:
    """A /proc table, read to its end."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class Deadline:
    """A limit's deadline; with a debugger, one that stands still while an editor is attached
    (and, for Init, until one has attached: the runtime waits for it), looked at every
    `POLL_SECONDS`. `on_attach(True/False)` is told when an editor attaches or detaches."""

    def __init__(
        self,
        at: float,
        debug: Debug | None = None,
        *,
        until_attached: bool = False,
        on_attach: Callable[[bool], None] | None = None,
        probe: Callable[[Debug], str] = state,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.at = at
        self._debug = debug
        self._waiting = until_attached
        self._announced = not until_attached
        self._on_attach = on_attach
        self._probe = probe
        self._clock = clock
        self._attached = False
        self._looked = clock()

    def remaining(self) -> float:
        """Seconds to wait before calling again; <= 0 once the deadline has passed."""
        now = self._clock()
        if self._debug is None:
            return self.at - now
        seen = self._probe(self._debug)
        if not self._announced and seen != "none":
            self._announced = True
            if self._debug.announce is not None:
                self._debug.announce(self._debug)
        attached = seen == "attached"
        if attached:
            self._waiting = False  # from its first attach on, only attached time is free
        if attached or self._waiting:
            self.at += now - self._looked  # the time since the last look did not count
        self._looked = now
        if attached != self._attached:
            self._attached = attached
            if self._on_attach is not None:
                self._on_attach(attached)
        return min(POLL_SECONDS, self.at - now)
