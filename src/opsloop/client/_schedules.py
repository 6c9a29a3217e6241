"""``client.schedules``: cron and recurrence schedules that create jobs."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from opsloop.client._resolve import HashingResolver, Origin, Resolver
from opsloop.client._resources import _Operations, build_spec
from opsloop.errors import ValidationError
from opsloop.schemas.schedules import Schedule
from opsloop.specs.loader import read_yaml
from opsloop.specs.references import is_spec_file
from opsloop.specs.schedule import ScheduleSpec, check_schedule

# Keys of Azure ML's ``create_job: {job: ./file.yml, ...}`` whose mappings are merged into
# the job file's (the others replace the file's value).
_MERGED_KEYS = ("inputs", "outputs", "settings", "tags", "environment_variables")


class ScheduleOperations(_Operations):
    """Create, list, show, enable, disable and delete a workspace's schedules::

    client.schedules.create(file="nightly.yml")           # Azure ML schedule YAML
    client.schedules.get("nightly").next_fire_at
    client.schedules.disable("nightly")

    A ``create_job`` that names a job file is read here, relative to the schedule file,
    and its local code uploaded, as ``client.jobs.create`` does; the server keeps the job
    inline, so later changes to the file do not change the schedule.
    """

    def create(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        dry_run: bool = False,
        **fields: Any,
    ) -> Schedule:
        """With ``dry_run``: checked and answered, nothing stored (a job's code is hashed,
        not uploaded)."""
        return self._send("POST", "", spec, file, workspace, overrides, fields, dry_run)

    def update(
        self,
        name: str,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> Schedule:
        """Replace the schedule's trigger and action (its ticks then act as you)."""
        return self._send("PUT", f"/{name}", spec, file, workspace, overrides, fields)

    def _send(
        self,
        method: str,
        suffix: str,
        spec: Any,
        file: str | Path | None,
        workspace: str | None,
        overrides: list[str] | None,
        fields: dict[str, Any],
        dry_run: bool = False,
    ) -> Schedule:
        ws = self._ws(workspace)
        data, origin = build_spec(ScheduleSpec, spec, file=file, overrides=overrides, fields=fields)
        self._client._upload_workspace = ws
        job = data.get("create_job")
        if job is not None:
            resolver = HashingResolver() if dry_run else Resolver(self._client._upload)
            data["create_job"] = _resolve_job(resolver, job, origin)
        with origin.located():
            try:
                check_schedule(origin.validate(ScheduleSpec, data))
            except ValidationError as exc:
                if exc.field or exc.file or origin.file is None:
                    raise
                raise ValidationError(exc.reason, file=origin.file, line=1) from None
            answer = self._client.request(
                method,
                f"/workspaces/{ws}/schedules{suffix}",
                json=data,
                params={"dry_run": "true"} if dry_run else None,
            )
            return Schedule.model_validate(answer)

    def get(self, name: str, *, workspace: str | None = None) -> Schedule:
        """The schedule, its next ticks and its latest fires."""
        return self._get(Schedule, f"/workspaces/{self._ws(workspace)}/schedules/{name}")

    def list(self, *, workspace: str | None = None) -> builtins.list[Schedule]:
        return self._list(Schedule, f"/workspaces/{self._ws(workspace)}/schedules")

    def enable(self, name: str, *, workspace: str | None = None) -> Schedule:
        """Fires again from its next tick after now (ticks missed meanwhile stay missed)."""
        return self._post(
            Schedule, f"/workspaces/{self._ws(workspace)}/schedules/{name}/enable", {}
        )

    def disable(self, name: str, *, workspace: str | None = None) -> Schedule:
        return self._post(
            Schedule, f"/workspaces/{self._ws(workspace)}/schedules/{name}/disable", {}
        )

    def delete(self, name: str, *, workspace: str | None = None) -> None:
        """The jobs it created stay."""
        self._client.request("DELETE", f"/workspaces/{self._ws(workspace)}/schedules/{name}")


def _resolve_job(resolver: Resolver, job: Any, origin: Origin) -> Any:
    """``create_job`` with job files read and local paths uploaded: a path, an inline job,
    or ``{job: <path>, <overrides>}``; a reference is left for the server."""
    if isinstance(job, str) and is_spec_file(job):
        return _job_file(resolver, job, {}, origin.nested("create_job"))
    if isinstance(job, dict) and isinstance(job.get("job"), str) and is_spec_file(job["job"]):
        overrides = {k: v for k, v in job.items() if k != "job"}
        return _job_file(resolver, job["job"], overrides, origin.nested("create_job", "job"))
    if isinstance(job, dict) and "job" not in job:
        return resolver.job(job, origin.nested("create_job"))
    return job


def _job_file(
    resolver: Resolver, relative: str, overrides: dict[str, Any], origin: Origin
) -> dict[str, Any]:
    path = (origin.base_for() / relative).resolve()
    if not path.is_file():
        raise origin.error(f"job file {str(path)!r} does not exist")
    data, lines = read_yaml(path)
    for key, value in overrides.items():
        if key in _MERGED_KEYS and isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    from opsloop.specs.job import JobSpec

    job_origin = Origin(path.parent, str(path), lines)
    job_origin.validate(JobSpec, data)  # its errors name the job file and line
    return resolver.job(data, job_origin)
