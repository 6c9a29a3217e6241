"""A serving runtime kept between calls that each expect what a runtime of their own gives
(the home's local server: ``opsloop.app.local_server_serving``).

No poller: the owner reloads before each request. ``settle`` after each request does what
``shutdown`` would for a runtime built for that call alone, with the models kept.
"""

from __future__ import annotations

import asyncio

from opsloop.serving.online.runtime import ServingRuntime


class KeptRuntime(ServingRuntime):
    async def startup(self) -> None:
        await asyncio.to_thread(self.reload)
        self.request_log.start()

    async def settle(self) -> None:
        """Finish what the requests answered so far left behind: their mirrored copies
        scored, their metrics counted, their traffic-log records and collected payloads
        written."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=10)
        self.metrics.publish()
        await asyncio.to_thread(self._write_collected)

    def _write_collected(self) -> None:
        self.request_log.flush()
        self.live.flush_collected()
