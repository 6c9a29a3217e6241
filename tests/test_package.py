"""The package facade: every public name resolves, and a part of opsloop can be imported
without the client (child processes start faster for it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import opsloop


@pytest.mark.parametrize("name", opsloop.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(opsloop, name) is not None
    assert name in dir(opsloop)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Clinet'"):
        opsloop.Clinet  # noqa: B018


@pytest.mark.parametrize(
    "module", ["opsloop.serving.collection.request_log_writer", "opsloop.serving.batch.worker"]
)
def test_child_process_modules_do_not_import_the_client(module: str) -> None:
    code = f"import sys, {module}; print('opsloop.client' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
