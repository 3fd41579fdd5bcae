"""A fresh state per test: copied from the session's template, caches kept, the project's own
`.lambda/` never touched; and what two tests that publish see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdactl.testing import state
from tests.testing.conftest import run

pytest_plugins = ("pytester",)


def test_reset_replaces_the_state_and_keeps_the_caches(tmp_path: Path) -> None:
    template, live = tmp_path / "template", tmp_path / "live"
    (template / "code").mkdir(parents=True)
    (template / "code" / "blob").write_text("template's")
    (template / "state.db").write_text("template's")
    (live / "pycache" / "rev").mkdir(parents=True)
    (live / "deps").mkdir()
    (live / "deps" / "mod.py").write_text("cached")
    (live / "state.db").write_text("a test's")
    (live / "state.db-wal").write_text("a test's")
    (live / "ledger").mkdir()
    (live / "worker.log").write_text("a test's")

    state.reset(live, template)

    assert sorted(p.name for p in live.iterdir()) == ["code", "deps", "pycache", "state.db"]
    assert (live / "state.db").read_text() == "template's"
    assert (live / "code" / "blob").read_text() == "template's"
    assert (live / "deps" / "mod.py").read_text() == "cached"
    assert (live / "pycache" / "rev").is_dir()
    assert (template / "state.db").read_text() == "template's"


def test_the_template_holds_the_manifest_state_and_no_cache(project_dir: Path) -> None:
    manifest = state.load(project_dir / "functions.yaml", project_dir.parent / "template")
    state.make_template(manifest)
    made = {p.name for p in manifest.state_dir.iterdir()}
    assert "state.db" in made
    assert not made & set(state.CACHES)
    assert not (project_dir / ".lambda").exists()


def test_each_test_starts_from_the_template(functions: pytest.Pytester) -> None:
    result = run(
        functions,
        """
        import json, os
        from lambdactl import versions

        SEEN = os.path.join(os.path.dirname(__file__), "seen.json")

        def note(**facts):
            with open(SEEN, "a") as out:
                out.write(json.dumps(facts) + "\\n")

        def test_first(lambdactl):
            lambdactl.invoke("hello", {"name": "first"})
            assert lambdactl.publish("hello") == "1"
            assert lambdactl.publish("hello", description="same code: same version") == "1"
            one = lambdactl.invoke("hello", qualifier="1")
            lambdactl.queue("inbox").send("from the first test")
            note(
                latest=versions.latest(lambdactl.project, "hello").revision_id,
                state=str(lambdactl.state_dir),
                v1_pid=one.payload["pid"],
                latest_pid=lambdactl.invoke("hello").payload["pid"],
            )

        def test_second(lambdactl):
            assert versions.list_versions(lambdactl.project, "hello")[1:] == []
            assert lambdactl.queue("inbox").receive() == []
            assert lambdactl.logs("hello") == []
            assert lambdactl.publish("hello") == "1"
            one = lambdactl.invoke("hello", qualifier="1")
            assert [v.version for v in versions.list_versions(lambdactl.project, "hello")] == [
                "$LATEST", "1"
            ]
            assert not any("first" in line for line in lambdactl.logs())
            note(
                latest=versions.latest(lambdactl.project, "hello").revision_id,
                state=str(lambdactl.state_dir),
                v1_pid=one.payload["pid"],
                latest_pid=lambdactl.invoke("hello").payload["pid"],
            )
        """,
    )
    result.assert_outcomes(passed=2)
    seen = (functions.path / "tests" / "seen.json").read_text().splitlines()
    first, second = map(json.loads, seen)
    assert first["latest"] == second["latest"]  # the template's RevisionId
    assert first["state"] == second["state"]  # one path: warm environments' paths stay valid
    assert first["latest_pid"] == second["latest_pid"]  # `$LATEST` stayed warm
    assert first["v1_pid"] != second["v1_pid"]  # version 1 is each test's own
    assert not (functions.path / ".lambda").exists()
