"""Asset references: ``name:version``, ``name@latest``, ``name@<alias>`` (``@champion``),
with ``azureml:`` accepted as a prefix; and assets in registries, as Azure ML's URIs
``azureml://registries/<registry>/<kind>s/<name>/versions/<v>`` (or ``.../labels/latest``)
or the short ``registry:<registry>/<name>:<version>`` (or ``@latest``, ``@<alias>``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsloop.errors import ValidationError

_REFERENCE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)"
    r"(?::(?P<version>[^:@/]+)|@(?P<label>[A-Za-z][A-Za-z0-9_-]*))?$"
)
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
LATEST = "latest"  # a label every asset has; no alias may take its name
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
# The built-in, read-only registry of Azure ML's curated environments (resolved offline).
CURATED_REGISTRY = "azureml"


@dataclass(frozen=True)
class AssetReference:
    name: str
    version: str | None  # None means the latest version, or the alias's
    alias: str | None = None

    def __str__(self) -> str:
        if self.version:
            return f"{self.name}:{self.version}"
        return f"{self.name}@{self.alias or LATEST}"


@dataclass(frozen=True)
class RegistryReference:
    """An asset in a registry: ``azureml://registries/<registry>/<kind>s/<name>/...``."""

    registry: str
    kind: str  # environment | component | model | data
    name: str
    version: str | None  # None means the latest version, or the alias's
    alias: str | None = None

    @property
    def asset(self) -> AssetReference:
        """The reference within the registry."""
        return AssetReference(self.name, self.version, self.alias)

    def __str__(self) -> str:
        if self.alias:
            return f"registry:{self.registry}/{self.name}@{self.alias}"
        tail = f"versions/{self.version}" if self.version else "labels/latest"
        plural = next(p for p, k in REGISTRY_KINDS.items() if k == self.kind)
        return f"azureml://registries/{self.registry}/{plural}/{self.name}/{tail}"


def strip_alias(value: str) -> str:
    """Drop the ``azureml:`` prefix so Azure ML specs load unchanged."""
    if value.startswith("azureml:") and not value.startswith("azureml://"):
        return value[len("azureml:") :]
    return value


def parse_registry_uri(
    value: str, *, field: str = "reference", kind: str = "model"
) -> RegistryReference | None:
    """The registry reference an ``azureml://registries/...`` URI or a
    ``registry:<registry>/<name>...`` value names (the short form names no kind: ``kind``
    is what the caller takes); None for any other value. A malformed one is an error
    naming the forms that work."""
    if value.startswith("registry:"):
        return _parse_short_registry_reference(value, field=field, kind=kind)
    if not value.startswith("azureml://registries/"):
        return None
    match = _REGISTRY_URI.match(value.strip())
    named_kind = REGISTRY_KINDS.get(match["kind"]) if match else None
    if match is None or named_kind is None or (match["label"] not in (None, "latest")):
        raise ValidationError(
            f"{value!r} is not a registry reference; use azureml://registries/<registry>/"
            "<environments|components|models|data>/<name>/versions/<version> (or /labels/latest)",
            field=field,
        )
    return RegistryReference(match["registry"], named_kind, match["name"], match["version"])


def _parse_short_registry_reference(value: str, *, field: str, kind: str) -> RegistryReference:
    registry, _, rest = value.removeprefix("registry:").partition("/")
    match = _REFERENCE.match(rest.strip())
    if not registry or match is None:
        raise ValidationError(
            f"{value!r} is not a registry reference; use registry:<registry>/<name>:<version> "
            "(or @latest, or @<alias>)",
            field=field,
        )
    label = match["label"]
    alias = label if label and label != LATEST else None
    return RegistryReference(registry, kind, match["name"], match["version"], alias)


def parse_reference(
    value: str, *, field: str = "reference", allow_bare: bool = True
) -> AssetReference:
    """Parse ``name:version`` / ``name@latest`` / ``name@<alias>`` (and bare ``name`` when
    allowed)."""
    match = _REFERENCE.match(strip_alias(value.strip()))
    if not match or (not allow_bare and not (match["version"] or match["label"])):
        raise ValidationError(
            f"{value!r} is not a reference; use name:version, name@latest, name@<alias> or "
            "azureml://registries/<registry>/<kind>s/<name>/versions/<version>",
            field=field,
        )
    label = match["label"]
    return AssetReference(match["name"], match["version"], label if label != LATEST else None)


def check_alias(alias: str, *, field: str = "alias") -> str:
    """An alias is a short name (letters, digits, ``-``, ``_``; starting with a letter) that
    is not ``latest`` and not a version number."""
    if not _ALIAS.match(alias) or alias == LATEST:
        raise ValidationError(
            f"{alias!r} cannot be an alias: use a name such as champion or challenger "
            "(letters, digits, - and _, starting with a letter; not 'latest')",
            field=field,
        )
    return alias


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
