"""A workspace's budget (monthly amount, alert thresholds, rates) and staleness setting."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from opsloop.specs.base import SpecModel

DEFAULT_THRESHOLDS = [50, 80, 100]
# What an hour costs where no rate is set (in the budget's currency): a compute's hour
# (``compute``) and an online deployment instance's hour (``endpoint.instance``).
DEFAULT_RATES: dict[str, float] = {"compute": 0.10, "endpoint.instance": 0.10}
# compute | compute.<type> | compute.<type>.<size> | endpoint.instance
_RATE_KEY = re.compile(r"^(compute(\.[A-Za-z0-9_-]+){0,2}|endpoint\.instance)$")


class BudgetSpec(SpecModel):
    """``monthly`` in ``currency``; an event when this month's cost reaches each of
    ``thresholds`` (percent); ``rates`` per hour, by key (see ``DEFAULT_RATES``)."""

    monthly: float = Field(gt=0)
    currency: str = "USD"
    thresholds: list[int] = Field(default_factory=lambda: list(DEFAULT_THRESHOLDS))
    rates: dict[str, float] = Field(default_factory=dict)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise ValueError("a three-letter currency code such as USD or EUR")
        return value.upper()

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, value: list[int]) -> list[int]:
        if not value:
            raise ValueError("at least one threshold (percent of the budget)")
        if any(t <= 0 or t > 1000 for t in value):
            raise ValueError("each threshold is a percentage between 1 and 1000")
        return sorted(set(value))

    @field_validator("rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for key, rate in value.items():
            if not _RATE_KEY.match(key):
                raise ValueError(
                    f"rate {key!r}: keys are compute, compute.<type>, compute.<type>.<size> "
                    "or endpoint.instance"
                )
            if rate < 0:
                raise ValueError(f"rate {key!r} is negative")
        return value


class StalenessSpec(SpecModel):
    """How many days without activity make a preproduction workspace stale."""

    stale_after_days: int = Field(ge=1, le=3650)
