"""`serve`'s application on 127.0.0.1 in a thread of the caller's process, on the caller's
invoker and project: the pytest plugin's server (what its boto3 client fixtures, and the
functions' own SDK clients, talk to), following the session's state from test to test.

Not `server.serve`: that one owns its process (signals, the worker lock, the endpoint file,
a retry worker and the event sources' pollers), where this one is a part of its caller's,
which decides what else runs (the plugin leaves asynchronous events to the test's `wait`).
"""

from __future__ import annotations

import threading
import time

from ..errors import LambdactlError
from ..invoke import Invoker
from ..project import Project

HOST = "127.0.0.1"
START_SECONDS = 30.0
"""How long the server may take to listen before its caller gives up."""
STOP_SECONDS = 10.0


class Endpoint:
    """The server of one project and invoker; `url` is where it answers."""

    def __init__(self, project: Project, invoker: Invoker) -> None:
        import uvicorn

        from .app import build
        from .backend import Backend
        from .server import bind, url_of

        self._socket = bind(HOST, 0)
        self.url = url_of(self._socket, HOST).url
        self.backend = Backend(project=project, invoker=invoker, endpoint=self.url)
        config = uvicorn.Config(
            build(self.backend),
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="lambdactl-serve",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise LambdactlError(f"the server at {self.url} did not start")
            time.sleep(0.01)

    def follow(self, project: Project) -> None:
        """Serve `project` (the plugin's next test's state) from now on: call it when
        nothing is in flight."""
        self.backend.project = project

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_SECONDS)
        self.backend.threads.shutdown(wait=True)
        self._socket.close()
