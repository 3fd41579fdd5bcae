"""The error tree: every failure lambdactl reports on purpose is a `LambdactlError`.

The CLI turns one into a single line plus an optional hint and the class's exit code; the REST
API (later) turns the `AwsError` branch into AWS's HTTP status, error type and message.
"""

from __future__ import annotations


class LambdactlError(Exception):
    """Root of all expected failures. `exit_code` is what the CLI exits with."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(LambdactlError):
    """Bad command-line input, or a project that cannot be found."""

    exit_code = 2


class ManifestError(UsageError):
    """A manifest problem, located as precisely as the YAML allows."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.key = key
        self.detail = message
        where = file if line is None else f"{file}:{line}"
        prefix = f"{where}: {key}: " if key else f"{where}: "
        super().__init__(prefix + message, hint=hint)


def yaml_error(exc: Exception, file: str) -> ManifestError:
    """PyYAML's error as one located line (`invalid YAML: ...` at its line, when it has one):
    the same for functions.yaml and a SAM template."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None and getattr(exc, "problem", None) is None:
        return ManifestError(f"invalid YAML: {exc}", file=file)
    problem = getattr(exc, "problem", None) or str(exc)
    return ManifestError(
        f"invalid YAML: {problem}", file=file, line=mark.line + 1 if mark else None
    )


class AwsError(LambdactlError):
    """An error AWS Lambda defines: its exception type, HTTP status and exact message."""

    aws_type: str = "ServiceException"
    http_status: int = 500
    exit_code = 6

    def __str__(self) -> str:
        return f"{self.aws_type}: {self.message}"


class ValidationException(AwsError):
    """AWS's generic model validation failure (`1 validation error detected: ...`)."""

    aws_type = "ValidationException"
    http_status = 400
    exit_code = 2


class InvalidParameterValueException(AwsError):
    aws_type = "InvalidParameterValueException"
    http_status = 400
    exit_code = 2


class InvalidRequestContentException(AwsError):
    aws_type = "InvalidRequestContentException"
    http_status = 400
    exit_code = 2


class ResourceNotFoundException(AwsError):
    aws_type = "ResourceNotFoundException"
    http_status = 404
    exit_code = 3


class ResourceConflictException(AwsError):
    aws_type = "ResourceConflictException"
    http_status = 409
    exit_code = 4


class FunctionUnavailable(AwsError):
    """A function declared where lambdactl cannot run it (a SAM template's function whose code
    is in S3, a container image, a runtime lambdactl does not run, a value not knowable
    locally): refused when invoked, with the reason. AWS's type for invoking a function that
    is not Active (its State), with lambdactl's own message."""

    aws_type = "ResourceConflictException"
    http_status = 409
    exit_code = 4


class ResourceInUseException(AwsError):
    """Lambda's: the resource is busy (an event source mapping in a transitional state)."""

    aws_type = "ResourceInUseException"
    http_status = 400
    exit_code = 4


class PreconditionFailedException(AwsError):
    aws_type = "PreconditionFailedException"
    http_status = 412
    exit_code = 4


REVISION_ID_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)
"""AWS's PreconditionFailedException message for a stale `RevisionId` (functions and aliases)."""


class ShuttingDown(LambdactlError):
    """lambdactl is stopping: its environments are shut down and no new one starts."""


class TooManyOpenFiles(LambdactlError):
    """The process has no file descriptor left for another environment (each holds ~9)."""

    def __init__(self) -> None:
        super().__init__(OUT_OF_FILES.format(limit=_file_limit()), hint=OUT_OF_FILES_HINT)

    @classmethod
    def check(cls, exc: OSError) -> None:
        """Raise this instead of `exc` when `exc` is the process or system running out of
        descriptors (which would otherwise read as the function's or the store's fault)."""
        if _out_of_files(exc):
            raise cls() from None


OUT_OF_FILES = "too many open files to start another environment (the limit is {limit})"
OUT_OF_FILES_HINT = "raise it (ulimit -n), or run fewer invocations at once"


def _out_of_files(exc: OSError) -> bool:
    import errno

    return exc.errno in (errno.EMFILE, errno.ENFILE)


