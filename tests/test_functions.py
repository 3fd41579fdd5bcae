"""Functions created through the API and run-time changes to declared ones
(`lambdactl.functions`): real zips, real invokes, real CLI processes reading the store."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdactl import aliases, functions, shapes, versions
from lambdactl.errors import (
    AwsError,
    InvalidParameterValueException,
    PreconditionFailedException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    TooManyRequestsException,
    ValidationException,
)
from lambdactl.functions import Configuration
from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.store.ledger import Ledger
from tests.uploads import HANDLER, ROLE, create_request, handler_zip, zip_of

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


def create(project: Project, name: str = "made", **given: Any) -> versions.Version:
    """CreateFunction as the API route calls it, from AWS's request fields."""
    request = create_request(**given)
    return functions.create(
        project,
        name,
        Configuration.from_request(request),
        code=request.get("Code"),
        publish=request.get("Publish", False),
        architectures=request.get("Architectures"),
        package_type=request.get("PackageType"),
    )


@pytest.fixture
def invoker(project: Project) -> Iterator[Invoker]:
    opened = Invoker(project)
    yield opened
    opened.close()


def payload(invoker: Invoker, name: str, qualifier: str | None = None) -> Any:
    import json

    result = invoker.invoke(name, qualifier=qualifier, payload=b'{"n": 1}')
    assert result.function_error is None, result.payload
    return json.loads(result.payload)


