"""Run the model on an observed network in the calibration configuration.

The configuration is the simplest one whose parameters the adoption curve can identify: one
innovation, no hub, no innovator, no shock, instant stages (aware = adopted), no abandonment,
the network from the files and one model step per observed period. Adoption then follows
``P(adopt in step t) = min(1, p_external + q_peer * exposure)`` for each susceptible provider,
where ``exposure`` is the (weighted) share of its neighbours who had adopted by step ``t - 1``.

Replications are copies of the innovation inside one model run: with instant stages and no hub
every copy is an independent realisation on the same network (its own susceptible draw and its
own uniforms every step), so one run of ``R`` copies is ``R`` replications at the cost of one.
The same seed is used for every parameter vector (common random numbers), which makes the
calibration objective a deterministic function of the parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from spreadsim.calibration.data import Observed
from spreadsim.config import KINDS, ScenarioConfig
from spreadsim.loading import with_overrides
from spreadsim.mechanisms import adoption as rules
from spreadsim.model import SpreadModel

#: Parameters calibration can fit: short name -> field of ``AdoptionConfig``.
FITTABLE: tuple[str, ...] = ("p_external", "q_peer", "susceptible_share")

#: States that count as "has adopted" (abandonment is off, so this is cumulative adoption).
ADOPTED_STATES = (rules.IMPLEMENTING, rules.SUSTAINED, rules.ABANDONED)


def calibration_config(base: ScenarioConfig, nodes_file: str, edges_file: str,
                       group_column: str | None, n_periods: int, replications: int
                       ) -> ScenarioConfig:
    """The calibration configuration of ``base`` on a network from files.

    Args:
        base: Scenario supplying everything calibration does not set (e.g. fixed parameter
            values, the peer rule, the seed).
        nodes_file, edges_file: The network.
        group_column: Column of the nodes file used as the place (``None``: ``place``).
        n_periods: Observed periods (= model steps).
        replications: Copies of the innovation, i.e. replications per model run.

    Returns:
        The validated scenario.
    """
    return with_overrides(base, {
        "time.n_steps": n_periods,
        "network.kind": "edge_list",
        "network.nodes_file": str(Path(nodes_file)),
        "network.edges_file": str(Path(edges_file)),
        "network.place_column": group_column or "place",
        "adoption.instant": True,
        "adoption.abandonment_monthly": 0.0,
        "innovations": [{"name": "observed innovation", "copies": replications,
                         "eligible_kinds": list(KINDS), "arrival_month": 0,
                         "arrival_every": 0, "innovator": ""}],
        "innovators": [], "hubs": [], "shocks": [],
        "output.detail": "none",
    }, source="calibration settings")


def for_observed(base: ScenarioConfig, observed: Observed, replications: int) -> ScenarioConfig:
    """:func:`calibration_config` for the network and periods of an observation."""
    return calibration_config(base, observed.nodes_file, observed.edges_file,
                              observed.group_column, observed.n_periods, replications)


class Simulator:
    """The model at given parameter values, always with the same seed (common random numbers).

    Args:
        config: A calibration configuration (see :func:`calibration_config`).
        names: Names of the parameters a vector ``theta`` holds, in order (from
            :data:`FITTABLE`).
        seed: Root seed.
        replication: Replication index of the seed's streams (different indices are
            independent).
    """

    def __init__(self, config: ScenarioConfig, names: Sequence[str], seed: int,
                 replication: int = 0) -> None:
        self.config = config
        self.names = tuple(names)
        self.seed = seed
        self.replication = replication
        self.runs = 0

    @property
    def n_periods(self) -> int:
        """Model steps per run."""
        return self.config.time.n_steps

    def with_values(self, values: Mapping[str, float]) -> ScenarioConfig:
        """The configuration with some adoption parameters replaced (already in range)."""
        return dataclasses.replace(self.config, adoption=dataclasses.replace(
            self.config.adoption, **{k: float(v) for k, v in values.items()}))

    def adoption_steps(self, theta: Sequence[float]) -> np.ndarray:
        """Step in which each provider adopted in each replication.

        Returns:
            (N, R) int array, 0 = did not adopt within the observed periods.
        """
        cfg = self.with_values(dict(zip(self.names, theta, strict=True)))
        model = SpreadModel(cfg, rng=self.seed, replication=self.replication)
        model.run_for(self.n_periods)
        self.runs += 1
        adopted = np.isin(model.state, ADOPTED_STATES)
        return np.where(adopted, model.entered, 0).astype(np.int64)


def synthetic_steps(nodes_file: str, edges_file: str, n_periods: int,
                    values: Mapping[str, float], seed: int, replications: int = 1,
                    group_column: str | None = None, base: ScenarioConfig | None = None
                    ) -> np.ndarray:
    """Simulate adoption data on a network, e.g. to test that calibration recovers ``values``.

    Args:
        nodes_file, edges_file: The network.
        n_periods: Periods to simulate.
        values: Adoption parameters (from :data:`FITTABLE`).
        seed: Root seed (replication index 0 of its streams).
        replications: Independent data sets to draw.
        group_column: Place column of the nodes file.
        base: Scenario for everything else (default: built-in defaults).

    Returns:
        (N, replications) adoption steps, 0 = did not adopt.
    """
    cfg = calibration_config(base or ScenarioConfig(), nodes_file, edges_file, group_column,
                             n_periods, replications)
    names = tuple(values)
    return Simulator(cfg, names, seed).adoption_steps([values[k] for k in names])
