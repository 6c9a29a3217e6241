"""The batch scoring engine that batch endpoint jobs run (``python -m
opsloop.serving.batch``): inputs cut into mini-batches, a pool of worker processes, retries,
the predictions file and the summary."""
