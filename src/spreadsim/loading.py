"""Scenario files: TOML in, validated :class:`~spreadsim.config.ScenarioConfig` out.

Reading is strict and reports everything at once: every problem in a file (unknown keys with a
did-you-mean, wrong types, values outside their documented range or choices) is gathered into one
:class:`~spreadsim.errors.ScenarioError` that names the file and the dotted key of each problem.
The checks come from the field metadata declared with :func:`spreadsim.config.param`, so this
module knows nothing about particular parameters.

A file may start with ``extends = "base.toml"`` (relative to the file). The base is loaded first
and the file is deep-merged over it: tables merge key by key, while arrays (including arrays of
tables such as ``[[hubs]]``) and scalars are replaced wholesale.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import tomllib
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from spreadsim.config import ScenarioConfig, cross_field_problems
from spreadsim.errors import Problem, ScenarioError

#: Keys holding file paths, resolved relative to the scenario file that sets them.
SCENARIO_PATH_KEYS: tuple[str, ...] = ("network.nodes_file", "network.edges_file")

_MAX_GOT_REPR = 80
_SHOWN_KEYS = 6

Check = Callable[[Mapping[str, Any]], list[Problem]]


# --------------------------------------------------------------------------- public API


def load_scenario(path: str | os.PathLike[str]) -> ScenarioConfig:
    """Load and validate a scenario file.

    Args:
        path: The scenario's TOML file. Relative ``network.nodes_file`` and
            ``network.edges_file`` paths in it are resolved against the file's folder.

    Returns:
        The validated, frozen scenario.

    Raises:
        ScenarioError: If the file (or a file it extends) cannot be read, is not valid TOML or
            holds invalid values; every problem in the file is listed.
    """
    data = load_toml(path, path_keys=SCENARIO_PATH_KEYS, check_base=_scenario_field_problems)
    return parse_scenario(data, os.fspath(path))


def load_toml(
    path: str | os.PathLike[str],
    *,
    path_keys: Iterable[str] = (),
    check_base: Check | None = None,
) -> dict[str, Any]:
    """Read a TOML file, following its ``extends`` chain, into one merged table.

    Args:
        path: The TOML file to read.
        path_keys: Dotted keys whose relative string values are file paths; each is made
            absolute against the folder of the file that sets it.
        check_base: Optional check run on the own keys of every base file (not on ``path``
            itself), so that problems in a base are reported with the base's path.

    Returns:
        The merged table, without the ``extends`` key.

    Raises:
        ScenarioError: For a missing, unreadable, non-UTF-8 or syntactically invalid file, a
            missing ``extends`` target or an ``extends`` cycle.
    """
    return _load_chain(os.fspath(path), [], tuple(path_keys), check_base)


def parse_scenario(data: Mapping[str, Any], path: str = "<dict>") -> ScenarioConfig:
    """Validate a plain table (as read from TOML) into a scenario.

    Args:
        data: The scenario as nested dicts and lists.
        path: Where the data came from, used in the error message.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: Listing every field problem, or every cross-field problem.
    """
    cfg, problems = _scenario_problems(data)
    if cfg is None or problems:
        raise ScenarioError(path, problems)
    return cfg


def build_dataclass[T](
    cls: type[T], data: Mapping[str, Any], prefix: str = ""
) -> tuple[T | None, list[Problem]]:
    """Build a (possibly nested) config dataclass from a table, checking every field.

    Types come from the annotations; allowed values from the ``range`` and ``choices`` field
    metadata. Missing keys take their defaults.

    Args:
        cls: The dataclass to build.
        data: Its table, as read from TOML.
        prefix: Dotted key of ``data`` within the file, used in problems.

    Returns:
        ``(instance, [])`` when everything is valid, else ``(None, problems)`` with every
        problem found in ``data``.
    """
    if not isinstance(data, Mapping):
        return None, [Problem(prefix, "a table", _brief(data))]
    fields, hints = _schema(cls)
    kwargs: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in data.items():
        key = _join(prefix, str(name))
        if name not in fields:
            problems.append(_unknown_key(key, str(name), fields))
            continue
        kwargs[name], found = _convert(hints[name], fields[name].metadata, value, key)
        problems += found
    return (None, problems) if problems else (cls(**kwargs), [])


def to_dict(cfg: Any) -> dict[str, Any]:
    """Turn a config dataclass into plain, TOML- and JSON-able data (tuples become lists).

    The inverse of :func:`parse_scenario`: ``parse_scenario(to_dict(c)) == c``.
    """
    return _plain(cfg)


def with_overrides(
    cfg: ScenarioConfig, overrides: Mapping[str, object], source: str = "--set"
) -> ScenarioConfig:
    """Return a re-validated copy of a scenario with some values changed.

    Keys are dotted paths such as ``adoption.q_peer``, ``hubs.0.core_fte`` or
    ``hubs.*.effort.dissemination`` (``*`` sets every element of an array); ``__`` may stand for
    ``.`` (``hubs__0__core_fte``), so overrides can be Python keyword arguments. A whole table or
    array may be replaced if the value fits.

    Args:
        cfg: The scenario to start from.
        overrides: Dotted key -> new value.
        source: Where the overrides came from, shown as the "file" in errors.

    Returns:
        The new, validated scenario.

    Raises:
        ScenarioError: Naming each bad override by its dotted key.
    """
    data = to_dict(cfg)
    keys = [str(k).replace("__", ".") for k in overrides]
    problems: list[Problem] = []
    for key, value in zip(keys, overrides.values(), strict=True):
        problems += _assign(data, key.split("."), 0, _plain(value), key)
    new, found = _scenario_problems(data)
    patterns = [k.split(".") for k in keys]
    problems += [dataclasses.replace(p, key=_rekey(p.key, patterns)) for p in found]
    if new is None or problems:
        raise ScenarioError(source, _unique(problems))
    return new


def parse_set_option(text: str) -> tuple[str, object]:
    """Parse a command-line ``--set KEY=VALUE`` into a key and a typed value.

    The value is read as a TOML value (``0.1`` -> float, ``true`` -> bool, ``[]`` -> list,
    ``"x"`` -> str); anything that is not valid TOML is kept as the raw string, so
    ``name=north`` works without quotes.

    Raises:
        ScenarioError: If there is no ``=`` or no key.
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError("--set", [Problem("", "KEY=VALUE", text)])
    try:
        parsed = tomllib.loads(f"v = {raw}")
    except tomllib.TOMLDecodeError:
        return key.strip(), raw
    return key.strip(), parsed["v"] if len(parsed) == 1 else raw


