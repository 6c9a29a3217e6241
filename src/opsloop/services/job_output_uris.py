"""Job outputs addressed as Azure ML does: ``azureml://jobs/<job>/outputs/<output>``, and a
file or folder inside one with ``/paths/<path>`` (every command job and step has the output
``artifacts``, holding what it wrote to ``./outputs`` and ``./logs``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from opsloop.errors import ValidationError
from opsloop.services.context import ServiceContext
from opsloop.store.tables import JobRow, WorkspaceRow

_JOB_OUTPUT = re.compile(
    r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)(?:/paths/(?P<path>.*))?/?$"
)


@dataclass(frozen=True)
class JobOutputSource:
    url: str
    hash: str | None  # the stored output's hash; None for a path inside it
    producer: JobRow  # the command job or step that wrote it
    output: str


def parse_job_output(
    ctx: ServiceContext, ws: WorkspaceRow, uri: str, *, field: str
) -> JobOutputSource:
    """The stored output (or the path inside it) an ``azureml://jobs/...`` URI names; a
    pipeline's output is found on the step that binds it."""
    match = _JOB_OUTPUT.match(uri.strip())
    if match is None:
        raise ValidationError(
            f"{uri!r} is not a job output; use azureml://jobs/<job>/outputs/<output>"
            "[/paths/<path>]",
            field=field,
        )
    job = ctx.session.scalar(
        select(JobRow).where(JobRow.workspace_id == ws.id, JobRow.name == match["job"])
    )
    if job is None:
        raise ValidationError(
            f"job {match['job']!r} not found in workspace {ws.name!r}", field=field
        )
    output, producer = match["output"], job
    if job.type == "pipeline":
        source = job.spec.get("outputs", {}).get(output)
        if source is None:
            raise ValidationError(f"job {job.name!r} has no output {output!r}", field=field)
        producer = _step(ctx, job, source["step"], field=field)
        output = source["output"]
    stored = producer.outputs.get(output)
    if stored is None:
        raise ValidationError(
            f"job {producer.name!r} has no saved output {output!r} (status {producer.status})",
            field=field,
        )
    path = (match["path"] or "").strip("/")
    if not path:
        return JobOutputSource(stored["url"], stored.get("hash"), producer, output)
    return JobOutputSource(f"{stored['url'].rstrip('/')}/{path}", None, producer, output)


def job_output_url(
    ctx: ServiceContext, ws: WorkspaceRow, uri: str, *, field: str
) -> tuple[str, str | None]:
    """The URL and content hash (when known) of a job output URI."""
    source = parse_job_output(ctx, ws, uri, field=field)
    return source.url, source.hash


def _step(ctx: ServiceContext, job: JobRow, step_name: str, *, field: str) -> JobRow:
    row = ctx.session.scalar(
        select(JobRow).where(JobRow.parent_id == job.id, JobRow.step_name == step_name)
    )
    if row is None:
        raise ValidationError(f"job {job.name!r} has no step {step_name!r}", field=field)
    return row
