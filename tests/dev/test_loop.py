"""The dev loop, end to end: `lambdactl dev` runs as a subprocess in a project, the test edits
files as a person (and their editor) would, and every effect is observed through real
invokes over the Lambda API and the lines `dev` prints."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lambdactl.dev.loop import Loop
from tests.dev.conftest import MANIFEST, Dev, leftovers, write_handler
from tests.runtime import process_gone
from tests.runtime.test_npm import MS_LOCK


@pytest.fixture
def two_functions(project_dir: Path) -> Path:
    """`hello` and `other`, each answering its VERSION, pid and GREETING."""
    (project_dir / "functions.yaml").write_text(MANIFEST.format(greeting="Hello"))
    write_handler(project_dir / "src" / "hello", "1")
    write_handler(project_dir / "src" / "other", "1")
    return project_dir


def test_a_saved_handler_answers_next_in_a_new_environment_and_nothing_else_restarts(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    """The edited function's next invoke is a cold start of the new code; another function
    and a published version of the same one stay warm; `--on-change` runs after the
    reload; Ctrl-C leaves no process behind."""
    running = dev("--on-change", 'hello --payload {"from": "on-change"}')
    status, published = running.request("POST", "/2015-03-31/functions/hello/versions")
    assert status == 201, published
    before = {name: running.invoke(name) for name in ("hello", "other", "hello:1")}
    write_handler(two_functions / "src" / "hello", "2")
    reload = running.expect("reloaded", Function="hello")
    assert reload["Reason"] == "src/hello/app.py"
    ran = running.expect("invoked", Function="hello")  # the on-change invocation
    assert ran["Cold"] and ran["Version"] == "$LATEST"
    said = running.expect("notice", Text="on-change hello: 200")
    assert '"version": "2"' in said["Text"]
    hello = running.invoke("hello")
    assert hello["version"] == "2" and hello["pid"] != before["hello"]["pid"]
    assert running.invoke("other") == before["other"]  # the same warm environment
    assert running.invoke("hello:1") == before["hello:1"]  # published: untouched
    assert running.expect("invoked", Function="hello", Version="1")["Cold"] is False
    assert len(running.lines("reloaded")) == 1
    # The bytecode of the revision replaced goes with its environment; a version's stays.
    current = {
        revision(running, "hello"),
        revision(running, "other"),
        revision(running, "hello", "1"),
    }
    pycache = two_functions / ".lambda" / "pycache"

    def revisions() -> set[str]:  # beside them, the project's base cache (`base-*`) stays
        return {name for name in os.listdir(pycache) if not name.startswith("base-")}

    deadline = time.monotonic() + 30
    while revisions() != current and time.monotonic() < deadline:
        time.sleep(0.05)
    assert revisions() == current
    assert running.stop(signal.SIGINT) == 0
    assert all(process_gone(pid) for pid in running.pids)
    assert leftovers(two_functions) == []


def revision(running: Dev, name: str, qualifier: str = "$LATEST") -> str:
    status, answer = running.request("GET", f"/2015-03-31/functions/{name}?Qualifier={qualifier}")
    assert status == 200, answer
    return answer["Configuration"]["RevisionId"]  # type: ignore[no-any-return]


def test_editor_noise_reloads_nothing_and_each_save_reloads_once(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    """Swap, backup and probe files, `__pycache__`, `.git` and what `.lambdaignore` excludes
    restart nothing; a save through a temporary file renamed over the handler, and one made
    of several writes, are one reload each. An edit of `other` marks the end of each step:
    events come in order, so everything before it has been seen."""
    code = two_functions / "src" / "hello"
    (code / ".lambdaignore").write_text("*.log\n")
    (code / ".git").mkdir()
    running = dev()
    warm = running.invoke("hello")
    marks = 0

    def mark() -> None:
        nonlocal marks
        marks += 1
        write_handler(two_functions / "src" / "other", f"mark {marks}")
        running.expect("reloaded", Function="other")

    swap = code / ".app.py.swp"
    swap.write_bytes(b"b0VIM 9.0")
    (code / "4913").write_text("")
    (code / "4913").unlink()
    (code / "app.py~").write_text("backup")
    (code / "#app.py#").write_text("auto-save")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (code / ".git" / "index").write_text("x")
    (code / "debug.log").write_text("ignored")
    swap.unlink()
    mark()
    assert running.lines("reloaded", Function="hello") == []
    assert running.invoke("hello") == warm  # no cold start either

    temporary = code / "app.py___jb_tmp___"  # written aside, renamed over the file
    temporary.write_text((code / "app.py").read_text().replace("'1'", "'2'"))
    os.replace(temporary, code / "app.py")
    assert running.expect("reloaded", Function="hello")["Reason"] == "src/hello/app.py"
    assert running.invoke("hello")["version"] == "2"

    text = (code / "app.py").read_bytes()
    with open(code / "app.py", "r+b") as file:  # several writes; the content changes once
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
        os.pwrite(file.fileno(), text.replace(b"'2'", b"'3'"), 0)
    running.expect("reloaded", Function="hello")
    mark()
    assert len(running.lines("reloaded", Function="hello")) == 2
    assert running.invoke("hello")["version"] == "3"


def test_a_layer_edit_reloads_every_function_using_it(
    dev: Callable[..., Dev], project_dir: Path
) -> None:
    layer = project_dir / "layers" / "common" / "python"
    layer.mkdir(parents=True)
    (layer / "shared.py").write_text("VALUE = 1\n")
    handler = "import os, shared\n\ndef handler(e, c):\n    return [shared.VALUE, os.getpid()]\n"
    functions = ""
    for name in ("a", "b", "c"):
        (project_dir / "src" / name).mkdir(parents=True)
        (project_dir / "src" / name / "app.py").write_text(handler)
        layers = "[layers/common]" if name != "c" else "[]"
        functions += f"  {name}: {{handler: app.handler, code: src/{name}, layers: {layers}}}\n"
    (layer.parent.parent / "unused").mkdir()
    (project_dir / "functions.yaml").write_text(
        'region: us-east-1\naccount: "123456789012"\nfunctions:\n' + functions
    )
    (project_dir / "src" / "c" / "shared.py").write_text("VALUE = 'own'\n")
    running = dev()
    before = {name: running.invoke(name) for name in "abc"}
    (layer / "shared.py").write_text("VALUE = 2\n")
    reloaded = {running.expect("reloaded")["Function"] for _ in range(2)}
    assert reloaded == {"a", "b"}
    for name in "ab":
        value, pid = running.invoke(name)
        assert value == 2 and pid != before[name][1]
    assert running.invoke("c") == before["c"]


def test_a_manifest_edit_applies_live_and_an_invalid_one_keeps_the_last(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    running = dev()
    other = running.invoke("other")
    assert running.invoke("hello")["greeting"] == "Hello"
    manifest = two_functions / "functions.yaml"
    manifest.write_text(MANIFEST.format(greeting="Howdy"))
    assert running.expect("reloaded", Function="hello")["Reason"] == "functions.yaml"
    assert running.invoke("hello")["greeting"] == "Howdy"
    manifest.write_text(MANIFEST.format(greeting="Hi") + "    memory: lots\n")
    refused = running.expect("notice", Level="error")
    assert "memory" in refused["Text"] and "last valid manifest" in refused["Text"]
    assert "\n" not in refused["Text"]
    assert running.invoke("hello")["greeting"] == "Howdy"
    assert running.invoke("other") == other
    assert running.lines("reloaded", Function="other") == []


def test_an_env_vars_edit_restarts_what_it_changes_and_an_invalid_one_keeps_the_last(
    dev: Callable[..., Dev], two_functions: Path
) -> None:
    env_file = two_functions / "env.json"
    env_file.write_text('{"hello": {"GREETING": "from the file"}}')
    running = dev("--env-vars", "env.json")
    assert running.invoke("hello")["greeting"] == "from the file"
    other = running.invoke("other")
    env_file.write_text('{"hello": {"GREETING": "edited", "ADDED": "1"}}')
    assert running.expect("reloaded", Function="hello")["Reason"] == "env.json"
    assert running.invoke("hello")["greeting"] == "edited"
    env_file.write_text('{"hello": ')
    refused = running.expect("notice", Level="error")
    assert refused["Text"].startswith("env.json:1: invalid JSON")
    assert "\n" not in refused["Text"]
    assert running.invoke("hello")["greeting"] == "edited"
    assert running.invoke("other") == other  # its variables never changed: still warm
    assert running.lines("reloaded", Function="other") == []


class Packages:
    """A package index of one wheel (`tinypkg`, built here) on 127.0.0.1, for pip's
    `--find-links`: offline, and the wheel is sent only once `gate` is set, so a test sees
    the install under way for as long as it needs."""

    def __init__(self) -> None:
        import http.server

        self.wheel = _wheel("tinypkg", "1.0", "VALUE = 'installed'\n")
        self.gate = threading.Event()
        self.asked = threading.Event()
        packages = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.endswith(".whl"):
                    packages.asked.set()
                    packages.gate.wait(60)
                    body = packages.wheel
                else:
                    body = b'<a href="tinypkg-1.0-py3-none-any.whl">tinypkg</a>'
                self.send_response(200)
                kind = "application/octet-stream" if self.path.endswith(".whl") else "text/html"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def requirements(self, *names: str) -> str:
        return f"--no-index\n--find-links {self.url}\n" + "".join(f"{n}\n" for n in names)

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def _wheel(name: str, version: str, init: str) -> bytes:
    """A pure-Python wheel of one package, made by hand (no build backend, no network)."""
    import base64
    import hashlib
    import io
    import zipfile

    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": init,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = ""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record += f"{path},sha256={digest.decode()},{len(data)}\n"
            archive.writestr(path, data)
        archive.writestr(f"{info}/RECORD", record + f"{info}/RECORD,,\n")
    return buffer.getvalue()


@pytest.fixture
def packages() -> Iterator[Packages]:
    index = Packages()
    yield index
    index.close()


PIP_ALONE = {"PIP_CONFIG_FILE": os.devnull, "PIP_FIND_LINKS": "", "PIP_NO_INPUT": "1"}
"""pip as it comes, whatever this machine's configuration says."""