# --------------------------------------------------------------------------- reading files


def _load_chain(
    display: str, chain: list[tuple[Path, str]], path_keys: tuple[str, ...],
    check_base: Check | None,
) -> dict[str, Any]:
    """Read ``display`` and, recursively, the files it extends; merge base-first."""
    data = _read_toml(display)
    base_ref = data.pop("extends", None)
    _resolve_paths(data, Path(display).parent, path_keys)
    if chain and check_base is not None and (problems := check_base(data)):
        raise ScenarioError(display, problems)
    if base_ref is None:
        return data
    here = [*chain, (Path(display).resolve(), display)]
    base = _load_chain(_base_path(display, base_ref, here), here, path_keys, check_base)
    return _merge(base, data)


def _base_path(display: str, ref: object, chain: list[tuple[Path, str]]) -> str:
    """Return the path of the base named by ``extends = ref``, or raise for a bad one."""
    if not isinstance(ref, str) or not ref:
        raise ScenarioError(display, [Problem("extends", "the path of a TOML file", _brief(ref))])
    target = os.path.normpath(os.path.join(os.path.dirname(display), ref))
    real = Path(target).resolve()
    if real in [r for r, _ in chain]:
        cycle = " -> ".join([d for _, d in chain] + [target])
        raise ScenarioError(display, [Problem("extends", "a file not already in the extends chain",
                                              ref, f"cycle: {cycle}")])
    if not Path(target).is_file():
        why = "a directory" if Path(target).is_dir() else "no such file"
        raise ScenarioError(display, [Problem("extends", "an existing TOML file", ref,
                                              f"{why}: {target}")])
    return target


