"""The run_job action over a real store: the retrain-on-drift subscription, from an event
shaped like the monitors' alert, submits one job, also when a worker dies mid-delivery."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from opsloop import Client
from opsloop.config import Settings
from opsloop.errors import ConflictError, ValidationError
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import jobs, subscriptions
from opsloop.services.context import Platform
from subscription_helpers import alert_type, crash_then_redeliver, dispatcher, emit_alert

__all__ = ["alert_type"]  # a fixture


def write_retrain_files(root: Path, alert_type: str) -> Path:
    (root / "pipelines").mkdir(parents=True)
    (root / "pipelines" / "seed").mkdir()
    (root / "pipelines" / "seed" / "rows.csv").write_text("distance\n1.0\n")
    (root / "pipelines" / "train.yml").write_text(
        textwrap.dedent(
            """\
            type: command
            command: ls ${{inputs.fresh_data}}
            inputs:
              fresh_data:
                type: uri_folder
                path: ./seed
            """
        )
    )
    (root / "subscriptions").mkdir()
    spec = root / "subscriptions" / "retrain.yml"
    spec.write_text(
        textwrap.dedent(
            f"""\
            name: retrain-on-drift
            types: [{alert_type}]
            workspace: prod
            action:
              type: run_job
              workspace: dev
              job: ../pipelines/train.yml
              inputs:
                fresh_data: ${{{{event.data.production_data}}}}
            """
        )
    )
    return spec


def test_retrain_on_drift_submits_one_job_with_the_events_data(
    client: Client, home: Path, tmp_path: Path, alert_type: str
) -> None:
    client.workspaces.create(name="prod", kind="production")
    spec = write_retrain_files(tmp_path / "project", alert_type)
    made = client.subscriptions.create(file=spec)
    assert made.action["type"] == "run_job" and made.secret is None
    window = tmp_path / "window"
    window.mkdir()
    (window / "part-0.csv").write_text("distance\n9.0\n")
    platform = Platform(Settings(home=home))
    platform.launch_jobs = False
    deliver = dispatcher(platform)
    emit_alert(platform, "dev", window.as_uri())  # another workspace: not for it
    emit_alert(platform, "prod", window.as_uri())
    assert deliver() == 1
    with platform.context(SYSTEM_ACTOR) as ctx:
        made_jobs = jobs.list_jobs(ctx, "dev")
        [delivery] = subscriptions.list_deliveries(ctx, "retrain-on-drift")
    [job] = made_jobs
    assert job.name == f"retrain-on-drift-{delivery.event}"
    assert delivery.effect == f"job:dev/{job.name}" and delivery.status == "delivered"
    assert job.inputs["fresh_data"]["url"] == window.as_uri()
    assert job.created_by == "system:opsloop" and job.status == "Queued"
    assert deliver() == 0  # delivered once
    with platform.context(SYSTEM_ACTOR) as ctx, pytest.raises(ConflictError, match="acts once"):
        subscriptions.redeliver(ctx, "retrain-on-drift", event=delivery.event)


def test_a_run_job_subscription_names_what_is_wrong(
    client: Client, tmp_path: Path, alert_type: str
) -> None:
    spec = write_retrain_files(tmp_path / "project", alert_type)
    spec.write_text(spec.read_text().replace("job: ../pipelines/train.yml", "job: ../nowhere.yml"))
    with pytest.raises(ValidationError) as missing:
        client.subscriptions.create(file=spec)
    assert missing.value.field == "action.job" and missing.value.line == 7
    spec.write_text(spec.read_text().replace("${{event.data.production_data}}", "${{inputs.x}}"))
    with pytest.raises(ValidationError) as expression:
        client.subscriptions.create(file=spec)
    assert expression.value.field == "action.inputs.fresh_data"
    assert expression.value.line == 9 and str(spec) in str(expression.value)


def test_a_worker_killed_before_the_commit_leaves_nothing_and_the_next_acts_once(
    client: Client, home: Path, tmp_path: Path, alert_type: str
) -> None:
    client.workspaces.create(name="prod", kind="production")
    client.subscriptions.create(file=write_retrain_files(tmp_path / "project", alert_type))
    window = tmp_path / "window"
    window.mkdir()
    platform = Platform(Settings(home=home))
    emit_alert(platform, "prod", window.as_uri())

    def no_job() -> bool:
        with platform.context(SYSTEM_ACTOR) as ctx:
            return jobs.list_jobs(ctx, "dev") == []

    crash_then_redeliver(platform, home, tmp_path / "workers.log", "retrain-on-drift", no_job)
    with platform.context(SYSTEM_ACTOR) as ctx:
        made = jobs.list_jobs(ctx, "dev")
        [delivery] = subscriptions.list_deliveries(ctx, "retrain-on-drift")
    assert [job.name for job in made] == [f"retrain-on-drift-{delivery.event}"]
    assert delivery.status == "delivered" and [a.outcome for a in delivery.log] == ["delivered"]
