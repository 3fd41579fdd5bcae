"""`lambdactl tune`: run a function at several memory sizes and recommend one.

Trials run here, never in a running serve (each size needs its own environments). Ctrl-C
stops the trials and reports the sizes that finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from . import completion, render, warm
from .session import OUTPUT_OPTION, Output, session

if TYPE_CHECKING:
    from ..tuning.calibrate import Calibration
    from ..tuning.prices import Price
    from ..tuning.recommend import Recommendation
    from ..tuning.trials import Trial

HONESTY = (
    "Durations are this machine's, not AWS's: the ratios between sizes are what carries over "
    "(CPU share proportional to memory, 1,769 MB = one vCPU)."
)
BAR = 30
"""Width of the terminal chart's longest bar."""


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)


def tune(
    ctx: typer.Context,
    function: str = typer.Argument(
        ..., metavar="FUNCTION[:QUALIFIER]", autocompletion=completion.function_refs
    ),
    payload: str = typer.Option(None, "--payload", "-p", help="The event, as JSON text."),
    event: str = typer.Option(
        None, "--event", "-e", metavar="FILE", help="Read the event from FILE ('-' for stdin)."
    ),
    memory: str = typer.Option(
        "128,256,512,1024,1769,3008",
        "--memory",
        metavar="MB,MB,...",
        help="Memory sizes to try (128..10240); the function's own is added if missing.",
    ),
    runs: int = typer.Option(10, "--runs", min=1, help="Measured warm invokes per size."),
    warm_up: int = typer.Option(
        2, "--warm-up", min=0, help="Invokes discarded per size (the cold start first)."
    ),
    architecture: str = typer.Option(
        "x86_64",
        "--architecture",
        help="x86_64 or arm64: changes only the prices; the code runs on this machine's CPU.",
    ),
    strategy: str = typer.Option("cost", "--strategy", help="cost, speed or balanced."),
    balanced_weight: float = typer.Option(
        0.5,
        "--balanced-weight",
        min=0.0,
        max=1.0,
        help="balanced: weight of cost against duration (0 = speed, 1 = cost), as AWS Lambda "
        "Power Tuning's balancedWeight.",
    ),
    chart: str = typer.Option(
        None, "--chart", metavar="FILE", help="Also write the chart as FILE.svg or FILE.png."
    ),
    output: Output = OUTPUT_OPTION,
) -> None:
    """Run a function at several memory sizes and recommend one (cheapest, fastest, balanced)."""
    from ..errors import UsageError
    from ..tuning import calibrate, prices, recommend, trials

    if architecture not in prices.ARCHITECTURES:
        raise UsageError(f"--architecture must be x86_64 or arm64, not {architecture!r}")
    if strategy not in recommend.STRATEGIES:
        raise UsageError(f"--strategy must be cost, speed or balanced, not {strategy!r}")
    if chart is not None and Path(chart).suffix.lower() not in (".svg", ".png"):
        raise UsageError(f"--chart {chart}: give a .svg or .png file")
    sizes = _sizes(memory)
    body = warm.event_bytes(payload, event)
    project = session(ctx).project()
    ref = project.ref(function)
    current = trials.current_memory(project, ref.name, ref.qualifier)
    if current not in sizes:
        sizes = sorted({*sizes, current})
    price = prices.PRICES[architecture]
    calibration = calibrate.cached(project.manifest.state_dir)
    finished: list[Trial] = []
    interrupted = False
    try:
        with _progress(len(sizes) * (runs + warm_up), quiet=output is Output.json) as advance:
            for trial in trials.run(
                project,
                ref.name,
                qualifier=ref.qualifier,
                payload=body,
                sizes=sizes,
                runs=runs,
                warm_up=warm_up,
                on_invoke=advance,
            ):
                finished.append(trial)
    except KeyboardInterrupt:
        interrupted = True
    candidates = [
        recommend.Candidate(t.memory_mb, t.cost(price), t.p50_ms)
        for t in finished
        if not t.errors and t.durations_ms
    ]
    advice = recommend.recommend(candidates, strategy, weight=balanced_weight, current_mb=current)
    if output is Output.json:
        render.print_json(
            _json(finished, price, calibration, advice, current, interrupted, balanced_weight)
        )
    else:
        _show(finished, price, calibration, advice, current, interrupted, len(sizes))
    if chart is not None and finished:
        _write_chart(Path(chart), finished, price)
    if interrupted:
        raise typer.Exit(130)


