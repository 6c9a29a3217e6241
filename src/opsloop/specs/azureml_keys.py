"""Keys Azure ML's schemas have and opsloop has no use for: a spec that holds them loads,
and each one gets one warning saying what opsloop does instead. (A key in no schema is
still an error, with its line and a "did you mean", from ``opsloop.specs.loader``.)"""

from __future__ import annotations

import difflib

from opsloop.specs.compute import ComputeSpec
from opsloop.specs.job import CommandJobSpec, PipelineJobSpec, PipelineSettings, SweepJobSpec
from opsloop.specs.references import strip_alias
from opsloop.specs.spec_warnings import SpecWarning

_JOB_KEYS = {
    "services": "interactive services (VS Code, JupyterLab, TensorBoard, SSH) are not "
    "started; the step is a local process, its files are under the job's folder",
    "queue_settings": "there are no queue tiers locally; a job starts when its runner claims it",
    "identity": "steps run as the user who runs the job's runner; identity is ignored",
    "properties": "properties are not stored; use tags",
    "resources": "a step runs as one process on this host; no resources are reserved",
    "distribution": "a step runs as one process; no distributed launcher is started and its "
    "variables (RANK, TF_CONFIG, ...) are not set",
}
_COMPUTE_KEYS = {
    "size": "steps run on this host, whatever its size",
    "tier": "there are no priority tiers locally",
    "location": "steps run on this host",
    "idle_time_before_scale_down": "a local compute does not scale",
    "identity": "steps run as the user who runs the job's runner",
    "network_settings": "steps use this host's network",
    "ssh_public_access_enabled": "there are no nodes to reach over SSH",
    "ssh_settings": "there are no nodes to reach over SSH",
    "enable_node_public_ip": "steps use this host's network",
}
_LOCAL_TYPES = {
    "amlcompute": "runs as type local: steps are processes on this host",
    "computeinstance": "runs as type local: steps are processes on this host",
}


def job_warnings(
    spec: CommandJobSpec | PipelineJobSpec | SweepJobSpec, prefix: str = ""
) -> list[SpecWarning]:
    """One warning per unused Azure ML key in a job, its steps, their inline components and
    a sweep's trial."""
    found = [
        SpecWarning(field=f"{prefix}{key}", message=message)
        for key, message in _JOB_KEYS.items()
        if getattr(spec, key, None) is not None
    ]
    if isinstance(spec, PipelineJobSpec):
        found += _settings_warnings(spec.settings, f"{prefix}settings.")
        for name, step in spec.jobs.items():
            found += job_warnings(step, f"{prefix}jobs.{name}.")
    elif isinstance(spec, SweepJobSpec):
        if not isinstance(spec.trial, str):
            for key in ("resources", "distribution"):
                if getattr(spec.trial, key) is not None:
                    found.append(SpecWarning(field=f"{prefix}trial.{key}", message=_JOB_KEYS[key]))
    elif not isinstance(spec.component, str) and spec.component is not None:
        for key in ("resources", "distribution"):
            if getattr(spec.component, key) is not None and getattr(spec, key) is None:
                found.append(SpecWarning(field=f"{prefix}component.{key}", message=_JOB_KEYS[key]))
    return found


def _settings_warnings(settings: PipelineSettings, prefix: str) -> list[SpecWarning]:
    found: list[SpecWarning] = []
    datastore = settings.default_datastore
    if datastore is not None and strip_alias(datastore) != "workspaceblobstore":
        found.append(
            SpecWarning(
                field=f"{prefix}default_datastore",
                message="step outputs go to the artifact store (workspaceblobstore); "
                "bind an output's path to write elsewhere",
            )
        )
    known = sorted(PipelineSettings.model_fields)
    for key in settings.model_extra or {}:
        guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {guess[0]}?)" if guess else ""
        found.append(
            SpecWarning(
                field=f"{prefix}{key}",
                message=f"not a setting opsloop uses{hint}; ignored, as Azure ML passes "
                "unknown pipeline settings through",
            )
        )
    return found


def compute_warnings(spec: ComputeSpec) -> list[SpecWarning]:
    found = []
    if spec.type in _LOCAL_TYPES:
        found.append(SpecWarning(field="type", message=_LOCAL_TYPES[spec.type]))
    found += [
        SpecWarning(field=key, message=f"stored, not used: {message}")
        for key, message in _COMPUTE_KEYS.items()
        if getattr(spec, key) is not None
    ]
    return found
