"""Durations as people write them in specs and settings (``90s``, ``15m``, ``2h``, ``1d``).

Its own small module: the settings check one on every command-line call, which should not
build the promotion spec models for it."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: str | float | int) -> float:
    """``90``, ``90s``, ``15m``, ``2h``, ``1d`` as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip())
        if match is None:
            raise ValueError("must be a duration such as 90s, 15m, 2h or 1d")
        seconds = float(match["number"]) * _UNITS[match["unit"]]
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds
