"""Composition roots: where the layers are put together into something that runs.

Nothing below imports this package. ``server`` is ``opsloop server`` (the REST API, the
serving runtime for every endpoint and the background worker in one ASGI app);
``embedded`` is the same API and scoring paths in the SDK's own process, so the client can
reach them without importing the layers it is not allowed to (``tests/test_architecture.py``).
"""
