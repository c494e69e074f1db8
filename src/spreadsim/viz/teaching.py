"""TeachingModel: the scenario model with the teaching app's controls as keyword parameters.

Mesa's SolaraViz rebuilds a model as ``type(model)(**control_values)`` when the user presses
Reset, so every control is a keyword parameter with a default. :class:`TeachingModel` maps them
onto the scenario with :func:`~spreadsim.loading.with_overrides` (validated like ``--set``) and
otherwise is a plain :class:`~spreadsim.model.SpreadModel`: the core model stays config-driven.
It adds data-collector columns for the views (shares by adoption state for every innovation, hub
hours by function) and a seeded, place-clustered layout of the providers.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np

import spreadsim
from spreadsim.config import FUNCTIONS, KINDS, STATES, ScenarioConfig
from spreadsim.errors import SpreadsimError
from spreadsim.loading import load_scenario, to_dict, with_overrides
from spreadsim.mechanisms.adoption import INELIGIBLE, N_CODES
from spreadsim.mechanisms.hub import ACTIVITY_FUNCTION
from spreadsim.model import SpreadModel
from spreadsim.viz.layout import place_layout

#: Scenario the app opens when none is given (in the project's scenarios/ folder).
DEFAULT_SCENARIO = "default_hub.toml"

#: Library scenario whose shocks each shock toggle adds (in the project's scenarios/ folder).
SHOCK_SCENARIOS: dict[str, str] = {
    "pandemic": "pandemic.toml",
    "spending_shortfall": "spending_shortfall.toml",
    "restructuring": "ics_restructuring.toml",
}

#: Largest scenario the live view accepts (drawing and stepping stay interactive below it).
MAX_PROVIDERS = 2000


@dataclass(frozen=True, slots=True)
class Control:
    """One control of the app: a keyword of :class:`TeachingModel` and the scenario key it sets.

    Attributes:
        name: Keyword parameter of :class:`TeachingModel`.
        label: Text next to the slider or checkbox.
        key: Dotted scenario key (``hubs.*`` sets every hub); ``""`` for the shock toggles.
        low, high, step: Slider range (teaching ranges, inside the config's documented ranges).
        scale: Scenario value = control value x scale (the budget is shown in GBP thousands).
        needs: What the scenario must have for the control to matter: ``"hub"``, ``"place"``
            (a generated, place-structured network), ``"stages"`` (anything shocks act on:
            decision stages, ties or a hub; not the fully mixed, instant Bass case) or ``""``.
    """

    name: str
    label: str
    key: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    scale: float = 1.0
    needs: str = ""

    @property
    def is_toggle(self) -> bool:
        """A checkbox (shock on or off) rather than a slider."""
        return not self.key

    def read(self, cfg: ScenarioConfig) -> Any:
        """The control's value in a scenario (``None`` if the scenario lacks what it needs)."""
        if self.is_toggle:
            return any(s.kind == self.name for s in cfg.shocks)
        if self.needs == "hub" and not cfg.hubs:
            return None
        node: Any = to_dict(cfg)
        for part in self.key.split("."):
            node = node[0] if part == "*" else node[part]
        return round(float(node) / self.scale, 6)


#: The app's controls, in the order shown. Ranges follow DOMAIN notes section 5.
CONTROLS: tuple[Control, ...] = (
    Control("coordination", "Hub effort: coordination", "hubs.*.effort.coordination",
            needs="hub"),
    Control("dissemination", "Hub effort: dissemination", "hubs.*.effort.dissemination",
            needs="hub"),
    Control("partnership", "Hub effort: partnerships", "hubs.*.effort.partnership",
            needs="hub"),
    Control("core_fte", "Hub core staff (FTE)", "hubs.*.core_fte", 0.0, 6.0, 0.5, needs="hub"),
    Control("inkind_fte", "In-kind staff from partners (FTE)", "hubs.*.inkind_fte", 0.0, 3.0,
            0.25, needs="hub"),
    Control("budget_k", "Hub budget (GBP thousands)", "hubs.*.budget_gbp", 0.0, 1000.0, 25.0,
            scale=1000.0, needs="hub"),
    Control("within_place_share", "Ties within a place (clustering)",
            "network.within_place_share", needs="place"),
    Control("bridging_preference", "Hub prefers bridging ties",
            "hub_effects.bridging_preference", needs="hub"),
    Control("p_external", "External influence p (per month)", "adoption.p_external", 0.0, 0.1,
            0.001),
    Control("q_peer", "Imitation q (per month)", "adoption.q_peer", 0.0, 1.0, 0.01),
    Control("pandemic", "Pandemic shock", "", needs="stages"),
    Control("spending_shortfall", "Spending shortfall", "", needs="stages"),
    Control("restructuring", "ICS restructuring", "", needs="stages"),
)

CONTROLS_BY_NAME: dict[str, Control] = {c.name: c for c in CONTROLS}

#: Range of the seed slider.
SEED_RANGE = (1, 100)


# --------------------------------------------------------------------------- scenarios


def scenario_dir() -> Path:
    """The project's ``scenarios/`` folder: beside ``src/`` in a checkout, else in the cwd."""
    here = Path(spreadsim.__file__).resolve().parents[2] / "scenarios"
    return here if here.is_dir() else Path.cwd() / "scenarios"


def default_scenario() -> Path:
    """Path of the app's default scenario (``scenarios/default_hub.toml``)."""
    path = Path("scenarios") / DEFAULT_SCENARIO
    return path if path.is_file() else scenario_dir() / DEFAULT_SCENARIO


def count_providers(cfg: ScenarioConfig) -> int:
    """Number of providers a scenario builds, without building it."""
    if cfg.network.kind == "edge_list":
        with open(cfg.network.nodes_file, encoding="utf-8-sig") as fh:
            return max(0, sum(1 for line in fh if line.strip()) - 1)
    per_ics = sum(getattr(cfg.providers, k).count for k in KINDS)
    return per_ics * cfg.system.n_systems


@functools.cache
def library_shocks(kind: str) -> tuple[dict[str, Any], ...]:
    """The shocks of kind ``kind`` in the library scenario for that toggle, as plain tables."""
    path = scenario_dir() / SHOCK_SCENARIOS[kind]
    if not path.is_file():
        raise SpreadsimError(f"{path}: not found; the '{kind}' toggle adds the shocks of this "
                             "library scenario")
    return tuple(to_dict(s) for s in load_scenario(path).shocks if s.kind == kind)


# --------------------------------------------------------------------------- controls -> config


def applicable_controls(cfg: ScenarioConfig) -> tuple[Control, ...]:
    """The controls that change something in this scenario."""
    bass_like = cfg.adoption.instant and cfg.network.kind == "complete" and not cfg.hubs
    has = {"": True, "hub": bool(cfg.hubs), "place": cfg.network.kind == "place",
           "stages": not bass_like}
    return tuple(c for c in CONTROLS if has[c.needs])


def teaching_config(cfg: ScenarioConfig, values: Mapping[str, Any]) -> ScenarioConfig:
    """Apply control values to a scenario.

    Args:
        cfg: The scenario the app was started with.
        values: Control name -> value; ``None`` keeps the scenario's value. Shock toggles add
            the library's shocks of that kind when on (unless the scenario has some) and remove
            every shock of that kind when off. Controls that do not apply to the scenario (hub
            controls without a hub) are ignored.

    Returns:
        The validated scenario.

    Raises:
        SpreadsimError: For an unknown control name or a value outside the config's ranges.
    """
    unknown = sorted(set(values) - set(CONTROLS_BY_NAME))
    if unknown:
        raise SpreadsimError(f"unknown teaching control(s): {', '.join(unknown)}")
    usable = {c.name for c in applicable_controls(cfg)}
    overrides: dict[str, Any] = {}
    shocks = [to_dict(s) for s in cfg.shocks]
    for name, value in values.items():
        control = CONTROLS_BY_NAME[name]
        if value is None or name not in usable:
            continue
        if control.is_toggle:
            present = any(s["kind"] == name for s in shocks)
            if value and not present:
                shocks += [dict(s) for s in library_shocks(name)]  # the cache stays intact
            elif not value:
                shocks = [s for s in shocks if s["kind"] != name]
        else:
            overrides[control.key] = float(value) * control.scale
    if len(shocks) != len(cfg.shocks) or any(
            s != to_dict(c) for s, c in zip(shocks, cfg.shocks, strict=False)):
        overrides["shocks"] = shocks
    return with_overrides(cfg, overrides, source="teaching app") if overrides else cfg


# --------------------------------------------------------------------------- Bass reference


def bass_curve(p: float, q: float, n_steps: int) -> np.ndarray:
    """The discrete Bass recursion as a share of the market: ``F(0) = 0``,
    ``F(t) = F(t-1) + (p + q F(t-1)) (1 - F(t-1))``.

    Returns:
        ``(n_steps + 1,)`` adopted shares.
    """
    f = np.zeros(n_steps + 1)
    for t in range(1, n_steps + 1):
        f[t] = f[t - 1] + min(1.0, p + q * f[t - 1]) * (1.0 - f[t - 1])
    return f


def bass_applies(cfg: ScenarioConfig, innovation: int) -> bool:
    """Whether an innovation's mean adoption curve is the Bass curve for the nominal p and q.

    That holds in the fully mixed, no-hub case: complete network, instant stages, no
    abandonment, no hub, no innovator marketing, no shock and an innovation available from the
    start (``scenarios/bass_classroom.toml``). Elsewhere p and q drive awareness, not adoption,
    and the curve would mislead.
    """
    inn = cfg.innovations[innovation] if innovation < len(cfg.innovations) else None
    return bool(cfg.adoption.instant and cfg.network.kind == "complete" and not cfg.hubs
                and not cfg.shocks and not cfg.innovators
                and cfg.adoption.abandonment_monthly == 0 and inn is not None
                and inn.arrival_month == 0 and inn.copies == 1)


# --------------------------------------------------------------------------- the model


@functools.lru_cache(maxsize=16)
def _cached_layout(place: bytes, kind: bytes, seed: int) -> np.ndarray:
    pos = place_layout(np.frombuffer(place, dtype=np.int64), np.frombuffer(kind, dtype=np.int64),
                       seed)
    pos.setflags(write=False)
    return pos


class TeachingModel(SpreadModel):
    """A :class:`~spreadsim.model.SpreadModel` driven by the teaching app's controls.

    Args:
        scenario_file: Scenario TOML path, a :class:`~spreadsim.config.ScenarioConfig`, or
            ``None`` for ``scenarios/default_hub.toml``.
        seed: Root seed of the run (replication 0), as in ``spreadsim run --seed``.
        coordination, dissemination, partnership: Hub effort weights (normalised to sum 1).
        core_fte, inkind_fte: Hub staff, in FTE.
        budget_k: Hub budget, in GBP thousands.
        within_place_share: Share of ties within a place (network clustering).
        bridging_preference: Share of hub-brokered ties that bridge places or kinds.
        p_external, q_peer: Monthly external influence (Bass p) and imitation (Bass q).
        pandemic, spending_shortfall, restructuring: Shocks of that kind on or off.

    Every control left at ``None`` keeps the scenario's value; hub controls are ignored when the
    scenario has no hub. Set values apply to every hub of the scenario.

    Attributes:
        base_cfg: The scenario before the controls were applied.
        positions: ``(N, 2)`` provider positions in [-1, 1]^2 (seeded by the scenario's seed,
            so they stay put when the run's seed or a control changes).
    """

    def __init__(self, scenario_file: str | os.PathLike[str] | ScenarioConfig | None = None, *,
                 seed: int = 1, coordination: float | None = None,
                 dissemination: float | None = None, partnership: float | None = None,
                 core_fte: float | None = None, inkind_fte: float | None = None,
                 budget_k: float | None = None, within_place_share: float | None = None,
                 bridging_preference: float | None = None, p_external: float | None = None,
                 q_peer: float | None = None, pandemic: bool | None = None,
                 spending_shortfall: bool | None = None,
                 restructuring: bool | None = None) -> None:
        base = (scenario_file if isinstance(scenario_file, ScenarioConfig)
                else load_scenario(scenario_file or default_scenario()))
        values = {"coordination": coordination, "dissemination": dissemination,
                  "partnership": partnership, "core_fte": core_fte, "inkind_fte": inkind_fte,
                  "budget_k": budget_k, "within_place_share": within_place_share,
                  "bridging_preference": bridging_preference, "p_external": p_external,
                  "q_peer": q_peer, "pandemic": pandemic,
                  "spending_shortfall": spending_shortfall, "restructuring": restructuring}
        self.base_cfg = base
        self._viz_shares_step = -1
        self._viz_shares = np.zeros((0, len(STATES)))
        super().__init__(teaching_config(base, values), rng=int(seed))
        sk = self.population.skeleton
        self.positions = _cached_layout(sk.place.astype(np.int64).tobytes(),
                                        sk.kind.astype(np.int64).tobytes(), base.seed)
        self.datacollector = mesa.DataCollector(model_reporters={
            **self.datacollector.model_reporters, **self._teaching_reporters()})
        self.datacollector.collect(self)

    # -- data for the views -------------------------------------------------------------------
    def _teaching_reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {}
        for j in range(self.n_innovations):
            for s, state in enumerate(STATES):
                reporters[share_column(j, state)] = (
                    lambda m, j=j, s=s: float(m.state_shares()[j, s]))
        for f, function in enumerate(FUNCTIONS):
            reporters[f"hours_{function}"] = lambda m, f=f: float(m.hours_by_function()[f])
        reporters["hours_available"] = lambda m: m.hub_record_sum("hours_available")
        reporters["hours_lost"] = lambda m: m.hub_record_sum("hours_lost")
        return reporters

    def state_shares(self) -> np.ndarray:
        """``(innovations, 8)`` share of eligible providers in each state, now."""
        if self._viz_shares_step != self.steps:
            codes = self.state.astype(np.intp) + N_CODES * np.arange(self.n_innovations)
            counts = np.bincount(codes.ravel(), minlength=N_CODES * self.n_innovations)
            counts = counts.reshape(self.n_innovations, N_CODES)[:, :INELIGIBLE]
            total = counts.sum(axis=1, keepdims=True)
            self._viz_shares = counts / np.maximum(total, 1)
            self._viz_shares_step = self.steps
        return self._viz_shares

    def hours_by_function(self) -> np.ndarray:
        """Hub hours this month by function (all hubs), summing to the usable hours."""
        out = np.zeros(len(FUNCTIONS))
        for hub in self.hub_agents:
            usable = hub.record.get("hours_available", 0.0) - hub.record.get("hours_lost", 0.0)
            split = np.bincount(ACTIVITY_FUNCTION, hub.hours, len(FUNCTIONS))
            if split.sum() > 0:
                out += usable * split / split.sum()
        return out

    def hub_record_sum(self, key: str) -> float:
        """Sum of one of the hubs' monthly records (0 before the first step or with no hub)."""
        return float(sum(h.record.get(key, 0.0) for h in self.hub_agents))

    @property
    def control_values(self) -> dict[str, Any]:
        """Each applicable control's value in the scenario this model runs."""
        return {c.name: c.read(self.cfg) for c in applicable_controls(self.cfg)}


def share_column(innovation: int, state: str) -> str:
    """Data-collector column of the share of eligible providers in ``state``."""
    return f"share_{innovation}_{state}"


def slider_value(control: Control, value: float) -> float:
    """Snap a scenario value onto the control's slider grid and range."""
    snapped = round(value / control.step) * control.step
    return float(min(control.high, max(control.low, round(snapped, 10))))

