"""Placing an export into the user's folder, on the machine that asked for it.

The export is written (by the server, for a remote client) into a scratch folder first;
this moves it into place. Kept apart from the exporter so the SDK can install what the
server sent without importing the manifest builders.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from opsloop.errors import ValidationError
from opsloop.scoring.bundle import BUNDLE_FILE

ExportFormat = Literal["k8s", "kserve"]
# Response header of the export route: JSON with the image tags and the notes.
EXPORT_HEADER = "opsloop-export"
# The KServe format's manifests (written by ``kserve``; named here, where re-exports clean up).
STABLE_FILE = "inferenceservice.yaml"
CANARY_FILE = "inferenceservice-canary.yaml"
# Top-level files this exporter owns; a re-export removes the ones it no longer writes.
GENERATED_FILES: tuple[str, ...] = (
    "README.md", "secret.yaml", "manifests.yaml", STABLE_FILE, CANARY_FILE,
)  # fmt: skip


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: every file (bundle contents included), and each image's tag."""

    destination: Path
    format: ExportFormat
    files: tuple[Path, ...]
    images: dict[str, str]  # deployment -> image reference used in the manifests
    notes: tuple[str, ...] = ()  # what the export could not carry over; also in README.md


def check_destination(destination: Path, deployments: tuple[str, ...]) -> None:
    """Refuse a destination an export would damage: a file, or a deployment folder whose
    ``bundle/`` is not an earlier export's (it is replaced wholesale)."""
    if destination.exists() and not destination.is_dir():
        raise ValidationError(f"{destination} is not a folder", field="destination")
    for name in deployments:
        folder = destination / name
        if folder.exists() and not folder.is_dir():
            raise ValidationError(f"{folder} exists and is not a folder", field="destination")
        target = folder / "bundle"
        if target.exists() and not (target / BUNDLE_FILE).is_file():
            raise ValidationError(
                f"{target} exists and is not an exported bundle", field="destination"
            )


def install_export(staged: Path, destination: Path) -> tuple[Path, ...]:
    """Move a written export into ``destination``: each deployment's ``bundle/`` replaces
    the earlier export's (no stale model files), top-level files this exporter owns and no
    longer writes are removed, and anything else in ``destination`` is left alone."""
    deployments = tuple(sorted(item.name for item in staged.iterdir() if item.is_dir()))
    check_destination(destination, deployments)
    relative = sorted(path.relative_to(staged) for path in staged.rglob("*") if path.is_file())
    destination.mkdir(parents=True, exist_ok=True)
    for name in deployments:
        shutil.rmtree(destination / name / "bundle", ignore_errors=True)
    for path in relative:
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged / path, target)
    for filename in GENERATED_FILES:
        if Path(filename) not in relative:
            (destination / filename).unlink(missing_ok=True)
    return tuple(destination / path for path in relative)
