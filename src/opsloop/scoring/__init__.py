"""Loading a deployment's model and scoring rows with it, apart from any server.

What a deployment is (``bundle``), its model files on this machine (``model_cache``), the
request protocols that turn a body into rows (``protocols``, ``signature_types``), the
predictors that load a model or scoring script and score (``predictors``,
``onnx_runtime``), which of them scores a model (``runtime_choice``, for online and batch
alike), and the proof that a new deployment can serve (``provisioning``).

It sits below both users: the services provision a deployment before they store it, and the
serving runtime and the exporter load the same bundles. Keeping it here rather than in
``serving`` is what lets services never import serving (serving reads the store through
services; ``tests/test_architecture.py`` holds both directions apart). Imports only specs,
errors and the artifact store.
"""
