"""`opsloop apply` against a real `opsloop server` on PostgreSQL, as a CI service principal
holding Contributor in dev and Reader in prod: dev's resources are applied; prod's are
refused, each reported on its own line, and nothing of prod is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import postgres_server, write
from opsloop import Client
from opsloop.project.apply import apply_plan, plan_file, summary

pytestmark = pytest.mark.postgres

PROJECT = """\
name: taxi-fares
workspaces:
  - name: dev
    computes: [{name: cpu, type: local, max_instances: 2}]
    schedules:
      - name: nightly
        trigger: {type: cron, expression: "0 2 * * *"}
        create_job: {type: command, command: python -c pass}
  - name: prod
    kind: production
    computes: [{name: serving, type: local}]
"""


@pytest.fixture
def server(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with postgres_server(postgres_url, tmp_path) as started:
        yield started


def test_apply_as_a_service_principal_reports_each_refusal(
    server: tuple[str, str], tmp_path: Path
) -> None:
    url, owner_token = server
    with Client(url, token=owner_token) as owner:
        owner.workspaces.create(name="dev")
        owner.workspaces.create(name="prod", kind="production")
        owner.principals.create("cicd", kind="service_principal")
        owner.role_assignments.create("cicd", "Contributor", scope="/workspaces/dev")
        owner.role_assignments.create("cicd", "Reader", scope="/workspaces/prod")
        token = owner.tokens.create("cicd").token
    path = write(tmp_path / "project.yaml", PROJECT)
    with Client(url, token=token) as cicd:
        plan = apply_plan(plan_file(cicd, path))
        outcomes = {c.address: c.outcome for c in plan.pending}
        assert outcomes["dev/compute/cpu"] == "applied"
        assert outcomes["dev/schedule/nightly"] == "applied"
        assert outcomes["prod/compute/serving"] == "failed"
        refused = next(c for c in plan.pending if c.address == "prod/compute/serving")
        assert "computes/write" in refused.message, refused.message
        assert "failed: " in summary(plan, applied=True)
        assert cicd.computes.get("cpu", workspace="dev").max_instances == 2
        assert cicd.schedules.get("nightly", workspace="dev").run_as == "service_principal:cicd"

    # The CLI, remote: the same plan, unchanged in dev, and exit status 1 for prod's refusal.
    env = {**os.environ, "OPSLOOP_URI": url, "OPSLOOP_TOKEN": token}
    answer = subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", "apply", "-f", str(path), "-o", "json"],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )
    assert answer.returncode == 1, answer.stderr
    changes = {c["address"]: c for c in json.loads(answer.stdout)["changes"]}
    assert changes["dev/compute/cpu"]["action"] == "unchanged"
    assert changes["dev/schedule/nightly"]["action"] == "unchanged"
    assert changes["prod/compute/serving"]["outcome"] == "failed"
    assert changes["workspace/prod"]["action"] == "unchanged"
    with Client(url, token=owner_token) as owner:
        assert owner.computes.list(workspace="prod") == []
