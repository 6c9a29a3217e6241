"""The real REST app over a real store: an embedded SQLite home, then a PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from helpers import server_platform
from opsloop.api.app import create_app


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """/api/v1 of a store holding workspace ``dev`` with online endpoint ``ep``, as
    ``opsloop server`` serves it (API tokens, its authoriser), called with the platform
    owner's token. Jobs are recorded, never run."""
    database_url = (
        request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    )
    platform, owner = server_platform(tmp_path / "home", database_url)
    app = create_app(platform, launch_jobs=False)
    headers = {"authorization": f"Bearer {owner}"}
    with TestClient(app, base_url="http://testserver/api/v1", headers=headers) as client:
        for path, body in (
            ("/workspaces", {"name": "dev"}),
            ("/workspaces/dev/online-endpoints", {"name": "ep"}),
        ):
            assert client.post(path, json=body).status_code == 201
        yield client
    platform.database.dispose()
