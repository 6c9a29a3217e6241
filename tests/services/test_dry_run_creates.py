"""``create --dry-run`` of data, online and batch endpoints and deployments, schedules,
monitors and subscriptions, on SQLite and PostgreSQL: each answers what it would create and
leaves no row, event, audit record or stored file behind; the same create for real stores
what the dry run answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpers import write
from opsloop import Client
from opsloop.config import Settings
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.store.database import Database
from opsloop.store.tables import AuditRow, OutboxEventRow


def _written(client: Client) -> tuple[int, int, list[Path]]:
    """Outbox events, audit records and stored files: what a create writes."""
    platform = client._transport.platform  # type: ignore[attr-defined]
    with platform.database.transaction() as session:
        events = session.scalar(select(func.count()).select_from(OutboxEventRow)) or 0
        audit = session.scalar(select(func.count()).select_from(AuditRow)) or 0
    root = platform.artifacts.local_root()
    return events, audit, sorted(root.rglob("*")) if root else []


@pytest.fixture
def served(database: Database, home: Path, model_dirs: dict[str, Path]) -> Iterator[Client]:
    """Workspace dev with model lin:1 deployed as ep/blue, and batch endpoint batch."""
    settings = Settings(home=home, database_url=database.url)
    with Client(settings=settings, workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.models.create(name="lin", path=str(model_dirs["v1"]))
        client.online_endpoints.create(name="ep")
        client.online_deployments.create(name="blue", endpoint_name="ep", model="lin:1")
        client.batch_endpoints.create(name="batch")
        yield client


def test_every_create_dry_run_answers_and_writes_nothing(served: Client, tmp_path: Path) -> None:
    fares = write(tmp_path / "fares.csv", "a,b\n1,2\n3,4\n")
    write(tmp_path / "src/score.py", "def init():\n    pass\n")
    write(tmp_path / "job.yml", "type: command\ncode: ./src\ncommand: python score.py\n")
    schedule = write(
        tmp_path / "nightly.yml",
        "name: nightly\ntrigger: {type: cron, expression: '0 2 * * *'}\ncreate_job: job.yml\n",
    )
    retrain = write(
        tmp_path / "retrain.yml",
        "name: retrain\nworkspace: dev\ntypes: [monitor.alerted]\n"
        "action: {type: run_job, job: job.yml}\n",
    )
    before = _written(served)

    data = served.data.create(name="fares", type="uri_file", path=str(fares), dry_run=True)
    assert (data.name, data.version, data.profile) == ("fares", "1", None)
    endpoint = served.online_endpoints.create(name="ep2", dry_run=True)
    assert endpoint.name == "ep2"
    green = served.online_deployments.create(
        name="green", endpoint_name="ep", model="lin:1", all_traffic=True, dry_run=True
    )
    assert (green.name, green.model) == ("green", "lin:1")
    assert green.provisioning_state != "Succeeded"  # nothing was loaded or provisioned
    assert served.batch_endpoints.create(name="batch2", dry_run=True).name == "batch2"
    nightly = served.batch_deployments.create(
        name="nightly", endpoint_name="batch", model="lin:1", set_default=True, dry_run=True
    )
    assert nightly.name == "nightly"
    planned = served.schedules.create(file=schedule, dry_run=True)
    assert planned.name == "nightly" and planned.next_fire_at is not None
    monitor = served.monitors.create(
        {"name": "watch", "monitoring_target": {"endpoint_deployment": "ep/blue"}}, dry_run=True
    )
    assert (monitor.endpoint, monitor.deployment) == ("ep", "blue")
    hook = served.subscriptions.create(
        name="ci", event_types=["job.failed"], webhook_url="https://ci.example.com/hook",
        dry_run=True,
    )  # fmt: skip
    assert hook.name == "ci" and hook.secret is None  # no secret is made for nothing
    assert served.subscriptions.create(file=retrain, dry_run=True).action["type"] == "run_job"

    assert _written(served) == before  # no row, event, audit record, upload or ONNX file
    assert served.data.list() == []
    assert [e.name for e in served.online_endpoints.list()] == ["ep"]
    assert [d.name for d in served.online_deployments.list(endpoint_name="ep")] == ["blue"]
    assert served.online_endpoints.get("ep").traffic == {}
    assert [e.name for e in served.batch_endpoints.list()] == ["batch"]
    assert served.batch_deployments.list(endpoint_name="batch") == []
    assert served.schedules.list() == [] and served.monitors.list() == []
    assert served.subscriptions.list() == []

    # For real, the same create stores what the dry run answered.
    stored = served.data.create(name="fares", type="uri_file", path=str(fares))
    assert (stored.version, stored.content_hash) == (data.version, data.content_hash)
    with pytest.raises(ConflictError):  # a dry run meets the same checks as a create
        served.batch_endpoints.create(name="batch", dry_run=True)


def test_a_dry_run_refuses_what_the_create_would(served: Client, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(ValidationError) as raised:
        served.data.create(name="d", type="uri_file", path=str(folder), dry_run=True)
    assert raised.value.field == "path" and "must point at a file" in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        served.online_deployments.create(
            name="green", endpoint_name="ep", model="nope:1", dry_run=True
        )
    assert "nope" in str(raised.value)
    with pytest.raises(NotFoundError, match="no deployment 'red'"):
        served.monitors.create(
            {"name": "w", "monitoring_target": {"endpoint_deployment": "ep/red"}}, dry_run=True
        )


def test_a_dry_run_makes_no_master_key(client: Client, home: Path) -> None:
    """An endpoint's keys and a webhook's signing secret are sealed with the master key;
    a dry run seals them with a throwaway one, so the home gets no master.key file."""
    assert not (home / "master.key").exists()
    client.online_endpoints.create(name="ep", dry_run=True)
    client.subscriptions.create(
        name="ci", event_types=["job.failed"], webhook_url="https://ci.example.com/hook",
        dry_run=True,
    )  # fmt: skip
    assert not (home / "master.key").exists()
    client.online_endpoints.create(name="ep")
    assert (home / "master.key").exists()  # a create does make it
