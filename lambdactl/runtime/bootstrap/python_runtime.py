"""lambdactl's Python runtime client: runs inside the execution environment.

Standard library only, because the function's world must not include lambdactl's own
dependencies. It behaves like AWS's managed Python runtime (awslambdaric): the same handler
resolution, context object, log formats, marshalling and error payloads, over the same
Runtime API. Usage: `python -I -S -u python_runtime.py MODULE.FUNCTION`.

`json` and `logging` are imported before the function's code, as AWS's runtime has them (a
handler importing them pays nothing, whenever it does); the Runtime API client speaks plain
`_socket` (`socket` would add ~2 ms to every cold start; AWS's runtime does not load it).
"""

import _socket
import importlib
import io
import json
import logging
import os
import sys
import time

API_PREFIX = "/2018-06-01/runtime"
THIS_FILE = (lambda: None).__code__.co_filename  # the source path, also when run as .pyc
USER_AGENT = "aws-lambda-python/{}-lambdactl".format(".".join(map(str, sys.version_info[:3])))
INIT_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)
TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
ENSURE_ASCII = os.environ.get("AWS_EXECUTION_ENV") not in {
    "AWS_Lambda_python3.12",
    "AWS_Lambda_python3.13",
    "AWS_Lambda_python3.14",
    "AWS_Lambda_python3.15",
}
JSON_LOGS = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"
_request_id = ""


class Fault(Exception):
    """A runtime-detected failure with an AWS `Runtime.*` error type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


# -- the Runtime API client --------------------------------------------------------------------


class RuntimeClient:
    """A keep-alive HTTP/1.1 client for the Runtime API on a plain socket.

    (http.client would cost ~50 ms of imports at every cold start.)
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._address = (host, int(port))
        self._host = address
        self._sock = None
        self._reader = None

    def _connect(self):
        host, port = self._address
        error = OSError(f"cannot connect to {self._host}")
        # An ASCII host as bytes: given text, getaddrinfo imports the idna codec (~1 ms).
        name = host.encode() if host.isascii() else host
        for family, kind, proto, _name, address in _socket.getaddrinfo(
            name, port, 0, _socket.SOCK_STREAM
        ):
            sock = _socket.socket(family, kind, proto)
            try:
                sock.connect(address)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            self._sock = sock
            self._reader = io.BufferedReader(_SocketReader(sock))
            return
        raise error

    def _close(self):
        if self._sock is not None:
            self._reader.close()
            self._sock.close()
        self._sock = self._reader = None

    def _request(self, method, path, body=None, headers=()):
        lines = [
            f"{method} {API_PREFIX}{path} HTTP/1.1",
            f"Host: {self._host}",
            f"User-Agent: {USER_AGENT}",
        ]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{name}: {value}" for name, value in headers]
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        for attempt in (1, 2):
            try:
                if self._sock is None:
                    self._connect()
                self._sock.sendall(message)
                return self._read_response()
            except OSError:
                self._close()
                if attempt == 2:
                    raise

    def _read_response(self):
        status_line = self._reader.readline()
        if not status_line:
            raise ConnectionError("the Runtime API closed the connection")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = self._reader.read(length) if length else b""
        return status, headers, body

    def next(self):
        status, headers, body = self._request("GET", "/invocation/next")
        if status != 200:
            raise RuntimeError(f"Failed to get next invocation: HTTP {status}")
        return headers, body

    def respond(self, request_id, body, content_type):
        self._request(
            "POST", f"/invocation/{request_id}/response", body, [("Content-Type", content_type)]
        )

    def fail(self, request_id, error, xray_cause):
        headers = [("Content-Type", "application/json")]
        if len(xray_cause) < 1024 * 1024:
            headers.append(("Lambda-Runtime-Function-XRay-Error-Cause", xray_cause))
        self._request("POST", f"/invocation/{request_id}/error", to_json(error).encode(), headers)

    def fail_init(self, error):
        status, _headers, body = self._request(
            "POST",
            "/init/error",
            to_json(error).encode(),
            [("Lambda-Runtime-Function-Error-Type", error["errorType"])],
        )
        if status != 202:
            raise RuntimeError(f"init/error was answered {status}: {body!r}")


class _SocketReader(io.RawIOBase):
    """What `socket.makefile("rb")` reads through, for a plain `_socket.socket`."""

    def __init__(self, sock):
        super().__init__()
        self._sock = sock

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._sock.recv_into(buffer)


# -- the context object ------------------------------------------------------------------------


def _repr(obj, names):
    return "{}([{}])".format(
        type(obj).__name__,
        ",".join(f"{name}={getattr(obj, name)}" for name in names),
    )


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return _repr(self, self.__slots__)


