"""Gathering each gate's evidence for a promotion: the candidate's logged metrics, its and
the champion's predictions on test data, the training data and its reference profile.

Runs with no transaction open while models load and predict (``read`` snapshots what it
needs from the store first); the verdicts come from ``opsloop.gates``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from opsloop.errors import ValidationError
from opsloop.monitoring.profile import DataProfile
from opsloop.schemas.promotions import GateResult
from opsloop.services import assets
from opsloop.services.context import ServiceContext
from opsloop.services.online_endpoints import deployment_rows, require_endpoint_row
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.promotion import (
    ChampionComparisonGate,
    DataQualityGate,
    FairnessGate,
    MetricThresholdGate,
)
from opsloop.store.artifacts import materialize
from opsloop.store.tables import AssetVersionRow, JobRow, WorkspaceRow

GateSpec = MetricThresholdGate | ChampionComparisonGate | DataQualityGate | FairnessGate


@dataclass
class Evidence:
    """What a gate needs, read from the store in one transaction."""

    candidate_url: str = ""
    candidate_name: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    metrics_source: str = ""
    test_data: tuple[str, str] | None = None  # (url, type)
    champion: tuple[str, str] | None = None  # (url, its reference)
    data: tuple[str, str, str] | None = None  # (url, type, reference)
    reference_profile: dict[str, Any] | None = None


def read_evidence(
    ctx: ServiceContext, workspace: str, model_reference: str, gate: GateSpec, endpoint: str
) -> Evidence:
    """Everything ``gate`` needs, as of now; errors name what is missing."""
    ws = require_workspace_row(ctx, workspace)
    model = assets.resolve(ctx, ws, "model", model_reference, field="model")
    evidence = Evidence(candidate_url=model.path or "", candidate_name=model_reference)
    if isinstance(gate, MetricThresholdGate):
        evidence.metrics, evidence.metrics_source = _logged_metrics(ctx, model)
    if isinstance(gate, ChampionComparisonGate | FairnessGate):
        data = assets.resolve(ctx, ws, "data", gate.test_data, field="test_data")
        evidence.test_data = (data.path or "", data.type or "uri_file")
    if isinstance(gate, ChampionComparisonGate):
        evidence.champion = _champion(ctx, ws, gate, endpoint)
    if isinstance(gate, DataQualityGate):
        _training_data(ctx, model, gate, evidence)
    return evidence


def evaluate(gate: GateSpec, evidence: Evidence) -> GateResult:
    """The gate's verdict on ``evidence``; loads models and data (seconds, no transaction)."""
    from opsloop.gates.champion import compare_with_champion
    from opsloop.gates.data_quality import check_data_quality
    from opsloop.gates.fairness import check_fairness
    from opsloop.gates.metric_thresholds import check_metric_thresholds

    if isinstance(gate, MetricThresholdGate):
        return check_metric_thresholds(evidence.metrics, gate.metrics, evidence.metrics_source)
    if isinstance(gate, DataQualityGate):
        assert evidence.data is not None and evidence.reference_profile is not None
        url, kind, reference = evidence.data
        return check_data_quality(
            read_data_table(url, kind, "data"), DataProfile.model_validate(evidence.reference_profile),
            source=reference, max_missing_rate=gate.max_missing_rate,
            max_out_of_range_rate=gate.max_out_of_range_rate,
        )  # fmt: skip
    assert evidence.test_data is not None
    frame = read_data_table(*evidence.test_data, "test_data")
    if gate.label_column not in frame.columns:
        raise ValidationError(
            f"the test data has no column {gate.label_column!r}", field="label_column"
        )
    labels = frame[gate.label_column].to_numpy()
    features = frame.drop(columns=[gate.label_column])
    candidate = _predict(evidence.candidate_url, features)
    if isinstance(gate, FairnessGate):
        missing = [c for c in gate.sensitive_features if c not in frame.columns]
        if missing:
            raise ValidationError(
                f"the test data has no column {missing[0]!r}", field="sensitive_features"
            )
        return check_fairness(labels, candidate, frame[gate.sensitive_features], gate.limits)
    if evidence.champion is None:
        return GateResult(gate="champion_comparison", passed=True,
                          summary="no champion serves on the endpoint yet: nothing to compare")  # fmt: skip
    champion_url, champion_name = evidence.champion
    return compare_with_champion(
        labels, candidate, _predict(champion_url, features), metric=gate.metric,
        tolerance=gate.tolerance, bootstrap=gate.bootstrap,
        names=(evidence.candidate_name, champion_name),
    )  # fmt: skip


