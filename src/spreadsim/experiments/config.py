"""Experiment configuration: frozen dataclasses for experiment TOML files.

An experiment file has five parts, each a dataclass below::

    [experiment]       name, base scenario, replications, root seed, pairing, seeding scheme
    [constants]        dotted scenario keys fixed for the whole experiment (optional)
    [[parameters]]     the factors varied: a dotted scenario key with levels or a range
    [design]           how points are chosen: grid, list, lhs, sobol or morris
    [output]           outcomes kept per run and whether to keep per-step series

Every field is declared with :func:`spreadsim.config.param`, so
:func:`spreadsim.loading.build_dataclass` validates it (types, ranges, choices, did-you-mean)
exactly as it validates scenarios. The two fields whose values are free-form (``levels`` and
``linked`` of a parameter) are checked by :mod:`spreadsim.experiments.loading`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spreadsim.config import param

#: Outcome columns of one run (keys of :func:`spreadsim.metrics.run_summary`), headline first.
#: The first outcome kept is the one the analysis plots first.
OUTCOMES: tuple[str, ...] = (
    "reach_at_horizon", "sustained", "reach_at_funding_end", "ever_adopted", "abandoned",
    "failed", "t50_median", "aware_at_funding_end", "abandoned_6m_before_funding_end",
    "abandoned_6m_after_funding_end", "equity_gap_kind", "equity_gap_place",
    "innovators_survived", "hub_cost_gbp", "hub_hours_available", "hub_hours_coordination",
    "hub_hours_dissemination", "hub_hours_partnership", "bridging_ties_start",
    "bridging_ties_end", "brokered_ties_added", "mean_exposure_end", "n_providers",
    "n_innovations",
)

#: How design points are chosen.
DESIGN_KINDS: tuple[str, ...] = ("grid", "list", "lhs", "sobol", "morris")

#: How a range parameter maps the unit interval to values.
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform", "integer")

#: The parameter key that varies the base scenario file itself.
SCENARIO_FACTOR = "scenario"

_frozen = dataclass(frozen=True, slots=True, kw_only=True)


@_frozen
class ExperimentSection:
    """The ``[experiment]`` table: what is run, how often, and how it is seeded."""

    name: str = param("experiment", "Short name used for the results folder and in reports")
    description: str = param("", "What the experiment asks, in a sentence or two")
    scenario: str = param("", "Base scenario TOML file, relative to the experiment file")
    replications: int = param(1, "Replications (independent random streams) per design point",
                              range=(1, 100_000))
    seed: int = param(1, "Root seed; every run's seeds derive from it and the run's indices",
                      range=(0, 2**63 - 1))
    counterfactual: bool = param(False, "Pair every run with a no-hub run on the same seeds and "
                                 "store both and their difference")
    common_random_numbers: bool = param(True, "Use the same random streams at every design "
                                        "point for a given replication (paired comparisons "
                                        "between points); false gives every point its own")


@_frozen
class ParameterConfig:
    """One ``[[parameters]]`` entry: a scenario key and the values it takes.

    Give either ``levels`` (a list of values; strings and booleans allowed) or ``low`` and
    ``high`` (a range, sampled through ``distribution``).
    """

    key: str = param("", "Dotted scenario key (e.g. 'hubs.*.core_fte'), or 'scenario' to vary "
                     "the base scenario file itself (levels = scenario files)")
    name: str = param("", "Column name in the results (default: the last part of the key)")
    levels: tuple[Any, ...] = param((), "Values to use (numbers, strings or booleans)")
    low: float = param(0.0, "Lower end of the range")
    high: float = param(0.0, "Upper end of the range")
    distribution: str = param("uniform", "How the range is sampled: uniform, loguniform or "
                              "integer (every integer in [low, high] equally likely)",
                              choices=DISTRIBUTIONS)
    linked: tuple[tuple[str, tuple[Any, ...]], ...] = param(
        (), "Other dotted keys that move with this one: (key, values) pairs, one value per "
        "level (written as a TOML table key -> array)")

    @property
    def is_range(self) -> bool:
        """Whether values come from ``low``/``high`` rather than ``levels``."""
        return not self.levels


@_frozen
class DesignConfig:
    """The ``[design]`` table: how design points are chosen."""

    kind: str = param("grid", "grid (every combination of levels), list (the i-th level of "
                      "every parameter makes point i), lhs (Latin hypercube), sobol "
                      "(Saltelli sampling for Sobol indices) or morris (elementary effects)",
                      choices=DESIGN_KINDS)
    points: int = param(0, "lhs: number of points; sobol: base sample N, a power of two, "
                        "giving N*(d+2) points (N*(2d+2) with second_order); morris: number of "
                        "trajectories r, giving r*(d+1) points. Not used by grid and list",
                        range=(0, 10_000_000))
    grid_levels: int = param(3, "Evenly spaced values taken by each range parameter in a grid",
                             range=(2, 10_000))
    second_order: bool = param(False, "sobol: also estimate second-order indices")
    morris_levels: int = param(4, "morris: levels of the grid trajectories move on",
                               range=(2, 100))


@_frozen
class OutputConfig:
    """The ``[output]`` table: what is stored for every run."""

    outcomes: tuple[str, ...] = param((), "Outcome columns to keep (empty: all); the first is "
                                      "the one the analysis plots first", choices=OUTCOMES)
    series: bool = param(False, "Also keep the adopted share per month and innovation (long "
                         "format) for fan charts")

    def kept(self) -> tuple[str, ...]:
        """The outcomes kept, in order."""
        return self.outcomes or OUTCOMES


@_frozen
class ExperimentConfig:
    """A complete experiment file."""

    experiment: ExperimentSection = param(ExperimentSection(), "What is run and how it is seeded")
    constants: tuple[tuple[str, Any], ...] = param(
        (), "Dotted scenario keys fixed for the whole experiment: (key, value) pairs (written as "
        "a TOML table)")
    parameters: tuple[ParameterConfig, ...] = param((), "The factors varied")
    design: DesignConfig = param(DesignConfig(), "How design points are chosen")
    output: OutputConfig = param(OutputConfig(), "What is stored per run")
