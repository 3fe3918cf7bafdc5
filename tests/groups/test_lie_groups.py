"""The named Lie groups: names, algebras, forms, component generators and tori, checked independently.

Exact checks use fractions and SymPy ranks written here; the tori are checked against explicit
group elements, their eigenvalues computed by numpy.
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from invariant import InvariantError
from invariant.groups.lie_groups import MAX_DIMENSION, LieGroup, lie_group, parse_lie_group

NAMES = ([f"{f}({n})" for f in ("O", "SO", "SL", "GL") for n in range(1, 6)]
         + [f"Sp({n})" for n in (2, 4, 6)] + ["SO(1,3)", "O(1,3)"])
GROUPS = [parse_lie_group(name) for name in NAMES]


def mul(A, B):
    return tuple(tuple(sum((A[i][k] * B[k][j] for k in range(len(B))), Fraction(0)) for j in range(len(B[0])))
                 for i in range(len(A)))


def add(A, B, s=1):
    return tuple(tuple(a + s * b for a, b in zip(ra, rb)) for ra, rb in zip(A, B))


def transpose(A):
    return tuple(zip(*A))


def zero(n):
    return tuple((Fraction(0),) * n for _ in range(n))


def rank(vectors):
    return sympy.Matrix([[sympy.Rational(x.numerator, x.denominator) for x in v] for v in vectors]).rank() \
        if vectors else 0


def flat(A):
    return [x for row in A for x in row]


# ---- names -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_canonical_names_round_trip(name):
    group = parse_lie_group(name)
    assert str(group) == group.name == name and parse_lie_group(str(group)) == group


@given(st.sampled_from(["O", "SO", "Sp", "SL", "GL"]), st.integers(-3, MAX_DIMENSION + 3), st.sampled_from(["", " "]))
def test_every_size_is_a_group_or_a_one_line_refusal(family, n, space):
    text = f"{family}({space}{n}{space})"
    valid = 1 <= n <= MAX_DIMENSION and (family != "Sp" or n % 2 == 0)
    if valid:
        group = parse_lie_group(text)
        assert (group.family, group.n) == (family, n) and parse_lie_group(group.name) == group
    else:
        with pytest.raises(InvariantError) as info:
            parse_lie_group(text)
        assert "\n" not in str(info.value)


@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_is_refused_in_one_line(text):
    try:
        group = parse_lie_group(text)
    except InvariantError as error:
        assert "\n" not in str(error) and len(str(error)) < 200
    else:
        assert parse_lie_group(group.name) == group


@pytest.mark.parametrize("text, message", [
    ("SU(3)", "unknown Lie group"), ("SO(3,1)", "unknown Lie group"), ("Sp(3)", "even n"), ("SO(0)", "n >= 1"),
    (f"GL({MAX_DIMENSION + 1})", "too large"), ("O(" + "9" * 5000 + ")", "unknown Lie group"),
    ("SO(999999)", "too large"),
])
def test_bad_names_are_refused(text, message):
    with pytest.raises(InvariantError, match=message):
        parse_lie_group(text)
    with pytest.raises(InvariantError, match="acts on R\\^4"):
        lie_group("SO(1,3)", 3)


# ---- the algebra -------------------------------------------------------------------------------------

def expected_algebra_dimension(group):
    n = group.n
    return {"Sp": n * (n + 1) // 2, "SL": n * n - 1, "GL": n * n}.get(group.family, n * (n - 1) // 2)


@pytest.mark.parametrize("group", GROUPS, ids=NAMES)
def test_the_algebra_is_a_basis_of_the_whole_algebra(group):
    n, basis, J = group.n, group.algebra, group.form
    assert len(basis) == group.algebra_dimension == expected_algebra_dimension(group)
    assert rank([flat(A) for A in basis]) == len(basis)  # independent
    for A in basis:
        assert len(A) == n and all(len(row) == n and all(isinstance(x, Fraction) for x in row) for row in A)
        if J is not None:
            assert add(mul(transpose(A), J), mul(J, A)) == zero(n)
        if group.family == "SL":
            assert sum(A[i][i] for i in range(n)) == 0
    # The whole algebra: the solutions X of XᵀJ + JX = 0 (or tr X = 0 for sl, nothing for gl) have this dimension.
    X = sympy.Matrix(n, n, sympy.symbols(f"x0:{n * n}"))
    if J is not None:
        equations = list(X.T * sympy.Matrix(J) + sympy.Matrix(J) * X)
    else:
        equations = [X.trace()] if group.family == "SL" else []
    system = sympy.Matrix([[sympy.diff(e, x) for x in X] for e in equations]) if equations else sympy.zeros(0, n * n)
    assert n * n - system.rank() == len(basis)


@pytest.mark.parametrize("group", GROUPS, ids=NAMES)
def test_brackets_close_in_the_span(group):
    basis = group.algebra
    span = [flat(A) for A in basis]
    brackets = [flat(add(mul(A, B), mul(B, A), -1)) for A, B in itertools.combinations(basis, 2)]
    assert any(any(b) for b in brackets) == (len(basis) > 1)  # here only the algebras of dimension ≤ 1 are abelian
    assert rank(span + brackets) == len(span)


@pytest.mark.parametrize("group", GROUPS, ids=NAMES)
def test_discrete_generators_preserve_the_form_and_leave_the_identity_component(group):
    gens, J = group.discrete_generators, group.form
    connected = group.family in ("SO", "Sp", "SL", "SO(1,3)")
    assert (len(gens) == 0) == connected
    images = set()
    for g in gens:
        if J is not None:
            assert mul(mul(transpose(g), J), g) == J
        det = sympy.Matrix(g).det()
        time_reversing = group.family in ("SO(1,3)", "O(1,3)") and g[0][0] < 0
        assert det == -1 or time_reversing
        images.add((det, time_reversing))
    # O(1,3): P and T reach both non-identity classes of det and time orientation, so PT = −I is the third.
    assert len(images) == {"O(1,3)": 2}.get(group.family, len(gens))
    if group.family == "O(1,3)":
        P, T = gens
        assert mul(P, T) == tuple(tuple(Fraction(-1 if i == j else 0) for j in range(4)) for i in range(4))


# ---- the compact form's tori -------------------------------------------------------------------------

def rotation_blocks(thetas, tail):
    """diag(R(θ_1), …, R(θ_r), tail...)."""
    blocks = [np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]) for t in thetas]
    size = 2 * len(thetas) + len(tail)
    out = np.zeros((size, size))
    for j, b in enumerate(blocks):
        out[2 * j:2 * j + 2, 2 * j:2 * j + 2] = b
    for i, v in enumerate(tail):
        out[2 * len(thetas) + i, 2 * len(thetas) + i] = v
    return out


def explicit_torus_element(group, thetas, coset):
    """An element of the compact form's (twisted) torus, built by hand, and its group's defining checks."""
    compact, n = group.compact_form, group.n
    family = compact.split("(")[0]
    size = int(compact.split("(")[1].rstrip(")"))
    if family in ("SO", "O") and not coset:
        return rotation_blocks(thetas, [1.0] * (size % 2))
    if family == "O":
        if size % 2:
            return -rotation_blocks(thetas, [1.0])
        return rotation_blocks(thetas, [1.0, -1.0])
    z = np.exp(1j * np.array(thetas))
    if family == "USp":
        return np.diag(np.concatenate([z, 1 / z]))
    if family == "U":
        return np.diag(z)
    assert family == "SU" and size == n
    return np.diag(np.concatenate([z, [1 / np.prod(z)]]))


def in_compact_form(group, g):
    family = group.compact_form.split("(")[0]
    unitary = np.allclose(g.conj().T @ g, np.eye(len(g)), atol=1e-12)
    det = np.linalg.det(g)
    if family in ("SO", "O"):
        return unitary and np.isrealobj(g) and (family == "O" or abs(det - 1) < 1e-12)
    if family == "USp":
        m = len(g) // 2
        omega = np.block([[np.zeros((m, m)), np.eye(m)], [-np.eye(m), np.zeros((m, m))]])
        return unitary and np.allclose(g.T @ omega @ g, omega, atol=1e-12)
    return unitary and (family == "U" or abs(det - 1) < 1e-12)


def evaluate(monomial, z):
    sign, exponent = monomial
    return sign * np.prod(z ** np.array(exponent, dtype=float))


@pytest.mark.parametrize("group", GROUPS, ids=NAMES)
def test_the_tori_eigenvalues_are_those_of_explicit_elements(group):
    components = group.components()
    assert sum(c.measure for c in components) == 1
    assert components[0].rank == group.rank
    rng = np.random.default_rng(7)
    for index, component in enumerate(components):
        thetas = rng.uniform(0, 2 * np.pi, component.rank)
        z = np.exp(1j * thetas)
        g = explicit_torus_element(group, list(thetas), coset=index > 0)
        assert in_compact_form(group, g)
        assert len(component.eigenvalues) == len(g) == (group.n if group.family not in ("SO(1,3)", "O(1,3)") else 4)
        claimed = np.sort_complex(np.array([evaluate(m, z) for m in component.eigenvalues], dtype=complex))
        assert np.allclose(claimed, np.sort_complex(np.linalg.eigvals(g)), atol=1e-10)
        assert abs(evaluate(component.det, z) - np.linalg.det(g)) < 1e-10
        # det is the product of the eigenvalues, exactly.
        sign = math.prod(s for s, _ in component.eigenvalues)
        exponent = tuple(sum(e[j] for _, e in component.eigenvalues) for j in range(component.rank))
        assert component.det == (sign, exponent)


def adjoint_weights(group, component):
    """The torus weights of the complexified adjoint representation (so: Alt²V, sp: Sym²V, u: V⊗V*)."""
    weights = [e for _, e in component.eigenvalues]
    family = group.compact_form.split("(")[0]
    if family in ("SO", "O"):
        return [tuple(a + b for a, b in zip(weights[i], weights[j])) for i, j in itertools.combinations(
            range(len(weights)), 2)]
    if family == "USp":
        return [tuple(a + b for a, b in zip(weights[i], weights[j])) for i, j in
                itertools.combinations_with_replacement(range(len(weights)), 2)]
    return [tuple(a - b for a, b in zip(weights[i], weights[j])) for i in range(len(weights))
            for j in range(len(weights))]


def weyl_group_order(roots):
    """|W| as the size of the group generated by the root reflections, on the roots themselves."""
    vectors = [tuple(Fraction(x) for x in r) for r in roots] + [tuple(-Fraction(x) for x in r) for r in roots]

    def reflect(alpha, v):
        c = 2 * sum(a * b for a, b in zip(alpha, v)) / sum(a * a for a in alpha)
        return tuple(b - c * a for a, b in zip(alpha, v))

    index = {v: i for i, v in enumerate(vectors)}
    gens = [tuple(index[reflect(alpha, v)] for v in vectors) for alpha in vectors[: len(roots)]]
    identity = tuple(range(len(vectors)))
    seen, frontier = {identity}, [identity]
    while frontier:
        reached = {tuple(g[i] for i in h) for h in frontier for g in gens} - seen
        seen |= reached
        frontier = list(reached)
    return len(seen)


@pytest.mark.parametrize("group", GROUPS, ids=NAMES)
def test_the_roots_are_the_adjoint_weights_and_the_weyl_orders_their_reflection_groups(group):
    identity = group.components()[0]
    weights = adjoint_weights(group, identity)
    nonzero = sorted(w for w in weights if any(w))
    roots = list(identity.positive_roots) + [tuple(-x for x in r) for r in identity.positive_roots]
    assert nonzero == sorted(roots)
    family = group.compact_form.split("(")[0]
    if family in ("U", "SU"):  # S_n permuting the n eigenvalues (SU's coordinates are not orthonormal)
        assert identity.weyl_order == math.factorial(len(identity.eigenvalues))
    # B, C, D in orthonormal coordinates: W is generated by the root reflections, acting faithfully on the roots.
    components = group.components()[1:] if family in ("U", "SU") else group.components()
    for component in components:
        expected = weyl_group_order(component.positive_roots) if component.positive_roots else 1
        assert component.weyl_order == expected, component


def test_the_lorentz_convention():
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    L = parse_lie_group("SO(1,3)")
    assert np.array_equal(np.array(L.form, dtype=float), eta) and L.compact_form == "SO(4)"
    boosts = [np.array(A, dtype=float) for A in L.algebra if A[0][1] or A[0][2] or A[0][3]]
    assert len(boosts) == 3 and all(np.array_equal(B, B.T) for B in boosts)
    # A finite boost: expm of a boost generator, time first; it preserves η and keeps time's arrow.
    from scipy.linalg import expm
    g = expm(0.7 * boosts[0])
    assert np.allclose(g.T @ eta @ g, eta, atol=1e-12) and g[0, 0] > 1
    assert isinstance(L, LieGroup) and parse_lie_group("O(1,3)").compact_form == "O(4)"
