"""The endpoints a runtime serves, kept in step with their source.

``reload`` rebuilds only the endpoints whose revision changed and swaps the whole mapping
in one assignment, so a request keeps the snapshot it started with. Replaced deployments
are closed after a grace period (a request holds its snapshot for at most its timeout),
and all at once on shutdown, which flushes their collected data.
"""

from __future__ import annotations

import logging
import threading

from opsloop.errors import OpsloopError
from opsloop.serving.online.live import LiveDeployment, LiveEndpoint
from opsloop.serving.online.sources import EndpointSource

log = logging.getLogger(__name__)


class LiveEndpoints:
    def __init__(self, source: EndpointSource) -> None:
        self.source = source
        self.endpoints: dict[str, LiveEndpoint] = {}
        self._revisions: dict[str, str] = {}
        self._retiring: list[LiveDeployment] = []
        # The poller and a request's catch-up may both reload.
        self._lock = threading.Lock()

    def reload(self, *, retry_failed: bool = False) -> bool:
        """Rebuild endpoints whose revision changed (``retry_failed``: and those with a
        deployment that failed to load); returns whether anything changed."""
        with self._lock:
            revisions = self.source.revisions()
            failed = self._failed() if retry_failed else set()
            if revisions == self._revisions and not failed:
                return False
            current = dict(self.endpoints)
            retired: list[LiveDeployment] = []
            for name, revision in revisions.items():
                unchanged = self._revisions.get(name) == revision and name not in failed
                if unchanged and name in current:
                    continue
                try:
                    bundle = self.source.load(name)
                except OpsloopError as exc:  # e.g. a wrong master key: the message says it all
                    log.error("could not load endpoint %s: %s", name, exc)
                    continue
                except Exception:
                    log.exception("could not load endpoint %s", name)
                    continue
                fresh = LiveEndpoint.build(bundle, current.get(name), self.source.deployment_logger)
                if name in current:
                    retired.extend(current[name].retired_by(fresh))
                current[name] = fresh
            for name in set(current) - set(revisions):
                retired.extend(current.pop(name).retired_by(None))
            self.endpoints = current  # one reference swap
            self._revisions = revisions
            if retired:
                self._retire(retired)
            return True

    def _failed(self) -> set[str]:
        """Endpoints that could not be loaded, or have a deployment that could not."""
        failed = set(self._revisions) - set(self.endpoints)
        for name, live in self.endpoints.items():
            if any(deployment.error is not None for deployment in live.deployments.values()):
                failed.add(name)
        return failed

    def flush_collected(self) -> None:
        """Write the payloads every deployment, served or retiring, has collected so far."""
        deployments = [d for live in self.endpoints.values() for d in live.deployments.values()]
        for deployment in [*deployments, *self._retiring]:
            if deployment.collector is not None:
                deployment.collector.flush()

    def close(self) -> None:
        with self._lock:
            closing = [d for live in self.endpoints.values() for d in live.deployments.values()]
            closing.extend(self._retiring)
            self._retiring = []
            self.endpoints = {}
            self._revisions = {}
        close_all(closing)

    def _retire(self, deployments: list[LiveDeployment]) -> None:
        self._retiring.extend(deployments)
        grace = max(d.timeout_s for d in deployments) + 1.0
        timer = threading.Timer(grace, self._close_retired, [deployments])
        timer.daemon = True
        timer.start()

    def _close_retired(self, deployments: list[LiveDeployment]) -> None:
        with self._lock:
            waiting = {id(d) for d in self._retiring}
            due = [d for d in deployments if id(d) in waiting]
            closing = {id(d) for d in due}
            self._retiring = [d for d in self._retiring if id(d) not in closing]
        close_all(due)


def close_all(deployments: list[LiveDeployment]) -> None:
    for deployment in deployments:
        try:
            deployment.close()
        except Exception:
            log.exception("closing deployment %s failed", deployment.name)
