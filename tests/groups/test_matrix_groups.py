"""Finite matrix groups: orders against hand-counted groups, and every bad generating set refused in one line."""

import json

import pytest

from invariant.errors import InvariantError
from invariant.groups.matrix_groups import MAX_MATRIX_GENERATORS, load_matrices, matrix_group

CUBE = [[[0, -1, 0], [1, 0, 0], [0, 0, 1]], [[1, 0, 0], [0, 0, -1], [0, 1, 0]]]
MINUS = [[-1, 0, 0], [0, -1, 0], [0, 0, -1]]


@pytest.mark.parametrize("gens, order", [
    (CUBE, 24),                                     # rotations of the cube (S_4)
    (CUBE + [MINUS], 48),                           # the full octahedral group
    ([[[0, -1], [1, -1]], [[0, 1], [1, 0]]], 6),    # S_3 on its rational 2-dimensional irreducible
    ([[[0, -1], [1, 0]]], 4),                       # C_4
    ([[[-1, 0], [0, 1]], [[1, 0], [0, -1]]], 4),    # the Klein four-group of sign changes
    # trace 1, determinant 1: characteristic polynomial x² - x + 1, primitive 6th roots of unity
    ([[["1/2", "-3/2"], ["1/2", "1/2"]]], 6),
    ([[[1]]], 1),
])
def test_orders(gens, order):
    group = matrix_group(gens)
    assert group.order == order
    assert len(set(group.elements)) == order


def test_json_text_and_file_give_the_same_group(tmp_path):
    path = tmp_path / "cube.json"
    path.write_text(json.dumps(CUBE))
    assert load_matrices(str(path)) == load_matrices(json.dumps(CUBE)) == matrix_group(CUBE)


@pytest.mark.parametrize("value, message", [
    ("[]", "non-empty JSON list"),
    ("{}", "neither"),
    ("[1]", "not a list of rows"),
    ("[[[1, 0], [0]]]", "not square"),
    ("[[1, 2]]", "not a list of rows"),
    ("[[[1, 0], [0, 1]], [[1]]]", "the first 2 × 2"),
    ("[[[1.5]]]", "entries are integers or strings"),
    ("[[[true]]]", "entries are integers or strings"),
    ('[[["a"]]]', "not a rational number"),
    ('[[["1/0"]]]', "not a rational number"),
    ("[[[2]]]", "determinant 2"),
    ("[[[1, 0], [0, 0]]]", "determinant 0"),
    ("[[[1, 1], [0, 1]]]", "infinite or too large"),
    ('[[["' + "9" * 80 + '"]]]', "more than 30 digits"),
    ("[" + ",".join(["[[1]]"] * (MAX_MATRIX_GENERATORS + 1)) + "]", "at most 16 generator"),
    ("[[[1,0]", "not valid JSON"),
    ("no-such-file.json", "neither"),
])
def test_bad_generating_sets_are_refused_in_one_line(value, message):
    with pytest.raises(InvariantError, match=message) as info:
        load_matrices(value)
    assert "\n" not in str(info.value)
