"""Calibration pieces: observed data, the Bass reference fit, the simulator, the fit and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from spreadsim import network as net
from spreadsim.calibration import Settings, bass_curve, calibrate, fit_bass, read_observed
from spreadsim.calibration import fit as fitting
from spreadsim.calibration.data import (
    cumulative,
    earlier_nominee_share,
    first_reaching,
    pattern_summary,
    peer_attribution,
)
from spreadsim.calibration.simulate import (
    FITTABLE,
    Simulator,
    calibration_config,
    synthetic_steps,
)
from spreadsim.cli import main
from spreadsim.cli.calibrate import DEFAULT_PARAMS
from spreadsim.config import NetworkConfig, ScenarioConfig
from spreadsim.errors import ScenarioError, SpreadsimError
from spreadsim.model import SpreadModel
from spreadsim.population import Skeleton

ROOT = Path(__file__).resolve().parents[2]
MEDINN = ROOT / "data" / "medinnovations"
TRUE = {"p_external": 0.03, "q_peer": 0.35, "susceptible_share": 0.85}


def write_network(folder: Path, n: int, places: int = 4, seed: int = 7) -> tuple[str, str]:
    """A place-structured synthetic network as nodes (id, town) and edges CSVs."""
    skeleton = Skeleton(np.array([f"n{i}" for i in range(n)], dtype=object),
                        np.full(n, 4, np.int8), (np.arange(n) % places).astype(np.int32),
                        np.zeros(n, np.int32), tuple(f"{p}" for p in range(places)))
    adj = net.place_network(skeleton, NetworkConfig(mean_degree=6, within_place_share=1.0),
                            places, np.random.default_rng(seed))
    upper = sp.triu(adj, 1).tocoo()
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    nodes.write_text("id,town\n" + "".join(f"n{i},{i % places}\n" for i in range(n)))
    edges.write_text("source,target\n" + "".join(f"n{a},n{b}\n" for a, b in
                                                 zip(upper.row, upper.col, strict=True)))
    return str(nodes), str(edges)


def add_periods(nodes: str, steps: np.ndarray, path: Path) -> str:
    """Copy of a nodes file with a toa column from simulated adoption steps."""
    lines = Path(nodes).read_text().splitlines()
    out = [lines[0] + ",toa"] + [f"{line},{s if s else ''}" for line, s in
                                 zip(lines[1:], steps, strict=True)]
    path.write_text("\n".join(out) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A 160-provider network and one simulated data set of 15 periods on it."""
    folder = tmp_path_factory.mktemp("synthetic")
    nodes, edges = write_network(folder, 160)
    steps = synthetic_steps(nodes, edges, 15, TRUE, seed=11, group_column="town")[:, 0]
    return add_periods(nodes, steps, folder / "observed.csv"), edges, steps


# --- observed data ------------------------------------------------------------------------------

def test_medical_innovation_curve_and_network_pattern():
    obs = read_observed(str(MEDINN / "nodes.csv"), str(MEDINN / "edges.csv"),
                        group_column="town")
    assert obs.n == 125 and obs.n_periods == 17 and obs.first_period == 1
    assert obs.curve.tolist() == [11, 20, 29, 40, 51, 62, 75, 82, 86, 87, 92, 95, 98, 102, 106,
                                  108, 109]
    assert obs.group_labels == ("town 1", "town 2", "town 3", "town 4")
    assert first_reaching(obs.share, obs.periods) == 7
    # the reference figures of the dataset's README: 0.455 overall, 0.20 early, 0.81 late
    pattern = pattern_summary(obs.step[:, None], obs.ties, early_before=7)
    assert pattern["all"][0] == pytest.approx(0.4552, abs=1e-4)
    assert pattern["early"][0] == pytest.approx(0.1962, abs=1e-4)
    assert pattern["late"][0] == pytest.approx(0.8067, abs=1e-4)
    assert pattern["n_adopters"][0] == 99


def test_periods_after_the_last_one_count_as_not_adopted(tmp_path):
    nodes = tmp_path / "n.csv"
    nodes.write_text("id,toa\na,1\nb,3\nc,18\nd,\ne,2\n")
    edges = tmp_path / "e.csv"
    edges.write_text("source,target\na,b\n")
    obs = read_observed(str(nodes), str(edges), last_period=17)
    assert obs.step.tolist() == [1, 3, 0, 0, 2]
    assert obs.n_periods == 17 and obs.curve[-1] == 3
    assert obs.group_labels == ("all",)
    assert read_observed(str(nodes), str(edges)).n_periods == 18


