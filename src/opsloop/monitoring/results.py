"""What a drift or data quality computation returns: one row per feature and metric."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from opsloop.monitoring.corrections import Correction
from opsloop.monitoring.values import FeatureType

ThresholdSource = Literal["default", "given", "learned"]


class MetricResult(BaseModel):
    feature: str
    feature_type: FeatureType
    metric: str
    value: float | None = Field(description="the metric; a test's p-value; None if undefined")
    threshold: float
    threshold_source: ThresholdSource
    breached: bool = Field(description="distance/rate > threshold, or corrected p < threshold")
    statistic: float | None = Field(default=None, description="a test's statistic (D, chi2)")
    adjusted_p_value: float | None = None
    production_count: int = Field(description="values the metric was computed on")
    note: str | None = None


class SignalResult(BaseModel):
    signal: Literal["data_drift", "data_quality"]
    production_rows: int
    correction: Correction | None = None
    results: list[MetricResult]

    @property
    def breached_features(self) -> list[str]:
        """Features with at least one breached metric, in result order."""
        return list(dict.fromkeys(r.feature for r in self.results if r.breached))

    def value(self, feature: str, metric: str) -> MetricResult:
        for row in self.results:
            if row.feature == feature and row.metric == metric:
                return row
        raise KeyError(f"no result for feature {feature!r} and metric {metric!r}")
