"""Online serving: an opsloop online endpoint against `mlflow models serve` and a bare ASGI app.

Side by side in one run, on the same scikit-learn models (a 100-tree random forest and a
logistic regression, 20 numeric features, synthetic data, fixed seed), each server with one
worker, one server at a time:
  * mlflow:        `mlflow models serve -m DIR --env-manager local -w 1`,
  * opsloop:       an opsloop online endpoint (`opsloop online-endpoint serve --workers 1`)
                   with the defaults: `inference_runtime` auto (the runtime it chose is
                   printed under the table),
  * opsloop-native: the same with `inference_runtime=native` (the model's own flavor),
  * opsloop-onnx:  the same with `inference_runtime=onnx` (skip with --no-onnx),
  * bare-asgi:     a constant-answer ASGI app under uvicorn (the ceiling; once, not per model),
  * opsloop-collect-buffered / opsloop-collect-durable: opsloop-onnx with the data collector
                   on (all four collections), `durability` buffered or durable; their ratio is
                   the durable mode's cost (`--collector-pairs N` for alternating pairs).

Each gets single-row `POST /invocations` requests (identical `dataframe_split` body for MLflow
and opsloop) from a closed-loop keep-alive load generator (`loadgen.py`) at fixed concurrency;
with `--requests`, opsloop (and opsloop-onnx) also get Open Inference Protocol requests of 1
and 1,000 rows, in JSON and with the binary tensor data extension (see bodies.py), each a row;
it reports requests per second, p50/p99 latency, non-200 answers (a run with any is flagged
INVALID), the CPU used by the server and by the load generator, and ratios against MLflow and
against the bare ASGI ceiling. Before loading a server it checks that one request returns the
same prediction as the model in this process.

Usage:  python benchmarks/serving/run.py [--connections 8] [--warmup 3] [--duration 10]
            [--models forest,logreg] [--servers mlflow,opsloop,opsloop-onnx,bare-asgi,...]
            [--no-onnx] [--loadgen-processes 1] [--repeat 1] [--quiet-wait 0] [--ceiling-pairs 0]
            [--collector-pairs 0] [--requests invocations,v2-json-1,v2-binary-1,...]
            [--serialization skops|cloudpickle] [--keep] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bodies import KINDS  # noqa: E402
from collector_cost import CollectorPairs, collector_pairs, collector_report  # noqa: E402
from measure import CeilingPairs, Row, ceiling_pairs, measure  # noqa: E402
from models import train_and_save  # noqa: E402
from processes import on_sigterm, stop_all  # noqa: E402
from report import meta, paired_report, table, targets  # noqa: E402
from servers import VARIANTS, Opsloop, bare_spec, mlflow_spec  # noqa: E402

SERVERS = ("mlflow", *VARIANTS, "bare-asgi")
MODELS = ("forest", "logreg")
V2_SERVERS = ("opsloop", "opsloop-onnx")  # the servers measured with --requests v2-...


def near_the_ceiling_target(row: Row, rows: list[Row]) -> bool:
    """An opsloop row worth pairing: at least 0.1 of the ceiling in the table (a row far
    below 1/3, such as a scikit-learn forest, would only spend minutes confirming it)."""
    bare = next((r.load for r in rows if r.server == "bare-asgi" and r.load), None)
    if not row.server.startswith("opsloop") or "collect" in row.server:
        return False
    if row.request != "invocations":
        return False
    if row.load is None or bare is None:
        return False
    return row.load["rps"] >= 0.1 * bare["rps"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-c", "--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--loadgen-processes", type=int, default=1)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each server this many times and keep the best (shared machines)",
    )
    parser.add_argument(
        "--ceiling-pairs",
        type=int,
        default=0,
        help="after the table, measure the bare ASGI app and each opsloop row this many "
        "times in alternating pairs and report the median ratio (the 1/3 target, read "
        "steadily on a noisy machine)",
    )
    parser.add_argument(
        "--collector-pairs",
        type=int,
        default=0,
        help="after the table, measure opsloop-collect-buffered and -durable this many times "
        "in alternating pairs per model and report the median durable/buffered ratio",
    )
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument(
        "--requests",
        default="invocations",
        help=f"the requests each server is measured with, any of {','.join(KINDS)}: the V2 "
        f"ones for {' and '.join(V2_SERVERS)} only, each a row of its own",
    )
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--no-onnx", action="store_true", help="leave out opsloop-onnx")
    parser.add_argument(
        "--serialization",
        choices=["skops", "cloudpickle"],
        default="skops",
        help="how mlflow.sklearn.save_model stores the models (MLflow 3.17's default: skops)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=0.0,
        help="before each server, wait up to this many seconds for the machine to be idle "
        "(on a shared machine; every row reports the CPU other processes used anyway)",
    )
    parser.add_argument(
        "--opsloop-setup-jobs",
        type=int,
        default=2,
        help="opsloop CLI call chains run in parallel while setting up (one per model)",
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    servers = [
        s
        for s in args.servers.split(",")
        if s and not (args.no_onnx and (s.endswith("onnx") or "collect" in s))
    ]
    models_wanted = [m for m in args.models.split(",") if m]
    for name in servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; choose from {SERVERS}")
    for name in models_wanted:
        if name not in MODELS:
            parser.error(f"unknown model {name!r}; choose from {MODELS}")
    kinds = [k for k in args.requests.split(",") if k]
    for kind in kinds:
        if kind not in KINDS:
            parser.error(f"unknown request {kind!r}; choose from {KINDS}")

    signal.signal(signal.SIGTERM, on_sigterm)
    scratch = Path(tempfile.mkdtemp(prefix="opsloop-serving-bench-"))
    rows: list[Row] = []
    paired: list[CeilingPairs] = []
    collector_paired: list[CollectorPairs] = []
    opsloop = Opsloop(scratch / "opsloop-home")
    info = meta(args)
    started = time.perf_counter()
    try:
        print(
            f"{info['cpus']} CPUs, uvicorn {info['uvicorn']} ({info['uvicorn_http']}, "
            f"{info['uvicorn_loop']}), loadgen on {info['loadgen_loop']}, "
            f"{args.connections} connections, {args.warmup:g} s warm-up + {args.duration:g} s",
            flush=True,
        )
        print(f"training and saving models in {scratch} ...", flush=True)
        t_train = time.perf_counter()
        models = [m for m in train_and_save(scratch, args.serialization) if m.name in models_wanted]
        info["train_s"] = round(time.perf_counter() - t_train, 1)
        variants = [name for name in VARIANTS if name in servers]
        if args.collector_pairs > 0:
            variants += [v for v in VARIANTS if "collect" in v and v not in variants]
        if variants:
            print("setting up opsloop endpoints ...", flush=True)
            t_setup = time.perf_counter()
            opsloop.prepare(models, variants, jobs=args.opsloop_setup_jobs)
            info["opsloop_setup_s"] = round(time.perf_counter() - t_setup, 1)
        if "bare-asgi" in servers:
            rows.append(measure("bare-asgi", None, bare_spec, args, scratch))
        for model in models:
            for server in servers:
                if server == "mlflow":
                    fn = lambda port, m=model: mlflow_spec(m, port)  # noqa: E731
                elif server in VARIANTS:
                    fn = lambda port, m=model, v=server: opsloop.spec(m, port, v)  # noqa: E731
                else:
                    continue
                if "invocations" in kinds:
                    rows.append(measure(server, model, fn, args, scratch))
                    if args.ceiling_pairs > 0 and near_the_ceiling_target(rows[-1], rows):
                        label = f"{server}/{model.name}"
                        paired.append(ceiling_pairs(label, fn, bare_spec, model, args, scratch))
                for kind in kinds:
                    if kind != "invocations" and server in V2_SERVERS:
                        rows.append(measure(server, model, fn, args, scratch, kind))
            if args.collector_pairs > 0:
                either = lambda variant, port, m=model: opsloop.spec(m, port, variant)  # noqa: E731
                collector_paired.append(collector_pairs(model, either, args, scratch))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stop_all()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    info["elapsed_s"] = round(time.perf_counter() - started, 1)
    info["opsloop_cli_calls"] = opsloop.calls
    print()
    print(table(rows))
    info["opsloop_runtimes"] = {
        f"{variant}/{model}": {"runtime": runtime, "reason": reason}
        for (model, variant), (runtime, reason) in sorted(
            opsloop.runtimes.items(),
            key=lambda item: (item[0][0], list(VARIANTS).index(item[0][1])),
        )
    }
    for label, chosen in info["opsloop_runtimes"].items():
        print(f"{label} runs on {chosen['runtime']} ({chosen['reason']})")
    for line in paired_report(paired):
        print(line)
    for line in targets(rows, paired):
        print(line)
    for line in collector_report(rows, collector_paired):
        print(line)
    invalid = [r for r in rows if r.status == "INVALID"]
    if invalid:
        print(
            f"\nINVALID results (non-200 answers): {', '.join(f'{r.server}/{r.model}' for r in invalid)}"
        )
    print(f"\nelapsed {info['elapsed_s']} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "meta": info,
            "results": [r.__dict__ for r in rows],
            "ceiling_pairs": [p.__dict__ for p in paired],
            "targets": targets(rows, paired),
            "collector_pairs": [
                {"model": p.model, "pairs": p.pairs, "ratios": p.ratios, "cpu_us": p.cpu_us}
                for p in collector_paired
            ],
            "collector": collector_report(rows, collector_paired),
        }
        args.out.write_text(json.dumps(doc, indent=2))
        print(f"results written to {args.out}")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
