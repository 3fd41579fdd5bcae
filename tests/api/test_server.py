"""`lambdactl serve`'s process (lambdactl/api/server.py), for real: a `serve` subprocess, real
signals, real process trees, a raw HTTP client.

Stopping: SIGTERM or Ctrl-C lets the invocations in flight end, up to the grace; past it they
are cut off: a synchronous invoke is answered as one whose runtime was killed, an asynchronous
event goes back to the queue as it was leased (not an attempt) and the next server runs it; a
second Ctrl-C cuts off at once. After any stop, and after `kill -9`, no process the server
started is left, and its endpoint file is gone or known stale.

Load: 200 concurrent invocations are held (each waits on a gate the test opens), a quick
request and an invoke of another function are answered meanwhile, then all 200 complete.

The environments it runs point the SDKs at it (a function's boto3 calls stay on this
machine), and `--env-vars` (JSON or .env) overrides and adds variables.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lambdactl import endpoint
from lambdactl.api.server import GRACE_SECONDS
from lambdactl.events.worker import LEASE_SECONDS
from lambdactl.project import Project
from lambdactl.store.lifecycle import Event, EventState
from tests.api.conftest import Server
from tests.runtime import descendants, fn, kill_leftovers, process_gone, write_functions

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads process trees from /proc"
)

INVOKE = "/2015-03-31/functions/{}/invocations"
KILLED = "Error: Runtime exited with error: signal: killed"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def post(url: str, path: str, body: bytes = b"", **headers: str) -> Reply:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, answer, response.read())
    finally:
        connection.close()


def get(url: str, path: str) -> Reply:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return Reply(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


class Call(threading.Thread):
    """A synchronous invoke in flight: `reply` (or `error`) once it has ended."""

    def __init__(self, url: str, function: str, event: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.args_ = (url, INVOKE.format(function), json.dumps(event).encode())
        self.reply: Reply | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.reply = post(*self.args_)
        except BaseException as exc:  # e.g. the server was killed: the connection drops
            self.error = exc

    def result(self, seconds: float = 60.0) -> Reply:
        self.join(seconds)
        assert not self.is_alive(), "the invoke was never answered"
        assert self.reply is not None, self.error
        return self.reply


def queue_event(url: str, function: str, event: dict[str, Any]) -> str:
    reply = post(
        url,
        INVOKE.format(function),
        json.dumps(event).encode(),
        **{"X-Amz-Invocation-Type": "Event"},
    )
    assert reply.status == 202, reply
    return reply.headers["x-amzn-requestid"]


def stored_event(project_dir: Path, request_id: str) -> Event:
    project = Project.open(project_dir / "functions.yaml")
    try:
        event = project.store.get_event(request_id)
    finally:
        project.close()
    assert event is not None
    return event


def wait_for(path: Path, server: Server, seconds: float = 30.0) -> int:
    """Until `path` (a pid file a handler writes) exists: the pid in it."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert server.process.poll() is None, server.process.communicate()[0]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return int(path.read_text().split()[0])


