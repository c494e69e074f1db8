"""Scenario configuration: frozen dataclasses with documented defaults, units and ranges.

Every field is declared with :func:`param`, whose metadata (``doc``, ``unit``, ``range``,
``choices``, ``source``) drives validation in :mod:`spreadsim.loading`, the parameter tables in
``docs/ODD.md`` and the slider bounds of the teaching app. Configs are immutable; change them with
:func:`spreadsim.loading.with_overrides`, which re-validates.

Numbers marked *assumption* are priors to sweep, not estimates (see DOMAIN notes, section 5).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

#: Provider kinds, in the order used for array indices and tables.
KINDS: tuple[str, ...] = (
    "acute",
    "mental_health",
    "community",
    "ambulance",
    "pcn",
    "gp_practice",
    "social_care",
)

#: Adoption states of one provider for one innovation, in array-code order.
STATES: tuple[str, ...] = (
    "unaware",
    "aware",
    "evaluating",
    "implementing",
    "sustained",
    "rejected",
    "failed",
    "abandoned",
)

#: The three hub functions found by RAND Europe's evaluation.
FUNCTIONS: tuple[str, ...] = ("coordination", "dissemination", "partnership")

#: The six activity types, each delivering one function.
ACTIVITIES: dict[str, str] = {
    "tools_for_innovators": "coordination",
    "bespoke_innovator_support": "coordination",
    "signposting": "coordination",
    "educational_offer": "dissemination",
    "public_patient_engagement": "dissemination",
    "networking_partnership_building": "partnership",
}

SHOCK_KINDS: tuple[str, ...] = ("pandemic", "spending_shortfall", "restructuring")
TARGETING: tuple[str, ...] = ("random", "most_connected", "least_served")
NETWORK_KINDS: tuple[str, ...] = ("place", "complete", "edge_list", "small_world")
PEER_RULES: tuple[str, ...] = ("share", "count")
DETAIL_LEVELS: tuple[str, ...] = ("kind_place", "kind", "none")

_INF = float("inf")


def param(
    default: Any,
    doc: str,
    *,
    unit: str = "",
    range: tuple[float, float] | None = None,  # noqa: A002 - mirrors the metadata key
    choices: tuple[str, ...] | None = None,
    source: str = "assumption",
) -> Any:
    """Declare a config field with its documentation and allowed values.

    Args:
        default: Default value (a tuple, dataclass or other immutable value).
        doc: One-line description shown in docs and error messages.
        unit: Unit of measurement, if any.
        range: Inclusive ``(low, high)`` bounds for numbers (and for the elements of number tuples).
        choices: Allowed strings (and allowed elements of string tuples).
        source: Where the default comes from, or ``"assumption"``.
    """
    meta = {"doc": doc, "unit": unit, "range": range, "choices": choices, "source": source}
    if dataclasses.is_dataclass(default) or isinstance(default, (tuple, list)):
        value = default
        return field(default_factory=lambda: value, metadata=meta)
    return field(default=default, metadata=meta)


_frozen = dataclass(frozen=True, slots=True, kw_only=True)


@_frozen
class TimeConfig:
    """Simulation horizon."""

    n_steps: int = param(84, "Months simulated (one step = one month)", unit="months",
                         range=(1, 600), source="DOMAIN 5: T_end = 84 [60-120]")


@_frozen
class SystemConfig:
    """Shape of the system: integrated care systems and the places within each."""

    n_systems: int = param(1, "Number of integrated care systems (ICSs) simulated together",
                           range=(1, 42), source="42 ICSs in England (King's Fund 2022)")
    n_places: int = param(4, "Places (localities) per ICS", range=(1, 50),
                          source="assumption; Greater Manchester has 10 localities")
    population_thousands: float = param(1200.0, "Population of one ICS", unit="thousand people",
                                        range=(1.0, 10000.0),
                                        source="DOMAIN 2.2: 1.2m [0.5m-3.1m]")


@_frozen
class ProviderKindConfig:
    """How many providers of one kind each ICS has, and how their attributes are drawn.

    Attributes are drawn per provider from Beta distributions with the given means and the
    concentration ``attribute_concentration`` of :class:`ProvidersConfig`.
    """

    count: int = param(0, "Providers of this kind per ICS", range=(0, 100_000))
    slack: float = param(0.25, "Mean slack (capacity for change)", unit="share", range=(0.0, 1.0))
    absorptive_capacity: float = param(0.5, "Mean absorptive capacity", unit="share",
                                       range=(0.0, 1.0))
    tension_for_change: float = param(0.5, "Mean tension for change", unit="share",
                                      range=(0.0, 1.0))
    endorsement: float = param(0.4, "Probability that leadership endorses innovation work",
                               unit="probability", range=(0.0, 1.0))
    champion: float = param(0.2, "Probability of having an innovation champion",
                            unit="probability", range=(0.0, 1.0))


def _kind(count: int, slack: float, absorptive: float, endorsement: float,
          champion: float) -> ProviderKindConfig:
    return ProviderKindConfig(count=count, slack=slack, absorptive_capacity=absorptive,
                              endorsement=endorsement, champion=champion)


@_frozen
class ProvidersConfig:
    """Provider organisations per ICS, by kind (trusts, primary care, social care)."""

    acute: ProviderKindConfig = param(_kind(2, 0.25, 0.6, 0.5, 0.3),
                                      "Acute trusts", source="DOMAIN 2.2: ~2 acute per ICS")
    mental_health: ProviderKindConfig = param(_kind(1, 0.25, 0.5, 0.5, 0.3),
                                              "Mental health trusts", source="DOMAIN 2.2")
    community: ProviderKindConfig = param(_kind(1, 0.3, 0.5, 0.5, 0.3), "Community trusts",
                                          source="DOMAIN 2.2")
    ambulance: ProviderKindConfig = param(_kind(1, 0.2, 0.5, 0.5, 0.2), "Ambulance trusts",
                                          source="DOMAIN 2.2: one shared by ~4 ICSs")
    pcn: ProviderKindConfig = param(_kind(30, 0.2, 0.4, 0.3, 0.2),
                                    "Primary care networks (default primary-care unit)",
                                    source="DOMAIN 2.2: ~30 PCNs per ICS (1,250/42)")
    gp_practice: ProviderKindConfig = param(_kind(0, 0.15, 0.35, 0.3, 0.15),
                                            "GP practices (alternative primary-care unit)",
                                            source="DOMAIN 2.2: ~150 per ICS (6,419/42)")
    social_care: ProviderKindConfig = param(_kind(20, 0.1, 0.3, 0.2, 0.1),
                                            "Social care providers (aggregated)",
                                            source="DOMAIN 2.2: 10-50 aggregated agents")
    attribute_concentration: float = param(8.0, "Beta concentration of provider attributes "
                                           "(higher = less spread around the kind mean)",
                                           range=(0.5, 1000.0))


@_frozen
class NetworkConfig:
    """The provider network through which peer influence flows."""

    kind: str = param("place", "Network generator: place-structured, complete (fully mixed, "
                      "exposure = adopted share of all eligible providers), a user edge list, or "
                      "a Watts-Strogatz small world over all providers (ignores places)",
                      choices=NETWORK_KINDS)
    mean_degree: float = param(6.0, "Mean number of ties per provider (place generator; the "
                               "small_world ring lattice uses it rounded down to an even k)",
                               unit="ties", range=(0.0, 1000.0))
    rewiring: float = param(0.1, "Share of ring-lattice ties rewired to a random provider "
                            "(small_world generator)", unit="share", range=(0.0, 1.0),
                            source="Watts & Strogatz (1998), Nature 393:440")
    within_place_share: float = param(0.8, "Share of ties that stay within a provider's place",
                                      unit="share", range=(0.0, 1.0))
    within_kind_share: float = param(0.5, "Share of within-place ties that stay within the "
                                     "provider's kind", unit="share", range=(0.0, 1.0))
    cross_system_share: float = param(0.02, "Share of between-place ties that cross to another "
                                      "ICS (only with n_systems > 1)", unit="share",
                                      range=(0.0, 1.0))
    nodes_file: str = param("", "Providers CSV (id, kind, place, ...) for kind = 'edge_list'")
    edges_file: str = param("", "Ties CSV (source, target[, weight]) for kind = 'edge_list'")
    place_column: str = param("place", "Column of the nodes file that names each provider's "
                              "place (e.g. 'town'); without it all providers share one place")


@_frozen
class AdoptionConfig:
    """How providers become aware of, evaluate, implement, sustain and abandon innovations."""

    p_external: float = param(0.006, "Monthly chance of awareness from background sources "
                              "(Bass p analogue)", unit="1/month", range=(0.0, 1.0),
                              source="assumption, tuned so the no-hub default is near the Bass "
                              "prior p = 0.03/yr, q = 0.38/yr (DOMAIN 4.2); DOMAIN 5 suggests "
                              "0.0025 for awareness alone")
    q_peer: float = param(0.08, "Monthly chance of awareness per unit of exposure to adopting "
                          "neighbours (Bass q analogue)", unit="1/month", range=(0.0, 1.0),
                          source="assumption, tuned with p_external (Bass q = 0.38/yr = "
                          "0.03/month for adoption itself)")
    peer_rule: str = param("share", "How adopting neighbours raise the monthly awareness "
                           "chance: 'share' = p + q x (weighted share of neighbours adopted), the "
                           "discrete Bass form; 'count' = 1 - (1 - p)(1 - q)^a, a = weighted "
                           "number of neighbours adopted (independent contacts, SI contagion)",
                           choices=PEER_RULES)
    instant: bool = param(False, "Skip the decision stages: an aware provider adopts at once and "
                          "goes straight to sustained (the Bass classroom case)")
    susceptible_share: float = param(1.0, "Share of eligible providers that could ever adopt "
                                     "(the Bass market potential m as a share of N): each "
                                     "eligible provider-innovation pair is a potential adopter "
                                     "with this probability, drawn once per run; the others "
                                     "count as ineligible", unit="share", range=(0.0, 1.0),
                                     source="assumption (1 = everyone); fitted by spreadsim "
                                     "calibrate")
    consider_rate: float = param(0.25, "Monthly chance an aware provider starts evaluating, at "
                                 "average slack and tension", unit="1/month", range=(0.0, 1.0))
    evaluation_months: float = param(3.0, "Mean months spent evaluating", unit="months",
                                     range=(1.0, 60.0))
    implementation_months: float = param(6.0, "Mean months to implement at average complexity",
                                         unit="months", range=(1.0, 120.0))
    reconsider_rate: float = param(0.02, "Monthly chance a rejecting provider becomes aware "
                                   "again", unit="1/month", range=(0.0, 1.0))
    # Decision logit (DOMAIN section 5)
    intercept: float = param(-1.5, "Decision logit intercept", range=(-20.0, 20.0))
    beta_relative_advantage: float = param(2.0, "Logit weight of relative advantage",
                                           range=(-20.0, 20.0))
    beta_compatibility: float = param(1.5, "Logit weight of compatibility", range=(-20.0, 20.0))
    beta_complexity: float = param(1.5, "Logit penalty of complexity", range=(-20.0, 20.0))
    beta_trialability: float = param(0.5, "Logit weight of trialability", range=(-20.0, 20.0))
    beta_observability: float = param(0.5, "Logit weight of observability", range=(-20.0, 20.0))
    beta_cost: float = param(1.0, "Logit penalty of (unrelieved) cost", range=(-20.0, 20.0))
    beta_absorptive: float = param(1.0, "Logit weight of absorptive capacity",
                                   range=(-20.0, 20.0))
    beta_slack: float = param(1.0, "Logit weight of slack", range=(-20.0, 20.0))
    beta_tension: float = param(0.5, "Logit weight of tension for change", range=(-20.0, 20.0))
    beta_endorsement: float = param(0.405, "Logit weight of leadership endorsement (ln 1.5)",
                                    range=(-20.0, 20.0), source="DOMAIN 5: OR x1.5 [1-3]")
    beta_champion: float = param(0.5, "Logit weight of an innovation champion",
                                 range=(-20.0, 20.0))
    beta_aligned: float = param(0.405, "Logit weight of alignment with system priorities "
                                "(ln 1.5)", range=(-20.0, 20.0), source="DOMAIN 5: OR x1.5")
    beta_peer: float = param(1.0, "Logit weight of exposure to adopting neighbours",
                             range=(-20.0, 20.0))
    beta_threshold: float = param(0.5, "Logit bonus once exposure reaches the provider's "
                                  "Valente threshold", range=(-20.0, 20.0))
    beta_hub: float = param(0.5, "Logit weight of hub coordination support received",
                            range=(-20.0, 20.0), source="assumption, set with the other hub "
                            "strengths so the default hub's t50 (~44 months) sits between the "
                            "no-hub prior (~72) and a mandated PlGF-like curve (~42)")
    threshold_mean: float = param(0.3, "Mean Valente threshold (share of neighbours adopted)",
                                  unit="share", range=(0.0, 1.0))
    threshold_sd: float = param(0.15, "Spread of Valente thresholds", unit="share",
                                range=(0.0, 1.0))
    failure_probability: float = param(0.12, "Chance an implementation fails, at average "
                                       "complexity and slack", unit="probability",
                                       range=(0.0, 1.0))
    abandonment_monthly: float = param(0.01, "Monthly abandonment hazard of a sustained "
                                       "innovation", unit="1/month", range=(0.0, 1.0),
                                       source="DOMAIN 5: h0 = 1%/month [0.2-3%]")
    abandonment_per_complex_domain: float = param(0.3, "Relative rise in abandonment per NASSS "
                                                  "domain rated complex", range=(0.0, 10.0),
                                                  source="DOMAIN 5; NASSS")
    routinised_after_months: float = param(18.0, "Months sustained after which an innovation "
                                           "is routine", unit="months", range=(0.0, 600.0),
                                           source="DOMAIN 3: 12-24 months")
    routinised_factor: float = param(0.3, "Abandonment multiplier once routine",
                                     range=(0.0, 1.0))
    funding_cliff_multiplier: float = param(2.0, "Abandonment multiplier for hub-supported "
                                            "providers just after hub funding ends",
                                            range=(1.0, 20.0), source="DOMAIN 5; ITP 1-year "
                                            "funding")
    funding_cliff_months: float = param(6.0, "Months the funding cliff lasts", unit="months",
                                        range=(0.0, 120.0))


@_frozen
class InnovationConfig:
    """One innovation (or ``copies`` identical ones arriving ``arrival_every`` months apart)."""

    name: str = param("innovation", "Name used in tables and plots")
    relative_advantage: float = param(0.6, "Relative advantage", unit="0-1", range=(0.0, 1.0))
    compatibility: float = param(0.5, "Compatibility (fit) with providers' work", unit="0-1",
                                 range=(0.0, 1.0))
    complexity: float = param(0.4, "Complexity", unit="0-1", range=(0.0, 1.0))
    trialability: float = param(0.5, "Trialability", unit="0-1", range=(0.0, 1.0))
    observability: float = param(0.5, "Observability", unit="0-1", range=(0.0, 1.0))
    cost: float = param(0.3, "Cost burden to an adopter", unit="0-1", range=(0.0, 1.0))
    complex_domains: int = param(1, "NASSS domains rated complex", range=(0, 7),
                                 source="Greenhalgh et al. 2017 (NASSS)")
    aligned: bool = param(True, "Aligned with system priorities")
    eligible_kinds: tuple[str, ...] = param(KINDS, "Provider kinds that can adopt it",
                                            choices=KINDS)
    innovator: str = param("", "Name of the innovator that owns it ('' = no innovator, e.g. a "
                           "national programme)")
    arrival_month: int = param(0, "Month it becomes available", unit="month", range=(0, 600))
    copies: int = param(1, "Number of identical innovations this entry stands for",
                        range=(1, 1000))
    arrival_every: int = param(0, "Months between the arrivals of successive copies",
                               unit="months", range=(0, 600))


@_frozen
class InnovatorConfig:
    """A company or team that owns innovations and markets them."""

    name: str = param("innovator", "Name referenced by innovations")
    runway_months: float = param(24.0, "Months of cash before exit if no provider adopts",
                                 unit="months", range=(0.0, 600.0),
                                 source="assumption; 'valley of death'")
    n_contacts: int = param(5, "Providers the innovator knows at the start", range=(0, 100_000))
    marketing_rate: float = param(0.05, "Monthly chance a known provider becomes aware through "
                                  "the innovator", unit="1/month", range=(0.0, 1.0))


@_frozen
class EffortConfig:
    """How a hub splits its usable hours across the three functions (normalised to sum 1)."""

    coordination: float = param(1 / 3, "Weight of central coordination", range=(0.0, 1.0),
                                source="RAND Europe evaluation: core function (i)")
    dissemination: float = param(1 / 3, "Weight of dissemination and raising awareness",
                                 range=(0.0, 1.0), source="RAND: core function (ii)")
    partnership: float = param(1 / 3, "Weight of catalysing partnerships", range=(0.0, 1.0),
                               source="RAND: core function (iii)")

    def shares(self) -> tuple[float, float, float]:
        """Return the weights normalised to sum to one (all zero if every weight is zero)."""
        w = (self.coordination, self.dissemination, self.partnership)
        total = sum(w)
        return tuple(x / total for x in w) if total > 0 else (0.0, 0.0, 0.0)  # type: ignore[return-value]


@_frozen
class ActivityMixConfig:
    """How each function's hours are split across its activities (normalised per function)."""

    tools_for_innovators: float = param(0.3, "Coordination: tools for innovators",
                                        range=(0.0, 1.0))
    bespoke_innovator_support: float = param(0.4, "Coordination: bespoke innovator support",
                                             range=(0.0, 1.0))
    signposting: float = param(0.3, "Coordination: signposting to funds and programmes",
                               range=(0.0, 1.0))
    educational_offer: float = param(0.7, "Dissemination: educational offer", range=(0.0, 1.0))
    public_patient_engagement: float = param(0.3, "Dissemination: public and patient "
                                             "engagement (co-production)", range=(0.0, 1.0))
    networking_partnership_building: float = param(1.0, "Partnership: networking and "
                                                   "partnership building", range=(0.0, 1.0))


