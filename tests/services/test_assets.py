"""Workspaces, datastores, data, environments, components through the embedded client."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import write
from opsloop import Client, ConflictError, NotFoundError, ValidationError
from opsloop.services.context import Platform
from opsloop.store.tables import AssetVersionRow, AuditRow, OutboxEventRow


def test_workspace_conflict_and_not_found(client: Client) -> None:
    with pytest.raises(ConflictError, match="already exists"):
        client.workspaces.create(name="dev")
    with pytest.raises(NotFoundError, match="workspace 'nope' not found"):
        client.data.list(workspace="nope")
    prod = client.workspaces.create(name="prod", kind="production")
    assert prod.kind == "production"
    assert [w.name for w in client.workspaces.list()] == ["dev", "prod"]
    assert [d.name for d in client.datastores.list()] == ["workspaceblobstore"]


def test_data_versions_hash_and_profile(client: Client, tmp_path: Path) -> None:
    csv = write(tmp_path / "d.csv", "a,b\n1,x\n2,y\n,x\n")
    first = client.data.create(name="d", type="uri_file", path=str(csv))
    write(tmp_path / "d.csv", "a,b\n1,x\n2,y\n3,x\n")
    second = client.data.create(name="d", type="uri_file", path=str(csv))
    assert (first.version, second.version) == ("1", "2")
    assert first.content_hash != second.content_hash
    assert client.data.get("d@latest").version == "2"
    assert client.data.get("azureml:d:1").content_hash == first.content_hash
    profile = first.profile
    assert profile is not None and profile["row_count"] == 3
    column_a = next(c for c in profile["columns"] if c["name"] == "a")
    assert column_a["missing_count"] == 1
    # The registered copy is immutable: changing the local file did not change version 1.
    assert client.data.get("d:1").content_hash == first.content_hash


def test_data_errors_name_the_field(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(ValidationError, match="must point at a file") as error:
        client.data.create(name="d", type="uri_file", path=str(folder))
    assert error.value.field == "path"
    with pytest.raises(ValidationError, match="does not exist"):
        client.data.create(name="d", type="uri_file", path=str(tmp_path / "missing.csv"))
    with pytest.raises(ValidationError, match="datastore 'nope' not found"):
        client.data.create(name="d", type="uri_file", path="azureml://datastores/nope/paths/x.csv")
    with pytest.raises(NotFoundError, match="data d@latest not found"):
        client.data.get("d@latest")


def test_explicit_version_conflicts(client: Client, tmp_path: Path) -> None:
    csv = write(tmp_path / "d.csv", "a\n1\n")
    client.data.create(name="d", version="2024.1", type="uri_file", path=str(csv))
    with pytest.raises(ConflictError, match="versions are immutable"):
        client.data.create(name="d", version="2024.1", type="uri_file", path=str(csv))


def test_environment_from_yaml_reads_the_conda_file(client: Client, tmp_path: Path) -> None:
    write(
        tmp_path / "conda.yml", "name: x\ndependencies:\n  - python=3.11\n  - pip:\n    - mlflow\n"
    )
    spec = write(
        tmp_path / "env.yml", "name: train-env\nconda_file: conda.yml\nimage: python:3.11\n"
    )
    env = client.environments.create(file=spec)
    assert env.conda_file == {"name": "x", "dependencies": ["python=3.11", {"pip": ["mlflow"]}]}
    bad = write(tmp_path / "bad-env.yml", "name: e\nconda_file: missing.yml\n")
    with pytest.raises(ValidationError, match="cannot be read") as error:
        client.environments.create(file=bad)
    assert error.value.line == 2 and error.value.file == str(bad)


def test_component_validation_happens_before_anything_is_stored(
    client: Client, tmp_path: Path, home: Path
) -> None:
    write(tmp_path / "src" / "run.py", "print('hi')\n")
    spec = write(
        tmp_path / "c.yml", "name: c\ncode: src\ncommand: python run.py ${{inputs.nope}}\n"
    )
    with pytest.raises(ValidationError, match="undeclared input 'nope'"):
        client.components.create(file=spec)
    with pytest.raises(ValidationError, match="environment taxi@latest not found"):
        client.components.create(
            file=write(
                tmp_path / "c2.yml", "name: c\ncommand: echo\nenvironment: azureml:taxi@latest\n"
            )
        )
    platform = Platform(client.settings)
    with platform.database.transaction() as session:
        assert (
            session.scalars(
                select(AssetVersionRow).where(AssetVersionRow.asset_kind == "component")
            ).all()
            == []
        )
        failed = session.scalars(select(AuditRow).where(AuditRow.outcome == "failed")).all()
        assert {row.action for row in failed} == {"components/write"}


def test_every_mutation_is_audited_with_an_outbox_event(client: Client, tmp_path: Path) -> None:
    client.data.create(name="d", type="uri_file", path=str(write(tmp_path / "d.csv", "a\n1\n")))
    platform = Platform(client.settings)
    with platform.database.transaction() as session:
        audit = session.scalars(select(AuditRow).order_by(AuditRow.id)).all()
        events = session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id)).all()
    # The local file is uploaded first, and the upload is audited like the rest.
    assert [a.action for a in audit] == ["workspaces/write", "uploads/write", "data/write"]
    assert all(a.outcome == "succeeded" and a.actor for a in audit)
    assert [e.type for e in events] == ["workspace.created", "upload.stored", "data.registered"]
    assert events[1].payload["url"] == events[2].payload["path"]


def test_model_download_unpacks_the_registered_files(
    client: Client, model_dirs: dict[str, Path], tmp_path: Path
) -> None:
    client.models.create(name="lin", path=str(model_dirs["v1"]))
    target = client.models.download("lin:1", tmp_path / "out")
    assert target == tmp_path / "out" / "lin-1"
    source = model_dirs["v1"]
    expected = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert (
        expected
        and sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file()) == expected
    )
    assert (target / "MLmodel").read_bytes() == (source / "MLmodel").read_bytes()
    with pytest.raises(NotFoundError):
        client.models.download("lin:9", tmp_path / "out")