def run_cli(project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A separate `lambdactl` process: it knows only what the store says."""
    return subprocess.run(
        [sys.executable, "-m", "lambdactl", *args],
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


# -- CreateFunction -------------------------------------------------------------------------------


def test_created_function_runs_from_its_zip_and_reports_its_digest(
    project: Project, invoker: Invoker
) -> None:
    upload = handler_zip()
    version = create(
        project,
        Environment={"Variables": {"GREETING": "hi"}},
        MemorySize=256,
        Timeout=10,
        Description="made by a test",
    )
    shape = shapes.function_configuration(project, version, status="created")
    assert shape["FunctionArn"] == f"{ARN}:made"
    assert shape["CodeSha256"] == base64.b64encode(hashlib.sha256(upload).digest()).decode()
    assert shape["CodeSize"] == len(upload)
    assert (shape["Role"], shape["Handler"], shape["Runtime"]) == (
        ROLE,
        "main.handler",
        "python3.11",
    )
    assert (shape["MemorySize"], shape["Timeout"], shape["Description"]) == (
        256,
        10,
        "made by a test",
    )
    assert shape["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert (shape["State"], shape["StateReasonCode"]) == ("Pending", "Creating")
    assert shapes.function_configuration(project, version)["State"] == "Active"
    assert project.function("made").source == "api"
    assert list(project.functions) == ["hello", "made"]
    assert payload(invoker, "made") == {"from": "api", "event": {"n": 1}, "greeting": "hi"}
    # the code is a snapshot in .lambda/code/, read-only, never packaged again
    assert project.function("made").code.parent == project.manifest.state_dir / "code"
    assert versions.latest(project, "made").code_sha256 == shape["CodeSha256"]


def test_created_function_publishes_aliases_and_invokes_by_alias(
    project: Project, invoker: Invoker
) -> None:
    version = create(project, Publish=True)
    assert version.version == "1"
    shape = shapes.function_configuration(project, version, unqualified=True, status="created")
    assert (shape["Version"], shape["FunctionArn"]) == ("1", f"{ARN}:made")
    aliases.create(project, "made", "live", version="1")
    assert payload(invoker, "made", "live")["from"] == "api"
    assert invoker.invoke("made", qualifier="live").executed_version == "1"
    assert [v.version for v in versions.list_versions(project, "made")] == ["$LATEST", "1"]


def test_a_second_process_lists_shows_and_invokes_a_created_function(
    project: Project, project_dir: Path
) -> None:
    create(project, Environment={"Variables": {"GREETING": "from the store"}})
    listed = run_cli(project_dir, "list")
    assert listed.returncode == 0, listed.stderr
    rows = {words[0]: words for words in map(str.split, listed.stdout.splitlines()) if words}
    assert rows["made"][1] == "API" and rows["hello"][1] == "manifest", listed.stdout
    shown = run_cli(project_dir, "show", "made")
    assert "API (created through the Lambda API; kept in .lambda/)" in shown.stdout
    invoked = run_cli(project_dir, "invoke", "made", "--payload", "{}", "-o", "json")
    assert invoked.returncode == 0, invoked.stderr
    assert '"greeting": "from the store"' in invoked.stdout


@pytest.mark.parametrize(
    ("name", "given", "error", "message"),
    [
        (
            "made",
            {"Role": None},
            ValidationException,
            "1 validation error detected: Value null at 'role' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            "made",
            {"Role": "r1"},
            ValidationException,
            "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:"
            r"role/?[a-zA-Z_0-9+=,.@\-_/]+",
        ),
        (
            "made",
            {"MemorySize": 10241},
            ValidationException,
            "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy "
            "constraint: Member must have value less than or equal to 10240",
        ),
        (
            "made",
            {"MemorySize": 127},
            ValidationException,
            "1 validation error detected: Value '127' at 'memorySize' failed to satisfy "
            "constraint: Member must have value greater than or equal to 128",
        ),
        (
            "made",
            {"Timeout": 901},
            ValidationException,
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900",
        ),
        (
            "made",
            {"Runtime": "python3.7"},
            InvalidParameterValueException,
            "The runtime parameter of python3.7 is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use a supported runtime while creating or "
            "updating functions.",
        ),
        (
            "made",
            {"Runtime": "cobol"},
            InvalidParameterValueException,
            "Value cobol at 'runtime' failed to satisfy constraint: Member must satisfy enum "
            "value set: [python3.9, python3.10, python3.11, python3.12, python3.13, python3.14, "
            "nodejs20.x, nodejs22.x, nodejs24.x, provided, provided.al2, provided.al2023] or be a "
            "valid ARN",
        ),
        (
            "made",
            {"Runtime": None},
            InvalidParameterValueException,
            "Runtime and Handler are mandatory parameters for functions created with deployment "
            "packages.",
        ),
        (
            "made",
            {"Environment": {"Variables": {"X": "1"}}},
            ValidationException,
            "1 validation error detected: Value at 'environment.variables' failed to satisfy "
            "constraint: Map keys must satisfy constraint: [Member must satisfy regular "
            "expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
        ),
        (
            "made",
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            InvalidParameterValueException,
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            "for modification. Reserved keys used in this request: AWS_REGION",
        ),
        (
            "made",
            {"Code": {"S3Bucket": "b", "S3Key": "k.zip"}},
            InvalidParameterValueException,
            "lambdactl takes a function's code as Code.ZipFile only (the zip's bytes): it has no "
            "S3 bucket or image registry to read an S3 object from",
        ),
        (
            "made",
            {"Code": {"ImageUri": "x.dkr.ecr/x:1"}},
            InvalidParameterValueException,
            "lambdactl takes a function's code as Code.ZipFile only (the zip's bytes): it has no "
            "S3 bucket or image registry to read an image from",
        ),
        ("made", {"Code": {"ZipFile": b"not a zip"}}, InvalidParameterValueException, UNZIP_FAILED),
        ("hello", {}, ResourceConflictException, "Function already exist: hello"),
        ("made:1", {}, ValidationException, None),
        (
            "a" * 65,
            {},
            ValidationException,
            f"1 validation error detected: Value '{'a' * 65}' at 'functionName' failed to satisfy "
            "constraint: Member must have length less than or equal to 64",
        ),
    ],
)
def test_create_refuses_with_aws_errors(
    project: Project,
    name: str,
    given: dict[str, Any],
    error: type[AwsError],
    message: str | None,
) -> None:
    with pytest.raises(error) as caught:
        create(project, name, **given)
    if message is not None:
        assert caught.value.message == message
    assert list(project.functions) == ["hello"]


def test_create_twice_is_a_conflict(project: Project) -> None:
    create(project)
    with pytest.raises(
        ResourceConflictException, match="^ResourceConflictException: Function already exist: made$"
    ):
        create(project)


def test_an_oversize_zip_is_refused_before_it_is_unpacked(project: Project) -> None:
    upload = bytearray(zip_of({"main.py": HANDLER}))
    central = upload.index(b"PK\x01\x02")  # the central directory's uncompressed size
    upload[central + 24 : central + 28] = (262144001).to_bytes(4, "little")
    with pytest.raises(InvalidParameterValueException) as caught:
        create(project, Code={"ZipFile": bytes(upload)})
    assert caught.value.message == "Unzipped size must be smaller than 262144000 bytes"
    with pytest.raises(RequestEntityTooLargeException, match="Zipped size must be smaller"):
        functions.unpack(b"x" * (functions.ZIPPED_LIMIT + 1))


@pytest.mark.parametrize(
    ("files", "links", "what"),
    [
        ({"../escaped.py": "x"}, {}, "'../escaped.py' is a '..' path"),
        ({"pkg/../../escaped.py": "x"}, {}, "'pkg/../../escaped.py' is a '..' path"),
        ({"/tmp/escaped.py": "x"}, {}, "'/tmp/escaped.py' is an absolute path"),
        ({}, {"link.py": "../../escaped.py"}, "'link.py' is a symbolic link"),
    ],
)
def test_entries_that_would_escape_are_refused_and_nothing_is_written(
    project: Project,
    tmp_path: Path,
    files: dict[str, str],
    links: dict[str, str],
    what: str,
) -> None:
    before = sorted(p for p in tmp_path.rglob("*") if ".lambda" not in p.parts)
    upload = zip_of({"main.py": HANDLER, **files}, links=links)
    with pytest.raises(InvalidParameterValueException) as caught:
        create(project, Code={"ZipFile": upload})
    assert caught.value.message == (
        f"{UNZIP_FAILED} (entry {what}: it would be written outside the function's code directory)"
    )
    assert sorted(p for p in tmp_path.rglob("*") if ".lambda" not in p.parts) == before
    assert not (project.manifest.state_dir / "code").exists()
    assert list(project.functions) == ["hello"]


def test_directory_entries_and_packages_unpack(project: Project, invoker: Invoker) -> None:
    upload = zip_of(
        {
            "pkg/": "",
            "pkg/__init__.py": "",
            "pkg/greeting.py": "TEXT = 'packaged'\n",
            "main.py": "from pkg.greeting import TEXT\n\ndef handler(e, c):\n    return TEXT\n",
        }
    )
    create(project, Code={"ZipFile": upload})
    assert payload(invoker, "made") == "packaged"


# -- UpdateFunctionCode ---------------------------------------------------------------------------


def test_update_code_replaces_a_created_functions_code(project: Project, invoker: Invoker) -> None:
    first = create(project)
    assert payload(invoker, "made")["from"] == "api"
    source = "def handler(event, context):\n    return 'second'\n"
    updated = functions.update_code(
        project, "made", code={"ZipFile": handler_zip(source)}, revision_id=first.revision_id
    )
    assert updated.code_sha256 != first.code_sha256
    assert updated.revision_id != first.revision_id
    assert payload(invoker, "made") == "second"
    published = functions.update_code(
        project, "made", code={"ZipFile": handler_zip(HANDLER)}, publish=True
    )
    assert published.version == "1"
    assert payload(invoker, "made", "1")["from"] == "api"


def test_update_code_with_a_stale_revision_is_a_failed_precondition(project: Project) -> None:
    create(project)
    with pytest.raises(PreconditionFailedException) as caught:
        functions.update_code(project, "made", code={"ZipFile": handler_zip()}, revision_id="x")
    assert caught.value.message == (
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetFunction/GetAlias API to retrieve the latest Revision Id"
    )


def test_a_manifest_functions_code_cannot_be_replaced(project: Project) -> None:
    with pytest.raises(ResourceConflictException) as caught:
        functions.update_code(project, "hello", code={"ZipFile": handler_zip()})
    assert str(project.manifest.path) in caught.value.message
    assert "does not replace a manifest function's code" in caught.value.message


# -- UpdateFunctionConfiguration ------------------------------------------------------------------


def test_update_configuration_of_a_created_function(project: Project, invoker: Invoker) -> None:
    create(project)
    latest = functions.update_configuration(
        project,
        "made",
        Configuration(memory=512, environment={"Variables": {"GREETING": "changed"}}),
    )
    assert (latest.config.memory, dict(latest.config.environment)) == (
        512,
        {"GREETING": "changed"},
    )
    assert payload(invoker, "made")["greeting"] == "changed"
    assert project.function("made").overrides == {}


def test_update_configuration_of_a_declared_function_is_an_override(
    project: Project, invoker: Invoker, project_dir: Path
) -> None:
    before = versions.latest(project, "hello")
    after = functions.update_configuration(
        project, "hello", Configuration(memory=512, description="changed")
    )
    assert (after.config.memory, after.description) == (512, "changed")
    assert after.revision_id != before.revision_id
    assert project.function("hello").overrides == {"memory": 128, "description": "Greets"}
    assert invoker.invoke("hello").memory_mb == 512
    shown = run_cli(project_dir, "show", "hello")
    assert "512 MB (overridden at run time; manifest: 128 MB)" in shown.stdout, shown.stdout
    assert "changed (overridden at run time; manifest: 'Greets')" in shown.stdout
    # the manifest's own value again: no override any more
    functions.update_configuration(project, "hello", Configuration(memory=128))
    assert project.function("hello").overrides == {"description": "Greets"}


def test_update_configuration_checks_the_revision(project: Project) -> None:
    with pytest.raises(PreconditionFailedException):
        functions.update_configuration(project, "hello", Configuration(timeout=5), revision_id="x")
    assert project.function("hello").config.timeout == 3


# -- DeleteFunction -------------------------------------------------------------------------------


def test_delete_forgets_a_created_function_and_a_new_one_numbers_from_1(
    project: Project, invoker: Invoker
) -> None:
    create(project, Publish=True)
    aliases.create(project, "made", "live", version="1")
    assert Ledger(project.manifest.state_dir).function("made") is not None
    functions.delete(project, "made")
    assert list(project.functions) == ["hello"]
    with pytest.raises(
        ResourceNotFoundException,
        match=f"^ResourceNotFoundException: Function not found: {ARN}:made$",
    ):
        invoker.invoke("made")
    assert project.store.list_aliases("made") == []
    assert not (project.manifest.state_dir / "ledger" / "made").exists()
    again = create(project, Publish=True)
    assert again.version == "1"
    with pytest.raises(ResourceNotFoundException):
        functions.delete(project, "gone")


def test_delete_with_a_qualifier_deletes_a_version(project: Project) -> None:
    create(project, Publish=True)
    functions.delete(project, "made", "1")
    assert [v.version for v in versions.list_versions(project, "made")] == ["$LATEST"]
    versions.publish(project, "hello")
    functions.delete(project, "hello:1")  # a declared function's versions too


def test_a_declared_function_cannot_be_deleted(project: Project) -> None:
    with pytest.raises(ResourceConflictException) as caught:
        functions.delete(project, "hello")
    assert str(project.manifest.path) in caught.value.message
    assert "hello" in project.functions


# -- concurrency ----------------------------------------------------------------------------------


def test_reserved_concurrency_is_put_read_and_deleted(project: Project) -> None:
    assert functions.get_concurrency(project, "hello") is None
    assert functions.put_concurrency(project, "hello", 10) == 10
    assert functions.get_concurrency(project, "hello") == 10
    assert project.function("hello").overrides == {"reserved_concurrency": None}
    assert project.unreserved_concurrency == 990
    functions.delete_concurrency(project, "hello")
    assert functions.get_concurrency(project, "hello") is None
    assert project.function("hello").overrides == {}


@pytest.mark.parametrize(
    ("function", "reserved", "error", "message"),
    [
        (
            "hello",
            901,
            InvalidParameterValueException,
            "Specified ReservedConcurrentExecutions for function decreases account's "
            "UnreservedConcurrentExecution below its minimum value of [100].",
        ),
        (
            "hello",
            -1,
            ValidationException,
            "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to "
            "satisfy constraint: Member must have value greater than or equal to 0",
        ),
        (
            "hello:1",
            1,
            InvalidParameterValueException,
            "This operation is permitted on Lambda functions only. Aliases and versions do not "
            "support this operation. Please specify either a function name or an unqualified "
            "function ARN.",
        ),
        ("nope", 1, ResourceNotFoundException, f"Function not found: {ARN}:nope"),
    ],
)
def test_put_concurrency_refuses(
    project: Project, function: str, reserved: int, error: type[AwsError], message: str
) -> None:
    with pytest.raises(error) as caught:
        functions.put_concurrency(project, function, reserved)
    assert caught.value.message == message


def test_the_unreserved_minimum_counts_every_function(project: Project) -> None:
    create(project)
    functions.put_concurrency(project, "made", 500)
    functions.put_concurrency(project, "hello", 400)
    with pytest.raises(InvalidParameterValueException):
        functions.put_concurrency(project, "hello", 401)
    assert functions.get_concurrency(project, "hello") == 400


def test_zero_reserved_throttles_this_process_and_one_started_before(
    project: Project, invoker: Invoker, project_dir: Path
) -> None:
    assert invoker.invoke("hello").status_code == 200  # the invoker exists before the change
    functions.put_concurrency(project, "hello", 0)
    with pytest.raises(TooManyRequestsException) as caught:
        invoker.invoke("hello")
    assert caught.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    other = Project.open(project.manifest.path)  # e.g. a worker started earlier
    try:
        with Invoker(other) as elsewhere:
            with pytest.raises(TooManyRequestsException):
                elsewhere.invoke("hello")
            functions.delete_concurrency(project, "hello")
            assert elsewhere.invoke("hello").status_code == 200
    finally:
        other.close()
    functions.put_concurrency(project, "hello", 0)
    refused = run_cli(project_dir, "invoke", "hello")
    assert refused.returncode == 5, refused.stderr
    assert "ReservedFunctionConcurrentInvocationLimitExceeded" in refused.stderr


# -- GetFunction, GetAccountSettings ------------------------------------------------------------


def test_code_zip_is_the_uploaded_zip(project: Project) -> None:
    upload = handler_zip()
    version = create(project)
    assert functions.code_zip(project, version).read_bytes() == upload
    declared = versions.latest(project, "hello")
    path = functions.code_zip(project, declared)
    assert base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode() == (
        declared.code_sha256
    )


def test_account_settings_count_functions_code_and_concurrency(project: Project) -> None:
    version = create(project, Publish=True)
    functions.put_concurrency(project, "made", 100)
    count, size = functions.usage(project)
    hello = versions.latest(project, "hello").code_size
    assert (count, size) == (2, hello + 2 * version.code_size)
    shape = shapes.account_settings(project, function_count=count, code_size=size)
    assert shape == {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": 1000,
            "UnreservedConcurrentExecutions": 900,
        },
        "AccountUsage": {"TotalCodeSize": size, "FunctionCount": 2},
    }


def test_doctor_rebuilds_a_created_function_and_its_versions(
    project_dir: Path, cli: Callable[..., Any]
) -> None:
    project = Project.open(project_dir / "functions.yaml")
    create(project, Publish=True)
    aliases.create(project, "made", "live", version="1")
    project.close()
    (project_dir / ".lambda" / "state.db").unlink()
    for suffix in ("-wal", "-shm"):
        (project_dir / ".lambda" / f"state.db{suffix}").unlink(missing_ok=True)
    repaired = cli("doctor", "--repair", "-o", "json")
    assert repaired.code == 0, repaired.err
    recovered = repaired.json()["Recovered"]
    assert "function made (created through the API)" in recovered
    assert "version made:1" in recovered and "alias made:live -> 1" in recovered
    rebuilt = Project.open(project_dir / "functions.yaml")
    try:
        with Invoker(rebuilt) as invoker:
            assert payload(invoker, "made", "live")["from"] == "api"
            assert payload(invoker, "made")["from"] == "api"
    finally:
        rebuilt.close()
