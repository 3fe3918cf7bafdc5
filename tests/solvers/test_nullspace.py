"""The nullspace path on finite matrix groups: exact counts against the character formula, and every derived
basis equivariant under every group element (the solver saw only the generators), evaluated numerically
through the test's own monomial evaluation. The representation matrices are the library's
(:func:`invariant.groups.linear.group_matrix`, checked against the test's own constructions in
tests/groups/test_linear.py); the count's oracle is the character formula, which never builds them.
"""

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from invariant.errors import InvariantError
from invariant.groups.expressions import parse
from invariant.groups.linear import group_matrix
from invariant.groups.matrix_groups import matrix_group
from invariant.proofs.matrix_characters import matrix_dimension
from invariant.solvers.nullspace import MAX_NULLSPACE_WEIGHTS, Generator, dense_layout, nullspace_answer

CUBE = [[[0, -1, 0], [1, 0, 0], [0, 0, 1]], [[1, 0, 0], [0, 0, -1], [0, 1, 0]]]
GROUPS = {
    "cube rotations": CUBE,
    "octahedral": CUBE + [[[-1, 0, 0], [0, -1, 0], [0, 0, -1]]],
    "S3 on R^2": [[[0, -1], [1, -1]], [[0, 1], [1, 0]]],
    "C4": [[[0, -1], [1, 0]]],
    "C6 rational": [[["1/2", "-3/2"], ["1/2", "1/2"]]],
    "Klein": [[[-1, 0], [0, 1]], [[1, 0], [0, -1]]],
}
SOURCES = ["V", "V*", "V + 1", "T(2)", "Alt(2,V)", "V x det", "Sym(2,V)"]
TARGETS = ["1", "V", "det", "Alt(2,V)", "T(2)", "V*"]
DEGREES = [(1,), (2,), (2, 1, 0), (3,)]


def derive(group, source, target, degrees):
    layout = dense_layout(source.dimension(group.dimension), target.dimension(group.dimension), degrees)
    gens = [Generator(group_matrix(source, g), group_matrix(target, g), False) for g in group.generator_matrices]
    return layout, nullspace_answer(layout, gens)


def basis(layout, tying):
    """One weight vector per free parameter (θ_f = 1, the others 0), read off the tying."""
    value = {}
    for f in tying.free:
        vec = {c: Fraction(0) for c in range(tying.num_classes)}
        vec[f] = Fraction(1)
        for c, combo in tying.dependent:
            vec[c] = sum((a for g, a in combo if g == f), Fraction(0))
        value[f] = vec
    out = []
    for f in tying.free:
        w = np.zeros(layout.num_weights)
        for c in range(tying.num_classes):
            for member, sign in tying.members(c):
                w[member] = sign * float(value[f][c])
        out.append(w)
    return out


def evaluate(layout, w, x):
    """y_o = Σ_f Σ_m W[f, o, m] x^m, from the weight vector by the layout's keys."""
    y = np.zeros(layout.outputs)
    for index, (_, o, m) in enumerate(layout.keys()):
        if w[index]:
            y[o] += w[index] * np.prod(x[list(m)])
    return y


def check(name, source_text, target_text, degrees, seed=0):
    group = matrix_group(GROUPS[name])
    source, target = parse(source_text), parse(target_text)
    layout, answer = derive(group, source, target, degrees)
    free = len(answer.tying.free)
    assert free == matrix_dimension(group, source, target, degrees), (name, source_text, target_text, degrees)
    vectors = basis(layout, answer.tying)
    rng = np.random.default_rng(seed)
    points = [rng.normal(size=layout.n) for _ in range(3)]
    if vectors:  # the basis is independent: its evaluations at random points have full rank
        values = np.array([np.concatenate([evaluate(layout, v, x) for x in points + [rng.normal(size=layout.n)
                                                                                   for _ in range(layout.num_weights)]])
                           for v in vectors])
        assert np.linalg.matrix_rank(values, tol=1e-8) == free
    for key in group.elements:
        g = group.matrix(key)
        r_in = np.array(group_matrix(source, g), dtype=float)
        r_out = np.array(group_matrix(target, g), dtype=float)
        assert r_in.shape[0] == layout.n and r_out.shape[0] == layout.outputs
        for v in vectors:
            for x in points:
                lhs = evaluate(layout, v, r_in @ x)
                rhs = r_out @ evaluate(layout, v, x)
                assert np.abs(lhs - rhs).max() <= 1e-10 * max(1.0, np.abs(rhs).max())
    return free


@pytest.mark.parametrize("name, source, target, degrees, expected", [
    ("cube rotations", "V", "1", (2,), 1),          # |x|²
    ("cube rotations", "T(2)", "V", (1,), 1),       # the cross product (ε)
    ("octahedral", "T(2)", "V", (1,), 0),           # ... is a pseudovector: not under -I
    ("cube rotations", "V", "V", (1,), 1),          # the identity (V is irreducible)
    ("S3 on R^2", "V", "V", (2,), 1),               # the one quadratic equivariant of the 2-dim irreducible
    ("C4", "V", "1", (2,), 1),                      # x0² + x1²  (x0 x1 is not invariant under the quarter turn)
    ("Klein", "V", "1", (2,), 2),                   # x0², x1²
])
def test_known_counts(name, source, target, degrees, expected):
    # the expected counts are worked out by hand in the comments; both proofs and the numerics must agree
    assert check(name, source, target, degrees) == expected


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(GROUPS)), source=st.sampled_from(SOURCES), target=st.sampled_from(TARGETS),
       degrees=st.sampled_from(DEGREES), seed=st.integers(0, 2**16))
def test_every_request_agrees_with_the_character_formula_and_is_equivariant(name, source, target, degrees, seed):
    group = matrix_group(GROUPS[name])
    n = group.dimension
    points = parse(source).dimension(n)
    monomials = sum(len(list(itertools.combinations_with_replacement(range(points), d))) for d in degrees)
    assume(monomials * parse(target).dimension(n) <= 600)
    check(name, source, target, degrees, seed)


def test_too_many_weights_are_refused_before_the_rows_are_built():
    layout = dense_layout(200, 100, (2,))
    assert layout.num_weights > MAX_NULLSPACE_WEIGHTS
    with pytest.raises(InvariantError, match="too many for the exact nullspace path"):
        nullspace_answer(layout, [])
