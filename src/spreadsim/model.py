"""SpreadModel: a Mesa model of innovation spread among the providers of an ICS.

The model owns provider state as ``(providers x innovations)`` numpy arrays and applies the rules
of :mod:`spreadsim.mechanisms` to all providers at once each month. Providers, hubs and
innovators are Mesa agents in ``model.agents``; hubs and innovators decide for themselves.

Randomness: one root seed and a replication index give independent child streams
(``SeedSequence(seed, spawn_key=(replication, stream))``) for the network, the population, the
provider dynamics (Mesa's ``model.rng``), hubs, innovators and shocks. Provider dynamics draw the
same-shaped uniforms every month whatever the hubs do, so a hub run and its no-hub counterfactual
share random numbers (common random numbers).
"""

from __future__ import annotations

from os import PathLike

import mesa
import numpy as np

from spreadsim import network as net
from spreadsim.agents import Hub, HubEffects, Innovator, create_providers
from spreadsim.config import KINDS, ScenarioConfig
from spreadsim.mechanisms import adoption as rules
from spreadsim.mechanisms import shocks as shock_rules
from spreadsim.population import (
    Skeleton,
    apply_attributes,
    draw_population,
    expand_innovations,
    generate_skeleton,
    susceptible_mask,
)

#: Child streams of a replication's seed, by purpose (the last spawn-key element).
STREAMS: dict[str, int] = {"network": 0, "population": 1, "dynamics": 2, "hubs": 3,
                           "innovators": 4, "shocks": 5}

#: Brokered ties weaker than this are forgotten.
MIN_TIE_WEIGHT = 0.05


def seed_streams(seed: int | np.random.SeedSequence,
                 replication: int = 0) -> dict[str, np.random.SeedSequence]:
    """Independent seed sequences per purpose for one replication of a root seed."""
    if isinstance(seed, np.random.SeedSequence):
        entropy, prefix = seed.entropy, tuple(seed.spawn_key)
    else:
        entropy, prefix = int(seed), ()
    return {name: np.random.SeedSequence(entropy, spawn_key=(*prefix, replication, k))
            for name, k in STREAMS.items()}


def _resolve_config(config: ScenarioConfig | str | PathLike | None,
                    overrides: dict[str, object]) -> ScenarioConfig:
    from spreadsim.loading import load_scenario, with_overrides

    if config is None:
        cfg = ScenarioConfig()
    elif isinstance(config, ScenarioConfig):
        cfg = config
    else:
        cfg = load_scenario(config)
    return with_overrides(cfg, overrides, source="SpreadModel keyword") if overrides else cfg


