"""Serving: answering requests with deployed models.

``online`` is the ASGI runtime of online endpoints (routes, traffic routing, live
deployments, micro-batching, metrics, and where endpoints come from); ``collection`` is what
it writes about the traffic (the data collector and the traffic log); ``batch`` is the
engine that batch endpoint jobs run. Loading a model and scoring rows is ``opsloop.scoring``
(services provision with it too); exporting to Kubernetes is ``opsloop.export``.

Serving reads endpoints through the services and the store (serving -> services), never the
other way round; ``opsloop server`` is put together in ``opsloop.app.server``.
"""