def wait_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    """The pids still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while (alive := [p for p in pids if not process_gone(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def signal_twice(server: Server, state_dir: Path) -> None:
    """Ctrl-C, then (once the server shows it is stopping: its endpoint file is withdrawn)
    Ctrl-C again; signals sent at once could be taken as one."""
    server.process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 30
    while (state_dir / endpoint.FILE_NAME).exists():
        assert time.monotonic() < deadline, "the first Ctrl-C did not start the stop"
        time.sleep(0.01)
    server.process.send_signal(signal.SIGINT)


@pytest.fixture
def functions(project_dir: Path) -> Path:
    write_functions(
        project_dir,
        {
            "nap": fn("app.hold", "limits.py", timeout=600, url=True),
            "spawn": fn("app.spawn", "limits.py", timeout=600),
            "gated": fn("app.gated", "limits.py", timeout=600),
        },
    )
    return project_dir


@pytest.fixture
def seen() -> Iterator[list[int]]:
    """Pids a test saw; whatever still runs at the end is killed (a failure leaks nothing)."""
    pids: list[int] = []
    yield pids
    kill_leftovers(pids)


def tree(server: Server, seen: list[int]) -> list[int]:
    """Every process the server has started and that runs now (launchers, runtimes, their
    children, the guardian)."""
    pids = [pid for pid in descendants(server.process.pid) if not process_gone(pid)]
    seen.extend(pids)
    return pids


def test_a_stop_lets_the_invocations_in_flight_end(
    functions: Path, serve: Callable[..., Server], tmp_path: Path, seen: list[int]
) -> None:
    server = serve()
    sync = Call(server.url, "nap", {"pid_file": str(tmp_path / "sync"), "sleep": 2.5})
    request_id = queue_event(server.url, "nap", {"pid_file": str(tmp_path / "event"), "sleep": 2.5})
    runtime = wait_for(tmp_path / "sync", server)
    wait_for(tmp_path / "event", server)
    started = tree(server, seen)
    assert runtime in started

    out = server.stop(signal.SIGTERM)

    assert server.process.returncode == 0, out
    assert json.loads(out.splitlines()[-1])["Status"] == "stopped"
    assert "Traceback" not in out and "ERROR" not in out, out
    reply = sync.result()
    assert (reply.status, reply.json()) == (200, runtime)  # it ran to its end
    assert "x-amz-function-error" not in reply.headers
    event = stored_event(functions, request_id)
    assert (event.state, event.attempts) == (EventState.SUCCEEDED, 1)
    assert not (functions / ".lambda" / endpoint.FILE_NAME).exists()
    assert wait_gone(started) == []


def test_past_the_grace_an_invoke_is_answered_as_killed_and_an_event_goes_back_to_the_queue(
    functions: Path, serve: Callable[..., Server], tmp_path: Path, seen: list[int]
) -> None:
    server = serve()
    sync = Call(server.url, "spawn", {"pid_file": str(tmp_path / "sync")})
    event_file = tmp_path / "event"
    request_id = queue_event(server.url, "nap", {"pid_file": str(event_file), "sleep": 300})
    wait_for(tmp_path / "sync", server)
    first_run = wait_for(event_file, server)
    started = tree(server, seen)

    signalled = time.monotonic()
    out = server.stop(signal.SIGTERM)

    assert time.monotonic() - signalled >= GRACE_SECONDS * 0.9  # the grace was given
    assert server.process.returncode == 0, out
    assert "Traceback" not in out and "ERROR" not in out, out
    reply = sync.result()
    assert reply.status == 200
    assert reply.headers["x-amz-function-error"] == "Unhandled"
    assert reply.json()["errorType"] == "Runtime.ExitError"
    assert reply.json()["errorMessage"].endswith(KILLED)
    event = stored_event(functions, request_id)
    assert (event.state, event.attempts, event.history) == (EventState.PENDING, 0, ())
    assert wait_gone(started) == []

    # The next server runs it again, at once.
    event_file.unlink()
    again = serve()
    second_run = wait_for(event_file, again)
    assert second_run != first_run
    seen.extend(tree(again, seen))
    signal_twice(again, functions / ".lambda")
    again.stop()
    assert stored_event(functions, request_id).state is EventState.PENDING


def test_a_second_ctrl_c_cuts_everything_off_at_once(
    functions: Path, serve: Callable[..., Server], tmp_path: Path, seen: list[int]
) -> None:
    """Invocations that a plain stop would let end (4 s, within the grace) are cut off."""
    server = serve()
    sync = Call(server.url, "nap", {"pid_file": str(tmp_path / "sync"), "sleep": 4})
    request_id = queue_event(server.url, "nap", {"pid_file": str(tmp_path / "event"), "sleep": 4})
    wait_for(tmp_path / "sync", server)
    wait_for(tmp_path / "event", server)
    started = tree(server, seen)

    signal_twice(server, functions / ".lambda")
    out = server.stop()

    assert server.process.returncode == 0, out
    assert "Traceback" not in out and "ERROR" not in out, out
    reply = sync.result()
    assert reply.headers["x-amz-function-error"] == "Unhandled"
    assert reply.json()["errorMessage"].endswith(KILLED)
    event = stored_event(functions, request_id)
    assert (event.state, event.attempts) == (EventState.PENDING, 0)
    assert not (functions / ".lambda" / endpoint.FILE_NAME).exists()
    assert wait_gone(started) == []


def test_kill_9_leaves_nothing_and_the_next_server_takes_over_at_once(
    functions: Path, serve: Callable[..., Server], tmp_path: Path, seen: list[int]
) -> None:
    server = serve()
    sync = Call(server.url, "spawn", {"pid_file": str(tmp_path / "sync")})
    event_file = tmp_path / "event"
    request_id = queue_event(server.url, "nap", {"pid_file": str(event_file), "sleep": 300})
    wait_for(tmp_path / "sync", server)
    handler_pids = [int(p) for p in (tmp_path / "sync").read_text().split()]  # runtime, sleep
    first_run = wait_for(event_file, server)
    started = tree(server, seen)
    assert set(handler_pids) <= set(started)

    server.process.kill()
    server.process.communicate(timeout=30)

    assert wait_gone(started) == []  # the guardian had every environment end
    sync.join(30)
    assert sync.reply is None and sync.error is not None  # its connection dropped
    state = functions / ".lambda"
    assert (state / endpoint.FILE_NAME).exists()
    assert endpoint.running(state) is None  # stale: its server is dead
    shown = subprocess.run(
        [sys.executable, "-m", "lambdactl", "show", "nap"],
        cwd=functions,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "/url/nap/ (no `lambdactl serve` runs;" in shown.stdout, shown  # the CLI knows
    invoked = subprocess.run(  # and runs an invoke itself, instead of handing it to the dead
        [sys.executable, "-m", "lambdactl", "invoke", "nap", "-p", "{}"],
        cwd=functions,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert invoked.returncode == 0 and invoked.stdout.strip().isdigit(), invoked
    assert stored_event(functions, request_id).state is EventState.RUNNING

    event_file.unlink()
    killed_at = time.monotonic()
    again = serve()  # not refused as "already running"
    second_run = wait_for(event_file, again)
    assert second_run != first_run
    assert time.monotonic() - killed_at < LEASE_SECONDS  # taken over, not left to expire
    now = endpoint.running(state)
    assert now is not None and (now.url, now.pid) == (again.url, again.process.pid)
    seen.extend(tree(again, seen))
    signal_twice(again, state)
    again.stop()


def test_a_stop_does_not_wait_for_long_polls(serve: Callable[..., Server]) -> None:
    """An SQS long poll in flight answers at once, empty, as the server stops (uvicorn would
    otherwise wait for it past the grace, then cut it off with a 500)."""
    server = serve()
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(sqs.receive_message, QueueUrl=url, WaitTimeSeconds=20)
        time.sleep(1.0)
        assert not waiting.done()  # it waits for a message
        out = server.stop(signal.SIGTERM)
        reply = waiting.result(timeout=30)
    assert "Messages" not in reply
    assert server.process.returncode == 0
    assert "Traceback" not in out and "ERROR" not in out, out


def test_200_concurrent_invocations_are_held_while_other_requests_are_answered(
    functions: Path, serve: Callable[..., Server], tmp_path: Path, seen: list[int]
) -> None:
    count = 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * count:  # this process holds a socket per call
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8 * count), hard))
    (tmp_path / "started").mkdir()
    server = serve()
    calls = [
        Call(server.url, "gated", {"dir": str(tmp_path), "i": i, "wait": 120}) for i in range(count)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(os.listdir(tmp_path / "started")) < count:  # all 200 are in their handlers
            assert server.process.poll() is None, server.process.communicate()[0]
            assert time.monotonic() < deadline, len(os.listdir(tmp_path / "started"))
            assert not any(call.error for call in calls), [c.error for c in calls if c.error]
            time.sleep(0.1)

        asked = time.monotonic()
        configuration = get(server.url, "/2015-03-31/functions/gated/configuration")
        other = post(server.url, INVOKE.format("nap"), b'{"sleep": 0}')
        answered = time.monotonic() - asked

        assert configuration.status == 200
        assert json.loads(configuration.body)["FunctionName"] == "gated"
        assert other.status == 200 and "x-amz-function-error" not in other.headers
        assert answered < 10
        assert not any(call.reply for call in calls)  # every one of the 200 still held
        seen.extend(tree(server, seen))
    finally:
        (tmp_path / "open").touch()
    replies = [call.result(120) for call in calls]
    assert [reply.status for reply in replies] == [200] * count
    assert [reply.json()["i"] for reply in replies] == list(range(count))
    assert "x-amz-function-error" not in {h for reply in replies for h in reply.headers}
    assert len({reply.json()["pid"] for reply in replies}) == count  # 200 environments
    out = server.stop(signal.SIGTERM)
    assert "Traceback" not in out and "ERROR" not in out, out


def test_the_listening_socket_makes_connections_without_nagles_delay() -> None:
    """asyncio's own loop sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP;
    without it a keep-alive client waits ~40 ms per response (uvloop sets it anyway)."""
    import socket

    from lambdactl.api.server import bind

    listener = bind("127.0.0.1", 0)
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert listener.proto == socket.IPPROTO_TCP
        assert accepted.proto == socket.IPPROTO_TCP
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        for each in (accepted, client, listener):
            each.close()


def test_a_port_in_use_is_one_line_naming_it() -> None:
    from lambdactl.api.server import bind
    from lambdactl.errors import LambdactlError

    taken = bind("127.0.0.1", 0)
    port = taken.getsockname()[1]
    try:
        with pytest.raises(LambdactlError) as caught:
            bind("127.0.0.1", port)
        assert caught.value.message == f"cannot listen on 127.0.0.1:{port}: Address already in use"
    finally:
        taken.close()


def test_an_open_file_limit_too_low_for_the_account_concurrency_is_warned_about(
    project_dir: Path,
) -> None:
    """serve raises its open-file limit to the hard limit; a hard limit too low for 1,000
    environments (~9 descriptors each) is said at start, not found out at the 110th."""
    lowered = (
        "import os, resource, sys; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)); "
        "os.execv(sys.executable, [sys.executable, '-m', 'lambdactl', *sys.argv[1:]])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", lowered, "serve", "--port", "0", "-o", "json"],
        cwd=project_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["Status"] == "ready"
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert err == (
        "warning: the open-file limit (1024) leaves room for about 106 environments at once, "
        "fewer than the account concurrency (1000): raise it (ulimit -Hn) to serve more\n"
    )


def test_out_of_open_files_an_invoke_says_so(
    functions: Path, tmp_path: Path, seen: list[int]
) -> None:
    """With room for ~20 environments, 40 invokes at once: those that find no descriptor left
    get one clear ServiceException (not the function's InvalidEntrypoint, nor an init that
    times out because its runtime could not be answered, nor a traceback; a connection the
    server had no descriptor to accept is dropped by the kernel), the others run."""
    lowered = (
        "import os, resource, sys; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)); "
        "os.execv(sys.executable, [sys.executable, '-m', 'lambdactl', *sys.argv[1:]])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", lowered, "serve", "--port", "0", "-o", "json"],
        cwd=functions,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(url="", process=process, project_dir=functions)
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the warning about the limit
        server.url = json.loads(process.stdout.readline())["Endpoint"]
        (tmp_path / "started").mkdir()
        calls = [
            Call(server.url, "gated", {"dir": str(tmp_path), "i": i, "wait": 120})
            for i in range(40)
        ]
        deadline = time.monotonic() + 60
        while len(os.listdir(tmp_path / "started")) + sum(not c.is_alive() for c in calls) < 40:
            assert time.monotonic() < deadline, "neither started nor refused"
            time.sleep(0.1)
        seen.extend(tree(server, seen))
        (tmp_path / "open").touch()
        for call in calls:
            call.join(120)
        replies = [call.reply for call in calls if call.reply is not None]
        refused = [reply for reply in replies if reply.status != 200]
        assert refused and len(refused) < len(replies)
        for reply in refused:
            assert (reply.status, reply.headers["x-amzn-errortype"]) == (500, "ServiceException")
            assert reply.json()["Message"] == (
                "too many open files to start another environment (the limit is 256)"
            )
        assert all(call.error is None or isinstance(call.error, OSError) for call in calls)
        failed = [r.body for r in replies if "x-amz-function-error" in r.headers]
        assert failed == []
    finally:
        out = server.stop(signal.SIGTERM)
    assert "Traceback" not in out, out


# -- what environments see ----------------------------------------------------------------------


@pytest.fixture
def calling(project_dir: Path) -> Path:
    """`caller` invokes another function through boto3; `hello` answers; `sender` sends to a
    queue; `env` shows its environment."""
    write_functions(
        project_dir,
        {
            # boto3 is imported in the handler: 1 GB (58% of a CPU), so a loaded machine does
            # not stretch its first import past the timeout (the test is about the endpoint)
            "caller": fn("app.invoke_other", "calls_aws.py", timeout=30, memory=1024),
            "sender": fn("app.send_message", "calls_aws.py", timeout=30, memory=1024),
            "hello": fn("app.echo", environment={"GREETING": "Hello"}),
            "env": fn("app.environ", environment={"STAGE": "prod", "TABLE": "prod-table"}),
        },
    )
    return project_dir


def test_a_function_invoking_another_through_boto3_reaches_the_server(
    calling: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    event = {"function": "hello", "payload": {"from": "caller"}}
    response = server.client().invoke(FunctionName="caller", Payload=json.dumps(event))
    assert "FunctionError" not in response, response["Payload"].read()
    answer = json.loads(response["Payload"].read())
    assert answer == {"StatusCode": 200, "Payload": {"from": "caller"}, "endpoint": server.url}


def test_environments_get_the_endpoints_and_dummy_credentials(
    calling: Path, serve: Callable[..., Server]
) -> None:
    server = serve(env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    seen = json.loads(server.client().invoke(FunctionName="env")["Payload"].read())
    for name in ("LAMBDA", "SQS", "CLOUDWATCH_LOGS"):
        assert seen[f"AWS_ENDPOINT_URL_{name}"] == server.url
    assert seen["AWS_ACCESS_KEY_ID"] == seen["AWS_SECRET_ACCESS_KEY"] == "lambdactl"


@pytest.mark.parametrize(("host", "advertised"), [("0.0.0.0", "127.0.0.1"), ("::", "[::1]")])
def test_listening_on_all_interfaces_advertises_a_loopback_address_clients_connect_to(
    calling: Path, serve: Callable[..., Server], host: str, advertised: str
) -> None:
    """0.0.0.0 and :: are where to listen, never where to connect: the banner, endpoint.json,
    queue URLs, function URLs and the functions' AWS_ENDPOINT_URL_* name the loopback."""
    manifest = json.loads((calling / "functions.yaml").read_text())
    manifest["functions"]["hello"]["url"] = True
    (calling / "functions.yaml").write_text(json.dumps(manifest))
    server = serve("--host", host)
    port = server.url.rpartition(":")[2]
    url = f"http://{advertised}:{port}"
    assert server.url == url
    assert server.before_ready == (
        f"warning: listening on all interfaces ({host}): anyone who can reach this machine can "
        "invoke its functions\n"
    )
    assert json.loads((calling / ".lambda" / endpoint.FILE_NAME).read_text())["url"] == url
    assert server.client("sqs").create_queue(QueueName="jobs")["QueueUrl"].startswith(url + "/")
    lambda_client = server.client()
    assert lambda_client.get_function_url_config(FunctionName="hello")["FunctionUrl"] == (
        f"{url}/url/hello/"
    )
    seen = json.loads(lambda_client.invoke(FunctionName="env")["Payload"].read())
    for name in ("LAMBDA", "SQS", "CLOUDWATCH_LOGS"):
        assert seen[f"AWS_ENDPOINT_URL_{name}"] == url


