"""Experiment files: TOML in, a validated :class:`Experiment` out.

Validation works like scenario validation and reuses it: the fixed-shape parts go through
:func:`spreadsim.loading.build_dataclass`; every problem in the file is gathered into one
:class:`~spreadsim.errors.ScenarioError` naming the file, the dotted key, what was expected and
what came. On top of that, every varied key is applied to the base scenario with each of its
levels (or the two ends of its range) through :func:`spreadsim.loading.with_overrides`, so a
misspelt key or an impossible value is caught here, before anything runs.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spreadsim.config import ScenarioConfig
from spreadsim.errors import Problem, ScenarioError, SpreadsimError
from spreadsim.experiments.config import (
    OUTCOMES,
    SCENARIO_FACTOR,
    ExperimentConfig,
    ExperimentSection,
    ParameterConfig,
)
from spreadsim.loading import build_dataclass, load_scenario, load_toml, with_overrides

#: Column names of the runs table that a parameter may not take.
RESERVED_NAMES: frozenset[str] = frozenset(
    {"design_index", "replication", "status", "error", "seed", "seed_spawn_key", "runtime_s"}
    | set(OUTCOMES) | {f"cf_{o}" for o in OUTCOMES} | {f"diff_{o}" for o in OUTCOMES})

#: Problems from with_overrides that are about the key rather than the value.
_KEY_PROBLEMS = ("a known key", "an index in", "a table or array at", "at least one element")


@dataclass(frozen=True, slots=True)
class Experiment:
    """A validated experiment, ready to run.

    Attributes:
        config: The experiment file's contents.
        scenarios: Base scenario(s) by label, with ``[constants]`` and command-line overrides
            applied. One entry, unless a parameter varies ``scenario`` (then one per level, in
            level order, labelled by the scenario's file name without ``.toml``).
        path: The experiment file (``"<dict>"`` when built from a table).
        overrides: Command-line ``--set`` overrides applied to every base scenario.
        text: The file's TOML source, kept for reports.
    """

    config: ExperimentConfig
    scenarios: tuple[tuple[str, ScenarioConfig], ...]
    path: str = "<dict>"
    overrides: tuple[tuple[str, Any], ...] = ()
    text: str = ""

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.config.experiment.name

    @property
    def scenario(self) -> ScenarioConfig:
        """The (first) base scenario."""
        return self.scenarios[0][1]

    @property
    def parameters(self) -> tuple[ParameterConfig, ...]:
        """The varied parameters."""
        return self.config.parameters

    def scenario_for(self, label: str | None) -> ScenarioConfig:
        """The base scenario with this label (``None``: the only one)."""
        return self.scenario if label is None else dict(self.scenarios)[label]

    def summary(self) -> str:
        """One line: design, points, replications and runs."""
        from spreadsim.experiments.design import count_points

        c = self.config
        n = count_points(c)
        runs = n * c.experiment.replications
        pair = " (+ as many no-hub runs)" if c.experiment.counterfactual else ""
        names = ", ".join(p.name for p in c.parameters) or "no parameters"
        return (f"{c.design.kind} design over {names}: {n} point(s) x "
                f"{c.experiment.replications} replication(s) = {runs} run(s){pair}")


# --------------------------------------------------------------------------- public API


def load_experiment(path: str | os.PathLike[str],
                    overrides: Mapping[str, object] | None = None) -> Experiment:
    """Load and validate an experiment file.

    Args:
        path: The experiment's TOML file. Its ``experiment.scenario`` (and the levels of a
            ``scenario`` parameter) are paths relative to the file's folder.
        overrides: Dotted scenario keys to set on every base scenario (the command line's
            ``--set``), applied after ``[constants]``.

    Returns:
        The validated experiment.

    Raises:
        ScenarioError: Listing every problem in the file (or in the overrides).
    """
    display = os.fspath(path)
    data = load_toml(display)
    try:
        text = Path(display).read_text(encoding="utf-8-sig")
    except OSError:  # pragma: no cover - load_toml has just read it
        text = ""
    return parse_experiment(data, display, Path(display).parent, overrides, text)


def parse_experiment(data: Mapping[str, Any], path: str = "<dict>",
                     folder: str | os.PathLike[str] = ".",
                     overrides: Mapping[str, object] | None = None,
                     text: str = "") -> Experiment:
    """Validate an experiment table (as read from TOML).

    Args:
        data: The experiment as nested dicts and lists.
        path: Where it came from, for messages.
        folder: Folder that relative scenario paths are resolved against.
        overrides: Dotted scenario keys set on every base scenario (``--set``).
        text: The TOML source, kept on the result for reports.

    Raises:
        ScenarioError: Listing every problem found.
    """
    cfg, given, problems = _build(data)
    if cfg is None:
        raise ScenarioError(path, problems)
    skip = {k for k, keys in enumerate(given) if _BAD in keys}  # already reported
    problems += _check_parameters(cfg, given, data)
    problems += _check_design(cfg, data)
    scenarios, found = _load_scenarios(cfg, Path(folder), dict(overrides or {}))
    problems += found
    for label, scenario in scenarios:
        problems += _check_against(cfg, label, scenario, len(scenarios) > 1, skip)
    problems = _unique(problems)
    if problems:
        raise ScenarioError(path, problems)
    return Experiment(cfg, tuple(scenarios), path, tuple(dict(overrides or {}).items()), text)


# --------------------------------------------------------------------------- the file itself


def _build(data: Mapping[str, Any]) -> tuple[ExperimentConfig | None, list[set[str]],
                                             list[Problem]]:
    """Build the config: free-form parts by hand, the rest with build_dataclass.

    Returns:
        The config (or None), the keys written in each parameter table, and the problems.
    """
    if not isinstance(data, Mapping):
        return None, [], [Problem("", "a table", data)]
    rest = dict(data)
    problems: list[Problem] = []
    constants, found = _constants(rest.pop("constants", {}))
    problems += found
    params = rest.pop("parameters", [])
    free: list[dict[str, Any]] = []
    if isinstance(params, list):
        cleaned = []
        for k, table in enumerate(params):
            if isinstance(table, dict):
                table = dict(table)
                extra, found = _free_parameter_fields(table, f"parameters.{k}")
                if found:
                    problems += found
                    extra["_raw"].add(_BAD)
                free.append(extra)
            cleaned.append(table)
        rest["parameters"] = cleaned
    else:
        rest["parameters"] = params
    problems += _misplaced(rest)
    cfg, found = build_dataclass(ExperimentConfig, rest)
    problems += found
    if cfg is None:
        return None, [], problems
    parameters = tuple(_finish_parameter(p, extra)
                       for p, extra in zip(cfg.parameters, free, strict=True))
    given = [extra["_raw"] for extra in free]
    return dataclasses.replace(cfg, constants=constants, parameters=parameters), given, problems


#: Marks a parameter whose levels or linked values are malformed (checked no further).
_BAD = "\0bad"


def _misplaced(rest: dict[str, Any]) -> list[Problem]:
    """Top-level keys that belong in ``[experiment]`` (a common slip): say so, drop them."""
    fields = {f.name for f in dataclasses.fields(ExperimentSection)}
    problems = []
    for key in [k for k in rest if k in fields]:
        problems.append(Problem(key, "a known key", None,
                                f"'{key}' belongs in the [experiment] table"))
        del rest[key]
    return problems


def _constants(value: Any) -> tuple[tuple[tuple[str, Any], ...], list[Problem]]:
    """``[constants]``: a table of dotted keys (nested tables are flattened) -> values."""
    if not isinstance(value, dict):
        return (), [Problem("constants", "a table of dotted scenario keys and values", value)]
    return tuple(_flatten(value, "")), []


def _flatten(table: Mapping[str, Any], prefix: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out += _flatten(value, dotted)
        else:
            out.append((dotted, value))
    return out


def _free_parameter_fields(table: dict[str, Any], prefix: str) -> tuple[dict[str, Any],
                                                                         list[Problem]]:
    """Take ``levels`` and ``linked`` out of a parameter table and check their shape."""
    extra: dict[str, Any] = {"_raw": set(table)}
    problems: list[Problem] = []
    if "levels" in table:
        levels = table.pop("levels")
        problems += _check_levels(levels, f"{prefix}.levels")
        extra["levels"] = tuple(levels) if isinstance(levels, list) else ()
    if "linked" in table:
        linked = table.pop("linked")
        if not isinstance(linked, dict):
            problems.append(Problem(f"{prefix}.linked", "a table of dotted keys -> arrays of "
                                    "values", linked))
        else:
            for key, values in linked.items():
                problems += _check_levels(values, f"{prefix}.linked.{key}")
            extra["linked"] = tuple((str(k), tuple(v)) for k, v in linked.items()
                                    if isinstance(v, list))
    return extra, problems


def _check_levels(levels: Any, key: str) -> list[Problem]:
    """Levels: a non-empty array of numbers, of strings or of booleans (one kind)."""
    what = "a non-empty array of numbers, strings or true/false values (one kind)"
    if not isinstance(levels, list) or not levels:
        return [Problem(key, what, levels)]
    kinds = {_kind(v) for v in levels}
    if None in kinds or len(kinds) > 1:
        return [Problem(key, what, levels)]
    if kinds == {"number"} and not all(math.isfinite(v) for v in levels):
        return [Problem(key, "finite numbers", levels)]
    return []


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "str" if isinstance(value, str) else None


def _finish_parameter(p: ParameterConfig, extra: dict[str, Any]) -> ParameterConfig:
    """Put the free-form fields back and fill in the default name; remember what was given."""
    levels = extra.get("levels", ())
    name = p.name or p.key.rsplit(".", 1)[-1]
    return dataclasses.replace(p, levels=levels, linked=extra.get("linked", ()), name=name)


# --------------------------------------------------------------------------- cross-field checks


def _check_parameters(cfg: ExperimentConfig, given: list[set[str]],
                      data: Mapping[str, Any]) -> list[Problem]:
    """Each parameter: a key, levels xor a sensible range, unique names."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for k, (p, keys) in enumerate(zip(cfg.parameters, given, strict=True)):
        where = f"parameters.{k}"
        problems += _check_one_parameter(p, keys, where)
        if p.name in seen:
            problems.append(Problem(f"{where}.name", f"a name not used by parameters."
                                    f"{seen[p.name]}", p.name, "set 'name' to tell them apart"))
        elif p.name in RESERVED_NAMES:
            problems.append(Problem(f"{where}.name", "a name that is not a results column",
                                    p.name))
        seen.setdefault(p.name, k)
    scenario_factors = [p for p in cfg.parameters if p.key == SCENARIO_FACTOR]
    if len(scenario_factors) > 1:
        problems.append(Problem("parameters", "at most one parameter with key 'scenario'",
                                len(scenario_factors)))
    base = cfg.experiment.scenario
    if not base and not scenario_factors and "scenario" not in data:  # else: misplaced
        problems.append(Problem("experiment.scenario", "the path of the base scenario file",
                                "" if "experiment" in data else None,
                                "" if "experiment" in data else "add an [experiment] table"))
    if base and scenario_factors:
        problems.append(Problem("experiment.scenario", "no base scenario when a parameter "
                                "varies 'scenario' (its levels are the base scenarios)", base))
    return problems


