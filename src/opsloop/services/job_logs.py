"""Reading a job's logs incrementally, for ``job logs`` and ``job create --stream``."""

from __future__ import annotations

from opsloop.catalogue.actions import Action
from opsloop.execution.launcher import job_folder
from opsloop.execution.states import is_terminal
from opsloop.schemas.entities import LogChunk
from opsloop.services.context import ServiceContext
from opsloop.services.jobs import require_job_row, step_rows
from opsloop.services.workspaces import require_workspace_row

MAX_CHUNK = 256 * 1024


def read_job_logs(
    ctx: ServiceContext, workspace: str, name: str, offsets: dict[str, int]
) -> LogChunk:
    """Log text written since ``offsets`` (per step or trial), prefixed by step (or trial)
    for pipelines and sweeps."""
    ctx.authorize(Action.JOBS_LOGS_READ, workspace)
    ws = require_workspace_row(ctx, workspace)
    row = require_job_row(ctx, ws, name)
    steps = step_rows(ctx, row)
    labels = [s.step_name or s.name for s in steps] if steps else [row.name]
    for step in steps:  # a sweep step's trials log as "<step>.trial_<n>"
        if step.type == "sweep":
            labels += [f"{step.step_name}.{t.step_name}" for t in step_rows(ctx, step)]
    folder = job_folder(ctx.settings, workspace, row.name) / "logs"
    pieces: list[str] = []
    new_offsets = dict(offsets)
    for label in labels:
        path = folder / f"{label}.txt"
        if not path.exists():
            continue
        start = offsets.get(label, 0)
        with path.open("rb") as handle:
            handle.seek(start)
            data = handle.read(MAX_CHUNK)
        if not data:
            continue
        # Only hand out whole lines while the step still writes, so prefixes stay aligned.
        end = data.rfind(b"\n") + 1 if not is_terminal(row.status) else len(data)
        if end == 0:
            continue
        text = data[:end].decode("utf-8", errors="replace")
        new_offsets[label] = start + end
        pieces.append(
            "".join(f"[{label}] {line}\n" for line in text.splitlines()) if steps else text
        )
    complete = is_terminal(row.status) and all(
        (folder / f"{label}.txt").stat().st_size <= new_offsets.get(label, 0)
        for label in labels
        if (folder / f"{label}.txt").exists()
    )
    return LogChunk(
        job=row.name,
        status=row.status,
        text="".join(pieces),
        offsets=new_offsets,
        complete=complete,
    )
