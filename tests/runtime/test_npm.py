"""What a Node.js function can import besides its code: its package.json's packages (from the
npm registry, installed once per content), its layers' `nodejs/node_modules`, and the AWS SDK
for JavaScript v3 on demand. CommonJS `require` and ES module `import` both find them, as on
AWS."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lambdactl import versions
from lambdactl.invoke import Invoker
from lambdactl.project import Project
from lambdactl.runtime import dependencies, interpreters, npm
from tests.runtime import Deployment, payload

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "node"

PACKAGE = {"name": "f", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}
"""A small package with no dependencies of its own, from the npm registry."""

CJS = """\
const ms = require("ms");
exports.handler = async () => ({
  kind: "cjs",
  ms: ms("2h"),
  dynamic: (await import("ms")).default("1m"),
  file: require.resolve("ms"),
});
"""

ESM = """\
import ms from "ms";
export const handler = async () => ({ kind: "esm", ms: ms("2h") });
"""


def runtime() -> str:
    """The runtime of the node that runs the tests' functions: no version warning."""
    found = interpreters.node_for_runtime("nodejs20.x")
    assert found is not None
    return f"nodejs{npm.major(found)}.x"


def function(deploy: Deployment, name: str, files: dict[str, str]) -> Path:
    """Write `files` into function `name`'s code directory."""
    code = deploy.root / "src" / name
    for target, text in files.items():
        (code / target).parent.mkdir(parents=True, exist_ok=True)
        (code / target).write_text(text)
    return code


def test_package_json_is_installed_once_and_found_by_require_and_import(
    deploy: Deployment, project_dir: Path
) -> None:
    spec = {"handler": "index.handler", "runtime": runtime(), "timeout": 10}
    invoker = deploy(cjs=spec, esm={**spec, "handler": "app.handler"})
    function(deploy, "cjs", {"index.js": CJS, "package.json": json.dumps(PACKAGE)})
    function(deploy, "esm", {"app.mjs": ESM, "package.json": json.dumps(PACKAGE)})
    cjs = payload(invoker.invoke("cjs"))
    assert cjs["kind"] == "cjs" and cjs["ms"] == 7200000 and cjs["dynamic"] == 60000
    assert payload(invoker.invoke("esm")) == {"kind": "esm", "ms": 7200000}
    installed = Path(cjs["file"]).parents[2]
    assert installed.parent == project_dir / ".lambda" / "deps"
    assert not (deploy.code_dir("cjs") / "node_modules").exists()  # the code is left alone
    assert [p.name for p in installed.parent.iterdir() if p.is_dir()] == [installed.name]
    before = (installed / ".complete").stat()
    deploy.close()  # a second cold start, of a new process: no npm run
    project = Project.open(project_dir / "functions.yaml")
    try:
        versions.publish(project, "esm")
        with Invoker(project) as again:
            assert payload(again.invoke("cjs"))["ms"] == 7200000
            assert payload(again.invoke("esm:1")) == {"kind": "esm", "ms": 7200000}
    finally:
        project.close()
    after = (installed / ".complete").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in installed.parent.iterdir() if p.is_dir()] == [installed.name]


MS_LOCK = {
    "name": "f",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "f", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}},
        "node_modules/ms": {
            "version": "2.1.3",
            "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
            "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/X"
            "XP6tz7R9xAOtHnSO/tXtF3WRTlA==",
        },
    },
}
"""What `npm install --package-lock-only` writes for `ms` 2.1.3 (a tiny package with no
dependencies of its own, from the npm registry)."""


def test_a_lock_file_installs_with_npm_ci(deploy: Deployment) -> None:
    invoker = deploy(f={"handler": "app.handler", "runtime": runtime(), "timeout": 10})
    code = function(
        deploy,
        "f",
        {
            "app.mjs": ESM,
            "package.json": json.dumps(PACKAGE),
            "package-lock.json": json.dumps(MS_LOCK),
        },
    )
    assert payload(invoker.invoke("f")) == {"kind": "esm", "ms": 7200000}
    assert not (code / "node_modules").exists()