def _check_one_parameter(p: ParameterConfig, given: set[str], where: str) -> list[Problem]:
    problems: list[Problem] = []
    if _BAD in given:
        return problems
    if not p.key:
        problems.append(Problem(f"{where}.key", "a dotted scenario key such as "
                                "'hubs.*.core_fte'", ""))
    if p.key == "seed":
        problems.append(Problem(f"{where}.key", "a scenario key other than 'seed' (runs take "
                                "their seeds from experiment.seed; add replications instead)",
                                p.key))
    has_range = bool({"low", "high"} & given)
    if "levels" in given and (has_range or "distribution" in given):
        problems.append(Problem(where, "either 'levels' or 'low'/'high' (with 'distribution'),"
                                " not both", sorted(given & {"levels", "low", "high",
                                                            "distribution"})))
    elif "levels" not in given and not {"low", "high"} <= given:
        problems.append(Problem(where, "'levels' or both 'low' and 'high'", None,
                                f"given: {', '.join(sorted(given)) or 'nothing'}"))
    elif p.is_range:
        problems += _check_range(p, where)
    if p.linked and p.is_range:
        problems.append(Problem(f"{where}.linked", "'levels' on the parameter (linked values "
                                "go with levels, one per level)", None))
    for key, values in p.linked:
        if p.levels and len(values) != len(p.levels):
            problems.append(Problem(f"{where}.linked.{key}", f"{len(p.levels)} values, one per "
                                    "level", len(values)))
    if p.key == SCENARIO_FACTOR and (p.is_range or not all(isinstance(v, str)
                                                           for v in p.levels)):
        problems.append(Problem(f"{where}.levels", "scenario file paths", p.levels or None))
    return problems


