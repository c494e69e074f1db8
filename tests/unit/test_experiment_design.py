"""Designs: point counts, value mapping, determinism and per-point overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spreadsim.experiments.config import (
    DesignConfig,
    ExperimentConfig,
    ExperimentSection,
    ParameterConfig,
)
from spreadsim.experiments.design import (
    UNIT,
    Factor,
    Points,
    count_points,
    design_seed,
    make_design,
)


def experiment(kind: str, points: int = 0, **design: object) -> ExperimentConfig:
    params = (
        ParameterConfig(key="hubs.*.core_fte", name="core_fte", low=1.0, high=5.0),
        ParameterConfig(key="hubs.*.targeting", name="targeting",
                        levels=("random", "most_connected", "least_served")),
        ParameterConfig(key="hubs.*.funding_months", name="months", low=24, high=27,
                        distribution="integer"),
    )
    return ExperimentConfig(experiment=ExperimentSection(seed=11), parameters=params,
                            design=DesignConfig(kind=kind, points=points, **design))


def test_grid_is_every_combination() -> None:
    cfg = experiment("grid", grid_levels=3)
    d = make_design(cfg)
    assert count_points(cfg) == len(d) == 3 * 3 * 3  # integer 24..27 in 3 levels -> 24, 26, 27
    assert sorted(d["months"].unique()) == [24, 26, 27]
    assert sorted(d["core_fte"].unique()) == [1.0, 3.0, 5.0]
    assert not d.duplicated(["core_fte", "targeting", "months"]).any()
    assert d["design_index"].tolist() == list(range(27))
    assert d["months"].dtype == np.int64 and d["targeting"].dtype == "string"
    assert not any(c.startswith(UNIT) for c in d.columns)


def test_list_design_zips_levels() -> None:
    params = (ParameterConfig(key="a.x", name="x", levels=(1.0, 0.0, 0.5)),
              ParameterConfig(key="a.y", name="y", levels=(0.0, 1.0, 0.0),
                              linked=(("a.z", (10, 20, 30)),)))  # repeats are fine in a list
    cfg = ExperimentConfig(parameters=params, design=DesignConfig(kind="list"))
    d = make_design(cfg)
    assert d[["x", "y", "a.z"]].values.tolist() == [[1.0, 0.0, 10], [0.0, 1.0, 20],
                                                    [0.5, 0.0, 30]]
    assert Points(cfg, d)[2] == (None, {"a.x": 0.5, "a.y": 0.0, "a.z": 30})


@pytest.mark.parametrize(("kind", "points", "expected"), [
    ("lhs", 20, 20), ("sobol", 8, 8 * (3 + 2)), ("morris", 5, 5 * (3 + 1))])
def test_sampled_designs(kind: str, points: int, expected: int) -> None:
    cfg = experiment(kind, points)
    d = make_design(cfg)
    assert count_points(cfg) == len(d) == expected
    units = d[[UNIT + n for n in ("core_fte", "targeting", "months")]].to_numpy()
    assert ((units >= 0) & (units <= 1)).all()
    assert d["core_fte"].between(1.0, 5.0).all()
    assert set(d["targeting"]) <= {"random", "most_connected", "least_served"}
    assert set(d["months"]) <= {24, 25, 26, 27}
    pd.testing.assert_frame_equal(d, make_design(cfg))  # same seed, same design


def test_sobol_second_order_size() -> None:
    cfg = experiment("sobol", 4, second_order=True)
    assert len(make_design(cfg)) == count_points(cfg) == 4 * (2 * 3 + 2)


def test_lhs_is_stratified_and_seeded() -> None:
    d = make_design(experiment("lhs", 10))
    u = np.sort(d[UNIT + "core_fte"].to_numpy())
    assert (np.floor(u * 10) == np.arange(10)).all()  # one point per tenth of the range
    other = ExperimentConfig(experiment=ExperimentSection(seed=12),
                             parameters=experiment("lhs", 10).parameters,
                             design=DesignConfig(kind="lhs", points=10))
    assert not np.allclose(make_design(other)[UNIT + "core_fte"], d[UNIT + "core_fte"])


def test_from_unit_mappings() -> None:
    u = np.array([0.0, 0.2, 0.5, 0.999, 1.0])
    levels = Factor(ParameterConfig(key="k", levels=("a", "b")))
    assert levels.from_unit(u) == ["a", "a", "b", "b", "b"]
    integers = Factor(ParameterConfig(key="k", low=1, high=3, distribution="integer"))
    assert integers.from_unit(u) == [1, 1, 2, 3, 3]
    uniform = Factor(ParameterConfig(key="k", low=2.0, high=4.0))
    assert uniform.from_unit(u) == pytest.approx([2.0, 2.4, 3.0, 3.998, 4.0])
    log = Factor(ParameterConfig(key="k", low=1.0, high=100.0, distribution="loguniform"))
    assert log.from_unit(np.array([0.0, 0.5, 1.0])) == pytest.approx([1.0, 10.0, 100.0])
    assert log.levels(3) == pytest.approx([1.0, 10.0, 100.0])


def test_design_seed_is_derived_from_root() -> None:
    assert design_seed(1) == design_seed(1) != design_seed(2)


def test_points_for_the_scenario_factor() -> None:
    params = (ParameterConfig(key="scenario", name="context",
                              levels=("../scenarios/pandemic.toml", "/x/default_hub.toml")),
              ParameterConfig(key="hubs.*.core_fte", name="fte", levels=(1.0, 2.0)))
    cfg = ExperimentConfig(parameters=params)
    d = make_design(cfg)
    assert d["context"].tolist() == ["pandemic", "pandemic", "default_hub", "default_hub"]
    assert Points(cfg, d)[3] == ("default_hub", {"hubs.*.core_fte": 2.0})
