"""The Python SDK. ``Client`` is the public entry point."""

from opsloop.client._client import Client

__all__ = ["Client"]
