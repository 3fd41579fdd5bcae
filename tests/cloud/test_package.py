"""Deployment packages: deterministic zips, `.lambdaignore`, snapshots, layers, and
requirements installed for Lambda's platform from wheels built here (offline: `--no-index`)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdactl import functions, versions
from lambdactl.cloud import package
from lambdactl.cloud.package import Package
from lambdactl.errors import InvalidParameterValueException, UsageError
from lambdactl.functions import Configuration
from lambdactl.project import Project
from lambdactl.runtime.dependencies import DependencyError
from tests.uploads import create_request, zip_of

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  hello:
    handler: app.handler
    code: src/hello
    runtime: python3.12
    layers: [layers/common]
"""


@pytest.fixture
def project(project_dir: Path) -> Iterator[Project]:
    (project_dir / "functions.yaml").write_text(MANIFEST)
    (project_dir / "layers" / "common" / "python").mkdir(parents=True)
    (project_dir / "layers" / "common" / "python" / "shared.py").write_text("SHARED = 1\n")
    opened = Project.open(project_dir / "functions.yaml")
    yield opened
    opened.close()


def make_wheel(directory: Path, name: str, platform: str, value: str) -> Path:
    """A minimal binary wheel for `platform` whose module says `value`."""
    directory.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-1.0.dist-info"
    files = {
        f"{name}/__init__.py": f"VALUE = {value!r}\n".encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        f"{dist_info}/entry_points.txt": f"[console_scripts]\n{name}-tool = {name}:main\n".encode(),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
            f"Tag: cp312-cp312-{platform}\n"
        ).encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"{name}-1.0-cp312-cp312-{platform}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel


def entries(built: Package) -> dict[str, bytes]:
    with zipfile.ZipFile(built.path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def offline(wheels: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheels)]


def test_same_input_gives_byte_identical_zips(project: Project, project_dir: Path) -> None:
    first = package.function_zip(project, "hello")
    second = package.function_zip(project, "hello")
    assert first == second
    assert first.path.parent == project_dir / ".lambda" / "cloud" / "build"
    assert first.path.name == f"{first.path.stem}.zip"
    assert hashlib.sha256(first.read()).hexdigest() == first.path.stem
    assert base64.b64decode(first.sha256).hex() == first.path.stem
    assert first.size == first.path.stat().st_size
    # without dependencies it is the zip lambdactl computes locally: the same CodeSha256
    assert first.sha256 == versions.latest(project, "hello").code_sha256

    copy = project_dir.parent / "copy"
    shutil.copytree(project_dir / "src", copy / "src")
    shutil.copytree(project_dir / "layers", copy / "layers")
    shutil.copy(project_dir / "functions.yaml", copy / "functions.yaml")
    os.utime(copy / "src" / "hello" / "app.py", (1_000_000_000, 1_000_000_000))
    other = Project.open(copy / "functions.yaml")
    try:
        assert package.function_zip(other, "hello").read() == first.read()
    finally:
        other.close()


def test_entries_sorted_dated_1980_exec_bit_kept(project: Project, project_dir: Path) -> None:
    code = project_dir / "src" / "hello"
    (code / "bin").mkdir()
    (code / "bin" / "tool").write_text("#!/bin/sh\necho hi\n")
    (code / "bin" / "tool").chmod(0o700)
    (code / "zz.txt").write_text("z")
    (code / "aa.txt").write_text("a")
    (code / "aa.txt").chmod(0o600)
    built = package.function_zip(project, "hello")
    with zipfile.ZipFile(built.path) as zf:
        infos = zf.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names) == ["aa.txt", "app.py", "bin/tool", "zz.txt"]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {info.filename: info.external_attr >> 16 for info in infos}
    assert modes["bin/tool"] == 0o100755
    assert modes["aa.txt"] == modes["app.py"] == 0o100644
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}


def test_lambdaignore_and_caches_left_out(project: Project, project_dir: Path) -> None:
    code = project_dir / "src" / "hello"
    (code / ".lambdaignore").write_text("secrets.env\ntests/\n")
    (code / "secrets.env").write_text("TOKEN=1")
    (code / "tests").mkdir()
    (code / "tests" / "test_app.py").write_text("")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "app.cpython-312.pyc").write_bytes(b"\0")
    assert set(entries(package.function_zip(project, "hello"))) == {".lambdaignore", "app.py"}


