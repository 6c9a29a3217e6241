"""The online endpoint runtime: a plain ASGI app that routes a request to a live deployment
of an endpoint, parses and scores it and writes the answer (``runtime``, ``routes``,
``routing``, ``live``, ``live_set``, ``batching``, ``responses``, ``metrics``), and the
sources it loads endpoints from (``sources``: the store, or an exported bundle)."""
