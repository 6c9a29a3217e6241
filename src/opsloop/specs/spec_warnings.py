"""The warning a spec gets for a key that is accepted and not used (``azureml_keys``), in a
module of its own: the SDK's entities carry such warnings, and importing them should not
build every spec model."""

from __future__ import annotations

from pydantic import BaseModel


class SpecWarning(BaseModel):
    """A key that was accepted and is not used: where it is, and what happens instead."""

    field: str
    message: str
    file: str | None = None  # filled in by the client that read the spec
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else ""
        return f"{where}{self.field}: {self.message}"
