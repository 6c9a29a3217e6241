"""Promotions and approval requests in the SDK."""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsloop.client._resources import _Operations, build_spec
from opsloop.errors import OpsloopError
from opsloop.schemas.promotions import Approval, Promotion, PromotionPolicy

ENDED = ("Succeeded", "Failed", "Canceled", "RolledBack")


class PromotionPolicyOperations(_Operations):
    """A workspace's stored promotion policies, used by name in ``promotions.create``::

    client.promotion_policies.set(file="mlops/promotion/to-prod.yml", workspace="prod")
    client.promotions.create("taxi:3", to="prod", policy_name="to-prod", workspace="dev")
    """

    def _path(self, workspace: str | None, name: str = "") -> str:
        base = f"/workspaces/{self._ws(workspace)}/promotion-policies"
        return f"{base}/{name}" if name else base

    def set(
        self,
        spec: Any = None,
        *,
        file: str | Path | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
        **fields: Any,
    ) -> PromotionPolicy:
        """Store the policy under its ``name`` (a new version when it differs; the same
        spec again changes nothing)."""
        data, origin = build_spec(
            "PromotionPolicySpec", spec, file=file, overrides=overrides, fields=fields
        )
        with origin.located():
            answer = self._client.request("PUT", self._path(workspace, data["name"]), json=data)
        return PromotionPolicy.model_validate(answer)

    def get(self, name: str, *, workspace: str | None = None) -> PromotionPolicy:
        return self._get(PromotionPolicy, self._path(workspace, name))

    def list(self, *, workspace: str | None = None) -> builtins.list[PromotionPolicy]:
        return self._list(PromotionPolicy, self._path(workspace))

    def delete(self, name: str, *, workspace: str | None = None) -> None:
        """Promotions under way keep the policy they started with."""
        self._client.request("DELETE", self._path(workspace, name))


class PromotionOperations(_Operations):
    def create(
        self,
        model: str,
        *,
        to: str,
        policy: Any = None,
        policy_file: str | Path | None = None,
        policy_name: str | None = None,
        workspace: str | None = None,
        overrides: list[str] | None = None,
    ) -> Promotion:
        """Put ``model`` forward to enter workspace ``to`` under a policy (a
        ``PromotionPolicySpec``, a mapping, ``policy_file``, or ``policy_name``: a policy
        stored in ``to``): a registry reference, or ``name:version`` of ``workspace``
        (shared into the policy's registry first)."""
        if policy_name is not None:
            policy = PromotionPolicyOperations(self._client).get(policy_name, workspace=to).spec
            policy = {**policy, "name": policy_name}
        # Checked here, so a mistake in the policy file is named with its line.
        data, _ = build_spec("PromotionPolicySpec", policy, file=policy_file, overrides=overrides)
        body: dict[str, Any] = {"model": model, "policy": data}
        if "://" not in model and not model.startswith("registry:"):
            body["source_workspace"] = self._ws(workspace)
        return self._post(Promotion, f"/workspaces/{to}/promotions", body)

    def get(self, name: str, *, workspace: str | None = None) -> Promotion:
        return self._get(Promotion, f"/workspaces/{self._ws(workspace)}/promotions/{name}")

    def list(
        self, *, state: str | None = None, workspace: str | None = None
    ) -> builtins.list[Promotion]:
        return self._list(Promotion, f"/workspaces/{self._ws(workspace)}/promotions", state=state)

    def cancel(self, name: str, *, workspace: str | None = None) -> Promotion:
        path = f"/workspaces/{self._ws(workspace)}/promotions/{name}/cancel"
        return self._post(Promotion, path, {})

    def wait(
        self,
        name: str,
        *,
        workspace: str | None = None,
        timeout: float = 900.0,
        on_change: Callable[[Promotion], None] | None = None,
    ) -> Promotion:
        """Poll until the promotion waits for an approval or has ended; ``on_change`` sees
        each new state and gate result."""
        deadline = time.monotonic() + timeout
        seen: tuple[str | None, int] = (None, -1)
        while True:
            promotion = self.get(name, workspace=workspace)
            checks = len(promotion.rollout.get("checks", []))
            now = (promotion.state, len(promotion.gate_results) * 1000 + checks)
            if now != seen and on_change is not None:
                on_change(promotion)
            seen = now
            if promotion.state in ENDED or (
                promotion.state == "AwaitingApproval" and promotion.approval is not None
            ):  # (an approval decided a moment ago: its driver is about to move it on)
                return promotion
            if time.monotonic() > deadline:
                raise OpsloopError(
                    f"promotion {name} is still {promotion.state} after {timeout:g} s"
                )
            time.sleep(0.5)


class ApprovalOperations(_Operations):
    def list(
        self, *, status: str | None = None, workspace: str | None = None
    ) -> builtins.list[Approval]:
        return self._list(Approval, f"/workspaces/{self._ws(workspace)}/approvals", status=status)

    def get(self, name: str, *, workspace: str | None = None) -> Approval:
        return self._get(Approval, f"/workspaces/{self._ws(workspace)}/approvals/{name}")

    def approve(
        self, name: str, *, comment: str | None = None, workspace: str | None = None
    ) -> Approval:
        """Let the promotion go on (not allowed to whoever asked for it)."""
        return self._decide(name, "approve", comment, workspace)

    def reject(self, name: str, *, comment: str, workspace: str | None = None) -> Approval:
        """Stop the promotion; ``comment`` says why."""
        return self._decide(name, "reject", comment, workspace)

    def _decide(self, name: str, verb: str, comment: str | None, workspace: str | None) -> Approval:
        path = f"/workspaces/{self._ws(workspace)}/approvals/{name}/{verb}"
        return self._post(Approval, path, {"comment": comment} if comment else {})
