"""The nlp scaffold end to end with each CI system's pipelines (see tests/scaffold_e2e.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsloop.scaffold import CI_SYSTEMS
from scaffold_e2e import run_scaffolded_project


@pytest.mark.slow
@pytest.mark.parametrize("ci", CI_SYSTEMS)
def test_the_nlp_pipelines_train_share_and_promote_on_a_server(tmp_path: Path, ci: str) -> None:
    run_scaffolded_project(tmp_path, "nlp", ci)
