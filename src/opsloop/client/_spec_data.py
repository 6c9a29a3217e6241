"""Spec data from a YAML file, a mapping or a spec object, with ``--set`` overrides, checked
once against its spec class, remembering where each value came from (``Origin``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from opsloop.client._resolve import Origin


def build_spec(
    model: Any,
    spec: Any = None,
    *,
    file: str | Path | None = None,
    overrides: list[str] | None = None,
    fields: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Origin]:
    """Spec data from a file, a mapping or a spec object, with overrides, checked once.
    ``model``: the spec class, or its name in ``opsloop.specs``."""
    # Imported here: the spec models and the YAML loader are for submitting, and a call
    # that reads (list, show) should not pay for building them.
    from opsloop.client._resolve import Origin
    from opsloop.specs import apply_overrides
    from opsloop.specs.loader import override_paths, read_yaml

    model = _spec_class(model)
    if file is not None:
        path = Path(file)
        data, lines = read_yaml(path)
        origin = Origin(path.resolve().parent, str(path), lines)
    elif isinstance(spec, BaseModel):
        data, origin = spec.model_dump(by_alias=True, exclude_none=True), Origin(Path.cwd())
    else:
        data, origin = dict(spec or {}), Origin(Path.cwd())
    given = {k: v for k, v in (fields or {}).items() if v is not None}
    data.update(given)
    origin.given.update({(key,): key for key in given})
    if overrides:
        apply_overrides(data, overrides)
        origin.given.update({path: f"--set {'.'.join(path)}" for path in override_paths(overrides)})
    origin.validate(model, data)
    return data, origin


def _spec_class(model: Any) -> Any:
    """A spec class given by its name in ``opsloop.specs`` (or already a class)."""
    if isinstance(model, str):
        import opsloop.specs

        return getattr(opsloop.specs, model)
    return model
