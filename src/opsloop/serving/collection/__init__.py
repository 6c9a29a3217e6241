"""What the online runtime records about its traffic: the data collector (model inputs and
outputs to Parquet, buffered or spooled durably) and the traffic log (one row a request,
written to the store by a child process)."""
