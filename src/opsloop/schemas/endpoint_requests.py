"""Request bodies of the endpoint routes (``extra="forbid"``)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from opsloop.specs.base import StorableText


class Action(StorableText):
    model_config = ConfigDict(extra="forbid")


class OnlineEndpointUpdate(Action):
    traffic: dict[str, int] | None = None
    mirror_traffic: dict[str, int] | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    auth_mode: str | None = None
    # The endpoint's revision the change was worked out from; a newer one is a conflict.
    revision: int | None = None


class RegenerateKeys(Action):
    key_type: str = "primary"


class BatchInvocation(Action):
    """``input``: a data asset (``name:version``, ``name@latest``) or an uploaded URL."""

    input: str
    input_type: Literal["uri_file", "uri_folder", "mltable"] = "uri_folder"
    deployment_name: str | None = None


class EndpointExport(Action):
    """``format``: ``k8s`` (Deployments, Services, HPAs, an HTTPRoute) or ``kserve``."""

    format: Literal["k8s", "kserve"] = "k8s"
    image_registry: str | None = None