def test_a_failing_npm_is_one_clear_error(deploy: Deployment, cli: Any) -> None:
    deploy(f={"handler": "index.handler", "runtime": runtime(), "timeout": 10})
    bad = {"name": "f", "dependencies": {"ms": "99.99.99"}}
    function(deploy, "f", {"index.js": CJS, "package.json": json.dumps(bad)})
    done = cli("invoke", "f")
    assert done.code == dependencies.DependencyError.exit_code
    lines = done.err.splitlines()
    spec = deploy.code_dir("f") / "package.json"
    assert lines[0].startswith(f"error: installing {spec} failed: ")
    assert "No matching version found for ms@99.99.99" in lines[0]
    assert "Traceback" not in done.err
    assert not [p for p in (deploy.root / ".lambda" / "deps").iterdir() if p.is_dir()]


def test_a_code_directory_with_its_own_node_modules_is_used_as_is(deploy: Deployment) -> None:
    invoker = deploy(f={"handler": "app.handler", "runtime": runtime(), "timeout": 10})
    bad = {"name": "f", "dependencies": {"ms": "99.99.99"}}  # would fail, were it installed
    function(
        deploy,
        "f",
        {
            "app.mjs": ESM,
            "package.json": json.dumps(bad),
            "node_modules/ms/package.json": '{"name": "ms", "main": "index.js"}',
            "node_modules/ms/index.js": "module.exports = () => 'own';",
        },
    )
    assert payload(invoker.invoke("f")) == {"kind": "esm", "ms": "own"}
    assert not (deploy.root / ".lambda" / "deps").exists()


LAYERED_CJS = """\
exports.handler = async () => ({
  layered: require("layered").from,
  shared: require("shared").from,
  esm: (await import("layered")).default.from,
});
"""

LAYERED_ESM = """\
import layered from "layered";
import shared from "shared";
export const handler = async () => ({ layered: layered.from, shared: shared.from });
"""


def test_layers_node_modules_in_aws_s_order_for_require_and_import(
    deploy: Deployment, project_dir: Path
) -> None:
    shutil.copytree(FIXTURES / "layer", project_dir / "layers" / "nodelib")
    spec = {"handler": "index.handler", "timeout": 10, "layers": ["layers/nodelib"]}
    invoker = deploy(
        n20={**spec, "runtime": "nodejs20.x"},
        n22={**spec, "runtime": "nodejs22.x"},
        esm={**spec, "runtime": "nodejs22.x", "handler": "app.handler"},
        own={**spec, "runtime": "nodejs22.x", "handler": "app.handler"},
    )
    for name in ("n20", "n22"):
        function(deploy, name, {"index.js": LAYERED_CJS})
    function(deploy, "esm", {"app.mjs": LAYERED_ESM})
    own_shared = "module.exports = { from: 'own' };"
    function(
        deploy,
        "own",
        {
            "app.mjs": LAYERED_ESM,
            "node_modules/shared/package.json": '{"name": "shared", "main": "index.js"}',
            "node_modules/shared/index.js": own_shared,
        },
    )
    # nodejs/node20/node_modules comes before nodejs/node_modules, for nodejs20.x only
    assert payload(invoker.invoke("n20")) == {
        "layered": "nodejs/node20/node_modules",
        "shared": "layer",
        "esm": "nodejs/node20/node_modules",
    }
    assert payload(invoker.invoke("n22")) == {
        "layered": "nodejs/node_modules",
        "shared": "layer",
        "esm": "nodejs/node_modules",
    }
    assert payload(invoker.invoke("esm")) == {"layered": "nodejs/node_modules", "shared": "layer"}
    # the function's own node_modules comes first
    assert payload(invoker.invoke("own")) == {"layered": "nodejs/node_modules", "shared": "own"}


