"""Prove a deployment can serve before it goes live: load, init, score the input example."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

from opsloop.errors import ValidationError
from opsloop.scoring.bundle import DeploymentBundle
from opsloop.scoring.predictors import ModelFailure, load_predictor, sample_rows
from opsloop.scoring.protocols import BadRequest


def provision(bundle: DeploymentBundle, scratch: Path, logger: logging.Logger) -> Path | None:
    """Returns the verified ONNX file when the deployment asks for ONNX Runtime."""
    started = time.monotonic()
    logger.info(
        "provisioning %s (model %s:%s)", bundle.name, bundle.model_name, bundle.model_version
    )
    onnx_path: Path | None = None
    try:
        if bundle.spec.inference_runtime == "onnx":
            from opsloop.scoring.onnx_runtime import convert_and_verify

            assert bundle.model_dir is not None
            onnx_path = convert_and_verify(bundle.model_dir, scratch / "model.onnx")
            bundle = replace(bundle, onnx_path=onnx_path)
            logger.info("converted to ONNX and verified on the input example")
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
    return onnx_path