USES_TINYPKG = """\
import os


def handler(event, context):
    try:
        import tinypkg
    except ImportError:
        return {"tinypkg": None, "pid": os.getpid()}
    return {"tinypkg": tinypkg.VALUE, "pid": os.getpid()}
"""


def test_a_requirements_edit_installs_in_the_background_while_the_old_code_answers(
    dev: Callable[..., Dev], two_functions: Path, packages: Packages
) -> None:
    """While the new requirements install, invokes get the old code at once (no invoke waits
    for pip); then the function reloads with them. An install that fails is one line, and
    the old code keeps answering. Ctrl-C during an install leaves no pip behind."""
    code = two_functions / "src" / "hello"
    (code / "app.py").write_text(USES_TINYPKG)
    running = dev(env=PIP_ALONE)
    old = running.invoke("hello")
    assert old["tinypkg"] is None
    (code / "requirements.txt").write_text(packages.requirements("tinypkg==1.0"))
    running.expect("notice", Text="hello: requirements.txt changed: installing")
    assert packages.asked.wait(60), running.seen  # pip is fetching it: the install is under way
    assert running.invoke("hello") == old  # the old code, warm, while pip waits
    packages.gate.set()
    assert running.expect("reloaded", Function="hello")["Reason"] == "requirements.txt"
    new = running.invoke("hello")
    assert new["tinypkg"] == "installed" and new["pid"] != old["pid"]

    (code / "requirements.txt").write_text(packages.requirements("tinypkg==1.0", "absent==9"))
    failed = running.expect("notice", Level="error")
    assert "absent" in failed["Text"] and "previous code keeps running" in failed["Text"]
    assert failed["Text"].startswith("installing ") and "\n" not in failed["Text"]
    assert running.invoke("hello") == new
    # Code edited after the failure runs, with what installed last; the good file put back
    # installs nothing and lets `$LATEST` follow it.
    (code / "app.py").write_text(USES_TINYPKG.replace("tinypkg.VALUE", "tinypkg.VALUE + '!'"))
    assert running.expect("reloaded", Function="hello")["Reason"] == "src/hello/app.py"
    assert running.invoke("hello")["tinypkg"] == "installed!"
    (code / "requirements.txt").write_text(packages.requirements("tinypkg==1.0"))
    assert running.expect("reloaded", Function="hello")["Reason"] == "requirements.txt"
    assert running.invoke("hello")["tinypkg"] == "installed!"
    assert len(running.lines("notice", Level="error")) == 1

    packages.gate.clear()
    packages.asked.clear()
    (code / "requirements.txt").write_text(packages.requirements("tinypkg==1.0") + "# again\n")
    assert packages.asked.wait(60), running.seen
    assert running.stop(signal.SIGINT) == 0
    assert leftovers(two_functions) == []  # pip and what it started, the environments
    assert all(process_gone(pid) for pid in running.pids)


