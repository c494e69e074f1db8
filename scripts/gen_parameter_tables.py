"""Generate the parameter tables of the docs from the scenario config's field metadata.

Writes ``docs/parameters.md`` (every scenario key: one table per section of
:class:`spreadsim.config.ScenarioConfig`) and the key-parameter table between the
``BEGIN GENERATED`` / ``END GENERATED`` markers in ``docs/ODD.md``. Both are rebuilt from the
``param()`` metadata (doc, unit, range, choices, source) and the built-in defaults, so they
cannot drift from the code; ``tests/unit/test_docs.py`` fails when they are stale.

Usage::

    .venv/bin/python scripts/gen_parameter_tables.py          # rewrite both files
    .venv/bin/python scripts/gen_parameter_tables.py --check  # exit 1 if either is stale

The output is deterministic: no dates, no machine-dependent content.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import typing
from pathlib import Path
from typing import Any

from spreadsim.config import ScenarioConfig

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS_MD = ROOT / "docs" / "parameters.md"
ODD_MD = ROOT / "docs" / "ODD.md"
COMMAND = ".venv/bin/python scripts/gen_parameter_tables.py"
BEGIN = "<!-- BEGIN GENERATED key-parameters (scripts/gen_parameter_tables.py; do not edit) -->"
END = "<!-- END GENERATED key-parameters -->"

#: The main levers and priors shown in docs/ODD.md: (dotted key, role in the model).
KEY_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("time.n_steps", "horizon"),
    ("hubs.*.budget_gbp", "lever: money"),
    ("hubs.*.funding_months", "lever: funded period"),
    ("hubs.*.core_fte", "lever: core workforce"),
    ("hubs.*.inkind_fte", "lever: in-kind workforce"),
    ("hubs.*.cost_per_fte_year", "prior: pay cost"),
    ("hubs.*.hours_per_fte_month", "prior: productive hours"),
    ("hubs.*.effort.coordination", "lever: function mix"),
    ("hubs.*.effort.dissemination", "lever: function mix"),
    ("hubs.*.effort.partnership", "lever: function mix"),
    ("hubs.*.structure_share", "lever: structure vs flexibility"),
    ("hubs.*.targeting", "lever: whom to work with first"),
    ("hubs.*.role_overlap", "prior: role clarity"),
    ("hubs.*.role_clarity_halving_months", "prior: role clarity"),
    ("hubs.*.mapped_share", "prior: ecosystem knowledge"),
    ("hubs.*.initial_trust", "prior: relationships"),
    ("hubs.*.inkind_withdrawal_probability", "prior: in-kind fragility"),
    ("adoption.p_external", "prior: Bass p analogue"),
    ("adoption.q_peer", "prior: Bass q analogue"),
    ("adoption.beta_endorsement", "prior: leadership"),
    ("adoption.beta_aligned", "prior: system priorities"),
    ("adoption.abandonment_monthly", "prior: sustainment"),
    ("adoption.funding_cliff_multiplier", "prior: funding cliff"),
    ("hub_effects.dissemination_max", "prior: dissemination"),
    ("hub_effects.coordination_speedup", "prior: coordination"),
    ("hub_effects.hours_per_tie", "prior: partnerships"),
    ("hub_effects.tie_decay", "prior: partnerships"),
    ("hub_effects.trust_gain_per_hour", "prior: relationships"),
    ("hub_effects.structure_efficiency", "prior: structured effort"),
    ("hub_effects.nonpay_efficiency", "prior: non-pay money"),
)


class Row(typing.NamedTuple):
    """One documented scenario key (a value, or a nested table shown as a heading row)."""

    key: str
    default: str
    allowed: str
    unit: str
    doc: str
    source: str
    is_table: bool = False


# --------------------------------------------------------------------------- walking the config


def _element_class(tp: Any) -> type | None:
    """The dataclass of a ``tuple[SomeConfig, ...]`` annotation, else ``None``."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and args and dataclasses.is_dataclass(args[0]):
        return args[0]
    return None