def _sizes(text: str) -> list[int]:
    from ..errors import UsageError

    sizes: set[int] = set()
    for part in text.split(","):
        try:
            size = int(part.strip())
        except ValueError:
            raise UsageError(f"--memory {text}: {part.strip()!r} is not a number of MB") from None
        if not 128 <= size <= 10240:
            raise UsageError(f"--memory {text}: {size} is outside 128..10240 MB")
        sizes.add(size)
    return sorted(sizes)


class _progress:
    """A progress bar on stderr while trials run (none for JSON output or a non-terminal)."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        self._bar: Any = None
        if not quiet:
            from rich.console import Console
            from rich.progress import Progress

            console = Console(stderr=True)
            if console.is_terminal:
                self._bar = Progress(console=console, transient=True)
                self._task = self._bar.add_task("trials", total=total)

    def __enter__(self) -> Any:
        if self._bar is not None:
            self._bar.start()

        def advance(size: int) -> None:
            if self._bar is not None:
                self._bar.update(self._task, advance=1, description=f"{size} MB")

        return advance

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _json(
    finished: list[Trial],
    price: Price,
    calibration: Calibration,
    advice: Recommendation | None,
    current: int,
    interrupted: bool,
    weight: float,
) -> dict[str, Any]:
    from ..tuning.prices import PRICES_TAKEN

    return {
        "Sizes": [
            {
                "MemoryMB": t.memory_mb,
                "Runs": len(t.durations_ms),
                "DurationsMs": list(t.durations_ms),
                "DurationP50Ms": t.p50_ms,
                "DurationP90Ms": t.p90_ms,
                "DurationSpreadMs": round(t.spread_ms, 3),
                "BilledDurationMs": t.mean_billed_ms,
                "MaxMemoryUsedMB": t.max_memory_mb,
                "InitDurationMs": t.init_ms,
                "Errors": list(t.errors),
                "CostPerInvocation": t.cost(price),
                "CostPerMillion": t.cost(price) * 1_000_000,
                "InitCost": t.init_cost(price),
            }
            for t in finished
        ],
        "Recommendation": None
        if advice is None
        else {
            "Strategy": advice.strategy,
            "MemoryMB": advice.memory_mb,
            "BalancedWeight": weight,
            "CurrentMemoryMB": current,
            "CostChange": advice.cost_change,
            "DurationChange": advice.duration_change,
        },
        "Prices": {
            "Architecture": price.architecture,
            "GBSecond": price.gb_second,
            "Request": price.request,
            "Taken": PRICES_TAKEN,
        },
        "Calibration": {
            "WorkloadMs": calibration.workload_ms,
            "Machine": calibration.machine,
            "Python": calibration.python,
        },
        "Interrupted": interrupted,
        "Note": HONESTY,
    }


def _money(value: float) -> str:
    """Dollars: cents for sums, three significant digits for a single invocation's cost."""
    return f"${value:,.2f}" if value >= 0.01 else f"${value:.3g}"


