"""Plan models, the DAG planner, expressions, job states, the executor interface and the
local launcher: the lower layer the job services use. The runner process that carries a
plan out is ``opsloop.runner`` (it calls the services, so it cannot live here)."""
