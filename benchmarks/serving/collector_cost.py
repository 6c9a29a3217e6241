"""What the data collector's durable mode costs: `opsloop-collect-durable` against
`opsloop-collect-buffered` (the same ONNX model and collections, only `durability` differs),
read from the table and, with `--collector-pairs N`, from N alternating pairs (buffered,
durable, buffered, ...; each a fresh server start), whose median ratio drifts less on a
shared machine than two numbers taken minutes apart. Each reading also gives the server's
CPU time per request (server CPU / req/s), which other work on a busy machine distorts
less than requests per second."""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path

from measure import Row, measure
from models import Model

BUFFERED, DURABLE = "opsloop-collect-buffered", "opsloop-collect-durable"
TARGET = 0.9  # durable keeps at least 90% of buffered's requests per second


@dataclass
class CollectorPairs:
    model: str
    pairs: list[tuple[float, float]]  # (buffered req/s, durable req/s)
    cpu_us: list[tuple[float, float]]  # server CPU µs per request (buffered, durable)

    @property
    def ratios(self) -> list[float]:
        return [durable / buffered for buffered, durable in self.pairs]


def cpu_us(row: Row) -> float:
    """The server's CPU time per request, in µs."""
    assert row.load is not None and row.server_cpu is not None
    return row.server_cpu / row.load["rps"] * 1e6


def collector_pairs(
    model: Model, server_fn, args: argparse.Namespace, scratch: Path
) -> CollectorPairs:
    """``server_fn(variant, port)`` builds a server spec for one of the two variants."""
    once = argparse.Namespace(**{**vars(args), "repeat": 1})
    result = CollectorPairs(model.name, [], [])
    for i in range(args.collector_pairs):
        print(f"  collector pair {i + 1}/{args.collector_pairs} for {model.name}:", flush=True)
        rows = [
            measure(variant, model, lambda port, v=variant: server_fn(v, port), once, scratch)
            for variant in (BUFFERED, DURABLE)
        ]
        if any(r.status != "ok" or not r.load for r in rows):
            print(f"    pair {i + 1} left out: {rows[0].reason or rows[1].reason}", flush=True)
            continue
        result.pairs.append((rows[0].load["rps"], rows[1].load["rps"]))  # type: ignore[index]
        result.cpu_us.append((cpu_us(rows[0]), cpu_us(rows[1])))
    return result


def collector_report(rows: list[Row], paired: list[CollectorPairs]) -> list[str]:
    lines = []
    ok = {
        (r.server, r.model): r
        for r in rows
        if r.status == "ok" and r.load and r.request == "invocations"
    }
    for model in dict.fromkeys(r.model for r in rows):
        buffered, durable = ok.get((BUFFERED, model)), ok.get((DURABLE, model))
        if buffered and durable and buffered.load and durable.load:
            ratio = durable.load["rps"] / buffered.load["rps"]
            lines.append(
                f"collector/{model}: durable {durable.load['rps']:,.0f} / buffered "
                f"{buffered.load['rps']:,.0f} req/s = {ratio:.3f} in the table (target >= "
                f"{TARGET}: {'yes' if ratio >= TARGET else 'no'}); server CPU per request "
                f"{cpu_us(durable):.0f} / {cpu_us(buffered):.0f} µs"
            )
    for p in paired:
        if not p.pairs:
            lines.append(f"collector/{p.model}: no complete pair")
            continue
        median = statistics.median(p.ratios)
        each = ", ".join(f"{d:,.0f}/{b:,.0f}" for b, d in p.pairs)
        cpu = statistics.median(d / b for b, d in p.cpu_us)
        lines.append(
            f"collector/{p.model}, {len(p.pairs)} alternating pairs: median durable/buffered "
            f"{median:.3f} (min {min(p.ratios):.3f}, max {max(p.ratios):.3f}; req/s {each}; "
            f"target >= {TARGET}: {'yes' if median >= TARGET else 'no'}); server CPU per "
            f"request, durable/buffered: median {cpu:.3f} (µs "
            + ", ".join(f"{d:.0f}/{b:.0f}" for b, d in p.cpu_us)
            + ")"
        )
    return lines
