"""The quickstart's last step, monitoring closes the loop: [cicd] monitors the promoted
deployment against its training data and subscribes the training pipeline to the monitor's
alerts; end users' trips drift; the monitor alerts; ``opsloop worker`` (run as a user runs
it, in another terminal) delivers the alert, and the pipeline retrains in dev on this
week's labeled trips. Its model waits for promotion: no trigger deploys it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from opsloop.client import Client
from opsloop.errors import ConflictError, OpsloopError
from opsloop.quickstart.endpoints import PROD_ENDPOINT
from opsloop.quickstart.identities import Identities
from opsloop.quickstart.inner import Say, follow_steps, generate_taxi_data, opsloop_command
from opsloop.quickstart.traffic import EndUserTraffic, trip_requests
from opsloop.schemas.entities import Job, Model
from opsloop.schemas.monitors import MonitorRun

MONITOR = "taxi-fare-monitor"
SUBSCRIPTION = "retrain-on-drift"
# Latency and error rate on a shared laptop or CI machine say more about the machine than
# about the model: the quickstart's monitor leaves the example's endpoint_operations out.
_LEFT_OUT = "endpoint_health"


@dataclass
class LoopResult:
    run: MonitorRun
    job: Job
    model: Model | None
    promote_command: str | None


def close_the_loop(
    who: Identities, home: Path, example: Path, deployment: str, canary_rows: int, say: Say
) -> LoopResult:
    monitoring = example / "mlops" / "monitoring"
    _create_monitor(who.cicd, example, home, deployment, say)
    _register_labeled_week(who.cicd, example, home, say)
    try:
        subscription = who.cicd.subscriptions.create(file=monitoring / f"{SUBSCRIPTION}.yml")
        say(f"    [cicd] subscription {subscription.name}: monitor.alerted in prod -> run the "
            f"training pipeline in dev")  # fmt: skip
    except ConflictError:
        say(f"    [cicd] subscription {SUBSCRIPTION} exists already (an earlier quickstart)")
    _send_drifted_trips(who, home, example, canary_rows, say)
    earlier = {d.event for d in who.cicd.subscriptions.deliveries(SUBSCRIPTION)}
    run = who.cicd.monitors.run(MONITOR, workspace="prod")
    _show_alert(run, say)
    if not run.breached:
        raise OpsloopError(f"monitor {MONITOR} found no drift in drifted trips (run {run.number})")
    job = _retrain_through_worker(who.cicd, home, earlier, say)
    model, command = _candidate(who.cicd, job, example, home, say)
    return LoopResult(run, job, model, command)


def _create_monitor(cicd: Client, example: Path, home: Path, deployment: str, say: Say) -> None:
    """The example's monitor, targeting the promoted deployment; its reference, the
    training data, registered in prod (a monitor reads data of its own workspace)."""
    from opsloop.specs.monitor import load_monitor_file

    train = example / "mlops" / "azureml" / "train"
    reference = cicd.data.create(
        file=train / "data.yml",
        workspace="prod",
        overrides=[f"path={home / 'data' / 'taxi-data.csv'}"],
    )
    say(f"    [cicd] data prod/{reference.name}:{reference.version}: the training trips, the "
        f"monitor's reference")  # fmt: skip
    spec = load_monitor_file(example / "mlops" / "monitoring" / "monitor.yml")
    target = spec.monitoring_target.model_copy(
        update={"endpoint_deployment_id": f"azureml:{PROD_ENDPOINT}:{deployment}"}
    )
    signals = {name: s for name, s in spec.monitoring_signals.items() if name != _LEFT_OUT}
    spec = spec.model_copy(update={"monitoring_target": target, "monitoring_signals": signals})
    monitor = cicd.monitors.create(spec, workspace="prod")
    say(f"    [cicd] monitor {monitor.name} on {monitor.endpoint}:{monitor.deployment}: "
        f"{', '.join(monitor.signals)} ({_LEFT_OUT}'s latency thresholds left out: a busy "
        f"machine is no model problem)")  # fmt: skip
    for warning in monitor.warnings:
        say(f"      note: {warning}")


def _register_labeled_week(cicd: Client, example: Path, home: Path, say: Say) -> None:
    """This week's trips, with their fares now known: the population has moved, and the
    retraining the alert starts learns from them (taxi-data@latest in dev)."""
    path = generate_taxi_data(example, home / "data" / "taxi-data-week2.csv", 2000, seed=5,
                              drift=True)  # fmt: skip
    train = example / "mlops" / "azureml" / "train"
    data = cicd.data.create(file=train / "data.yml", overrides=[f"path={path}"])
    say(f"    [cicd] data dev/{data.name}:{data.version}: this week's labeled trips (longer, "
        f"more at night), for the next training")  # fmt: skip


def _send_drifted_trips(
    who: Identities, home: Path, example: Path, canary_rows: int, say: Say
) -> None:
    """End users now send the drifted population, until it outnumbers the canary's trips
    three to one in the monitor's window; serving then stops, so the collector flushes."""
    key = who.owner.online_endpoints.get_credentials(PROD_ENDPOINT, workspace="prod").primary_key
    trips = trip_requests(example, rows=4000, seed=6, drift=True, rows_each=25)
    wanted = max(3 * canary_rows, 1000)
    started = time.monotonic()
    with EndUserTraffic(home, "prod", PROD_ENDPOINT, key or "", trips) as traffic:
        say(f"    [end user] scoring {PROD_ENDPOINT} with drifted trips (longer rides, at "
            f"night, vendor C, mobile payments): {wanted} trips")  # fmt: skip
        while traffic.rows_scored < wanted and time.monotonic() - started < 300:
            time.sleep(0.2)
    scored = traffic.rows_scored
    say(f"    [end user] {scored} drifted trips scored in {time.monotonic() - started:.1f}s "
        f"(after {canary_rows} normal ones during the canary); serving stopped")  # fmt: skip
    if scored < wanted:
        raise OpsloopError(f"only {scored} of {wanted} drifted trips were scored in 300 s")


