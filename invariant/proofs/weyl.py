"""The dimension of the invariants of a Lie group's representation, exactly, by Weyl's integration formula.

For a compact connected group K with maximal torus T (coordinates z = (z_1, …, z_r)), roots Φ and
Weyl group W, and a representation R with character χ_R (a W-invariant Laurent polynomial on T),

    dim Hom_K(1, R) = ∫_K χ_R = (1/|W|) CT[ χ_R(z) · Π_{α ∈ Φ} (1 − z^α) ]          (Weyl)
                    = CT[ χ_R(z) · Π_{α > 0} (1 − z^α) ],

CT the constant term. The second line: Π_{α∈Φ}(1 − z^α) = A(z) A(z⁻¹) with the Weyl denominator
A(z) = Π_{α>0}(1 − z^α) = Σ_{w∈W} sgn(w) z^{ρ − wρ}; since χ_R is W-invariant (a polynomial in power
sums and det), CT[χ_R z^{wρ − w'ρ}] depends on w'⁻¹w alone, and the double sum over W × W is |W|
times the single one. So only A, with its |W| terms, is expanded, and χ_R is read at the |W|
exponents −(ρ − wρ): a dot product, never a product with χ_R.

A disconnected compact group is the average over its components, each by its Haar mass: the
component s·K₀ of a class function f integrates as (1/|W'|) CT[f(s·z) Π_{α∈Φ'}(1 − z^α)] over a
twisted torus s·T' (see :meth:`~invariant.groups.lie_groups.LieGroup.components`: O(2m+1) =
SO(2m+1) × {±I}; for O(2m) the det −1 coset has eigenvalues {1, −1, z_j^±1 (j < m)} and the Weyl
density of USp(2m−2)). A non-compact group is its compact form (Weyl's unitarian trick, in
:mod:`invariant.groups.lie_groups`).

A character is given as a function ``character(p, det)``: ``p(r)`` is the Laurent polynomial of the
power sum tr(g^r) on the torus for any nonzero integer r (negative r: the dual V*), ``det`` that of
det g (a constant ±1, or z_1⋯z_n for U(n)); it returns a :class:`LaurentPolynomial` (or a number).
T(k) is ``lambda p, d: p(1)**k``, Sym²(V) is ``(p(1)**2 + p(2)) / 2``, T(p, q) is
``p(1)**p * p(-1)**q``, det ⊗ V is ``d * p(1)``.

>>> from invariant.groups.lie_groups import parse_lie_group
>>> T = lambda k: (lambda p, d: p(1) ** k)
>>> [invariant_dimension(parse_lie_group("SO(3)"), T(k)) for k in (2, 3, 4)]
[1, 1, 3]
>>> invariant_dimension(parse_lie_group("O(3)"), T(3)), invariant_dimension(parse_lie_group("Sp(4)"), T(2))
(0, 1)
>>> invariant_dimension(parse_lie_group("SO(1,3)"), T(4)), invariant_dimension(parse_lie_group("O(1,3)"), T(4))
(4, 3)
>>> invariant_dimension(parse_lie_group("GL(3)"), lambda p, d: p(1) ** 2 * p(-1) ** 2)
2
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache

from ..errors import InvariantError
from ..groups.lie_groups import Component, LieGroup

#: The largest Weyl-group order of a component's density the proof expands (|W| terms each): SO(13), SO(12),
#: Sp(12), SL(8), GL(8) and every smaller member of their families are within it.
MAX_WEYL_ORDER = 50_000
#: The most coefficient products one multiplication of Laurent polynomials may take (about a second or two).
MAX_PRODUCT_PAIRS = 10_000_000
#: The largest |exponent| a Laurent polynomial may reach in any coordinate.
MAX_EXPONENT = 10_000

Coefficient = int | Fraction
_BITS = 16  # exponent vectors are packed into one integer, base 2^16, balanced digits: |e_i| < 2^15
_BASE = 1 << _BITS
_HALF = _BASE >> 1


class LaurentPolynomial:
    """An exact sparse Laurent polynomial in z_1, …, z_rank with int or Fraction coefficients.

    Built from ``{exponent tuple: coefficient}``; supports +, −, ×, / by a number, ** (any power of
    a monomial, non-negative powers of anything). Internally each exponent vector is packed into one
    integer (Σ e_i 2^(16 i), additive on |e_i| < 2^15), so a product costs one integer addition per pair.

    >>> z = LaurentPolynomial(2, {(1, 0): 1, (0, -1): 1})
    >>> sorted((z * z).terms().items())
    [((0, -2), 1), ((1, -1), 2), ((2, 0), 1)]
    >>> ((z ** 2 - 1) / 2).coefficient((1, -1)), (z - z).terms()
    (Fraction(1, 1), {})
    """

    __slots__ = ("_spread", "_terms", "rank")

    def __init__(self, rank: int, terms: dict[tuple[int, ...], Coefficient] | None = None) -> None:
        self.rank = rank
        self._terms: dict[int, Coefficient] = {}
        self._spread = 0
        for exponent, c in (terms or {}).items():
            if len(exponent) != rank:
                raise ValueError(f"exponent {exponent} has not {rank} entries")
            if c:
                spread = max((abs(e) for e in exponent), default=0)
                _check_spread(spread)
                key = _encode(exponent)
                self._terms[key] = self._terms.get(key, 0) + c
                self._spread = max(self._spread, spread)
        self._terms = {k: c for k, c in self._terms.items() if c}

    @classmethod
    def _raw(cls, rank: int, terms: dict[int, Coefficient], spread: int) -> LaurentPolynomial:
        poly = cls.__new__(cls)
        poly.rank, poly._terms, poly._spread = rank, terms, spread
        return poly

    @classmethod
    def constant(cls, rank: int, c: Coefficient) -> LaurentPolynomial:
        """The constant c."""
        return cls._raw(rank, {0: c} if c else {}, 0)

    def terms(self) -> dict[tuple[int, ...], Coefficient]:
        """``{exponent tuple: coefficient}``, zero coefficients left out."""
        return {_decode(k, self.rank): c for k, c in self._terms.items()}

    def coefficient(self, exponent: tuple[int, ...]) -> Coefficient:
        """The coefficient of z^exponent (0 where there is none)."""
        if max((abs(e) for e in exponent), default=0) >= _HALF:
            return 0
        return self._terms.get(_encode(exponent), 0)

    def __len__(self) -> int:
        return len(self._terms)

    def _coerce(self, other: object) -> LaurentPolynomial:
        if isinstance(other, LaurentPolynomial):
            if other.rank != self.rank:
                raise ValueError(f"Laurent polynomials in {self.rank} and {other.rank} variables")
            return other
        if isinstance(other, int | Fraction):
            return LaurentPolynomial.constant(self.rank, other)
        return NotImplemented

    def __add__(self, other: object) -> LaurentPolynomial:
        q = self._coerce(other)
        if q is NotImplemented:
            return NotImplemented
        out = dict(self._terms)
        for k, c in q._terms.items():
            s = out.get(k, 0) + c
            if s:
                out[k] = s
            else:
                del out[k]
        return LaurentPolynomial._raw(self.rank, out, max(self._spread, q._spread))

    __radd__ = __add__

    def __neg__(self) -> LaurentPolynomial:
        return LaurentPolynomial._raw(self.rank, {k: -c for k, c in self._terms.items()}, self._spread)

    def __sub__(self, other: object) -> LaurentPolynomial:
        q = self._coerce(other)
        return NotImplemented if q is NotImplemented else self + (-q)

    def __rsub__(self, other: object) -> LaurentPolynomial:
        q = self._coerce(other)
        return NotImplemented if q is NotImplemented else q + (-self)

    def __mul__(self, other: object) -> LaurentPolynomial:
        q = self._coerce(other)
        if q is NotImplemented:
            return NotImplemented
        a, b = (self, q) if len(self) >= len(q) else (q, self)
        pairs = len(a) * len(b)
        if pairs > MAX_PRODUCT_PAIRS:
            raise InvariantError(f"the character is too large for the Weyl proof: a product of {len(a)} × {len(b)} "
                                 f"torus monomials exceeds {MAX_PRODUCT_PAIRS} coefficient products")
        spread = self._spread + q._spread
        _check_spread(spread)
        out: dict[int, Coefficient] = {}
        get = out.get
        for kb, cb in b._terms.items():
            for ka, ca in a._terms.items():
                k = ka + kb
                out[k] = get(k, 0) + ca * cb
        return LaurentPolynomial._raw(self.rank, {k: c for k, c in out.items() if c}, spread)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> LaurentPolynomial:
        if not isinstance(other, int | Fraction) or not other:
            return NotImplemented
        d = Fraction(other)
        return LaurentPolynomial._raw(self.rank, {k: c / d for k, c in self._terms.items()}, self._spread)

    def __pow__(self, k: int) -> LaurentPolynomial:
        if k < 0:
            if len(self) != 1:
                raise InvariantError("only a monomial (such as det) has negative powers on the torus")
            ((key, c),) = self._terms.items()
            _check_spread(self._spread * -k)
            return LaurentPolynomial._raw(self.rank, {key * k: Fraction(c) ** k}, self._spread * -k)
        result, base = LaurentPolynomial.constant(self.rank, 1), self
        while k:
            if k & 1:
                result = result * base
            k >>= 1
            if k:
                base = base * base
        return result

    def __eq__(self, other: object) -> bool:
        q = self._coerce(other)
        return q is not NotImplemented and self._terms == q._terms

    __hash__ = None  # type: ignore[assignment]  # equal to numbers (z⁰ == 1), so not hashable

    def __repr__(self) -> str:
        return f"LaurentPolynomial({self.rank}, {dict(sorted(self.terms().items()))})"


#: A character: (power sums r -> tr(g^r), det g) -> χ_R on the torus.
Character = Callable[[Callable[[int], LaurentPolynomial], LaurentPolynomial], "LaurentPolynomial | Coefficient"]


def invariant_dimension(group: LieGroup, character: Character) -> int:
    """dim Hom_G(1, R) for the representation R whose character ``character(p, det)`` gives, exactly.

    The average over the compact form's components (each by its Haar mass) of CT[χ_R · Π_{α>0}(1 − z^α)]
    on the component's (twisted) torus; see the module docstring for the math and
    :meth:`~invariant.groups.lie_groups.LieGroup.components` for the tori. Refused with a one-line
    :class:`~invariant.errors.InvariantError` before any work when a component's Weyl group is larger
    than :data:`MAX_WEYL_ORDER`, and before any product larger than :data:`MAX_PRODUCT_PAIRS`.

    >>> from invariant.groups.lie_groups import parse_lie_group
    >>> invariant_dimension(parse_lie_group("SO(8)"), lambda p, d: p(1) ** 8)
    106
    >>> invariant_dimension(parse_lie_group("O(3)"), lambda p, d: d * p(1) ** 3)
    1
    >>> invariant_dimension(parse_lie_group("SO(14)"), lambda p, d: p(1) ** 2)
    Traceback (most recent call last):
    ...
    invariant.errors.InvariantError: the Weyl proof for SO(14) sums over a Weyl group of order 322560; at most 50000
    """
    components = group.components()
    for component in components:
        if component.weyl_order > MAX_WEYL_ORDER:
            raise InvariantError(f"the Weyl proof for {group} sums over a Weyl group of order {component.weyl_order}; "
                                 f"at most {MAX_WEYL_ORDER}")
    total = Fraction(0)
    for component in components:
        total += component.measure * _component_integral(component, character)
    if total.denominator != 1 or total < 0:
        raise InvariantError(f"the function is not the character of a representation of {group}: "
                             f"its invariants would have dimension {total}")
    return int(total)


def _component_integral(component: Component, character: Character) -> Fraction:
    """∫ χ_R over one component (Haar mass 1): CT[χ_R · Π_{α>0}(1 − z^α)] on its torus."""
    rank = component.rank
    cache: dict[int, LaurentPolynomial] = {}

    def power_sum(r: int) -> LaurentPolynomial:
        if not isinstance(r, int) or r == 0:
            raise InvariantError(f"power sums tr(g^r) are for nonzero integers r, got {r!r}")
        if r not in cache:
            cache[r] = LaurentPolynomial(rank, _power_terms(component, r))
        return cache[r]

    sign, exponent = component.det
    det = LaurentPolynomial(rank, {exponent: sign})
    chi = character(power_sum, det)
    if not isinstance(chi, LaurentPolynomial):
        chi = LaurentPolynomial.constant(rank, chi)
    return Fraction(sum(c * chi.coefficient(tuple(-e for e in mu))
                        for mu, c in _weyl_denominator(rank, component.positive_roots).items()))


def _power_terms(component: Component, r: int) -> dict[tuple[int, ...], Coefficient]:
    """tr(g^r) = Σ_eigenvalues (sign · z^e)^r as ``{exponent: coefficient}``."""
    terms: dict[tuple[int, ...], Coefficient] = {}
    for sign, exponent in component.eigenvalues:
        key = tuple(r * e for e in exponent)
        terms[key] = terms.get(key, 0) + sign ** (r % 2)
    return terms


@lru_cache(maxsize=64)
def _weyl_denominator(rank: int, positive_roots: tuple[tuple[int, ...], ...]) -> dict[tuple[int, ...], Coefficient]:
    """Π_{α>0} (1 − z^α), expanded: Σ_w sgn(w) z^{ρ − wρ}, |W| terms."""
    product = LaurentPolynomial.constant(rank, 1)
    for root in positive_roots:
        product = product * (1 - LaurentPolynomial(rank, {root: 1}))
    return product.terms()


def _encode(exponent: tuple[int, ...]) -> int:
    key = 0
    for e in reversed(exponent):
        key = key * _BASE + e
    return key


def _decode(key: int, rank: int) -> tuple[int, ...]:
    digits = []
    for _ in range(rank):
        d = key % _BASE
        if d >= _HALF:
            d -= _BASE
        digits.append(d)
        key = (key - d) // _BASE
    return tuple(digits)


def _check_spread(spread: int) -> None:
    if spread > MAX_EXPONENT:
        raise InvariantError(f"the character is too large for the Weyl proof: torus exponents up to {spread} "
                             f"exceed {MAX_EXPONENT}")
