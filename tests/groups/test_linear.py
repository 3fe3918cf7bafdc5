"""Exact matrices of representations: homomorphisms exactly; traces and derivatives against the test's own matrices."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from invariant.errors import InvariantError
from invariant.groups.expressions import parse
from invariant.groups.linear import MAX_DIMENSION, algebra_matrix, exact, group_matrix, monomial_matrix
from tests.linear_oracle import rho

EXPRESSIONS = ["V", "V*", "1", "det", "T(2)", "T(1,1)", "V + det", "Sym(2,V)", "Alt(2,V)", "Sym(3,V)",
               "V x V*", "2*(V + 1)", "Alt(2,V + 1)", "Sym(2,V*) x det"]


def unimodular(rng, n):
    a = np.eye(n, dtype=int)
    for _ in range(2 * n):
        i, j = rng.choice(n, size=2, replace=False) if n > 1 else (0, 0)
        if n > 1:
            e = np.eye(n, dtype=int)
            e[i, j] = rng.integers(-1, 2)
            a = a @ e
    return a[rng.permutation(n)]


def floats(m):
    return np.array(m, dtype=float)


@settings(max_examples=60, deadline=None)
@given(text=st.sampled_from(EXPRESSIONS), n=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_group_matrices_are_homomorphisms_with_the_oracles_traces(text, n, seed):
    e = parse(text)
    assume(e.dimension(n) <= 40)
    rng = np.random.default_rng(seed)
    a, b = unimodular(rng, n), unimodular(rng, n)
    ra, rb, rab = (group_matrix(e, exact(m.tolist())) for m in (a, b, a @ b))
    assert (ra.dot(rb) == rab).all()  # exact: ρ(ab) = ρ(a)ρ(b)
    for power in (1, 2, 3):
        mine = np.trace(np.linalg.matrix_power(floats(ra), power))
        theirs = np.trace(np.linalg.matrix_power(rho(e, floats(a)), power))
        assert abs(mine - theirs) <= 1e-9 * max(1.0, abs(theirs))


@settings(max_examples=40, deadline=None)
@given(text=st.sampled_from(EXPRESSIONS), n=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_algebra_matrices_are_the_derivatives_of_the_group_matrices(text, n, seed):
    e = parse(text)
    assume(e.dimension(n) <= 40)
    rng = np.random.default_rng(seed)
    a = rng.integers(-2, 3, size=(n, n))
    t = 1e-4
    # d/dt ρ(exp(tA)) at 0, by a central difference of the test's own matrices; compared by traces
    # against products with ρ(g) for a random g (basis-free: tr(dρ(A) ρ(g)^j)).
    plus, minus = rho(e, expm(t * a)), rho(e, expm(-t * a))
    derivative = (plus - minus) / (2 * t)
    mine = floats(algebra_matrix(e, exact(a.tolist())))
    g = unimodular(rng, n)
    for power in (0, 1, 2):
        lhs = np.trace(mine @ np.linalg.matrix_power(floats(group_matrix(e, exact(g.tolist()))), power))
        rhs = np.trace(derivative @ np.linalg.matrix_power(rho(e, floats(g)), power))
        assert abs(lhs - rhs) <= 1e-5 * max(1.0, abs(rhs))
    # and the bracket: dρ([A, B]) = [dρ(A), dρ(B)], exactly
    b = rng.integers(-2, 3, size=(n, n))
    ea, eb = exact(a.tolist()), exact(b.tolist())
    da, db = algebra_matrix(e, ea), algebra_matrix(e, eb)
    assert (algebra_matrix(e, ea.dot(eb) - eb.dot(ea)) == da.dot(db) - db.dot(da)).all()


def test_monomial_matrix_is_the_substitution():
    rng = np.random.default_rng(3)
    b = rng.integers(-2, 3, size=(3, 3))
    monomials = list(itertools.combinations_with_replacement(range(3), 2))
    p = floats(monomial_matrix(exact(b.tolist()), 2, False))
    for _ in range(5):
        x = rng.normal(size=3)
        bx = b @ x
        lhs = np.array([np.prod(bx[list(m)]) for m in monomials])     # (b x)^m
        rhs = p.T @ np.array([np.prod(x[list(m)]) for m in monomials])  # Σ_{m'} P[m', m] x^{m'}
        assert np.allclose(lhs, rhs, atol=1e-12)


def test_too_large_and_factor_expressions_are_refused():
    with pytest.raises(InvariantError, match=f"up to dimension {MAX_DIMENSION}"):
        group_matrix(parse("T(8)"), exact(np.eye(4, dtype=int).tolist()))
    with pytest.raises(InvariantError, match="only a product of groups has factors"):
        group_matrix(parse("V1"), exact([[1]]))
    with pytest.raises(InvariantError, match="must be invertible"):
        group_matrix(parse("V*"), exact([[1, 0], [0, 0]]))
