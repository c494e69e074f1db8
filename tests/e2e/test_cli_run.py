"""``spreadsim run`` end to end, in-process: results folders, options and bad input."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest

from spreadsim.cli import main
from spreadsim.loading import load_scenario, to_dict, with_overrides
from spreadsim.results import read_results
from spreadsim.runner import run

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HUB = ROOT / "scenarios" / "default_hub.toml"
NO_HUB = ROOT / "scenarios" / "baseline_no_hub.toml"
SHORT = ["--set", "time.n_steps=36"]  # past the 30-month funding end, quick to run
TABLES = {"adoption", "adoption_by_group", "hub", "hub_status", "network", "outcomes", "runs"}


def spreadsim(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "results"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["run", str(DEFAULT_HUB), "--seed", "5", *SHORT, "--out", str(out)])
    assert code == 0
    return out, buf.getvalue()


# --------------------------------------------------------------------------- good runs


def test_run_writes_tables_manifest_and_figure(default_run: tuple[Path, str]) -> None:
    out, stdout = default_run
    assert {p.name for p in out.iterdir()} == {f"{t}.parquet" for t in TABLES} | {
        "manifest.json", "adoption.png"}
    assert f"results written to {out}" in stdout
    assert "reach at funding end" in stdout
    image = matplotlib.image.imread(out / "adoption.png")
    assert image.shape[0] > 300 and image.shape[1] > 500


def test_manifest_records_how_the_run_was_made(default_run: tuple[Path, str]) -> None:
    m = manifest(default_run[0])
    cfg = with_overrides(load_scenario(DEFAULT_HUB), {"time.n_steps": 36})
    assert m["config"] == json.loads(json.dumps(to_dict(cfg)))
    assert m["seed"] == 5 and m["replications"] == 1 and m["counterfactual"] is False
    assert "SeedSequence" in m["stream_scheme"]
    assert {"python", "spreadsim", "mesa", "numpy", "pandas"} <= set(m["versions"])
    assert "git_revision" in m
    assert m["timings"]["run_s"] > 0
    assert m["format"] == "parquet"
    assert set(m["tables"]) == TABLES


def test_cli_tables_equal_the_python_api(default_run: tuple[Path, str]) -> None:
    tables, _ = read_results(default_run[0])
    cfg = with_overrides(load_scenario(DEFAULT_HUB), {"time.n_steps": 36})
    expected = run(cfg, seed=5, replications=1, progress=False).tables
    for name in ("adoption", "outcomes"):
        pd.testing.assert_frame_equal(tables[name], expected[name], check_dtype=False,
                                      check_categorical=False, obj=name)
    assert len(tables["adoption"]) == 37 * 3 * 8  # steps x innovations x states


def test_format_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "csv"
    code, _, _ = spreadsim(capsys, "run", DEFAULT_HUB, *SHORT, "--format", "csv", "--out", out)
    assert code == 0
    assert {p.suffix for p in out.iterdir()} == {".csv", ".json", ".png"}
    assert manifest(out)["format"] == "csv"
    tables, _ = read_results(out)
    assert set(tables) == TABLES
    assert (tables["adoption"].groupby(["step", "innovation"])["count"].sum()
            == tables["adoption"].groupby(["step", "innovation"])["eligible"].first()).all()


def test_replications_and_set_override(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reps"
    code, _, _ = spreadsim(capsys, "run", DEFAULT_HUB, *SHORT, "--replications", "3",
                           "--set", "hubs.0.core_fte=4", "--out", out)
    assert code == 0
    m = manifest(out)
    assert m["replications"] == 3
    assert m["config"]["hubs"][0]["core_fte"] == 4.0
    assert load_scenario(DEFAULT_HUB).hubs[0].core_fte != 4.0
    tables, _ = read_results(out)
    assert sorted(tables["runs"]["replication"]) == [0, 1, 2]
    assert set(tables["adoption"]["replication"]) == {0, 1, 2}
    assert (tables["hub_status"].query("step == 1")["core_fte"] == 4.0).all()


def test_counterfactual_writes_effects_with_intervals(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cf"
    code, stdout, _ = spreadsim(capsys, "run", DEFAULT_HUB, *SHORT, "-r", "3",
                                "--counterfactual", "--out", out)
    assert code == 0
    assert "hub effect on sustained" in stdout
    tables, m = read_results(out)
    assert m["counterfactual"] is True
    assert set(tables["runs"]["arm"]) == {"scenario", "counterfactual"}
    effects = tables["effects"].set_index("metric")
    assert {"difference", "ci_low", "ci_high", "n"} <= set(effects.columns)
    row = effects.loc["sustained"]
    assert row["n"] == 3
    assert row["ci_low"] <= row["difference"] <= row["ci_high"]
    assert row["ci_low"] < row["ci_high"]
    assert "cost_per_additional_sustained" in effects.index


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("setting", "message"), [
    ("hubs.0.core_ft=4", "did you mean 'hubs.0.core_fte'"),
    ("hubs.0.core_fte=lots", "hubs.0.core_fte: expected a number"),
    ("hubs.0.core_fte=-1", "hubs.0.core_fte"),
    ("adoption.q_peer", "expected KEY=VALUE"),
])
def test_bad_set_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            setting: str, message: str) -> None:
    out = tmp_path / "bad"
    code, _, err = spreadsim(capsys, "run", DEFAULT_HUB, "--set", setting, "--out", out)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_counterfactual_without_hubs_is_refused(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "none"
    code, _, err = spreadsim(capsys, "run", NO_HUB, "--counterfactual", "--out", out)
    assert code == 2
    assert "no hubs" in err and "--counterfactual" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.toml"
    code, _, err = spreadsim(capsys, "run", missing, "--out", tmp_path / "out")
    assert code == 2
    assert str(missing) in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_negative_seed_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = spreadsim(capsys, "run", DEFAULT_HUB, "--seed", "-3", "--out",
                             tmp_path / "out")
    assert code == 2 and "--seed" in err
    assert not (tmp_path / "out").exists()


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", str(DEFAULT_HUB), "--format", "xlsx", "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    assert not (tmp_path / "out").exists()


def test_refuses_to_overwrite_unless_forced(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    keep = out / "notes.txt"
    keep.write_text("mine")
    code, _, err = spreadsim(capsys, "run", DEFAULT_HUB, *SHORT, "--out", out)
    assert code == 2
    assert "--force" in err and "Traceback" not in err
    assert keep.read_text() == "mine"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]

    code, _, _ = spreadsim(capsys, "run", DEFAULT_HUB, *SHORT, "--out", out, "--force")
    assert code == 0
    assert (out / "manifest.json").is_file()
    assert not keep.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["existing"]  # no temporary folder left


def test_empty_existing_folder_is_used(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    code, _, _ = spreadsim(capsys, "run", DEFAULT_HUB, *SHORT, "--out", out)
    assert code == 0
    assert (out / "manifest.json").is_file()


def test_output_path_that_is_a_file_is_refused(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "file"
    out.write_text("x")
    code, _, err = spreadsim(capsys, "run", DEFAULT_HUB, *SHORT, "--out", out)
    assert code == 2 and "Traceback" not in err
    assert out.read_text() == "x"


# --------------------------------------------------------------------------- entry points


def test_python_dash_m_help() -> None:
    done = subprocess.run([sys.executable, "-m", "spreadsim", "--help"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout and "validate" in done.stdout
    done = subprocess.run([sys.executable, "-m", "spreadsim", "run", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for option in ("--seed", "--replications", "--set", "--counterfactual", "--format",
                   "--out", "--force"):
        assert option in done.stdout