def _show_alert(run: MonitorRun, say: Say) -> None:
    breached = sorted({r.signal for r in run.breaches})
    calm = sorted({r.signal for r in run.results} - set(breached))
    say(f"    [cicd] monitor run {run.number}: "
        + (f"ALERT on {', '.join(breached)}" if breached else "no alert")
        + (f"; within thresholds: {', '.join(calm)}" if calm else ""))  # fmt: skip
    drifted = [r for r in run.breaches if r.signal_type == "data_drift"]
    if drifted:
        say("      drifted features: " + ", ".join(
            f"{r.feature} ({r.metric} {r.value:.3g} > {r.threshold:g})"
            for r in drifted if r.value is not None and r.threshold is not None))  # fmt: skip
    if run.report:
        say(f"      report: {report_path(run.report)}")


def report_path(url: str) -> str:
    """A file URL as the path a reader opens; any other URL as it is."""
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def _retrain_through_worker(
    cicd: Client, home: Path, earlier: set[str], say: Say, timeout: float = 600
) -> Job:
    """Run ``opsloop worker`` until it delivers the alert (an event not among ``earlier``,
    which an earlier quickstart's alerts are) and the retraining job ends in dev."""
    log = home / "logs" / "quickstart-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    environment = os.environ | {"OPSLOOP_HOME": str(home)}
    environment.pop("OPSLOOP_TOKEN", None)  # the platform owner runs the worker
    say(f"    [you] opsloop worker (delivers events; log {log})")
    with log.open("ab") as output:
        worker = subprocess.Popen([sys.executable, "-m", "opsloop.cli.main", "worker"],
                                  env=environment, stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            name = _delivered_job(cicd, worker, earlier, time.monotonic() + timeout)
            say(f"    [worker] delivered the alert to {SUBSCRIPTION}: job dev/{name}")
            return follow_steps(cicd, name, say, timeout=timeout)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            say("    [you] worker stopped")


def _delivered_job(
    cicd: Client, worker: subprocess.Popen[bytes], earlier: set[str], deadline: float
) -> str:
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise OpsloopError(f"opsloop worker stopped (exit {worker.returncode})")
        for delivery in cicd.subscriptions.deliveries(SUBSCRIPTION):
            if delivery.event in earlier or delivery.status != "delivered":
                continue
            if (delivery.effect or "").startswith("job:dev/"):
                return (delivery.effect or "").removeprefix("job:dev/")
        time.sleep(0.5)
    raise OpsloopError(f"no retraining job from {SUBSCRIPTION} in time")


def _candidate(
    cicd: Client, job: Job, example: Path, home: Path, say: Say
) -> tuple[Model | None, str | None]:
    if job.status != "Completed":
        raise OpsloopError(f"retraining {job.name} ended {job.status}: {job.error}")
    models = [m for m in cicd.models.list("taxi-fare-model") if m.lineage.job == job.name]
    if not models:
        say(f"    retraining {job.name} completed; its model did not beat the champion, "
            f"so nothing waits for promotion")  # fmt: skip
        return None, None
    model = models[0]
    policy = example / "mlops" / "promotion" / "to-staging.yml"
    command = (f"OPSLOOP_HOME={shlex.quote(str(home))} {opsloop_command()} model promote -w dev "
               f"-n {model.name}:{model.version} --to staging "
               f"--policy {shlex.quote(str(policy))}")  # fmt: skip
    say(
        f"    model dev/{model.name}:{model.version} (trained on "
        f"{', '.join(model.lineage.data)}) is registered and waits for promotion; next:"
    )
    say(f"      {command}")
    return model, command
