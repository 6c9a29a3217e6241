"""Which deployment answers a request: pinned by header, else drawn by traffic weight."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

PIN_HEADERS = (b"opsloop-model-deployment", b"azureml-model-deployment")


def pinned_deployment(headers: dict[bytes, bytes]) -> str | None:
    """The deployment a request's header pins, if any."""
    for name in PIN_HEADERS:
        value = headers.get(name)
        if value:
            return value.decode("latin-1")
    return None


@dataclass(frozen=True)
class TrafficSplit:
    """Cumulative weights for O(log n) draws; built once per endpoint revision."""

    names: tuple[str, ...]
    bounds: tuple[int, ...]
    mirror: str | None = None
    mirror_percent: int = 0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def build(
        cls, traffic: dict[str, int], mirror: dict[str, int], rng: random.Random | None = None
    ) -> TrafficSplit:
        names: list[str] = []
        bounds: list[int] = []
        total = 0
        for name, percent in sorted(traffic.items()):
            if percent > 0:
                total += percent
                names.append(name)
                bounds.append(total)
        shadow = next(((n, p) for n, p in mirror.items() if p > 0), (None, 0))
        return cls(tuple(names), tuple(bounds), shadow[0], shadow[1], rng or random.Random())

    def choose(self) -> str | None:
        """A deployment drawn by weight; None when no deployment takes traffic."""
        if not self.names:
            return None
        if len(self.names) == 1:
            return self.names[0]
        draw = self.rng.random() * self.bounds[-1]
        return self.names[bisect.bisect_right(self.bounds, draw)]

    def mirror_to(self) -> str | None:
        """The shadow deployment for this request, drawn with the mirror percentage."""
        if self.mirror is None or self.rng.random() * 100 >= self.mirror_percent:
            return None
        return self.mirror
