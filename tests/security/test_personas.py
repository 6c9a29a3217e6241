"""The persona tables as shipped: they load, every declared action has its family, family
roles allow only their family's actions, the data refuses typos, and docs/security.md
renders the same two tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from opsloop.catalogue.actions import Action
from opsloop.security import personas
from opsloop.security.roles import BUILT_IN_ROLES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _markdown(kind: personas.WorkspaceKind) -> str:
    data = personas.tables()
    table = data.kinds[kind]
    lines = [
        "| persona | " + " | ".join(f.title for f in data.families) + " |",
        "|---|" + "---|" * len(data.families),
    ]
    for persona in data.personas:
        row = table.cells[persona.id]
        name = f"`{persona.id}`" + (" (just-in-time)" if persona.id in table.just_in_time else "")
        cells = [", ".join(row.get(f.id, ())) for f in data.families]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", personas.KINDS)
def test_the_docs_render_the_shipped_tables(kind: personas.WorkspaceKind) -> None:
    assert _markdown(kind) in DOCS.read_text()


def test_twelve_personas_in_both_kinds_with_the_source_named() -> None:
    data = personas.tables()
    assert len(data.personas) == 12 and set(data.kinds) == {"production", "preproduction"}
    assert data.source.url.startswith("https://learn.microsoft.com/")
    assert personas.find_persona("Project-Lead") == personas.find_persona("project_lead")
    assert personas.find_persona("project_owner") == personas.find_persona("product_owner")


def test_a_family_role_allows_its_roles_actions_in_its_family_only() -> None:
    reader = personas.family_role("Reader (container registry)")
    assert reader is not None and reader.allowed_actions() == ["environments/read"]
    owner = personas.family_role("Owner (workspace)")
    assert owner is not None
    for action in Action:
        in_family = personas.family_of(action) == "workspace"
        assert owner.allows(action) == in_family, action
    assert personas.family_of(Action.JOBS_LOGS_READ) == "logs"  # before workspace's jobs/*
    assert personas.family_of(Action.ENVIRONMENTS_SHARE) == "artifacts"
    assert personas.family_of(Action.ROLE_ASSIGNMENTS_WRITE) is None


def test_support_is_eligible_only_and_the_ci_cd_process_pushes_images() -> None:
    support = personas.template("platform_technical_support", "production")
    assert support and all(r.eligible for r in support)
    ci = personas.template("ci_cd_process", "production")
    assert ("container_registry", "AcrPush") in {(r.family, r.base_role) for r in ci}
    assert not any(r.eligible for r in ci)
    assert all(r.base_role in BUILT_IN_ROLES for k in personas.KINDS for p in
               personas.tables().personas for r in personas.template(p.id, k))  # fmt: skip


def _raw() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("opsloop.security").joinpath("personas.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["kinds"]["production"]["cells"]["data_analyst"].update(logs=["LRA"]),
         "unknown role 'LRA'"),
        (lambda d: d["kinds"]["production"]["cells"]["data_analyst"].update(log=["LAR"]),
         "unknown family 'log'"),
        (lambda d: d["kinds"]["production"]["cells"].pop("data_analyst"),
         "one row per persona"),
        (lambda d: d["match_order"].pop(), "match_order"),
    ],
)  # fmt: skip
def test_a_typo_in_the_tables_is_refused_when_they_load(change: Any, message: str) -> None:
    data = _raw()
    change(data)
    with pytest.raises(pydantic.ValidationError, match=message):
        personas.PersonaTables.model_validate(data)


def test_a_production_product_owner_reads_the_workspace_cost_but_sets_no_budget() -> None:
    """Budget alerts notify the product owner, who in production holds Monitoring Reader
    over the monitor family only: the cost is in that family."""
    assert personas.family_of(Action.WORKSPACES_COST_READ) == "monitor"
    assert personas.family_of(Action.WORKSPACES_BUDGET_WRITE) == "workspace"
    held = [personas.family_role(r.role) for r in personas.template("product_owner", "production")]
    allowed = {a for role in held if role is not None for a in role.allowed_actions()}
    assert "workspaces/cost/read" in allowed
    assert "workspaces/budget/write" not in allowed and "workspaces/read" not in allowed
