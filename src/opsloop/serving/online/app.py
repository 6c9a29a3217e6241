"""The ASGI factory of ``opsloop online-endpoint serve``: one endpoint alone (``opsloop
server``, every endpoint beside the REST API, is composed in ``opsloop.app.server``).

uvicorn's worker processes import a factory by name, so the choices travel in
environment variables set by the CLI before it starts uvicorn.
"""

from __future__ import annotations

import os
from pathlib import Path

from opsloop.serving.online.runtime import ServingRuntime
from opsloop.serving.online.sources import BundleSource, StoreSource

SERVE_ENDPOINT = "OPSLOOP_SERVE_ENDPOINT"
SERVE_WORKSPACE = "OPSLOOP_SERVE_WORKSPACE"
SERVE_BUNDLE = "OPSLOOP_SERVE_BUNDLE"


def create_serving_app() -> ServingRuntime:
    """``opsloop online-endpoint serve``: one endpoint, at / and at /endpoints/<name>/."""
    bundle = os.environ.get(SERVE_BUNDLE)
    if bundle:
        from_bundle = BundleSource(Path(bundle))
        return ServingRuntime(from_bundle, single=from_bundle.bundle.name, owns_process=True)
    from opsloop.services.context import Platform

    name = os.environ[SERVE_ENDPOINT]
    workspace = os.environ.get(SERVE_WORKSPACE) or None
    from_store = StoreSource(Platform(), workspace=workspace, endpoint=name)
    return ServingRuntime(from_store, single=name, owns_process=True)
