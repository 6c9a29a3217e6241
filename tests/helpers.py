"""Small helpers for tests (importable thanks to pythonpath = tests)."""

from __future__ import annotations

from pathlib import Path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "classical"
