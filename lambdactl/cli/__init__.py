"""The `lambdactl` command's entry point. It imports almost nothing: an invoke that the
project's running server can take is handed to it first (`warm.py`: the standard library,
`http.client` and a few small modules of lambdactl), and only then is the typer application
(`commands.py`, where every command is registered) imported for everything else."""

from __future__ import annotations

import os
import sys


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; every expected failure becomes one line."""
    args = sys.argv[1:] if argv is None else argv
    # The only command the warm path takes (others skip its imports); never a completion.
    if "invoke" in args and not os.environ.get("_LAMBDACTL_COMPLETE"):
        from . import warm

        code = warm.attempt(args)
        if code is not None:
            return code
    from .commands import run as run_commands

    return run_commands(argv)


def main() -> None:
    import atexit
    import threading

    code = run()
    main_thread = threading.main_thread()
    if any(not t.daemon for t in threading.enumerate() if t is not main_thread):
        sys.exit(code)  # they are waited for, as Python's own exit does
    # Tearing the interpreter down would free, one object at a time, everything the command
    # imported (~15% of a short command). The command has closed what it opened (the
    # project's store, the log writer, the environments): run the exit handlers, flush, leave.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream, as Python's exit ignores it
            pass
    os._exit(code)
