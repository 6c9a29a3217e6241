"""Model aliases: ``name@champion`` resolves wherever a reference is taken, moves with
``set``, and every change is an event."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import opsloop
from opsloop import Client
from opsloop.errors import NotFoundError, ValidationError
from opsloop.services.context import Platform
from opsloop.store.tables import OutboxEventRow


@pytest.fixture
def models(client: Client, model_dirs: dict[str, Path]) -> Client:
    """Model ``lin`` versions 1 (y = a + 2b + 3c) and 2 (y = 10a)."""
    client.models.create(name="lin", path=str(model_dirs["v1"]))
    client.models.create(name="lin", path=str(model_dirs["v2"]))
    return client


def _alias_events(client: Client) -> list[tuple[str, str | None, dict[str, object]]]:
    platform = Platform(client.settings)
    with platform.database.transaction() as session:
        found = [
            (e.type, e.subject, e.payload)
            for e in session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id))
            if e.type.startswith("model.alias")
        ]
    platform.database.dispose()
    return found


def test_an_alias_resolves_and_moves(models: Client) -> None:
    champion = models.models.set_alias("lin", "champion", "1")
    assert (champion.name, champion.alias, champion.version) == ("lin", "champion", "1")
    assert models.models.get("lin@champion").version == "1"
    assert models.models.get("lin:1").aliases == ["champion"]
    assert models.models.get("lin@latest").version == "2"  # latest is not an alias

    models.models.set_alias("lin", "champion", "2")
    models.models.set_alias("lin", "challenger", "@latest")
    models.models.set_alias("lin", "champion", "2")  # unchanged: no event
    assert models.models.get("lin@champion").version == "2"
    assert [m.aliases for m in models.models.list("lin")] == [["challenger", "champion"], []]
    assert [(a.alias, a.version) for a in models.models.aliases("lin")] == [
        ("challenger", "2"),
        ("champion", "2"),
    ]
    models.models.delete_alias("lin", "challenger")
    assert _alias_events(models) == [
        ("model.alias_set", "model:lin@champion", {"alias": "champion", "version": "1",
                                                   "previous_version": None}),
        ("model.alias_set", "model:lin@champion", {"alias": "champion", "version": "2",
                                                   "previous_version": "1"}),
        ("model.alias_set", "model:lin@challenger", {"alias": "challenger", "version": "2",
                                                     "previous_version": None}),
        ("model.alias_deleted", "model:lin@challenger", {"alias": "challenger", "version": "2"}),
    ]  # fmt: skip


def test_a_deployment_keeps_the_version_the_alias_named_when_it_was_made(
    models: Client,
) -> None:
    models.models.set_alias("lin", "champion", "1")
    models.online_endpoints.create(name="ep")
    deployed = models.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin@champion", all_traffic=True
    )
    assert deployed.model == "lin:1"
    models.models.set_alias("lin", "champion", "2")
    assert models.online_deployments.get("blue", endpoint_name="ep").model == "lin:1"
    answer = models.online_endpoints.invoke("ep", body={"input_data": [[1.0, 1.0, 1.0]]})
    assert answer == [pytest.approx(6.0)]


def test_a_job_input_takes_an_alias(models: Client) -> None:
    models.models.set_alias("lin", "champion", "2")
    job = models.jobs.create(
        command="test -f ${{inputs.m}}/MLmodel",
        inputs={"m": {"type": "mlflow_model", "path": "azureml:lin@champion"}},
    )
    assert models.jobs.wait(job.name).status == "Completed"
    assert models.jobs.get(job.name).inputs["m"]["asset"] == "model:lin:2"


def test_bad_aliases_are_refused_with_the_field_named(models: Client) -> None:
    for alias in ("latest", "3", "has space", "x" * 65):
        with pytest.raises(ValidationError, match="cannot be an alias") as caught:
            models.models.set_alias("lin", alias, "1")
        assert caught.value.field == "alias"
    with pytest.raises(ValidationError, match="model lin:9 not found") as caught:
        models.models.set_alias("lin", "champion", "9")
    assert caught.value.field == "version"
    models.online_endpoints.create(name="ep")
    with pytest.raises(ValidationError, match="no version of lin has the alias 'champion'"):
        models.online_deployments.create(name="blue", endpoint_name="ep", model="lin@champion")
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        models.models.delete_alias("lin", "champion")
    assert models.models.aliases("lin") == [] and _alias_events(models) == []


def test_the_cli_sets_shows_and_deletes_aliases(models: Client, home: Path) -> None:
    shown = opsloop("model", "alias", "set", "-n", "lin:2", "--alias", "champion", home=home)
    assert "champion" in shown.stdout
    assert "champion" in opsloop("model", "list", home=home).stdout
    missing = opsloop("model", "alias", "set", "-n", "lin", "--alias", "x", home=home, check=False)
    assert missing.returncode == 2 and "--version" in missing.stderr
    deleted = opsloop("model", "alias", "delete", "-n", "lin", "-a", "champion", home=home)
    assert deleted.stdout.strip() == "Deleted alias lin@champion"
