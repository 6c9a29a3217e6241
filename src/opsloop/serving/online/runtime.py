"""The online endpoint runtime: one ASGI app serving one or many endpoints.

It is a plain ASGI callable rather than a FastAPI app because single-row scoring is the
common case and a framework's per-request machinery would cost more than the model.
Routes, relative to ``/endpoints/<name>`` (or to ``/`` when one endpoint is served alone):

    POST /score                      Azure body, or the raw body for a scoring script
    POST /invocations                MLflow scoring protocol
    POST /v2/models/<m>/infer        Open Inference Protocol V2 (<m>: endpoint or deployment)
    GET  /v2/models/<m>[/ready]      model metadata / readiness
    GET  /v2                         server metadata (name, version, extensions)
    POST /feedback                   ground truth for scored requests (``online.feedback``)
    GET  /v2/health/live|ready       probes (no auth)
    GET  /metrics                    Prometheus (no auth)
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from typing import Any

from opsloop.scoring.predictors import Predictor
from opsloop.scoring.protocols import BadRequest, Rows
from opsloop.serving.collection.request_log import InlineWriter, ProcessWriter, RequestLog
from opsloop.serving.online.asgi import Receive, Scope, Send, read_body
from opsloop.serving.online.feedback import receive_feedback
from opsloop.serving.online.live import LiveDeployment
from opsloop.serving.online.live_set import LiveEndpoints
from opsloop.serving.online.metrics import ServingMetrics
from opsloop.serving.online.probes import health_probe, no_route
from opsloop.serving.online.request_context import RequestContext
from opsloop.serving.online.responses import Reply, problem, v2_error
from opsloop.serving.online.routes import (
    FEEDBACK,
    SERVER,
    UNKNOWN_MODEL,
    answer,
    collect,
    model_metadata,
    parse,
    route,
    server_metadata,
)
from opsloop.serving.online.routing import pinned_deployment
from opsloop.serving.online.shadow import comparison
from opsloop.serving.online.sources import EndpointSource

log = logging.getLogger(__name__)
CATCH_UP_S = 0.2
GC_YOUNG_THRESHOLD = 20_000


class ServingRuntime:
    """ASGI app; ``single`` serves that endpoint at the root as well as under /endpoints."""

    def __init__(
        self,
        source: EndpointSource,
        *,
        single: str | None = None,
        poll_interval_s: float = 1.0,
        request_log_flush_s: float = 1.0,
        owns_process: bool = False,
    ) -> None:
        """``owns_process``: this runtime is what the process is for (``serve``, ``server``):
        the traffic log is written by a child process, and the garbage collector is tuned
        for many short-lived requests once the models are loaded."""
        self.source = source
        self.single = single
        self.poll_interval_s = poll_interval_s
        self.metrics = ServingMetrics()
        target, retention = source.request_log_target(), source.request_log_retention_days()
        writer_type = ProcessWriter if owns_process else InlineWriter
        writer = writer_type(target, retention)
        self.request_log = RequestLog(writer, request_log_flush_s)
        self.owns_process = owns_process
        self.live = LiveEndpoints(source)
        self._poller: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._request_prefix = uuid.uuid4().hex[:20]
        self._request_counter = 0
        self._last_catch_up = 0.0

    def _new_request_id(self) -> str:
        # A random per-process prefix plus a counter: unique, and no system call per request.
        self._request_counter += 1
        return self._request_prefix + format(self._request_counter, "012x")

    # ---- lifecycle ---------------------------------------------------------------------
    async def startup(self) -> None:
        await asyncio.to_thread(self.reload)
        self.request_log.start()
        if self.owns_process:
            _tune_garbage_collector()
        self._poller = asyncio.create_task(self._poll())

    async def shutdown(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self._background:
            await asyncio.wait(self._background, timeout=10)
        await asyncio.to_thread(self.live.close)
        await asyncio.to_thread(self.request_log.close)

    def reload(self) -> bool:
        return self.live.reload()

    async def _catch_up(self, *, wait: bool = False) -> bool:
        """Reload when a request names something not (yet) served, so a change made a moment
        ago is seen at once; at most every CATCH_UP_S (requests for endpoints that do not
        exist). ``wait``: a key holder waits out that interval rather than being refused (the
        last reload may predate the change). True when a reload ran, this one or the poller's
        it waited for: the request is looked up again."""
        pause = self._last_catch_up + CATCH_UP_S - time.monotonic()
        if pause > 0:
            if not wait:
                return False
            await asyncio.sleep(pause)
        self._last_catch_up = time.monotonic()
        await asyncio.to_thread(self.reload)
        return True

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval_s)
            self.metrics.publish()
            try:
                await asyncio.to_thread(self.reload)
            except Exception:
                log.exception("endpoint reload failed; serving the previous revision")

    # ---- ASGI ----------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        # One dict of the request headers (duplicates: the last wins) instead of a scan of
        # the header list for each of the five this path reads.
        headers: dict[bytes, bytes] = dict(scope["headers"])
        given_id = headers.get(b"x-request-id")
        request_id = given_id.decode("latin-1") if given_id else self._new_request_id()
        reply, context = await self._handle(scope, headers, receive, request_id)
        if reply.status >= 400 and self._split_path(scope["path"])[1].startswith("/v2"):
            reply = v2_error(reply)
        reply.headers.append((b"x-request-id", request_id.encode()))
        if context is not None and context.deployment is not None:
            reply.headers.append((b"azureml-model-deployment", context.deployment.name.encode()))
        # One turn of the event loop before writing: requests that arrived together are all
        # scored first and their answers leave back to back, so a client with several
        # connections is woken once for them rather than once per answer (measured: about
        # 15% more requests a second at 8 connections, see benchmarks/serving).
        await asyncio.sleep(0)
        await reply.send(send)
        if context is not None:
            self._account(context, reply, request_id, started)
            if context.mirror is not None:
                self._mirror(context, scope, request_id)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        receive: Receive,
        request_id: str,
        *,
        retried: bool = False,
    ) -> tuple[Reply, RequestContext | None]:
        name, path = self._split_path(scope["path"])
        live = self.live.endpoints.get(name) if name else None
        if live is None and name and not retried and await self._catch_up():
            return await self._handle(scope, headers, receive, request_id, retried=True)
        if live is None:
            return problem(
                404, f"no online endpoint {name!r} is served here" if name else "not found"
            ), None
        method = scope["method"]
        probe = health_probe(path, method, live)
        if probe is not None:
            return probe, None
        if path == "/metrics" and method == "GET":
            exposition = self.metrics.exposition(live.name)
            return Reply(200, exposition, b"text/plain; version=0.0.4"), None
        protocol, model = route(path, method, live)
        if protocol is None:
            return no_route(path, method), None
        context = RequestContext(live, method, path)
        context.auth_type = live.auth.check(headers.get(b"authorization"))
        if context.auth_type is None:
            reply = problem(
                401, "missing or invalid credentials: send Authorization: Bearer <key or token>"
            )
            reply.headers.append((b"www-authenticate", b"Bearer"))
            return reply, context
        if protocol == UNKNOWN_MODEL:  # after the key check, so names cannot be probed
            return problem(
                404, f"no model {model!r} here: name the endpoint {live.name!r} or a deployment"
            ), None
        if protocol == SERVER:
            return server_metadata(), None
        if protocol == FEEDBACK:
            return await receive_feedback(live, headers, receive), None
        context.model = model
        pinned = pinned_deployment(headers) or (model if model in live.deployments else None)
        deployment_name = pinned or live.split.choose()
        deployment = live.deployments.get(deployment_name) if deployment_name else None
        if deployment is None and not retried and await self._catch_up(wait=True):
            return await self._handle(scope, headers, receive, request_id, retried=True)
        if deployment is None:
            if pinned:
                return problem(404, f"endpoint {live.name!r} has no deployment {pinned!r}"), context
            no_traffic = (
                f"endpoint {live.name!r} sends no traffic to any deployment; set its traffic"
            )
            return problem(503, no_traffic), context
        context.deployment = deployment
        if protocol in ("metadata", "ready"):
            assert model is not None
            return model_metadata(deployment, protocol, model), None
        body, too_large = await read_body(
            headers.get(b"content-length"), receive, deployment.max_body_bytes
        )
        context.request_bytes = len(body)
        if too_large:
            return problem(413, f"the body is over {deployment.max_body_bytes} bytes"), context
        content_type = headers.get(b"content-type", b"application/json").decode("latin-1")
        header_length = headers.get(b"inference-header-content-length")
        reply = await self._score(
            deployment, protocol, content_type, body, header_length, request_id, context
        )
        if reply.status == 200 and not pinned:
            shadow = live.split.mirror_to()
            if shadow is not None and shadow in live.deployments:
                copy = (live.deployments[shadow], protocol, content_type, body, header_length)
                context.mirror = copy
        return reply, context

    async def _score(
        self,
        deployment: LiveDeployment,
        protocol: str,
        content_type: str,
        body: bytes,
        header_length: bytes | None,
        request_id: str,
        context: RequestContext,
    ) -> Reply:
        predictor = deployment.predictor
        if predictor is None:
            context.model_status = "unavailable"
            return problem(
                503, f"deployment {deployment.name!r} failed to load: {deployment.error}"
            )
        try:
            raw = predictor.takes_raw_body
            rows = None if raw else parse(protocol, content_type, body, header_length)
        except BadRequest as exc:
            return problem(exc.status, exc.message)
        # A free slot is taken without creating a coroutine; only a wait needs one.
        waited = 0.0 if deployment.gate.try_enter() else await deployment.gate.acquire()
        if waited is None:
            self.metrics.tally(context.live.name, deployment.name).throttled += 1
            return problem(429, f"deployment {deployment.name!r} is at capacity; retry later")
        context.throttle_s = waited
        model_started = time.perf_counter()
        try:
            if rows is not None and deployment.runs_inline(rows):
                result = await deployment.run_inline(rows)
            else:
                in_flight = self.metrics.in_flight_gauge(context.live.name, deployment.name)
                result = await self._run_in_pool(
                    deployment, predictor, rows, body, in_flight, waited
                )
        except TimeoutError:
            context.model_status = "timeout"
            return problem(408, f"the model took longer than {deployment.timeout_s * 1000:.0f} ms")
        except BadRequest as exc:
            return problem(exc.status, exc.message)
        except Exception as exc:
            context.model_status = "error"
            self.metrics.tally(context.live.name, deployment.name).model_errors += 1
            deployment.logger.error("request %s failed in the model: %r", request_id, exc)
            reply = problem(424, f"the model failed: {type(exc).__name__}: {exc}")
            reply.headers.append((b"opsloop-model-status", b"error"))
            return reply
        finally:
            context.model_s = time.perf_counter() - model_started
        context.model_status, context.result = "ok", result
        reply = answer(protocol, deployment, result, request_id, rows, context.model)
        if deployment.collector is not None and deployment.collector.should_sample():
            collect(deployment, rows, body, header_length, result, reply, request_id)
        return reply

    async def _run_in_pool(
        self,
        deployment: LiveDeployment,
        predictor: Predictor,
        rows: Rows | None,
        body: bytes,
        in_flight: Any,
        waited: float,
    ) -> Any:
        def call() -> Any:
            started = time.perf_counter()
            result = predictor.run_raw(body) if rows is None else predictor.predict(rows)
            deployment.observe(time.perf_counter() - started)
            return result

        in_flight.inc()
        future = asyncio.get_running_loop().run_in_executor(deployment.executor, call)
        # The slot is held until the model really returns, even after a 408.
        future.add_done_callback(lambda _: _release(deployment, in_flight))
        return await asyncio.wait_for(
            asyncio.shield(future), max(0.001, deployment.timeout_s - waited)
        )

    def _mirror(self, origin: RequestContext, scope: Scope, request_id: str) -> None:
        """Score a copy on the shadow after the caller has its answer; the shadow's answer is
        not sent anywhere, only logged beside the live one (see shadow.py)."""
        assert origin.mirror is not None
        shadow, protocol, content_type, body, header_length = origin.mirror
        live = origin.live

        async def run() -> None:
            started = time.perf_counter()
            context = RequestContext(live, scope["method"], scope["path"], mirrored=True)
            context.deployment, context.request_bytes, context.auth_type = (
                shadow,
                len(body),
                "mirror",
            )
            context.model = origin.model
            reply = await self._score(
                shadow, protocol, content_type, body, header_length, request_id, context
            )
            self.metrics.tally(live.name, shadow.name).mirrored += 1
            if reply.status == 200 and origin.deployment is not None:
                try:
                    context.comparison = comparison(
                        origin.deployment.name, origin.result, context.result
                    )
                except Exception:  # an answer JSON cannot hold: logged without comparison
                    log.warning("request %s: answers not comparable", request_id, exc_info=True)
            self._account(context, reply, request_id, started)

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _account(
        self, context: RequestContext, reply: Reply, request_id: str, started: float
    ) -> None:
        # One tuple for both the traffic log and the metrics: the log's writer turns it
        # into a row, metrics.publish into counts.
        record = context.record(request_id, reply.status, len(reply.body), started)
        self.request_log.add(record)
        self.metrics.add(record)

    def _split_path(self, path: str) -> tuple[str | None, str]:
        if path.startswith("/endpoints/"):
            name, _, rest = path[len("/endpoints/") :].partition("/")
            return name, "/" + rest
        return self.single, path


def _tune_garbage_collector() -> None:
    """A request allocates a few hundred objects that refcounting frees at once; with
    CPython's default threshold (700) the young generation is still scanned every few
    requests. Freezing what startup loaded (models, libraries) keeps the old generations
    out of every later scan."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


def _release(deployment: LiveDeployment, in_flight: Any) -> None:
    deployment.gate.release()
    in_flight.dec()
