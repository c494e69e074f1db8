"""Providers and ties from CSV files: good files load, bad files fail clearly (file and row)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from spreadsim import network as net
from spreadsim.cli import main
from spreadsim.config import KINDS, ScenarioConfig
from spreadsim.errors import ScenarioError
from spreadsim.loading import with_overrides
from spreadsim.model import SpreadModel
from spreadsim.population import susceptible_mask

DATA = Path(__file__).resolve().parents[1] / "data" / "csv"


def path(name: str) -> str:
    return str(DATA / name)


def edge_list_config(nodes: str, edges: str, **overrides: object) -> ScenarioConfig:
    return with_overrides(ScenarioConfig(), {"network.kind": "edge_list",
                                             "network.nodes_file": nodes,
                                             "network.edges_file": edges, **overrides})


def error_text(excinfo: pytest.ExceptionInfo[ScenarioError]) -> str:
    return str(excinfo.value)


# --- good files ---------------------------------------------------------------------------------

def test_nodes_file_gives_ids_kinds_places_and_attributes():
    skeleton, extra = net.load_skeleton(path("good_nodes.csv"))
    assert list(skeleton.ids) == ["A", "B", "C", "D", "E"]
    assert [KINDS[k] for k in skeleton.kind] == ["acute", "pcn", "pcn", "social_care", "pcn"]
    # numeric place labels sort by value: 2 before 10
    assert skeleton.place_labels == ("place 2", "place 10")
    assert list(skeleton.place) == [1, 0, 0, 1, 0]
    np.testing.assert_array_equal(extra["size"], [350.0, np.nan, 45.5, np.nan, 60.0])
    np.testing.assert_array_equal(extra["endorsement"], [1.0, 0.0, np.nan, 1.0, np.nan])
    np.testing.assert_array_equal(extra["champion"], [1.0, 0.0, np.nan, 0.0, np.nan])
    assert extra["note"][0] == "teaching hospital"
    assert "id" not in extra and "kind" not in extra and "place" not in extra


def test_place_column_names_the_group_column(tmp_path):
    nodes = tmp_path / "n.csv"
    nodes.write_text("id,town,toa\n1,3,\n2,1,4\n3,3,2\n")
    skeleton, extra = net.load_skeleton(str(nodes), place_column="town")
    assert skeleton.place_labels == ("town 1", "town 3")
    assert list(skeleton.place) == [1, 0, 1]
    assert list(extra["toa"]) == ["", "4", "2"]


def test_edges_are_symmetrised_keeping_the_largest_weight_and_dropping_self_loops():
    skeleton, _ = net.load_skeleton(path("good_nodes.csv"))
    adj = net.load_edges(path("good_edges.csv"), skeleton).toarray()
    np.testing.assert_array_equal(adj, adj.T)
    assert adj[0, 1] == 3.0  # A->B weight 1 (advice) and B->A weight 3 (friendship)
    assert adj[0, 2] == 1.0  # empty weight = 1
    assert adj[3, 4] == 0.5
    assert np.all(np.diag(adj) == 0)
    assert (adj > 0).sum() == 2 * 4


def test_ties_keep_direction_and_relation():
    skeleton, _ = net.load_skeleton(path("good_nodes.csv"))
    ties = net.read_ties(path("good_edges.csv"), skeleton.ids)
    assert list(zip(ties.source, ties.target, strict=True)) == [(0, 1), (1, 0), (0, 2), (3, 4),
                                                                 (1, 4)]
    assert list(ties.relation) == ["advice", "friendship", "advice", "discussion", "advice"]
    assert ties.self_loops == 1


def test_attributes_from_the_file_override_the_drawn_ones_where_given(tmp_path):
    cfg = edge_list_config(path("good_nodes.csv"), path("good_edges.csv"))
    pop = SpreadModel(cfg, rng=3).population
    plain = tmp_path / "plain.csv"  # same providers, no attribute columns
    plain.write_text("id,kind,place\nA,acute,10\nB,pcn,2\nC,,2\nD,social_care,10\nE,pcn,2\n")
    drawn = SpreadModel(with_overrides(cfg, {"network.nodes_file": str(plain)}), rng=3).population
    assert pop.size[0] == 350.0 and pop.size[2] == 45.5 and pop.size[4] == 60.0
    assert pop.slack[0] == 0.4 and pop.slack[4] == 0.0
    assert pop.absorptive[4] == 1.0 and pop.tension[3] == 0.9
    assert list(pop.endorsement[:2]) == [True, False] and pop.endorsement[3]
    assert pop.champion[0] and not pop.champion[1] and not pop.champion[3]
    assert pop.slack[0] != drawn.slack[0]
    # empty cells keep the value drawn from the kind's distribution
    assert pop.slack[2] == drawn.slack[2] and pop.size[1] == drawn.size[1]
    assert pop.endorsement[2] == drawn.endorsement[2]
    np.testing.assert_array_equal(pop.endorsement_p, drawn.endorsement_p)


def test_model_uses_the_place_column(tmp_path):
    nodes = tmp_path / "n.csv"
    nodes.write_text("id,town\n1,north\n2,south\n3,north\n")
    edges = tmp_path / "e.csv"
    edges.write_text("source,target\n1,3\n2,3\n")
    model = SpreadModel(edge_list_config(str(nodes), str(edges),
                                         **{"network.place_column": "town"}), rng=1)
    assert model.population.skeleton.place_labels == ("town north", "town south")
    assert model.adjacency.nnz == 4


def test_an_edited_file_is_read_again(tmp_path):
    nodes = tmp_path / "n.csv"
    nodes.write_text("id\n1\n2\n")
    assert len(net.load_skeleton(str(nodes))[0].ids) == 2
    nodes.write_text("id\n1\n2\n3\n")
    os.utime(nodes, ns=(1, 1))  # a different modification time, whatever the clock says
    assert len(net.load_skeleton(str(nodes))[0].ids) == 3


def test_returned_arrays_are_copies():
    skeleton, extra = net.load_skeleton(path("good_nodes.csv"))
    skeleton.place[:] = 7
    extra["size"][:] = 1.0
    again, extra2 = net.load_skeleton(path("good_nodes.csv"))
    assert list(again.place) == [1, 0, 0, 1, 0] and extra2["size"][0] == 350.0


# --- bad files ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("nodes_missing_id.csv", ["header: expected a column named 'id'",
                              "rename column 'ID' to 'id'"]),
    ("nodes_duplicate_ids.csv", ["row 4: id: expected a unique id (first seen on row 2), got 'A'",
                                 "row 5: id: expected a provider id, got ''"]),
    ("nodes_bad_values.csv", ["6 problems", "row 2: kind:", "did you mean 'pcn'?",
                              "row 3: size: expected a positive number, got '-3'",
                              "row 3: slack: expected a number in [0, 1], got '1.5'",
                              "row 3: endorsement: expected yes/no", "got 'maybe'",
                              "row 4: expected 6 cells, as in the header, got 7",
                              "row 5: place: expected a place label"]),
    ("nodes_empty.csv", ["expected a header row", "got an empty file"]),
    ("nodes_header_only.csv", ["expected at least one provider row", "got only a header"]),
    ("nodes_semicolon.csv", ["expected comma-separated columns", "another separator"]),
    ("no_such_file.csv", ["expected a CSV file of providers, got no such file"]),
])
def test_bad_nodes_files_name_the_file_and_row(name, expected):
    with pytest.raises(ScenarioError) as excinfo:
        net.load_skeleton(path(name))
    text = error_text(excinfo)
    assert text.startswith(path(name))
    for part in expected:
        assert part in text


def test_problems_are_listed_in_row_order():
    with pytest.raises(ScenarioError) as excinfo:
        net.load_skeleton(path("nodes_bad_values.csv"))
    rows = [p.key.split(":")[0] for p in excinfo.value.problems]
    assert rows == ["row 2", "row 3", "row 3", "row 3", "row 4", "row 5"]


def test_a_missing_group_column_is_named():
    with pytest.raises(ScenarioError, match=r"a column named 'town' \(network.place_column\)"):
        net.load_skeleton(path("good_nodes.csv"), place_column="town")


@pytest.mark.parametrize(("name", "expected"), [
    ("edges_unknown_ids.csv", ["row 3: target: expected an id from the providers file, got 'Z'",
                               "row 4: source:", "got '1.0'",
                               "ids are matched as text; did you mean '1'?"]),
    ("edges_bad_weight.csv", ["row 2: weight: expected a positive number, got 'heavy'",
                              "row 3: weight: expected a positive number, got '-1'",
                              "row 4: weight: expected a positive number, got 'nan'"]),
    ("edges_missing_target.csv", ["header: expected a column named 'target'"]),
    ("edges_header_only.csv", ["expected at least one tie row", "got only a header"]),
])
def test_bad_edges_files_name_the_file_and_row(name, expected):
    skeleton, _ = net.load_skeleton(path("nodes_numeric_ids.csv"))
    if name == "edges_bad_weight.csv":
        skeleton, _ = net.load_skeleton(path("good_nodes.csv"))
    with pytest.raises(ScenarioError) as excinfo:
        net.load_edges(path(name), skeleton)
    text = error_text(excinfo)
    assert text.startswith(path(name))
    for part in expected:
        assert part in text


def test_binary_garbage_is_refused(tmp_path):
    bad = tmp_path / "nodes.xlsx.csv"
    bad.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))
    with pytest.raises(ScenarioError, match="binary content"):
        net.load_skeleton(str(bad))


def test_non_utf8_text_is_refused(tmp_path):
    bad = tmp_path / "nodes.csv"
    bad.write_bytes("id,place\nA,Bédford\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="expected UTF-8 text, got an undecodable byte"):
        net.load_skeleton(str(bad))


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(ScenarioError, match="got a folder"):
        net.load_skeleton(str(tmp_path))


def test_many_problems_are_capped_and_counted(tmp_path):
    bad = tmp_path / "n.csv"
    bad.write_text("id,slack\n" + "".join(f"{i},2\n" for i in range(80)))
    with pytest.raises(ScenarioError) as excinfo:
        net.load_skeleton(str(bad))
    assert len(excinfo.value.problems) == net.MAX_PROBLEMS + 1
    assert "80 in all" in str(excinfo.value)


def test_run_command_exits_2_and_writes_nothing(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[network]\nkind = "edge_list"\nnodes_file = "{path("good_nodes.csv")}"'
                        f'\nedges_file = "{path("edges_bad_weight.csv")}"\n')
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "edges_bad_weight.csv" in err and "row 2: weight" in err
    assert "Traceback" not in err
    assert not out.exists()


# --- susceptible share ----------------------------------------------------------------------

def test_susceptible_share_one_draws_nothing():
    rng = np.random.default_rng(5)
    assert susceptible_mask(1.0, (4, 3), rng).all()
    assert rng.random() == np.random.default_rng(5).random()


def test_susceptible_sets_are_nested_under_common_random_numbers():
    masks = [susceptible_mask(s, (2000, 2), np.random.default_rng(9)) for s in (0.3, 0.6)]
    assert np.all(masks[0] <= masks[1])
    # Binomial(4000, 0.3): sd 29, so 4 sd is 116 pairs
    assert abs(masks[0].sum() - 1200) < 116


def test_model_respects_susceptible_share_and_keeps_other_draws():
    base = with_overrides(ScenarioConfig(), {"adoption.susceptible_share": 1.0})
    part = with_overrides(base, {"adoption.susceptible_share": 0.5})
    full, half = SpreadModel(base, rng=2), SpreadModel(part, rng=2)
    n = sum(getattr(base.providers, k).count for k in KINDS)
    assert full.eligible.sum() == n  # one innovation, eligible for every kind
    assert 0 < half.eligible.sum() < full.eligible.sum()
    assert np.all(half.eligible <= full.eligible)
    np.testing.assert_array_equal(half.population.slack, full.population.slack)
    np.testing.assert_array_equal(half.adjacency.toarray(), full.adjacency.toarray())
