"""Scenario loading: reading, extends, validation messages, round trip and overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spreadsim.config import (
    HubConfig,
    InnovationConfig,
    InnovatorConfig,
    ScenarioConfig,
    TimeConfig,
)
from spreadsim.errors import Problem, ScenarioError
from spreadsim.loading import (
    build_dataclass,
    load_scenario,
    load_toml,
    parse_scenario,
    parse_set_option,
    to_dict,
    with_overrides,
)

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def load_error(path: Path | str) -> ScenarioError:
    """Load a file that must fail and return the error."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- bad files


def test_unknown_key_suggests_the_right_one() -> None:
    err = load_error(BAD / "unknown_key.toml")
    text = str(err)
    assert str(BAD / "unknown_key.toml") in text
    assert "adoption.q_per" in text
    assert "did you mean 'q_peer'?" in text
    assert err.problems == [Problem("adoption.q_per", "a known key", None,
                                    "did you mean 'q_peer'?")]


def test_unknown_key_without_a_close_match_lists_valid_keys() -> None:
    with pytest.raises(ScenarioError, match=r"time\.zzz: expected a known key "
                                            r"\(valid keys here: 'n_steps'\)"):
        parse_scenario({"time": {"zzz": 1}}, "s.toml")


def test_wrong_type_names_key_and_expected_type() -> None:
    text = str(load_error(BAD / "wrong_type.toml"))
    assert text == (f"{BAD / 'wrong_type.toml'}: time.n_steps: expected an integer in "
                    "[1, 600], got '84'")


def test_out_of_range_is_rejected_not_clamped() -> None:
    text = str(load_error(BAD / "out_of_range.toml"))
    assert str(BAD / "out_of_range.toml") in text
    assert "adoption.q_peer: expected a number in [0.0, 1.0], got 1.5" in text


def test_bad_choice_lists_the_choices() -> None:
    text = str(load_error(BAD / "bad_choice.toml"))
    assert str(BAD / "bad_choice.toml") in text
    assert ("network.kind: expected one of 'place', 'complete', 'edge_list', 'small_world', "
            "got 'smallworld' (did you mean 'small_world'?)") in text


def test_problems_in_arrays_of_tables_use_zero_based_indices() -> None:
    err = load_error(BAD / "bad_array_of_tables.toml")
    assert str(BAD / "bad_array_of_tables.toml") in str(err)
    assert [p.key for p in err.problems] == ["innovations.1.complexity",
                                             "innovations.1.eligible_kinds.1"]
    assert "got 'hospice'" in str(err)


def test_tables_and_arrays_of_tables_must_have_that_shape() -> None:
    err = load_error(BAD / "not_a_table.toml")
    assert str(BAD / "not_a_table.toml") in str(err)
    assert [str(p) for p in err.problems] == ["adoption: expected a table, got 0.5",
                                             "hubs.0: expected a table, got 'north'"]


def test_cross_field_problems_are_reported() -> None:
    err = load_error(BAD / "cross_field.toml")
    assert str(BAD / "cross_field.toml") in str(err)
    assert "innovations.0.innovator" in str(err)
    assert "got 'acme'" in str(err)


def test_several_problems_are_reported_at_once() -> None:
    err = load_error(BAD / "many_problems.toml")
    text = str(err)
    assert text.startswith(f"{BAD / 'many_problems.toml'}: 5 problems\n")
    assert [p.key for p in err.problems] == [
        "seeed", "time.n_steps", "adoption.instant", "adoption.p_external", "hubs.0.core_fte"]
    assert "did you mean 'seed'?" in text
    assert "adoption.instant: expected true or false, got 'yes'" in text
    assert "adoption.p_external: expected a number in [0.0, 1.0], got nan" in text
    assert "hubs.0.core_fte: expected a number in [0.0, 100.0], got True" in text


def test_syntax_error_gives_line_and_column() -> None:
    text = str(load_error(BAD / "syntax_error.toml"))
    assert text.startswith(f"{BAD / 'syntax_error.toml'}: invalid TOML: ")
    assert "(at line 2, column 8)" in text


def test_missing_file() -> None:
    assert str(load_error(BAD / "nope.toml")) == f"{BAD / 'nope.toml'}: no such file"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert str(load_error(tmp_path)) == f"{tmp_path}: is a directory, not a TOML file"


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.toml"
    path.write_bytes(bytes(range(256)) * 4)
    text = str(load_error(path))
    assert text.startswith(f"{path}: not a text file")


