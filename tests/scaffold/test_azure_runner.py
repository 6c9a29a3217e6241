"""The Azure Pipelines runner the end-to-end test uses does what the agent does with the
generated files' constructs: variables, secrets, macros, output variables across stages,
a script's exit status without -e."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold_pipelines import run_azure_pipeline

PIPELINE = """
variables:
  - group: opsloop
  - name: MODEL
    value: fares-model
stages:
  - stage: Train
    jobs:
      - job: train
        steps:
          - task: UsePythonVersion@0
          - script: |
              echo "model=$MODEL uri=$OPSLOOP_URI token=${OPSLOOP_TOKEN:-unset} macro=$(OPSLOOP_TOKEN) $(NOT_A_VARIABLE)"
              echo "##vso[task.setvariable variable=VERSION;isOutput=true]7"
            name: version
            displayName: Version
  - stage: Deploy
    dependsOn: Train
    jobs:
      - deployment: production
        variables:
          VERSION: $[ stageDependencies.Train.train.outputs['version.VERSION'] ]
        strategy:
          runOnce:
            deploy:
              steps:
                - bash: echo "deploying $MODEL:$VERSION with $TOKEN"
                  displayName: Deploy
                  env:
                    TOKEN: $(OPSLOOP_TOKEN)
"""


def run(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "pipeline.yml"
    path.write_text(text)
    return run_azure_pipeline(
        path, cwd=tmp_path, groups={"opsloop": {"OPSLOOP_URI": "http://x", "OPSLOOP_TOKEN": "s3"}},
        secrets={"OPSLOOP_TOKEN"}, env={"PATH": os.environ["PATH"]},
    )  # fmt: skip


def test_variables_secrets_macros_and_output_variables(tmp_path: Path) -> None:
    train, deploy = run(tmp_path, PIPELINE)
    # A secret is no environment variable of its own; its macro is expanded; an unknown
    # macro is left to the shell (here a command not found, on stderr).
    assert "model=fares-model uri=http://x token=unset macro=s3" in train
    assert "NOT_A_VARIABLE: command not found" in train
    assert deploy.endswith("deploying fares-model:7 with s3\n")


def test_a_script_fails_by_its_last_status_and_conditions_are_refused(tmp_path: Path) -> None:
    assert (
        "still here"
        in run(tmp_path, "steps:\n  - script: |\n      false\n      echo still here\n")[0]
    )
    with pytest.raises(AssertionError, match=r"## __default\.job: Fails \("):
        run(tmp_path, "steps:\n  - script: exit 3\n    displayName: Fails\n")
    with pytest.raises(NotImplementedError, match="always"):
        run(tmp_path, "steps:\n  - script: echo\n    condition: always()\n")
