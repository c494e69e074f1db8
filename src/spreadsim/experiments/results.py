"""Read a sweep's results folder back as pandas DataFrames."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from spreadsim.experiments import store as st
from spreadsim.experiments.design import UNIT


def read_experiment(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The runs table: one row per run, with its design point's parameters.

    Columns: ``design_index``, ``replication``, the parameters (and linked keys), ``status``
    (``"ok"`` or ``"error"``), ``error`` (the traceback of a failed run), ``seed`` and
    ``seed_spawn_key`` (see ``sweep.json``'s ``seed_scheme``), the outcomes, with a paired
    no-hub counterfactual ``cf_<outcome>`` and ``diff_<outcome>`` (hub minus no hub), and
    ``runtime_s``. Sorted by design point and replication; only committed runs appear (an
    unfinished sweep gives fewer rows).

    Raises:
        SpreadsimError: If ``folder`` is not a sweep results folder.
    """
    st.read_info(folder)
    runs = st.read_runs(folder)
    design = read_design(folder)
    params = design[[c for c in design.columns if not c.startswith(UNIT)]]
    merged = runs.merge(params, on="design_index", how="left", validate="many_to_one")
    first = [*st.KEY, *[c for c in params.columns if c != "design_index"]]
    return merged[first + [c for c in merged.columns if c not in first]]


def read_series(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The per-step series (long format): design_index, replication, arm, step, innovation,
    adopted_share. Empty unless the experiment kept series (``[output] series = true``)."""
    st.read_info(folder)
    return st.read_series_table(folder)


def read_design(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The design table: one row per design point (with ``unit.*`` sampler coordinates)."""
    return st.read_design_table(folder)


def read_info(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The sweep's ``sweep.json`` (spec, hash, seeds scheme, versions, status)."""
    return st.read_info(folder)