def test_periods_from_zero_start_at_zero(tmp_path):
    nodes = tmp_path / "n.csv"
    nodes.write_text("id,toa\na,0\nb,3\nc,\n")
    edges = tmp_path / "e.csv"
    edges.write_text("source,target\na,b\n")
    obs = read_observed(str(nodes), str(edges))
    assert obs.first_period == 0 and obs.periods.tolist() == [0, 1, 2, 3]
    assert obs.step.tolist() == [1, 4, 0]


@pytest.mark.parametrize(("rows", "kwargs", "expected"), [
    ("id,when\na,1\n", {}, "a column named 'toa' with adoption periods"),
    ("id,toa\na,1.5\nb,x\n", {}, "row 2: toa: expected a whole-number period"),
    ("id,toa\na,\nb,\n", {}, "at least one provider with an adoption period"),
    ("id,toa\na,1\nb,3\n", {"first_period": 2}, "row 2: toa: expected a period no earlier"),
    ("id,toa\na,1953\nb,1960\n", {}, "at most 600 periods"),
    ("id,toa\na,1\n", {}, "at least two observed periods"),
])
def test_bad_adoption_periods_are_reported(tmp_path, rows, kwargs, expected):
    nodes = tmp_path / "n.csv"
    nodes.write_text(rows)
    edges = tmp_path / "e.csv"
    edges.write_text("source,target\na,a\n")
    with pytest.raises(ScenarioError) as excinfo:
        read_observed(str(nodes), str(edges), **kwargs)
    assert str(excinfo.value).startswith(str(nodes)) and expected in str(excinfo.value)


def test_cumulative_counts_per_period_and_replication():
    steps = np.array([[1, 0], [2, 2], [0, 2], [2, 1]])
    np.testing.assert_array_equal(cumulative(steps, 3), [[1, 1], [3, 3], [3, 3]])


def test_earlier_nominee_share_on_a_hand_example():
    # a names b and c; b names a; c names nobody. a adopts at 3, b at 1, c never.
    ties = net.Ties(np.array([0, 0, 1, 0]), np.array([1, 2, 0, 1]), np.ones(4),
                    np.array(["x"] * 4, dtype=object), 0)  # a->b named twice: counted once
    share = earlier_nominee_share(np.array([[3], [1], [0]]), ties)
    assert share[0, 0] == 0.5  # b earlier, c never
    assert share[1, 0] == 0.0  # a later
    assert np.isnan(share[2, 0])  # non-adopter who names nobody


def test_peer_attribution_on_a_hand_example():
    # path a - b - c; a adopts in step 1 (exposure 0), b in step 2 with a adopted (exposure
    # 1/2), c never: peer shares 0 and 0.15 / (0.1 + 0.15) = 0.6, mean over adopters 0.3
    adjacency = sp.csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    share = peer_attribution(np.array([[1], [2], [0]]), adjacency, p=0.1, q=0.3)
    assert share == pytest.approx([0.3])


# --- Bass reference -----------------------------------------------------------------------------

def test_bass_fit_recovers_an_exact_bass_curve():
    curve = bass_curve(0.03, 0.38, 800.0, 25)
    fit = fit_bass(curve, 1000)
    assert (fit.p, fit.q, fit.m) == pytest.approx((0.03, 0.38, 800.0), rel=1e-4)
    assert fit.rmse_share < 1e-6


def test_bass_fit_matches_the_medical_innovation_reference():
    obs = read_observed(str(MEDINN / "nodes.csv"), str(MEDINN / "edges.csv"))
    fit = fit_bass(obs.curve, obs.n)
    # dataset README: p = 0.090, q = 0.159, m = 110.1, RMSE 2.3 doctors = 1.9 % of N
    assert fit.p == pytest.approx(0.090, abs=0.001)
    assert fit.q == pytest.approx(0.159, abs=0.001)
    assert fit.m == pytest.approx(110.1, abs=0.1)
    assert fit.rmse_share == pytest.approx(0.0186, abs=0.0002)


def test_bass_m_never_exceeds_n():
    curve = np.array([1, 3, 6, 10, 15, 21, 28, 36, 45, 55], dtype=float)  # still accelerating
    fit = fit_bass(curve, 60)
    assert curve[-1] <= fit.m <= 60


# --- simulator ------------------------------------------------------------------------------

