"""Tests for the scripts and specs of examples/classical (taxi-fare regression)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "classical"
SRC = EXAMPLE / "data-science" / "src"
COMPONENTS = EXAMPLE / "data-science" / "components"
TRAIN_SPECS = EXAMPLE / "mlops" / "azureml" / "train"


def _load(path: Path) -> ModuleType:
    """Import a script by file path under a unique name, so no PYTHONPATH is needed."""
    name = f"classical_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


generate = _load(EXAMPLE / "data" / "generate.py")
prep = _load(SRC / "prep.py")
evaluate = _load(SRC / "evaluate.py")
register = _load(SRC / "register.py")


def _run(script: Path, *args: Any, env: dict[str, str], cwd: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        cwd=cwd,  # keeps anything MLflow writes relative to the cwd out of the repo
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"


class _Constant:
    """A predictor that always answers ``value``: a deliberately weak champion."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, data: pd.DataFrame) -> np.ndarray:
        return np.full(len(data), self.value)


def _fake_opsloop(
    monkeypatch: pytest.MonkeyPatch, versions: list[Any], champion: Any = None
) -> list[tuple[str, Any]]:
    """Install a stand-in ``opsloop`` SDK and return the list of calls it receives."""
    calls: list[tuple[str, Any]] = []

    class Models:
        def list(self, name: str) -> list[Any]:
            calls.append(("list", name))
            return versions

        def load(self, ref: str) -> Any:
            calls.append(("load", ref))
            return champion

        def create(self, **kwargs: Any) -> Any:
            calls.append(("create", kwargs))
            return types.SimpleNamespace(name=kwargs["name"], version=3)

    class Client:
        def __init__(self) -> None:
            self.models = Models()

    monkeypatch.setitem(sys.modules, "opsloop", types.SimpleNamespace(Client=Client))
    return calls


# --- data generator -------------------------------------------------------------------------


def test_generate_is_deterministic_and_well_formed() -> None:
    a = generate.generate_taxi_data(1000, seed=7)
    pd.testing.assert_frame_equal(a, generate.generate_taxi_data(1000, seed=7))
    assert not a.equals(generate.generate_taxi_data(1000, seed=8))

    assert list(a.columns) == generate.COLUMNS
    assert set(a["vendor"]) == {"A", "B", "C"}
    assert set(a["store_forward"]) == {"Y", "N"}
    missing = a.isna().mean()
    assert 0 < missing["trip_minutes"] < 0.03
    assert 0 < missing["payment_type"] < 0.03
    assert missing.drop(["trip_minutes", "payment_type"]).sum() == 0
    assert (a["cost"] > 0).all()
    # Cost must carry signal: it grows with distance.
    assert a["cost"].corr(a["distance"]) > 0.7


def test_drift_shifts_distributions() -> None:
    base = generate.generate_taxi_data(3000, seed=0)
    drift = generate.generate_taxi_data(3000, seed=0, drift=True)
    assert drift["distance"].median() > 1.8 * base["distance"].median()
    night = lambda df: df["pickup_hour"].isin([0, 1, 2, 3, 21, 22, 23]).mean()  # noqa: E731
    assert night(drift) > night(base) + 0.15
    share_c = lambda df: (df["vendor"] == "C").mean()  # noqa: E731
    assert share_c(drift) > share_c(base) + 0.25