@_frozen
class HubConfig:
    """An Innovation Hub: its resources, its design choices and where it works."""

    name: str = param("hub", "Name used in tables")
    core_fte: float = param(3.0, "Core staff funded from the budget", unit="FTE",
                            range=(0.0, 100.0), source="Dorset: 3 core posts (NHS England)")
    inkind_fte: float = param(1.0, "Staff time given in kind by partners", unit="FTE",
                              range=(0.0, 100.0), source="DOMAIN 5: 1.0 [0-3]")
    budget_gbp: float = param(475_000.0, "Grant for the funded period", unit="GBP",
                              range=(0.0, 1e9), source="Health Foundation: up to GBP 475k")
    funding_months: int = param(30, "Months the hub is funded", unit="months", range=(0, 600),
                                source="2.5-year grants (Health Foundation)")
    cost_per_fte_year: float = param(43_000.0, "Cost of one core FTE per year", unit="GBP/year",
                                     range=(1.0, 1e7),
                                     source="derived: GBP 390k / 3 posts / 3 years (Dorset)")
    hours_per_fte_month: float = param(140.0, "Productive hours per FTE-month", unit="hours",
                                       range=(0.0, 200.0), source="DOMAIN 5: 140 [80-150]")
    post_funding_core_fte: float = param(0.0, "Core FTE kept after funding ends", unit="FTE",
                                         range=(0.0, 100.0))
    inkind_withdrawal_probability: float = param(0.05, "Monthly chance partners withdraw half "
                                                 "the in-kind time while the system is under "
                                                 "pressure", unit="1/month", range=(0.0, 1.0),
                                                 source="DOMAIN 5: 0.05 [0-0.2]")
    inkind_recovery: float = param(0.05, "Monthly recovery of withdrawn in-kind time",
                                   unit="1/month", range=(0.0, 1.0))
    role_overlap: float = param(0.3, "Initial share of hours lost to unclear roles",
                                unit="share", range=(0.0, 1.0), source="DOMAIN 5: 0.3 [0-0.5]")
    role_clarity_halving_months: float = param(12.0, "Months for role overlap to halve",
                                               unit="months", range=(0.1, 600.0),
                                               source="DOMAIN 5: 12 [6-24]")
    mapped_share: float = param(0.3, "Share of in-scope providers the hub knows at the start",
                                unit="share", range=(0.0, 1.0), source="DOMAIN 5: 0.3 [0.1-0.6]")
    initial_trust: float = param(0.2, "Initial relationship (trust) with known providers",
                                 unit="0-1", range=(0.0, 1.0), source="DOMAIN 5: 0.2 [0-0.5]")
    effort: EffortConfig = param(EffortConfig(), "Split of hours across the three functions")
    activities: ActivityMixConfig = param(ActivityMixConfig(), "Split of each function's hours "
                                          "across its activities")
    structure_share: float = param(0.5, "Share of effort on a fixed portfolio of priority "
                                   "innovations (the rest answers local requests)",
                                   unit="share", range=(0.0, 1.0), source="DOMAIN 5: phi = 0.5")
    early_endorsement: bool = param(True, "Secures ICS leadership endorsement early: raises "
                                    "providers' endorsement and protects in-kind time")
    targeting: str = param("random", "Whom the hub maps (and so works with) first",
                           choices=TARGETING)
    scope_places: tuple[int, ...] = param((), "Places (0-based, within each ICS) the hub covers; "
                                          "empty = all", range=(0, 49))
    scope_kinds: tuple[str, ...] = param((), "Provider kinds the hub covers; empty = all",
                                         choices=KINDS)
    per_system: bool = param(False, "Replicate this hub once in every ICS, each covering its own")
    system: int = param(0, "ICS (0-based) the hub belongs to when per_system is false",
                        range=(0, 41))


