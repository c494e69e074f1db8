"""Mesa agents: providers (thin views of model arrays), hubs and innovators (own decisions).

Providers hold only their index; their attributes and per-innovation states are read from the
model's arrays, which the vectorised rules update for all providers at once. Hubs and innovators
are few and make their own monthly decisions in :meth:`step`, writing their effects into the
model's :class:`HubEffects` arrays.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from spreadsim.config import KINDS, STATES, HubConfig, InnovatorConfig
from spreadsim.mechanisms import hub as rules
from spreadsim.mechanisms.adoption import INELIGIBLE
from spreadsim.mechanisms.shocks import under_pressure

if TYPE_CHECKING:
    from spreadsim.model import SpreadModel


@dataclass(slots=True)
class HubEffects:
    """What all hubs do to providers and innovations this month (reset every step)."""

    push: np.ndarray  # (N, J) awareness probability
    support: np.ndarray  # (N,) coordination support in [0, 1]
    relief: np.ndarray  # (N,) share of cost relieved
    fit_bonus: np.ndarray  # (N,) compatibility bonus from flexible effort
    education: np.ndarray  # (N,) absorptive-capacity bonus
    ra_bonus: np.ndarray  # (J,) relative advantage from tools for innovators
    coproduction: np.ndarray  # (J,) co-production level in [0, 1]

    @classmethod
    def zeros(cls, n: int, j: int) -> HubEffects:
        """No effect at all."""
        return cls(np.zeros((n, j)), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
                   np.zeros(j), np.zeros(j))


def _combine(current: np.ndarray, idx: np.ndarray, new: np.ndarray) -> None:
    """Combine independent chances in place: ``1 - (1 - a)(1 - b)`` on rows ``idx``."""
    current[idx] = 1.0 - (1.0 - current[idx]) * (1.0 - new)


#: Known providers a hub considers when brokering one tie (it takes the first that fits).
BROKER_CANDIDATES = 16


class Provider(mesa.Agent):
    """An NHS or social care provider organisation; its state lives in the model's arrays."""

    def __init__(self, model: SpreadModel, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def name(self) -> str:
        """Provider id (from the scenario layout or the user's nodes file)."""
        return str(self.model.population.skeleton.ids[self.index])

    @property
    def kind(self) -> str:
        """Provider kind, one of :data:`spreadsim.config.KINDS`."""
        return KINDS[self.model.population.skeleton.kind[self.index]]

    @property
    def place(self) -> str:
        """Label of the provider's place."""
        sk = self.model.population.skeleton
        return sk.place_labels[sk.place[self.index]]

    @property
    def states(self) -> dict[str, str]:
        """Adoption state for each innovation (``"ineligible"`` where it cannot adopt)."""
        row = self.model.state[self.index]
        return {name: ("ineligible" if s == INELIGIBLE else STATES[s])
                for name, s in zip(self.model.innovations.names, row, strict=True)}

    @property
    def n_adopted(self) -> int:
        """Number of innovations this provider is implementing or sustaining."""
        return int(self.model.adopted[self.index].sum())


def create_providers(model: SpreadModel, n: int) -> None:
    """Create the model's ``n`` Provider agents (indices ``0 .. n-1``), registered with Mesa.

    Mesa registers agents one at a time (``Agent.__init__`` calls ``Model.register_agent``,
    which emits a signal and formats a debug message): about 2 us per agent, more than the
    vectorised rules of a 10,000-provider model spend in 100 steps. Providers are therefore
    registered in one go: the same agents, ``unique_id`` values (in index order) and agent sets
    (``model.agents``, ``model.agents_by_type[Provider]``) as one-by-one creation, without the
    per-agent ``AGENT_ADDED`` signal (no one can observe a model before it is built). If Mesa's
    registry is not the shape expected (another Mesa version), providers are created one by one.
    """
    registry = getattr(model, "_all_agents", None)
    by_type = getattr(model, "_agents_by_type", None)
    first = getattr(model, "agent_id_counter", None)
    if not (isinstance(getattr(registry, "_agents", None), dict) and isinstance(by_type, dict)
            and isinstance(first, int) and Provider not in by_type and not Provider._datasets):
        for i in range(n):
            Provider(model, i)
        return
    agents = []
    new = object.__new__
    collecting = gc.isenabled()
    gc.disable()  # else the cyclic collector rescans the growing heap: 3x slower at 100,000
    try:
        for i in range(n):  # what Agent.__init__ and Model.register_agent set, in bulk
            agent = new(Provider)  # attributes set one by one are stored inline, no dict
            agent.model = model
            agent.unique_id = first + i
            agent.pos = None
            agent.index = i
            agents.append(agent)
    finally:
        if collecting:
            gc.enable()
    model.agent_id_counter = first + n
    registry._agents.update(dict.fromkeys(agents))
    by_type[Provider] = type(registry)(agents, random=model.random)


class Innovator(mesa.Agent):
    """Owns innovations, markets them to providers it knows, exits if no one adopts in time."""

    def __init__(self, model: SpreadModel, cfg: InnovatorConfig, index: int,
                 rng: np.random.Generator) -> None:
        super().__init__(model)
        self.cfg = cfg
        self.index = index
        self.innovations = np.flatnonzero(model.innovations.innovator == index)
        self.runway = float(cfg.runway_months)
        self.alive = True
        self.established = False  # some provider has adopted one of its innovations
        eligible = model.eligible[:, self.innovations].any(axis=1) if len(
            self.innovations) else np.zeros(model.n_providers, bool)
        pool = np.flatnonzero(eligible)
        k = min(cfg.n_contacts, len(pool))
        self.contacts = np.zeros(model.n_providers, dtype=bool)
        self.contacts[rng.choice(pool, size=k, replace=False) if k else []] = True

    def step(self) -> None:
        """Burn runway until a first adoption; market to known providers while alive."""
        m = self.model
        arrived = m.innovations.arrival[self.innovations] <= m.month
        if not self.alive or not arrived.any():
            return
        if not self.established and m.ever_adopted[:, self.innovations].any():
            self.established = True
        if not self.established:
            self.runway -= 1.0
            if self.runway <= 0:
                self.alive = False
                m.withdrawn[self.innovations] = True
                return
        live = self.innovations[arrived]
        m.innovator_push[np.flatnonzero(self.contacts)[:, None], live] = self.cfg.marketing_rate

    def extend_runway(self, months: float) -> None:
        """Hub bespoke support buys the innovator more time."""
        if self.alive and not self.established:
            self.runway += months


class Hub(mesa.Agent):
    """An Innovation Hub: decides each month how its hours go and what they achieve."""

    def __init__(self, model: SpreadModel, cfg: HubConfig, scope: np.ndarray,
                 rng: np.random.Generator, label: str) -> None:
        super().__init__(model)
        self.cfg = cfg
        self.label = label
        self.hub_rng = rng
        self.scope = scope  # provider indices the hub covers
        self.priority = self._priority_order()  # positions in scope, mapping order
        self.n_mapped = int(round(cfg.mapped_share * len(scope)))
        self.trust = np.full(len(scope), cfg.initial_trust)
        self.education = np.zeros(len(scope))
        j = model.innovations.n
        self.engagement_hours = np.zeros(j)
        self.tool_hours = np.zeros(j)
        self.budget_remaining = cfg.budget_gbp
        self.spent = 0.0
        self.inkind_available = 1.0
        self.endorsed = False  # ICS endorsement held (protects in-kind time)
        self._endorsement_sought = False
        self.worked = False  # has had usable hours at some point (else no funding cliff)
        self.cost_month = cfg.cost_per_fte_year / 12.0
        self.ties_added = 0
        self.hours = np.zeros(len(rules.ACTIVITY_NAMES))
        self._core = self._inkind = self._available = self._lost = 0.0
        self.record: dict[str, float] = self._status()
        self._effort_shares = cfg.effort.shares()  # the config is frozen: read once
        self._activity_mix = {a: getattr(cfg.activities, a) for a in rules.ACTIVITY_NAMES}

    def _priority_order(self) -> np.ndarray:
        """Order in which the hub maps in-scope providers (its targeting strategy)."""
        m, n = self.model, len(self.scope)
        if self.cfg.targeting == "most_connected":
            return np.argsort(-m.degree[self.scope], kind="stable")
        if self.cfg.targeting == "least_served":
            pop = m.population
            need = pop.absorptive[self.scope] + pop.slack[self.scope]
            return np.argsort(need, kind="stable")
        return self.hub_rng.permutation(n)

    @property
    def mapped(self) -> np.ndarray:
        """Provider indices the hub knows (and so can work with)."""
        return self.scope[self.priority[: self.n_mapped]]

    @property
    def funded(self) -> bool:
        """Within the funding period and with money left."""
        return self.model.month < self.cfg.funding_months and self.budget_remaining > 0

    # -- monthly decision ---------------------------------------------------------------------
    def step(self) -> None:
        """Work out this month's hours, split them, and apply each activity's effect."""
        month = self.model.month
        self._pressure(month)
        usable = self._hours(month)
        self.worked = self.worked or usable > 0
        if (month == self.cfg.funding_months and self.cfg.post_funding_core_fte == 0
                and self.worked):
            self.model.cliff_until[self.mapped] = month + int(self.model.cfg.adoption
                                                              .funding_cliff_months)
        fx = self.model.cfg.hub_effects
        self.hours = rules.split_hours(usable, self._effort_shares, self._activity_mix)
        if usable > 0:
            # structured (portfolio) effort goes further than answering local requests
            gain = self.cfg.structure_share * fx.structure_efficiency + 1 - self.cfg.structure_share
            self._act(dict(zip(rules.ACTIVITY_NAMES, self.hours * gain, strict=True)))
        else:  # no contact: relationships and the education gain fade
            pos = self.priority[: self.n_mapped]
            self.trust[pos] *= 1.0 - fx.trust_decay
            self.education *= 1.0 - fx.education_decay
        self._lasting_effects()
        self.record = self._status()

    def _status(self) -> dict[str, float]:
        """The hub's state this month, as recorded in the ``hub_status`` table."""
        return {"hours_available": self._available, "hours_lost": self._lost,
                "core_fte": self._core, "inkind_fte": self._inkind,
                "budget_remaining": self.budget_remaining, "spent": self.spent,
                "mapped_share": self.n_mapped / max(len(self.scope), 1),
                "mean_trust": float(self.trust[self.priority[: self.n_mapped]].mean())
                if self.n_mapped else 0.0,
                "ties_added": float(self.ties_added)}

    def _lasting_effects(self) -> None:
        """Effects that outlive the hours that built them: providers' education gain,
        co-production and innovator tools (applied every month, also after funding ends)."""
        fx, eff = self.model.cfg.hub_effects, self.model.effects
        eff.education[self.scope] += self.education
        eff.coproduction[:] = np.maximum(eff.coproduction, rules.saturate(
            self.engagement_hours, fx.coproduction_h50))
        eff.ra_bonus[:] = np.maximum(eff.ra_bonus, fx.tools_relative_advantage
                                     * rules.saturate(self.tool_hours, fx.tools_h50))

    def _pressure(self, month: int) -> None:
        if under_pressure(self.model.cfg.shocks, month):
            p = self.cfg.inkind_withdrawal_probability * (0.5 if self.endorsed else 1.0)
            if self.hub_rng.random() < p:
                self.inkind_available *= 0.5
        else:
            self.inkind_available += self.cfg.inkind_recovery * (1 - self.inkind_available)

    def _hours(self, month: int) -> float:
        """Hours available this month, after role overlap; spends the budget."""
        cfg = self.cfg
        if self.funded:
            core, pay, non_pay = rules.monthly_spend(self.budget_remaining,
                                                     cfg.funding_months - month, cfg.core_fte,
                                                     self.cost_month)
            self.budget_remaining -= pay + non_pay
            self.spent += pay + non_pay
            backfill = non_pay / self.cost_month * self.model.cfg.hub_effects.nonpay_efficiency
            inkind = cfg.inkind_fte * self.inkind_available
        else:  # after funding: partners may keep a core team (and their in-kind time)
            core, backfill = cfg.post_funding_core_fte, 0.0
            self.spent += core * self.cost_month
            inkind = cfg.inkind_fte * self.inkind_available if core > 0 else 0.0
        self._core, self._inkind = core, inkind
        self._available = (core + backfill + inkind) * cfg.hours_per_fte_month
        self._lost = self._available * rules.role_overlap(cfg.role_overlap,
                                                          cfg.role_clarity_halving_months, month)
        return self._available - self._lost

    def _act(self, h: dict[str, float]) -> None:
        m, fx = self.model, self.model.cfg.hub_effects
        if self.cfg.early_endorsement and not self._endorsement_sought:
            self._endorse()
        coord = h["tools_for_innovators"] + h["bespoke_innovator_support"] + h["signposting"]
        # mapping the ecosystem: coordination hours find unknown in-scope providers
        unknown = len(self.scope) - self.n_mapped
        expected = min(unknown, fx.mapping_per_hour * coord * unknown)
        self.n_mapped += int(expected) + int(self.hub_rng.random() < expected - int(expected))
        if self.n_mapped == 0:
            return
        pos = self.priority[: self.n_mapped]
        idx = self.scope[pos]
        n_map = len(idx)
        diss = h["educational_offer"] + h["public_patient_engagement"]
        contact = (diss + h["networking_partnership_building"]) / n_map
        self.trust[pos] = rules.trust_update(self.trust[pos], contact, fx.trust_gain_per_hour,
                                             fx.trust_decay)
        tau = self.trust[pos]
        active = (m.innovations.arrival <= m.month) & ~m.withdrawn
        w = rules.innovation_weights(active, m.innovations.aligned, self.cfg.structure_share)
        eff = m.effects
        # dissemination: awareness push, shared across innovations by portfolio weights
        push = fx.dissemination_max * rules.saturate(diss * w[None, :] / n_map,
                                                     fx.dissemination_h50) * tau[:, None]
        _combine(eff.push, idx, push * m.eligible[idx])
        # coordination: matching support, signposting relief, flexible-effort fit
        support = rules.saturate(coord / n_map, fx.coordination_h50) * tau
        _combine(eff.support, idx, support)
        _combine(eff.relief, idx, fx.signposting_cost_relief * tau
                 * rules.saturate(h["signposting"] / n_map, fx.signposting_h50))
        eff.fit_bonus[idx] += fx.flexibility_fit_bonus * (1 - self.cfg.structure_share) * support
        # educational offer: absorptive capacity stock
        self.education[pos] = rules.education_update(
            self.education[pos], h["educational_offer"] / n_map, fx.education_gain,
            fx.education_h50, fx.education_decay, tau)
        # engagement (co-production) and tools accumulate per innovation
        self.engagement_hours += h["public_patient_engagement"] * w
        self.tool_hours += h["tools_for_innovators"] * w
        self._support_innovators(h["bespoke_innovator_support"])
        self._broker(h["networking_partnership_building"], idx)

    def _endorse(self) -> None:
        m = self.model
        won = ~m.endorsement[self.scope] & (
            self.hub_rng.random(len(self.scope)) < m.cfg.hub_effects.endorsement_boost)
        m.endorsement[self.scope[won]] = True
        self.endorsed = self._endorsement_sought = True

    def _support_innovators(self, hours: float) -> None:
        living = [inv for inv in self.model.innovator_agents if inv.alive and not inv.established]
        if not living or hours <= 0:
            return
        gain = self.model.cfg.hub_effects.runway_months_per_10h * hours / 10.0 / len(living)
        for inv in living:
            inv.extend_runway(gain)

    def _broker(self, hours: float, idx: np.ndarray) -> None:
        """Broker new ties among known providers, preferring bridging ones."""
        fx, m = self.model.cfg.hub_effects, self.model
        expected = hours / fx.hours_per_tie
        n_new = int(expected) + int(self.hub_rng.random() < expected - int(expected))
        if n_new == 0 or len(idx) < 2:
            return
        sk = m.population.skeleton
        # idx[integers(...)] is what Generator.choice(idx, size) draws, without its overhead
        a = idx[self.hub_rng.integers(0, len(idx), n_new)]
        cand = idx[self.hub_rng.integers(0, len(idx), (n_new, BROKER_CANDIDATES))]
        bridge = (sk.place[cand] != sk.place[a][:, None]) | (sk.kind[cand] != sk.kind[a][:, None])
        want = self.hub_rng.random(n_new) < fx.bridging_preference
        ok = np.where(want[:, None], bridge, ~bridge) & (cand != a[:, None])
        # the first suitable candidate; with none suitable the hours find no partner this month
        b = cand[np.arange(n_new), ok.argmax(axis=1)]
        keep = ok.any(axis=1)
        self.ties_added += int(keep.sum())
        m.add_brokered_ties(a[keep], b[keep])
        link = (self.hub_rng.random(n_new) < fx.innovator_link_share) & keep
        partners = [inv for inv in m.innovator_agents if inv.alive]
        if partners and link.any():
            for k in np.flatnonzero(link):
                partners[int(self.hub_rng.integers(len(partners)))].contacts[a[k]] = True