class Client:
    __slots__ = [
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    ]

    def __repr__(self):
        return _repr(self, self.__slots__)


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return _repr(self, self.__slots__)


def _from_dict(cls, data):
    if data is None:
        return None
    obj = cls()
    for name in cls.__slots__:
        setattr(obj, name, data.get(name))
    return obj


class LambdaContext:
    def __init__(self, request_id, client_context, cognito_identity, deadline_ms, arn, tenant_id):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.tenant_id = tenant_id
        self._w3c = None
        if client_context is not None:
            w3c = client_context.pop("w3c", None)
            if isinstance(w3c, dict):
                keys = ("traceparent", "tracestate", "baggage")
                self._w3c = {k: w3c[k] for k in keys if isinstance(w3c.get(k), str)}
        self.client_context = _from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_dict(Client, self.client_context.client)
        self.identity = _from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def w3c(self):
        return self._w3c

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        names = [
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
            "function_name",
            "memory_limit_in_mb",
            "function_version",
            "invoked_function_arn",
            "client_context",
            "identity",
            "tenant_id",
        ]
        return _repr(self, names)


# -- marshalling -------------------------------------------------------------------------------


class _Encoder(json.JSONEncoder):
    """Stdlib JSON made to write what the managed runtime's simplejson writes:
    `Decimal` as the number it holds, named tuples as objects."""

    def __init__(self, token, **kwargs):
        super().__init__(**kwargs)
        self._token = token

    def default(self, o):
        decimal = sys.modules.get("decimal")  # only a handler that imported it can return one
        if decimal is not None and isinstance(o, decimal.Decimal):
            if o.is_nan():
                return float("nan")
            return f"{self._token}{o}{self._token}"
        return super().default(o)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_json(value, ensure_ascii=True):
    token = "\u0000" + os.urandom(8).hex() + "\u0000"
    text = json.dumps(_plain(value), cls=_Encoder, token=token, ensure_ascii=ensure_ascii)
    escaped = json.dumps(token)[1:-1]
    if escaped not in text:
        return text
    # Every Decimal was written as the string "<token>digits<token>": unquote it.
    first, *rest = text.split('"' + escaped)
    return first + "".join(
        number + tail for number, _, tail in (part.partition(escaped + '"') for part in rest)
    )


def marshal(response):
    if isinstance(response, bytes):
        return response, "application/unknown"
    try:
        return to_json(response, ENSURE_ASCII).encode(), "application/json"
    except Exception as exc:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {exc}")


def unmarshal(body, content_type):
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as exc:
        raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}")


# -- errors and logs ---------------------------------------------------------------------------


def make_error(message, error_type, trace, request_id):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": trace if trace else [],
    }


def user_frames(tb):
    import traceback

    """The traceback without this file's frames, as awslambdaric drops its bootstrap's."""
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if frame.filename != THIS_FILE:
            return frames[i:]
    return frames


def fault_from_exception(exc_info, request_id):
    import traceback

    error_type, value, tb = exc_info
    frames = user_frames(tb)
    # Plain tuples, as awslambdaric formats them: FrameSummary objects would add the
    # `^^^^` position lines of Python 3.11+.
    plain = [(f.filename, f.lineno, f.name, f.line) for f in frames]
    error = make_error(str(value), error_type.__name__, traceback.format_list(plain), request_id)
    return error, xray_cause(error_type.__name__, str(value), frames)


def xray_cause(error_type, message, frames):
    stack = [
        {"label": f.name, "path": os.path.abspath(f.filename), "line": f.lineno} for f in frames
    ]
    cause = {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": sorted({entry["path"] for entry in stack}),
    }
    return to_json(cause)


def log_error(error):
    if JSON_LOGS:
        record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": "ERROR"}
        record.update(error)
        sys.stdout.write(to_json(record) + "\n")
        return
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            if element == "":
                lines.append("")
                continue
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id or ""
        record.tenant_id = None
        return True


_RESERVED_RECORD_KEYS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "aws_request_id",
    "tenant_id",
}