def _logged_metrics(ctx: ServiceContext, model: AssetVersionRow) -> tuple[dict[str, float], str]:
    lineage = model.details.get("lineage") or {}
    job_name = lineage.get("job")
    if not job_name:
        return {}, f"model {model.name}:{model.version} (registered from files: no job)"
    top = ctx.session.scalar(
        select(JobRow).where(
            JobRow.name == job_name,
            JobRow.parent_id.is_(None),
            JobRow.workspace_id == _origin_space(ctx, model).id,
        )
    )
    if top is None:
        return {}, f"job {job_name} (not found)"
    row, source = top, f"job {job_name}"
    if lineage.get("step"):
        step = ctx.session.scalar(
            select(JobRow).where(JobRow.parent_id == top.id, JobRow.step_name == lineage["step"])
        )
        row, source = (step or top), f"step {lineage['step']} of job {job_name}"
    snapshot = (row.tracking or {}).get("metrics")
    if snapshot is None and row.mlflow_run_id:
        snapshot, _ = ctx.platform.tracking.metrics_and_params(row.mlflow_run_id)
    return {k: float(v) for k, v in (snapshot or {}).items()}, source


def _champion(
    ctx: ServiceContext, ws: WorkspaceRow, gate: ChampionComparisonGate, endpoint: str
) -> tuple[str, str] | None:
    if gate.champion is not None:
        row = assets.resolve(ctx, ws, "model", gate.champion, field="champion")
        return row.path or "", assets.reference_to(ctx, row)
    endpoint_row = require_endpoint_row(ctx, ws, endpoint)
    traffic: dict[str, int] = endpoint_row.spec.get("traffic", {})
    serving = [d for d in deployment_rows(ctx, endpoint_row) if traffic.get(d.name, 0) > 0]
    if not serving:
        return None
    best = max(serving, key=lambda d: traffic.get(d.name, 0))
    reference = str(best.spec.get("model") or f"{best.model_name}:{best.model_version}")
    return best.model_url or "", f"{reference} (serving as {endpoint}/{best.name})"


def _training_data(
    ctx: ServiceContext, model: AssetVersionRow, gate: DataQualityGate, evidence: Evidence
) -> None:
    space = _origin_space(ctx, model)
    lineage_data = (model.details.get("lineage") or {}).get("data") or []
    reference = gate.data or (lineage_data[0] if lineage_data else None)
    if reference is None:
        raise ValidationError(
            "the model's lineage names no training data; name it (data: name:version)",
            field="data",
        )
    data = assets.resolve(ctx, space, "data", reference, field="data")
    baseline = (
        assets.resolve(ctx, space, "data", gate.reference, field="reference")
        if gate.reference
        else data
    )
    profile = baseline.details.get("profile")
    if profile is None:
        raise ValidationError(
            f"data {baseline.name}:{baseline.version} has no profile (not tabular)",
            field="reference",
        )
    evidence.data = (data.path or "", data.type or "uri_file", f"{data.name}:{data.version}")
    evidence.reference_profile = profile


def _origin_space(ctx: ServiceContext, model: AssetVersionRow) -> WorkspaceRow:
    """The workspace a model came from: its own, or the one a registry's copy came from."""
    origin = (model.details.get("shared_from") or {}).get("workspace")
    if origin:
        return require_workspace_row(ctx, origin)
    space = ctx.session.get(WorkspaceRow, model.workspace_id)
    assert space is not None
    return space


def read_data_table(url: str, kind: str, field_name: str) -> pd.DataFrame:
    """A tabular data asset's rows; a missing or unreadable file names ``field_name``."""
    from opsloop.tabular.reader import read_table

    with (
        tempfile.TemporaryDirectory(prefix="opsloop-gate-") as scratch,
        assets.reading_source(url, field=field_name),
    ):
        return read_table(materialize(url, Path(scratch)), kind)


def _predict(url: str, features: pd.DataFrame) -> np.ndarray:
    import mlflow.pyfunc

    from opsloop.scoring.signature_types import SignatureWidening

    with tempfile.TemporaryDirectory(prefix="opsloop-gate-model-") as scratch:
        local = materialize(url, Path(scratch))
        model = mlflow.pyfunc.load_model(str(local))
        widen = SignatureWidening(model.metadata.get_input_schema())
        predict: Callable[..., Any] = model.predict
        return np.asarray(predict(widen(features))).reshape(len(features), -1)[:, 0]
