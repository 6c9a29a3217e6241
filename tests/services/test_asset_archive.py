"""Archive and restore of asset versions: hidden from lists and name@latest, still found by
name:version, recorded once, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from helpers import write
from opsloop import Client, NotFoundError, ValidationError
from opsloop.config import Settings
from opsloop.services.context import Platform
from opsloop.store.tables import AuditRow, OutboxEventRow


def _two_data_versions(client: Client, tmp_path: Path) -> None:
    for rows in ("a\n1\n", "a\n2\n"):
        client.data.create(name="d", type="uri_file", path=str(write(tmp_path / "d.csv", rows)))


def _recorded(client: Client, kind_prefix: str) -> tuple[list[Any], list[Any]]:
    """The archive events and audit records so far (type/action, subject/target, payload)."""
    platform = Platform(client.settings)
    with platform.database.transaction() as session:
        events = [
            (e.type, e.subject, e.payload)
            for e in session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id))
            if e.type.endswith((".archived", ".restored"))
        ]
        audit = [
            (a.action, a.target, a.outcome)
            for a in session.scalars(select(AuditRow).order_by(AuditRow.id))
            if a.action == f"{kind_prefix}/archive"
        ]
    platform.database.dispose()
    return events, audit


def test_an_archived_version_is_hidden_but_found_by_its_version(
    client: Client, tmp_path: Path
) -> None:
    _two_data_versions(client, tmp_path)
    archived = client.data.archive("d", "2")
    assert [(v.reference, v.archived) for v in archived] == [("d:2", True)]
    assert archived[0].archived_at is not None
    # Hidden from lists and from name@latest ...
    assert [v.reference for v in client.data.list()] == ["d:1"]
    assert [v.reference for v in client.data.list("d")] == ["d:1"]
    assert client.data.get("d@latest").version == "1"
    # ... still there by its version, and listed on request, saying so.
    assert client.data.get("d:2").archived is True
    listed = client.data.list("d", include_archived=True)
    assert [(v.reference, v.archived) for v in listed] == [("d:2", True), ("d:1", False)]
    assert [v.reference for v in client.data.list(include_archived=True)] == ["d:2"]

    restored = client.data.restore("d", "2")
    assert [(v.reference, v.archived, v.archived_at) for v in restored] == [("d:2", False, None)]
    assert client.data.get("d@latest").version == "2"


def test_without_a_version_every_version_is_archived(client: Client, tmp_path: Path) -> None:
    _two_data_versions(client, tmp_path)
    assert [v.reference for v in client.data.archive("d")] == ["d:1", "d:2"]
    assert client.data.list() == [] and client.data.list("d") == []
    with pytest.raises(NotFoundError, match="every version of d is archived"):
        client.data.get("d@latest")
    # Version numbers are never handed out twice, archived or not.
    third = client.data.create(
        name="d", type="uri_file", path=str(write(tmp_path / "d.csv", "a\n3\n"))
    )
    assert third.version == "3" and client.data.get("d@latest").version == "3"
    assert [v.reference for v in client.data.restore("d")] == ["d:1", "d:2", "d:3"]
    assert [v.version for v in client.data.list("d")] == ["3", "2", "1"]


def test_archiving_twice_is_quiet_and_recorded_once(client: Client, tmp_path: Path) -> None:
    _two_data_versions(client, tmp_path)
    client.data.archive("d", "1")
    again = client.data.archive("d", "1")
    assert [(v.reference, v.archived) for v in again] == [("d:1", True)]
    client.data.archive("d")  # only version 2 changes
    client.data.restore("d", "2")
    client.data.restore("d", "2")
    events, audit = _recorded(client, "data")
    assert events == [
        ("data.archived", "data:d:1", {"versions": ["1"]}),
        ("data.archived", "data:d", {"versions": ["2"]}),
        ("data.restored", "data:d:2", {"versions": ["2"]}),
    ]
    assert audit == [
        ("data/archive", "data:d:1", "succeeded"),
        ("data/archive", "data:d", "succeeded"),
        ("data/archive", "data:d:2", "succeeded"),
    ]


def test_an_unknown_name_or_version_is_a_404_naming_it(client: Client, tmp_path: Path) -> None:
    _two_data_versions(client, tmp_path)
    with pytest.raises(NotFoundError, match="data d:7 not found in workspace 'dev'"):
        client.data.archive("d", "7")
    with pytest.raises(NotFoundError, match="data nope not found in workspace 'dev'"):
        client.data.restore("nope")
    with pytest.raises(NotFoundError, match="model d not found"):
        client.models.archive("d")  # a data asset's name is not a model's
    with pytest.raises(ValidationError) as error:
        client.data.archive("d", "")
    assert error.value.field == "version"
    assert client.data.get("d:1").archived is False  # nothing changed
    _, audit = _recorded(client, "data")
    assert [outcome for *_, outcome in audit] == ["failed", "failed"]


def test_a_job_may_use_an_archived_version_by_its_version_only(
    client: Client, tmp_path: Path
) -> None:
    client.environments.create(name="env", requirements=["numpy"])
    client.environments.create(name="env", requirements=["pandas"])
    client.environments.archive("env", "2")
    component = write(
        tmp_path / "c.yml", "name: c\ncommand: echo hi\nenvironment: azureml:env@latest\n"
    )
    assert client.components.create(file=component).spec["environment"]["reference"] == "env:1"
    pinned = write(tmp_path / "p.yml", "name: c\ncommand: echo hi\nenvironment: azureml:env:2\n")
    assert client.components.create(file=pinned).spec["environment"]["reference"] == "env:2"
    client.environments.archive("env")
    with pytest.raises(ValidationError, match="every version of env is archived") as error:
        client.components.create(file=component)
    assert error.value.field == "environment"


@pytest.mark.parametrize("kind", ["environments", "components", "models"])
def test_every_asset_kind_archives_and_restores(
    client: Client, tmp_path: Path, model_dirs: dict[str, Path], kind: str
) -> None:
    operations = getattr(client, kind)
    for _ in range(2):
        if kind == "environments":
            client.environments.create(name="x", image="python:3.11")
        elif kind == "components":
            client.components.create(name="x", command="echo hi")
        else:
            client.models.create(name="x", path=str(model_dirs["v1"]))
    assert [v.reference for v in operations.archive("x", "2")] == ["x:2"]
    assert operations.get("x@latest").version == "1"
    assert [v.version for v in operations.list("x")] == ["1"]
    assert [v.version for v in operations.list("x", include_archived=True)] == ["2", "1"]
    assert [v.reference for v in operations.restore("x")] == ["x:1", "x:2"]
    assert operations.get("x@latest").version == "2"
    events, audit = _recorded(client, kind)
    singular = kind.removesuffix("s")
    assert [(t, s) for t, s, _ in events] == [
        (f"{singular}.archived", f"{singular}:x:2"),
        (f"{singular}.restored", f"{singular}:x"),
    ]
    assert [action for action, *_ in audit] == [f"{kind}/archive"] * 2


def test_archive_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "pg", database_url=postgres_url)
    with Client(settings=settings, workspace="dev") as client:
        client.workspaces.create(name="dev")
        _two_data_versions(client, tmp_path)
        client.data.archive("d", "2")
        assert client.data.get("d@latest").version == "1"
        assert client.data.get("d:2").archived is True
        assert [v.version for v in client.data.list("d", include_archived=True)] == ["2", "1"]
        client.data.restore("d")
        assert [v.archived for v in client.data.list("d")] == [False, False]
