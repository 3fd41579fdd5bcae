"""What a function can import besides its code and layers: requirements.txt installs and the
SDK the managed runtime provides. Real pip, real wheels (built here, so no network)."""

from __future__ import annotations

import json
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from lambdactl import versions
from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.runtime import dependencies

HANDLER = """\
import tinydep


def handler(event, context):
    return {"value": tinydep.VALUE, "file": tinydep.__file__}
"""


def make_wheel(directory: Path, version: str, name: str = "tinydep") -> Path:
    """A minimal pure-Python wheel `name` whose VALUE (and `__version__`) names its version."""
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    dist = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            f"{name}/__init__.py", f"VALUE = '{name} {version}'\n__version__ = '{version}'\n"
        )
        archive.writestr(
            f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        archive.writestr(
            f"{dist}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{dist}/RECORD", "")
    return wheel


@pytest.fixture
def deps_project(project_dir: Path) -> Path:
    code = project_dir / "src" / "deps"
    code.mkdir(parents=True)
    (code / "app.py").write_text(HANDLER)
    (project_dir / "functions.yaml").write_text(
        textwrap.dedent(
            """\
            functions:
              deps: {handler: app.handler, code: src/deps, timeout: 10}
            """
        )
    )
    return code


def test_requirements_are_installed_once_and_pinned_per_version(
    project_dir, deps_project, tmp_path
):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (deps_project / "requirements.txt").write_text(f"{make_wheel(wheels, '1.0')}\n")
    project = Project.open(project_dir / "functions.yaml")
    try:
        versions.publish(project, "deps")
        with Invoker(project) as invoker:
            first = json.loads(invoker.invoke("deps").payload)
            assert first["value"] == "tinydep 1.0"
            installed = Path(first["file"]).parents[1]
            assert installed.parent == project_dir / ".lambda" / "deps"
            (deps_project / "requirements.txt").write_text(f"{make_wheel(wheels, '2.0')}\n")
        with Invoker(project) as invoker:
            assert json.loads(invoker.invoke("deps").payload)["value"] == "tinydep 2.0"
            assert json.loads(invoker.invoke("deps:1").payload)["value"] == "tinydep 1.0"
        # installed once: the second request for the same requirements reuses the directory
        assert len([p for p in (project_dir / ".lambda" / "deps").iterdir() if p.is_dir()]) == 2
    finally:
        project.close()


def test_a_failing_install_is_one_clear_error(project_dir, deps_project, cli):
    (deps_project / "requirements.txt").write_text("/nonexistent/tinydep-9.9-py3-none-any.whl\n")
    result = cli("invoke", "deps")
    assert result.code == dependencies.DependencyError.exit_code
    assert result.err.startswith("error: installing ")
    assert "requirements.txt failed" in result.err
    assert "Traceback" not in result.err


SDK_HANDLER = """\
import importlib.metadata

import boto3
import botocore
import dateutil
import jmespath
import s3transfer
import six
import urllib3


def handler(event, context):
    return {
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "metadata": importlib.metadata.version("boto3"),
        "others": [m.__name__ for m in (dateutil, jmespath, s3transfer, six, urllib3)],
        "from": boto3.__file__,
    }
"""


def test_boto3_and_its_closure_are_importable_as_on_aws(project_dir, deps_project, cli):
    from importlib import metadata

    (deps_project / "app.py").write_text(SDK_HANDLER)
    first, second = cli("invoke", "deps"), cli("invoke", "deps")  # the second from the cache
    assert first.code == second.code == 0, first.err
    body = json.loads(first.out)
    assert json.loads(second.out) == body
    assert body["boto3"] == body["metadata"] == metadata.version("boto3")
    assert body["botocore"] == metadata.version("botocore")
    assert body["others"] == ["dateutil", "jmespath", "s3transfer", "six", "urllib3"]
    assert Path(body["from"]).parents[1].parent == project_dir / ".lambda" / "runtime"


@pytest.mark.parametrize(
    "module", ["yaml", "typer", "rich", "pathspec", "watchdog", "click", "awslambdaric"]
)
def test_lambdactls_other_dependencies_are_not_importable(deps_project, cli, module):
    (deps_project / "app.py").write_text(
        f"import boto3\nimport {module}\n\n\ndef handler(event, context):\n    return 1\n"
    )
    result = cli("invoke", "deps")
    assert result.code == 1
    assert result.json() == {
        "errorMessage": f"Unable to import module 'app': No module named '{module}'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


@pytest.mark.parametrize("where", ["code", "layer", "requirements"])
def test_a_boto3_the_function_brings_wins(project_dir, deps_project, cli, tmp_path, where):
    (deps_project / "app.py").write_text(SDK_HANDLER.replace("import botocore", "botocore = boto3"))
    layers = ""
    if where == "code":
        (deps_project / "boto3").mkdir()
        (deps_project / "boto3" / "__init__.py").write_text("__version__ = '0.0-mine'\n")
    elif where == "layer":
        package = project_dir / "layers" / "sdk" / "python" / "boto3"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("__version__ = '0.0-mine'\n")
        layers = ", layers: [layers/sdk]"
    else:
        wheels = tmp_path / "wheels"
        wheels.mkdir()
        wheel = make_wheel(wheels, "0.0", name="boto3")
        (deps_project / "requirements.txt").write_text(f"{wheel}\n")
    (project_dir / "functions.yaml").write_text(
        f"functions:\n  deps: {{handler: app.handler, code: src/deps, timeout: 10{layers}}}\n"
    )
    (deps_project / "app.py").write_text(
        SDK_HANDLER.replace("importlib.metadata.version(\"boto3\")", "None")
    )
    result = cli("invoke", "deps")
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert body["boto3"] == ("0.0" if where == "requirements" else "0.0-mine")
    assert ".lambda/runtime" not in body["from"]
    # the rest of the closure is still the provided one
    assert body["others"] == ["dateutil", "jmespath", "s3transfer", "six", "urllib3"]


def test_the_sdk_is_the_one_lambdactls_python_finds_first(
    project_dir, deps_project, tmp_path, monkeypatch
):
    fake_site = tmp_path / "site"
    (fake_site / "boto3").mkdir(parents=True)
    (fake_site / "boto3" / "__init__.py").write_text("VERSION = 'fake-boto3'\n")
    info = fake_site / "boto3-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: boto3\nVersion: 0.1\n")
    (info / "RECORD").write_text("boto3/__init__.py,,\nboto3-0.1.dist-info/METADATA,,\n")
    monkeypatch.syspath_prepend(str(fake_site))
    (deps_project / "app.py").write_text(
        textwrap.dedent(
            """\
            import sys


            def handler(event, context):
                import boto3

                try:
                    import botocore  # not required by this boto3: not offered
                except ImportError:
                    botocore = None
                return {"boto3": boto3.VERSION, "botocore": botocore is not None,
                        "sdk_last": sys.path[-1].endswith(tuple("0123456789abcdef"))}
            """
        )
    )
    project = Project.open(project_dir / "functions.yaml")
    try:
        with Invoker(project) as invoker:
            body = json.loads(invoker.invoke("deps").payload)
    finally:
        project.close()
    assert body == {"boto3": "fake-boto3", "botocore": False, "sdk_last": True}


def test_the_sdk_record_notices_an_install(project_dir, tmp_path, monkeypatch):
    state = project_dir / ".lambda"
    first = dependencies.provided(state)
    assert first is not None and (first / "boto3").is_symlink()
    assert dependencies.provided(state) == first  # remembered
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert dependencies.provided(state) == first  # looked again: the same closure
    (site / "boto3").mkdir()  # an install into a directory on sys.path
    (site / "boto3" / "__init__.py").write_text("")
    info = site / "boto3-9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: boto3\nVersion: 9.9\n")
    (info / "RECORD").write_text("boto3/__init__.py,,\nboto3-9.9.dist-info/METADATA,,\n")
    second = dependencies.provided(state)
    assert second != first
    assert (second / "boto3").resolve() == (site / "boto3").resolve()
    assert sorted(p.name for p in second.iterdir()) == ["boto3", "boto3-9.9.dist-info"]
    for record in (state / "runtime").glob("provided-*.json"):
        record.write_text("garbage")
    assert dependencies.provided(state) == second
    monkeypatch.undo()  # the first sys.path again: its own record, the same links
    assert dependencies.provided(state) == first


