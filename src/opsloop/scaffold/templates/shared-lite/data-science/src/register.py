"""Register the trained model in the opsloop workspace the job runs in."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(model_name: str, model_path: Path) -> dict[str, Any]:
    try:
        from opsloop import Client
    except ImportError as exc:
        raise RuntimeError(
            "register.py needs the opsloop SDK, which is not installed in this environment: "
            "add 'opsloop' to the job environment"
        ) from exc
    model = Client().models.create(name=model_name, path=str(model_path),
                                   tags={"framework": "sklearn"})  # fmt: skip
    return {"name": model.name, "version": model.version, "registered": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--model_path", type=Path, required=True, help="MLflow model folder")
    parser.add_argument("--model_info_output", type=Path, required=True)
    args = parser.parse_args(argv)

    info = register(args.model_name, args.model_path)
    print(f"registered {info['name']} version {info['version']}")
    args.model_info_output.mkdir(parents=True, exist_ok=True)
    (args.model_info_output / "model_info.json").write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
