"""A promotion's staging test: the candidate deployed on the target endpoint with no
traffic, then smoke- and load-tested with sample rows (``opsloop.gates.staging_test``)."""

from __future__ import annotations

from opsloop.errors import ValidationError
from opsloop.schemas.promotions import GateResult
from opsloop.services import assets, online_endpoints
from opsloop.services.context import Platform
from opsloop.services.online_deployments import (
    delete_online_deployment,
    deployment_bundle,
    require_deployment_row,
)
from opsloop.services.promotion_gates import read_data_table
from opsloop.services.promotion_rollout import deploy_candidate
from opsloop.services.promotion_state import Snapshot
from opsloop.services.workspaces import require_workspace_row
from opsloop.specs.promotion import StagingTestGate


def staging_test(platform: Platform, now: Snapshot, gate: StagingTestGate) -> GateResult:
    from opsloop.gates.staging_test import run_staging_test, sample_requests
    from opsloop.scoring.predictors import load_predictor

    name = deploy_candidate(platform, now)
    with platform.context(now.actor) as ctx:
        ws = require_workspace_row(ctx, now.workspace)
        endpoint = online_endpoints.require_endpoint_row(ctx, ws, now.policy.deploy.endpoint)
        bundle = deployment_bundle(platform.settings, require_deployment_row(ctx, endpoint, name))
        data = assets.resolve(ctx, ws, "data", gate.sample_data, field="sample_data")
        url, kind = data.path or "", data.type or "uri_file"
    frame = read_data_table(url, kind, "sample_data")
    missing = [column for column in gate.drop_columns if column not in frame.columns]
    if missing:
        raise ValidationError(f"the sample data has no column {missing[0]!r}", field="drop_columns")
    frame = frame.drop(columns=gate.drop_columns)
    if frame.empty:
        raise ValidationError("the sample data holds no rows", field="sample_data")
    requests = sample_requests(frame, gate.rows_per_request)
    predictor = load_predictor(bundle)
    result = run_staging_test(predictor.predict, requests, gate)
    if not result.passed:  # a refused candidate leaves nothing deployed
        with platform.context(now.actor) as ctx:
            delete_online_deployment(ctx, now.workspace, now.policy.deploy.endpoint, name)
    return result.model_copy(
        update={"evidence": result.evidence | {"deployment": name, "removed": not result.passed}}
    )
