"""Traffic is drawn by weight and mirrored at the configured rate."""

from __future__ import annotations

import random
from collections import Counter

from opsloop.serving.online.routing import TrafficSplit


def test_split_follows_weights_within_tolerance() -> None:
    split = TrafficSplit.build({"blue": 70, "green": 30, "idle": 0}, {}, random.Random(7))
    draws = Counter(split.choose() for _ in range(20_000))
    assert set(draws) == {"blue", "green"}
    assert abs(draws["green"] / 20_000 - 0.30) < 0.015


def test_single_and_empty_splits() -> None:
    assert TrafficSplit.build({"blue": 100}, {}).choose() == "blue"
    assert TrafficSplit.build({}, {}).choose() is None
    assert TrafficSplit.build({"blue": 0}, {}).choose() is None


def test_mirror_rate() -> None:
    split = TrafficSplit.build({"blue": 100}, {"green": 20}, random.Random(3))
    mirrored = sum(split.mirror_to() == "green" for _ in range(20_000))
    assert abs(mirrored / 20_000 - 0.20) < 0.015
    assert TrafficSplit.build({"blue": 100}, {"green": 0}).mirror_to() is None
