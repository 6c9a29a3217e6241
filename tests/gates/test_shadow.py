"""A shadow interval's analysis: labels by agreement, numbers by mean absolute and relative
difference, too few compared requests inconclusive, a failing shadow failed."""

from __future__ import annotations

from typing import Any

import pytest

from opsloop.gates.shadow import MirroredRequest, analyse_shadow
from opsloop.specs.promotion import Analysis, Comparison

ANALYSIS = Analysis(min_requests=4, success_rate=0.9, p99_latency_ms=1000)


def _mirrored(live: list[Any], shadow: list[Any], *, status: int = 200) -> MirroredRequest:
    pair = {"deployment": "blue", "live": live, "shadow": shadow} if status == 200 else None
    return MirroredRequest(f"r{id(live)}", status, 5.0, pair)


def test_labels_pass_on_agreement_and_fail_below_it_with_examples() -> None:
    agreeing = [_mirrored(["cat", "dog"], ["cat", "dog"]) for _ in range(10)]
    passed = analyse_shadow(agreeing, ANALYSIS, Comparison(agreement_rate=0.95))
    assert (passed.verdict, passed.outputs, passed.agreement_rate) == ("passed", "labels", 1.0)
    assert passed.predictions == 20 and passed.compared == 10

    differing = [*agreeing[:8], _mirrored(["cat"], ["dog"]), _mirrored(["cat"], ["cow"])]
    failed = analyse_shadow(differing, ANALYSIS, Comparison(agreement_rate=0.95))
    assert failed.verdict == "failed" and failed.agreement_rate == pytest.approx(16 / 18)
    assert "agreement 88.89% < 95.00%" in failed.reason
    assert [e["shadow"] for e in failed.examples] == ["dog", "cow"]
    assert failed.record()["disagreements"] == failed.examples


def test_integer_classes_are_labels_and_floats_numbers_unless_told() -> None:
    ints = [_mirrored([0, 1], [0, 0]) for _ in range(5)]
    assert analyse_shadow(ints, ANALYSIS, Comparison()).outputs == "labels"
    floats = [_mirrored([0.0, 1.0], [0.0, 0.0]) for _ in range(5)]
    assert analyse_shadow(floats, ANALYSIS, Comparison()).outputs == "numbers"
    told = analyse_shadow(floats, ANALYSIS, Comparison(outputs="labels", agreement_rate=0.5))
    assert (told.outputs, told.verdict, told.agreement_rate) == ("labels", "passed", 0.5)


def test_numbers_by_mean_absolute_and_relative_difference() -> None:
    close = [_mirrored([10.0, [20.0, 30.0]], [10.05, [19.95, 30.0]]) for _ in range(5)]
    by_default = analyse_shadow(close, ANALYSIS, Comparison())  # relative 1% by default
    assert by_default.verdict == "passed"
    assert by_default.mean_absolute_difference == pytest.approx(0.1 / 3)
    assert by_default.relative_difference == pytest.approx((0.1 / 3) / 20)
    strict = analyse_shadow(close, ANALYSIS, Comparison(mean_absolute_difference=0.01))
    assert (
        strict.verdict == "failed" and "mean absolute difference 0.0333333 > 0.01" in strict.reason
    )
    far = [_mirrored([1.0], [3.0]) for _ in range(5)]
    refused = analyse_shadow(far, ANALYSIS, Comparison(relative_difference=0.5))
    assert (
        refused.verdict == "failed" and "relative difference 200.0000% > 50.0000%" in refused.reason
    )


def test_answers_that_cannot_be_compared_as_numbers_fail() -> None:
    odd = [_mirrored([1.0, 2.0], [1.0, 2.0]) for _ in range(4)] + [_mirrored([1.0], [1.0, 2.0])]
    judged = analyse_shadow(odd, ANALYSIS, Comparison(outputs="numbers"))
    assert judged.verdict == "failed" and "not comparable as numbers" in judged.reason
    zeros = [_mirrored([0.0], [0.5]) for _ in range(5)]
    no_scale = analyse_shadow(zeros, ANALYSIS, Comparison())
    assert no_scale.verdict == "failed" and no_scale.relative_difference is None


def test_too_few_compared_requests_is_inconclusive() -> None:
    few = [_mirrored([1.0], [1.0]) for _ in range(3)]
    judged = analyse_shadow(few, ANALYSIS, Comparison())
    assert judged.verdict == "inconclusive" and "too few to judge" in judged.reason
    assert analyse_shadow([], ANALYSIS, Comparison()).verdict == "inconclusive"
    # Enough mirrored, but fewer than min_requests of them compared (the shadow was busy).
    busy = few + [_mirrored([1.0], [], status=429) for _ in range(5)]
    held = analyse_shadow(busy, ANALYSIS, Comparison())
    assert held.verdict == "inconclusive" and "3 compared request(s)" in held.reason


def test_a_shadow_that_fails_its_requests_fails_whatever_it_answered() -> None:
    broken = [_mirrored([1.0], [1.0]) for _ in range(4)] + [
        _mirrored([1.0], [], status=424) for _ in range(4)
    ]
    judged = analyse_shadow(broken, ANALYSIS, Comparison())
    assert judged.verdict == "failed" and judged.success_rate == 0.5
    assert judged.reason.startswith("the shadow's own requests: success rate 50.00%")
