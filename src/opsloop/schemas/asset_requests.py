"""Request bodies of the versioned-asset routes (``extra="forbid"``)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from opsloop.specs.base import AssetName, StorableText
from opsloop.specs.promotion import PromotionPolicySpec


class _Body(StorableText):
    model_config = ConfigDict(extra="forbid")


class AssetShare(_Body):
    """Copy a model, environment or component version into ``registry``, as
    ``share_with_name:share_with_version`` (by default the version's own name and version)."""

    registry: AssetName
    share_with_name: AssetName | None = None
    share_with_version: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ModelAliasUpdate(_Body):
    """``version``: a version (``3``), or ``@latest`` / ``@<alias>`` resolved now."""

    version: str = Field(min_length=1, max_length=64)


class PromotionRequest(_Body):
    """Promote ``model`` (a registry reference, or ``name:version`` of ``source_workspace``)
    into the route's workspace under ``policy``."""

    model: str = Field(min_length=1)
    source_workspace: AssetName | None = None
    policy: PromotionPolicySpec


class ApprovalDecision(_Body):
    comment: str | None = Field(default=None, max_length=4000)
