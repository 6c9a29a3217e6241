"""A monitor run's plots and HTML report, written to the artifact store.

Under ``monitors/<workspace>/<monitor>/runs/<number>/``: ``report.html`` (self-contained),
``histograms/<signal>/<feature>.png`` and ``series/<signal>/<metric>.png``.
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from opsloop.monitoring.report import Series, plot_histogram, plot_series, write_html
from opsloop.schemas.monitors import MonitorResult
from opsloop.services.context import ServiceContext
from opsloop.services.monitor_signals import SignalOutcome
from opsloop.store.monitor_tables import MonitorResultRow, MonitorRow, MonitorRunRow

REPORT_FILE = "report.html"


def write_report(
    ctx: ServiceContext,
    workspace: str,
    monitor: MonitorRow,
    run: MonitorRunRow,
    outcomes: Sequence[SignalOutcome],
    results: Sequence[MonitorResult],
) -> str:
    """Write the run's files; the report's URL."""
    key = f"monitors/{workspace}/{monitor.name}/runs/{run.number}"
    with tempfile.TemporaryDirectory(prefix="opsloop-report-") as scratch:
        folder = Path(scratch) / "report"
        folder.mkdir()
        images = _histograms(folder, outcomes) + _series(ctx, folder, monitor)
        summary = [
            ("monitor", monitor.name),
            ("run", str(run.number)),
            ("endpoint deployment", f"{monitor.endpoint}:{monitor.deployment}"),
            ("window end", run.window_end.isoformat()),
            ("verdict", "BREACHED" if any(r.breached for r in results) else "no breach"),
            *(
                (f"skipped: {o.name}", str(o.details["skipped"]))
                for o in outcomes
                if "skipped" in o.details
            ),
        ]
        rows = [{**r.model_dump(), "verdict": "BREACH" if r.breached else "ok"} for r in results]
        write_html(
            folder / REPORT_FILE, f"Monitor {monitor.name}, run {run.number}", summary, rows, images
        )
        ctx.artifacts.put(folder, key)
    return ctx.artifacts.url_for(f"{key}/{REPORT_FILE}")


def _histograms(folder: Path, outcomes: Sequence[SignalOutcome]) -> list[tuple[str, Path]]:
    images = []
    for outcome in outcomes:
        breached = {r.feature for r in outcome.results if r.breached}
        # Breached features first: they are what a reader opens the report for.
        for histogram in sorted(outcome.histograms, key=lambda h: h.feature not in breached):
            path = folder / "histograms" / _safe(outcome.name) / f"{_safe(histogram.feature)}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            mark = " (breached)" if histogram.feature in breached else ""
            title = f"{outcome.name}: {histogram.feature}{mark}"
            images.append((title, plot_histogram(histogram, path, title)))
    return images


def _series(ctx: ServiceContext, folder: Path, monitor: MonitorRow) -> list[tuple[str, Path]]:
    """Each metric over the monitor's runs (this one included: it is flushed)."""
    rows = ctx.session.execute(
        select(MonitorRunRow.window_end, MonitorResultRow)
        .join(MonitorRunRow, MonitorRunRow.id == MonitorResultRow.run_id)
        .where(MonitorResultRow.monitor_id == monitor.id, MonitorResultRow.value.is_not(None))
        .order_by(MonitorRunRow.number)
    ).all()
    grouped: dict[tuple[str, str], dict[str, list[tuple[datetime, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    thresholds: dict[tuple[str, str], float | None] = {}
    for at, result in rows:
        if result.value is None:
            continue
        grouped[(result.signal, result.metric)][result.feature].append((at, result.value))
        thresholds[(result.signal, result.metric)] = result.threshold
    images = []
    for (signal, metric), points in grouped.items():
        path = folder / "series" / _safe(signal) / f"{_safe(metric)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        series = Series(signal, metric, thresholds[(signal, metric)], dict(points))
        images.append((f"{signal}: {metric} over runs", plot_series(series, path)))
    return images


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"
