"""Which declared action each API route needs: one table, so access control can check a
request before it reaches a service and the OpenAPI document can say what each operation
needs (``x-opsloop-action``). A test fails when a route is missing here."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from opsloop.catalogue.actions import Action as A

_WS = "/api/v1/workspaces/{workspace}"
_OE = f"{_WS}/online-endpoints/{{name}}"
_BE = f"{_WS}/batch-endpoints/{{name}}"

PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", "/api/v1/health")})
# Paths served without authentication: the health probe, and the OpenAPI document and its
# page (they describe the API, which is public; they hold no data).
PUBLIC_PATHS: frozenset[str] = frozenset(
    {
        "/api/v1/health",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/api/v1/docs/oauth2-redirect",
    }
)
# Routes any authenticated caller may use, about the caller itself.
SELF_ROUTES: frozenset[tuple[str, str]] = frozenset({("GET", "/api/v1/whoami")})

ROUTE_ACTIONS: dict[tuple[str, str], A] = {
    ("POST", "/api/v1/workspaces"): A.WORKSPACES_WRITE,
    ("GET", "/api/v1/workspaces"): A.WORKSPACES_READ,
    ("GET", _WS): A.WORKSPACES_READ,
    ("DELETE", _WS): A.WORKSPACES_DELETE,
    ("PATCH", _WS): A.WORKSPACES_WRITE,
    ("GET", f"{_WS}/budget"): A.WORKSPACES_COST_READ,
    ("PUT", f"{_WS}/budget"): A.WORKSPACES_BUDGET_WRITE,
    ("PUT", f"{_WS}/staleness"): A.WORKSPACES_BUDGET_WRITE,
    ("GET", f"{_WS}/cost"): A.WORKSPACES_COST_READ,
    ("GET", f"{_WS}/activity"): A.WORKSPACES_COST_READ,
    ("POST", f"{_WS}/checks"): A.WORKSPACES_BUDGET_WRITE,
    ("POST", "/api/v1/registries"): A.REGISTRIES_WRITE,
    ("GET", "/api/v1/registries"): A.REGISTRIES_READ,
    ("GET", "/api/v1/registries/{name}"): A.REGISTRIES_READ,
    ("PATCH", "/api/v1/registries/{name}"): A.REGISTRIES_WRITE,
    ("POST", f"{_WS}/datastores"): A.DATASTORES_WRITE,
    ("GET", f"{_WS}/datastores"): A.DATASTORES_READ,
    ("GET", f"{_WS}/datastores/{{name}}"): A.DATASTORES_READ,
    ("PUT", f"{_WS}/datastores/{{name}}"): A.DATASTORES_WRITE,
    ("POST", f"{_WS}/data"): A.DATA_WRITE,
    ("GET", f"{_WS}/data"): A.DATA_READ,
    ("GET", f"{_WS}/data/{{reference}}"): A.DATA_READ,
    ("POST", f"{_WS}/data/{{name}}/archive"): A.DATA_ARCHIVE,
    ("POST", f"{_WS}/data/{{name}}/restore"): A.DATA_ARCHIVE,
    ("POST", f"{_WS}/environments"): A.ENVIRONMENTS_WRITE,
    ("GET", f"{_WS}/environments"): A.ENVIRONMENTS_READ,
    ("GET", f"{_WS}/environments/{{reference}}"): A.ENVIRONMENTS_READ,
    ("POST", f"{_WS}/environments/{{name}}/archive"): A.ENVIRONMENTS_ARCHIVE,
    ("POST", f"{_WS}/environments/{{name}}/restore"): A.ENVIRONMENTS_ARCHIVE,
    ("POST", f"{_WS}/components"): A.COMPONENTS_WRITE,
    ("GET", f"{_WS}/components"): A.COMPONENTS_READ,
    ("GET", f"{_WS}/components/{{reference}}"): A.COMPONENTS_READ,
    ("POST", f"{_WS}/components/{{name}}/archive"): A.COMPONENTS_ARCHIVE,
    ("POST", f"{_WS}/components/{{name}}/restore"): A.COMPONENTS_ARCHIVE,
    ("POST", f"{_WS}/models"): A.MODELS_WRITE,
    ("GET", f"{_WS}/models"): A.MODELS_READ,
    ("GET", f"{_WS}/models/{{reference}}"): A.MODELS_READ,
    ("GET", f"{_WS}/models/{{reference}}/download"): A.MODELS_READ,
    ("POST", f"{_WS}/models/{{reference}}/share"): A.MODELS_SHARE,
    ("GET", f"{_WS}/models/{{name}}/aliases"): A.MODELS_READ,
    ("PUT", f"{_WS}/models/{{name}}/aliases/{{alias}}"): A.MODELS_ALIAS,
    ("DELETE", f"{_WS}/models/{{name}}/aliases/{{alias}}"): A.MODELS_ALIAS,
    ("GET", "/api/v1/registries/{registry}/models"): A.REGISTRIES_READ,
    ("GET", "/api/v1/registries/{registry}/models/{reference}"): A.REGISTRIES_READ,
    ("GET", "/api/v1/registries/{registry}/models/{reference}/download"): A.REGISTRIES_READ,
    ("GET", "/api/v1/registries/{registry}/environments"): A.REGISTRIES_READ,
    ("GET", "/api/v1/registries/{registry}/environments/{reference}"): A.REGISTRIES_READ,
    ("GET", "/api/v1/registries/{registry}/components"): A.REGISTRIES_READ,
    ("GET", "/api/v1/registries/{registry}/components/{reference}"): A.REGISTRIES_READ,
    ("POST", f"{_WS}/environments/{{reference}}/share"): A.ENVIRONMENTS_SHARE,
    ("POST", f"{_WS}/components/{{reference}}/share"): A.COMPONENTS_SHARE,
    ("POST", f"{_WS}/models/{{name}}/archive"): A.MODELS_ARCHIVE,
    ("POST", f"{_WS}/models/{{name}}/restore"): A.MODELS_ARCHIVE,
    ("POST", f"{_WS}/uploads"): A.UPLOADS_WRITE,
    ("POST", f"{_WS}/promotions"): A.PROMOTIONS_WRITE,
    ("GET", f"{_WS}/promotions"): A.PROMOTIONS_READ,
    ("GET", f"{_WS}/promotions/{{name}}"): A.PROMOTIONS_READ,
    ("POST", f"{_WS}/promotions/{{name}}/cancel"): A.PROMOTIONS_CANCEL,
    ("GET", f"{_WS}/promotion-policies"): A.PROMOTION_POLICIES_READ,
    ("GET", f"{_WS}/promotion-policies/{{name}}"): A.PROMOTION_POLICIES_READ,
    ("PUT", f"{_WS}/promotion-policies/{{name}}"): A.PROMOTION_POLICIES_WRITE,
    ("DELETE", f"{_WS}/promotion-policies/{{name}}"): A.PROMOTION_POLICIES_DELETE,
    ("GET", f"{_WS}/approvals"): A.APPROVALS_READ,
    ("GET", f"{_WS}/approvals/{{name}}"): A.APPROVALS_READ,
    ("POST", f"{_WS}/approvals/{{name}}/approve"): A.APPROVALS_DECIDE,
    ("POST", f"{_WS}/approvals/{{name}}/reject"): A.APPROVALS_DECIDE,
    ("POST", f"{_WS}/computes"): A.COMPUTES_WRITE,
    ("GET", f"{_WS}/computes"): A.COMPUTES_READ,
    ("GET", f"{_WS}/computes/{{name}}"): A.COMPUTES_READ,
    ("PUT", f"{_WS}/computes/{{name}}"): A.COMPUTES_WRITE,
    ("DELETE", f"{_WS}/computes/{{name}}"): A.COMPUTES_DELETE,
    ("POST", f"{_WS}/jobs"): A.JOBS_WRITE,
    ("POST", f"{_WS}/jobs/validate"): A.JOBS_WRITE,
    ("GET", f"{_WS}/jobs"): A.JOBS_READ,
    ("GET", f"{_WS}/jobs/{{name}}"): A.JOBS_READ,
    ("POST", f"{_WS}/jobs/{{name}}/cancel"): A.JOBS_CANCEL,
    ("GET", f"{_WS}/jobs/{{name}}/logs"): A.JOBS_LOGS_READ,
    ("GET", f"{_WS}/jobs/{{name}}/download"): A.JOBS_READ,
    ("POST", f"{_WS}/online-endpoints"): A.ONLINE_ENDPOINTS_WRITE,
    ("GET", f"{_WS}/online-endpoints"): A.ONLINE_ENDPOINTS_READ,
    ("GET", _OE): A.ONLINE_ENDPOINTS_READ,
    ("PATCH", _OE): A.ONLINE_ENDPOINTS_WRITE,
    ("DELETE", _OE): A.ONLINE_ENDPOINTS_DELETE,
    ("POST", f"{_OE}/credentials"): A.ONLINE_ENDPOINTS_KEYS_READ,
    ("POST", f"{_OE}/regenerate-keys"): A.ONLINE_ENDPOINTS_KEYS_WRITE,
    ("POST", f"{_OE}/export"): A.ONLINE_ENDPOINTS_EXPORT,
    ("GET", f"{_OE}/request-logs"): A.ONLINE_ENDPOINTS_REQUEST_LOGS_READ,
    ("POST", f"{_OE}/feedback"): A.ONLINE_ENDPOINTS_FEEDBACK_WRITE,
    ("GET", f"{_OE}/history"): A.ONLINE_ENDPOINTS_READ,
    ("POST", f"{_OE}/rollback"): A.ONLINE_ENDPOINTS_WRITE,
    ("POST", f"{_OE}/deployments"): A.ONLINE_DEPLOYMENTS_WRITE,
    ("PUT", f"{_OE}/deployments/{{deployment}}"): A.ONLINE_DEPLOYMENTS_WRITE,
    ("GET", f"{_OE}/deployments"): A.ONLINE_DEPLOYMENTS_READ,
    ("GET", f"{_OE}/deployments/{{deployment}}"): A.ONLINE_DEPLOYMENTS_READ,
    ("DELETE", f"{_OE}/deployments/{{deployment}}"): A.ONLINE_DEPLOYMENTS_DELETE,
    ("GET", f"{_OE}/deployments/{{deployment}}/logs"): A.ONLINE_DEPLOYMENTS_LOGS_READ,
    ("POST", f"{_WS}/batch-endpoints"): A.BATCH_ENDPOINTS_WRITE,
    ("GET", f"{_WS}/batch-endpoints"): A.BATCH_ENDPOINTS_READ,
    ("GET", _BE): A.BATCH_ENDPOINTS_READ,
    ("DELETE", _BE): A.BATCH_ENDPOINTS_DELETE,
    ("POST", f"{_BE}/invoke"): A.BATCH_ENDPOINTS_INVOKE,
    ("GET", f"{_BE}/jobs"): A.BATCH_ENDPOINTS_READ,
    ("POST", f"{_BE}/deployments"): A.BATCH_DEPLOYMENTS_WRITE,
    ("GET", f"{_BE}/deployments"): A.BATCH_DEPLOYMENTS_READ,
    ("GET", f"{_BE}/deployments/{{deployment}}"): A.BATCH_DEPLOYMENTS_READ,
    ("DELETE", f"{_BE}/deployments/{{deployment}}"): A.BATCH_DEPLOYMENTS_DELETE,
    ("GET", "/api/v1/events"): A.EVENTS_READ,
    ("GET", "/api/v1/event-types"): A.EVENTS_READ,
    ("POST", "/api/v1/event-subscriptions"): A.EVENT_SUBSCRIPTIONS_WRITE,
    ("GET", "/api/v1/event-subscriptions"): A.EVENT_SUBSCRIPTIONS_READ,
    ("GET", "/api/v1/event-subscriptions/{name}"): A.EVENT_SUBSCRIPTIONS_READ,
    ("DELETE", "/api/v1/event-subscriptions/{name}"): A.EVENT_SUBSCRIPTIONS_DELETE,
    ("PUT", "/api/v1/event-subscriptions/{name}"): A.EVENT_SUBSCRIPTIONS_WRITE,
    ("GET", "/api/v1/event-subscriptions/{name}/deliveries"): A.EVENT_SUBSCRIPTIONS_READ,
    ("POST", "/api/v1/event-subscriptions/{name}/redeliver"): A.EVENT_SUBSCRIPTIONS_WRITE,
    ("POST", "/api/v1/principals"): A.PRINCIPALS_WRITE,
    ("GET", "/api/v1/principals"): A.PRINCIPALS_READ,
    ("GET", "/api/v1/principals/{name}"): A.PRINCIPALS_READ,
    ("PATCH", "/api/v1/principals/{name}"): A.PRINCIPALS_WRITE,
    ("POST", "/api/v1/principals/{name}/disable"): A.PRINCIPALS_DISABLE,
    ("POST", "/api/v1/bootstrap"): A.PRINCIPALS_WRITE,
    ("POST", "/api/v1/groups"): A.GROUPS_WRITE,
    ("GET", "/api/v1/groups"): A.GROUPS_READ,
    ("GET", "/api/v1/groups/{name}"): A.GROUPS_READ,
    ("POST", "/api/v1/groups/{name}/members"): A.GROUPS_WRITE,
    ("DELETE", "/api/v1/groups/{name}/members/{principal}"): A.GROUPS_WRITE,
    ("POST", "/api/v1/tokens"): A.TOKENS_WRITE,
    ("GET", "/api/v1/tokens"): A.TOKENS_READ,
    ("POST", "/api/v1/tokens/{token_id}/revoke"): A.TOKENS_REVOKE,
    ("GET", "/api/v1/roles"): A.ROLES_READ,
    ("GET", "/api/v1/roles/{name}"): A.ROLES_READ,
    ("POST", "/api/v1/roles"): A.ROLES_WRITE,
    ("POST", "/api/v1/role-assignments"): A.ROLE_ASSIGNMENTS_WRITE,
    ("GET", "/api/v1/role-assignments"): A.ROLE_ASSIGNMENTS_READ,
    ("DELETE", "/api/v1/role-assignments/{assignment_id}"): A.ROLE_ASSIGNMENTS_DELETE,
    ("GET", "/api/v1/access/check"): A.ROLE_ASSIGNMENTS_READ,
    ("GET", "/api/v1/personas"): A.ROLES_READ,
    ("GET", "/api/v1/personas/{name}"): A.ROLES_READ,
    ("POST", "/api/v1/personas/{name}/assignments"): A.ROLE_ASSIGNMENTS_WRITE,
    ("POST", "/api/v1/elevations"): A.ELEVATIONS_REQUEST,
    ("GET", "/api/v1/elevations"): A.ELEVATIONS_READ,
    ("GET", "/api/v1/elevations/{elevation_id}"): A.ELEVATIONS_READ,
    ("POST", "/api/v1/elevations/{elevation_id}/approve"): A.ELEVATIONS_DECIDE,
    ("POST", "/api/v1/elevations/{elevation_id}/reject"): A.ELEVATIONS_DECIDE,
    ("GET", "/api/v1/audit"): A.AUDIT_READ,
    ("GET", "/api/v1/audit/verify"): A.AUDIT_READ,
    ("GET", f"{_WS}/secrets"): A.SECRETS_READ,
    ("GET", f"{_WS}/secrets/{{name}}"): A.SECRETS_READ,
    ("PUT", f"{_WS}/secrets/{{name}}"): A.SECRETS_WRITE,
    ("GET", f"{_WS}/secrets/{{name}}/value"): A.SECRETS_VALUES_READ,
    ("DELETE", f"{_WS}/secrets/{{name}}"): A.SECRETS_DELETE,
    ("GET", f"{_WS}/monitors"): A.MONITORS_READ,
    ("POST", f"{_WS}/monitors"): A.MONITORS_WRITE,
    ("GET", f"{_WS}/monitors/{{name}}"): A.MONITORS_READ,
    ("DELETE", f"{_WS}/monitors/{{name}}"): A.MONITORS_DELETE,
    ("POST", f"{_WS}/monitors/{{name}}/runs"): A.MONITORS_RUN,
    ("GET", f"{_WS}/monitors/{{name}}/runs"): A.MONITORS_READ,
    ("GET", f"{_WS}/monitors/{{name}}/runs/{{run}}"): A.MONITORS_READ,
    ("GET", f"{_WS}/labeling-tasks"): A.DATA_READ,
    ("GET", f"{_WS}/labeling-tasks/{{name}}"): A.DATA_READ,
    ("POST", f"{_WS}/labeling-tasks/{{name}}/export"): A.DATA_WRITE,
    ("GET", f"{_WS}/schedules"): A.SCHEDULES_READ,
    ("POST", f"{_WS}/schedules"): A.SCHEDULES_WRITE,
    ("GET", f"{_WS}/schedules/{{name}}"): A.SCHEDULES_READ,
    ("POST", f"{_WS}/schedules/{{name}}/enable"): A.SCHEDULES_WRITE,
    ("POST", f"{_WS}/schedules/{{name}}/disable"): A.SCHEDULES_WRITE,
    ("PUT", f"{_WS}/schedules/{{name}}"): A.SCHEDULES_WRITE,
    ("DELETE", f"{_WS}/schedules/{{name}}"): A.SCHEDULES_DELETE,
}


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the API serves, as its OpenAPI document lists them."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]


def annotate_routes(app: FastAPI) -> None:
    """Name each operation's action in the OpenAPI document (``x-opsloop-action``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for path, operations in document["paths"].items():
                for method, operation in operations.items():
                    action = ROUTE_ACTIONS.get((method.upper(), path))
                    if action is not None:
                        operation["x-opsloop-action"] = action.value
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