def test_same_parameters_same_curves_and_susceptible_share_caps_adoption(synthetic):
    nodes, edges, _ = synthetic
    cfg = calibration_config(ScenarioConfig(), nodes, edges, "town", 15, 40)
    sim = Simulator(cfg, FITTABLE, seed=3)
    a = sim.adoption_steps([0.1, 0.5, 0.5])
    np.testing.assert_array_equal(a, sim.adoption_steps([0.1, 0.5, 0.5]))  # CRN
    # Binomial(6400, 0.5) susceptible pairs: the adopted share cannot exceed 0.5 by more
    # than 4 sd (0.025)
    assert (a > 0).mean() <= 0.525
    assert a.max() <= 15 and a.shape == (160, 40)


def test_copies_in_one_run_match_separate_replications(synthetic):
    """Copies of the innovation are independent replications: their mean curve agrees with the
    mean of separate runs (different replication streams) within 4 standard errors."""
    nodes, edges, _ = synthetic
    theta = [TRUE[k] for k in FITTABLE]
    cfg = calibration_config(ScenarioConfig(), nodes, edges, "town", 15, 150)
    copies = cumulative(Simulator(cfg, FITTABLE, seed=4).adoption_steps(theta), 15)
    one = calibration_config(ScenarioConfig(), nodes, edges, "town", 15, 1)
    runs = np.hstack([cumulative(Simulator(one, FITTABLE, seed=4, replication=r + 1)
                                 .adoption_steps(theta), 15) for r in range(150)])
    se = np.sqrt(copies.var(axis=1, ddof=1) / 150 + runs.var(axis=1, ddof=1) / 150)
    assert np.all(np.abs(copies.mean(axis=1) - runs.mean(axis=1)) <= 4 * se + 1e-9)


def test_calibration_config_is_the_simple_identifiable_case(synthetic):
    nodes, edges, _ = synthetic
    cfg = calibration_config(ScenarioConfig(), nodes, edges, "town", 15, 7)
    model = SpreadModel(cfg, rng=1)
    assert cfg.adoption.instant and cfg.adoption.abandonment_monthly == 0.0
    assert not cfg.hubs and not cfg.innovators and not cfg.shocks
    assert model.n_innovations == 7 and model.eligible.all()
    assert cfg.time.n_steps == 15


# --- fitting --------------------------------------------------------------------------------

def test_fit_finds_the_parameters_of_a_curve_made_by_the_same_simulator(synthetic):
    """With the fitting seed itself generating the target, the minimum (RMSE 0) is known.

    On 160 providers q_peer and susceptible_share trade off along a shallow valley, and the
    piecewise-constant CRN objective can hold a simplex in a side pocket of it (seen: q 0.25,
    m 0.95 at RMSE 0.009 from this start). So the fit must reproduce the curve closely and get
    the well-identified external influence right; recovering all three parameters is what
    tests/validation/test_recovery.py checks, with tolerances from repeated data sets.
    """
    nodes, edges, _ = synthetic
    cfg = calibration_config(ScenarioConfig(), nodes, edges, "town", 15, 30)
    sim = Simulator(cfg, FITTABLE, seed=5)
    space = fitting.Space.of(FITTABLE)
    theta = np.array([TRUE[k] for k in FITTABLE])
    target = fitting.mean_share(sim, theta, 160)
    start = theta * np.array([1.5, 0.6, 0.9])
    start_rmse = float(np.sqrt(np.mean((fitting.mean_share(sim, start, 160) - target) ** 2)))
    found = fitting.fit(sim, space, target, 160, [start])
    assert found.rmse_share < 0.01 < start_rmse
    assert found.theta[0] == pytest.approx(theta[0], rel=0.25)
    assert np.all((found.theta >= space.lower) & (found.theta <= space.upper))


def test_percentile_intervals():
    est = np.column_stack([np.arange(1, 101), np.arange(101, 201)]).astype(float)
    np.testing.assert_allclose(fitting.percentile_intervals(est, 0.9),
                               [[5.95, 95.05], [105.95, 195.05]])


def test_settings_are_checked():
    for bad in (Settings(params=("p_external", "beta_peer")), Settings(params=()),
                Settings(replications=5), Settings(bootstrap=3), Settings(seed=-1),
                Settings(workers=0)):
        with pytest.raises(SpreadsimError):
            bad.check()
    assert DEFAULT_PARAMS == FITTABLE