def test_an_esm_import_found_nowhere_is_still_node_s_error(
    deploy: Deployment, project_dir: Path
) -> None:
    shutil.copytree(FIXTURES / "layer", project_dir / "layers" / "nodelib")
    invoker = deploy(
        f={"handler": "app.handler", "runtime": runtime(), "layers": ["layers/nodelib"]}
    )
    function(deploy, "f", {"app.mjs": 'import x from "not-anywhere";\nexport const handler = x;\n'})
    error = json.loads(invoker.invoke("f").payload)
    assert error["errorType"] == "Error"
    assert error["errorMessage"].startswith("Cannot find package 'not-anywhere' imported from ")


def test_imported_sdk_packages_are_read_from_the_sources(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "index.js").write_text(
        'const { LambdaClient } = require("@aws-sdk/client-lambda");\n'
        "const s3 = require( '@aws-sdk/client-s3/dist-cjs/index.js' );\n"
        "// '@aws-sdk/not-a-module' in a comment is no import\n"
    )
    (tmp_path / "lib" / "a.mjs").write_text(
        'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\n'
        'import {\n  marshall,\n} from "@aws-sdk/util-dynamodb";\n'
        'export * from "@aws-sdk/lib-storage";\n'
        'const sqs = await import("@aws-sdk/client-sqs");\n'
    )
    (tmp_path / "node_modules" / "x" / "index.js").write_text('require("@aws-sdk/client-sts")')
    assert npm.imported_sdk(tmp_path) == [
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/client-lambda",
        "@aws-sdk/client-s3",
        "@aws-sdk/client-sqs",
        "@aws-sdk/lib-storage",
        "@aws-sdk/util-dynamodb",
    ]
    (tmp_path / "lib" / "a.mjs").write_text('import { STS } from "@aws-sdk/client-sts";\n')
    assert npm.imported_sdk(tmp_path) == [
        "@aws-sdk/client-lambda",
        "@aws-sdk/client-s3",
        "@aws-sdk/client-sts",
    ]


def test_npm_error_is_npm_s_own_lines_in_one() -> None:
    stderr = (
        "npm error code ETARGET\n"
        "npm error notarget No matching version found for ms@99.99.99.\n"
        "npm error notarget In most cases you or one of your dependencies are requesting\n"
        "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log\n"
    )
    assert npm.npm_error(stderr) == (
        "notarget No matching version found for ms@99.99.99.; notarget In most cases you or "
        "one of your dependencies are requesting"
    )


SDK_CALLER = """\
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";

const client = new LambdaClient({});

export const handler = async (event) => {
  const out = await client.send(
    new InvokeCommand({ FunctionName: "py", Payload: JSON.stringify(event) }),
  );
  return {
    status: out.StatusCode,
    payload: JSON.parse(Buffer.from(out.Payload).toString()),
    sdk: import.meta.resolve("@aws-sdk/client-lambda"),
  };
};
"""


