"""What the runtime does with an endpoint it cannot load: it says why, in one line."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from starlette.testclient import TestClient

from helpers import bearer
from opsloop import Client
from opsloop.config import Settings
from opsloop.services.context import Platform
from opsloop.serving.online.runtime import ServingRuntime
from opsloop.serving.online.sources import StoreSource

ROW = {"input_data": {"columns": ["a", "b", "c"], "data": [[1.0, 1.0, 1.0]]}}


def test_a_wrong_master_key_is_logged_as_one_clear_line(
    serving_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True
    )
    headers = bearer(serving_client)
    wrong = Settings(home=serving_client.settings.home, master_key=Fernet.generate_key().decode())
    runtime = ServingRuntime(StoreSource(Platform(wrong), endpoint="ep"), single="ep")
    with caplog.at_level(logging.ERROR), TestClient(runtime) as http:
        answer = http.post("/score", json=ROW, headers=headers)
    assert answer.status_code == 404
    failures = [record for record in caplog.records if "could not load endpoint" in record.message]
    assert failures and all(record.exc_info is None for record in failures)
    assert (
        "could not load endpoint ep: the master key from OPSLOOP_MASTER_KEY does not decrypt"
        in (failures[0].message)
    )