def test_generate_cli_writes_csv(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "taxi.csv"
    generate.main(["--rows", "50", "--seed", "3", "--out", str(out)])
    written = pd.read_csv(out)
    expected = generate.generate_taxi_data(50, seed=3)
    assert len(written) == 50
    np.testing.assert_allclose(written["cost"], expected["cost"])


# --- prep --------------------------------------------------------------------------------------


def test_split_is_70_15_15_disjoint_and_deterministic() -> None:
    df = generate.generate_taxi_data(2000, seed=1).reset_index(names="row")
    parts = prep.split(df)
    assert {k: len(v) for k, v in parts.items()} == {"train": 1400, "val": 300, "test": 300}
    ids = [set(p["row"]) for p in parts.values()]
    assert set.union(*ids) == set(range(2000))
    assert sum(len(i) for i in ids) == 2000
    pd.testing.assert_frame_equal(parts["test"], prep.split(df)["test"])
    assert not parts["test"].equals(prep.split(df, seed=1)["test"])


def test_read_raw_accepts_file_or_folder(tmp_path: Path) -> None:
    df = generate.generate_taxi_data(30, seed=2)
    df.iloc[:10].to_csv(tmp_path / "a.csv", index=False)
    df.iloc[10:20].to_parquet(tmp_path / "b.parquet", index=False)
    (tmp_path / "sub").mkdir()
    df.iloc[20:].to_csv(tmp_path / "sub" / "c.csv", index=False)
    (tmp_path / "notes.txt").write_text("ignored")
    assert len(prep.read_raw(tmp_path)) == 30
    assert len(prep.read_raw(tmp_path / "a.csv")) == 10
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError):
        prep.read_raw(tmp_path / "empty")


# --- prep -> train as real subprocesses -----------------------------------------------------


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("classical")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp / 'mlflow.db'}"}
    env.pop("MLFLOW_RUN_ID", None)
    raw = generate.write_taxi_data(tmp / "raw" / "taxi.csv", rows=2000, seed=0)
    paths = {name: tmp / name for name in ("train", "val", "test", "model")}
    _run(
        SRC / "prep.py",
        "--raw_data", raw.parent,
        "--train_data", paths["train"],
        "--val_data", paths["val"],
        "--test_data", paths["test"],
        env=env,
        cwd=tmp,
    )  # fmt: skip
    paths["model"].mkdir()  # the platform pre-creates output folders
    _run(
        SRC / "train.py",
        "--train_data", paths["train"],
        "--model_output", paths["model"],
        "--n_estimators", 10,
        "--max_depth", 12,
        env=env,
        cwd=tmp,
    )  # fmt: skip
    return {**paths, "tmp": tmp, "db": tmp / "mlflow.db"}


def test_prep_writes_split_files(pipeline_run: dict[str, Path]) -> None:
    sizes = {n: len(pd.read_csv(pipeline_run[n] / f"{n}.csv")) for n in ("train", "val", "test")}
    assert sizes == {"train": 1400, "val": 300, "test": 300}


def test_train_saves_loadable_skops_model(pipeline_run: dict[str, Path]) -> None:
    import mlflow.pyfunc
    from mlflow.models import Model

    model_dir = pipeline_run["model"]
    flavor = Model.load(str(model_dir / "MLmodel")).flavors["sklearn"]
    assert flavor["serialization_format"] == "skops"
    assert model_dir.joinpath("input_example.json").exists()

    model = mlflow.pyfunc.load_model(str(model_dir))
    test_df = pd.read_csv(pipeline_run["test"] / "test.csv")
    assert test_df.isna().any().any(), "test split should exercise the imputers"
    metrics = evaluate.score_model(model, test_df)
    assert metrics["r2"] > 0.75, metrics


def test_steps_log_to_mlflow(pipeline_run: dict[str, Path]) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{pipeline_run['db']}")
    runs = client.search_runs(["0"])
    metrics: dict[str, float] = {}
    params: dict[str, str] = {}
    for run in runs:
        metrics |= run.data.metrics
        params |= run.data.params
    assert metrics["train_rows"] == 1400 and metrics["test_rows"] == 300
    assert {"training_rmse", "training_mae", "training_r2"} <= metrics.keys()
    assert params["n_estimators"] == "10" and params["max_depth"] == "12"


# --- evaluate ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "champion", "expected"),
    [(1.0, None, True), (1.0, 2.0, True), (2.0, 2.0, False), (3.0, 2.0, False)],
)
def test_decide(candidate: float, champion: float | None, expected: bool) -> None:
    champ = None if champion is None else {"rmse": champion}
    assert evaluate.decide({"rmse": candidate}, champ) is expected


