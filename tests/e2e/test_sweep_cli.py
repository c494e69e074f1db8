"""`spreadsim sweep / analyse / report` in-process: identity across workers, resume, refusal,
recorded failures, and the analysis and report outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from spreadsim.cli import main
from spreadsim.experiments import read_experiment, read_info, read_series, run_experiment
from spreadsim.experiments.hooks import fail_when_negative
from spreadsim.experiments.loading import load_experiment

ROOT = Path(__file__).resolve().parents[2]

EXPERIMENT = f"""
[experiment]
name = "tiny"
description = "two hub sizes x two targeting rules, paired with no hub"
scenario = "{ROOT / 'scenarios' / 'default_hub.toml'}"
replications = 3
seed = 4
counterfactual = true

[constants]
"time.n_steps" = 24

[[parameters]]
key = "hubs.*.core_fte"
levels = [1.0, 4.0]

[[parameters]]
key = "hubs.*.targeting"
levels = ["random", "most_connected"]

[output]
outcomes = ["reach_at_horizon", "sustained", "t50_median"]
series = true
"""


@pytest.fixture(scope="module")
def experiment_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exp") / "tiny.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serial(experiment_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial") / "results"
    assert main(["sweep", str(experiment_file), "--jobs", "1", "--out", str(out)]) == 0
    return out


def comparable(folder: Path) -> pd.DataFrame:
    return read_experiment(folder).drop(columns="runtime_s")


def test_sweep_writes_one_row_per_run(serial: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = read_experiment(serial)
    assert len(runs) == 4 * 3 and runs["status"].eq("ok").all()
    assert runs[["design_index", "replication"]].drop_duplicates().shape[0] == 12
    assert list(runs.columns[:4]) == ["design_index", "replication", "core_fte", "targeting"]
    for name in ("reach_at_horizon", "sustained"):
        assert (runs[f"diff_{name}"] == runs[name] - runs[f"cf_{name}"]).all()
    info = read_info(serial)
    assert info["status"] == "complete" and info["n_points"] == 4
    assert "common random numbers" in info["seed_scheme"]
    assert len(read_series(serial)) == 12 * 2 * 25 * 3
    assert len([p for p in serial.iterdir() if p.name.startswith("batch-")]) == 1  # compacted


def test_two_workers_give_the_same_table(experiment_file: Path, serial: Path,
                                         tmp_path: Path) -> None:
    out = tmp_path / "two"
    assert main(["sweep", str(experiment_file), "--jobs", "2", "--chunk-size", "2",
                 "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(comparable(out), comparable(serial))
    pd.testing.assert_frame_equal(read_series(out), read_series(serial))


def test_rerun_resumes_and_more_replications_extend(experiment_file: Path, serial: Path,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grow"
    exp = load_experiment(experiment_file)
    first = run_experiment(exp, jobs=1, out=out)
    again = run_experiment(exp, jobs=1, out=out)
    assert (first.ran, again.ran, again.skipped) == (12, 0, 12)
    assert "nothing to run, all 12 run(s) are already in" in again.summary()
    more = experiment_file.parent / "more.toml"
    more.write_text(EXPERIMENT.replace("replications = 3", "replications = 5"))
    assert main(["sweep", str(more), "--jobs", "1", "--out", str(out)]) == 0
    runs = comparable(out)
    assert len(runs) == 20
    pd.testing.assert_frame_equal(runs[runs["replication"] < 3].reset_index(drop=True),
                                  comparable(serial))


def test_other_experiment_is_refused(experiment_file: Path, serial: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in serial.iterdir())
    assert main(["sweep", str(experiment_file), "--jobs", "1", "--out", str(serial),
                 "--set", "adoption.q_peer=0.1"]) == 2
    err = capsys.readouterr().err
    assert f"{serial}: holds results of experiment 'tiny' with a different specification" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in serial.iterdir()) == before


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    from spreadsim.config import ScenarioConfig
    from spreadsim.experiments.config import (
        ExperimentConfig,
        ExperimentSection,
        OutputConfig,
        ParameterConfig,
    )
    from spreadsim.experiments.loading import Experiment

    cfg = ExperimentConfig(experiment=ExperimentSection(name="fails", replications=2),
                           parameters=(ParameterConfig(key="x1", name="x1",
                                                       levels=(-1.0, 1.0, 2.0)),),
                           output=OutputConfig(outcomes=("y",)))
    exp = Experiment(cfg, (("base", ScenarioConfig()),))
    result = run_experiment(exp, jobs=2, out=tmp_path / "r", model=fail_when_negative)
    runs = result.runs()
    assert result.errors == 2 and len(runs) == 6
    bad = runs[runs["x1"] < 0]
    assert (bad["status"] == "error").all() and bad["y"].isna().all()
    assert bad["error"].str.contains("ValueError: x1 = -1.0 is negative").all()
    assert (runs.loc[runs["x1"] > 0, "y"] == runs.loc[runs["x1"] > 0, "x1"]).all()
    again = run_experiment(exp, jobs=1, out=tmp_path / "r", model=fail_when_negative,
                           retry_errors=True)
    assert again.ran == 2 and again.errors == 2 and len(again.runs()) == 6


def test_analyse_and_report(serial: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyse", str(serial)]) == 0
    out = capsys.readouterr().out
    folder = serial / "analysis"
    assert "tables: summary.csv, effects.csv" in out
    summary = pd.read_csv(folder / "summary.csv")
    assert len(summary) == 4 * 3
    assert summary["n"].tolist() == [3] * 8 + [0] * 4  # t50 is never reached in 24 months
    row = summary[(summary["design_index"] == 0) & (summary["outcome"] == "sustained")].iloc[0]
    values = read_experiment(serial).query("design_index == 0")["sustained"]
    assert row["mean"] == pytest.approx(values.mean())
    assert row["ci_low"] == pytest.approx(values.mean() - 4.302653 * values.std() / 3 ** 0.5)
    effects = pd.read_csv(folder / "effects.csv")
    assert set(effects.columns) >= {"hub", "no_hub", "difference", "ci_low", "ci_high"}
    meta = json.loads((folder / "analysis.json").read_text())
    assert set(meta["figures"]) == {
        "parameters_reach_at_horizon.png", "effect_reach_at_horizon.png",
        "parameters_sustained.png", "effect_sustained.png",
        "heatmap_diff_reach_at_horizon.png", "fan_chart.png"}
    assert "t50_median: no successful run has a value" in out
    for name in meta["figures"]:
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["report", str(serial)]) == 0
    page = (serial / "report.html").read_text()
    assert page.count("src='data:image/png;base64,") == len(meta["figures"])
    assert not re.search(r"(src|href)=['\"]?(http|//)", page)  # nothing fetched from outside
    assert "How to read it." in page and "[constants]" in page and "spec hash" in page


def test_analyse_refuses_a_folder_that_is_not_a_sweep(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyse", str(tmp_path)]) == 2
    assert "expected a sweep results folder" in capsys.readouterr().err