def _check_range(p: ParameterConfig, where: str) -> list[Problem]:
    problems: list[Problem] = []
    if not p.low < p.high:
        problems.append(Problem(f"{where}.high", f"a number above low = {p.low!r}", p.high))
    if p.distribution == "loguniform" and p.low <= 0:
        problems.append(Problem(f"{where}.low", "a positive number for a loguniform range",
                                p.low))
    if p.distribution == "integer":
        for end in ("low", "high"):
            value = getattr(p, end)
            if not float(value).is_integer():
                problems.append(Problem(f"{where}.{end}", "an integer for an integer range",
                                        value))
    return problems


def _check_design(cfg: ExperimentConfig, data: Mapping[str, Any]) -> list[Problem]:
    """Design rules: points where needed (a power of two for Sobol), list lengths agree."""
    d, params = cfg.design, cfg.parameters
    raw = data.get("design", {}) if isinstance(data.get("design", {}), dict) else {}
    problems: list[Problem] = []
    if d.kind in ("grid", "list") and "points" in raw:
        problems.append(Problem("design.points", f"no 'points' for a {d.kind} design (its "
                                "points come from the levels)", d.points))
    if d.kind in ("lhs", "sobol", "morris") and d.points < 1:
        problems.append(Problem("design.points", f"a positive integer for a {d.kind} design",
                                d.points if "points" in raw else None))
    if d.kind == "sobol" and d.points >= 1 and d.points & (d.points - 1):
        below = 1 << (d.points.bit_length() - 1)
        problems.append(Problem("design.points", "a power of two for a sobol design", d.points,
                                f"try {below} or {below * 2}"))
    if d.kind in ("sobol", "morris", "lhs") and not params:
        problems.append(Problem("parameters", f"at least one parameter for a {d.kind} design",
                                0))
    if d.kind == "sobol" and d.second_order and len(params) < 2:
        problems.append(Problem("design.second_order", "at least two parameters for "
                                "second-order indices", len(params)))
    if d.kind == "list":
        ranges = [k for k, p in enumerate(params) if p.is_range]
        if ranges:
            problems.append(Problem(f"parameters.{ranges[0]}", "levels (a list design zips "
                                    "the parameters' levels into points)", "a range"))
        lengths = {len(p.levels) for p in params if p.levels}
        if len(lengths) > 1:
            problems.append(Problem("parameters", "the same number of levels for every "
                                    "parameter of a list design", sorted(lengths)))
    if d.kind != "list":
        for k, p in enumerate(params):
            if len(set(map(repr, p.levels))) != len(p.levels):
                problems.append(Problem(f"parameters.{k}.levels", "distinct values (only a "
                                        "list design may repeat levels)", list(p.levels)))
    if d.second_order and d.kind != "sobol":
        problems.append(Problem("design.second_order", "false unless design.kind = 'sobol'",
                                True))
    return problems


