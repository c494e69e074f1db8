"""Experiment files: loading, validation messages, and `spreadsim validate` on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from spreadsim.cli import main
from spreadsim.errors import ScenarioError
from spreadsim.experiments.config import OUTCOMES
from spreadsim.experiments.loading import load_experiment

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

GOOD = f"""
[experiment]
name = "small"
description = "a test"
scenario = "{SCENARIOS / 'default_hub.toml'}"
replications = 2
seed = 5
counterfactual = true

[constants]
time.n_steps = 24
"hubs.*.inkind_fte" = 2.0

[[parameters]]
key = "hubs.*.core_fte"
levels = [1.0, 3.0]

[[parameters]]
key = "hubs.*.targeting"
name = "targeting"
levels = ["random", "most_connected"]

[[parameters]]
key = "hubs.*.funding_months"
levels = [12, 24]
linked = {{ "hubs.*.budget_gbp" = [200000.0, 400000.0] }}

[output]
outcomes = ["reach_at_horizon", "sustained"]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_experiment(path, **kwargs)  # type: ignore[arg-type]
    assert info.value.path == str(path)
    return [str(p) for p in info.value.problems]


def test_good_file_loads(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, GOOD))
    assert exp.name == "small"
    assert [p.name for p in exp.parameters] == ["core_fte", "targeting", "funding_months"]
    assert exp.parameters[2].linked == (("hubs.*.budget_gbp", (200000.0, 400000.0)),)
    assert exp.scenario.time.n_steps == 24  # constants applied (nested table form)
    assert exp.scenario.hubs[0].inkind_fte == 2.0  # constants applied (quoted dotted key)
    assert exp.config.output.kept() == ("reach_at_horizon", "sustained")
    assert exp.summary() == ("grid design over core_fte, targeting, funding_months: 8 point(s) "
                             "x 2 replication(s) = 16 run(s) (+ as many no-hub runs)")
    assert "[constants]" in exp.text


def test_overrides_apply_after_constants(tmp_path: Path) -> None:
    exp = load_experiment(write(tmp_path, GOOD), {"time.n_steps": 30})
    assert exp.scenario.time.n_steps == 30
    assert exp.overrides == (("time.n_steps", 30),)


def test_default_outcomes_are_all_in_headline_order(tmp_path: Path) -> None:
    text = GOOD.replace('outcomes = ["reach_at_horizon", "sustained"]', "")
    exp = load_experiment(write(tmp_path, text))
    assert exp.config.output.kept() == OUTCOMES
    assert OUTCOMES[0] == "reach_at_horizon"


def test_every_problem_at_once_with_did_you_mean(tmp_path: Path) -> None:
    text = f"""
[experiment]
name = "bad"
scenario = "{SCENARIOS / 'default_hub.toml'}"
replications = 2
counterfactal = true

[constants]
"time.n_step" = 60

[[parameters]]
key = "hubs.*.core_ft"
levels = [1.0, 2.0]

[[parameters]]
key = "hubs.*.budget_gbp"
low = 5
high = 1

[[parameters]]
key = "hubs.*.funding_months"
low = 20
high = 60

[[parameters]]
key = "hubs.*.targeting"
levels = ["random", "most_conected"]

[design]
kind = "sobol"
points = 100
"""
    found = problems_of(write(tmp_path, text))
    assert found == [
        "experiment.counterfactal: expected a known key (did you mean 'counterfactual'?)",
    ]  # a structural problem stops before the scenario checks
    found = problems_of(write(tmp_path, text.replace("counterfactal", "counterfactual")))
    assert found == [
        "parameters.1.high: expected a number above low = 5.0, got 1.0",
        "design.points: expected a power of two for a sobol design, got 100 (try 64 or 128)",
        "constants.time.n_step: expected a known key (did you mean 'time.n_steps'?)",
        "parameters.0.key: expected a dotted key of the base scenario, got 'hubs.*.core_ft' "
        "(did you mean 'hubs.*.core_fte'?)",
        "parameters.2.low: expected an integer in [0, 600], got 20.0 (for "
        "hubs.*.funding_months; use distribution = 'integer')",
        "parameters.2.high: expected an integer in [0, 600], got 60.0 (for "
        "hubs.*.funding_months; use distribution = 'integer')",
        "parameters.3.levels.1: expected one of 'random', 'most_connected', 'least_served', "
        "got 'most_conected' (for hubs.*.targeting)",
    ]


