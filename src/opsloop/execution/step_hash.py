"""The step cache key: a step whose component, code, environment, environment variables,
inputs and output types hash the same as an earlier completed step reuses its outputs.

One definition, used by the runner when a step starts and by job validation to predict
which steps would be reused (``opsloop job validate``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from opsloop.execution.plan import CommandStepPlan


def step_hash(
    plan: CommandStepPlan, input_hashes: Mapping[str, str | None], code_hash: str | None
) -> str:
    """The key of ``plan`` given the content hash of each input and of its code."""
    # The payload's shape is what older rows were hashed with: change it and nothing reuses.
    environment = plan.component.environment
    payload = {
        "component": plan.component.hash,
        "code": code_hash,
        "environment": environment.hash if environment else None,
        "environment_variables": plan.environment_variables,
        "inputs": dict(sorted(input_hashes.items())),
        "outputs": {k: v.type for k, v in sorted(plan.outputs.items())},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def literal_hash(value: Any) -> str:
    """What a literal input (a parameter) contributes to the key."""
    return repr(value)


def direct_hash(url: str, known: str | None) -> str:
    """What an input passed as its URL (``mode: direct``) contributes: its recorded hash,
    or the URL itself (its content is never read)."""
    return known or f"url:{url}"
