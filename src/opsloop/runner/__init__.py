"""The job runner process: ``python -m opsloop.runner.runner WORKSPACE JOB``, started by
``opsloop.execution.launcher``, runs a job's steps (``step``, ``step_files``) and reports
every state change, heartbeat and output through the jobs service
(``opsloop.services.job_runs``), by design.

It is a package of its own, above the services, so that ``opsloop.execution`` (plan models,
planner, expressions, states, the executor interface and the local launcher) stays the
lower layer the services import: execution -> runner or execution -> services would close
a cycle.
"""
