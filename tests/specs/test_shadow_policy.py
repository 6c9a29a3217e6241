"""The shadow strategy's settings in a promotion policy file: the example loads, and a
mistake is named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsloop.errors import ValidationError
from opsloop.specs.loader import read_yaml, validate_spec
from opsloop.specs.promotion import DEFAULT_RELATIVE_DIFFERENCE, PromotionPolicySpec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/classical/mlops/promotion/shadow.yml"


def _load(path: Path) -> PromotionPolicySpec:
    data, lines = read_yaml(path)
    spec: PromotionPolicySpec = validate_spec(
        PromotionPolicySpec, data, file=str(path), lines=lines
    )
    return spec


def test_the_example_policy_loads() -> None:
    rollout = _load(EXAMPLE).rollout
    assert (rollout.strategy, rollout.mirror_percent, rollout.comparison.outputs) == (
        "shadow",
        20,
        "numbers",
    )
    assert rollout.comparison.numeric_limits() == (0.5, 0.02)


def test_defaults_and_a_stored_policy_reads_back() -> None:
    spec = PromotionPolicySpec.model_validate(
        {"name": "p", "deploy": {"endpoint": "ep"}, "rollout": {"strategy": "shadow"}}
    )
    assert spec.rollout.mirror_percent == 20 and spec.rollout.comparison.agreement_rate == 0.99
    assert spec.rollout.comparison.numeric_limits() == (None, DEFAULT_RELATIVE_DIFFERENCE)
    stored = spec.model_dump(mode="json", exclude_none=True)  # as a promotion keeps it
    assert PromotionPolicySpec.model_validate(stored) == spec
    blue_green = PromotionPolicySpec.model_validate({"name": "p", "deploy": {"endpoint": "ep"}})
    assert PromotionPolicySpec.model_validate(blue_green.model_dump(mode="json")) == blue_green


def test_a_mistake_names_its_line(tmp_path: Path) -> None:
    policy = tmp_path / "p.yml"
    policy.write_text("name: p\ndeploy: {endpoint: ep}\nrollout:\n  strategy: shadow\n"
                      "  mirror_percent: 80\n")  # fmt: skip
    with pytest.raises(ValidationError, match=r"p\.yml:5") as caught:
        _load(policy)
    assert caught.value.field == "rollout.mirror_percent"
    policy.write_text("name: p\ndeploy: {endpoint: ep}\nrollout:\n  strategy: blue-green\n"
                      "  comparison: {agreement_rate: 0.9}\n")  # fmt: skip
    with pytest.raises(ValidationError, match="comparison is a setting of the shadow strategy"):
        _load(policy)
