"""The few ASGI pieces the runtime needs: types and a bounded body read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def read_body(
    content_length: bytes | None, receive: Receive, limit: int
) -> tuple[bytes, bool]:
    """The body and whether it is over ``limit`` (then not read: answer 413)."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        return b"", True
    message = await receive()
    if not message.get("more_body", False):  # the usual case: the whole body at once
        body: bytes = message.get("body", b"")
        return (b"", True) if len(body) > limit else (body, False)
    chunks: list[bytes] = [message.get("body", b"")]
    size = len(chunks[0])
    if size > limit:
        return b"", True
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
