"""A stand-in for `lambdactl dev` in the screen's pseudo-terminal test, until that command
exists: the project in the working directory, a real `Invoker` observed by a real
`Activity`, and the `Screen` on this process's terminal. Each line written to the FIFO named
by the first argument invokes the function it names. `q` or Ctrl-C ends it.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from pathlib import Path

from lambdactl.dev.activity import Activity, Snapshot
from lambdactl.dev.screen import Screen
from lambdactl.invoke import Invoker
from lambdactl.project import Project


class Loop:
    """The `Source` the screen draws."""

    def __init__(self, project: Project, invoker: Invoker) -> None:
        self.project = project
        self.invoker = invoker
        self.activity = Activity()
        self.done = threading.Event()
        invoker.observe(self.activity.invoked)

    def snapshot(self) -> Snapshot:
        warm: Counter[str] = Counter()
        busy: Counter[str] = Counter()
        for (function, _version, _revision), (idle, running) in self.invoker.pool.sizes().items():
            warm[function] += idle
            busy[function] += running
        return self.activity.snapshot(
            endpoint="(no server: test driver)",
            manifest=str(self.project.manifest.path),
            functions=list(self.project.functions),
            environments={name: (warm[name], busy[name]) for name in self.project.functions},
        )

    def reload_all(self) -> None:
        for name in self.project.functions:
            self.invoker.retire(name)
            self.activity.reloaded(name, "r pressed")

    def clear(self) -> None:
        self.activity.clear()

    def quit(self) -> None:
        self.done.set()


def invoke_from(fifo: Path, loop: Loop) -> None:
    while True:
        with fifo.open() as lines:  # waits for a writer; each writer's lines, then again
            for line in lines:
                loop.invoker.invoke(line.strip(), payload=b"{}")


def main(argv: list[str]) -> int:
    project = Project.open(Path("functions.yaml").resolve())
    invoker = Invoker(project)
    loop = Loop(project, invoker)
    threading.Thread(target=invoke_from, args=(Path(argv[0]), loop), daemon=True).start()
    try:
        with Screen(loop):
            loop.done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        invoker.close()
        project.close()
    print("driver: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
