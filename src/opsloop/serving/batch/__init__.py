"""The batch scoring engine that batch endpoint jobs run (``python -m
opsloop.serving.batch.scoring``): inputs cut into mini-batches, a pool of worker processes,
retries and the summary."""