USES_MS = """\
exports.handler = async () => {
  let ms = null;
  try {
    ms = require("ms")("2h");
  } catch {}
  return { ms: ms === null ? null : ms + ADDED, pid: process.pid };
};
const ADDED = 0;
"""

NODE_MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: index.handler
    runtime: {runtime}
    code: src/hello
"""


def _gated_package(started: Path, gate: Path, ms: str = "2.1.3") -> str:
    """A package.json needing `ms`, whose install (npm runs the root package's `postinstall`)
    writes its pid and its parent's into `started`, then waits until `gate` exists: the test
    sees the install under way for as long as it needs."""
    script = (
        f"const fs = require('fs'); fs.writeFileSync('{started}', process.pid + ' ' + "
        f"process.ppid); const end = Date.now() + 120000; const t = setInterval(() => "
        f"{{ if (fs.existsSync('{gate}') || Date.now() > end) clearInterval(t); }}, 20);"
    )
    return json.dumps(
        {
            "name": "f",
            "version": "1.0.0",
            "dependencies": {"ms": ms},
            "scripts": {"postinstall": f'node -e "{script}"'},
        }
    )


def _wait_for(path: Path, running: Dev) -> str:
    deadline = time.monotonic() + 60
    while not path.is_file() or not path.read_text():
        assert time.monotonic() < deadline, running.seen
        time.sleep(0.02)
    return path.read_text()


def test_a_package_json_edit_installs_in_the_background_while_the_old_code_answers(
    dev: Callable[..., Dev], project_dir: Path, tmp_path: Path
) -> None:
    """A Node.js function's package.json and package-lock.json are its requirements.txt: while
    npm installs, invokes get the old code at once; then the function reloads with the
    packages. An install that fails is npm's one line, and the old code keeps answering.
    Ctrl-C during an install leaves no npm behind. (Real npm and registry: `ms`.)"""
    from lambdactl.runtime import interpreters, npm

    node = interpreters.node_for_runtime("nodejs20.x")
    assert node is not None
    (project_dir / "functions.yaml").write_text(
        NODE_MANIFEST.format(runtime=f"nodejs{npm.major(node)}.x")
    )
    code = project_dir / "src" / "hello"
    (code / "app.py").unlink()
    (code / "index.js").write_text(USES_MS)
    started, gate = tmp_path / "started", tmp_path / "gate"
    running = dev()
    old = running.invoke("hello")
    assert old["ms"] is None
    (code / "package.json").write_text(_gated_package(started, gate))
    running.expect("notice", Text="hello: package.json changed: installing")
    _wait_for(started, running)  # npm installed `ms` and runs the postinstall: under way
    assert running.invoke("hello") == old  # the old code, warm, while npm waits
    gate.touch()
    assert running.expect("reloaded", Function="hello")["Reason"] == "package.json"
    new = running.invoke("hello")
    assert new["ms"] == 7200000 and new["pid"] != old["pid"]

    (code / "package.json").write_text(_gated_package(started, gate, ms="99.0.0"))
    failed = running.expect("notice", Level="error")
    assert "ms@99.0.0" in failed["Text"] and "previous code keeps running" in failed["Text"]
    assert failed["Text"].startswith("installing ") and "\n" not in failed["Text"]
    assert running.invoke("hello") == new
    # Code edited after the failure runs, with what installed last; the good file put back
    # installs nothing and lets `$LATEST` follow it.
    (code / "index.js").write_text(USES_MS.replace("ADDED = 0", "ADDED = 1"))
    assert running.expect("reloaded", Function="hello")["Reason"] == "src/hello/index.js"
    assert running.invoke("hello")["ms"] == 7200001
    (code / "package.json").write_text(_gated_package(started, gate))
    assert running.expect("reloaded", Function="hello")["Reason"] == "package.json"
    assert running.invoke("hello")["ms"] == 7200001
    assert len(running.lines("notice", Level="error")) == 1

    # A lock file is an edit too (`npm ci` now); stopped while its install is under way.
    gate.unlink()
    started.unlink()
    (code / "package-lock.json").write_text(json.dumps(MS_LOCK))
    running.expect("notice", Text="hello: package-lock.json changed: installing")
    npm_pids = [int(pid) for pid in _wait_for(started, running).split()]
    assert running.invoke("hello")["ms"] == 7200001
    assert running.stop(signal.SIGINT) == 0
    assert all(process_gone(pid) for pid in npm_pids)  # npm's script, and the shell running it
    assert leftovers(project_dir) == []
    assert all(process_gone(pid) for pid in running.pids)


@pytest.fixture
def attached(two_functions: Path) -> Iterator[tuple[Loop, threading.Event]]:
    """A `Loop` attached in this process to what a server would give it (the project, its
    watching invoker, its reloader), without the HTTP side; and what `quit` sets."""
    from lambdactl.api.server import Listening, Running
    from lambdactl.invoke import Invoker
    from lambdactl.project import Project
    from lambdactl.reload import Reloader

    project = Project.open(two_functions / "functions.yaml")
    invoker = Invoker(project, watch_code=True)
    loop = Loop(project)
    reloader = Reloader(project, invoker, on_reload=loop.on_reload, on_reject=loop.on_reject)
    reloader.start()
    quit_asked = threading.Event()
    listening = Listening("http://127.0.0.1:1", "127.0.0.1", 1)
    running = Running(project, invoker, reloader, listening, quit_asked.set)
    with loop.attach(running):
        yield loop, quit_asked
    reloader.close()
    invoker.close()
    project.close()


def test_the_view_s_keys_reload_all_clear_and_quit(
    attached: tuple[Loop, threading.Event],
) -> None:
    """What the live view calls: `snapshot` (environments and queue counts per function),
    `reload_all` (`r`: every `$LATEST` restarts), `clear` (`c`), `quit` (`q`)."""
    from lambdactl.dev.activity import Reloaded
    from lambdactl.events.enqueue import enqueue

    loop, quit_asked = attached
    invoker = loop._running.invoker  # type: ignore[union-attr]
    heard: list[object] = []
    reloaded = threading.Semaphore(0)
    loop.activity.listen(heard.append)
    loop.activity.listen(lambda h: reloaded.release() if isinstance(h, Reloaded) else None)
    pids = {name: json.loads(invoker.invoke(name).payload)["pid"] for name in ("hello", "other")}
    enqueue(loop.project, "hello", b"{}")
    snapshot = loop.snapshot()
    assert [(row.name, row.warm, row.busy, row.invocations) for row in snapshot.functions] == [
        ("hello", 1, 0, 1),
        ("other", 1, 0, 1),
    ]
    assert (snapshot.queued, snapshot.retrying, snapshot.manifest) == (
        1,
        0,
        str(loop.project.manifest.path),
    )
    loop.reload_all()
    assert reloaded.acquire(timeout=60) and reloaded.acquire(timeout=60)
    assert {(h.function, h.reason) for h in heard if isinstance(h, Reloaded)} == {
        ("hello", "reload"),
        ("other", "reload"),
    }
    assert all(row.warm == 0 for row in loop.snapshot().functions)
    for name, pid in pids.items():
        assert json.loads(invoker.invoke(name).payload)["pid"] != pid
    loop.clear()
    cleared = loop.snapshot()
    assert cleared.invocations == () and cleared.notices == ()
    assert [row.invocations for row in cleared.functions] == [0, 0]
    assert all(row.last_reload is not None for row in cleared.functions)
    loop.quit()
    assert quit_asked.is_set()


def test_debug_an_editor_stops_the_function_at_a_breakpoint_of_the_code_just_saved(
    dev: Callable[..., Dev], two_functions: Path, debugpy_cache: Path
) -> None:
    """`--debug hello`: each new environment of hello waits for the editor (said in a line);
    an editor attached stops it at a breakpoint of the code just saved; `other` runs as ever."""
    from tests.dap import Dap, free_port, marked_line

    port = free_port()
    running = dev("--debug", "hello", "--debug-port", str(port),
                  env={"XDG_CACHE_HOME": str(debugpy_cache)})  # fmt: skip
    assert running.invoke("other")["version"] == "1"
    code = (two_functions / "src" / "hello" / "app.py").resolve()
    shutil.copyfile(Path(__file__).parent.parent / "fixtures" / "handlers" / "debugged.py", code)
    answers: list[dict] = []
    invoke = threading.Thread(target=lambda: answers.append(running.invoke("hello")))
    invoke.start()
    try:
        waiting = running.expect("notice", Text="hello: waiting for a debugger to attach on")
        assert waiting["Text"].endswith(f"127.0.0.1:{port}")
        editor = Dap("127.0.0.1", port)
        editor.attach({code: [marked_line(code, "handler")]})
        thread = editor.stopped()["threadId"]
        assert editor.frame(thread)["line"] == marked_line(code, "handler")
        editor.resume(thread)
        invoke.join(60)
        assert answers == [{"answer": 42}]
        editor.disconnect()
    finally:
        invoke.join(60)


def test_a_routes_invocation_is_labelled_with_its_route(
    dev: Callable[..., Dev], project_dir: Path
) -> None:
    """The ready line lists the routes; an invocation through one says which (the live
    view's TRIGGER column shows the same label)."""
    (project_dir / "functions.yaml").write_text(
        MANIFEST.format(greeting="Hello")
        + '    events:\n      - http: {path: "/greet/{name}", method: GET}\n'
    )
    write_handler(project_dir / "src" / "hello", "1")
    write_handler(project_dir / "src" / "other", "1")
    running = dev()
    ready = running.lines("ready")[0]
    assert ready["Routes"] == [
        {
            "Method": "GET",
            "Url": f"{running.url}/api/greet/{{name}}",
            "Function": "other",
            "Api": "HTTP",
            "Payload": "2.0",
        }
    ]
    status, answer = running.request("GET", "/api/greet/ann", b"")
    assert status == 200 and answer["version"] == "1"
    running.pids.append(answer["pid"])
    running.expect("invoked", Function="other", Trigger="http GET /greet/{name}")
