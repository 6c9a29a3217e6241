"""Expression engine, DAG planner, job states, step reuse and the local executor."""