@_frozen
class HubEffectsConfig:
    """Strength of each hub mechanism per hour of effort (shared by all hubs)."""

    dissemination_max: float = param(0.03, "Maximum monthly awareness push on a known, trusting "
                                     "provider", unit="1/month", range=(0.0, 1.0),
                                     source="assumption; DOMAIN 5 suggests a = 0.02/month, "
                                     "raised so that, hour for hour, dissemination raises "
                                     "awareness more than partnership work does")
    dissemination_h50: float = param(1.0, "Dissemination hours per provider-innovation for "
                                     "63% of the maximum push", unit="hours", range=(0.01, 1e4))
    coordination_h50: float = param(2.0, "Coordination hours per provider for 63% of the "
                                     "maximum support", unit="hours", range=(0.01, 1e4))
    coordination_speedup: float = param(0.3, "Maximum cut in evaluation time from coordination",
                                        unit="share", range=(0.0, 0.95),
                                        source="DOMAIN 5: up to 50%; 30% keeps the default hub "
                                        "between the no-hub and PlGF-like curves")
    coordination_failure_cut: float = param(0.5, "Maximum cut in implementation failure from "
                                            "coordination", unit="share", range=(0.0, 1.0))
    hours_per_tie: float = param(40.0, "Partnership hours to broker one new tie", unit="hours",
                                 range=(0.1, 1e4), source="DOMAIN 5: 20 h [10-40]; the upper end, "
                                 "so brokered ties do not outnumber working ties within a year")
    bridging_preference: float = param(0.7, "Share of brokered ties that bridge places or kinds",
                                       unit="share", range=(0.0, 1.0))
    tie_decay: float = param(0.02, "Monthly decay of brokered tie strength", unit="1/month",
                             range=(0.0, 1.0), source="DOMAIN 5: 2%/month")
    trust_gain_per_hour: float = param(0.005, "Trust gained per contact hour (saturating)",
                                       unit="1/hour", range=(0.0, 1.0),
                                       source="DOMAIN 5: +0.05 per 5 h, halved: relationships "
                                       "take most of a year to build")
    trust_decay: float = param(0.01, "Monthly trust decay", unit="1/month", range=(0.0, 1.0),
                               source="DOMAIN 5: 1%/month")
    mapping_per_hour: float = param(0.002, "Share of unknown in-scope providers mapped per "
                                    "coordination hour", unit="1/hour", range=(0.0, 1.0))
    education_gain: float = param(0.05, "Absorptive capacity gained from a full educational "
                                  "offer", unit="0-1", range=(0.0, 1.0),
                                  source="DOMAIN 5: +0.05 per course")
    education_h50: float = param(5.0, "Education hours per provider for 63% of the gain",
                                 unit="hours", range=(0.01, 1e4))
    education_decay: float = param(0.01, "Monthly decay of the education gain",
                                   unit="1/month", range=(0.0, 1.0))
    coproduction_h50: float = param(40.0, "Cumulative engagement hours per innovation for 63% "
                                    "of the co-production effect", unit="hours",
                                    range=(0.01, 1e5))
    coproduction_compatibility: float = param(0.1, "Compatibility gained from full "
                                              "co-production", unit="0-1", range=(0.0, 1.0),
                                              source="DOMAIN 5: +0.1 C")
    coproduction_abandonment_cut: float = param(0.3, "Abandonment cut from full co-production",
                                                unit="share", range=(0.0, 1.0),
                                                source="DOMAIN 5: -30%")
    tools_h50: float = param(70.0, "Cumulative tool-building hours per innovation for 63% of "
                             "the gain", unit="hours", range=(0.01, 1e5),
                             source="DOMAIN 5: 0.5 FTE-months per tool")
    tools_relative_advantage: float = param(0.1, "Relative advantage gained from full tools",
                                            unit="0-1", range=(0.0, 1.0),
                                            source="DOMAIN 5: +0.1 RA")
    runway_months_per_10h: float = param(1.0, "Innovator runway gained per 10 hours of bespoke "
                                         "support", unit="months", range=(0.0, 100.0))
    signposting_h50: float = param(2.0, "Signposting hours per provider for 63% of the cost "
                                   "relief", unit="hours", range=(0.01, 1e4))
    signposting_cost_relief: float = param(0.5, "Maximum share of cost relieved by signposting "
                                           "to external funds", unit="share", range=(0.0, 1.0))
    structure_efficiency: float = param(1.3, "Efficiency of structured (portfolio) effort",
                                        range=(0.0, 10.0), source="DOMAIN 5: x1.3")
    flexibility_fit_bonus: float = param(0.15, "Compatibility bonus of fully flexible effort",
                                         unit="0-1", range=(0.0, 1.0),
                                         source="DOMAIN 5: +0.15 C")
    nonpay_efficiency: float = param(0.5, "FTE-equivalents of backfill and events bought per "
                                     "FTE's worth of non-pay money", range=(0.0, 10.0))
    innovator_link_share: float = param(0.25, "Share of brokered partnerships that also link an "
                                        "innovator to the provider (pilot partnerships)",
                                        unit="share", range=(0.0, 1.0))
    endorsement_boost: float = param(0.5, "Share of non-endorsing in-scope providers won over by "
                                     "early ICS endorsement", unit="share", range=(0.0, 1.0))


