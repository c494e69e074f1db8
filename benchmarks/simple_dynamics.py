"""The simple dynamics every benchmark case (b), (c) and (d) implements, and its parameters.

Watts-Strogatz network (k = 6, rewiring 0.1, seeded), no initial adopters; each step every
non-adopter adopts with probability ``1 - (1 - P)(1 - Q)^a``, where ``a`` is the number of its
neighbours that had adopted at the start of the step; 100 steps.
"""

from __future__ import annotations

K = 6  #: ring-lattice degree of the Watts-Strogatz network
REWIRING = 0.1  #: Watts-Strogatz rewiring probability
P = 0.01  #: background (external) adoption chance per step
Q = 0.08  #: adoption chance per adopted neighbour per step
STEPS = 100  #: steps per run
