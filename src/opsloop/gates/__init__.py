"""Promotion gates: what a candidate model version must pass, each a pure function from
evidence (metrics, predictions, data) to a verdict with that evidence. The promotion
service gathers the evidence and records the verdicts."""
