"""Exporting an online endpoint to Kubernetes manifests or KServe InferenceServices, with
an image build context per deployment (``writer``, ``k8s``, ``kserve``, ``requirements``),
and installing a written export into the user's folder (``install``, which the SDK uses for
what a remote server sent, so it imports nothing but errors and the bundle's file name).

Below the API (its export route packs an archive with ``writer``) and the SDK; it reads
deployments through ``opsloop.scoring.bundle`` and knows nothing of the serving runtime.
"""
