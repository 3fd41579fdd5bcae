"""The plugin as users meet it: registered by installing lambdactl, a `lambdactl` fixture on
the project found from the test file, warm environments across tests, nothing heavy imported
until it is used, and the CLI without pytest."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.testing.conftest import REPO, run

pytest_plugins = ("pytester",)


def test_registered_by_the_entry_point(functions: pytest.Pytester) -> None:
    markers = functions.runpytest_subprocess("--markers", timeout=60)
    markers.stdout.fnmatch_lines(["@pytest.mark.lambdactl(manifest=None, env=None):*"])
    usage = functions.runpytest_subprocess("--help", timeout=60)
    usage.stdout.fnmatch_lines(["lambdactl:", "*--lambdactl-cold*"])


def test_invoke_returns_the_result(functions: pytest.Pytester) -> None:
    result = run(
        functions,
        """
        import base64, dataclasses, os
        import pytest

        def test_ok(lambdactl):
            got = lambdactl.invoke("hello", {"name": "ada"}, client_context={"custom": {"k": 1}})
            assert got.status_code == 200
            assert got.payload["hello"] == "ada"
            assert got.payload["greeting"] == "Hello"
            assert got.payload["client"] == {"k": 1}
            assert got.function_error is None
            assert got.executed_version == "$LATEST"
            assert got.duration_ms > 0
            lines = got.log.splitlines()
            assert lines[-4:-1] == [
                f"START RequestId: {got.request_id} Version: $LATEST",
                "handling ada",
                f"END RequestId: {got.request_id}",
            ]
            assert lines[-1].startswith(f"REPORT RequestId: {got.request_id}\tDuration: ")
            assert lines[0].startswith("INIT_START ")  # the first test: a cold start
            with pytest.raises(dataclasses.FrozenInstanceError):
                got.payload = None

        def test_error(lambdactl):
            got = lambdactl.invoke("hello", {"fail": True})
            assert got.function_error == "Unhandled"
            assert got.payload["errorType"] == "ValueError"
            assert got.payload["errorMessage"] == "asked to fail"

        def test_text_payload_and_no_event(lambdactl):
            got = lambdactl.invoke("hello")
            assert got.payload["hello"] == "world"

        def test_an_edit_of_the_code_is_seen(lambdactl):
            code = lambdactl.project.function("hello").code / "app.py"
            code.write_text(code.read_text().replace('"hello": event', '"edited": event'))
            assert lambdactl.invoke("hello").payload["edited"] == "world"

        def test_refused_before_running(lambdactl):
            from lambdactl.errors import ResourceNotFoundException
            with pytest.raises(ResourceNotFoundException, match="Function not found"):
                lambdactl.invoke("nope")
        """,
    )
    result.assert_outcomes(passed=5)


WARM_TESTS = """
import json, os

PIDS = os.path.join(os.path.dirname(__file__), "pids.txt")

def test_first(lambdactl):
    with open(PIDS, "a") as out:
        out.write(json.dumps(lambdactl.invoke("hello").payload["pid"]) + "\\n")

def test_second(lambdactl):
    with open(PIDS, "a") as out:
        out.write(json.dumps(lambdactl.invoke("hello").payload["pid"]) + "\\n")
"""


def test_environments_stay_warm_across_tests(functions: pytest.Pytester) -> None:
    run(functions, WARM_TESTS).assert_outcomes(passed=2)
    pids = (functions.path / "tests" / "pids.txt").read_text().split()
    assert len(pids) == 2 and pids[0] == pids[1]


def test_cold_option_starts_each_test_cold(functions: pytest.Pytester) -> None:
    run(functions, WARM_TESTS, "--lambdactl-cold").assert_outcomes(passed=2)
    pids = (functions.path / "tests" / "pids.txt").read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1]


def test_marker_names_the_manifest_and_the_variables(functions: pytest.Pytester) -> None:
    other = functions.path / "elsewhere"
    (other / "code").mkdir(parents=True)
    manifest = "functions:\n  there:\n    handler: m.h\n    code: code\n"
    (other / "functions.yaml").write_text(manifest)
    (other / "code" / "m.py").write_text(
        "import os\ndef h(event, context):\n    return os.environ.get('STAGE')\n"
    )
    result = run(
        functions,
        """
        import pytest

        @pytest.mark.lambdactl(manifest="../elsewhere", env={"STAGE": "test"})
        def test_other_manifest(lambdactl):
            assert lambdactl.invoke("there").payload == "test"

        @pytest.mark.lambdactl(env={"hello": {"GREETING": "Hi"}})
        def test_one_functions_variables(lambdactl):
            assert lambdactl.invoke("hello").payload["greeting"] == "Hi"

        def test_back_to_the_manifests(lambdactl):
            assert lambdactl.invoke("hello").payload["greeting"] == "Hello"

        @pytest.mark.lambdactl(env={"AWS_REGION": "x"})
        def test_reserved_variable(lambdactl):
            pass

        @pytest.mark.lambdactl(manifest="missing.yaml")
        def test_no_such_manifest(lambdactl):
            pass
        """,
    )
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*lambdactl: @pytest.mark.lambdactl(env=...): AWS_REGION: Lambda was unable*",
            "*lambdactl: manifest not found: *missing.yaml",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_test_without_a_manifest_above_it_errors_in_one_line(
    functions: pytest.Pytester,
) -> None:
    (functions.path / "functions.yaml").unlink()
    result = run(functions, "def test_x(lambdactl):\n    pass\n")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*lambdactl: no functions.yaml in * or any parent directory"])


def test_nothing_heavy_is_imported_until_a_test_uses_the_fixture(
    functions: pytest.Pytester,
) -> None:
    result = run(
        functions,
        """
        import sys

        def test_a_plain_test():
            loaded = sorted(m for m in sys.modules if m.startswith("lambdactl"))
            assert loaded == ["lambdactl", "lambdactl.testing", "lambdactl.testing.plugin"]
            assert not {"yaml", "boto3", "starlette", "typer", "rich"} & set(sys.modules)

        def test_using_it(lambdactl):
            assert "lambdactl.invoke" in sys.modules
        """,
    )
    result.assert_outcomes(passed=2)


def test_the_cli_never_imports_pytest(functions: pytest.Pytester) -> None:
    probe = (
        "import sys\n"
        "from lambdactl.cli import run\n"
        "codes = [run(['invoke', 'hello']), run(['events', 'generate', 'sqs', '--body', 'x'])]\n"
        "print(json.dumps([codes, 'pytest' in sys.modules, '_pytest' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + probe],
        capture_output=True,
        text=True,
        cwd=functions.path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [[0, 0], False, False]
