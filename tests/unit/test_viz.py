"""The teaching app without a browser: TeachingModel, controls, layout, portrayal, specs, CLI."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from spreadsim.cli import main
from spreadsim.config import STATES, ScenarioConfig
from spreadsim.loading import load_scenario, with_overrides
from spreadsim.mechanisms.adoption import INELIGIBLE
from spreadsim.viz import charts, portrayal
from spreadsim.viz.layout import place_layout, sunflower
from spreadsim.viz.teaching import (
    CONTROLS,
    MAX_PROVIDERS,
    SEED_RANGE,
    TeachingModel,
    applicable_controls,
    bass_applies,
    bass_curve,
    count_providers,
    library_shocks,
    share_column,
    teaching_config,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
DEFAULT = SCENARIOS / "default_hub.toml"
BASS = SCENARIOS / "bass_classroom.toml"


@pytest.fixture(scope="module")
def default_cfg() -> ScenarioConfig:
    """The default hub scenario, cut to 36 months (past the 30-month funding end)."""
    return with_overrides(load_scenario(DEFAULT), {"time.n_steps": 36})


@pytest.fixture(scope="module")
def model(default_cfg: ScenarioConfig) -> TeachingModel:
    m = TeachingModel(default_cfg, seed=3)
    m.run_for(8)
    return m


# --------------------------------------------------------------------------- controls


@pytest.mark.parametrize("end", ["low", "high"])
def test_model_builds_and_steps_with_every_control_at_its_limit(default_cfg: ScenarioConfig,
                                                                 end: str) -> None:
    values = {c.name: (bool(end == "high") if c.is_toggle else getattr(c, end))
              for c in CONTROLS}
    seed = SEED_RANGE[0] if end == "low" else SEED_RANGE[1]
    m = TeachingModel(default_cfg, seed=seed, **values)
    m.run_for(3)
    assert m.steps == 3
    got = m.control_values
    for c in CONTROLS:
        want = values[c.name]
        assert got[c.name] == pytest.approx(want), c.name
    shocks = {s.kind for s in m.cfg.shocks}
    assert shocks == ({"pandemic", "spending_shortfall", "restructuring"} if end == "high"
                      else set())


def test_controls_map_onto_the_scenario(default_cfg: ScenarioConfig) -> None:
    cfg = teaching_config(default_cfg, {"core_fte": 5.0, "budget_k": 100.0, "inkind_fte": 0.5,
                                        "dissemination": 0.9, "within_place_share": 0.4,
                                        "bridging_preference": 0.1, "q_peer": 0.2})
    hub = cfg.hubs[0]
    assert (hub.core_fte, hub.budget_gbp, hub.inkind_fte) == (5.0, 100_000.0, 0.5)
    assert hub.effort.dissemination == 0.9
    assert cfg.network.within_place_share == 0.4
    assert cfg.hub_effects.bridging_preference == 0.1
    assert cfg.adoption.q_peer == 0.2
    assert teaching_config(default_cfg, {"core_fte": None}) == default_cfg


def test_shock_toggles_add_the_library_shocks_once_and_remove_them() -> None:
    pandemic = load_scenario(SCENARIOS / "pandemic.toml")
    base = load_scenario(DEFAULT)
    added = teaching_config(base, {"pandemic": True})
    assert [dataclasses.asdict(s) for s in added.shocks] == list(library_shocks("pandemic"))
    assert added.shocks == pandemic.shocks
    assert teaching_config(pandemic, {"pandemic": True}).shocks == pandemic.shocks  # no double
    assert teaching_config(pandemic, {"pandemic": False}).shocks == ()
    both = teaching_config(base, {"restructuring": True, "spending_shortfall": True})
    assert sorted(s.kind for s in both.shocks) == ["restructuring", "restructuring",
                                                   "spending_shortfall"]


def test_hub_controls_do_not_apply_without_a_hub() -> None:
    bass = load_scenario(BASS)
    names = {c.name for c in applicable_controls(bass)}
    assert names == {"p_external", "q_peer"}
    assert teaching_config(bass, {"core_fte": 6.0, "within_place_share": 0.1}) == bass
    m = TeachingModel(BASS, seed=2, core_fte=6.0, q_peer=0.5)
    assert m.cfg.hubs == () and m.cfg.adoption.q_peer == 0.5
    assert portrayal.ties_frame(m).empty  # fully mixed: no ties to draw
    assert portrayal.possible_states(m.cfg) == ("sustained", "unaware")


def test_unknown_control_is_a_user_error(default_cfg: ScenarioConfig) -> None:
    from spreadsim.errors import SpreadsimError

    with pytest.raises(SpreadsimError, match="core_ftee"):
        teaching_config(default_cfg, {"core_ftee": 1.0})


def test_control_ranges_lie_inside_the_documented_ranges() -> None:
    cfg_fields = {}
    for cls, prefix in [(type(ScenarioConfig().adoption), "adoption"),
                        (type(ScenarioConfig().network), "network"),
                        (type(ScenarioConfig().hub_effects), "hub_effects")]:
        for f in dataclasses.fields(cls):
            cfg_fields[f"{prefix}.{f.name}"] = f.metadata["range"]
    from spreadsim.config import EffortConfig, HubConfig

    for f in dataclasses.fields(HubConfig):
        cfg_fields[f"hubs.*.{f.name}"] = f.metadata["range"]
    for f in dataclasses.fields(EffortConfig):
        cfg_fields[f"hubs.*.effort.{f.name}"] = f.metadata["range"]
    for c in CONTROLS:
        if c.is_toggle:
            continue
        low, high = cfg_fields[c.key]
        assert low <= c.low * c.scale < c.high * c.scale <= high, c.name
        assert c.step > 0 and (c.high - c.low) / c.step == pytest.approx(
            round((c.high - c.low) / c.step)), c.name


# --------------------------------------------------------------------------- data for the views


def test_state_shares_sum_to_one_and_match_the_state_array(model: TeachingModel) -> None:
    data = model.datacollector.get_model_vars_dataframe()
    assert len(data) == model.steps + 1
    for j in range(model.n_innovations):
        cols = [share_column(j, s) for s in STATES]
        np.testing.assert_allclose(data[cols].sum(axis=1), 1.0)
        eligible = model.state[:, j] != INELIGIBLE
        for code, state in enumerate(STATES):
            want = (model.state[eligible, j] == code).mean()
            assert data[share_column(j, state)].iloc[-1] == pytest.approx(want)


def test_hub_hours_by_function_add_up_to_usable_hours(model: TeachingModel) -> None:
    data = model.datacollector.get_model_vars_dataframe().iloc[1:]
    by_function = data[["hours_coordination", "hours_dissemination", "hours_partnership"]]
    np.testing.assert_allclose(by_function.sum(axis=1),
                               data["hours_available"] - data["hours_lost"])
    assert (data["hours_available"] > 0).all()


def test_bass_curve_and_where_it_applies() -> None:
    f = bass_curve(0.03, 0.38, 30)
    assert f[0] == 0 and f[1] == pytest.approx(0.03)
    assert f[2] == pytest.approx(0.03 + (0.03 + 0.38 * 0.03) * 0.97)
    assert np.all(np.diff(f) > 0) and f[-1] < 1
    assert bass_applies(load_scenario(BASS), 0)
    assert not bass_applies(load_scenario(DEFAULT), 0)
    assert not bass_applies(with_overrides(load_scenario(BASS),
                                           {"adoption.abandonment_monthly": 0.01}), 0)


# --------------------------------------------------------------------------- layout


def test_layout_is_deterministic_for_a_seed_and_clustered_by_place(model: TeachingModel) -> None:
    sk = model.population.skeleton
    a = place_layout(sk.place, sk.kind, seed=5)
    assert np.array_equal(a, place_layout(sk.place, sk.kind, seed=5))
    assert not np.array_equal(a, place_layout(sk.place, sk.kind, seed=6))
    assert a.shape == (model.n_providers, 2) and np.all(np.abs(a) <= 1 + 1e-12)
    places = np.unique(sk.place)
    centres = np.array([a[sk.place == p].mean(axis=0) for p in places])
    nearest = np.argmin(np.linalg.norm(a[:, None, :] - centres[None], axis=2), axis=1)
    assert np.array_equal(places[nearest], sk.place), "every provider sits in its place's disc"
    assert len(np.unique(a, axis=0)) == len(a), "no two providers on the same spot"


def test_model_layout_follows_the_scenario_seed_not_the_run_seed(
        default_cfg: ScenarioConfig) -> None:
    one, two = TeachingModel(default_cfg, seed=1), TeachingModel(default_cfg, seed=2)
    assert np.array_equal(one.positions, two.positions)


def test_sunflower_spreads_points_evenly() -> None:
    pts = sunflower(200)
    d = np.linalg.norm(pts[:, None] - pts[None], axis=2) + np.eye(200) * 1e9
    assert d.min() > 0.5  # no crowding: nearest neighbours about one unit apart


# --------------------------------------------------------------------------- portrayal


def test_nodes_are_coloured_by_the_state_of_the_innovation_shown(model: TeachingModel) -> None:
    saved = model.state.copy()
    try:
        codes = np.arange(model.n_providers) % (INELIGIBLE + 1)
        model.state[:, 1] = codes
        nodes = portrayal.nodes_frame(model, 1)
        labels = [*STATES, portrayal.NOT_ELIGIBLE]
        assert list(nodes["state"]) == [labels[c] for c in codes]
    finally:
        model.state[:] = saved
    spec = charts.network_spec(nodes, portrayal.ties_frame(model),
                               *portrayal.actors_frame(model, 1), portrayal.places_frame(model),
                               title="t", subtitle="s")
    providers = next(layer for layer in spec["layer"] if layer.get("name") == "providers")
    scale = providers["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        s: portrayal.STATE_COLOURS[s] for s in labels}
    assert len(json.loads(spec["datasets"]["nodes"])) == model.n_providers


def test_state_colours_are_distinct_and_complete() -> None:
    colours = portrayal.STATE_COLOURS
    assert set(colours) == {*STATES, portrayal.NOT_ELIGIBLE}
    assert len(set(colours.values())) == len(colours)
    assert set(portrayal.STACK_ORDER) == set(STATES)


def test_hub_and_innovator_markers(model: TeachingModel) -> None:
    markers, links = portrayal.actors_frame(model, 0)  # owned by the remote-monitoring SME
    assert list(markers["actor"]) == ["innovation hub", "innovator"]
    assert len(links) == model.innovator_agents[0].contacts.sum()
    nodes = portrayal.nodes_frame(model, 0)
    assert nodes["hub"].sum() == len(model.hub_agents[0].mapped)
    no_owner = portrayal.actors_frame(model, 1)[0]  # the hydration pathway has no innovator
    assert list(no_owner["actor"]) == ["innovation hub"]


def test_brokered_ties_are_merged_per_pair(model: TeachingModel) -> None:
    ties = portrayal.ties_frame(model)
    brokered = ties[ties["tie"] == "brokered"]
    assert len(brokered) > 0, "after 8 months the hub has brokered ties"
    pairs = brokered[["x", "y", "x2", "y2"]].round(9).apply(tuple, axis=1)
    assert pairs.is_unique and brokered["weight"].between(0, 1).all()
    assert (ties["tie"] == "network").sum() == model.adjacency.nnz // 2


def test_specs_reuse_a_cached_template(model: TeachingModel) -> None:
    data = model.datacollector.get_model_vars_dataframe()
    one = charts.adoption_spec(portrayal.adoption_frame(data, 0), months=36, title="a",
                               subtitle="b", funding_end=30)
    two = charts.adoption_spec(portrayal.adoption_frame(data, 2), months=36, title="c",
                               subtitle="d", funding_end=30)
    assert one["layer"] is two["layer"] and one["title"] != two["title"]
    assert len(json.loads(one["datasets"]["shares"])) == len(STATES) * len(data)
    assert json.loads(one["datasets"]["marker"]) == [{"month": 30}]


def test_settings_summary_names_the_run(model: TeachingModel) -> None:
    text = portrayal.settings_summary(model)
    assert text.startswith("seed 3; hub 3 core + 1 in-kind FTE, GBP 475k")
    assert "no shocks" in text


# --------------------------------------------------------------------------- app wiring


def test_app_controls_start_at_the_scenario_values() -> None:
    from spreadsim.viz import app

    cfg = load_scenario(DEFAULT)
    params = app.model_params(cfg, str(DEFAULT))
    assert params["scenario_file"] == str(DEFAULT)
    for control in applicable_controls(cfg):
        p = params[control.name]
        if not control.is_toggle:
            assert p["min"] <= p["value"] <= p["max"], control.name
    m = TeachingModel(**app.initial_values(params))
    assert m.cfg.hubs[0].core_fte == cfg.hubs[0].core_fte
    assert m.cfg.hubs[0].effort.shares() == pytest.approx(cfg.hubs[0].effort.shares(), abs=0.01)


def test_dashboard_layout_fills_the_grid_without_overlaps() -> None:
    from spreadsim.viz import app

    cells = set()
    for item in app.dashboard_layout(4):
        assert item["x"] >= 0 and item["x"] + item["w"] <= 12
        new = {(item["x"] + i, item["y"] + k) for i in range(item["w"]) for k in range(item["h"])}
        assert not cells & new
        cells |= new
    assert len(app.dashboard_layout(3)) == 3  # other counts: Mesa's own layout


# --------------------------------------------------------------------------- CLI errors


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "65536"], ["--port", "eight"],
                                  ["--port"], ["a.toml", "b.toml"], ["--colour", "red"]])
def test_ui_bad_arguments_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["ui", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: spreadsim" in err and "error:" in err and "Traceback" not in err


def test_ui_missing_and_too_big_scenarios_exit_2(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ui", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml: scenario file not found" in capsys.readouterr().err
    big = tmp_path / "big.toml"
    big.write_text(f'extends = "{DEFAULT.as_posix()}"\n[providers.pcn]\n'
                   f"count = {MAX_PROVIDERS}\n")
    assert count_providers(load_scenario(big)) > MAX_PROVIDERS
    assert main(["ui", str(big)]) == 2
    err = capsys.readouterr().err
    assert "too many for the live view" in err and "Traceback" not in err


def test_ui_port_in_use_and_bad_host_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ui", str(DEFAULT), "--port", str(port)]) == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert main(["ui", str(DEFAULT), "--host", "no-such-host.invalid"]) == 2
    assert "--host no-such-host.invalid" in capsys.readouterr().err


@pytest.mark.parametrize("scenario", ["default_hub", "bass_classroom", "archetype_manchester",
                                      "baseline_no_hub"])
def test_page_renders_and_steps_in_process(scenario: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The Solara page, without a server or browser: it builds, and Step redraws the charts."""
    import ipyvuetify as v
    import solara

    from spreadsim.viz import app
    from spreadsim.viz.vega import VegaView

    monkeypatch.setenv(app.SCENARIO_ENV, str(SCENARIOS / f"{scenario}.toml"))

    @solara.component
    def Root() -> None:
        with solara.AppLayout():
            app.Page()

    _, rc = solara.render(Root(), handle_error=False)
    try:
        charts_before = [w.spec for w in rc.find(VegaView).widgets]
        has_hub = scenario not in ("baseline_no_hub", "bass_classroom")
        assert len(charts_before) == (3 if has_hub else 2)  # no hub: a note instead of hours
        for _ in range(2):
            rc.find(v.Btn, children=["Step"]).widget.click()
        rc.find(v.Html, children=["Time: 2.0"]).assert_single()
        charts_after = [w.spec for w in rc.find(VegaView).widgets]
        assert all(a != b for a, b in zip(charts_before, charts_after, strict=True))
        assert ": month 2 of " in charts_after[0]  # the network's title
    finally:
        rc.close()