# --------------------------------------------------------------------------- scenarios


def _load_scenarios(cfg: ExperimentConfig, folder: Path, overrides: dict[str, object],
                    ) -> tuple[list[tuple[str, ScenarioConfig]], list[Problem]]:
    """Load the base scenario(s) and apply ``[constants]`` then the overrides."""
    factor = next(((k, p) for k, p in enumerate(cfg.parameters)
                   if p.key == SCENARIO_FACTOR), None)
    if factor is None:
        refs = [("experiment.scenario", cfg.experiment.scenario)] if cfg.experiment.scenario \
            else []
    else:
        k, p = factor
        refs = [(f"parameters.{k}.levels.{i}", v) for i, v in enumerate(p.levels)
                if isinstance(v, str)]
    scenarios, problems = [], []
    labels: set[str] = set()
    for key, ref in refs:
        label = Path(ref).stem
        if label in labels:
            problems.append(Problem(key, "scenario files with different names", ref))
            continue
        labels.add(label)
        base, found = _one_scenario(key, ref, folder)
        problems += found
        if base is None:
            continue
        scenario, found = _apply_fixed(base, cfg.constants, overrides)
        problems += found
        scenarios.append((label, scenario))
    return scenarios, problems


def _one_scenario(key: str, ref: str, folder: Path) -> tuple[ScenarioConfig | None,
                                                             list[Problem]]:
    path = ref if os.path.isabs(ref) else os.path.normpath(folder / ref)
    try:
        return load_scenario(path), []
    except ScenarioError as exc:
        inner = "; ".join(str(p) for p in exc.problems)
        where = exc.path if exc.path not in (path, None) else path
        return None, [Problem(key, "a valid scenario file", ref, f"{where}: {inner}")]
    except SpreadsimError as exc:  # pragma: no cover - load_scenario raises ScenarioError
        return None, [Problem(key, "a valid scenario file", ref, str(exc))]


