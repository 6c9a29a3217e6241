"""Prove a deployment can serve before it goes live: choose its runtime, load, init, score
the input example."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from opsloop.errors import ValidationError
from opsloop.scoring.bundle import DeploymentBundle
from opsloop.scoring.predictors import ModelFailure, load_predictor, sample_rows
from opsloop.scoring.protocols import BadRequest
from opsloop.scoring.runtime_choice import RuntimeChoice, choose_runtime


def provision(bundle: DeploymentBundle, scratch: Path, logger: logging.Logger) -> RuntimeChoice:
    """The runtime chosen (with the verified ONNX file in ``scratch`` if it is ONNX)."""
    started = time.monotonic()
    logger.info(
        "provisioning %s (model %s:%s)", bundle.name, bundle.model_name, bundle.model_version
    )
    try:
        choice = choose_runtime(
            bundle.spec.inference_runtime, bundle.model_dir, scratch,
            model_type=bundle.model_type,
            scoring_script=bundle.spec.code_configuration is not None,
        )  # fmt: skip
        logger.info("inference runtime %s (%s)", choice.runtime, choice.reason)
        bundle = replace(bundle, onnx_path=choice.onnx_path)
        predictor = load_predictor(bundle)
        sample = (
            sample_rows(bundle.model_dir)
            if bundle.model_dir and not predictor.takes_raw_body
            else None
        )
        if sample is not None:
            predictor.predict(sample)
            logger.info("scored the model's input example")
    except ModelFailure as exc:
        logger.error("provisioning failed: %s", exc)
        raise ValidationError(
            f"the deployment cannot start: {exc}", field="code_configuration"
        ) from None
    except BadRequest as exc:
        logger.error("provisioning failed: %s", exc.message)
        raise ValidationError(
            f"the model cannot score its own input example: {exc.message}", field="model"
        ) from None
    except ValidationError as exc:
        logger.error("provisioning failed: %s", exc)
        raise
    except Exception as exc:  # the model's own loading code: report it, do not crash the API
        logger.exception("provisioning failed")
        raise ValidationError(
            f"the model cannot be loaded: {type(exc).__name__}: {exc}", field="model"
        ) from None
    logger.info("provisioned in %.2f s", time.monotonic() - started)
    return choice