def _file_limit() -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class StoreError(LambdactlError):
    """The `.lambda/` state cannot be read or written (permissions, corruption, disk)."""

    exit_code = 7

    @classmethod
    def from_os(cls, exc: OSError, path: object, *, doing: str = "write") -> StoreError:
        """The one line for a path in `.lambda/` the system refused (`doing`: read or write).

        It names the path, and says so plainly when a file stands where a directory must be
        (a damaged `.lambda/`, which blocks even root)."""
        import os.path
        from pathlib import Path

        if _out_of_files(exc):  # not the state's fault: the process is out of descriptors
            return cls(OUT_OF_FILES.format(limit=_file_limit()), hint=OUT_OF_FILES_HINT)
        named = [Path(n) for n in (exc.filename2, exc.filename) if isinstance(n, str)]
        target = named[-1] if named else Path(str(path))
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            for candidate in (c for name in named or [target] for c in (name, *name.parents)):
                if os.path.isdir(candidate):
                    continue
                if os.path.lexists(candidate):
                    return cls(
                        f"{candidate} is a file where lambdactl keeps a directory",
                        hint="move it aside; lambdactl makes a new one",
                    )
        if isinstance(exc, PermissionError):
            return cls(
                f"cannot {doing} {target}: permission denied",
                hint="lambdactl keeps its state in .lambda/ beside functions.yaml: "
                "make it writable for this user",
            )
        return cls(f"cannot {doing} {target}: {exc.strerror or exc}")


def validation_message(value: object, field: str, constraint: str) -> str:
    """AWS's wording for a single failed model constraint."""
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def utf8_problem(data: bytes) -> tuple[str, int] | None:
    """Where `data` stops being UTF-8, in the words of AWS's JSON parser (Jackson): (what,
    offset of the byte at fault), or None when it is all UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            return "Unexpected end-of-input in VALUE_STRING", len(data)
        if exc.reason == "invalid continuation byte" and exc.end < len(data):
            return f"Invalid UTF-8 middle byte 0x{data[exc.end]:02x}", exc.end
        return f"Invalid UTF-8 start byte 0x{data[exc.start]:02x}", exc.start
    return None


def given_bytes(text: str) -> bytes:
    """The bytes behind `text`: Python keeps command-line (and file-name) bytes that are not
    UTF-8 as lone surrogates, which `str.encode()` refuses."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return text.encode("utf-8", "surrogatepass")


def check_request_text(*texts: str | None) -> None:
    """Text fields of a Lambda API request: bytes that are not UTF-8 leave AWS unable to parse
    the request body (InvalidRequestContentException)."""
    for text in texts:
        if text is None or text.isascii():
            continue
        problem = utf8_problem(given_bytes(text))
        if problem is not None:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {problem[0]}"
            )


DESCRIPTION_MAX = 256
"""The longest Description AWS's model takes (functions, versions, aliases)."""


def check_description(description: str | None) -> None:
    """A Description AWS would take: UTF-8, at most 256 characters."""
    check_request_text(description)
    if description is not None and len(description) > DESCRIPTION_MAX:
        constraint = f"Member must have length less than or equal to {DESCRIPTION_MAX}"
        raise ValidationException(validation_message(description, "description", constraint))


def enum_constraint(allowed: tuple[str, ...]) -> str:
    """AWS's constraint text for a value outside an enum."""
    return f"Member must satisfy enum value set: [{', '.join(allowed)}]"


class TooManyRequestsException(AwsError):
    """A throttle; `reason` is AWS's Reason, e.g. ConcurrentInvocationLimitExceeded."""

    aws_type = "TooManyRequestsException"
    http_status = 429
    exit_code = 5

    def __init__(self, reason: str, message: str = "Rate Exceeded.") -> None:
        super().__init__(message)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.aws_type} ({self.reason}): {self.message}"


class RequestEntityTooLargeException(AwsError):
    """A payload over the Invoke API's limit (the wire code AWS really sends)."""

    aws_type = "RequestEntityTooLargeException"
    http_status = 413
    exit_code = 2
