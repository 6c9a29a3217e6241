"""opsloop apply: plan and apply a project file (docs/project-file.md)."""
