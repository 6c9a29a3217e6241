"""The label action: a labeling task opened and extended with an event's items (its
``data.items``, else rows of its production window), exported as a data asset; exactly
once when a worker dies between the effect and the commit."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from helpers import opsloop
from opsloop import Client
from opsloop.config import Settings
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import labeling, subscriptions
from opsloop.services.context import Platform
from opsloop.store.artifacts import materialize
from subscription_helpers import alert_type, crash_then_redeliver, dispatcher, emit_alert

__all__ = ["alert_type"]  # a fixture


def _window(folder: Path, rows: int) -> str:
    folder.mkdir()
    frame = pd.DataFrame({"distance": [float(i) for i in range(rows)], "zone": ["a"] * rows})
    frame.iloc[:2].to_csv(folder / "part-0.csv", index=False)
    frame.iloc[2:].to_csv(folder / "part-1.csv", index=False)
    return folder.as_uri()


def _subscribe(client: Client, alert_type: str, limit: int = 3) -> None:
    client.subscriptions.create(
        name="label-drift", types=[alert_type], workspace="dev",
        action={"type": "label", "task": "drifted-rows", "limit": limit},
    )  # fmt: skip


def test_items_from_the_event_or_its_window_then_exported(
    client: Client, home: Path, tmp_path: Path, alert_type: str
) -> None:
    _subscribe(client, alert_type)
    platform = Platform(Settings(home=home))
    deliver = dispatcher(platform)
    emit_alert(platform, "dev", _window(tmp_path / "w1", rows=5))  # 3 rows: the limit
    emit_alert(platform, "dev", "file:///unused", items=[{"text": "late fee?"}, "refund"])
    assert deliver() == 2
    task = client.labeling.get("drifted-rows")
    assert task.items == 5
    assert task.sample == [
        {"distance": 0.0, "zone": "a"}, {"distance": 1.0, "zone": "a"},
        {"distance": 2.0, "zone": "a"}, {"text": "late fee?"}, {"value": "refund"},
    ]  # fmt: skip
    with platform.context(SYSTEM_ACTOR) as ctx:
        effects = [d.effect for d in subscriptions.list_deliveries(ctx, "label-drift")]
    assert effects == [
        "labeling-task:dev/drifted-rows (+3 items)",
        "labeling-task:dev/drifted-rows (+2 items)",
    ]
    assert [e.data["total"] for e in client.events.list(type="labeling_task.*")] == [3, 5]

    exported = client.labeling.export("drifted-rows", to_data="to-label")
    assert exported.type == "uri_file" and exported.version == "1"
    local = materialize(exported.path, tmp_path / "exported")
    lines = [json.loads(line) for line in local.read_text().splitlines()]
    assert lines == task.sample
    as_csv = client.labeling.export("drifted-rows", to_data="to-label", format="csv")
    assert as_csv.version == "2"
    table = pd.read_csv(materialize(as_csv.path, tmp_path / "csv"))
    assert list(table.columns) == ["distance", "zone", "text", "value"] and len(table) == 5

    listed = json.loads(opsloop("labeling", "list", "-o", "json", home=home).stdout)
    assert [(t["name"], t["items"]) for t in listed] == [("drifted-rows", 5)]
    cli = opsloop("labeling", "export", "drifted-rows", "--to-data", "to-label", home=home)
    assert "to-label" in cli.stdout
    missing = opsloop("labeling", "show", "nothing", home=home, check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr


def test_a_worker_killed_before_the_commit_adds_the_items_once(
    client: Client, home: Path, tmp_path: Path, alert_type: str
) -> None:
    _subscribe(client, alert_type, limit=10)
    platform = Platform(Settings(home=home))
    emit_alert(platform, "dev", _window(tmp_path / "w", rows=4))

    def no_task() -> bool:
        with platform.context(SYSTEM_ACTOR) as ctx:
            return labeling.list_tasks(ctx, "dev") == []

    crash_then_redeliver(platform, home, tmp_path / "workers.log", "label-drift", no_task)
    assert client.labeling.get("drifted-rows").items == 4
