"""Case (c): the simple dynamics written as idiomatic Mesa 3.5, the way Mesa's docs teach it.

An ``Agent`` subclass (``FixedAgent``, placed on a cell) with a ``step()`` method, activated in
random order with ``model.agents.shuffle_do("step")``; a ``DataCollector`` records the adopted
fraction; the network is a ``mesa.discrete_space.Network`` over ``networkx.watts_strogatz_graph``
(``layout=None``: the default spring layout alone takes seconds; ``random=model.random``: seeded).
Compare Mesa's own ``examples/basic/virus_on_network``.

"At the start of the step" is kept by recording the step at which each provider adopted: a
neighbour counts only if it adopted in an earlier step, so the random activation order does not
matter (synchronous update, as in the vectorised cases).
"""

from __future__ import annotations

import mesa
import networkx as nx
from mesa.discrete_space import FixedAgent, Network
from simple_dynamics import REWIRING, K, P, Q


class Adopter(FixedAgent):
    """A provider that adopts once, with a chance that grows with adopting neighbours."""

    def __init__(self, model: mesa.Model, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.adopted = False
        self.adopted_at = -1

    def step(self) -> None:
        """Adopt with probability 1 - (1 - P)(1 - Q)^a, a = neighbours adopted before now."""
        if self.adopted:
            return
        now = self.model.steps
        a = sum(1 for other in self.cell.neighborhood.agents
                if other.adopted and other.adopted_at < now)
        if self.random.random() < 1 - (1 - P) * (1 - Q) ** a:
            self.adopted = True
            self.adopted_at = now


class AdoptionModel(mesa.Model):
    """Watts-Strogatz network of providers, none adopted at the start."""

    def __init__(self, n: int = 1000, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        graph = nx.watts_strogatz_graph(n, K, REWIRING, seed=self.random)
        self.grid = Network(graph, capacity=1, random=self.random, layout=None)
        Adopter.create_agents(self, n, list(self.grid.all_cells))
        self.datacollector = mesa.DataCollector(
            model_reporters={"adopted_fraction": lambda m: m.agents.agg("adopted", sum) / n})
        self.datacollector.collect(self)

    def step(self) -> None:
        """Every provider gets one chance to adopt, in random order; then record."""
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


def run(n: int, seed: int, steps: int = 100):
    """Build and run; return the adopted fraction at steps 0..steps (a numpy array)."""
    model = AdoptionModel(n, rng=seed)
    model.run_for(steps)
    return model.datacollector.get_model_vars_dataframe()["adopted_fraction"].to_numpy()