@_frozen
class ShockConfig:
    """A context shock on the timeline."""

    kind: str = param("pandemic", "Kind of shock", choices=SHOCK_KINDS)
    start_month: int = param(6, "Month the shock starts", unit="month", range=(0, 600))
    duration_months: int = param(9, "Months it lasts (0 = a one-off event)", unit="months",
                                 range=(0, 600))
    slack_cut: float = param(0.0, "Share of provider slack lost while it lasts", unit="share",
                             range=(0.0, 1.0), source="DOMAIN 5: pandemic -50%; spending "
                             "-10 to -20%")
    activity_cut: float = param(0.0, "Share by which providers' innovation work (considering, "
                                "evaluating, implementing) slows while it lasts", unit="share",
                                range=(0.0, 1.0), source="DOMAIN 5: non-COVID adoption pauses "
                                "during the pandemic")
    budget_cut: float = param(0.0, "Share of each hub's remaining budget cut at the start",
                              unit="share", range=(0.0, 1.0))
    inkind_cut: float = param(0.0, "Share of in-kind time withdrawn at the start",
                              unit="share", range=(0.0, 1.0), source="DOMAIN 5: 30-50%")
    tie_churn: float = param(0.0, "Share of ties lost at the start", unit="share",
                             range=(0.0, 1.0), source="DOMAIN 5: 20%")
    endorsement_reset: bool = param(False, "Leadership endorsement is lost at the start")
    pressure: bool = param(True, "Puts the system under pressure (partners may withdraw "
                           "in-kind time)")


