"""Representation expressions: round trips, refusals, and characters against matrices the test builds itself.

The oracle builds ρ(A) for an integer matrix A of determinant ±1 by the constructions' definitions
(inverse transpose for the dual, Kronecker products, block sums, and Sym^k/Alt^k as the range of the
(anti)symmetrizer on the k-th tensor power) and compares its trace with the expression's character,
a polynomial in the power sums tr(A^r) and det A.
"""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from invariant.errors import InvariantError
from invariant.groups.expressions import (
    MAX_POWER,
    Defining,
    Det,
    Multiple,
    Power,
    Product,
    Sum,
    Tensor,
    Trivial,
    parse,
)
from tests.linear_oracle import rho


def unimodular(rng, n):
    """A random integer matrix of determinant ±1 (a product of elementary matrices and a sign flip)."""
    a = np.eye(n)
    for _ in range(3 * n):
        i, j = rng.choice(n, size=2, replace=False) if n > 1 else (0, 0)
        e = np.eye(n)
        if n > 1:
            e[i, j] = rng.integers(-1, 2)
        a = a @ e
    a[:, 0] *= rng.choice([-1, 1])
    return a[rng.permutation(n)]


def small_expressions():
    """Expressions whose dimension at n = 2, 3 stays small enough for the oracle's matrices."""
    atoms = st.sampled_from([Defining(), Defining(dual=True), Trivial(), Det(), Tensor(1, 1), Tensor(2)])

    def extend(children):
        return st.one_of(
            st.tuples(children, children).map(lambda t: Sum(t)),
            st.tuples(children, children).map(lambda t: Product(t)),
            st.tuples(st.integers(1, 3), children).map(lambda t: Multiple(*t)),
            st.tuples(st.integers(0, 3), children, st.booleans()).map(lambda t: Power(*t)),
        )

    return st.recursive(atoms, extend, max_leaves=4)


@settings(max_examples=150, deadline=None)
@given(e=small_expressions(), n=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_characters_are_the_traces_of_the_constructed_matrices(e, n, seed):
    assume(e.dimension(n) <= 80 and e.cost() <= 2000)  # the oracle's matrices stay small
    a = unimodular(np.random.default_rng(seed), n)
    inv = np.linalg.inv(a)

    def p(r, f):
        return np.trace(np.linalg.matrix_power(a if r > 0 else inv, abs(r)))

    chi = float(e.character(p, lambda f: np.linalg.det(a)))
    matrix = rho(e, a)
    assert matrix.shape[0] == e.dimension(n)
    assert abs(chi - np.trace(matrix)) <= 1e-8 * max(1.0, abs(np.trace(matrix)))


@settings(max_examples=200, deadline=None)
@given(e=small_expressions())
def test_the_canonical_string_round_trips(e):
    # Sums of sums print as one sum (the same representation), so the string, not the tree, is canonical.
    again = parse(str(e))
    assert str(again) == str(e)
    assert parse(str(again)) == again
    assert again.dimension(3) == e.dimension(3)


@pytest.mark.parametrize("text, canonical, dim4", [
    ("V", "V", 4), ("V*", "V*", 4), (" 3 * 1 ", "3*1", 3), ("det", "det", 1), ("T(2)", "T(2)", 16),
    ("T(1,1)", "T(1,1)", 16), ("T(0)", "T(0)", 1), ("Sym(2,V)", "Sym(2,V)", 10), ("Alt(2, V)", "Alt(2,V)", 6),
    ("Sym(2,V+V)", "Sym(2,V + V)", 36), ("V x V*", "V x V*", 16), ("2*(V + 1)", "2*(V + 1)", 10),
    ("(V x V) + 1", "V x V + 1", 17), ("2*V x V", "2*V x V", 32), ("Alt(5,V)", "Alt(5,V)", 0),
])
def test_spellings_and_dimensions(text, canonical, dim4):
    e = parse(text)
    assert str(e) == canonical
    assert e.dimension(4) == dim4


def test_factors_of_a_product_group_are_named():
    e = parse("V1 x V2* + 1")
    assert sorted(set(e.factors())) == [1, 2]
    assert e.dimension((5, 3)) == 16


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("W", "unexpected"), ("V +", "ends early"), ("T(2", "ends early"), ("T(a)", "unexpected"),
    ("Sym(2 V)", "expected ','"), ("2", "unexpected '2'"), ("0*V", "multiplicity must be an integer from 1"),
    ("T(99999999999)", "tensor order must be an integer"), (f"T({MAX_POWER + 1})", "limited to degree"),
    ("T(9,9)", "limited to degree"), ("(" * 40 + "V" + ")" * 40, "nests at most"), ("V" * 1001, "at most 1000"),
    ("Sym(16,Sym(16,V))", "nests its powers too deeply"), ("V))", "unexpected ')'"), ("V$", "unexpected '$'"),
])
def test_hostile_expressions_are_refused_in_one_line(text, message):
    with pytest.raises(InvariantError, match=re.escape(message)) as info:
        parse(text)
    assert "\n" not in str(info.value)
