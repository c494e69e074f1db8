"""Every shipped scenario file documents itself, loads and runs (new files are covered too)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from spreadsim.loading import load_scenario, with_overrides
from spreadsim.mechanisms import adoption as A
from spreadsim.model import SpreadModel
from spreadsim.runner import run_replication

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.toml"))


def test_the_library_is_there() -> None:
    names = {p.stem for p in SCENARIOS}
    assert {"baseline_no_hub", "default_hub", "bass_classroom", "pandemic",
            "spending_shortfall", "ics_restructuring", "archetype_dorset",
            "archetype_bradford", "archetype_cambridgeshire", "archetype_manchester"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_starts_with_a_comment_block(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("#"), f"{path.name}: first line must be a comment"
    block = list(itertools.takewhile(lambda x: x.startswith("#"), lines))
    assert len(block) >= 2 and sum(len(x) for x in block) > 80, (
        f"{path.name}: say what the scenario represents and where its numbers come from")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_loads_and_runs_two_steps(path: Path) -> None:
    cfg = load_scenario(path)
    short = with_overrides(cfg, {"time.n_steps": 2})
    model = SpreadModel(short, rng=cfg.seed)
    model.run_for(2)
    assert not model.running
    counts = model.counts.sum(axis=2)
    assert counts.shape == (3, model.n_innovations, A.N_CODES)
    assert (model.eligible.sum(axis=0) > 0).all(), "an innovation no provider can adopt"
    assert (counts[:, :, : A.INELIGIBLE].sum(axis=2) == model.eligible.sum(axis=0)).all()
    assert len(model.hub_agents) >= len(cfg.hubs)


@pytest.mark.parametrize("path", [p for p in SCENARIOS if p.stem in
                                  {"default_hub", "pandemic", "archetype_manchester"}],
                         ids=lambda p: p.stem)
def test_scenario_tables_for_two_steps(path: Path) -> None:
    cfg = with_overrides(load_scenario(path), {"time.n_steps": 2})
    out = run_replication(cfg, cfg.seed, 0)
    assert {"adoption", "hub", "hub_status", "network", "outcomes", "runs"} <= set(out)
    assert len(out["runs"]) == 1
    assert np.isfinite(out["runs"]["reach_at_horizon"]).all()