def test_non_utf8_text_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('name = "x"\ndescription = "Sant\xe9"\n'.encode("latin-1"))
    text = str(load_error(path))
    assert text.startswith(f"{path}: not UTF-8 text: byte 0xe9 on line 2")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes('\ufeffname = "bom"\n'.encode())
    assert load_scenario(path).name == "bom"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "locked.toml", 'name = "x"\n')

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    assert str(load_error(path)) == f"{path}: cannot read the file: permission denied"


# --------------------------------------------------------------------------- extends


def test_extends_missing_target() -> None:
    err = load_error(BAD / "extends_missing.toml")
    assert err.path == str(BAD / "extends_missing.toml")
    assert str(err) == (f"{BAD / 'extends_missing.toml'}: extends: expected an existing TOML "
                        f"file, got 'no_such_base.toml' (no such file: "
                        f"{BAD / 'no_such_base.toml'})")


def test_extends_cycle_shows_the_chain() -> None:
    a, b = BAD / "cycle_a.toml", BAD / "cycle_b.toml"
    text = str(load_error(a))
    assert text.startswith(f"{b}: extends: ")
    assert f"cycle: {a} -> {b} -> {a}" in text


def test_extends_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "self.toml", 'extends = "self.toml"\n')
    assert f"cycle: {path} -> {path}" in str(load_error(path))


def test_extends_must_be_a_string(tmp_path: Path) -> None:
    path = write(tmp_path, "s.toml", "extends = 3\n")
    assert str(load_error(path)) == f"{path}: extends: expected the path of a TOML file, got 3"


def test_problems_in_a_base_are_reported_with_the_base_path() -> None:
    err = load_error(BAD / "extends_bad_base.toml")
    assert err.path == str(BAD / "base_with_problem.toml")
    assert "hub_effects.dissemination_max: expected a number in [0.0, 1.0], got 2.0" in str(err)


