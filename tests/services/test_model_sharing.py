"""Sharing model versions into registries: files copied and hash-checked, lineage kept,
immutable, deployable from any workspace by the registry's URI; on both stores."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from opsloop import Client
from opsloop.config import Settings
from opsloop.errors import ConflictError, NotFoundError, ValidationError
from opsloop.file_urls import local_path_of
from opsloop.services.context import Platform
from opsloop.store.database import Database
from opsloop.store.tables import AuditRow, OutboxEventRow

ROW = {"a": 1.0, "b": 1.0, "c": 1.0}
REGISTRY_URI = "azureml://registries/shared/models/lin/versions/1"


@pytest.fixture
def team(database: Database, home: Path, model_dirs: dict[str, Path]) -> Iterator[Client]:
    """dev and prod workspaces, registry ``shared``, model ``lin`` 1 (y = a + 2b + 3c) in dev."""
    settings = Settings(home=home, database_url=database.url)
    with Client(settings=settings, workspace="dev") as client:
        client.workspaces.create(name="dev")
        client.workspaces.create(name="prod", kind="production")
        client.registries.create(name="shared")
        client.models.create(name="lin", path=str(model_dirs["v1"]))
        yield client


def test_a_shared_version_is_a_verified_copy_that_keeps_where_it_came_from(
    team: Client,
) -> None:
    source = team.models.get("lin:1")
    shared = team.models.share("lin:1", "shared")
    assert (shared.registry, shared.workspace, shared.reference) == ("shared", None, REGISTRY_URI)
    assert shared.content_hash == source.content_hash
    assert shared.path != source.path and "registries/shared/models/lin/1" in shared.path
    assert shared.flavors == source.flavors and shared.lineage == source.lineage
    assert shared.shared_from is not None
    assert shared.shared_from.model_dump() == {"workspace": "dev", "name": "lin", "version": "1"}
    assert team.models.list(registry="shared") == [shared]
    assert team.models.get("lin:1", registry="shared") == shared
    assert team.models.get("lin@latest", registry="shared") == shared
    # Workspaces list no registry, and the registry's space is not a workspace.
    assert [w.name for w in team.workspaces.list()] == ["dev", "prod"]
    with pytest.raises(NotFoundError):
        team.workspaces.get("registry:shared")


def test_a_registry_version_is_immutable_and_named_versions_are_kept(
    team: Client, model_dirs: dict[str, Path]
) -> None:
    team.models.share("lin:1", "shared")
    with pytest.raises(ConflictError, match="already has model lin:1, shared from dev/lin:1"):
        team.models.share("lin:1", "shared")
    team.models.create(name="lin", path=str(model_dirs["v2"]))
    with pytest.raises(ConflictError, match="immutable"):
        team.models.share("lin:2", "shared", share_with_version="1")
    renamed = team.models.share("lin:2", "shared", share_with_name="taxi", share_with_version="7")
    assert renamed.reference == "azureml://registries/shared/models/taxi/versions/7"
    assert [m.reference for m in team.models.list(registry="shared")] == [
        REGISTRY_URI,
        renamed.reference,
    ]


def test_sharing_records_one_event_and_one_audit_entry(team: Client) -> None:
    team.models.share("lin:1", "shared")
    platform = Platform(team.settings)
    with platform.database.transaction() as session:
        events = [
            (e.type, e.workspace, e.subject, e.payload["source"])
            for e in session.scalars(select(OutboxEventRow))
            if e.type == "model.shared"
        ]
        audit = [
            (a.action, a.outcome) for a in session.scalars(select(AuditRow))
            if a.action == "models/share"
        ]  # fmt: skip
    platform.database.dispose()
    assert events == [("model.shared", "dev", "registry:shared/model:lin:1", "dev/lin:1")]
    assert audit == [("models/share", "succeeded")]


def test_any_workspace_deploys_and_scores_a_registry_model(team: Client) -> None:
    team.models.share("lin:1", "shared")
    endpoints, deployments = team.online_endpoints, team.online_deployments
    endpoints.create(name="ep", workspace="prod")
    for name, model in (("blue", REGISTRY_URI), ("green", "registry:shared/lin@latest")):
        deployed = deployments.create(
            name=name, endpoint_name="ep", model=model, all_traffic=True, workspace="prod"
        )
        assert deployed.model == REGISTRY_URI  # resolved and pinned to the version
    answer = endpoints.invoke("ep", body={"input_data": [ROW]}, workspace="prod")
    assert answer == [pytest.approx(6.0)]


def test_a_command_job_reads_a_registry_model_as_an_input(team: Client) -> None:
    team.models.share("lin:1", "shared")
    job = team.jobs.create(
        command="test -f ${{inputs.m}}/MLmodel",
        inputs={"m": {"type": "mlflow_model", "path": REGISTRY_URI}},
        workspace="prod",
    )
    assert team.jobs.wait(job.name, workspace="prod").status == "Completed"


def test_bad_shares_name_what_is_wrong_and_change_nothing(team: Client) -> None:
    with pytest.raises(NotFoundError, match="registry 'elsewhere' not found"):
        team.models.share("lin:1", "elsewhere")
    with pytest.raises(ValidationError, match="model lin:9 not found in workspace 'dev'"):
        team.models.share("lin:9", "shared")
    team.online_endpoints.create(name="ep", workspace="prod")
    with pytest.raises(ValidationError, match="registry 'shared' holds no models yet") as caught:
        team.online_deployments.create(
            name="blue", endpoint_name="ep", model=REGISTRY_URI, workspace="prod"
        )
    assert caught.value.field == "model"
    assert team.models.list(registry="shared") == []


def test_files_that_changed_since_registration_are_refused(team: Client) -> None:
    source = local_path_of(team.models.get("lin:1").path)
    assert source is not None
    (source / "MLmodel").write_text((source / "MLmodel").read_text() + "\n# edited\n")
    with pytest.raises(ValidationError, match="changed since it was registered"):
        team.models.share("lin:1", "shared")
    assert team.models.list(registry="shared") == []


def test_a_registry_model_downloads_and_loads(team: Client, tmp_path: Path) -> None:
    team.models.share("lin:1", "shared")
    folder = team.models.download("lin:1", tmp_path / "out", registry="shared")
    assert (folder / "MLmodel").is_file()
    shutil.rmtree(folder)
    model = team.models.load("lin:1", registry="shared")
    assert model.predict([ROW]).tolist() == [pytest.approx(6.0)]