class JsonFormatter(logging.Formatter):
    """AWS's JSON application log format."""

    def __init__(self):
        super().__init__(datefmt="%Y-%m-%dT%H:%M:%SZ")

    def format(self, record):
        if isinstance(record.msg, dict) and not record.args:
            message = record.msg
        else:
            message = record.getMessage()
        entry = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": logging.getLevelName(record.levelno - record.levelno % 10),
            "message": message,
            "logger": record.name,
            "stackTrace": None,
            "errorType": None,
            "errorMessage": None,
            "requestId": getattr(record, "aws_request_id", None),
            "location": None,
        }
        if record.exc_info and record.exc_info[0] is not None:
            import traceback

            error_type, value, tb = record.exc_info
            entry["stackTrace"] = traceback.format_tb(tb)
            entry["errorType"] = error_type.__name__
            entry["errorMessage"] = str(value)
            entry["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for key, value in vars(record).items():
            if key not in _RESERVED_RECORD_KEYS and key not in entry:
                entry[key] = value
        entry = {k: v for k, v in entry.items() if v is not None}
        return json.dumps(entry, ensure_ascii=False, default=str) + "\n"


class _StdoutHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


def setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    if JSON_LOGS:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    level = {None: "", "TRACE": "DEBUG"}.get(level, level).upper()
    if level in logging._nameToLevel:
        root.setLevel(level)


# -- the handler -------------------------------------------------------------------------------


def resolve(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {exc}")
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(
                "Runtime.BuiltInModuleConflict",
                f"Cannot use built-in module {module_name} as a handler module",
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {exc}",
            trace,
        )
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )


def handle(client, handler, headers, body):
    """Run one invocation; `headers` are the `/next` response's, with lower-case names."""
    global _request_id
    request_id = headers.get("lambda-runtime-aws-request-id")
    _request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    error = None
    try:
        context = make_context(request_id, headers)
        event = unmarshal(body, headers.get("content-type"))
        result, content_type = marshal(handler(event, context))
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, request_id)
        cause = xray_cause("LambdaValidationError", fault.message, [])
    except Exception:
        error, cause = fault_from_exception(sys.exc_info(), request_id)
    if error is not None:
        log_error(error)
        client.fail(request_id, error, cause)
    else:
        client.respond(request_id, result, content_type)


def make_context(request_id, headers):
    def parsed(name, label):
        raw = headers.get(name)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except Exception as exc:
            raise Fault(
                "Runtime.LambdaContextUnmarshalError",
                f"Unable to parse {label} JSON: {exc}",
            )

    return LambdaContext(
        request_id,
        parsed("lambda-runtime-client-context", "Client Context"),
        parsed("lambda-runtime-cognito-identity", "Cognito Identity"),
        int(headers.get("lambda-runtime-deadline-ms") or 0),
        headers.get("lambda-runtime-invoked-function-arn"),
        headers.get("lambda-runtime-aws-tenant-id") or None,
    )


def configure_path():
    """sys.path as on AWS: code, dependencies, layers, the standard library, then boto3."""
    before = os.environ.pop("_LAMBDACTL_SYS_PATH", "")
    after = os.environ.pop("_LAMBDACTL_SYS_PATH_AFTER", "")
    sys.path[:0] = [p for p in before.split(os.pathsep) if p]
    sys.path.extend(p for p in after.split(os.pathsep) if p)


def start_debugger(address, installed):
    """Listen for an editor on `host:port` (lambdactl's `--debug`) and wait until one has
    attached and set its breakpoints: before the handler's module is imported, so that a
    breakpoint at import time is hit too. `installed`: lambdactl's debugpy directory (last on
    the path: a function's own debugpy comes first)."""
    import importlib.util

    found = importlib.util.find_spec("debugpy")
    prefix = sys.pycache_prefix
    if found is not None and (found.origin or "").startswith(installed + os.sep):
        # Its own __pycache__, compiled by pip: the environment's pycache prefix is new at
        # each code revision, and compiling debugpy's 300 modules into it costs 0.75 s.
        sys.pycache_prefix = None
    try:
        debugpy = importlib.import_module("debugpy")  # installed for the environment only
        host, _, port = address.rpartition(":")
        try:  # the adapter in this process: no second interpreter, and the port is ours
            debugpy.listen((host, int(port)), in_process_debug_adapter=True)
        except TypeError:  # a function's own debugpy, older than 1.8.1
            debugpy.listen((host, int(port)))
    finally:
        sys.pycache_prefix = prefix
    sys.stderr.write(f"waiting for a debugger to attach on {host}:{port}\n")
    debugpy.wait_for_client()


def main():
    if len(sys.argv) < 2:
        raise ValueError("Handler not set")
    configure_path()
    debug = os.environ.pop("_LAMBDACTL_DEBUG", "")
    debugger_dir = os.environ.pop("_LAMBDACTL_DEBUGGER_DIR", "")
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    setup_logging()
    try:
        if debug:
            start_debugger(debug, debugger_dir)
        handler = resolve(sys.argv[1])
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, "")
    except Exception:
        error, _cause = fault_from_exception(sys.exc_info(), "")
    else:
        error = None
    if error is not None:
        logging.warning(INIT_WARNING)
        log_error(error)
        client.fail_init(error)
        sys.exit(1)
    while True:
        headers, body = client.next()
        handle(client, handler, headers, body)


if __name__ == "__main__":
    main()