def test_syntax_error_in_a_base_names_the_base(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", "name = \n")
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n')
    assert str(load_error(child)).startswith(f"{tmp_path / 'base.toml'}: invalid TOML: ")


def test_extends_overrides_one_value(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", """
name = "base"
[adoption]
q_peer = 0.05
p_external = 0.01
[[hubs]]
name = "north"
[[hubs]]
name = "south"
""")
    child = write(tmp_path, "child.toml", """
extends = "base.toml"
[adoption]
q_peer = 0.1
""")
    cfg = load_scenario(child)
    assert cfg.name == "base"
    assert cfg.adoption.q_peer == 0.1
    assert cfg.adoption.p_external == 0.01  # tables merge key by key
    assert [h.name for h in cfg.hubs] == ["north", "south"]


def test_extends_replaces_arrays_wholesale(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", '[[hubs]]\nname = "north"\ncore_fte = 5.0\n'
                                 '[[hubs]]\nname = "south"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    child = write(sub, "child.toml", 'extends = "../base.toml"\n[[hubs]]\nname = "east"\n')
    cfg = load_scenario(child)
    assert cfg.hubs == (HubConfig(name="east"),)


def test_load_toml_merges_and_drops_extends(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", "a = 1\nlist = [1, 2]\n[t]\nx = 1\ny = 2\n")
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\nlist = [3]\n[t]\ny = 3\n')
    assert load_toml(child) == {"a": 1, "list": [3], "t": {"x": 1, "y": 3}}


def test_network_files_resolve_against_the_file_that_sets_them(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    write(tmp_path / "data", "base.toml", '[network]\nkind = "edge_list"\n'
                                          'nodes_file = "nodes.csv"\n')
    child = write(tmp_path, "child.toml", 'extends = "data/base.toml"\n'
                                          '[network]\nedges_file = "ties/edges.csv"\n')
    net = load_scenario(child).network
    assert net.nodes_file == str(tmp_path / "data" / "nodes.csv")
    assert net.edges_file == str(tmp_path / "ties" / "edges.csv")


def test_absolute_network_paths_are_kept(tmp_path: Path) -> None:
    nodes = tmp_path / "elsewhere" / "nodes.csv"
    path = write(tmp_path, "s.toml", f'[network]\nnodes_file = "{nodes.as_posix()}"\n')
    assert load_scenario(path).network.nodes_file == str(nodes)


# --------------------------------------------------------------------------- building


def test_empty_table_gives_the_defaults() -> None:
    assert parse_scenario({}) == ScenarioConfig()


def test_ints_are_accepted_for_floats_and_become_floats() -> None:
    cfg = parse_scenario({"hubs": [{"core_fte": 2}]})
    assert cfg.hubs[0].core_fte == 2.0
    assert isinstance(cfg.hubs[0].core_fte, float)


@pytest.mark.parametrize(
    ("data", "key", "expected"),
    [
        ({"time": {"n_steps": 3.0}}, "time.n_steps", "an integer in [1, 600]"),
        ({"time": {"n_steps": True}}, "time.n_steps", "an integer in [1, 600]"),
        ({"adoption": {"q_peer": False}}, "adoption.q_peer", "a number in [0.0, 1.0]"),
        ({"adoption": {"q_peer": float("inf")}}, "adoption.q_peer", "a number in [0.0, 1.0]"),
        ({"adoption": {"instant": 1}}, "adoption.instant", "true or false"),
        ({"name": 3}, "name", "a string"),
        ({"time": []}, "time", "a table"),
        ({"hubs": {"name": "x"}}, "hubs", "an array of tables"),
        ({"hubs": [{"scope_places": 3}]}, "hubs.0.scope_places",
         "an array of integers in [0, 49]"),
        ({"hubs": [{"scope_places": [50]}]}, "hubs.0.scope_places.0", "an integer in [0, 49]"),
        ({"hubs": [{"scope_kinds": "acute"}]}, "hubs.0.scope_kinds",
         "an array of strings, each one of 'acute', "),
    ],
)
def test_expected_phrases(data: dict[str, object], key: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "x.toml")
    [problem] = info.value.problems
    assert problem.key == key
    assert problem.expected.startswith(expected)
    assert str(info.value).startswith(f"x.toml: {key}: expected {expected}")


def test_choice_typo_gets_a_suggestion() -> None:
    with pytest.raises(ScenarioError, match=r"network\.kind: .* \(did you mean 'place'\?\)"):
        parse_scenario({"network": {"kind": "plaice"}})


def test_long_values_are_abridged_in_messages() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"name": list(range(1000))})
    assert len(str(info.value)) < 200
    assert str(info.value).endswith("...")


def test_build_dataclass_is_generic() -> None:
    assert build_dataclass(TimeConfig, {"n_steps": 12}) == (TimeConfig(n_steps=12), [])
    obj, problems = build_dataclass(TimeConfig, {"n_steps": 0, "nsteps": 1}, prefix="exp.time")
    assert obj is None
    assert [p.key for p in problems] == ["exp.time.n_steps", "exp.time.nsteps"]
    assert build_dataclass(TimeConfig, [], prefix="time")[1] == [Problem("time", "a table", [])]


# --------------------------------------------------------------------------- round trip


def rich_config() -> ScenarioConfig:
    return parse_scenario({
        "name": "rich",
        "system": {"n_systems": 2, "n_places": 3},
        "innovators": [{"name": "acme"}],
        "innovations": [{"name": "app", "innovator": "acme", "eligible_kinds": ["acute"]},
                        {"name": "kit", "aligned": False}],
        "hubs": [{"name": "north", "scope_places": [0, 2], "scope_kinds": ["pcn"]},
                 {"name": "south", "per_system": True}],
        "shocks": [{"kind": "pandemic", "slack_cut": 0.5}],
    })


@pytest.mark.parametrize("cfg", [ScenarioConfig(), rich_config()], ids=["default", "rich"])
def test_round_trip(cfg: ScenarioConfig) -> None:
    data = to_dict(cfg)
    assert parse_scenario(data) == cfg
    assert parse_scenario(json.loads(json.dumps(data))) == cfg
    assert isinstance(data["innovations"], list)
    assert isinstance(data["innovations"][0]["eligible_kinds"], list)


# --------------------------------------------------------------------------- overrides


def test_override_single_value() -> None:
    cfg = with_overrides(ScenarioConfig(), {"adoption.q_peer": 0.1})
    assert cfg.adoption.q_peer == 0.1
    assert cfg.adoption.p_external == ScenarioConfig().adoption.p_external


def test_override_by_index() -> None:
    cfg = with_overrides(rich_config(), {"hubs.0.core_fte": 5, "innovations.1.aligned": True})
    assert [h.core_fte for h in cfg.hubs] == [5.0, 3.0]
    assert cfg.innovations[1].aligned is True


def test_override_wildcard() -> None:
    cfg = with_overrides(rich_config(), {"hubs.*.effort.dissemination": 0.5})
    assert [h.effort.dissemination for h in cfg.hubs] == [0.5, 0.5]
    assert [h.effort.coordination for h in cfg.hubs] == [1 / 3, 1 / 3]


def test_override_with_double_underscores() -> None:
    cfg = with_overrides(rich_config(), {"hubs__1__core_fte": 1.5, "adoption__instant": True})
    assert cfg.hubs[1].core_fte == 1.5
    assert cfg.adoption.instant is True


def test_override_whole_array_and_table() -> None:
    cfg = with_overrides(rich_config(), {"hubs": [], "time": {"n_steps": 12}})
    assert cfg.hubs == ()
    assert cfg.time == TimeConfig(n_steps=12)
    cfg = with_overrides(cfg, {"hubs": (HubConfig(name="x"),)})
    assert cfg.hubs == (HubConfig(name="x"),)


def test_override_unknown_key_suggests_the_dotted_key() -> None:
    with pytest.raises(ScenarioError) as info:
        with_overrides(ScenarioConfig(), {"adoptoin.q_peer": 0.1})
    assert str(info.value) == ("--set: adoptoin.q_peer: expected a known key "
                               "(did you mean 'adoption.q_peer'?)")


def test_override_bad_value_names_source_and_key() -> None:
    with pytest.raises(ScenarioError) as info:
        with_overrides(rich_config(), {"hubs.*.core_fte": -1}, source="sweep.toml")
    assert str(info.value) == ("sweep.toml: hubs.*.core_fte: expected a number in "
                               "[0.0, 100.0], got -1")


def test_override_problems_are_all_reported() -> None:
    with pytest.raises(ScenarioError) as info:
        with_overrides(rich_config(), {
            "hubs.7.core_fte": 1.0,          # index out of range
            "adoption.q_peer.x": 1,          # below a number
            "innovations.0.aligned": "yes",  # bad value
            "system__n_places": 0,           # bad value, kwargs form
        })
    assert [p.key for p in info.value.problems] == [
        "hubs.7.core_fte", "adoption.q_peer.x", "system.n_places", "innovations.0.aligned"]
    assert "expected an index in [0, 1] or '*' after 'hubs', got '7'" in str(info.value)


def test_override_wildcard_on_an_empty_array() -> None:
    with pytest.raises(ScenarioError) as info:
        with_overrides(ScenarioConfig(), {"hubs.*.core_fte": 1.0})
    assert "hubs.*: no elements to set" in str(info.value)
    assert info.value.problems[0].key == "hubs.*.core_fte"


def test_override_that_breaks_a_cross_field_rule() -> None:
    with pytest.raises(ScenarioError, match=r"hubs\.0\.scope_places"):
        with_overrides(rich_config(), {"system.n_places": 2})


def test_overrides_leave_the_original_untouched() -> None:
    cfg = rich_config()
    with_overrides(cfg, {"hubs.0.core_fte": 9.0})
    assert cfg == rich_config()


def test_rich_config_has_every_array_filled() -> None:
    cfg = rich_config()
    assert cfg.innovators == (InnovatorConfig(name="acme"),)
    assert cfg.innovations[0] == InnovationConfig(name="app", innovator="acme",
                                                  eligible_kinds=("acute",))


# --------------------------------------------------------------------------- --set


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name=foo", ("name", "foo")),
        ("name=north ics", ("name", "north ics")),
        ('name="quoted"', ("name", "quoted")),
        ("adoption.q_peer=0.1", ("adoption.q_peer", 0.1)),
        ("time.n_steps=12", ("time.n_steps", 12)),
        ("hubs=[]", ("hubs", [])),
        ("hubs.0.scope_places=[0, 1]", ("hubs.0.scope_places", [0, 1])),
        ("adoption.instant=true", ("adoption.instant", True)),
        ("description=", ("description", "")),
        (" seed = 7", ("seed", 7)),
        ("x=a=b", ("x", "a=b")),
    ],
)
def test_parse_set_option(text: str, expected: tuple[str, object]) -> None:
    assert parse_set_option(text) == expected


@pytest.mark.parametrize("text", ["x", "=3", ""])
def test_parse_set_option_needs_key_and_equals(text: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_set_option(text)
    assert str(info.value) == f"--set: expected KEY=VALUE, got {text!r}"


def test_set_option_feeds_with_overrides() -> None:
    key, value = parse_set_option("hubs.*.core_fte=4")
    assert with_overrides(rich_config(), {key: value}).hubs[1].core_fte == 4.0
