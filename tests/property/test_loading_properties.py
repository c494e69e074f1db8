"""Properties of scenario validation, for every numeric field with a declared range.

The fields are found by walking the config dataclasses, so new parameters are covered without
touching this file.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spreadsim.config import ScenarioConfig
from spreadsim.errors import ScenarioError
from spreadsim.loading import parse_scenario, to_dict, with_overrides

#: A scenario with one element in every array, and room for every in-range index.
BASE = parse_scenario({
    "system": {"n_systems": 42, "n_places": 50},
    "innovators": [{"name": "acme"}],
    "innovations": [{"name": "app", "innovator": "acme"}],
    "hubs": [{"name": "north"}],
    "shocks": [{}],
})


@dataclasses.dataclass(frozen=True)
class Field:
    """A numeric field with a range, at a dotted key (array elements at index 0)."""

    key: str
    kind: type  # int or float
    low: float
    high: float
    array: bool  # a tuple[int, ...] / tuple[float, ...] field


def numeric_fields(cls: type, prefix: str = "") -> list[Field]:
    """Every ranged numeric field below ``cls``, found from annotations and metadata."""
    found: list[Field] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp, key = hints[f.name], f"{prefix}{f.name}"
        args = typing.get_args(tp)
        if dataclasses.is_dataclass(tp):
            found += numeric_fields(tp, f"{key}.")
        elif args and dataclasses.is_dataclass(args[0]):
            found += numeric_fields(args[0], f"{key}.0.")
        elif f.metadata.get("range") is not None:
            kind = args[0] if args else tp
            found.append(Field(key, kind, *f.metadata["range"], array=bool(args)))
    return found


FIELDS = numeric_fields(ScenarioConfig)


def test_the_walk_finds_fields_everywhere() -> None:
    keys = {f.key for f in FIELDS}
    assert {"time.n_steps", "adoption.q_peer", "hubs.0.effort.dissemination",
            "hubs.0.scope_places", "innovations.0.complex_domains", "shocks.0.start_month",
            "providers.pcn.count", "innovators.0.runway_months"} <= keys
    assert len(FIELDS) > 100


def out_of_range(f: Field) -> st.SearchStrategy[Any]:
    """Numbers of the right type but outside the inclusive range."""
    ints = (st.integers(max_value=math.ceil(f.low) - 1)
            | st.integers(min_value=math.floor(f.high) + 1))
    if f.kind is int:
        return ints
    floats = (st.floats(max_value=f.low, exclude_max=True)
              | st.floats(min_value=f.high, exclude_min=True) | st.just(math.nan))
    return floats | ints


def wrong_type(f: Field) -> st.SearchStrategy[Any]:
    """Values of a type the field never accepts."""
    others = st.text(max_size=5) | st.booleans() | st.lists(st.integers(), max_size=2)
    if f.kind is int:
        others |= st.floats().filter(lambda x: not x.is_integer())
    return others


def in_range(f: Field) -> st.SearchStrategy[Any]:
    if f.kind is int:
        return st.integers(int(f.low), int(f.high))
    return st.floats(f.low, f.high) | st.integers(math.ceil(f.low), math.floor(f.high))


def as_value(f: Field, number: Any) -> Any:
    return [number] if f.array else number


#: Ways to spell a key: as is, with '*' for the array index, or with '__' for '.'.
SPELLINGS = st.sampled_from(["dot", "star", "underscore"])


def spell(key: str, how: str) -> tuple[str, str]:
    """Return the override key and the dotted key the error message must name."""
    if how == "star":
        key = key.replace(".0.", ".*.")
    return (key.replace(".", "__"), key) if how == "underscore" else (key, key)


def assert_rejected(f: Field, value: Any, how: str) -> None:
    override, shown = spell(f.key, how)
    with pytest.raises(ScenarioError) as info:
        with_overrides(BASE, {override: value}, source="prop")
    assert str(info.value).startswith("prop: ")
    assert shown in str(info.value)


def assert_parse_rejected(f: Field, value: Any) -> None:
    data = to_dict(BASE)
    *parents, last = f.key.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "file.toml")
    assert f"file.toml: {f.key}" in str(info.value)


@pytest.mark.parametrize("f", FIELDS, ids=lambda f: f.key)
@settings(max_examples=4)
@given(data=st.data(), how=SPELLINGS)
def test_out_of_range_numbers_are_rejected(f: Field, data: st.DataObject, how: str) -> None:
    value = as_value(f, data.draw(out_of_range(f)))
    assert_rejected(f, value, how)
    assert_parse_rejected(f, value)


@pytest.mark.parametrize("f", FIELDS, ids=lambda f: f.key)
@settings(max_examples=4)
@given(data=st.data(), how=SPELLINGS)
def test_wrong_types_are_rejected(f: Field, data: st.DataObject, how: str) -> None:
    value = data.draw(wrong_type(f))
    if f.array and isinstance(value, list):
        value = [value]  # a list is a fine array; a list inside one is not
    assert_rejected(f, value, how)
    assert_parse_rejected(f, value)


@pytest.mark.parametrize("f", FIELDS, ids=lambda f: f.key)
@settings(max_examples=4)
@given(data=st.data(), how=SPELLINGS)
def test_in_range_numbers_are_accepted(f: Field, data: st.DataObject, how: str) -> None:
    number = data.draw(in_range(f))
    override, _ = spell(f.key, how)
    cfg = with_overrides(BASE, {override: as_value(f, number)})
    got: Any = cfg
    for part in f.key.split("."):
        got = got[int(part)] if part.isdigit() else getattr(got, part)
    assert got == (tuple(as_value(f, number)) if f.array else number)
    assert type(got[0] if f.array else got) is f.kind
