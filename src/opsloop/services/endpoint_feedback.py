"""Ground truth posted to an online endpoint through the platform API: checked, written
beside the endpoint's collected data (``monitoring.ground_truth``), and announced.

The serving runtime's own ``POST /feedback`` (endpoint key auth) writes the same files
without the database; both are read by the ``model_performance`` signal.
"""

from __future__ import annotations

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import OnlineEndpointFeedbackReceived
from opsloop.monitoring.ground_truth import store_feedback
from opsloop.schemas.feedback import FeedbackReceipt, FeedbackRow, check_rows
from opsloop.services.context import ServiceContext
from opsloop.services.monitor_data import collector_root
from opsloop.services.online_endpoints import require_endpoint_row
from opsloop.services.workspaces import require_workspace_row


def post_feedback(
    ctx: ServiceContext, workspace: str, name: str, rows: list[FeedbackRow]
) -> FeedbackReceipt:
    target = f"online-endpoint:{name}"
    ctx.begin_mutation(Action.ONLINE_ENDPOINTS_FEEDBACK_WRITE, workspace, target)
    ws = require_workspace_row(ctx, workspace)
    require_endpoint_row(ctx, ws, name)
    check_rows(rows)
    # Written before the transaction commits: if the commit then fails, the file is there
    # without its event, which is harmless (the monitor reads files, not events); the
    # other order could announce ground truth that was never stored.
    location = store_feedback(collector_root(ctx, ws), name, rows)
    ctx.record(
        Action.ONLINE_ENDPOINTS_FEEDBACK_WRITE,
        workspace=workspace,
        target=target,
        event=OnlineEndpointFeedbackReceived(rows=len(rows), location=location),
    )
    return FeedbackReceipt(endpoint=name, rows=len(rows), location=location)