def test_score_model_perfect_and_constant() -> None:
    df = pd.DataFrame({"x": [1, 2, 3, 4], "cost": [2.0, 4.0, 6.0, 8.0]})

    class Perfect:
        def predict(self, data: pd.DataFrame) -> np.ndarray:
            assert "cost" not in data.columns
            return data["x"].to_numpy() * 2.0

    assert evaluate.score_model(Perfect(), df) == {"rmse": 0.0, "mae": 0.0, "r2": 1.0}
    scores = evaluate.score_model(_Constant(5.0), df)
    assert scores["mae"] == pytest.approx(2.0) and scores["r2"] == pytest.approx(0.0)


def test_evaluate_writes_flag_and_metrics(pipeline_run: dict[str, Path]) -> None:
    import mlflow.pyfunc

    out = pipeline_run["tmp"] / "eval"
    args = ("taxi-fare-model", pipeline_run["model"], pipeline_run["test"])

    first = evaluate.evaluate(*args, out / "none", load_champion=lambda name: None)
    assert first["deploy"] and (out / "none" / "deploy_flag").read_text() == "1"

    weak = evaluate.evaluate(*args, out / "weak", load_champion=lambda name: _Constant(14.0))
    assert weak["deploy"] and weak["champion"]["rmse"] > weak["candidate"]["rmse"]

    # The candidate against itself ties, and a tie keeps the champion.
    same = mlflow.pyfunc.load_model(str(pipeline_run["model"]))
    tie = evaluate.evaluate(*args, out / "tie", load_champion=lambda name: same)
    assert (out / "tie" / "deploy_flag").read_text() == "0"
    saved = json.loads((out / "tie" / "metrics.json").read_text())
    assert saved["deploy"] is False and saved == json.loads(json.dumps(tie))
    assert saved["candidate"]["rmse"] == saved["champion"]["rmse"]


def test_evaluate_main_logs_to_the_active_run(
    pipeline_run: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{pipeline_run['db']}"
    client = MlflowClient(tracking_uri=uri)
    run_id = client.create_run("0").info.run_id
    # The platform hands every step its run this way.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_RUN_ID", run_id)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "0")
    _fake_opsloop(monkeypatch, versions=[1], champion=_Constant(14.0))
    out = pipeline_run["tmp"] / "eval-main"
    evaluate.main(
        [
            "--model_name", "taxi-fare-model",
            "--model_input", str(pipeline_run["model"]),
            "--test_data", str(pipeline_run["test"]),
            "--evaluation_output", str(out),
        ]
    )  # fmt: skip
    assert mlflow.active_run() is None
    logged = client.get_run(run_id).data.metrics
    assert logged["deploy_flag"] == 1 and logged["rmse"] < logged["champion_rmse"]
    assert {"mae", "r2", "champion_r2"} <= logged.keys()
    assert (out / "deploy_flag").read_text() == "1"


def test_load_current_best_uses_opsloop_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_opsloop(monkeypatch, versions=[])
    assert evaluate.load_current_best("taxi") is None
    assert calls == [("list", "taxi")]

    champion = _Constant(1.0)
    calls = _fake_opsloop(monkeypatch, versions=[object()], champion=champion)
    assert evaluate.load_current_best("taxi") is champion
    assert calls == [("list", "taxi"), ("load", "taxi@latest")]


def test_missing_sdk_gives_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "opsloop", None)  # makes `import opsloop` raise ImportError
    with pytest.raises(RuntimeError, match="opsloop SDK"):
        evaluate.load_current_best("taxi")
    with pytest.raises(RuntimeError, match="opsloop SDK"):
        register.register("taxi", tmp_path)


# --- register ----------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["1", "0"])
def test_register_follows_deploy_flag(
    flag: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _fake_opsloop(monkeypatch, versions=[])
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "deploy_flag").write_text(flag + "\n")
    register.main(
        [
            "--model_name", "taxi-fare-model",
            "--model_path", str(tmp_path / "model"),
            "--evaluation_output", str(tmp_path / "eval"),
            "--model_info_output", str(tmp_path / "info"),
        ]
    )  # fmt: skip
    info = json.loads((tmp_path / "info" / "model_info.json").read_text())
    if flag == "1":
        assert info == {"name": "taxi-fare-model", "version": 3, "registered": True}
        ((method, kwargs),) = calls
        assert method == "create" and kwargs["name"] == "taxi-fare-model"
        assert kwargs["path"] == str(tmp_path / "model")
        assert kwargs["tags"] == {"framework": "sklearn"}
    else:
        assert info["registered"] is False and "does not beat" in info["reason"]
        assert calls == []


