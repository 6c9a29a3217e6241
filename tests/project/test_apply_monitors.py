"""apply on SQLite and PostgreSQL, with a monitor of a real deployment: created, unchanged
on a second apply, its spec replaced in place when the file changes it, pruned."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import write
from opsloop import Client
from opsloop.config import Settings
from opsloop.project.apply import apply_plan, plan_file
from opsloop.store.database import Database

PROJECT = """\
name: fares
workspaces:
  - name: dev
    monitors:
      - name: fares-drift
        description: {description}
        monitoring_target: {{endpoint_deployment_id: "ep:blue"}}
    computes: [{{name: cpu, max_instances: 1}}]
"""


@pytest.fixture
def deployed(database: Database, home: Path, model_dirs: dict[str, Path]) -> Iterator[Client]:
    settings = Settings(home=home, database_url=database.url)
    with Client(settings=settings, workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.models.create(name="lin", path=str(model_dirs["v1"]))
        client.online_endpoints.create(name="ep")
        client.online_deployments.create(
            name="blue", endpoint_name="ep", model="lin:1", all_traffic=True
        )
        yield client


def test_a_monitor_is_applied_compared_replaced_and_pruned(
    deployed: Client, tmp_path: Path
) -> None:
    path = write(tmp_path / "project.yaml", PROJECT.format(description="drift of fares"))
    plan = apply_plan(plan_file(deployed, path))
    assert {c.address: c.outcome for c in plan.pending} == {
        "dev/monitor/fares-drift": "applied",
        "dev/compute/cpu": "applied",
    }
    assert plan_file(deployed, path).pending == []
    write(path, PROJECT.format(description="drift of taxi fares"))
    dry = plan_file(deployed, path)
    [change] = dry.pending
    assert (change.action, change.diffs) == (
        "update",
        [("description", "drift of fares", "drift of taxi fares")],
    )
    assert apply_plan(dry).pending[0].outcome == "applied"
    assert deployed.monitors.get("fares-drift").spec["description"] == "drift of taxi fares"
    write(path, PROJECT.format(description="x").split("    monitors:")[0])
    pruned = apply_plan(plan_file(deployed, path, prune=True))
    assert sorted((c.action, c.address, c.outcome) for c in pruned.pending) == [
        ("delete", "dev/compute/cpu", "applied"),
        ("delete", "dev/monitor/fares-drift", "applied"),
    ]
    assert deployed.monitors.list() == []
