"""``client.jobs.validate`` against a real server: local code is hashed, not uploaded, and
the server's errors come back naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import serve_in_thread, server_platform, write
from opsloop import Client, ValidationError
from opsloop.api.app import create_app
from opsloop.content_hash import hash_path
from opsloop.specs.pending_uploads import upload_key

JOB = """\
code: ./src
command: python main.py ${{inputs.rows}}
inputs:
  rows:
    type: uri_folder
    path: ./data
"""


def test_validate_through_the_api_uploads_nothing(tmp_path: Path) -> None:
    platform, owner = server_platform(tmp_path / "home")
    url, stop = serve_in_thread(create_app(platform, launch_jobs=False))
    try:
        with Client(url, token=owner, workspace="dev") as client:
            client.workspaces.create(name="dev")
            write(tmp_path / "src" / "main.py", "print('hi')\n")
            write(tmp_path / "data" / "rows.csv", "a\n")
            spec = write(tmp_path / "job.yml", JOB)
            plan = client.jobs.validate(file=spec)
            [step] = plan.steps
            # The URL the upload would get, named by the content the upload would hash.
            expected = platform.artifacts.url_for(upload_key(hash_path(tmp_path / "data"), "data"))
            assert step.inputs["rows"].url == expected
            assert not platform.artifacts.exists(expected)  # nothing was uploaded
            assert client.jobs.list() == []

            bad = write(tmp_path / "bad.yml", JOB.replace("./data", "azureml:rows:2"))
            with pytest.raises(ValidationError) as raised:
                client.jobs.validate(file=bad)
            error = raised.value
            assert (error.file, error.line, error.field) == (str(bad), 4, "inputs.rows"), str(error)
            assert "data rows:2 not found" in str(error)
    finally:
        stop()
        platform.database.dispose()