def rows(cls: type = ScenarioConfig, instance: Any = None, prefix: str = "") -> list[Row]:
    """Every key of a config dataclass, depth first, in declaration order.

    Nested tables are walked through their default instance (so ``providers.acute.count`` shows
    the acute default, not the generic one); arrays of tables (``hubs``, ``innovations``, ...)
    through a default element, with ``*`` standing for the element index.

    Args:
        cls: The dataclass to document.
        instance: Its default instance (``cls()`` if ``None``).
        prefix: Dotted key of ``cls`` within the scenario.
    """
    instance = cls() if instance is None else instance
    hints = typing.get_type_hints(cls)
    out: list[Row] = []
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        meta, value, tp = f.metadata, getattr(instance, f.name), hints[f.name]
        element = _element_class(tp)
        if dataclasses.is_dataclass(value):
            out.append(Row(key, "", "table (keys below)", "", meta["doc"], meta["source"], True))
            out += rows(type(value), value, key + ".")
        elif element is not None:
            n = len(value)
            default = "none" if n == 0 else f"{n} entr{'y' if n == 1 else 'ies'}"
            out.append(Row(key, default, f"array of tables: `[[{key}]]`", "", meta["doc"],
                           meta["source"], True))
            out += rows(element, None, key + ".*.")
        else:
            out.append(Row(key, _fmt(value), _allowed(tp, meta), meta["unit"], meta["doc"],
                           meta["source"]))
    return out


def known_keys() -> list[str]:
    """Every dotted scenario key (values and tables), ``*`` for array elements."""
    return [r.key for r in rows()]


# --------------------------------------------------------------------------- formatting


def _num(x: float) -> str:
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return f"{int(x):,}".replace(",", "_") if abs(x) >= 10_000 else str(int(x))
    return f"{x:.6g}"


