"""Request bodies of the secrets vault."""

from __future__ import annotations

from pydantic import Field

from opsloop.specs.base import SpecModel

MAX_SECRET_BYTES = 64 * 1024


class SecretSpec(SpecModel):
    """A secret's new value (its name is in the path)."""

    value: str = Field(min_length=1, max_length=MAX_SECRET_BYTES, description="The value, as text.")
