"""`lambdactl tune` through the real CLI: the table and chart, JSON, bad input, the optional
chart picture, and Ctrl-C reporting what finished."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MANIFEST = """\
region: us-east-1
account: "123456789012"
functions:
  work:
    handler: app.handler
    code: src/work
    memory: 256
"""
SLOW = """\
import os
import time

def handler(event, context):
    marker = os.path.join(os.environ["MARKERS"], str(context.memory_limit_in_mb))
    with open(marker, "a") as f:
        f.write("x")
    time.sleep(0.1)
    return "done"
"""
QUICK = """\
def handler(event, context):
    return sum(range(1000))
"""


@pytest.fixture
def work(project_dir: Path) -> Path:
    (project_dir / "src" / "work").mkdir(parents=True)
    (project_dir / "src" / "work" / "app.py").write_text(QUICK)
    (project_dir / "functions.yaml").write_text(MANIFEST)
    return project_dir


def test_table_chart_and_honesty(cli, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "120")
    result = cli("tune", "work", "--memory", "128", "--runs", "2", "--warm-up", "1")
    assert result.code == 0, result.err
    out = result.out
    assert "x86_64 prices of " in out and "256 *" in out  # the current size is added
    assert "Duration p50 (#) and cost per invocation (=) against memory:" in out
    assert "Recommended (cost): " in out
    assert "Durations are this machine's, not AWS's" in out
    assert "This machine: the calibration workload takes " in out


def test_json_gives_every_figure(cli, work: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(
        "tune", "work", "--memory", "128,1024", "--runs", "2", "--warm-up", "1",
        "--architecture", "arm64", "--strategy", "balanced", "--balanced-weight", "0.3",
        "-o", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {"Sizes", "Recommendation", "Prices", "Calibration", "Interrupted", "Note"}
    assert [s["MemoryMB"] for s in data["Sizes"]] == [128, 256, 1024]
    for size in data["Sizes"]:
        assert len(size["DurationsMs"]) == size["Runs"] == 2
        assert size["Errors"] == [] and size["InitDurationMs"] > 0
        assert size["CostPerMillion"] == pytest.approx(size["CostPerInvocation"] * 1e6)
    assert data["Prices"]["Architecture"] == "arm64"
    assert data["Prices"]["GBSecond"] == 0.0000133334
    assert data["Recommendation"]["Strategy"] == "balanced"
    assert data["Recommendation"]["BalancedWeight"] == 0.3
    assert data["Recommendation"]["CurrentMemoryMB"] == 256
    assert data["Interrupted"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--memory", "64"), "--memory 64: 64 is outside 128..10240 MB"),
        (("--memory", "128,big"), "--memory 128,big: 'big' is not a number of MB"),
        (("--architecture", "sparc"), "--architecture must be x86_64 or arm64, not 'sparc'"),
        (("--strategy", "cheap"), "--strategy must be cost, speed or balanced, not 'cheap'"),
        (("--chart", "out.gif"), "--chart out.gif: give a .svg or .png file"),
    ],
)
def test_bad_input_is_one_line(cli, work: Path, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("tune", "work", *args)
    assert result.code != 0
    assert message in result.err and "Traceback" not in result.err


def test_chart_without_matplotlib_says_how_to_install(cli, work: Path) -> None:  # type: ignore[no-untyped-def]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("matplotlib is installed: the SVG test covers --chart")
    result = cli("tune", "work", "--memory", "256", "--runs", "1", "--warm-up", "0",
                 "--chart", "out.svg")  # fmt: skip
    assert result.code != 0
    assert "pip install 'lambdactl[chart]'" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_chart_svg(cli, work: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("matplotlib", reason="the optional extra `chart` is not installed")
    result = cli("tune", "work", "--memory", "128", "--runs", "1", "--warm-up", "0",
                 "--chart", "out.svg")  # fmt: skip
    assert result.code == 0, result.err
    assert "<svg" in (work / "out.svg").read_text()


def test_ctrl_c_reports_what_finished(work: Path, tmp_path: Path) -> None:
    (work / "src" / "work" / "app.py").write_text(SLOW)
    markers = tmp_path / "markers"
    markers.mkdir()
    manifest = work / "functions.yaml"
    manifest.write_text(MANIFEST + f"    environment: {{MARKERS: {markers}}}\n")
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:  # a background test run: let the child see Ctrl-C
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "lambdactl", "tune", "work", "--memory", "128,256,512",
             "--runs", "2", "--warm-up", "0", "-o", "json"],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    finally:
        if previous is signal.SIG_IGN:
            signal.signal(signal.SIGINT, previous)
    try:
        deadline = time.monotonic() + 60
        while not (markers / "256").exists():  # 128 MB finished, 256 MB under way
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    data = json.loads(out)
    assert data["Interrupted"] is True
    finished = [s["MemoryMB"] for s in data["Sizes"]]
    assert finished[0] == 128 and 512 not in finished
    assert data["Sizes"][0]["Runs"] == 2
    assert not (markers / "512").exists()


def test_a_version_is_tuned_at_its_own_size(cli, work: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("publish", "work").code == 0
    manifest = work / "functions.yaml"
    manifest.write_text(manifest.read_text().replace("memory: 256", "memory: 512"))
    result = cli("tune", "work:1", "--memory", "128", "--runs", "1", "--warm-up", "0", "-o", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert [s["MemoryMB"] for s in data["Sizes"]] == [128, 256]
    assert data["Recommendation"]["CurrentMemoryMB"] == 256
