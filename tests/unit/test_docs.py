"""The docs cannot drift from the code.

- docs/parameters.md and the key-parameter table in docs/ODD.md are exactly what
  scripts/gen_parameter_tables.py generates from the config metadata now;
- every key the generator documents is a key the override machinery accepts, with the
  documented default;
- every scenario key named in backticks in docs/ODD.md (for example `adoption.q_peer`,
  `hubs.*.core_fte`, or inside an equation span) exists in the config.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from spreadsim.config import HubConfig, InnovatorConfig, ScenarioConfig, ShockConfig
from spreadsim.loading import with_overrides

ROOT = Path(__file__).resolve().parents[2]
ODD = ROOT / "docs" / "ODD.md"
FIX = "run `.venv/bin/python scripts/gen_parameter_tables.py` and commit the result"

#: Top-level sections of a scenario: a dotted key must start with one of these.
SECTIONS = tuple(f.name for f in dataclasses.fields(ScenarioConfig))
#: A scenario-like dotted key inside a code span; segments may be names, indices or globs.
KEY_RE = re.compile(rf"(?<![\w./])(?:{'|'.join(SECTIONS)})(?:\.(?:[A-Za-z_*][\w*]*|\d+))+")
#: Code spans that name files, not keys (``network.py``).
FILE_SUFFIXES = {"py", "toml", "md", "csv", "json", "png", "parquet"}


def _load_generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_parameter_tables.py"
    spec = importlib.util.spec_from_file_location("gen_parameter_tables", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def mentioned_keys(markdown: str) -> list[str]:
    """Scenario-like dotted keys inside inline code spans, in order of appearance."""
    keys: list[str] = []
    for span in re.findall(r"`([^`\n]+)`", markdown):
        for key in KEY_RE.findall(span):
            if key.rsplit(".", 1)[-1] not in FILE_SUFFIXES:
                keys.append(key)
    return keys


def _paths() -> list[list[str]]:
    """Every documented key and every prefix of one, split into segments."""
    paths = {tuple(k.split(".")[:n]) for k in gen.known_keys()
             for n in range(1, k.count(".") + 2)}
    return [list(p) for p in sorted(paths)]


PATHS = _paths()


def key_exists(key: str) -> bool:
    """Does ``key`` name a config key or table? Indices match ``*``; globs match any name."""
    parts = key.split(".")

    def same(mention: str, known: str) -> bool:
        return (mention == known or (mention.isdigit() and known == "*")
                or ("*" in mention and fnmatch.fnmatchcase(known, mention)))

    return any(len(p) == len(parts) and all(map(same, parts, p)) for p in PATHS)


def test_parameters_md_is_up_to_date() -> None:
    expected = gen.render_parameters()
    current = gen.PARAMETERS_MD.read_text(encoding="utf-8") if gen.PARAMETERS_MD.exists() else ""
    assert current == expected, f"docs/parameters.md is out of date with the config: {FIX}"


def test_odd_key_parameter_table_is_up_to_date() -> None:
    text = ODD.read_text(encoding="utf-8")
    assert gen.replace_block(text, gen.render_key_table()) == text, (
        f"the key-parameter table in docs/ODD.md is out of date with the config: {FIX}")


def test_generator_output_is_deterministic() -> None:
    assert gen.render_parameters() == gen.render_parameters()


def test_every_documented_key_is_accepted_by_overrides_with_its_default() -> None:
    """Setting every documented value key to its documented default changes nothing."""
    cfg = dataclasses.replace(ScenarioConfig(), hubs=(HubConfig(),),
                              innovators=(InnovatorConfig(),), shocks=(ShockConfig(),))
    values = {}
    for row in gen.rows():
        if row.is_table:
            continue
        node: object = cfg
        for part in row.key.split("."):
            node = node[0] if part == "*" else getattr(node, part)  # type: ignore[index]
        values[row.key.replace("*", "0")] = node
    assert len(values) > 100
    assert with_overrides(cfg, values) == cfg


@pytest.mark.parametrize("key", ["adoption.q_peer", "hubs.*.core_fte", "hubs.0.core_fte",
                                 "hub_effects.tie_decay", "providers.*.count",
                                 "hubs.*.effort", "adoption.beta_*", "shocks"])
def test_key_check_accepts_real_keys(key: str) -> None:
    assert key_exists(key)


@pytest.mark.parametrize("key", ["adoption.q_peers", "hubs.core_fte", "hubs.*.effort.x",
                                 "hub_effects.*.tie_decay", "adoption.gamma_*"])
def test_key_check_rejects_made_up_keys(key: str) -> None:
    assert not key_exists(key)


def test_key_extraction_finds_keys_in_code_spans_only() -> None:
    text = ("Set `adoption.q_peer` and `P = min(1, adoption.p_external + push)`; see "
            "`network.py` and `src/spreadsim/network.py`, and adoption.not_code here.")
    assert mentioned_keys(text) == ["adoption.q_peer", "adoption.p_external"]


def test_odd_names_only_keys_that_exist() -> None:
    keys = mentioned_keys(ODD.read_text(encoding="utf-8"))
    assert len(set(keys)) >= 50, "the ODD should name the config keys it describes"
    known = gen.known_keys()
    missing = sorted({k for k in keys if not key_exists(k)})
    hints = [f"{k} (did you mean {difflib.get_close_matches(k, known, n=1, cutoff=0.5)}?)"
             for k in missing]
    assert not missing, "docs/ODD.md names keys that are not in the config: " + "; ".join(hints)
