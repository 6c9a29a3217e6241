"""How a value drawn for a search-space parameter becomes the trial's value, in Azure ML's
meaning of each expression. Kept apart from the Optuna study (``opsloop.execution.sweep``)
so that checking a sweep at submission does not load Optuna."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from opsloop.specs.sweep import (
    LogNormal,
    Normal,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    SearchExpression,
)

# A uniform draw at 0 or 1 has no normal quantile.
_EDGE = 1e-12


def to_value(expression: SearchExpression, drawn: Any) -> Any:
    """The trial's value of a parameter, from what Optuna drew for it."""
    if isinstance(expression, Normal | QNormal | LogNormal | QLogNormal):
        quantile = min(max(float(drawn), _EDGE), 1 - _EDGE)
        value = NormalDist(expression.mu, expression.sigma).inv_cdf(quantile)
        if isinstance(expression, LogNormal | QLogNormal):
            value = math.exp(value)
        drawn = value
    if isinstance(expression, QUniform | QLogUniform | QNormal | QLogNormal):
        # round(x / q) * q, as Azure ML (hyperopt) defines the q- expressions.
        return round(round(drawn / expression.q) * expression.q, 12)
    return drawn