@pytest.fixture(scope="session")
def sdk_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The AWS SDK cache of the session's projects: each links `.lambda/deps/aws-sdk-node<N>`
    here, so `@aws-sdk/client-lambda` is installed once per test session."""
    return tmp_path_factory.mktemp("aws-sdk")


def test_the_aws_sdk_a_function_imports_is_offered_and_calls_serve(
    deploy: Deployment, project_dir: Path, sdk_cache: Path
) -> None:
    from lambdactl.api.threaded import Endpoint
    from tests.runtime import fn, write_functions

    node = interpreters.node_for_runtime(runtime())
    assert node is not None
    deps = project_dir / ".lambda" / "deps"
    deps.mkdir(parents=True)
    (deps / f"aws-sdk-node{npm.major(node)}").symlink_to(sdk_cache, target_is_directory=True)
    path = write_functions(
        project_dir,
        {
            "caller": {"handler": "app.handler", "runtime": runtime(), "timeout": 60},
            "py": fn("app.echo", "basic.py"),
        },
    )
    function(deploy, "caller", {"app.mjs": SDK_CALLER})
    project = Project.open(path)
    invoker = Invoker(project)
    endpoint = Endpoint(project, invoker)
    try:
        invoker.attach(endpoint.url)  # its environments get AWS_ENDPOINT_URL_LAMBDA
        result = invoker.invoke("caller", payload=b'{"from": "node"}')
    finally:
        endpoint.close()
        invoker.close()
        project.close()
    assert result.function_error is None, result.payload
    answer = json.loads(result.payload)
    assert answer["status"] == 200
    assert answer["payload"] == {"from": "node"}
    assert answer["sdk"].startswith(f"file://{sdk_cache}/node_modules/@aws-sdk/client-lambda/")
    assert not (deploy.code_dir("caller") / "node_modules").exists()


def test_an_sdk_package_the_function_brings_is_not_installed(tmp_path: Path) -> None:
    node = interpreters.node_for_runtime(runtime())
    assert node is not None
    code, own = tmp_path / "code", tmp_path / "layer" / "nodejs" / "node_modules"
    (own / "@aws-sdk" / "client-lambda").mkdir(parents=True)
    (own / "@aws-sdk" / "client-lambda" / "package.json").write_text("{}")
    code.mkdir()
    (code / "index.js").write_text('require("@aws-sdk/client-lambda");\n')
    assert npm.sdk(code, tmp_path / "state", node, own=[own]) is None
    assert not (tmp_path / "state").exists()


def test_an_sdk_install_that_cannot_reach_the_registry_is_one_clear_line(
    deploy: Deployment, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as unused:  # a port nothing listens on: the registry is unreachable
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    deploy(f={"handler": "index.handler", "runtime": runtime(), "timeout": 10})
    function(deploy, "f", {"index.js": 'const s3 = require("@aws-sdk/client-s3");\n'})
    done = cli("invoke", "f")
    assert done.code == dependencies.DependencyError.exit_code
    first = done.err.splitlines()[0]
    assert first.startswith(
        "error: installing @aws-sdk/client-s3 (the AWS SDK for JavaScript v3, which AWS's "
        "Node.js runtimes include) failed: "
    )
    assert "ECONNREFUSED" in first
    assert "Traceback" not in done.err


def test_a_package_json_without_dependencies_installs_nothing(deploy: Deployment) -> None:
    invoker = deploy(f={"handler": "index.handler", "runtime": runtime(), "timeout": 10})
    module = 'export const handler = async () => "esm by package.json";\n'
    function(deploy, "f", {"index.js": module, "package.json": '{"type": "module"}'})
    assert payload(invoker.invoke("f")) == "esm by package.json"
    assert not (deploy.root / ".lambda" / "deps").exists()


OUT_OF_SYNC = "package.json failed: .*in sync"


def test_a_held_latest_installs_the_packages_it_holds_and_prepare_the_tree_s(
    deploy: Deployment,
) -> None:
    """What `lambdactl dev` does while an edited package.json installs: a cold start of the
    held `$LATEST` installs the package files it is held at (none here), not the tree's;
    `Invoker.prepare` installs the tree's, telling `started` npm's process; once released,
    `$LATEST` installs the tree's again. (npm fails here, offline: a lock file out of sync.)"""
    deploy(f={"handler": "index.handler", "runtime": runtime(), "timeout": 10})
    handler = 'exports.handler = async () => "no packages";\n'
    stale = {"lockfileVersion": 3, "packages": {"": {"dependencies": {"ms": "1.0.0"}}}}
    files = {"package.json": json.dumps(PACKAGE), "package-lock.json": json.dumps(stale)}
    function(deploy, "f", {"index.js": handler, **files})
    project = Project.open(deploy.root / "functions.yaml")
    try:
        with Invoker(project, watch_code=True) as invoker:
            versions.hold(project, "f", b"", packages=(b"", None))
            assert payload(invoker.invoke("f")) == "no packages"
            assert not (deploy.root / ".lambda" / "deps").exists()  # npm never ran
            seen: list[Any] = []
            with pytest.raises(dependencies.DependencyError, match=OUT_OF_SYNC):
                invoker.prepare("f", started=seen.append)
            assert len(seen) == 1 and seen[0].returncode not in (None, 0)
            versions.release(project, "f")
            invoker.retire("f")
            with pytest.raises(dependencies.DependencyError, match=OUT_OF_SYNC):
                invoker.invoke("f")
    finally:
        project.close()