@_frozen
class OutputConfig:
    """What a run records."""

    detail: str = param("kind_place", "Breakdown of the per-group adoption table",
                        choices=DETAIL_LEVELS)


@_frozen
class ScenarioConfig:
    """A complete, validated scenario: the system, its innovations, hubs and shocks."""

    name: str = param("scenario", "Short name shown in plots and manifests")
    description: str = param("", "What the scenario represents")
    seed: int = param(1, "Default root seed", range=(0, 2**63 - 1))
    time: TimeConfig = param(TimeConfig(), "Horizon")
    system: SystemConfig = param(SystemConfig(), "ICSs and places")
    providers: ProvidersConfig = param(ProvidersConfig(), "Providers by kind")
    network: NetworkConfig = param(NetworkConfig(), "Provider network")
    adoption: AdoptionConfig = param(AdoptionConfig(), "Adoption process")
    innovations: tuple[InnovationConfig, ...] = param((InnovationConfig(),), "Innovations")
    innovators: tuple[InnovatorConfig, ...] = param((), "Innovators")
    hubs: tuple[HubConfig, ...] = param((), "Innovation hubs (none = no-hub system)")
    hub_effects: HubEffectsConfig = param(HubEffectsConfig(), "Hub mechanism strengths")
    shocks: tuple[ShockConfig, ...] = param((), "Context shocks")
    output: OutputConfig = param(OutputConfig(), "Recording options")

    def without_hubs(self) -> ScenarioConfig:
        """Return the paired no-hub counterfactual of this scenario."""
        return dataclasses.replace(self, hubs=())

    @property
    def funding_end(self) -> int:
        """Month the first hub's funding ends (the horizon if there is no hub)."""
        if not self.hubs:
            return self.time.n_steps
        return min(self.time.n_steps, min(h.funding_months for h in self.hubs))


