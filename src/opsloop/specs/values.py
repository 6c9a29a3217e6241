"""Typed literal inputs: one place coerces and checks ``type``, ``min``, ``max``, ``enum``."""

from __future__ import annotations

from typing import Any, Protocol

from opsloop.errors import ValidationError


class LiteralDeclaration(Protocol):
    @property
    def type(self) -> str | None: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def enum(self) -> list[Any] | None: ...


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def coerce_literal(decl: LiteralDeclaration, value: Any, *, field: str = "value") -> Any:
    """Return ``value`` as the declared literal type, or raise naming the field."""
    kind = decl.type
    if kind not in ("string", "integer", "number", "boolean"):
        return value
    try:
        coerced = _coerce(kind, value)
    except (TypeError, ValueError):
        raise ValidationError(f"{value!r} is not a valid {kind}", field=field) from None
    if kind in ("integer", "number"):
        if decl.min is not None and coerced < decl.min:
            raise ValidationError(f"{coerced} is below the minimum {decl.min:g}", field=field)
        if decl.max is not None and coerced > decl.max:
            raise ValidationError(f"{coerced} is above the maximum {decl.max:g}", field=field)
    if decl.enum is not None and coerced not in decl.enum:
        raise ValidationError(f"{coerced!r} is not one of {decl.enum}", field=field)
    return coerced


def _coerce(kind: str, value: Any) -> Any:
    if kind == "string":
        if isinstance(value, dict | list):
            raise TypeError
        return str(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError
    if isinstance(value, bool):
        raise TypeError
    if kind == "integer":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(value)
    return float(value)


def literal_text(value: Any) -> str:
    """How a literal appears on a command line."""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)
