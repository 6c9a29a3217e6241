"""``${{secrets.NAME}}``: a reference to a secret of the workspace's vault, written in a job's
command or environment variables or a deployment's environment variables.

Specs keep the reference; the value is put in only where the job's process or the
deployment's runtime is started, never into anything stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# A secret's name: what a reference can hold (no dots: they separate the expression's parts).
SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
SECRET_NAME_RULE = (
    "a letter or _, then letters, digits, _ or - (at most 128 characters), e.g. DB_PASSWORD"
)
REFERENCE = re.compile(r"\$\{\{\s*secrets\.(?P<name>[^{}\s]*?)\s*\}\}")


def referenced_names(text: str) -> list[str]:
    """The secret names ``text`` refers to, in order, each once."""
    return list(dict.fromkeys(m["name"] for m in REFERENCE.finditer(text)))


def references_in(fields: Mapping[str, str]) -> dict[str, list[str]]:
    """Field -> the names its text refers to, for the fields that refer to any."""
    found = {field: referenced_names(text) for field, text in fields.items()}
    return {field: names for field, names in found.items() if names}


def substitute(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each reference replaced by its secret's value (as written: no quoting)."""
    return REFERENCE.sub(lambda m: values[m["name"]], text)


def secret_texts(values: Iterable[str]) -> list[str]:
    """What to mask for these values: each value, and each line of a multi-line one (a
    program may print a key file line by line)."""
    texts: set[str] = set()
    for value in values:
        if not value:
            continue
        texts.add(value)
        lines = [line.strip() for line in value.splitlines()]
        texts.update(line for line in lines if len(line) >= 4 and len(lines) > 1)
    return sorted(texts, key=len, reverse=True)
