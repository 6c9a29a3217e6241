from __future__ import annotations

import pytest

from opsloop.monitoring.corrections import adjust

P_VALUES = [0.01, 0.04, 0.03, 0.005]


def test_holm_step_down_by_hand() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04; running max.
    assert adjust(P_VALUES, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_bonferroni_and_none() -> None:
    assert adjust(P_VALUES, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust([0.5, 0.6], "bonferroni") == [1.0, 1.0]
    assert adjust(P_VALUES, "none") == P_VALUES
    assert adjust([], "holm") == []


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="correction must be one of"):
        adjust([0.1], "fdr")  # type: ignore[arg-type]
