"""Weyl's integration formula against oracles the tests compute themselves.

The main oracle is a float64 numerical nullspace: the invariants of R are the common kernel of the
derivations ρ(A) (A⊗I⊗… + I⊗A⊗…, −Aᵀ on dual factors, + t·tr(A) for det^t) of the algebra basis and
of ρ(g) − I for each discrete generator, computed by an SVD with a clear gap between the zero and the
nonzero singular values. Sym² and Alt² restrict the constraints to the range of (I ± SWAP)/2.
The O(2m) coset density is checked by quadrature on its twisted torus against the nullspace counts,
and larger cases against textbook counts (Brauer: perfect matchings; GL: permutations).
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariant import InvariantError
from invariant.groups.lie_groups import parse_lie_group
from invariant.proofs.weyl import MAX_EXPONENT, MAX_WEYL_ORDER, LaurentPolynomial, invariant_dimension

SMALL_GROUPS = ["O(1)", "O(2)", "O(3)", "O(4)", "SO(1)", "SO(2)", "SO(3)", "SO(4)", "Sp(2)", "Sp(4)",
                "SL(1)", "SL(2)", "SL(3)", "SL(4)", "GL(1)", "GL(2)", "GL(3)", "GL(4)", "SO(1,3)", "O(1,3)"]
ORDERS = [(k, q) for total in range(5) for k in range(total + 1) for q in [total - k]]


# ---- the numerical oracle -------------------------------------------------------------------------------

def _floats(matrix):
    return np.array([[float(x) for x in row] for row in matrix])


def _kron_all(factors):
    out = np.eye(1)
    for f in factors:
        out = np.kron(out, f)
    return out


def tensor_action(group, k, q, twist=0):
    """(algebra images, discrete images) on det^twist ⊗ V^⊗k ⊗ V*^⊗q, as float64 matrices."""
    n = group.dimension
    eye = np.eye(n)
    algebra = []
    for A in map(_floats, group.algebra):
        factors = [A] * k + [-A.T] * q
        image = sum((_kron_all([eye] * i + [f] + [eye] * (k + q - i - 1)) for i, f in enumerate(factors)),
                    start=np.zeros((n ** (k + q),) * 2))
        algebra.append(image + twist * np.trace(A) * np.eye(n ** (k + q)))
    discrete = []
    for g in map(_floats, group.discrete_generators):
        discrete.append(np.linalg.det(g) ** twist * _kron_all([g] * k + [np.linalg.inv(g).T] * q))
    return algebra, discrete


def nullity(constraints, basis):
    """dim {x in span(basis) : C x = 0 for every C}, by an SVD with a checked gap."""
    if not constraints:
        return basis.shape[1]
    stacked = np.vstack([C @ basis for C in constraints])
    singular = np.linalg.svd(stacked, compute_uv=False)
    assert not np.any((singular > 1e-9) & (singular < 1e-6)), singular  # the count is unambiguous
    return basis.shape[1] - int(np.sum(singular > 1e-9))


def numeric_dimension(group, k, q, twist=0, square=None):
    """The oracle: dim of the invariants of det^twist ⊗ T(k, q), or of its Sym² / Alt² (square = +1 / -1)."""
    algebra, discrete = tensor_action(group, k, q, twist)
    N = group.dimension ** (k + q)
    if square is None:
        return nullity(algebra + [g - np.eye(N) for g in discrete], np.eye(N))
    eye = np.eye(N)
    swap = np.zeros((N * N, N * N))
    for i, j in itertools.product(range(N), repeat=2):
        swap[j * N + i, i * N + j] = 1
    projector = (np.eye(N * N) + square * swap) / 2
    eigenvalues, vectors = np.linalg.eigh(projector)
    basis = vectors[:, eigenvalues > 0.5]
    constraints = [np.kron(A, eye) + np.kron(eye, A) for A in algebra]
    constraints += [np.kron(g, g) - np.eye(N * N) for g in discrete]
    return nullity(constraints, basis)


# ---- the characters handed to weyl.py -------------------------------------------------------------------

def tensor_character(k, q, twist=0, r=1):
    """χ of det^twist ⊗ T(k, q) at g^r."""
    return lambda p, d: d ** (r * twist) * p(r) ** k * p(-r) ** q


def square_character(k, q, twist, square):
    """χ of Sym² (square = 1) or Alt² (square = -1) of det^twist ⊗ T(k, q): (χ(g)² ± χ(g²)) / 2."""
    chi, chi2 = tensor_character(k, q, twist), tensor_character(k, q, twist, r=2)
    return lambda p, d: (chi(p, d) ** 2 + square * chi2(p, d)) / 2


def twists(name):
    """The det powers worth testing: det is trivial on the special groups."""
    return {"O": (0, 1), "GL": (0, 1, -1)}.get(parse_lie_group(name).family, (0,))


@pytest.mark.parametrize("name", [pytest.param(g, marks=pytest.mark.slow) if g == "GL(4)" else g for g in SMALL_GROUPS])
def test_tensor_invariants_match_the_numerical_nullspace(name):
    group = parse_lie_group(name)
    for (k, q), twist in itertools.product(ORDERS, twists(name)):
        if group.dimension ** (k + q) > 256:
            continue
        expected = numeric_dimension(group, k, q, twist)
        assert invariant_dimension(group, tensor_character(k, q, twist)) == expected, (name, k, q, twist)


@pytest.mark.parametrize("name", SMALL_GROUPS)
def test_sym2_and_alt2_invariants_match_the_numerical_nullspace(name):
    group = parse_lie_group(name)
    for (k, q), twist, square in itertools.product([(1, 0), (0, 1), (2, 0), (1, 1)], twists(name), (1, -1)):
        if group.dimension ** (k + q) > 16:
            continue
        expected = numeric_dimension(group, k, q, twist, square)
        assert invariant_dimension(group, square_character(k, q, twist, square)) == expected, (name, k, q, square)


@given(st.sampled_from(SMALL_GROUPS), st.sampled_from([kq for kq in ORDERS if sum(kq) <= 3]), st.integers(-1, 1))
def test_random_twisted_tensor_invariants_match_the_nullspace(name, kq, twist):
    group = parse_lie_group(name)
    if group.family not in ("O", "GL"):
        twist = 0
    k, q = kq
    assert invariant_dimension(group, tensor_character(k, q, twist)) == numeric_dimension(group, k, q, twist)


def test_the_named_examples():
    # Oracles: the numerical nullspace (small) and Brauer's counts (perfect matchings of 2k points when
    # n >= 2k; GL(n): the k! permutations when n >= k; SO(2k): one more, the ε-tensor).
    SO3, O3, Sp4, L, FullL = (parse_lie_group(t) for t in ("SO(3)", "O(3)", "Sp(4)", "SO(1,3)", "O(1,3)"))
    for group, k in [(SO3, 3), (SO3, 4), (O3, 3), (Sp4, 2), (L, 2), (L, 4), (FullL, 4)]:
        assert invariant_dimension(group, tensor_character(k, 0)) == numeric_dimension(group, k, 0), (group, k)
    matchings = [math.prod(range(1, 2 * j, 2)) for j in range(5)]  # (2j − 1)!!
    for name in ("O(8)", "Sp(8)"):
        assert [invariant_dimension(parse_lie_group(name), tensor_character(2 * j, 0)) for j in range(5)] == matchings
    assert invariant_dimension(parse_lie_group("SO(8)"), tensor_character(8, 0)) == matchings[4] + 1
    assert invariant_dimension(parse_lie_group("GL(5)"), tensor_character(4, 4)) == math.factorial(4)
    assert invariant_dimension(parse_lie_group("SL(5)"), tensor_character(5, 0)) == 1  # the volume form


# ---- the O(2m) coset density, numerically ---------------------------------------------------------------

def coset_average(m, chi_of_eigenvalues, density="C"):
    """∫ over the det −1 coset of O(2m) by quadrature on its twisted torus {1, −1, e^{±iθ_j} (j < m)}:
    the density Π_α |1 − e^{iα·θ}|² / |W| over the roots of C_(m−1) (or B_(m−1), to see the check bite)."""
    r = m - 1
    grid = 2 * np.pi * np.arange(24) / 24  # exact for trigonometric polynomials of degree < 24
    total = 0.0
    points = list(itertools.product(grid, repeat=r))
    for theta in points:
        z = np.exp(1j * np.array(theta))
        eigenvalues = np.concatenate([[1.0, -1.0], z, 1 / z])
        weight = 1.0
        for i, j in itertools.combinations(range(r), 2):
            weight *= abs(1 - z[i] * z[j]) ** 2 * abs(1 - z[i] / z[j]) ** 2
        for i in range(r):
            weight *= abs(1 - z[i] ** (2 if density == "C" else 1)) ** 2
        total += weight * chi_of_eigenvalues(eigenvalues)
    weyl_order = 2 ** r * math.factorial(r)
    return (total / len(points) / weyl_order).real


@pytest.mark.parametrize("m", [1, 2, 3])
def test_the_o2m_coset_has_the_usp_density(m):
    n = 2 * m
    O, SO = parse_lie_group(f"O({n})"), parse_lie_group(f"SO({n})")
    assert coset_average(m, lambda ev: 1) == pytest.approx(1, abs=1e-12)
    cases = [(k, q) for k, q in ORDERS if n ** (k + q) <= 256]
    for k, q in cases:
        expected = 2 * numeric_dimension(O, k, q) - numeric_dimension(SO, k, q)  # the coset's integral
        quadrature = coset_average(m, lambda ev, k=k, q=q: np.sum(ev) ** k * np.sum(1 / ev) ** q)
        assert abs(quadrature - expected) < 1e-10, (n, k, q, quadrature, expected)
        assert invariant_dimension(O, tensor_character(k, q)) == numeric_dimension(O, k, q)
    # The density of SO(2m−1) (short roots e_i, not 2e_i) would be wrong: the check tells them apart.
    if m > 1:
        wrong = coset_average(m, lambda ev: np.sum(ev) ** 2, density="B")
        assert abs(wrong - (2 * numeric_dimension(O, 2, 0) - numeric_dimension(SO, 2, 0))) > 0.5


# ---- the Laurent polynomials ----------------------------------------------------------------------------

def laurent(rank):
    exponents = st.tuples(*[st.integers(-3, 3)] * rank)
    coefficients = st.one_of(st.integers(-5, 5), st.builds(Fraction, st.integers(-8, 8), st.integers(1, 7)))
    return st.dictionaries(exponents, coefficients, max_size=6).map(lambda t: LaurentPolynomial(rank, t))


divisors = st.builds(Fraction, st.integers(1, 8), st.integers(1, 5))


def evaluate(poly, z):
    return sum(complex(c) * np.prod(z ** np.array(e, dtype=float)) for e, c in poly.terms().items())


@given(st.integers(1, 3).flatmap(lambda r: st.tuples(laurent(r), laurent(r), st.integers(0, 3), divisors)))
def test_laurent_arithmetic_agrees_with_evaluation_on_the_torus(case):
    a, b, k, c = case
    z = np.exp(1j * np.array([0.3, 1.1, 2.9][: a.rank]))
    ea, eb = evaluate(a, z), evaluate(b, z)
    for value, expected in [(a + b, ea + eb), (a - b, ea - eb), (a * b, ea * eb), (a ** k, ea ** k),
                            (a / c, ea / float(c)), (2 - a, 2 - ea), (3 * a, 3 * ea)]:
        assert abs(evaluate(value, z) - expected) <= 1e-10 * (1 + abs(expected))


def test_laurent_exponents_round_trip_and_monomials_invert():
    exponents = [(MAX_EXPONENT, -MAX_EXPONENT, 0), (-1, 0, 1), (5, -9, 10)]
    poly = LaurentPolynomial(3, dict.fromkeys(exponents, Fraction(2, 3)))
    assert set(poly.terms()) == set(exponents)
    det = LaurentPolynomial(2, {(1, 1): -1})
    assert (det ** -2).terms() == {(-2, -2): 1} and (det * det ** -1).terms() == {(0, 0): 1}
    assert (poly - poly).terms() == {} and LaurentPolynomial(1, {(0,): 0}).terms() == {}
    with pytest.raises(InvariantError, match="exceed"):
        poly * poly


# ---- refusals -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, character, message", [
    ("SO(14)", tensor_character(2, 0), f"Weyl group of order 322560; at most {MAX_WEYL_ORDER}"),
    ("GL(9)", tensor_character(1, 1), "Weyl group of order 362880"),
    ("SO(12)", tensor_character(40, 0), "too large for the Weyl proof"),
    ("SO(3)", lambda p, d: p(1) ** 0 / 2, "not the character of a representation"),
    ("SO(3)", lambda p, d: -p(1) ** 0, "not the character of a representation"),
    ("SO(3)", lambda p, d: p(0), "nonzero integers r"),
    ("SO(3)", lambda p, d: p(1) ** -1, "only a monomial"),
])
def test_bad_requests_are_refused_in_one_line(name, character, message):
    with pytest.raises(InvariantError, match=message) as info:
        invariant_dimension(parse_lie_group(name), character)
    assert "\n" not in str(info.value)