def test_a_function_sending_to_a_queue_through_boto3_reaches_the_local_queue(
    calling: Path, serve: Callable[..., Server]
) -> None:
    server = serve()
    sqs = server.client("sqs")
    queue_url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    event = {"QueueUrl": queue_url, "body": "from a function"}
    response = server.client().invoke(FunctionName="sender", Payload=json.dumps(event))
    assert "FunctionError" not in response, response["Payload"].read()
    assert json.loads(response["Payload"].read())["endpoint"] == server.url
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in received] == ["from a function"]


def test_env_vars_override_and_add_variables(
    calling: Path, serve: Callable[..., Server], tmp_path: Path
) -> None:
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps({"Parameters": {"STAGE": "local", "GREETING": "Hi"}, "env": {"TABLE": "t"}})
    )
    server = serve("--env-vars", str(env_file))
    seen: dict[str, Any] = json.loads(server.client().invoke(FunctionName="env")["Payload"].read())
    assert (seen["STAGE"], seen["TABLE"]) == ("local", "t")
    assert seen["GREETING"] == "Hi"  # in Parameters, not declared by env: added


def test_a_dotenv_file_reaches_the_functions(
    calling: Path, serve: Callable[..., Server], tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('# local settings\nexport STAGE=local\nSECRET="two\nlines"\n')
    server = serve("--env-vars", str(env_file))
    seen: dict[str, Any] = json.loads(server.client().invoke(FunctionName="env")["Payload"].read())
    assert (seen["STAGE"], seen["TABLE"], seen["SECRET"]) == ("local", "prod-table", "two\nlines")


def test_a_bad_env_vars_file_stops_serve_before_it_listens(calling: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "env.json"
    env_file.write_text('{"env": {"AWS_REGION": "eu-west-1"}}')
    done = subprocess.run(
        [sys.executable, "-m", "lambdactl", "serve", "--port", "0", "--env-vars", str(env_file)],
        cwd=calling,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: {env_file}: env.AWS_REGION: Lambda was unable to configure your environment "
        "variables because the environment variables you have provided contains reserved keys "
        "that are currently not supported for modification. Reserved keys used in this request: "
        "AWS_REGION"
    )
    assert not (calling / ".lambda" / "endpoint.json").exists()