def _read_toml(display: str) -> dict[str, Any]:
    """Read one TOML file; every way it can fail becomes a one-line ScenarioError."""
    path = Path(display)
    if path.is_dir():
        raise ScenarioError(display, "is a directory, not a TOML file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(display, "no such file") from None
    except PermissionError:
        raise ScenarioError(display, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise ScenarioError(display, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(_decode(display, raw))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(display, f"invalid TOML: {exc}") from None


def _decode(display: str, raw: bytes) -> str:
    """Decode a file's bytes as UTF-8 (a leading BOM is allowed), rejecting binary data."""
    if b"\x00" in raw:
        raise ScenarioError(display, "not a text file (it contains NUL bytes); expected UTF-8 "
                                     "TOML")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(display, f"not UTF-8 text: byte 0x{raw[exc.start]:02x} on line "
                                     f"{line} cannot be decoded; save the file as UTF-8") from None


def _resolve_paths(data: dict[str, Any], folder: Path, path_keys: tuple[str, ...]) -> None:
    """Make the relative file paths at ``path_keys`` absolute against ``folder``, in place."""
    for dotted in path_keys:
        *parents, last = dotted.split(".")
        node: Any = data
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        value = node.get(last) if isinstance(node, dict) else None
        if isinstance(value, str) and value:
            node[last] = os.path.abspath(os.path.join(folder, value))


def _merge(base: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``child`` over ``base``: tables merge, everything else is replaced."""
    merged = dict(base)
    for key, value in child.items():
        old = merged.get(key)
        both_tables = isinstance(old, dict) and isinstance(value, dict)
        merged[key] = _merge(old, value) if both_tables else value
    return merged


# --------------------------------------------------------------------------- building


def _scenario_problems(data: Mapping[str, Any]) -> tuple[ScenarioConfig | None, list[Problem]]:
    """Build a scenario and run the cross-field checks; return it with every problem."""
    cfg, problems = build_dataclass(ScenarioConfig, data)
    if cfg is None:
        return None, problems
    return cfg, [Problem(k, expected, got) for k, expected, got in cross_field_problems(cfg)]


def _scenario_field_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Field-level problems of a (possibly partial) scenario table, e.g. a base file."""
    return build_dataclass(ScenarioConfig, data)[1]


@functools.cache
def _schema(cls: type) -> tuple[dict[str, dataclasses.Field[Any]], dict[str, Any]]:
    """A dataclass's init fields by name, and their resolved types (annotations are strings)."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    return fields, typing.get_type_hints(cls)


def _convert(tp: Any, meta: Mapping[str, Any], value: Any, key: str) -> tuple[Any, list[Problem]]:
    """Check and convert one field value of type ``tp``."""
    if dataclasses.is_dataclass(tp):
        return build_dataclass(tp, value, key)  # type: ignore[arg-type]
    if typing.get_origin(tp) is tuple:
        return _convert_array(typing.get_args(tp), meta, value, key)
    converted, problem = _convert_scalar(tp, meta, value, key)
    return converted, [problem] if problem else []


def _convert_array(
    args: tuple[Any, ...], meta: Mapping[str, Any], value: Any, key: str
) -> tuple[Any, list[Problem]]:
    """Check and convert an array for a ``tuple[X, ...]`` field, element by element."""
    if len(args) != 2 or args[1] is not Ellipsis:
        raise TypeError(f"{key}: only tuple[X, ...] fields are supported, not tuple{list(args)}")
    if not isinstance(value, (list, tuple)):
        return None, [Problem(key, _expect_array(args[0], meta), _brief(value))]
    items, problems = [], []
    for i, item in enumerate(value):
        converted, found = _convert(args[0], meta, item, f"{key}.{i}")
        items.append(converted)
        problems += found
    return tuple(items), problems


def _convert_scalar(
    tp: Any, meta: Mapping[str, Any], value: Any, key: str
) -> tuple[Any, Problem | None]:
    """Check and convert a bool, int, float or str; return ``(value, problem or None)``."""
    ok = _SCALAR_OK.get(tp)
    if ok is None:
        raise TypeError(f"{key}: unsupported config field type {tp!r}")
    if ok(value) and _allowed(value, meta):
        return (float(value) if tp is float else value), None
    hint = ""
    if isinstance(value, str) and meta.get("choices"):
        hint = _did_you_mean(value, meta["choices"]) or ""
    return None, Problem(key, _expect(tp, meta), _brief(value), hint)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


_SCALAR_OK: dict[type, Callable[[object], bool]] = {
    bool: lambda v: isinstance(v, bool),
    int: _is_int,
    float: _is_number,
    str: lambda v: isinstance(v, str),
}


def _allowed(value: Any, meta: Mapping[str, Any]) -> bool:
    """Whether a well-typed value lies in the field's inclusive range and choices."""
    low_high = meta.get("range")
    if low_high is not None and not isinstance(value, (str, bool)):
        low, high = low_high
        if not low <= value <= high:
            return False
    choices = meta.get("choices")
    return choices is None or not isinstance(value, str) or value in choices


# --------------------------------------------------------------------------- messages


def _expect(tp: Any, meta: Mapping[str, Any]) -> str:
    """Describe, in words, what a scalar field accepts: 'an integer in [1, 600]'."""
    if tp is bool:
        return "true or false"
    if tp is str:
        choices = meta.get("choices")
        return f"one of {_quoted(choices)}" if choices else "a string"
    noun = "an integer" if tp is int else "a number"
    low_high = meta.get("range")
    if low_high is None:
        return noun if tp is int else "a finite number"
    return f"{noun} in [{low_high[0]!r}, {low_high[1]!r}]"


def _expect_array(tp: Any, meta: Mapping[str, Any]) -> str:
    """Describe what an array field accepts: 'an array of integers in [0, 49]'."""
    if dataclasses.is_dataclass(tp):
        return "an array of tables"
    plural = {bool: "true/false values", int: "integers", float: "numbers", str: "strings"}[tp]
    detail = _expect(tp, meta)
    if " in [" in detail:
        return f"an array of {plural} in [{detail.split(' in [', 1)[1]}"
    if meta.get("choices"):
        return f"an array of strings, each {detail}"
    return f"an array of {plural}"


def _unknown_key(key: str, name: str, valid: Iterable[str]) -> Problem:
    """Problem for an unknown key, with a did-you-mean or a few valid keys."""
    valid = list(valid)
    hint = _did_you_mean(name, valid)
    if hint is None:
        shown = _quoted(valid[:_SHOWN_KEYS]) + (", ..." if len(valid) > _SHOWN_KEYS else "")
        hint = f"valid keys here: {shown}"
    return Problem(key, "a known key", None, hint)


def _did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """'did you mean 'x'?' for the closest option, or None if nothing is close."""
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class _Abridged:
    """A stand-in for a long value in a problem, shown as its truncated repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Abridged) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _brief(value: object) -> object:
    """The value itself, or an abridged stand-in if its repr is too long for a message."""
    text = repr(value)
    return value if len(text) <= _MAX_GOT_REPR else _Abridged(text[: _MAX_GOT_REPR - 3] + "...")


# --------------------------------------------------------------------------- overrides


def _plain(value: Any) -> Any:
    """Dataclasses -> dicts, tuples -> lists, recursively; other values unchanged."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name))
                for f in dataclasses.fields(value) if f.init}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _assign(node: Any, parts: list[str], pos: int, value: Any, key: str) -> list[Problem]:
    """Set ``value`` at ``parts[pos:]`` below ``node`` (``*`` = every element); list problems."""
    part, last = parts[pos], pos == len(parts) - 1
    where = ".".join(parts[:pos])
    if isinstance(node, dict):
        if part not in node:
            return [_unknown_override(key, parts, pos, node)]
        if last:
            node[part] = value
            return []
        return _assign(node[part], parts, pos + 1, value, key)
    if isinstance(node, list):
        return _assign_items(node, parts, pos, value, key)
    return [Problem(key, f"a table or array at '{where}'", _brief(node))]


def _assign_items(node: list[Any], parts: list[str], pos: int, value: Any,
                  key: str) -> list[Problem]:
    """The array case of :func:`_assign`: an index or ``*``."""
    part, where = parts[pos], ".".join(parts[:pos])
    if not node:
        return [Problem(key, f"at least one element in '{where}'", [],
                        f"{where}.{part}: no elements to set")]
    if part == "*":
        indices = range(len(node))
    elif part.isdigit() and int(part) < len(node):
        indices = range(int(part), int(part) + 1)
    else:
        return [Problem(key, f"an index in [0, {len(node) - 1}] or '*' after '{where}'", part)]
    problems: list[Problem] = []
    for i in indices:
        if pos == len(parts) - 1:
            node[i] = value
        else:
            problems += _assign(node[i], parts, pos + 1, value, key)
    return problems


def _unknown_override(key: str, parts: list[str], pos: int, table: Mapping[str, Any]) -> Problem:
    """Unknown-key problem for an override, suggesting the corrected dotted key."""
    match = difflib.get_close_matches(parts[pos], list(table), n=1, cutoff=0.6)
    if not match:
        return _unknown_key(key, parts[pos], table)
    fixed = ".".join([*parts[:pos], match[0], *parts[pos + 1:]])
    return Problem(key, "a known key", None, f"did you mean '{fixed}'?")


def _rekey(key: str, patterns: list[list[str]]) -> str:
    """Rewrite a problem key via the override that caused it (``hubs.0.x`` -> ``hubs.*.x``)."""
    parts = key.split(".")
    best: list[str] | None = None
    for pattern in patterns:
        if len(pattern) <= len(parts) and all(
            a == b or (a == "*" and b.isdigit()) for a, b in zip(pattern, parts, strict=False)
        ) and (best is None or len(pattern) > len(best)):
            best = pattern
    return key if best is None else ".".join(best + parts[len(best):])


def _unique(problems: list[Problem]) -> list[Problem]:
    """Drop repeated problems (a ``*`` override can fail the same way on every element)."""
    unique: list[Problem] = []
    for p in problems:
        if p not in unique:
            unique.append(p)
    return unique
