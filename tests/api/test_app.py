"""The app factory: routers included up front (a server) or on the first request that
reaches them (the embedded SDK), with the same API either way."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from opsloop.api.app import ROUTERS, create_app, include_routers_for, routers_for
from opsloop.api.authentication import LocalUser
from opsloop.api.route_actions import api_routes
from opsloop.app.embedded import EmbeddedApp
from opsloop.config import Settings
from opsloop.services.context import Platform


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_is_reached_through_the_router_that_holds_it(tmp_path: Path) -> None:
    served: set[tuple[str, str]] = set()
    for name in ROUTERS:
        router = importlib.import_module(f"opsloop.api.routers.{name}").router
        for route in router.routes:
            assert isinstance(route, APIRoute)
            path = f"/api/v1{route.path}"
            served.update((method, path) for method in route.methods)
            assert routers_for(_concrete(path)) == (name,), path
    app = create_app(Platform(Settings(home=tmp_path / "home")), launch_jobs=False)
    assert served | {("GET", "/api/v1/health")} == set(api_routes(app))


def test_an_unknown_path_includes_every_router() -> None:
    assert routers_for("/api/v1/openapi.json") == ROUTERS
    assert routers_for("/api/v1/workspaces/dev/no-such-noun") == ROUTERS
    assert routers_for("/api/v1/health") == ()


def test_a_lazy_app_answers_as_the_full_app_does(tmp_path: Path) -> None:
    platform = Platform(Settings(home=tmp_path / "home"))
    full = TestClient(create_app(platform, launch_jobs=False, authenticator=LocalUser()))
    lazy_app = create_app(platform, launch_jobs=False, lazy_routers=True, authenticator=LocalUser())
    assert lazy_app.state.routers == set()
    lazy = TestClient(lazy_app)
    include_routers_for(lazy_app, "/api/v1/workspaces")
    assert lazy.post("/api/v1/workspaces", json={"name": "dev"}).status_code == 201
    assert lazy_app.state.routers == {"workspaces"}
    for path in ("/api/v1/workspaces/dev/jobs/nope", "/api/v1/workspaces/dev/models"):
        include_routers_for(lazy_app, path)
        answer, expected = lazy.get(path), full.get(path)
        assert (answer.status_code, answer.json()) == (expected.status_code, expected.json())
    include_routers_for(lazy_app, "/api/v1/openapi.json")
    assert lazy.get("/api/v1/openapi.json").json() == full.get("/api/v1/openapi.json").json()


def test_the_embedded_app_includes_routers_as_requests_reach_them(tmp_path: Path) -> None:
    embedded = EmbeddedApp(Settings(home=tmp_path / "home"))
    embedded.platform.launch_jobs = False
    client = TestClient(embedded)
    assert client.get("/api/v1/workspaces").json() == []
    assert embedded.api.state.routers == {"workspaces"}
    assert client.get("/api/v1/workspaces/dev/data").status_code == 404  # no such workspace
    assert embedded.api.state.routers == {"workspaces", "assets"}
