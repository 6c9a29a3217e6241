"""The run_job action: submit the subscription's job with inputs taken from the event.

The job is created in the dispatcher's transaction that records the delivery and moves
the cursor, so it exists exactly when the delivery does. Its name is derived from the
subscription and the event (``<subscription>-<event id>``), a second guard: the store
refuses a second job of that name in the workspace. The job only runs what its spec says;
a model it registers enters promotion like any other (nothing here deploys).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter

from opsloop.background.actions.base import (
    DeliveryError,
    SubscriptionSubscriber,
    action_workspace,
    render,
)
from opsloop.schemas.events import CloudEvent
from opsloop.services import jobs
from opsloop.services.context import ServiceContext
from opsloop.specs.events import RunJobAction
from opsloop.specs.job import JobSpec

_JOB_SPEC: TypeAdapter[Any] = TypeAdapter(JobSpec)


def job_name(subscription: str, event: CloudEvent) -> str:
    return f"{subscription[:200]}-{event.id}"


class RunJobSubscriber(SubscriptionSubscriber[RunJobAction]):
    def handle(self, ctx: ServiceContext, event: CloudEvent, idempotency_key: str) -> str:
        workspace = action_workspace(self.action.workspace, event)
        spec = _JOB_SPEC.validate_python(self.job_data(event))
        job = jobs.create_job(ctx, workspace, spec)
        return f"job:{workspace}/{job.name}"

    def job_data(self, event: CloudEvent) -> dict[str, Any]:
        if self.action.job_spec is None:
            raise DeliveryError(f"the subscription holds no job spec for {self.action.job!r}")
        data = copy.deepcopy(self.action.job_spec)
        inputs = data.setdefault("inputs", {})
        for input_name, text in self.action.inputs.items():
            value = render(text, event)
            declared = inputs.get(input_name)
            if isinstance(declared, dict) and "path" in declared:
                declared["path"] = value  # a data input: the event names where it is
            else:
                inputs[input_name] = value
        data["name"] = job_name(self.subscription, event)
        data["tags"] = {
            **data.get("tags", {}),
            "opsloop.subscription": self.subscription,
            "opsloop.event": event.id,
            "opsloop.event_type": event.type,
        }
        return data