# --- specs --------------------------------------------------------------------------------------


def _script_options(script: Path) -> set[str]:
    return set(re.findall(r'add_argument\(\s*"--(\w+)"', script.read_text()))


@pytest.mark.parametrize("component", ["prep", "train", "evaluate", "register"])
def test_component_matches_its_script(component: str) -> None:
    spec = yaml.safe_load((COMPONENTS / f"{component}.yml").read_text())
    assert spec["type"] == "command" and spec["name"] == f"taxi_{component}"
    script = (COMPONENTS / spec["code"] / f"{component}.py").resolve()
    assert script.exists()
    command = spec["command"]
    assert command.startswith(f"python {component}.py ")

    refs = set(re.findall(r"\$\{\{(inputs|outputs)\.(\w+)\}\}", command))
    declared = {("inputs", k) for k in spec["inputs"]} | {("outputs", k) for k in spec["outputs"]}
    assert refs == declared
    flags = set(re.findall(r"--(\w+)", command))
    assert flags == {name for _, name in declared} and flags <= _script_options(script)
    for name, port in spec["inputs"].items():
        optional = port.get("optional", False)
        assert optional == (f"$[[--{name} " in command), f"{name}: optional needs $[[...]]"
    # evaluate and register read the registry, which their inputs do not show: never reused.
    reads_the_registry = component in ("evaluate", "register")
    assert spec.get("is_deterministic", True) is not reads_the_registry


def _component(job: dict[str, Any]) -> dict[str, Any]:
    return yaml.safe_load((TRAIN_SPECS / job["component"].removeprefix("file:")).read_text())


def test_pipeline_wires_components() -> None:
    spec = yaml.safe_load((TRAIN_SPECS / "pipeline.yml").read_text())
    assert spec["type"] == "pipeline" and spec["settings"]["default_compute"] == "local"
    jobs = spec["jobs"]
    assert list(jobs) == ["prep_data", "train_model", "evaluate_model", "register_model"]
    binding = re.compile(r"\$\{\{parent\.(?:inputs\.(\w+)|jobs\.(\w+)\.outputs\.(\w+))\}\}")
    for job in jobs.values():
        component = _component(job)
        ports = component["inputs"]
        required = {k for k, v in ports.items() if "default" not in v and not v.get("optional")}
        assert required <= set(job["inputs"]) <= set(ports), component["name"]
        assert set(job.get("outputs", {})) <= set(component["outputs"])
        for value in job["inputs"].values():
            ref = binding.fullmatch(value)
            assert ref, value
            parent_input, step, output = ref.groups()
            if parent_input:
                assert parent_input in spec["inputs"]
            else:
                assert output in _component(jobs[step])["outputs"]
    trained = jobs["train_model"]["outputs"]["model_output"]
    assert trained == "${{parent.outputs.trained_model}}"
    assert spec["outputs"]["trained_model"]["type"] == "mlflow_model"


def test_asset_specs_point_at_real_files() -> None:
    env = yaml.safe_load((TRAIN_SPECS / "train-env.yml").read_text())
    assert (TRAIN_SPECS / env["conda_file"]).exists()
    data = yaml.safe_load((TRAIN_SPECS / "data.yml").read_text())
    assert (TRAIN_SPECS / data["path"]).parent.joinpath("generate.py").exists()
    job = yaml.safe_load((TRAIN_SPECS / "autolog-job.yml").read_text())
    assert (TRAIN_SPECS / job["code"] / "train_autolog.py").exists()
    assert "mlflow.sklearn.autolog()" in (SRC / "train_autolog.py").read_text()