def cross_field_problems(cfg: ScenarioConfig) -> list[tuple[str, str, object]]:
    """Check rules that involve more than one field.

    Returns:
        A list of ``(dotted_key, expected, got)`` problems; empty when the config is consistent.
    """
    problems: list[tuple[str, str, object]] = []
    names = [i.name for i in cfg.innovators]
    for k, inn in enumerate(cfg.innovations):
        if inn.innovator and inn.innovator not in names:
            problems.append((f"innovations.{k}.innovator",
                             f"the name of an innovator in 'innovators' ({names or 'none'})",
                             inn.innovator))
        if not inn.eligible_kinds:
            problems.append((f"innovations.{k}.eligible_kinds", "at least one provider kind", ()))
    if len(set(names)) != len(names):
        problems.append(("innovators", "unique innovator names", names))
    inn_names = [i.name for i in cfg.innovations]
    if len(set(inn_names)) != len(inn_names):
        problems.append(("innovations", "unique innovation names", inn_names))
    for k, hub in enumerate(cfg.hubs):
        bad = [p for p in hub.scope_places if p >= cfg.system.n_places]
        if bad:
            problems.append((f"hubs.{k}.scope_places",
                             f"place indices below system.n_places = {cfg.system.n_places}", bad))
        if hub.system >= cfg.system.n_systems:
            problems.append((f"hubs.{k}.system",
                             f"an ICS index below system.n_systems = {cfg.system.n_systems}",
                             hub.system))
    if cfg.network.kind == "edge_list":
        for key in ("nodes_file", "edges_file"):
            if not getattr(cfg.network, key):
                problems.append((f"network.{key}", "a CSV path when network.kind = 'edge_list'",
                                 ""))
    elif sum(getattr(cfg.providers, k).count for k in KINDS) == 0:
        problems.append(("providers", "at least one provider (some kind with count > 0)", 0))
    return problems
