"""One workflow, two callers: a job submitted through the REST API and one submitted by an
event subscriber (no HTTP involved) are created, launched after their transaction commits
and run alike, at the same time on a new home (MLflow's store is created once)."""

from __future__ import annotations

from pathlib import Path

from opsloop import Client
from opsloop.background.dispatcher import EventDispatcher, wait_until_delivered
from opsloop.background.leases import Lease
from opsloop.schemas.events import CloudEvent
from opsloop.services import jobs
from opsloop.services.context import ServiceContext
from opsloop.services.events import EventSubscriber
from opsloop.specs.job import CommandJobSpec

COMMAND = "echo ran for $OPSLOOP_JOB_NAME"


class RunAJobPerRegistry(EventSubscriber):
    """An action: each new registry starts a job (a stand-in for 'drift -> retrain')."""

    name = "test:run-a-job"

    def accepts(self, event: CloudEvent) -> bool:
        return event.type == "registry.created"

    def handle(self, ctx: ServiceContext, event: CloudEvent, idempotency_key: str) -> None:
        jobs.create_job(ctx, "dev", CommandJobSpec(name=f"for-{event.id}", command=COMMAND))


def test_a_subscriber_and_the_api_submit_jobs_through_one_workflow(home: Path) -> None:
    with Client(home=home, workspace="dev") as client:
        client.workspaces.create(name="dev")
        platform = client._transport.platform
        action = RunAJobPerRegistry()
        platform.subscribers.append(action)

        from_api = client.jobs.create(spec=CommandJobSpec(name="from-api", command=COMMAND))
        client.registries.create(name="shared")
        dispatcher = EventDispatcher(platform)
        lease = Lease(platform.database, dispatcher.lease_name, "test", ttl_s=60)
        wait_until_delivered(dispatcher, lease, [action.name], timeout_s=30)
        wait_until_delivered(dispatcher, lease, [action.name], timeout_s=30)  # again: no-op

        created = [j for j in client.jobs.list() if j.name.startswith("for-")]
        assert len(created) == 1  # the handler acted once
        from_event = client.jobs.wait(created[0].name, timeout=120)
        from_api = client.jobs.wait(from_api.name, timeout=120)
        history = {
            name: [e.type for e in client.events.list(type="job.*") if e.subject == f"job:{name}"]
            for name in (from_api.name, from_event.name)
        }
        logs = {name: client.jobs.logs(name).text for name in history}
    assert from_api.status == from_event.status == "Completed", from_event.error
    assert (
        history[from_api.name]
        == history[from_event.name]
        == [
            "job.created",
            "job.running",
            "job.completed",
        ]
    )
    assert all(f"ran for {name}" in text for name, text in logs.items())
