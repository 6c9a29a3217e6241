"""The built-in azureml registry: curated names resolve offline to their documented local
equivalent; anything else is refused saying what to do instead."""

from __future__ import annotations

import pytest

from opsloop.errors import ValidationError
from opsloop.services.curated_environments import curated_by_name, curated_content, resolve_curated
from opsloop.specs.references import parse_registry_uri


@pytest.mark.parametrize(
    ("name", "requirement"),
    [
        ("sklearn-1.5", "scikit-learn==1.5.*"),
        ("AzureML-sklearn-1.5", "scikit-learn==1.5.*"),
        ("lightgbm-3.3", "lightgbm==3.3.*"),
        ("tensorflow-2.16-cuda12", "tensorflow==2.16.*"),
        ("acpt-pytorch-2.8-cuda12.6", "torch==2.8.*"),
        ("AzureML-ACPT-pytorch-2.2-cuda12.1", "torch==2.2.*"),
        ("AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu", "torch==1.10.*"),
        ("minimal-py311-inference", "mlflow"),
    ],
)
def test_each_family_has_its_local_equivalent(name: str, requirement: str) -> None:
    content = curated_content(name)
    assert content is not None and requirement in content["requirements"]
    assert content["image"].startswith("mcr.microsoft.com/azureml/curated/")


def test_a_pinned_version_and_the_latest_label_resolve_alike() -> None:
    uri = "azureml://registries/azureml/environments/sklearn-1.5/"
    references = [parse_registry_uri(uri + tail) for tail in ("labels/latest", "versions/22")]
    latest, pinned = (resolve_curated(r, field="environment") for r in references if r)
    assert latest["reference"] == uri + "labels/latest"
    assert pinned["reference"] == uri + "versions/22"
    assert latest["hash"] == pinned["hash"]  # the same local equivalent: steps reuse across


def test_unknown_curated_names_and_other_kinds_are_refused_in_words() -> None:
    assert curated_content("r-4.2") is None
    assert curated_by_name("sklearn-1.5", None, field="environment") is None  # no prefix
    uri = "azureml://registries/azureml/components/compute_metrics/versions/0.0.26"
    reference = parse_registry_uri(uri)
    assert reference is not None
    with pytest.raises(ValidationError) as error:
        resolve_curated(reference, field="jobs.eval.component")
    assert error.value.field == "jobs.eval.component"
    assert "curated environments only (sklearn-1.5," in error.value.reason