def _fmt(value: Any) -> str:
    """A default as it would be written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if len(text) <= 10 else f"{value:.6g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _allowed(tp: Any, meta: typing.Mapping[str, Any]) -> str:
    """Type and allowed values in words, from the annotation and the range/choices metadata."""
    element = typing.get_args(tp)[0] if typing.get_origin(tp) is tuple else None
    base = element if element is not None else tp
    if meta["choices"]:
        values = ", ".join(f'"{c}"' for c in meta["choices"])
        text = f"one of {values}"
    elif base is bool:
        text = "true or false"
    elif base is str:
        text = "text"
    else:
        kind = "integer" if base is int else "number"
        rng = meta["range"]
        text = kind if rng is None else f"{kind}, {_num(rng[0])} to {_num(rng[1])}"
    return f"list; each {text}" if element is not None else text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _table(header: tuple[str, ...], body: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
    return lines


def _row_cells(r: Row) -> tuple[str, ...]:
    key = f"**`{r.key}`**" if r.is_table else f"`{r.key}`"
    default = f"`{r.default}`" if r.default and not r.is_table else r.default
    source = "" if r.is_table and r.source == "assumption" else r.source
    return (key, default, r.allowed, r.unit, r.doc, source)


def _doc_line(cls: type) -> str:
    return (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


# --------------------------------------------------------------------------- rendering


def render_parameters() -> str:
    """The whole of docs/parameters.md."""
    header = ("Key", "Default", "Allowed", "Unit", "Description", "Source")
    all_rows = rows()
    hints = typing.get_type_hints(ScenarioConfig)
    out = [
        "# Scenario parameters",
        "",
        f"<!-- Generated by scripts/gen_parameter_tables.py from the field metadata in "
        f"src/spreadsim/config.py. Do not edit by hand: run `{COMMAND}`. -->",
        "",
        "Every key a scenario TOML file can set, with its built-in default (the value used when "
        "neither the scenario nor a file it `extends` sets it), the values the loader accepts, "
        "the unit, what it means and where the default comes from. **assumption** marks a prior "
        "to sweep, not an estimate; *DOMAIN n* refers to section n of the project's domain "
        "notes (facts with sources). The model that uses these parameters is described in "
        "[ODD.md](ODD.md).",
        "",
        "Keys are dotted paths, as used by `spreadsim run --set KEY=VALUE`, "
        "`SpreadModel(..., **overrides)` and `spreadsim.loading.with_overrides`. In arrays of "
        "tables (`[[hubs]]`, `[[innovations]]`, `[[innovators]]`, `[[shocks]]`) `*` stands for "
        "the element index: `hubs.0.core_fte` is the first hub's core FTE and "
        "`hubs.*.core_fte` sets it for every hub. Scenario files such as "
        "`scenarios/baseline_no_hub.toml` override many of these defaults.",
        "",
        "Sections:",
        "",
    ]
    scalars = [r for r in all_rows if "." not in r.key and not r.is_table]
    sections: list[tuple[str, list[Row]]] = [("Scenario (top level)", scalars)] if scalars else []
    for f in dataclasses.fields(ScenarioConfig):
        sub = [r for r in all_rows if r.key.startswith(f.name + ".")]
        if sub:
            sections.append((f.name, sub))
    for title, _ in sections:
        top = title.startswith("Scenario")
        out.append(f"- [{title}](#scenario-top-level)" if top else f"- [`{title}`](#{title})")
    for title, sub in sections:
        out += ["", f"## {title}" if title.startswith("Scenario") else f"## `{title}`", ""]
        if title.startswith("Scenario"):
            out += [_doc_line(ScenarioConfig), ""]
        else:
            field = {f.name: f for f in dataclasses.fields(ScenarioConfig)}[title]
            element = _element_class(hints[title])
            cls = element or type(getattr(ScenarioConfig(), title))
            intro = _doc_line(cls)
            if field.metadata["source"] != "assumption":
                intro += f" Source: {field.metadata['source']}."
            if element is not None:
                n = len(getattr(ScenarioConfig(), title))
                intro += (f" An array of tables, `[[{title}]]`, one per entry; built-in default: "
                          f"{'none' if n == 0 else n}. Defaults below are those of a new entry.")
            out += [intro, ""]
        out += _table(header, [_row_cells(r) for r in sub])
    return "\n".join(out) + "\n"


def render_key_table() -> str:
    """The key-parameter table (with its markers) for docs/ODD.md."""
    by_key = {r.key: r for r in rows()}
    unknown = [k for k, _ in KEY_PARAMETERS if k not in by_key]
    if unknown:
        raise KeyError(f"KEY_PARAMETERS names keys that are not in the config: {unknown}")
    body = []
    for key, role in KEY_PARAMETERS:
        r = by_key[key]
        body.append((f"`{key}`", role, f"`{r.default}`", r.allowed, r.unit or "-", r.source))
    lines = [BEGIN, ""]
    lines += _table(("Key", "Role", "Default", "Range or choices", "Unit", "Source"), body)
    return "\n".join([*lines, "", END])


def replace_block(text: str, block: str) -> str:
    """``text`` with the generated block between the markers replaced by ``block``.

    Raises:
        ValueError: If the markers are missing or out of order.
    """
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"docs/ODD.md must contain the markers\n{BEGIN}\n...\n{END}")
    return text[:start] + block + text[end + len(END):]


def expected_files() -> dict[Path, str]:
    """What both generated files should contain now."""
    odd = ODD_MD.read_text(encoding="utf-8")
    return {PARAMETERS_MD: render_parameters(), ODD_MD: replace_block(odd, render_key_table())}


def main(argv: list[str] | None = None) -> int:
    """Write (or, with ``--check``, compare) the generated parameter tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a file is out of date instead of writing it")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date: {', '.join(map(str, stale))}; run `{COMMAND}`", file=sys.stderr)
        return 1
    if not args.check:
        print("updated: " + (", ".join(map(str, stale)) if stale else "nothing (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
