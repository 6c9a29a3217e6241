"""Permission actions: ``<resource type>/<verb>``, as Azure RBAC names its operations.

Every service entry point authorises one of these, every audit record names one, and
every API route maps to exactly one (``opsloop.api.route_actions``). Roles are sets of
actions, so a new action must be declared here before anything can use it.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    WORKSPACES_READ = "workspaces/read"
    WORKSPACES_WRITE = "workspaces/write"
    WORKSPACES_DELETE = "workspaces/delete"
    WORKSPACES_COST_READ = "workspaces/cost/read"
    WORKSPACES_BUDGET_WRITE = "workspaces/budget/write"
    REGISTRIES_READ = "registries/read"
    REGISTRIES_WRITE = "registries/write"
    DATASTORES_READ = "datastores/read"
    DATASTORES_WRITE = "datastores/write"
    DATA_READ = "data/read"
    DATA_WRITE = "data/write"
    DATA_ARCHIVE = "data/archive"
    ENVIRONMENTS_READ = "environments/read"
    ENVIRONMENTS_WRITE = "environments/write"
    ENVIRONMENTS_ARCHIVE = "environments/archive"
    ENVIRONMENTS_SHARE = "environments/share"
    COMPONENTS_READ = "components/read"
    COMPONENTS_WRITE = "components/write"
    COMPONENTS_ARCHIVE = "components/archive"
    COMPONENTS_SHARE = "components/share"
    MODELS_READ = "models/read"
    MODELS_WRITE = "models/write"
    MODELS_ARCHIVE = "models/archive"
    MODELS_ALIAS = "models/alias"
    MODELS_SHARE = "models/share"
    UPLOADS_WRITE = "uploads/write"
    PROMOTIONS_READ = "promotions/read"
    PROMOTIONS_WRITE = "promotions/write"
    PROMOTIONS_CANCEL = "promotions/cancel"
    PROMOTION_POLICIES_READ = "promotion-policies/read"
    PROMOTION_POLICIES_WRITE = "promotion-policies/write"
    PROMOTION_POLICIES_DELETE = "promotion-policies/delete"
    APPROVALS_READ = "approvals/read"
    APPROVALS_DECIDE = "approvals/decide"
    COMPUTES_READ = "computes/read"
    COMPUTES_WRITE = "computes/write"
    COMPUTES_DELETE = "computes/delete"
    JOBS_READ = "jobs/read"
    JOBS_WRITE = "jobs/write"
    JOBS_CANCEL = "jobs/cancel"
    JOBS_LOGS_READ = "jobs/logs/read"
    SCHEDULES_READ = "schedules/read"
    SCHEDULES_WRITE = "schedules/write"
    SCHEDULES_DELETE = "schedules/delete"
    ONLINE_ENDPOINTS_READ = "online-endpoints/read"
    ONLINE_ENDPOINTS_WRITE = "online-endpoints/write"
    ONLINE_ENDPOINTS_DELETE = "online-endpoints/delete"
    ONLINE_ENDPOINTS_KEYS_READ = "online-endpoints/keys/read"
    ONLINE_ENDPOINTS_KEYS_WRITE = "online-endpoints/keys/write"
    ONLINE_ENDPOINTS_EXPORT = "online-endpoints/export"
    ONLINE_ENDPOINTS_REQUEST_LOGS_READ = "online-endpoints/request-logs/read"
    ONLINE_ENDPOINTS_FEEDBACK_WRITE = "online-endpoints/feedback/write"
    ONLINE_DEPLOYMENTS_READ = "online-endpoints/deployments/read"
    ONLINE_DEPLOYMENTS_WRITE = "online-endpoints/deployments/write"
    ONLINE_DEPLOYMENTS_DELETE = "online-endpoints/deployments/delete"
    ONLINE_DEPLOYMENTS_LOGS_READ = "online-endpoints/deployments/logs/read"
    BATCH_ENDPOINTS_READ = "batch-endpoints/read"
    BATCH_ENDPOINTS_WRITE = "batch-endpoints/write"
    BATCH_ENDPOINTS_DELETE = "batch-endpoints/delete"
    BATCH_ENDPOINTS_INVOKE = "batch-endpoints/invoke"
    BATCH_DEPLOYMENTS_READ = "batch-endpoints/deployments/read"
    BATCH_DEPLOYMENTS_WRITE = "batch-endpoints/deployments/write"
    BATCH_DEPLOYMENTS_DELETE = "batch-endpoints/deployments/delete"
    EVENTS_READ = "events/read"
    EVENT_SUBSCRIPTIONS_READ = "event-subscriptions/read"
    EVENT_SUBSCRIPTIONS_WRITE = "event-subscriptions/write"
    EVENT_SUBSCRIPTIONS_DELETE = "event-subscriptions/delete"
    PRINCIPALS_READ = "principals/read"
    PRINCIPALS_WRITE = "principals/write"
    PRINCIPALS_DISABLE = "principals/disable"
    GROUPS_READ = "groups/read"
    GROUPS_WRITE = "groups/write"
    TOKENS_READ = "principals/tokens/read"
    TOKENS_WRITE = "principals/tokens/write"
    TOKENS_REVOKE = "principals/tokens/revoke"
    ROLES_READ = "roles/read"
    ROLES_WRITE = "roles/write"
    ROLE_ASSIGNMENTS_READ = "role-assignments/read"
    ROLE_ASSIGNMENTS_WRITE = "role-assignments/write"
    ROLE_ASSIGNMENTS_DELETE = "role-assignments/delete"
    ELEVATIONS_READ = "elevations/read"
    ELEVATIONS_REQUEST = "elevations/request"
    ELEVATIONS_DECIDE = "elevations/decide"
    AUDIT_READ = "audit/read"
    SECRETS_READ = "secrets/read"
    SECRETS_VALUES_READ = "secrets/values/read"
    SECRETS_WRITE = "secrets/write"
    SECRETS_DELETE = "secrets/delete"
    MASTER_KEY_ROTATE = "master-key/rotate"
    MONITORS_READ = "monitors/read"
    MONITORS_WRITE = "monitors/write"
    MONITORS_DELETE = "monitors/delete"
    MONITORS_RUN = "monitors/run"

    @property
    def resource_type(self) -> str:
        return self.value.rsplit("/", 1)[0]

    @property
    def verb(self) -> str:
        return self.value.rsplit("/", 1)[1]

    @property
    def is_read(self) -> bool:
        return self.verb == "read"


_DESCRIPTIONS: dict[Action, str] = {
    Action.WORKSPACES_READ: "list and show workspaces",
    Action.WORKSPACES_WRITE: "create or change a workspace",
    Action.WORKSPACES_DELETE: "delete a workspace and everything in it",
    Action.WORKSPACES_COST_READ: "read a workspace's cost, budget and activity",
    Action.WORKSPACES_BUDGET_WRITE: (
        "set a workspace's budget, rates and staleness; run its cost and staleness checks"
    ),
    Action.REGISTRIES_READ: "list and show registries",
    Action.REGISTRIES_WRITE: "create or change a registry",
    Action.DATASTORES_READ: "list and show datastores",
    Action.DATASTORES_WRITE: "create or change a datastore",
    Action.DATA_READ: "list, show and download data assets",
    Action.DATA_WRITE: "register data asset versions",
    Action.DATA_ARCHIVE: "archive and restore data asset versions",
    Action.ENVIRONMENTS_READ: "list and show environments",
    Action.ENVIRONMENTS_WRITE: "register environment versions",
    Action.ENVIRONMENTS_ARCHIVE: "archive and restore environment versions",
    Action.ENVIRONMENTS_SHARE: "copy environment versions into a registry",
    Action.COMPONENTS_READ: "list and show components",
    Action.COMPONENTS_WRITE: "register component versions",
    Action.COMPONENTS_ARCHIVE: "archive and restore component versions",
    Action.COMPONENTS_SHARE: "copy component versions (and their environments) into a registry",
    Action.MODELS_READ: "list, show and download models",
    Action.MODELS_WRITE: "register model versions",
    Action.MODELS_ARCHIVE: "archive and restore model versions",
    Action.MODELS_ALIAS: "set and delete model aliases (champion, challenger, ...)",
    Action.MODELS_SHARE: "copy model versions into a registry",
    Action.UPLOADS_WRITE: "upload files and folders into the artifact store",
    Action.PROMOTIONS_READ: "list and show promotions and their gate reports",
    Action.PROMOTIONS_WRITE: "promote a model version into a workspace through a policy's gates",
    Action.PROMOTIONS_CANCEL: "cancel a promotion under way",
    Action.PROMOTION_POLICIES_READ: "list and show a workspace's stored promotion policies",
    Action.PROMOTION_POLICIES_WRITE: "store a promotion policy (its gates guard the workspace)",
    Action.PROMOTION_POLICIES_DELETE: "delete a stored promotion policy",
    Action.APPROVALS_READ: "list and show approval requests",
    Action.APPROVALS_DECIDE: "approve or reject a promotion's approval request",
    Action.COMPUTES_READ: "list and show computes",
    Action.COMPUTES_WRITE: "create computes",
    Action.COMPUTES_DELETE: "delete computes",
    Action.JOBS_READ: "list and show jobs, download their outputs",
    Action.JOBS_WRITE: "submit jobs (and report their progress, for runners)",
    Action.JOBS_CANCEL: "cancel jobs",
    Action.JOBS_LOGS_READ: "read the logs of jobs and their steps",
    Action.SCHEDULES_READ: "list and show schedules and the ticks they fired",
    Action.SCHEDULES_WRITE: "create, enable and disable schedules (their ticks act as the creator)",
    Action.SCHEDULES_DELETE: "delete schedules",
    Action.ONLINE_ENDPOINTS_READ: "list and show online endpoints",
    Action.ONLINE_ENDPOINTS_WRITE: "create online endpoints, change their traffic",
    Action.ONLINE_ENDPOINTS_DELETE: "delete online endpoints",
    Action.ONLINE_ENDPOINTS_KEYS_READ: "read an endpoint's keys or get a token for it",
    Action.ONLINE_ENDPOINTS_KEYS_WRITE: "regenerate an endpoint's keys",
    Action.ONLINE_ENDPOINTS_EXPORT: "export an endpoint as Kubernetes or KServe manifests",
    Action.ONLINE_ENDPOINTS_REQUEST_LOGS_READ: "read an endpoint's traffic log",
    Action.ONLINE_ENDPOINTS_FEEDBACK_WRITE: (
        "post ground truth for an endpoint's scored requests (read by model_performance)"
    ),
    Action.ONLINE_DEPLOYMENTS_READ: "list and show online deployments",
    Action.ONLINE_DEPLOYMENTS_WRITE: "create or update online deployments",
    Action.ONLINE_DEPLOYMENTS_DELETE: "delete online deployments",
    Action.ONLINE_DEPLOYMENTS_LOGS_READ: "read an online deployment's log",
    Action.BATCH_ENDPOINTS_READ: "list and show batch endpoints and their jobs",
    Action.BATCH_ENDPOINTS_WRITE: "create batch endpoints",
    Action.BATCH_ENDPOINTS_DELETE: "delete batch endpoints",
    Action.BATCH_ENDPOINTS_INVOKE: "start a batch scoring job",
    Action.BATCH_DEPLOYMENTS_READ: "list and show batch deployments",
    Action.BATCH_DEPLOYMENTS_WRITE: "create batch deployments",
    Action.BATCH_DEPLOYMENTS_DELETE: "delete batch deployments",
    Action.EVENTS_READ: "list events",
    Action.EVENT_SUBSCRIPTIONS_READ: "list and show event subscriptions",
    Action.EVENT_SUBSCRIPTIONS_WRITE: "create event subscriptions",
    Action.EVENT_SUBSCRIPTIONS_DELETE: "delete event subscriptions",
    Action.PRINCIPALS_READ: "list and show users and service principals",
    Action.PRINCIPALS_WRITE: "create users and service principals (and the first platform owner)",
    Action.PRINCIPALS_DISABLE: "disable a principal: its tokens stop working at once",
    Action.GROUPS_READ: "list and show groups and their members",
    Action.GROUPS_WRITE: "create groups, add and remove their members",
    Action.TOKENS_READ: "list a principal's API tokens (never their secrets)",
    Action.TOKENS_WRITE: "create an API token for a principal",
    Action.TOKENS_REVOKE: "revoke an API token",
    Action.ROLES_READ: "list and show roles (built-in and custom)",
    Action.ROLES_WRITE: "define custom roles",
    Action.ROLE_ASSIGNMENTS_READ: "list role assignments and explain access decisions",
    Action.ROLE_ASSIGNMENTS_WRITE: "assign a role to a principal at a scope",
    Action.ROLE_ASSIGNMENTS_DELETE: "remove a role assignment",
    Action.ELEVATIONS_READ: "list and show just-in-time elevation requests (everyone sees their own)",
    Action.ELEVATIONS_REQUEST: "ask to hold a role for a while (allowed by eligibility, not by a role)",
    Action.ELEVATIONS_DECIDE: "approve or reject someone else's elevation request (an Owner's)",
    Action.AUDIT_READ: "list the audit log and verify its hash chain",
    Action.SECRETS_READ: "list a workspace's secrets: names, versions, who set them (never values)",
    Action.SECRETS_VALUES_READ: "read a secret's value",
    Action.SECRETS_WRITE: "set a secret in a workspace's vault (a new version)",
    Action.SECRETS_DELETE: "delete a secret from a workspace's vault",
    Action.MASTER_KEY_ROTATE: "re-seal every secret of the store with a new master key",
    Action.MONITORS_READ: "list and show monitors, their runs, results and reports",
    Action.MONITORS_WRITE: "create or replace a monitor",
    Action.MONITORS_DELETE: "delete a monitor with its runs and results",
    Action.MONITORS_RUN: "run a monitor: compute its signals on a window and raise its alerts",
}


def describe_action(action: Action) -> str:
    return _DESCRIPTIONS[action]
