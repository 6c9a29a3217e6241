"""The quickstart: the MLOps v2 loop on an embedded home, offline, with access control on:
workspaces and a registry, identities, data, the training pipeline, the registered model,
its promotion to staging and, approved by the project lead, to prod as a canary; then
monitoring, whose drift alert retrains the model in dev."""

from opsloop.quickstart.inner import classical_example_dir, generate_taxi_data
from opsloop.quickstart.run import QuickstartResult, run_quickstart

__all__ = ["QuickstartResult", "classical_example_dir", "generate_taxi_data", "run_quickstart"]
