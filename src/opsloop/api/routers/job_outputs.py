"""Job outputs: download one (``artifacts`` holds what a command wrote to ./outputs and
./logs, and its log)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from opsloop.api.deps import ActorDep, PlatformDep
from opsloop.api.transfer import pack_url
from opsloop.services import job_outputs

router = APIRouter(prefix="/workspaces/{workspace}/jobs", tags=["jobs"])


@router.get("/{name}/outputs/{output}/download", response_class=FileResponse)
def download_job_output(
    workspace: str, name: str, output: str, platform: PlatformDep, actor: ActorDep
) -> FileResponse:
    """The output's files as a gzipped tar archive."""
    with platform.context(actor) as ctx:
        url = job_outputs.get_job_output(ctx, workspace, name, output)
    archive = pack_url(url)
    return FileResponse(
        archive,
        media_type="application/gzip",
        filename=f"{name}-{output}.tar.gz",
        background=BackgroundTask(archive.unlink),
    )
