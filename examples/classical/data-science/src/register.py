"""Register the trained model in the opsloop registry when evaluation said to deploy it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def read_deploy_flag(evaluation_output: Path) -> bool:
    return (evaluation_output / "deploy_flag").read_text().strip() == "1"


def read_reason(evaluation_output: Path) -> str:
    metrics = evaluation_output / "metrics.json"
    detail = json.loads(metrics.read_text()).get("reason") if metrics.exists() else None
    reason = "the candidate does not beat the latest registered version"
    return f"{reason} ({detail})" if detail else reason


def register(model_name: str, model_path: Path) -> dict[str, Any]:
    try:
        from opsloop import Client
    except ImportError as exc:
        raise RuntimeError(
            "register.py needs the opsloop SDK, which is not installed in this environment: "
            "add 'opsloop' to the job environment"
        ) from exc
    model = Client().models.create(
        name=model_name,
        path=str(model_path),
        description="Random-forest taxi-fare regressor trained by the taxi-fare-training pipeline",
        tags={"framework": "sklearn"},
    )
    return {"name": model.name, "version": model.version, "registered": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--model_path", type=Path, required=True, help="MLflow model folder")
    parser.add_argument("--evaluation_output", type=Path, required=True)
    parser.add_argument("--model_info_output", type=Path, required=True)
    args = parser.parse_args(argv)

    if read_deploy_flag(args.evaluation_output):
        info = register(args.model_name, args.model_path)
        print(f"registered {info['name']} version {info['version']}")
    else:
        reason = read_reason(args.evaluation_output)
        info = {"name": args.model_name, "registered": False, "reason": reason}
        print(f"not registering {args.model_name}: {reason}")
    args.model_info_output.mkdir(parents=True, exist_ok=True)
    (args.model_info_output / "model_info.json").write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
