"""spreadsim: agent-based simulation of innovation spread among NHS providers, with Innovation Hubs."""

from __future__ import annotations

__version__ = "0.1.0"