class SpreadModel(mesa.Model):
    """Innovation spread among the providers of one or more ICSs, with optional hubs.

    Args:
        config: A :class:`~spreadsim.config.ScenarioConfig`, a path to a scenario TOML file, or
            ``None`` for the built-in defaults.
        rng: Root seed (int or ``SeedSequence``); ``None`` uses ``config.seed``.
        replication: Replication index; with the root seed it picks the random streams.
        **overrides: Dotted scenario keys to change, e.g. ``{"adoption.q_peer": 0.05}`` or, as
            Python keywords, ``hubs__0__core_fte=4`` (validated like ``--set``).

    Example:
        >>> model = SpreadModel("scenarios/default_hub.toml", rng=1)
        >>> model.run_for(model.cfg.time.n_steps)
    """

    def __init__(self, config: ScenarioConfig | str | PathLike | None = None, *,
                 rng: int | np.random.SeedSequence | None = None, replication: int = 0,
                 **overrides: object) -> None:
        cfg = _resolve_config(config, overrides)
        seed = cfg.seed if rng is None else rng
        self.streams = seed_streams(seed, replication)
        super().__init__(rng=self.streams["dynamics"])
        self.cfg = cfg
        self.root_seed = seed.entropy if isinstance(seed, np.random.SeedSequence) else int(seed)
        self.replication = replication
        self.month = 0
        self._build()
        self.running = True
        self._record()

    # -- construction -------------------------------------------------------------------------
    def _build(self) -> None:
        cfg = self.cfg
        gen = {k: np.random.default_rng(v) for k, v in self.streams.items() if k != "dynamics"}
        skeleton, extra = self._skeleton()
        self.population = apply_attributes(draw_population(cfg, skeleton, gen["population"]), extra)
        self.provider_attributes = extra
        self.adjacency = self._network(skeleton, gen["network"])
        self.innovations = inn = expand_innovations(cfg)
        n, j = self.population.n, inn.n
        self.n_providers, self.n_innovations = n, j
        self.eligible = inn.eligible_kind[:, skeleton.kind].T & susceptible_mask(
            cfg.adoption.susceptible_share, (n, j), gen["population"])  # (N, J)
        self.state = np.where(self.eligible, rules.UNAWARE, rules.INELIGIBLE).astype(np.int8)
        self.entered = np.zeros((n, j), dtype=np.int32)
        self.ever_adopted = np.zeros((n, j), dtype=bool)
        self.adopted = np.zeros((n, j))
        self.exposure = np.zeros((n, j))
        self.endorsement = self.population.endorsement.copy()
        self.withdrawn = np.zeros(j, dtype=bool)
        self.cliff_until = np.full(n, -1, dtype=np.int64)
        self.innovator_push = np.zeros((n, j))
        self.effects = HubEffects.zeros(n, j)
        self.tie_a = self.tie_b = np.zeros(0, dtype=np.int64)
        self.tie_w = np.zeros(0)
        self.degree = (np.diff(self.adjacency.indptr) if self.adjacency is not None
                       else np.full(n, n - 1))
        self._base_bridging = self._count_bridging()
        self._set_tie_weight()
        self._all_eligible = bool(self.eligible.all())
        self._available = (inn.arrival <= 0) & ~self.withdrawn  # pairs live in month 0
        self._group = self._groups(skeleton)
        self._count_index = (np.arange(j)[None, :] * len(self._group[1])  # (N, J) bin of code 0
                             + self._group[0][:, None]) * rules.N_CODES
        self._single_bin = not self._count_index.any()  # one innovation, one group
        create_providers(self, n)  # registered in bulk (Mesa's one-by-one costs ~2 us each)
        self.innovator_agents = [
            Innovator(self, c, i, np.random.default_rng(
                np.random.SeedSequence(self.streams["innovators"].entropy,
                                       spawn_key=(*self.streams["innovators"].spawn_key, i))))
            for i, c in enumerate(cfg.innovators)]
        self.hub_agents = self._hubs()
        self._counts: list[np.ndarray] = []
        self._hub_log: list[tuple[int, int, np.ndarray, dict[str, float]]] = []
        self._net_log: list[tuple[int, float, float, float, float]] = []
        self.datacollector = mesa.DataCollector(model_reporters={
            "adopted_share": lambda m: m._shares[0],  # = m.adopted_share, from the counts
            "aware_share": lambda m: m._shares[1],  # = m.aware_share
            "hub_hours": lambda m: float(sum(h.hours.sum() for h in m.hub_agents)),
        })

    def _skeleton(self) -> tuple[Skeleton, dict[str, np.ndarray]]:
        if self.cfg.network.kind == "edge_list":
            return net.load_skeleton(self.cfg.network.nodes_file, self.cfg.network.place_column)
        return generate_skeleton(self.cfg), {}

    def _network(self, skeleton: Skeleton, rng: np.random.Generator):
        spec = self.cfg.network
        if spec.kind == "complete":
            return None
        if spec.kind == "edge_list":
            return net.load_edges(spec.edges_file, skeleton)
        if spec.kind == "small_world":
            return net.small_world(skeleton.n, int(spec.mean_degree), spec.rewiring, rng)
        return net.place_network(skeleton, spec, self.cfg.system.n_places, rng)

    def _groups(self, skeleton: Skeleton) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Group index per provider for the adoption table, and each group's kind and place."""
        detail = self.cfg.output.detail
        kind = skeleton.kind.astype(np.int64)
        place = skeleton.place.astype(np.int64) if detail == "kind_place" else np.zeros_like(kind)
        if detail == "none":
            kind = np.full_like(kind, -1)
        key = (place + 1) * (len(KINDS) + 1) + kind + 1
        uniq, inverse = np.unique(key, return_inverse=True)
        return inverse, uniq % (len(KINDS) + 1) - 1, uniq // (len(KINDS) + 1) - 1

    def _hubs(self) -> list[Hub]:
        sk, hubs = self.population.skeleton, []
        for h, hc in enumerate(self.cfg.hubs):
            systems = range(self.cfg.system.n_systems) if hc.per_system else [hc.system]
            for s in systems:
                local = sk.place - s * self.cfg.system.n_places
                in_scope = sk.system == s
                if hc.scope_places:
                    in_scope &= np.isin(local, hc.scope_places)
                if hc.scope_kinds:
                    in_scope &= np.isin(sk.kind, [KINDS.index(k) for k in hc.scope_kinds])
                ss = self.streams["hubs"]
                hub_rng = np.random.default_rng(np.random.SeedSequence(
                    ss.entropy, spawn_key=(*ss.spawn_key, h, s)))
                label = hc.name if not hc.per_system else f"{hc.name} ICS{s + 1:02d}"
                hubs.append(Hub(self, hc, np.flatnonzero(in_scope), hub_rng, label))
        return hubs

    # -- dynamics -----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month: shocks, hubs, innovators, then every provider at once."""
        self.month = month = self.steps - 1
        self._shocks(month)
        if self.hub_agents:  # else nothing writes to the zero effects made at build
            self.effects = HubEffects.zeros(self.n_providers, self.n_innovations)
        if self.innovator_agents:
            self.innovator_push.fill(0.0)
        for hub in self.hub_agents:
            hub.step()
        for innovator in self.innovator_agents:
            innovator.step()
        self._decay_ties()
        self._advance_providers(month)
        self._record()
        if self.steps >= self.cfg.time.n_steps:
            self.running = False

    def _shocks(self, month: int) -> None:
        for k, s in enumerate(self.cfg.shocks):
            if s.start_month != month:
                continue
            for hub in self.hub_agents:
                hub.budget_remaining *= 1.0 - s.budget_cut
                hub.inkind_available *= 1.0 - s.inkind_cut
                if s.endorsement_reset:  # new leaders: the hub must win endorsement again
                    hub.endorsed = hub._endorsement_sought = False
            # one generator per shock and purpose, so that hub-brokered ties (present only
            # with hubs) cannot shift the draws that both arms of a pair share
            base_rng, brokered_rng, endorse_rng = self._shock_generators(k)
            if s.tie_churn > 0:
                if self.adjacency is not None:
                    self.adjacency = net.drop_ties(self.adjacency, s.tie_churn, base_rng)
                    self._base_bridging = self._count_bridging()
                    self._set_tie_weight()
                keep = brokered_rng.random(len(self.tie_w)) >= s.tie_churn
                self.tie_a, self.tie_b, self.tie_w = (self.tie_a[keep], self.tie_b[keep],
                                                      self.tie_w[keep])
            if s.endorsement_reset:
                self.endorsement = (endorse_rng.random(self.n_providers)
                                    < self.population.endorsement_p)

    def _shock_generators(self, k: int) -> list[np.random.Generator]:
        """Generators for shock ``k``: network churn, brokered-tie churn, endorsement."""
        ss = self.streams["shocks"]
        return [np.random.default_rng(np.random.SeedSequence(
            ss.entropy, spawn_key=(*ss.spawn_key, k, purpose))) for purpose in range(3)]

    def _advance_providers(self, month: int) -> None:
        cfg, a, inn, fx = self.cfg, self.cfg.adoption, self.innovations, self.effects
        s = self.state
        # one uniform per pair and month decides whether a pair moves on; staged decisions need
        # a second for the outcome (adopt or reject, succeed or fail). The shapes never depend
        # on hubs, so a hub run and its counterfactual use the same numbers.
        u = self.rng.random((1 if a.instant else 2, self.n_providers, self.n_innovations))
        num, deg = rules.neighbour_sums(self.adjacency, self.adopted, self.eligible, self.tie_a,
                                        self.tie_b, self.tie_w, self._tie_weight)
        # num * (1 / deg): the reciprocal is kept while the ties do not change
        inv = self._inv_tie_weight if deg is self._tie_weight else rules.reciprocal(deg)
        self.exposure = exp = num * inv
        self._available = available = (inn.arrival <= month) & ~self.withdrawn
        new = s.copy()
        if self.hub_agents or self.innovator_agents:
            push = 1.0 - (1.0 - fx.push) * (1.0 - self.innovator_push)
        else:  # nothing pushes (adding 0.0 would change no value)
            push = 0.0
        if a.peer_rule == "count":
            p_aware = rules.awareness_probability_count(a.p_external, a.q_peer, num, push)
        else:
            p_aware = rules.awareness_probability(a.p_external, a.q_peer, exp, push)
        hit = (s == rules.UNAWARE) & (u[0] < p_aware)
        if not available.all():
            hit &= available
        new[hit] = rules.SUSTAINED if a.instant else rules.AWARE
        if not a.instant:
            self._decide(s, new, u, exp, available, month)
        sustained = s == rules.SUSTAINED if a.abandonment_monthly > 0 else None
        if sustained is not None and sustained.any():  # else the hazard is zero everywhere
            routine = (month - self.entered) >= a.routinised_after_months
            hazard = rules.abandonment_hazard(
                a.abandonment_monthly, a.abandonment_per_complex_domain, inn.complex_domains,
                routine, a.routinised_factor,
                cfg.hub_effects.coproduction_abandonment_cut * fx.coproduction,
                self.cliff_until > month, a.funding_cliff_multiplier)
            new[sustained & (u[0] < hazard)] = rules.ABANDONED
        changed = new != s
        self.entered[changed] = month + 1
        self.state = new
        adopted = rules.adopting(new)
        self.ever_adopted |= adopted
        self.adopted = adopted.astype(np.float64)

    def _decide(self, s: np.ndarray, new: np.ndarray, u: np.ndarray, exp: np.ndarray,
                available: np.ndarray, month: int) -> None:
        """Aware -> evaluating -> implementing -> sustained, with rejection and failure."""
        a, fx, inn, pop, eff = (self.cfg.adoption, self.cfg.hub_effects, self.innovations,
                                self.population, self.effects)
        slack = pop.slack * shock_rules.slack_multiplier(self.cfg.shocks, month)
        pace = shock_rules.activity_multiplier(self.cfg.shocks, month)
        support = eff.support
        col = lambda v: v[:, None]  # noqa: E731
        consider = pace * rules.consider_probability(a.consider_rate, slack, pop.tension, support)
        new[(s == rules.AWARE) & available & (u[0] < col(consider))] = rules.EVALUATING
        finish = pace * rules.completion_probability(a.evaluation_months
                                                     * (1 - fx.coordination_speedup * support))
        done = (s == rules.EVALUATING) & available & (u[0] < col(finish))
        # The rules below are evaluated only for the pairs they concern (r, c = provider,
        # innovation), which gives the same values as whole (N, J) arrays at a fraction of the cost.
        r, c = np.nonzero(done)
        if len(r):
            compat = np.clip(inn.compatibility[c] + fx.coproduction_compatibility
                             * eff.coproduction[c] + eff.fit_bonus[r], 0, 1)
            logit = rules.decision_logit(
                a, np.clip(inn.relative_advantage + eff.ra_bonus, 0, 1)[c], compat,
                inn.complexity[c], inn.trialability[c], inn.observability[c],
                inn.cost[c] * (1 - eff.relief[r]), inn.aligned[c],
                np.clip(pop.absorptive + eff.education, 0, 1)[r], slack[r], pop.tension[r],
                self.endorsement[r], pop.champion[r], exp[r, c], pop.threshold[r], support[r],
                pairs=True)
            adopt = u[1, r, c] < rules.logistic(logit)
            new[r[adopt], c[adopt]] = rules.IMPLEMENTING
            new[r[~adopt], c[~adopt]] = rules.REJECTED
        r, c = np.nonzero(s == rules.IMPLEMENTING)
        if len(r):
            months = a.implementation_months * (0.5 + inn.complexity[c]) * (
                1 - 0.5 * fx.coordination_speedup * support[r])
            done = u[0, r, c] < pace * rules.completion_probability(months)
            fail = u[1, r, c] < rules.failure_probability(
                a.failure_probability, inn.complexity[c], slack[r], support[r],
                fx.coordination_failure_cut)
            new[r[done & ~fail], c[done & ~fail]] = rules.SUSTAINED
            new[r[done & fail], c[done & fail]] = rules.FAILED
        new[(s == rules.REJECTED) & available & (u[0] < a.reconsider_rate)] = rules.AWARE

    # -- brokered ties ------------------------------------------------------------------------
    def add_brokered_ties(self, a: np.ndarray, b: np.ndarray) -> None:
        """Add hub-brokered ties of full strength (they decay unless renewed)."""
        self.tie_a = np.concatenate([self.tie_a, a.astype(np.int64)])
        self.tie_b = np.concatenate([self.tie_b, b.astype(np.int64)])
        self.tie_w = np.concatenate([self.tie_w, np.ones(len(a))])

    def _decay_ties(self) -> None:
        if len(self.tie_w):
            self.tie_w = self.tie_w * (1.0 - self.cfg.hub_effects.tie_decay)
            keep = self.tie_w >= MIN_TIE_WEIGHT
            self.tie_a, self.tie_b, self.tie_w = self.tie_a[keep], self.tie_b[keep], \
                self.tie_w[keep]

    def _set_tie_weight(self) -> None:
        """Cache the tie weight to eligible providers (N, J) and its reciprocal."""
        self._tie_weight = self._row_sums()
        self._inv_tie_weight = (rules.reciprocal(self._tie_weight)
                                if self._tie_weight is not None else None)

    def _row_sums(self) -> np.ndarray | None:
        """Tie weight of each provider to providers eligible for each innovation, (N, J)."""
        if self.adjacency is None:
            return None
        return self.adjacency @ self.eligible.astype(np.float64)

    def _count_bridging(self) -> int:
        if self.adjacency is None:
            return 0
        return int(net.bridging_mask(self.adjacency, self.population.skeleton).sum() // 2)

    # -- observation --------------------------------------------------------------------------
    @property
    def adopted_share(self) -> float:
        """Adopted (implementing or sustained) share of eligible pairs, over all innovations."""
        return float(self.adopted.sum() / max(self.eligible.sum(), 1))

    @property
    def aware_share(self) -> float:
        """Share of eligible pairs that are no longer unaware."""
        return float(((self.state != rules.UNAWARE) & self.eligible).sum()
                     / max(self.eligible.sum(), 1))

    def _record(self) -> None:
        n_groups = len(self._group[1])
        codes = self.state if self._single_bin else self._count_index + self.state
        counts = np.bincount(codes.ravel(), minlength=self.n_innovations * n_groups * rules.N_CODES)
        self._counts.append(counts.reshape(self.n_innovations, n_groups, rules.N_CODES)
                            .astype(np.int32))
        by_state = counts.reshape(-1, rules.N_CODES).sum(axis=0)
        eligible = max(by_state[: rules.INELIGIBLE].sum(), 1)
        self._shares = (float((by_state[rules.IMPLEMENTING] + by_state[rules.SUSTAINED])
                              / eligible),
                        float((by_state[: rules.INELIGIBLE].sum() - by_state[rules.UNAWARE])
                              / eligible))
        for k, hub in enumerate(self.hub_agents):
            self._hub_log.append((self.steps, k, hub.hours.copy(), dict(hub.record)))
        sk = self.population.skeleton
        brokered_bridging = ((sk.place[self.tie_a] != sk.place[self.tie_b])
                             | (sk.kind[self.tie_a] != sk.kind[self.tie_b])).sum() if len(
                                 self.tie_a) else 0
        base = self.adjacency.nnz // 2 if self.adjacency is not None else 0
        exp = self.exposure
        if self._all_eligible and self._available.all():  # every pair is live: no mask needed
            mean_exp = float(exp.sum()) / exp.size  # = exp.mean(), without its overhead
        else:
            live = self.eligible & self._available
            mean_exp = float(exp[live].mean()) if live.any() else 0.0
        self._net_log.append((self.steps, base + len(self.tie_w),
                              self._base_bridging + int(brokered_bridging), len(self.tie_w),
                              mean_exp))
        self.datacollector.collect(self)

    @property
    def counts(self) -> np.ndarray:
        """Recorded counts, shape ``(steps + 1, innovations, groups, 9)`` (last = ineligible)."""
        return np.stack(self._counts)
