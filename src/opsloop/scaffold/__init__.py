"""``opsloop init``: write a new project in the layout of the MLOps v2 project template
(data, data-science, mlops specs, project.yaml and CI/CD pipelines for GitHub Actions or
Azure DevOps), for the classical, computer vision or NLP scenario."""

from opsloop.scaffold.render import CI_SYSTEMS, SCENARIOS, Scaffold, next_commands, scaffold

__all__ = ["CI_SYSTEMS", "SCENARIOS", "Scaffold", "next_commands", "scaffold"]
