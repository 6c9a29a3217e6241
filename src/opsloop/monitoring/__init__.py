"""Data monitoring: profiles of data assets, and the drift and data quality computation.

The drift engine: ``reference.summarize_reference`` summarises a reference table once;
``window.read_window`` reads a production window in chunks onto the reference's bins;
``drift.compute_data_drift`` and ``quality.compute_data_quality`` turn the two into one
result per feature and metric (``results``). The metrics are documented in their modules
and in docs/monitoring.md.
"""
