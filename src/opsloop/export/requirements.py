"""What an exported image installs: opsloop plus the deployment's environment (its pip
requirements, or its conda file's ``pip:`` section), or the model's own ``requirements.txt``
when the deployment has no environment. What cannot become a pip requirement is reported
in the export's notes."""

from __future__ import annotations

import re
from pathlib import Path

from opsloop.scoring.bundle import DeploymentBundle
from opsloop.specs.environment import EnvironmentSpec, InlineEnvironmentSpec

_PROJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def image_requirements(
    deployment: DeploymentBundle, opsloop_requirement: str, notes: list[str]
) -> list[str]:
    """The lines of the image's requirements.txt; notes get what the user must add."""
    environment = deployment.spec.environment
    if environment is None:
        environment = _model_environment(deployment.model_dir)
    return _requirements(environment, opsloop_requirement, deployment.name, notes)


def _model_environment(model_dir: Path | None) -> EnvironmentSpec | None:
    """An MLflow model's own requirements.txt, for a deployment without an environment (as
    Azure ML builds one from the model). Option lines (``-c constraints.txt``) are left out:
    the files they name are not in the image; comments and blanks go in ``_requirements``."""
    path = model_dir / "requirements.txt" if model_dir is not None else None
    if path is None or not path.is_file():
        return None
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("-")]
    return EnvironmentSpec(name="model-requirements", requirements=lines)


def _requirements(
    environment: str | InlineEnvironmentSpec | None,
    opsloop_requirement: str,
    deployment: str,
    notes: list[str],
) -> list[str]:
    """opsloop plus the environment's pip packages; conda-only packages are reported."""
    lines = [opsloop_requirement.strip()]
    if isinstance(environment, str):
        notes.append(
            f"`{deployment}` uses the environment reference {environment!r}; its packages are "
            f"not known here, so add them to {deployment}/requirements.txt."
        )
        return lines
    if environment is None:
        return lines
    listed: list[str] = []
    requirements = environment.requirements
    if isinstance(requirements, list):
        listed += requirements
    elif (
        isinstance(requirements, str) and "\n" not in requirements and requirements.endswith(".txt")
    ):
        notes.append(
            f"`{deployment}`: requirements file {requirements!r} was not loaded; add its lines."
        )
    elif isinstance(requirements, str):
        listed += requirements.splitlines()
    conda = environment.conda_file
    if isinstance(conda, str):
        notes.append(f"`{deployment}`: conda file {conda!r} was not loaded; add its pip packages.")
    elif isinstance(conda, dict):
        conda_only: list[str] = []
        for dependency in conda.get("dependencies") or []:
            if isinstance(dependency, dict):
                listed += [str(item) for item in dependency.get("pip") or []]
            elif _project(str(dependency)) not in ("python", "pip"):
                conda_only.append(str(dependency))
        if conda_only:
            notes.append(
                f"`{deployment}`: conda packages {', '.join(conda_only)} are not pip "
                f"requirements; add pip equivalents to {deployment}/requirements.txt if needed."
            )
    for line in (item.strip() for item in listed):
        if line and not line.startswith("#") and _project(line) != "opsloop" and line not in lines:
            lines.append(line)
    return lines


def _project(requirement: str) -> str:
    match = _PROJECT.match(requirement.strip())
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else ""
