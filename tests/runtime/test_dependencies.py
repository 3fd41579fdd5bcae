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


def make_wheel(directory: Path, version: str) -> Path:
    """A minimal pure-Python wheel `tinydep` whose VALUE names its version."""
    wheel = directory / f"tinydep-{version}-py3-none-any.whl"
    dist = f"tinydep-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("tinydep/__init__.py", f"VALUE = 'tinydep {version}'\n")
        archive.writestr(
            f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: tinydep\nVersion: {version}\n"
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


def test_the_sdk_is_offered_without_lambdactls_other_dependencies(
    project_dir, deps_project, tmp_path, monkeypatch
):
    fake_site = tmp_path / "site"
    (fake_site / "boto3").mkdir(parents=True)
    (fake_site / "boto3" / "__init__.py").write_text("VERSION = 'fake-boto3'\n")
    monkeypatch.syspath_prepend(str(fake_site))
    (deps_project / "app.py").write_text(
        textwrap.dedent(
            """\
            import sys


            def handler(event, context):
                import boto3

                try:
                    import yaml  # lambdactl's own dependency: never visible
                except ImportError:
                    yaml = None
                return {"boto3": boto3.VERSION, "yaml": yaml is not None,
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
    assert body == {"boto3": "fake-boto3", "yaml": False, "sdk_last": True}


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