def test_calibrate_report_has_every_promised_key(synthetic):
    nodes, edges, _ = synthetic
    obs = read_observed(nodes, edges, group_column="town")
    report = calibrate(obs, settings=Settings(replications=20, bootstrap=0, seed=2,
                                              progress=False))
    for key in ("parameters", "rmse_share", "bass", "observed", "simulated", "t50",
                "final_share", "network_pattern", "by_group", "settings", "data"):
        assert key in report
    assert set(report["parameters"]) == set(FITTABLE)
    assert all(p["interval"] is None for p in report["parameters"].values())
    assert set(report["bass"]) >= {"p", "q", "m", "rmse_share"}
    assert len(report["simulated"]["mean_share"]) == 15 == len(report["observed"]["share"])
    assert {"observed", "simulated"} <= set(report["t50"])
    assert set(report["network_pattern"]) >= {"observed", "calibrated_model", "no_peer_model",
                                              "same_curve_no_peer"}
    assert report["data"]["ties_across_groups"] == 0
    sim = np.array(report["simulated"]["mean_share"])
    assert report["rmse_share"] == pytest.approx(
        float(np.sqrt(np.mean((sim - obs.share) ** 2))), abs=1e-12)


def test_fixed_parameters_keep_the_base_values(synthetic):
    nodes, edges, _ = synthetic
    obs = read_observed(nodes, edges, group_column="town")
    base = ScenarioConfig()
    report = calibrate(obs, base, Settings(params=("p_external", "susceptible_share"),
                                           replications=20, bootstrap=0, progress=False))
    assert report["fixed"] == {"q_peer": base.adoption.q_peer}
    assert "no_peer_model" not in report["network_pattern"]


# --- command line ---------------------------------------------------------------------------

def test_bootstrap_refits_each_data_set_from_the_fitted_values(synthetic):
    nodes, edges, _ = synthetic
    cfg = calibration_config(ScenarioConfig(), nodes, edges, "town", 15, 20)
    space = fitting.Space.of(FITTABLE)
    theta = np.array([TRUE[k] for k in FITTABLE])
    datasets = cumulative(synthetic_steps(nodes, edges, 15, TRUE, seed=8, replications=3,
                                          group_column="town"), 15) / 160
    est = fitting.bootstrap(lambda: Simulator(cfg, FITTABLE, 5), space, theta, datasets, 160,
                            progress=False)
    assert est.shape == (3, 3) and np.all(np.isfinite(est))
    assert np.all((est >= space.lower) & (est <= space.upper))
    assert len({tuple(row) for row in est}) == 3  # different data, different refits


def test_cli_writes_json_png_and_csv(synthetic, tmp_path, capsys):
    nodes, edges, _ = synthetic
    out = tmp_path / "cal"
    code = main(["calibrate", "--nodes", nodes, "--edges", edges, "--group", "town",
                 "--replications", "20", "--bootstrap", "0", "--seed", "3", "--out", str(out)])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"calibration.json", "calibration.png",
                                               "curves.csv"}
    report = json.loads((out / "calibration.json").read_text())
    assert report["arguments"]["group"] == "town" and report["arguments"]["seed"] == 3
    assert report["calibration_config"]["adoption"]["instant"] is True
    assert set(report["parameters"]) == set(FITTABLE)
    assert "rmse_share" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "expected"), [
    (["--params", "p_external,beta"], "--params: expected distinct names"),
    (["--time-column", "adopted_month"], "a column named 'adopted_month'"),
    (["--group", "region"], "a column named 'region' (network.place_column)"),
    (["--set", "adoption.q_peer=2"], "adoption.q_peer"),
])
def test_cli_bad_input_exits_2_and_writes_nothing(synthetic, tmp_path, capsys, extra,
                                                  expected):
    nodes, edges, _ = synthetic
    out = tmp_path / "cal"
    code = main(["calibrate", "--nodes", nodes, "--edges", edges, "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and "Traceback" not in err
    assert not out.exists()


def test_cli_bad_edges_file_exits_2(synthetic, tmp_path, capsys):
    nodes, _, _ = synthetic
    out = tmp_path / "cal"
    edges = ROOT / "tests" / "data" / "csv" / "edges_bad_weight.csv"
    assert main(["calibrate", "--nodes", nodes, "--edges", str(edges), "--out", str(out)]) == 2
    assert "edges_bad_weight.csv" in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_an_existing_folder(synthetic, tmp_path, capsys):
    nodes, edges, _ = synthetic
    (tmp_path / "cal").mkdir()
    (tmp_path / "cal" / "keep.txt").write_text("mine")
    assert main(["calibrate", "--nodes", nodes, "--edges", edges,
                 "--out", str(tmp_path / "cal")]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "cal" / "keep.txt").exists()