def test_provided_runtime_without_bootstrap_is_invalid_entrypoint(project_dir, write_manifest):
    write_manifest(
        """\
        functions:
          custom: {runtime: provided.al2023, code: src/hello}
        """
    )
    project = Project.open(project_dir / "functions.yaml")
    try:
        with Invoker(project) as invoker:
            result = invoker.invoke("custom")
    finally:
        project.close()
    code = project_dir / "src" / "hello"
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Runtime.InvalidEntrypoint",
        "errorMessage": f"RequestId: {result.request_id} Error: Couldn't find valid "
        f"bootstrap(s): [{code / 'bootstrap'}]",
    }
    assert result.log[-1].endswith("Status: error\tError Type: Runtime.InvalidEntrypoint")


def test_a_missing_python_version_warns_once_naming_both(
    project_dir, write_manifest, cli, monkeypatch
):
    from lambdactl.runtime import interpreters

    interpreters.for_runtime.cache_clear()
    monkeypatch.setenv("PATH", str(project_dir))  # no python3.X here
    other = "python3.9" if sys.version_info[:2] != (3, 9) else "python3.10"
    write_manifest(
        f"""\
        functions:
          hello: {{handler: app.handler, code: src/hello, runtime: {other}}}
        """
    )
    try:
        result = cli("invoke", "hello")
    finally:
        interpreters.for_runtime.cache_clear()
    assert result.code == 0
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    current = ".".join(map(str, sys.version_info[:3]))
    assert warnings == [
        f"warning: runtime {other} requested but no {other} is on PATH; running it with "
        f"Python {current} ({sys.executable})"
    ]
