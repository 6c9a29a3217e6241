"""Asset references: ``name:version``, ``name@latest``, with ``azureml:`` accepted as alias."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsloop.errors import ValidationError

_REFERENCE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)(?::(?P<version>[^:@/]+)|@(?P<label>latest))?$"
)


@dataclass(frozen=True)
class AssetReference:
    name: str
    version: str | None  # None means the latest version

    def __str__(self) -> str:
        return f"{self.name}:{self.version}" if self.version else f"{self.name}@latest"


def strip_alias(value: str) -> str:
    """Drop the ``azureml:`` prefix so Azure ML specs load unchanged."""
    if value.startswith("azureml:") and not value.startswith("azureml://"):
        return value[len("azureml:") :]
    return value


def parse_reference(
    value: str, *, field: str = "reference", allow_bare: bool = True
) -> AssetReference:
    """Parse ``name:version`` / ``name@latest`` (and bare ``name`` when allowed)."""
    match = _REFERENCE.match(strip_alias(value.strip()))
    if not match or (not allow_bare and not (match["version"] or match["label"])):
        raise ValidationError(
            f"{value!r} is not a reference; use name:version or name@latest", field=field
        )
    return AssetReference(match["name"], match["version"])


def is_asset_reference(value: str) -> bool:
    """True for ``azureml:name:version`` style values rather than paths or URLs."""
    if "://" in value:
        return False
    if value.startswith("azureml:"):
        return True
    return bool(_REFERENCE.match(value)) and (":" in value or "@" in value)
