"""The named Lie groups: their algebras, component groups, invariant forms and maximal tori, exactly.

A :class:`LieGroup` is a frozen record of a family and a size; everything else is derived from
those two, exactly (matrices of :class:`fractions.Fraction`):

* ``O(n)``: AᵀA = I; form δ = I; compact form O(n); dim g = n(n−1)/2;
* ``SO(n)``: AᵀA = I, det A = 1; form δ; compact form SO(n); n(n−1)/2;
* ``Sp(n)`` (n even): AᵀωA = ω, ω = [[0, I], [−I, 0]]; form ω; compact form USp(n); n(n+1)/2;
* ``SL(n)``: det A = 1; no form; compact form SU(n); n² − 1;
* ``GL(n)``: det A ≠ 0; no form; compact form U(n); n²;
* ``SO(1,3)``: AᵀηA = η, det A = 1, A_00 ≥ 1, η = diag(1, −1, −1, −1); form η; compact form SO(4); 6;
* ``O(1,3)``: AᵀηA = η; form η; compact form O(4); 6.

``Sp(n)`` is the real symplectic group Sp(n, R) of the defining dimension n (n even; EMLP's
``Sp(m)`` is our ``Sp(2m)``). ``SO(2)`` and ``O(2)`` are the n = 2 members of their families.
The Lorentz groups put time first with the mostly-minus metric η = diag(1, −1, −1, −1): EMLP's
``SO13p`` has the same coordinates (boost generators E_0i + E_i0, rotations on 1..3, which
preserve η and −η alike); ``SO(1,3)`` here is the proper orthochronous group (EMLP's ``SO13p``,
not its ``SO13``, which adds −I), ``O(1,3)`` the full group with parity P = diag(1, −1, −1, −1)
and time reversal T = diag(−1, 1, 1, 1) as its discrete generators.

A connected group is fixed by its Lie algebra (:attr:`LieGroup.algebra`); a disconnected one by
its algebra plus one discrete generator per generator of its component group
(:attr:`LieGroup.discrete_generators`: a reflection for O(n) and GL(n), P and T for O(1,3)).

**The compact form (Weyl's unitarian trick).** The invariants of an algebraic representation
(one built from V, V*, det by ⊕, ⊗, Sym, Alt) of a real group G are the invariants of its Zariski
closure G_C in GL(n, C): {g : ρ(g)v = v} is Zariski closed, and the real and complex fixed spaces
of real matrices have one dimension. The compact real form K of G_C is Zariski dense in each
component of G_C it meets, and meets all of them, so the invariants of G are those of K:

* SL(n, R) is Zariski dense in SL(n, C), whose compact form is SU(n);
* GL(n, R) (both components; already GL⁺(n, R)) is Zariski dense in GL(n, C): U(n), and det is
  z_1⋯z_n on its torus;
* Sp(2m, R) is Zariski dense in Sp(2m, C): USp(2m) = Sp(2m, C) ∩ U(2m);
* SO(1,3) (connected) is Zariski dense in SO(η, C) ≅ SO(4, C) (η = D δ D with D = diag(1, i, i, i)):
  SO(4);
* O(1,3) is Zariski dense in O(η, C) ≅ O(4, C): O(4). Its four real components fall into two
  complex ones: P and T have det −1, PT = −I lies in SO(4, C);
* O(n), SO(n) are compact already.

**What the Weyl proof needs** (:meth:`LieGroup.components`): the compact form's components, each
with its Haar mass, a torus (the maximal torus for the identity component, a "twisted torus" s·T'
for the others), how an element of it acts on V (its eigenvalues, each ±z^e, a sign times a
Laurent monomial in the torus coordinates z_1..z_r), its determinant, and the positive roots and
Weyl-group order of the density |Δ(z)|² = Π_α (1 − z^α) that Weyl's integration formula puts on it.

>>> G = parse_lie_group("SO(3)")
>>> G, G.dimension, len(G.algebra), G.rank, G.compact_form
(SO(3), 3, 3, 1, 'SO(3)')
>>> [str(c.eigenvalues_text()) for c in parse_lie_group("O(4)").components()]
['z1, 1/z1, z2, 1/z2', '1, -1, z1, 1/z1']
>>> parse_lie_group("SO(1,3)").form[1]
(Fraction(0, 1), Fraction(-1, 1), Fraction(0, 1), Fraction(0, 1))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from ..errors import InvariantError

#: An exact matrix: rows of fractions.
Matrix = tuple[tuple[Fraction, ...], ...]
#: An eigenvalue (or determinant) on a torus: ``(sign, exponent)`` stands for sign · z^exponent.
Monomial = tuple[int, tuple[int, ...]]

#: The largest defining dimension a named Lie group may have (its algebra basis has up to n² matrices of n² entries).
MAX_DIMENSION = 32

#: The families, each with its name pattern (n is the defining dimension).
FAMILIES = ("O", "SO", "Sp", "SL", "GL", "SO(1,3)", "O(1,3)")

_ZERO, _ONE = Fraction(0), Fraction(1)
_NAME = re.compile(r"(O|SO|Sp|SL|GL)\(\s*(\d{1,6})\s*\)")
_LORENTZ = re.compile(r"(S?O)\(\s*1\s*,\s*3\s*\)")


@dataclass(frozen=True)
class Component:
    """One connected component of a compact group, as Weyl's integration formula sees it.

    Its elements are conjugate to those of a torus s·T' (T' = {z ∈ U(1)^rank}), on which g acts on V
    with the eigenvalues ``eigenvalues`` (each ``(sign, e)`` meaning sign · z^e) and has
    determinant ``det``; the integral of a class function f over the component, by Haar measure of
    total mass 1, is (1/|W|) ∫_{T'} f(z) Π_α (1 − z^α) dz, the product over the roots ±α for α in
    ``positive_roots``, |W| = ``weyl_order``. ``measure`` is the component's share of the group's
    Haar measure and ``density`` names the compact connected group whose Weyl density this is.

    >>> c = parse_lie_group("SL(2)").components()[0]
    >>> c.rank, c.eigenvalues, c.positive_roots, c.weyl_order
    (1, ((1, (1,)), (1, (-1,))), ((2,),), 2)
    """

    description: str
    measure: Fraction
    rank: int
    eigenvalues: tuple[Monomial, ...]
    det: Monomial
    positive_roots: tuple[tuple[int, ...], ...]
    weyl_order: int
    density: str

    def eigenvalues_text(self) -> str:
        """The eigenvalues on V as text, e.g. ``'1, -1, z1, 1/z1'``."""
        return ", ".join(_monomial_text(m) for m in self.eigenvalues)


@dataclass(frozen=True)
class LieGroup:
    """A named real Lie group acting on R^n by its defining representation V.

    ``family`` is one of :data:`FAMILIES`; ``n`` the defining dimension (4 for the Lorentz groups).
    Build one with :func:`parse_lie_group` or :func:`lie_group`, which check the size.

    >>> G = lie_group("Sp", 4)
    >>> str(G), G.dimension, len(G.algebra), G.compact_form, G.rank
    ('Sp(4)', 4, 10, 'USp(4)', 2)
    """

    family: str
    n: int

    def __str__(self) -> str:
        return self.family if self.family in _LORENTZ_FAMILIES else f"{self.family}({self.n})"

    def __repr__(self) -> str:
        return str(self)

    @property
    def name(self) -> str:
        """The canonical name: :func:`parse_lie_group` reads it back to this group."""
        return str(self)

    @property
    def dimension(self) -> int:
        """The dimension n of the defining representation V = R^n."""
        return self.n

    @property
    def algebra_dimension(self) -> int:
        """dim g: n(n−1)/2 (orthogonal, Lorentz), n(n+1)/2 (sp), n² − 1 (sl), n² (gl)."""
        n = self.n
        return {"Sp": n * (n + 1) // 2, "SL": n * n - 1, "GL": n * n}.get(self.family, n * (n - 1) // 2)

    @cached_property
    def form(self) -> Matrix | None:
        """The invariant bilinear form J (gᵀJg = J for every g, AᵀJ + JA = 0 on the algebra), or None.

        δ = I for O(n), SO(n); ω = [[0, I], [−I, 0]] for Sp(n); η = diag(1, −1, −1, −1) for the
        Lorentz groups; none for SL(n), GL(n) (SL(n) keeps the volume form det, which is not bilinear).
        """
        n = self.n
        if self.family in ("O", "SO"):
            return _diagonal([1] * n)
        if self.family in _LORENTZ_FAMILIES:
            return _diagonal([1, -1, -1, -1])
        if self.family == "Sp":
            m = n // 2
            return _matrix(n, {**{(i, m + i): 1 for i in range(m)}, **{(m + i, i): -1 for i in range(m)}})
        return None

    @cached_property
    def algebra(self) -> tuple[Matrix, ...]:
        """An exact basis of the Lie algebra, as n×n matrices.

        so(n), so(1,3): E_ij − E_ji (i < j, spatial i, j for the Lorentz groups) and the boosts
        E_0i + E_i0; sp(2m): [[a, b], [c, −aᵀ]] with b, c symmetric, i.e. E_ij − E_{m+j,m+i},
        E_{i,m+j} + E_{j,m+i} and E_{m+i,j} + E_{m+j,i} (i ≤ j); sl(n): E_ij (i ≠ j) and
        E_ii − E_{i+1,i+1}; gl(n): every E_ij.
        """
        n, family = self.n, self.family
        basis: list[dict[tuple[int, int], int]] = []
        if family in ("O", "SO"):
            basis = [{(i, j): 1, (j, i): -1} for i in range(n) for j in range(i + 1, n)]
        elif family in _LORENTZ_FAMILIES:
            basis = [{(i, j): 1, (j, i): -1} for i in range(1, 4) for j in range(i + 1, 4)]
            basis += [{(0, i): 1, (i, 0): 1} for i in range(1, 4)]
        elif family == "Sp":
            m = n // 2
            basis = [{(i, j): 1, (m + j, m + i): -1} if i != j else {(i, i): 1, (m + i, m + i): -1}
                     for i in range(m) for j in range(m)]
            for i in range(m):
                for j in range(i, m):
                    basis.append({(i, m + j): 1, (j, m + i): 1} if i != j else {(i, m + i): 1})
                    basis.append({(m + i, j): 1, (m + j, i): 1} if i != j else {(m + i, i): 1})
        elif family == "SL":
            basis = [{(i, j): 1} for i in range(n) for j in range(n) if i != j]
            basis += [{(i, i): 1, (i + 1, i + 1): -1} for i in range(n - 1)]
        else:
            basis = [{(i, j): 1} for i in range(n) for j in range(n)]
        return tuple(_matrix(n, entries) for entries in basis)

    @cached_property
    def discrete_generators(self) -> tuple[Matrix, ...]:
        """One matrix per generator of the component group G/G₀ (none when G is connected).

        O(n) and GL(n): the reflection diag(−1, 1, …, 1) (det −1); O(1,3): parity
        P = diag(1, −1, −1, −1) and time reversal T = diag(−1, 1, 1, 1) (G/G₀ = Z/2 × Z/2).
        """
        n = self.n
        if self.family in ("O", "GL"):
            return (_diagonal([-1] + [1] * (n - 1)),)
        if self.family == "O(1,3)":
            return (_diagonal([1, -1, -1, -1]), _diagonal([-1, 1, 1, 1]))
        return ()

    @property
    def compact_form(self) -> str:
        """The compact group whose invariants the Weyl proof computes (see the module docstring)."""
        n = self.n
        return {"Sp": f"USp({n})", "SL": f"SU({n})", "GL": f"U({n})", "SO(1,3)": "SO(4)",
                "O(1,3)": "O(4)"}.get(self.family, str(self))

    @property
    def rank(self) -> int:
        """The rank of the compact form: the dimension of its maximal torus (⌊n/2⌋; n − 1 for SU(n))."""
        if self.family == "SL":
            return self.n - 1
        return self.n if self.family == "GL" else self.n // 2

    def components(self) -> tuple[Component, ...]:
        """The compact form's components with their tori, eigenvalues on V and Weyl densities.

        * SO(2m+1): eigenvalues {1, z_j^±1}, roots B_m (±e_i ± e_j, ±e_i), |W| = 2^m m!;
        * SO(2m): {z_j^±1}, roots D_m (±e_i ± e_j), |W| = 2^(m−1) m!;
        * USp(2m): {z_j^±1}, roots C_m (±e_i ± e_j, ±2e_i), |W| = 2^m m!;
        * U(n): {z_j}, roots e_i − e_j, |W| = n!, det = z_1⋯z_n;
        * SU(n): rank n − 1, {z_1, …, z_(n−1), (z_1⋯z_(n−1))^−1}, roots ε_i − ε_j, |W| = n!;
        * O(2m+1) = SO(2m+1) × {±I}: the coset −SO(2m+1), eigenvalues {−1, −z_j^±1}, density of SO(2m+1);
        * O(2m), det −1: g ~ diag(R(θ_1), …, R(θ_(m−1)), 1, −1), eigenvalues {1, −1, z_j^±1 (j < m)},
          density of USp(2m−2) (roots C_(m−1)), |W| = 2^(m−1) (m−1)!; O(2): the reflections, no torus.

        Each component of O(n) carries half the Haar measure.
        """
        compact = self.compact_form
        family, n = _compact_family(compact)
        if family == "U":
            return (_unitary(n),)
        if family == "SU":
            return (_special_unitary(n),)
        if family == "USp":
            return (_orthogonal_like("USp", n, Fraction(1)),)
        if family == "SO":
            return (_orthogonal_like("SO", n, Fraction(1)),)
        identity = _orthogonal_like("SO", n, Fraction(1, 2))
        return (identity, _reflection_coset(n))


_LORENTZ_FAMILIES = ("SO(1,3)", "O(1,3)")


def lie_group(family: str, n: int) -> LieGroup:
    """The named group ``family(n)`` (``family`` in :data:`FAMILIES`; n = 4 for the Lorentz groups), checked.

    >>> lie_group("GL", 2).algebra_dimension
    4
    >>> lie_group("Sp", 3)
    Traceback (most recent call last):
    ...
    invariant.errors.InvariantError: Sp(n) needs an even n >= 2 (the defining dimension), got 3
    """
    if family not in FAMILIES:
        raise InvariantError(f"unknown Lie group family {family!r}; choose one of {', '.join(FAMILIES)}")
    if family in _LORENTZ_FAMILIES:
        _require(n == 4, f"{family} acts on R^4, got n = {n}")
        return LieGroup(family, 4)
    _require(n <= MAX_DIMENSION, f"{family}({n}) is too large: the named Lie groups go up to n = {MAX_DIMENSION}")
    if family == "Sp":
        _require(n >= 2 and n % 2 == 0, f"Sp(n) needs an even n >= 2 (the defining dimension), got {n}")
    _require(n >= 1, f"{family}(n) needs n >= 1, got {n}")
    return LieGroup(family, n)


def parse_lie_group(text: str) -> LieGroup:
    """The Lie group a name denotes: ``O(n)``, ``SO(n)``, ``Sp(n)``, ``SL(n)``, ``GL(n)``, ``SO(1,3)``, ``O(1,3)``.

    Spaces inside the parentheses are allowed; the canonical name (``str(G)``) reads back to G.

    >>> parse_lie_group("O( 3 )"), parse_lie_group("O(1, 3)").discrete_generators[1][0][0]
    (O(3), Fraction(-1, 1))
    >>> parse_lie_group("SU(3)")
    Traceback (most recent call last):
    ...
    invariant.errors.InvariantError: unknown Lie group 'SU(3)' (O(n), SO(n), Sp(n), SL(n), GL(n), SO(1,3), O(1,3))
    """
    stripped = text.strip()
    lorentz = _LORENTZ.fullmatch(stripped)
    if lorentz:
        return lie_group(f"{lorentz.group(1)}(1,3)", 4)
    match = _NAME.fullmatch(stripped)
    if not match:
        shown = stripped if len(stripped) <= 40 else stripped[:37] + "..."
        raise InvariantError(f"unknown Lie group {shown!r} (O(n), SO(n), Sp(n), SL(n), GL(n), SO(1,3), O(1,3))")
    return lie_group(match.group(1), int(match.group(2)))


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise InvariantError(message)


def _matrix(n: int, entries: dict[tuple[int, int], int]) -> Matrix:
    return tuple(tuple(Fraction(entries[i, j]) if (i, j) in entries else _ZERO for j in range(n)) for i in range(n))


def _diagonal(values: list[int]) -> Matrix:
    return _matrix(len(values), {(i, i): v for i, v in enumerate(values)})


def _compact_family(compact: str) -> tuple[str, int]:
    family, _, size = compact.partition("(")
    return family, int(size.rstrip(")"))


def _unit(rank: int, j: int, scale: int = 1) -> tuple[int, ...]:
    return tuple(scale if i == j else 0 for i in range(rank))


def _pairs(rank: int) -> list[Monomial]:
    """The eigenvalues z_j, 1/z_j (j < rank)."""
    return [(1, _unit(rank, j, s)) for j in range(rank) for s in (1, -1)]


def _type_bcd_roots(rank: int, short: int) -> tuple[tuple[int, ...], ...]:
    """e_i ± e_j (i < j) and, when ``short`` is 1 or 2, short·e_i: the positive roots of D, B or C."""
    roots = [tuple(a + s * b for a, b in zip(_unit(rank, i), _unit(rank, j)))
             for i in range(rank) for j in range(i + 1, rank) for s in (-1, 1)]
    return tuple(roots + ([_unit(rank, i, short) for i in range(rank)] if short else []))


def _orthogonal_like(family: str, n: int, measure: Fraction) -> Component:
    """The identity component of SO(n) or USp(n) (n even for USp)."""
    m = n // 2
    zero = (0,) * m
    if family == "USp":
        return Component("maximal torus", measure, m, tuple(_pairs(m)), (1, zero), _type_bcd_roots(m, 2),
                         2**m * math.factorial(m), f"USp({n})")
    odd = n % 2
    eigenvalues = ([(1, zero)] if odd else []) + _pairs(m)
    order = 2**m * math.factorial(m) if odd else max(1, 2 ** (m - 1) * math.factorial(m))
    return Component("maximal torus", measure, m, tuple(eigenvalues), (1, zero), _type_bcd_roots(m, 1 if odd else 0),
                     order, f"SO({n})")


def _reflection_coset(n: int) -> Component:
    """The det −1 component of O(n)."""
    m = n // 2
    half = Fraction(1, 2)
    if n % 2:
        zero = (0,) * m
        eigenvalues = tuple((-s, e) for s, e in [(1, zero)] + _pairs(m))
        return Component("−I times the maximal torus of SO(n)", half, m, eigenvalues, (-1, zero),
                         _type_bcd_roots(m, 1), 2**m * math.factorial(m), f"SO({n})")
    r = m - 1
    zero = (0,) * r
    return Component("diag(R(θ_1), …, R(θ_(m−1)), 1, −1)", half, r, tuple([(1, zero), (-1, zero)] + _pairs(r)),
                     (-1, zero), _type_bcd_roots(r, 2), 2**r * math.factorial(r), f"USp({2 * r})" if r else "trivial")


def _unitary(n: int) -> Component:
    roots = tuple(tuple(a - b for a, b in zip(_unit(n, i), _unit(n, j))) for i in range(n) for j in range(i + 1, n))
    return Component("maximal torus", Fraction(1), n, tuple((1, _unit(n, j)) for j in range(n)), (1, (1,) * n),
                     roots, math.factorial(n), f"U({n})")


def _special_unitary(n: int) -> Component:
    r = n - 1
    weights = [_unit(r, j) for j in range(r)] + [(-1,) * r]
    roots = tuple(tuple(a - b for a, b in zip(weights[i], weights[j])) for i in range(n) for j in range(i + 1, n))
    return Component("maximal torus", Fraction(1), r, tuple((1, w) for w in weights), (1, (0,) * r), roots,
                     math.factorial(n), f"SU({n})")


def _monomial_text(monomial: Monomial) -> str:
    sign, exponent = monomial
    up = "".join(f"z{j + 1}" + (f"^{e}" if e > 1 else "") for j, e in enumerate(exponent) if e > 0)
    down = "".join(f"z{j + 1}" + (f"^{-e}" if e < -1 else "") for j, e in enumerate(exponent) if e < 0)
    body = (up or "1") + (f"/{down}" if down else "")
    return ("-" if sign < 0 else "") + body
