"""``spreadsim validate``, run in-process."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from spreadsim.cli import main
from spreadsim.cli.validate import describe
from spreadsim.config import ScenarioConfig

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

GOOD = """
name = "tiny"

[providers.acute]
count = 2

[providers.pcn]
count = 3

[providers.social_care]
count = 0

[providers.mental_health]
count = 0

[providers.community]
count = 0

[providers.ambulance]
count = 0

[[hubs]]
name = "north"
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.toml"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_good_file(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(good)]) == 0
    out, err = capsys.readouterr()
    assert out == (f"ok   {good} (scenario 'tiny': 5 providers (2 acute, 3 pcn), 1 hub, "
                   "1 innovation)\n")
    assert err == ""


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.toml")))
def test_each_bad_file(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BAD / name)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("FAIL ")
    assert "Traceback" not in err


def test_every_file_is_checked(good: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    files = [BAD / "unknown_key.toml", good, tmp_path / "missing.toml", BAD / "syntax_error.toml"]
    assert main(["validate", *map(str, files)]) == 2
    out, err = capsys.readouterr()
    assert out.count("ok   ") == 1 and str(good) in out
    assert err.count("FAIL ") == 3
    assert f"{BAD / 'unknown_key.toml'}: adoption.q_per: expected a known key" in err
    assert f"{tmp_path / 'missing.toml'}: no such file" in err
    assert "(at line 2, column 8)" in err
    assert "Traceback" not in err


def test_problem_in_a_base_names_both_files(capsys: pytest.CaptureFixture[str]) -> None:
    child, base = BAD / "extends_bad_base.toml", BAD / "base_with_problem.toml"
    assert main(["validate", str(child)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"FAIL {child} -> {base}: hub_effects.dissemination_max: ")


def test_directory_and_binary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    assert main(["validate", str(tmp_path), str(garbage)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: is a directory" in err
    assert f"{garbage}: not a text file" in err
    assert "Traceback" not in err


def test_experiment_file_without_experiments_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "spreadsim.experiments.loading", None)  # import fails
    path = tmp_path / "sweep.toml"
    path.write_text('scenario = "base.toml"\n[experiment]\nname = "s"\n', encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: " in err
    assert "experiment files need spreadsim.experiments" in err


def test_experiment_file_goes_to_the_experiment_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Experiment:
        name = "sweep"
        scenario = ScenarioConfig(name="base")

    fake = types.ModuleType("spreadsim.experiments.loading")
    fake.load_experiment = lambda path: Experiment()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "spreadsim.experiments.loading", fake)
    path = tmp_path / "sweep.toml"
    path.write_text('[experiment]\nname = "sweep"\n', encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"ok   {path} (experiment 'sweep' on scenario "
                                              "'base': 55 providers")


def test_describe_unknown_experiment_object() -> None:
    class Experiment:
        name = "sweep"

    assert describe(Experiment()) == "experiment 'sweep'"


def test_validate_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == 2
    assert "FILE" in capsys.readouterr().err
