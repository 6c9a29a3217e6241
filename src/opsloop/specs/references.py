"""Asset references: ``name:version``, ``name@latest``, with ``azureml:`` accepted as alias,
and Azure ML's registry URIs ``azureml://registries/<registry>/<kind>s/<name>/versions/<v>``
(or ``.../labels/latest``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsloop.errors import ValidationError

_REFERENCE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)(?::(?P<version>[^:@/]+)|@(?P<label>latest))?$"
)
_REGISTRY_URI = re.compile(
    r"^azureml://registries/(?P<registry>[^/]+)/(?P<kind>[a-z]+)/(?P<name>[^/]+)"
    r"(?:/versions/(?P<version>[^/]+)|/labels/(?P<label>[^/]+))?/?$"
)
# Azure ML's plural path segments, by the asset kind they name.
REGISTRY_KINDS = {
    "environments": "environment",
    "components": "component",
    "models": "model",
    "data": "data",
}
SPEC_FILE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class AssetReference:
    name: str
    version: str | None  # None means the latest version

    def __str__(self) -> str:
        return f"{self.name}:{self.version}" if self.version else f"{self.name}@latest"


@dataclass(frozen=True)
class RegistryReference:
    """An asset in a registry: ``azureml://registries/<registry>/<kind>s/<name>/...``."""

    registry: str
    kind: str  # environment | component | model | data
    name: str
    version: str | None  # None means the latest version

    def __str__(self) -> str:
        tail = f"versions/{self.version}" if self.version else "labels/latest"
        plural = next(p for p, k in REGISTRY_KINDS.items() if k == self.kind)
        return f"azureml://registries/{self.registry}/{plural}/{self.name}/{tail}"


def strip_alias(value: str) -> str:
    """Drop the ``azureml:`` prefix so Azure ML specs load unchanged."""
    if value.startswith("azureml:") and not value.startswith("azureml://"):
        return value[len("azureml:") :]
    return value


def parse_registry_uri(value: str, *, field: str = "reference") -> RegistryReference | None:
    """The registry reference an ``azureml://registries/...`` URI names; None for any other
    value. A malformed registry URI is an error naming the forms that work."""
    if not value.startswith("azureml://registries/"):
        return None
    match = _REGISTRY_URI.match(value.strip())
    kind = REGISTRY_KINDS.get(match["kind"]) if match else None
    if match is None or kind is None or (match["label"] not in (None, "latest")):
        raise ValidationError(
            f"{value!r} is not a registry reference; use azureml://registries/<registry>/"
            "<environments|components|models|data>/<name>/versions/<version> (or /labels/latest)",
            field=field,
        )
    return RegistryReference(match["registry"], kind, match["name"], match["version"])


def parse_reference(
    value: str, *, field: str = "reference", allow_bare: bool = True
) -> AssetReference:
    """Parse ``name:version`` / ``name@latest`` (and bare ``name`` when allowed)."""
    match = _REFERENCE.match(strip_alias(value.strip()))
    if not match or (not allow_bare and not (match["version"] or match["label"])):
        raise ValidationError(
            f"{value!r} is not a reference; use name:version, name@latest or "
            "azureml://registries/<registry>/<kind>s/<name>/versions/<version>",
            field=field,
        )
    return AssetReference(match["name"], match["version"])


def is_asset_reference(value: str) -> bool:
    """True for ``azureml:name:version`` style values rather than paths or URLs."""
    if "://" in value:
        return False
    if value.startswith("azureml:"):
        return True
    return bool(_REFERENCE.match(value)) and (":" in value or "@" in value)


def is_spec_file(value: str) -> bool:
    """A relative or absolute path to a YAML spec (``./train.yml``), as Azure ML takes for
    ``component:`` without a ``file:`` prefix."""
    text = value.strip()
    return (
        "://" not in text
        and not text.startswith("azureml:")
        and text.lower().endswith(SPEC_FILE_SUFFIXES)
    )