@pytest.mark.parametrize(("change", "expected"), [
    (("replications = 2", "replications = 0"),
     "experiment.replications: expected an integer in [1, 100000], got 0"),
    (('outcomes = ["reach_at_horizon", "sustained"]', 'outcomes = ["reach_at_horizn"]'),
     "(did you mean 'reach_at_horizon'?)"),
    (('levels = [1.0, 3.0]', 'levels = [1.0, "x"]'),
     "parameters.0.levels: expected a non-empty array of numbers, strings or true/false values"
     " (one kind), got [1.0, 'x']"),
    (('levels = [1.0, 3.0]', 'levels = []'), "parameters.0.levels: expected a non-empty array"),
    (('levels = [1.0, 3.0]', 'levels = [1.0, 1.0]'),
     "parameters.0.levels: expected distinct values (only a list design may repeat levels), "
     "got [1.0, 1.0]"),
    (('levels = [1.0, 3.0]', 'levels = [1.0, 300.0]'),
     "parameters.0.levels.1: expected a number in [0.0, 100.0], got 300.0 (for "
     "hubs.*.core_fte)"),
    (('levels = [1.0, 3.0]', 'levels = [1.0, 3.0]\nlow = 1.0'),
     "parameters.0: expected either 'levels' or 'low'/'high' (with 'distribution'), not both"),
    (('levels = [1.0, 3.0]', 'low = 1.0'),
     "parameters.0: expected 'levels' or both 'low' and 'high' (given: key, low)"),
    (('[200000.0, 400000.0]', '[200000.0]'),
     "parameters.2.linked.hubs.*.budget_gbp: expected 2 values, one per level, got 1"),
    (('[200000.0, 400000.0]', '[200000.0, -1.0]'),
     "parameters.2.linked.hubs.*.budget_gbp: expected a number in [0.0, 1000000000.0], got "
     "-1.0 (for hubs.*.budget_gbp)"),
    (('"hubs.*.budget_gbp"', '"hubs.*.budget"'),
     "parameters.2.linked.hubs.*.budget: expected a dotted key of the base scenario, got "
     "'hubs.*.budget' (did you mean 'hubs.*.budget_gbp'?)"),
    (('name = "targeting"', 'name = "core_fte"'),
     "parameters.1.name: expected a name not used by parameters.0, got 'core_fte'"),
    (('name = "targeting"', 'name = "sustained"'),
     "parameters.1.name: expected a name that is not a results column, got 'sustained'"),
    (('key = "hubs.*.targeting"', 'key = "seed"'), "parameters.1.key: expected a scenario key "
     "other than 'seed'"),
    (("[constants]", "[design]\nkind = 'grid'\npoints = 4\n[constants]"),
     "design.points: expected no 'points' for a grid design"),
    (("[constants]", "[design]\nkind = 'lhs'\n[constants]"),
     "design.points: expected a positive integer for a lhs design"),
    (('name = "small"', 'name = "small"\nreplication = 3'),
     "experiment.replication: expected a known key (did you mean 'replications'?)"),
])
def test_single_problem(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GOOD
    found = problems_of(write(tmp_path, GOOD.replace(old, new, 1)))
    assert any(expected in p for p in found), found


def test_list_design_with_unequal_levels(tmp_path: Path) -> None:
    text = GOOD.replace("[constants]", "[design]\nkind = 'list'\n[constants]").replace(
        'levels = [1.0, 3.0]', 'levels = [1.0, 3.0, 4.0]')
    found = problems_of(write(tmp_path, text))
    assert ("parameters: expected the same number of levels for every parameter of a list "
            "design, got [2, 3]") in found


def test_counterfactual_needs_hubs(tmp_path: Path) -> None:
    text = f"""
[experiment]
scenario = "{SCENARIOS / 'baseline_no_hub.toml'}"
counterfactual = true
"""
    assert problems_of(write(tmp_path, text)) == [
        "experiment.counterfactual: expected a base scenario with hubs to compare against "
        "(scenario 'baseline_no_hub' has none), got True"]


def test_missing_scenario_and_relative_paths(tmp_path: Path) -> None:
    assert problems_of(write(tmp_path, "[experiment]\nname = 'x'\n")) == [
        "experiment.scenario: expected the path of the base scenario file, got ''"]
    found = problems_of(write(tmp_path, "[experiment]\nscenario = 'nope.toml'\n"))
    assert len(found) == 1 and found[0].startswith(
        "experiment.scenario: expected a valid scenario file, got 'nope.toml' (")
    assert "no such file" in found[0]
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", (SCENARIOS / "baseline_no_hub.toml").read_text(), "base.toml")
    exp = load_experiment(write(tmp_path, "[experiment]\nscenario = 'sub/base.toml'\n"))
    assert exp.scenario.name == "baseline_no_hub"


def test_top_level_keys_belong_in_experiment(tmp_path: Path) -> None:
    text = f'scenario = "{SCENARIOS / "default_hub.toml"}"\nreplications = 3\n'
    assert problems_of(write(tmp_path, text)) == [
        "scenario: expected a known key ('scenario' belongs in the [experiment] table)",
        "replications: expected a known key ('replications' belongs in the [experiment] table)"]


def test_bad_override(tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, GOOD), overrides={"time.n_step": 3})
    assert found == ["--set time.n_step: expected a known key (did you mean 'time.n_steps'?)"]


