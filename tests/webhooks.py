"""A real HTTP webhook receiver for event tests (importable thanks to pythonpath = tests)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """Records every delivery; ``acted`` counts each idempotency key once, as a receiver
    that dedupes on the key would act. ``fail_next`` makes the next N calls answer 503."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (idempotency key, envelope)
        self.raw: list[tuple[dict[str, str], bytes]] = []  # (headers, body) of every call
        self.acted: Counter[str] = Counter()
        self.fail_next = 0
        self.url = ""

    def keys_by_subscriber(self) -> dict[str, list[str]]:
        with self.lock:
            found: dict[str, list[str]] = {}
            for key, _ in self.calls:
                found.setdefault(key.split("/", 1)[0], []).append(key)
            return found


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            key = self.headers["idempotency-key"]
            with receiver.lock:
                receiver.raw.append(({k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    status = 503
                else:
                    receiver.calls.append((key, json.loads(body)))
                    if key not in receiver.acted:
                        receiver.acted[key] += 1
                    status = 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
