"""Jobs: submit, read, list, cancel, follow logs, download outputs."""

from __future__ import annotations

from typing import Annotated

import pydantic
from fastapi import APIRouter, Body, Query
from fastapi.responses import FileResponse
from pydantic import Field, TypeAdapter

from opsloop.api.deps import INT64_MAX, ActorDep, ListLimit, PlatformDep
from opsloop.api.transfer import pack_urls, tar_response
from opsloop.errors import ValidationError
from opsloop.schemas.entities import Job, LogChunk
from opsloop.schemas.job_plans import JobPlan
from opsloop.services import job_logs, job_outputs, job_plans, jobs
from opsloop.specs.job import JobSpec

router = APIRouter(prefix="/workspaces/{workspace}/jobs", tags=["jobs"])
_OFFSETS = TypeAdapter(dict[str, Annotated[int, Field(ge=0, le=INT64_MAX)]])


@router.post("", status_code=201)
def create_job(
    workspace: str,
    spec: Annotated[JobSpec, Body()],
    platform: PlatformDep,
    actor: ActorDep,
) -> Job:
    with platform.context(actor) as ctx:
        return jobs.create_job(ctx, workspace, spec)


@router.post("/validate")
def validate_job(
    workspace: str,
    spec: Annotated[JobSpec, Body()],
    platform: PlatformDep,
    actor: ActorDep,
) -> JobPlan:
    """Check a job spec as submission would and answer its plan (steps, bindings, which
    would be reused); nothing is stored or run."""
    with platform.context(actor) as ctx:
        return job_plans.plan_job(ctx, workspace, spec)


@router.get("")
def list_jobs(
    workspace: str, platform: PlatformDep, actor: ActorDep, limit: ListLimit = 100
) -> list[Job]:
    with platform.context(actor) as ctx:
        return jobs.list_jobs(ctx, workspace, limit)


@router.get("/{name}")
def get_job(
    workspace: str,
    name: str,
    platform: PlatformDep,
    actor: ActorDep,
    tracking: Annotated[
        bool,
        Query(
            description="false: leave out the metrics and params of runs still going, "
            "which only MLflow holds (for following a job's status)."
        ),
    ] = True,
) -> Job:
    with platform.context(actor) as ctx:
        job, live = jobs.get_job(ctx, workspace, name)
    if tracking:
        jobs.add_live_tracking(platform, live)
    return job


@router.post("/{name}/cancel")
def cancel_job(workspace: str, name: str, platform: PlatformDep, actor: ActorDep) -> Job:
    with platform.context(actor) as ctx:
        return jobs.cancel_job(ctx, workspace, name)


@router.get("/{name}/logs")
def get_job_logs(
    workspace: str, name: str, platform: PlatformDep, actor: ActorDep, offsets: str = "{}"
) -> LogChunk:
    try:
        parsed = _OFFSETS.validate_json(offsets)
    except pydantic.ValidationError:
        raise ValidationError(
            "must be a JSON object of step -> byte offset (0 or more)", field="offsets"
        ) from None
    with platform.context(actor) as ctx:
        return job_logs.read_job_logs(ctx, workspace, name, parsed)


@router.get("/{name}/download", response_class=FileResponse)
def download_job_outputs(
    workspace: str,
    name: str,
    platform: PlatformDep,
    actor: ActorDep,
    output_name: Annotated[str | None, Query(description="Only this output.")] = None,
    step: Annotated[
        str | None, Query(description="A pipeline step's outputs (default: the pipeline's).")
    ] = None,
) -> FileResponse:
    """The job's stored outputs as a gzipped tar archive, one folder per output."""
    with platform.context(actor) as ctx:
        found = job_outputs.outputs_to_download(
            ctx, workspace, name, output_name=output_name, step=step
        )
    return tar_response(pack_urls(found.urls), f"{found.job}-outputs.tar.gz")