def test_version_zip_is_its_snapshot(project: Project, project_dir: Path) -> None:
    published, _ = versions.publish(project, "hello")
    (project_dir / "src" / "hello" / "app.py").write_text("def handler(e, c):\n    return 2\n")
    (project_dir / "src" / "hello" / "new.py").write_text("")
    old = package.version_zip(project, "hello", published.version)
    assert set(entries(old)) == {"app.py"}
    assert b"return 2" not in entries(old)["app.py"]
    assert old.sha256 == published.code_sha256
    new = package.function_zip(project, "hello")
    assert set(entries(new)) == {"app.py", "new.py"}
    assert new.sha256 != old.sha256
    assert package.version_zip(project, "hello", "$LATEST") == new


def test_version_zip_of_unknown_version(project: Project) -> None:
    with pytest.raises(Exception, match=r"Function not found: .*:function:hello:7$"):
        package.version_zip(project, "hello", "7")


def test_layer_zip_keeps_its_layout(project: Project, project_dir: Path) -> None:
    built = package.layer_zip(project, project_dir / "layers" / "common")
    assert entries(built) == {"python/shared.py": b"SHARED = 1\n"}
    assert package.layer_zip(project, project_dir / "layers" / "common") == built


def test_requirements_installed_for_lambda_and_cached(
    project: Project, project_dir: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinypkg", "manylinux2014_x86_64", "x86_64")
    (project_dir / "src" / "hello" / "requirements.txt").write_text("tinypkg==1.0\n")
    first = package.function_zip(project, "hello", pip_options=offline(wheels))
    files = entries(first)
    assert files["tinypkg/__init__.py"] == b"VALUE = 'x86_64'\n"
    assert "tinypkg-1.0.dist-info/METADATA" in files
    assert {"app.py", "requirements.txt"} <= set(files)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in files)
    assert ".complete" not in files
    # pip's script, pointed at Lambda's Python rather than this machine's
    assert files["bin/tinypkg-tool"].startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(first.path) as zf:
        assert zf.getinfo("bin/tinypkg-tool").external_attr >> 16 == 0o100755
    assert first.unzipped_size == sum(len(data) for data in files.values())

    shutil.rmtree(project_dir / ".lambda" / "cloud")  # installed again: the same bytes
    assert package.function_zip(project, "hello", pip_options=offline(wheels)) == first

    shutil.rmtree(wheels)  # pip, if it ran again, would find nothing now
    assert package.function_zip(project, "hello", pip_options=offline(wheels)) == first