def _show(
    finished: list[Trial],
    price: Price,
    calibration: Calibration,
    advice: Recommendation | None,
    current: int,
    interrupted: bool,
    planned: int,
) -> None:
    from ..tuning.prices import PRICES_TAKEN

    rows = []
    for t in finished:
        mark = " *" if t.memory_mb == current else ""
        rows.append(
            (
                f"{t.memory_mb}{mark}",
                f"{t.p50_ms:.1f}",
                f"{t.p90_ms:.1f}",
                f"±{t.spread_ms:.1f}",
                f"{t.mean_billed_ms:.0f}",
                f"{t.max_memory_mb}",
                "-" if t.init_ms is None else f"{t.init_ms:.1f}",
                _money(t.cost(price)),
                _money(t.cost(price) * 1_000_000),
                _money(t.init_cost(price)),
                ", ".join(sorted(set(t.errors))) or "-",
            )
        )
    render.table(
        f"MB and ms; {price.architecture} prices of {PRICES_TAKEN} (* = current size)",
        (
            "MB",
            "p50",
            "p90",
            "Spread",
            "Billed",
            "Max",
            "Init",
            "$/invoke",
            "$/1M",
            "$/init",
            "Errors",
        ),
        rows,
        give_way={"Errors": "fold"},
    )
    for text in chart_lines(finished, price):
        render.line(text)
    if interrupted:
        render.warning(f"interrupted: {len(finished)} of {planned} sizes finished")
    if advice is None:
        render.warning("no size ran without errors: nothing to recommend")
    else:
        render.line(_advice_text(advice))
    render.line(HONESTY)
    render.line(
        f"This machine: the calibration workload takes {calibration.workload_ms:.1f} ms on one "
        f"core ({calibration.machine}, {calibration.python})"
    )
    if price.architecture == "arm64":
        render.line("--architecture changes only the prices: the code ran on this machine's CPU")


def _advice_text(advice: Recommendation) -> str:
    text = f"Recommended ({advice.strategy}): {advice.memory_mb} MB"
    if advice.current_mb is None or advice.cost_change is None:
        return text
    if advice.memory_mb == advice.current_mb:
        return f"{text}, the current setting"
    assert advice.duration_change is not None
    return (
        f"{text}: {_change(advice.cost_change, 'cheaper', 'dearer')} and "
        f"{_change(advice.duration_change, 'faster', 'slower')} than the current "
        f"{advice.current_mb} MB"
    )


def _change(change: float, better: str, worse: str) -> str:
    return f"{abs(change):.0%} {better if change <= 0 else worse}"


def chart_lines(finished: list[Trial], price: Price) -> list[str]:
    """Duration (p50) and cost per invocation against memory, as bars of text."""
    measured = [t for t in finished if t.durations_ms]
    if not measured:
        return []
    longest = max(t.p50_ms for t in measured) or 1.0
    dearest = max(t.cost(price) for t in measured) or 1.0
    out = ["Duration p50 (#) and cost per invocation (=) against memory:"]
    for t in measured:
        duration = "#" * max(1, round(t.p50_ms / longest * BAR))
        cost = "=" * max(1, round(t.cost(price) / dearest * BAR))
        out.append(f"{t.memory_mb:>6} MB  {duration:<{BAR}} {t.p50_ms:.1f} ms")
        out.append(f"{'':>9}  {cost:<{BAR}} {_money(t.cost(price))}")
    return out


def _write_chart(path: Path, finished: list[Trial], price: Price) -> None:
    from ..errors import UsageError

    try:
        import matplotlib
    except ImportError:
        raise UsageError(
            f"--chart {path}: needs matplotlib: pip install 'lambdactl[chart]'"
        ) from None
    matplotlib.use("Agg")
    from matplotlib import pyplot

    measured = [t for t in finished if t.durations_ms]
    figure, duration_axis = pyplot.subplots(figsize=(7, 4))
    sizes = [t.memory_mb for t in measured]
    duration_axis.plot(sizes, [t.p50_ms for t in measured], "o-", color="tab:blue")
    duration_axis.set_xlabel("memory (MB)")
    duration_axis.set_ylabel("duration p50 (ms, this machine)", color="tab:blue")
    cost_axis = duration_axis.twinx()
    cost_axis.plot(sizes, [t.cost(price) * 1_000_000 for t in measured], "s--", color="tab:orange")
    cost_axis.set_ylabel(f"cost per 1M invocations (USD, {price.architecture})", color="tab:orange")
    figure.suptitle("lambdactl tune")
    figure.tight_layout()
    try:
        figure.savefig(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        pyplot.close(figure)