def _apply_fixed(cfg: ScenarioConfig, constants: tuple[tuple[str, Any], ...],
                 overrides: dict[str, object]) -> tuple[ScenarioConfig, list[Problem]]:
    """Apply ``[constants]`` then ``--set``; on failure keep checking against what there is."""
    problems: list[Problem] = []
    for values, prefix in ((dict(constants), "constants."), (overrides, "--set ")):
        if not values:
            continue
        try:
            cfg = with_overrides(cfg, values)
        except ScenarioError as exc:
            problems += [dataclasses.replace(p, key=f"{prefix}{p.key}") for p in exc.problems]
    return cfg, problems


def _check_against(cfg: ExperimentConfig, label: str, scenario: ScenarioConfig,
                   several: bool, skip: set[int]) -> list[Problem]:
    """Apply every parameter's levels (or range ends) to a base scenario; report failures."""
    problems: list[Problem] = []
    hint = f" (scenario '{label}')" if several else ""
    for k, p in enumerate(cfg.parameters):
        if p.key == SCENARIO_FACTOR or k in skip:
            continue
        for where, overrides in _trial_values(p, f"parameters.{k}"):
            try:
                with_overrides(scenario, overrides)
            except ScenarioError as exc:
                problems += [_rehome(q, p, f"parameters.{k}", where, hint)
                             for q in exc.problems]
    if cfg.experiment.counterfactual and not scenario.hubs:
        problems.append(Problem("experiment.counterfactual", "a base scenario with hubs to "
                                f"compare against (scenario '{label}' has none)", True))
    return problems


def _trial_values(p: ParameterConfig, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, overrides) pairs that together try every value the parameter can take."""
    if p.is_range:
        ends = (p.low, p.high)
        if p.distribution == "integer":
            ends = tuple(int(v) for v in ends)
        return [(f"{prefix}.{end}", {p.key: v}) for end, v in zip(("low", "high"), ends,
                                                                   strict=True)]
    out = []
    for i, level in enumerate(p.levels):
        overrides = {p.key: level, **{key: values[i] for key, values in p.linked
                                      if i < len(values)}}
        out.append((f"{prefix}.levels.{i}", overrides))
    return out


def _rehome(q: Problem, p: ParameterConfig, prefix: str, where: str, hint: str) -> Problem:
    """A with_overrides problem, re-keyed to the parameter entry that caused it."""
    if q.expected.startswith(_KEY_PROBLEMS):
        field = "key" if q.key == p.key else f"linked.{q.key}"
        extra = q.hint or q.expected
        return Problem(f"{prefix}.{field}", "a dotted key of the base scenario", q.key,
                       f"{extra}{hint}")
    at = where if q.key == p.key else f"{prefix}.linked.{q.key}"
    more = "; use distribution = 'integer'" if (p.is_range and q.expected.startswith(
        "an integer")) else ""
    return Problem(at, q.expected, q.got, f"for {q.key}{hint}{more}")


def _unique(problems: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    for p in problems:
        if p not in out:
            out.append(p)
    return out
