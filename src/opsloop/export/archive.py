"""An endpoint's export as one gzipped tar archive, the form the REST API answers with."""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from pathlib import Path

from opsloop.export.writer import ExportFormat, write_export
from opsloop.scoring.bundle import EndpointBundle


def pack_folder(folder: Path, archive: Path) -> Path:
    """``folder``'s contents (not the folder itself) as a gzipped tar at ``archive``."""
    with tarfile.open(archive, "w:gz") as tar:
        for item in sorted(folder.iterdir()):
            tar.add(item, arcname=item.name)
    return archive


def pack_export(
    bundle: EndpointBundle, fmt: ExportFormat, image_registry: str | None
) -> tuple[Path, str]:
    """A temporary tar.gz of the endpoint's export (the caller deletes it), and the export's
    summary for the ``opsloop-export`` header: image tags and notes, as ASCII JSON."""
    descriptor, name = tempfile.mkstemp(prefix="opsloop-export-", suffix=".tar.gz")
    os.close(descriptor)
    archive = Path(name)
    try:
        with tempfile.TemporaryDirectory(prefix="opsloop-export-") as scratch:
            result = write_export(bundle, fmt, Path(scratch), image_registry=image_registry)
            pack_folder(result.destination, archive)
    except BaseException:
        archive.unlink()
        raise
    summary = json.dumps({"images": result.images, "notes": list(result.notes)})
    return archive, summary
