"""Analysis tables (against hand computations), figures (labelled) and the report page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spreadsim.experiments import analysis as an
from spreadsim.experiments import figures as fg
from spreadsim.experiments.report import render


@pytest.fixture
def runs() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for i, (fte, rule) in enumerate([(1.0, "random"), (1.0, "least_served"),
                                     (3.0, "random"), (3.0, "least_served")]):
        for r in range(4):
            y = fte + rng.normal()
            cf = rng.normal()
            rows.append({"design_index": i, "replication": r, "fte": fte, "rule": rule,
                         "status": "ok", "y": y, "cf_y": cf, "diff_y": y - cf})
    rows.append({"design_index": 0, "replication": 4, "fte": 1.0, "rule": "random",
                 "status": "error", "y": np.nan, "cf_y": np.nan, "diff_y": np.nan})
    return pd.DataFrame(rows)


def t_interval(values: np.ndarray) -> tuple[float, float]:
    return stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))


def test_point_summary(runs: pd.DataFrame) -> None:
    table = an.point_summary(runs, ["fte", "rule"], ["y"])
    assert len(table) == 4 and (table["n"] == 4).all()  # the failed run is left out
    values = runs.query("design_index == 2 and status == 'ok'")["y"].to_numpy()
    row = table[table["design_index"] == 2].iloc[0]
    assert row["mean"] == pytest.approx(values.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(t_interval(values))


def test_paired_effects(runs: pd.DataFrame) -> None:
    table = an.paired_effects(runs, ["fte", "rule"], ["y"])
    d = runs.query("design_index == 1")["diff_y"].to_numpy()
    row = table[table["design_index"] == 1].iloc[0]
    assert row["difference"] == pytest.approx(d.mean())
    assert row["hub"] - row["no_hub"] == pytest.approx(d.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(t_interval(d))


def test_marginal_means_levels_and_bins(runs: pd.DataFrame) -> None:
    m = an.marginal_means(runs, "fte", "y")
    assert m["value"].tolist() == [1.0, 3.0] and m["n"].tolist() == [8, 8]
    values = runs.query("fte == 3.0 and status == 'ok'")["y"].to_numpy()
    assert m["mean"].iloc[1] == pytest.approx(values.mean())
    cont = pd.DataFrame({"design_index": range(100), "status": "ok",
                         "x": np.linspace(0, 1, 100), "y": np.linspace(0, 1, 100)})
    binned = an.marginal_means(cont, "x", "y")
    assert len(binned) == an.BINS and binned["n"].sum() == 100
    assert binned["value"].is_monotonic_increasing


def test_noise_share() -> None:
    """y = a_point + b_replication (+ nothing else): all of the replication's effect is shared
    by every point, so with common random numbers there is no noise at all; treated as
    independent noise, its share is var(b) / R / var(a)."""
    a, b = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 0.5, 1.0])
    runs = pd.DataFrame([{"design_index": i, "replication": r, "status": "ok",
                          "y": a[i] + b[r]} for i in range(3) for r in range(4)])
    assert an.noise_share(runs, "y", crn=True) == pytest.approx(0.0, abs=1e-12)
    expected = b.var(ddof=1) / 4 / a.var(ddof=1)
    assert an.noise_share(runs, "y", crn=False) == pytest.approx(expected)


def test_sensitivity_skips_what_it_cannot_analyse() -> None:
    assert "constant" in an._usable(np.ones(5), "y")
    assert "no finite mean" in an._usable(np.array([1.0, np.nan]), "y")
    assert an._usable(np.array([1.0, 2.0]), "y") is None


def test_figures_are_labelled(runs: pd.DataFrame) -> None:
    fig = fg.parameter_figure(runs, ["fte", "rule"], "y", "cf_y", "title here")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_xlabel() for ax in axes] == ["fte", "rule"]
    assert all(ax.get_ylabel() == "y" for ax in axes)
    assert fig.get_suptitle() == "title here"
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["random", "least_served"]
    fig = fg.heatmap_figure(runs, "fte", "rule", "diff_y")
    assert fig.axes[0].get_xlabel() == "fte" and fig.axes[1].get_ylabel().startswith("mean")
    table = pd.DataFrame({"outcome": "y", "parameter": ["a", "b"], "S1": [0.2, 0.5],
                          "S1_conf": [0.05, 0.05], "ST": [0.3, 0.7], "ST_conf": [0.1, 0.1]})
    fig = fg.sensitivity_figure(table, "sobol", ["y"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first order S1",
                                                                    "total ST"]
    series = pd.DataFrame({"design_index": 0, "replication": 0,
                           "arm": ["scenario"] * 3 + ["counterfactual"] * 3,
                           "step": [0, 1, 2] * 2, "innovation": "a",
                           "adopted_share": [0.0, 0.2, 0.4, 0.0, 0.1, 0.2]})
    fig = fg.fan_chart_figure(series, runs, None)
    assert fig.axes[0].get_xlabel() == "month"
    assert len(fig.axes[0].get_legend().get_texts()) == 2


def test_report_is_self_contained(tmp_path: Path) -> None:
    png = tmp_path / "a.png"
    fig = fg.fan_chart_figure(pd.DataFrame({"design_index": 0, "replication": 0,
                                            "arm": "scenario", "step": [0, 1],
                                            "innovation": "a", "adopted_share": [0.0, 0.5]}),
                              pd.DataFrame({"design_index": [0]}))
    fig.savefig(png)
    info = {"name": "demo <b>", "description": "what & why", "design_kind": "grid",
            "n_points": 2, "replications": 3, "counterfactual": True,
            "common_random_numbers": True, "seed": 1, "parameters": [], "versions": {},
            "spec_hash": "0123456789abcdef0123", "experiment_toml": "[experiment]\nname = 'x'",
            "experiment": {}, "scenarios": {"base": {"name": "base"}}}
    summary = pd.DataFrame({"design_index": [0, 1], "outcome": ["y", "y"], "mean": [1.0, 3.0]})
    page = render(info, an.Analysis(tmp_path, {"summary": summary}, {"a.png": "read me"},
                                    ["a note"]))
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "demo &lt;b&gt;" in page and "what &amp; why" in page  # escaped
    assert page.count("data:image/png;base64,") == 1 and "read me" in page
    assert "a note" in page and "[experiment]" in page and "Base scenario 'base'" in page
    assert "http" not in page
    assert "Key results" in page and "3 at point 1" in page and "1 at point 0" in page
