"""`opsloop init` as a user runs it: help with an example, what it wrote and what to run
next, a non-empty folder refused (and written with --force), a bad choice's one-line error."""

from __future__ import annotations

from pathlib import Path

from helpers import opsloop


def test_init_writes_the_project_and_says_what_next(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert "Example: opsloop init" in opsloop("init", "--help", home=home).stdout
    made = opsloop("init", "reviews", "--scenario", "nlp", "--ci", "azure-devops",
                   home=home, cwd=tmp_path)  # fmt: skip
    assert "Wrote the nlp project 'reviews' with azure-devops pipelines into reviews" in made.stdout
    for relative in ("project.yaml", ".azuredevops/train-deploy.yml", "data/generate.py"):
        assert f"\n  {relative}\n" in made.stdout
        assert (tmp_path / "reviews" / relative).is_file()
    assert "  cd reviews\n" in made.stdout
    assert "opsloop job create -w dev -f mlops/azureml/train/pipeline.yml --stream" in made.stdout


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "notes.md").write_text("mine")
    refused = opsloop("init", "proj", home=home, cwd=tmp_path, check=False)
    assert refused.returncode == 1
    assert "proj is not empty; choose an empty folder or pass --force" in refused.stderr
    assert [p.name for p in (tmp_path / "proj").iterdir()] == ["notes.md"]
    opsloop("init", "proj", "--force", home=home, cwd=tmp_path)
    assert (tmp_path / "proj" / ".github" / "workflows" / "pull-request.yml").is_file()
    bad = opsloop("init", "other", "--ci", "jenkins", home=home, cwd=tmp_path, check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "Error: ci: --ci must be one of github, azure-devops"