def test_arm64_takes_the_aarch64_wheel_only(
    project: Project, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinypkg", "manylinux2014_x86_64", "x86_64")
    (project_dir / "src" / "hello" / "requirements.txt").write_text("tinypkg\n")
    monkeypatch.setenv("LAMBDACTL_PIP_OPTIONS", f"--no-index --find-links '{wheels}'")
    with pytest.raises(DependencyError) as failure:
        package.function_zip(project, "hello", architecture="arm64")
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("function hello: pip could not install requirements.txt")
    assert "manylinux2014_aarch64" in message
    assert message.endswith("No matching distribution found for tinypkg")

    make_wheel(wheels, "tinypkg", "manylinux2014_aarch64", "arm64")
    arm = package.function_zip(project, "hello", architecture="arm64")
    assert entries(arm)["tinypkg/__init__.py"] == b"VALUE = 'arm64'\n"
    x86 = package.function_zip(project, "hello")
    assert entries(x86)["tinypkg/__init__.py"] == b"VALUE = 'x86_64'\n"


def test_the_code_wins_a_clash_and_says_so(
    project: Project, project_dir: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinypkg", "manylinux2014_x86_64", "wheel")
    code = project_dir / "src" / "hello"
    (code / "requirements.txt").write_text("tinypkg\n")
    (code / "tinypkg").mkdir()
    (code / "tinypkg" / "__init__.py").write_text("VALUE = 'code'\n")
    built = package.function_zip(project, "hello", pip_options=offline(wheels))
    assert entries(built)["tinypkg/__init__.py"] == b"VALUE = 'code'\n"
    assert built.notes == (
        "function hello: tinypkg/__init__.py is the code's, not the one requirements.txt "
        "installed",
    )


def test_python_version_chooses_the_wheel(
    project: Project, project_dir: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinypkg", "manylinux2014_x86_64", "x86_64")
    (project_dir / "src" / "hello" / "requirements.txt").write_text("tinypkg\n")
    with pytest.raises(DependencyError, match=r"Python 3\.11\).*tinypkg$"):
        package.function_zip(project, "hello", python_version="3.11", pip_options=offline(wheels))


def test_comments_only_requirements_install_nothing(project: Project, project_dir: Path) -> None:
    (project_dir / "src" / "hello" / "requirements.txt").write_text("# none yet\n\n")
    built = package.function_zip(project, "hello", pip_options=["--no-index"])
    assert set(entries(built)) == {"app.py", "requirements.txt"}
    assert not (project_dir / ".lambda" / "cloud" / "deps").exists()


def test_unknown_architecture(project: Project) -> None:
    with pytest.raises(UsageError, match="architecture 'sparc': Lambda's are x86_64, arm64$"):
        package.function_zip(project, "hello", architecture="sparc")


def test_over_250_mb_unzipped_with_layers_is_refused(project: Project, project_dir: Path) -> None:
    big = project_dir / "layers" / "common" / "python" / "big.bin"
    with open(big, "wb") as out:  # sparse: counted by its size, never read to package `hello`
        out.truncate(package.CODE_SIZE_UNZIPPED)
    with pytest.raises(InvalidParameterValueException) as refused:
        package.function_zip(project, "hello")
    assert refused.value.message == "Unzipped size must be smaller than 262144000 bytes"
    assert refused.value.hint is not None and refused.value.hint.startswith("function hello: ")


def test_over_50_mb_zipped_is_refused(project: Project, project_dir: Path) -> None:
    (project_dir / "src" / "hello" / "noise.bin").write_bytes(os.urandom(package.CODE_SIZE_ZIPPED))
    with pytest.raises(Exception) as refused:
        package.function_zip(project, "hello")
    assert str(refused.value) == (
        "RequestEntityTooLargeException: Request must be smaller than 69905067 bytes for the "
        "CreateFunction operation"
    )


def test_zip_entries_are_files_only(project: Project, project_dir: Path) -> None:
    (project_dir / "src" / "hello" / "pkg" / "sub").mkdir(parents=True)
    (project_dir / "src" / "hello" / "pkg" / "sub" / "m.py").write_text("")
    with zipfile.ZipFile(io.BytesIO(package.function_zip(project, "hello").read())) as zf:
        assert not any(info.is_dir() for info in zf.infolist())


def test_missing_code_directory(project: Project, project_dir: Path) -> None:
    shutil.rmtree(project_dir / "src" / "hello")
    with pytest.raises(UsageError, match=r"^function hello: its code directory .*src/hello "):
        package.function_zip(project, "hello")


def test_an_edit_of_the_same_size_makes_a_new_zip(project: Project, project_dir: Path) -> None:
    app = project_dir / "src" / "hello" / "app.py"
    app.write_text("VALUE = 1\n")
    first = package.function_zip(project, "hello")
    app.write_text("VALUE = 2\n")
    second = package.function_zip(project, "hello")
    assert second.sha256 != first.sha256
    assert entries(second)["app.py"] == b"VALUE = 2\n"
    assert first.path.is_file()  # the older zip is kept: a content-addressed name


def test_a_layer_over_250_mb_is_refused_before_zipping(project: Project, tmp_path: Path) -> None:
    layer = tmp_path / "huge"
    (layer / "python").mkdir(parents=True)
    with open(layer / "python" / "data.bin", "wb") as out:
        out.truncate(package.CODE_SIZE_UNZIPPED + 1)  # sparse: zipping it would take long
    refused = ": Unzipped size must be smaller than 262144000 bytes$"
    with pytest.raises(InvalidParameterValueException, match=refused):
        package.layer_zip(project, layer)
    with pytest.raises(UsageError, match=r"^layer gone: its directory .*gone does not exist$"):
        package.layer_zip(project, tmp_path / "gone")


def test_a_function_created_through_the_api_is_its_zip(project: Project) -> None:
    uploaded = zip_of({"index.py": "def handler(e, c):\n    return 1\n"})  # the client's zip
    request = create_request(Code={"ZipFile": uploaded})
    created = functions.create(
        project, "made", Configuration.from_request(request), code=request["Code"]
    )
    built = package.function_zip(project, "made")
    assert built.read() == uploaded
    assert built.sha256 == created.code_sha256
