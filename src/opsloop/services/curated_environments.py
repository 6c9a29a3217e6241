"""The built-in, read-only ``azureml`` registry: Azure ML's curated environment names, each
resolved to a documented local equivalent so specs that name them run offline.

``azureml://registries/azureml/environments/sklearn-1.5/labels/latest`` and
``azureml:AzureML-sklearn-1.5@latest`` name the same environment. Locally every
environment runs in the interpreter that runs opsloop (until environments are
materialised); the equivalent says what the curated image holds, for the job's record,
step reuse and export. docs/azureml.md lists the families.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opsloop.errors import ValidationError
from opsloop.services.environments import content_hash
from opsloop.specs.references import CURATED_REGISTRY, RegistryReference

CURATED_PREFIX = "AzureML-"
_IMAGE = "mcr.microsoft.com/azureml/curated/{name}:latest"


@dataclass(frozen=True)
class CuratedFamily:
    """Curated names that match ``pattern`` (without the ``AzureML-`` prefix, any case)."""

    example: str
    pattern: str
    packages: tuple[str, ...]  # ``{v}`` is the version the name carries

    def requirements(self, name: str) -> list[str] | None:
        match = re.fullmatch(self.pattern, name, flags=re.IGNORECASE)
        if match is None:
            return None
        version = match.groupdict().get("v")
        return [p.format(v=version) for p in self.packages]


FAMILIES: tuple[CuratedFamily, ...] = (
    CuratedFamily(
        "sklearn-1.5",
        r"sklearn-(?P<v>\d+\.\d+)(?:-.*)?",
        ("scikit-learn=={v}.*", "pandas", "numpy", "scipy", "mlflow"),
    ),
    CuratedFamily(
        "lightgbm-3.3",
        r"lightgbm-(?P<v>\d+\.\d+)(?:-.*)?",
        ("lightgbm=={v}.*", "scikit-learn", "pandas", "mlflow"),
    ),
    CuratedFamily(
        "tensorflow-2.16-cuda12",
        r"tensorflow-(?P<v>\d+\.\d+)(?:-.*)?",
        ("tensorflow=={v}.*", "mlflow"),
    ),
    CuratedFamily(
        "acpt-pytorch-2.8-cuda12.6",
        r"(?:acpt-)?pytorch-(?P<v>\d+\.\d+)(?:-.*)?",
        ("torch=={v}.*", "mlflow"),
    ),
    CuratedFamily("minimal-py311-inference", r"minimal-.*", ("mlflow",)),
    CuratedFamily("mlflow-py312-inference", r"mlflow-.*", ("mlflow",)),
)


def curated_content(name: str) -> dict[str, Any] | None:
    """The local equivalent of a curated environment, or None if no family has the name."""
    bare = name[len(CURATED_PREFIX) :] if name.lower().startswith(CURATED_PREFIX.lower()) else name
    for family in FAMILIES:
        requirements = family.requirements(bare)
        if requirements is not None:
            return {
                "image": _IMAGE.format(name=bare.lower()),
                "conda_file": None,
                "requirements": requirements,
            }
    return None


def resolve_curated(reference: RegistryReference, *, field: str) -> dict[str, Any]:
    """A pinned environment (``reference``, ``content``, ``hash``) for a registry URI."""
    content = (
        curated_content(reference.name)
        if reference.kind == "environment" and reference.registry == CURATED_REGISTRY
        else None
    )
    if content is None:
        raise unavailable(reference, field=field)
    return {"reference": str(reference), "content": content, "hash": content_hash(content)}


def unavailable(reference: RegistryReference, *, field: str) -> ValidationError:
    """Why a URI of the built-in azureml registry names nothing here, and what to write
    instead."""
    known = ", ".join(f.example for f in FAMILIES)
    return ValidationError(
        f"{reference} is not available offline: the built-in azureml registry holds "
        f"curated environments only ({known}, ...); register an equivalent {reference.kind} "
        "in the workspace and refer to it as name:version",
        field=field,
    )


def curated_by_name(name: str, version: str | None, *, field: str) -> dict[str, Any] | None:
    """``azureml:AzureML-sklearn-1.5@latest``: a curated name written as a workspace
    reference. None unless the name has the ``AzureML-`` prefix and a family."""
    if not name.lower().startswith(CURATED_PREFIX.lower()) or curated_content(name) is None:
        return None
    bare = name[len(CURATED_PREFIX) :]
    reference = RegistryReference(CURATED_REGISTRY, "environment", bare, version)
    return resolve_curated(reference, field=field)
