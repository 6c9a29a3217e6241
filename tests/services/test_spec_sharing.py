"""Sharing environments and components into a registry: a component takes its environment
along, and a job in another workspace runs the registry's component."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import opsloop, write
from opsloop import Client
from opsloop.errors import ConflictError, ValidationError

ENV_URI = "azureml://registries/shared/environments/slim/versions/1"
COMPONENT_URI = "azureml://registries/shared/components/say/versions/1"


@pytest.fixture
def team(client: Client, tmp_path: Path) -> Client:
    """dev (environment slim:1, component say:1 using it), prod, registry shared."""
    client.workspaces.create(name="prod", kind="production")
    client.registries.create(name="shared")
    client.environments.create(name="slim", image="python:3.11-slim")
    write(tmp_path / "src" / "say.py", "import sys\nprint('said', sys.argv[1])\n")
    component = write(
        tmp_path / "say.yml",
        "name: say\ncode: src\nenvironment: azureml:slim:1\n"
        "command: python say.py ${{inputs.word}}\n"
        "inputs:\n  word: {type: string, default: hi}\n",
    )
    client.components.create(file=component)
    return client


def test_a_shared_environment_is_used_from_another_workspace(team: Client) -> None:
    shared = team.environments.share("slim:1", "shared")
    assert (shared.registry, shared.reference, shared.image) == (
        "shared",
        ENV_URI,
        "python:3.11-slim",
    )
    assert shared.shared_from is not None and shared.shared_from.workspace == "dev"
    assert [e.reference for e in team.environments.list(registry="shared")] == [ENV_URI]
    job = team.jobs.create(command="echo ok", environment=ENV_URI, workspace="prod")
    assert job.environment == ENV_URI
    assert team.jobs.wait(job.name, workspace="prod").status == "Completed"


def test_a_shared_component_takes_its_environment_and_runs_in_another_workspace(
    team: Client,
) -> None:
    component = team.components.share("say:1", "shared")
    assert component.reference == COMPONENT_URI
    assert component.spec["environment"]["reference"] == ENV_URI
    assert [e.reference for e in team.environments.list(registry="shared")] == [ENV_URI]
    assert team.components.get("say@latest", registry="shared") == component

    job = team.jobs.create(component=COMPONENT_URI, inputs={"word": "shared"}, workspace="prod")
    assert team.jobs.wait(job.name, workspace="prod").status == "Completed"
    assert "said shared" in team.jobs.logs(job.name, workspace="prod").text
    assert team.jobs.get(job.name, workspace="prod").environment == ENV_URI


def test_sharing_again_is_refused_and_a_different_environment_of_that_version_too(
    team: Client,
) -> None:
    team.components.share("say:1", "shared")
    with pytest.raises(ConflictError, match="already has component say:1"):
        team.components.share("say:1", "shared")
    team.components.share("say:1", "shared", share_with_version="2")  # the same env is reused
    # Another dev workspace's slim:1 is a different environment than the registry's slim:1.
    team.workspaces.create(name="dev2")
    team.environments.create(name="slim", image="python:3.12-slim", workspace="dev2")
    team.components.create(
        name="say", command="echo ${{inputs.word}}", environment="azureml:slim:1",
        inputs={"word": {"type": "string"}}, workspace="dev2",
    )  # fmt: skip
    with pytest.raises(ConflictError, match="differs from the registry 'shared'"):
        team.components.share("say:1", "shared", share_with_version="3", workspace="dev2")
    versions = [c.version for c in team.components.list("say", registry="shared")]
    assert versions == ["2", "1"]


def test_a_component_the_registry_lacks_is_named(team: Client) -> None:
    with pytest.raises(ValidationError, match="registry 'shared' holds no components yet"):
        team.jobs.create(component=COMPONENT_URI, workspace="prod")
    team.environments.share("slim:1", "shared")
    with pytest.raises(ValidationError, match=r"component say:1 not found in registry 'shared'"):
        team.jobs.create(component=COMPONENT_URI, workspace="prod")


def test_the_cli_shares_and_lists(team: Client, home: Path) -> None:
    shared = opsloop("component", "share", "-n", "say:1", "--registry", "shared", home=home)
    assert f"Use it from any workspace as {COMPONENT_URI}" in shared.stdout
    listed = opsloop("environment", "list", "--registry", "shared", home=home)
    assert "slim" in listed.stdout and "shared" in listed.stdout