def test_scenario_factor(tmp_path: Path) -> None:
    text = f"""
[experiment]
name = "shocks"
counterfactual = true

[[parameters]]
key = "scenario"
name = "context"
levels = ["{SCENARIOS / 'default_hub.toml'}", "{SCENARIOS / 'pandemic.toml'}"]

[[parameters]]
key = "hubs.*.targeting"
levels = ["random", "least_served"]
"""
    exp = load_experiment(write(tmp_path, text))
    assert [label for label, _ in exp.scenarios] == ["default_hub", "pandemic"]
    assert exp.scenario_for("pandemic").shocks
    both = text.replace('counterfactual = true', 'counterfactual = true\nscenario = "x.toml"')
    assert problems_of(write(tmp_path, both))[0].startswith(
        "experiment.scenario: expected no base scenario when a parameter varies 'scenario'")
    bad = text.replace("pandemic.toml", "pandemik.toml")
    found = problems_of(write(tmp_path, bad))
    assert found[0].startswith("parameters.0.levels.1: expected a valid scenario file")


def test_validate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, GOOD, "good.toml")
    bad = write(tmp_path, GOOD.replace("hubs.*.core_fte", "hubs.*.core_ft"), "bad.toml")
    assert main(["validate", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out.startswith(f"ok   {good} (experiment 'small' on scenario 'default_hub': ")
    assert out.rstrip().endswith("= 16 run(s) (+ as many no-hub runs))")
    assert err.startswith(f"FAIL {bad}: parameters.0.key: expected a dotted key of the base "
                          "scenario, got 'hubs.*.core_ft' (did you mean 'hubs.*.core_fte'?)")
    assert "Traceback" not in err


def test_sweep_refuses_bad_file_and_writes_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, GOOD.replace("hubs.*.core_fte", "hubs.*.core_ft"))
    out = tmp_path / "results"
    assert main(["sweep", str(bad), "--out", str(out), "--jobs", "1"]) == 2
    assert "did you mean 'hubs.*.core_fte'?" in capsys.readouterr().err
    assert not out.exists()


SHIPPED = sorted((ROOT / "experiments").glob("*.toml"))


def test_the_experiment_library_is_there() -> None:
    assert {p.stem for p in SHIPPED} >= {"workforce_budget", "function_mix", "inkind_roles",
                                         "shocks_robustness", "sobol_hub", "funding_duration"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_experiment_documents_itself_and_runs(path: Path) -> None:
    """Each file says what it asks, how to run it and how long it took; its first and last
    design points run (3 months, one replication) without error."""
    from spreadsim.experiments.design import Points, make_design
    from spreadsim.experiments.worker import Task, run_chunk

    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    assert any(line.startswith("# Run:   spreadsim sweep experiments/") for line in header)
    assert any(line.startswith("# Time:  ") and " s " in line for line in header)
    exp = load_experiment(path, {"time.n_steps": 3})
    assert exp.config.experiment.description and exp.summary()
    points = Points(exp.config, make_design(exp.config))
    varies = any(p.key == "scenario" for p in exp.parameters)
    scenarios = dict(exp.scenarios) if varies else {None: exp.scenario}
    runs = [(i, 0, *points[i]) for i in (0, len(points) - 1)]
    rows = run_chunk(Task(scenarios=scenarios, runs=tuple(runs), seed=1, crn=True,
                          counterfactual=exp.config.experiment.counterfactual,
                          outcomes=exp.config.output.kept())).rows
    assert [row["status"] for row in rows] == ["ok", "ok"], rows[0].get("error")
