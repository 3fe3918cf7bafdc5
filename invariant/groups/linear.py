"""Exact matrices of linear representations: ρ(g) for a group element, dρ(A) for a Lie-algebra element.

A representation expression (:mod:`invariant.groups.expressions`) names a construction on the
defining representation V; this module builds its matrices over Q from V's matrix, by the
constructions' definitions:

* V: g, A;  V*: g^{-T}, −Aᵀ;  1: 1, 0;  det: det g, tr A;
* R ⊕ S: block diagonal; R ⊗ S: g_R ⊗ g_S and dρ_R ⊗ I + I ⊗ dρ_S (a derivation); m*R: m blocks;
* T(p,q): the tensor product of p copies of V and q of V*;
* Sym^k R and Alt^k R on the monomials e_{i1}···e_{ik} (i1 ≤ … ≤ ik) and the wedges
  e_{i1}∧…∧e_{ik} (i1 < … < ik) of R's basis: the group acts on each factor
  (e_I ↦ Π_t ρ(g) e_{i_t}), the algebra as a derivation (Σ_t … dρ(A) e_{i_t} …).

The same expansion gives the action on polynomial coefficients (:func:`monomial_matrix`), which
the nullspace solver matches for quadratic and cubic layers. Matrices are numpy arrays of
:class:`fractions.Fraction` (exact; products and Kronecker products by numpy's object loops),
and every construction is sized by formula before it is built (:data:`MAX_DIMENSION`).

>>> from fractions import Fraction
>>> from invariant.groups.expressions import parse
>>> r = exact([[0, -1], [1, 0]])          # a quarter turn
>>> group_matrix(parse("Alt(2,V)"), r).tolist()
[[Fraction(1, 1)]]
>>> algebra_matrix(parse("Sym(2,V)"), exact([[0, -1], [1, 0]])).tolist()[0]   # e0e1 -> e1e1 - e0e0
[Fraction(0, 1), Fraction(-1, 1), Fraction(0, 1)]
>>> [str(x) for x in group_matrix(parse("V* + det"), exact([[2, 0], [0, 1]])).diagonal()]
['1/2', '1', '2']
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from ..errors import InvariantError
from .expressions import Defining, Det, Expression, Multiple, Power, Product, Sum, Tensor, Trivial

#: A representation's matrices are built up to this dimension.
MAX_DIMENSION = 4_096


def exact(rows: Iterable[Iterable[int | Fraction | str]]) -> np.ndarray:
    """A square matrix of Fractions from integers, Fractions or strings like "1/2"."""
    out: np.ndarray = np.array([[Fraction(x) for x in row] for row in rows], dtype=object)
    if out.ndim != 2 or out.shape[0] != out.shape[1] or out.shape[0] == 0:
        raise InvariantError(f"a matrix must be square and non-empty, got shape {out.shape}")
    return out


def identity(d: int) -> np.ndarray:
    """The d × d identity over Q."""
    out = np.full((d, d), Fraction(0), dtype=object)
    for i in range(d):
        out[i, i] = Fraction(1)
    return out


def inverse(g: np.ndarray) -> np.ndarray:
    """g^{-1} over Q (Gauss–Jordan on Fractions); InvariantError if g is singular."""
    from sympy import Matrix, Rational

    m = Matrix(g.shape[0], g.shape[1], [Rational(x.numerator, x.denominator) for x in g.flat])
    if m.det() == 0:
        raise InvariantError("a group element's matrix must be invertible")
    inv = m.inv()
    return np.array([[Fraction(int(x.p), int(x.q)) for x in inv.row(i)] for i in range(inv.rows)], dtype=object)


def determinant(g: np.ndarray) -> Fraction:
    """det g over Q."""
    from sympy import Matrix, Rational

    d = Matrix(g.shape[0], g.shape[1], [Rational(x.numerator, x.denominator) for x in g.flat]).det()
    return Fraction(int(d.p), int(d.q))


def block_sum(blocks: list[np.ndarray]) -> np.ndarray:
    """The block-diagonal matrix of ``blocks``."""
    size = sum(b.shape[0] for b in blocks)
    out = np.full((size, size), Fraction(0), dtype=object)
    at = 0
    for b in blocks:
        d = b.shape[0]
        out[at:at + d, at:at + d] = b
        at += d
    return out


def _kron(mats: list[np.ndarray]) -> np.ndarray:
    out = np.full((1, 1), Fraction(1), dtype=object)
    for m in mats:
        out = np.kron(out, m)
    return out


def _derivation(parts: list[np.ndarray], identities: list[np.ndarray]) -> np.ndarray:
    """Σ_t I ⊗ … ⊗ parts[t] ⊗ … ⊗ I (the algebra on a tensor product)."""
    total = None
    for t in range(len(parts)):
        term = _kron(identities[:t] + [parts[t]] + identities[t + 1:])
        total = term if total is None else total + term
    return total if total is not None else np.full((1, 1), Fraction(0), dtype=object)


def power_basis(d: int, k: int, alternating: bool) -> list[tuple[int, ...]]:
    """Sorted k-tuples of 0..d-1 (with repeats for Sym, strictly increasing for Alt)."""
    if alternating:
        return list(itertools.combinations(range(d), k))
    return list(itertools.combinations_with_replacement(range(d), k))


def _power_matrix(b: np.ndarray, k: int, alternating: bool, derivation: bool) -> np.ndarray:
    """Sym^k(b) or Alt^k(b) on the sorted basis; the induced derivation when ``derivation``."""
    d = b.shape[0]
    basis = power_basis(d, k, alternating)
    index = {key: i for i, key in enumerate(basis)}
    out = np.full((len(basis), len(basis)), Fraction(0), dtype=object)
    columns = [[(j, b[j, i]) for j in range(d) if b[j, i]] for i in range(d)]
    for col, key in enumerate(basis):
        if derivation:
            terms: dict[tuple[int, ...], Fraction] = {}
            for t in range(k):
                for j, x in columns[key[t]]:
                    _add(terms, key[:t] + (j,) + key[t + 1:], x, alternating)
        else:
            terms = {(): Fraction(1)}
            for t in range(k):
                nxt: dict[tuple[int, ...], Fraction] = {}
                for partial, y in terms.items():
                    for j, x in columns[key[t]]:
                        nxt[partial + (j,)] = nxt.get(partial + (j,), Fraction(0)) + y * x
                terms = nxt
            folded: dict[tuple[int, ...], Fraction] = {}
            for seq, x in terms.items():
                _add(folded, seq, x, alternating)
            terms = folded
        for seq, x in terms.items():
            if x:
                out[index[seq], col] += x
    return out


def _add(terms: dict, seq: tuple[int, ...], x, alternating: bool) -> None:
    """Add x·e_seq in the sorted basis: sorted, with the sign of the sort (Alt) or 0 on a repeat."""
    key = tuple(sorted(seq))
    if alternating:
        if len(set(seq)) < len(seq):
            return
        inversions = sum(1 for a, b in itertools.combinations(seq, 2) if a > b)
        x = -x if inversions % 2 else x
    terms[key] = terms.get(key, Fraction(0)) + x
    if alternating and not terms[key]:
        del terms[key]


def _check_size(expression: Expression, n: int) -> None:
    dim = expression.dimension(n)
    if dim > MAX_DIMENSION:
        raise InvariantError(f"{expression} has dimension {dim} on V of dimension {n}; "
                             f"matrices are built up to dimension {MAX_DIMENSION}")
    if any(f for f in expression.factors()):
        raise InvariantError(f"{expression} names a factor (V1, V2, ...): only a product of groups has factors")


def group_matrix(expression: Expression, g: np.ndarray) -> np.ndarray:
    """ρ(g): the matrix of the representation at a group element with defining matrix g."""
    _check_size(expression, g.shape[0])
    return _group(expression, g, {})


def algebra_matrix(expression: Expression, a: np.ndarray) -> np.ndarray:
    """dρ(A): the matrix of the representation at a Lie-algebra element with defining matrix A."""
    _check_size(expression, a.shape[0])
    return _algebra(expression, a)


def _group(e: Expression, g: np.ndarray, cache: dict) -> np.ndarray:
    if isinstance(e, Defining):
        if e.dual:
            if "dual" not in cache:
                cache["dual"] = inverse(g).T.copy()
            return cache["dual"]
        return g
    if isinstance(e, Trivial):
        return identity(1)
    if isinstance(e, Det):
        return np.array([[determinant(g)]], dtype=object)
    if isinstance(e, Tensor):
        return _kron([g] * e.covariant + [_group(Defining(dual=True), g, cache)] * e.contravariant)
    if isinstance(e, Sum):
        return block_sum([_group(t, g, cache) for t in e.terms])
    if isinstance(e, Product):
        return _kron([_group(t, g, cache) for t in e.terms])
    if isinstance(e, Multiple):
        return block_sum([_group(e.base, g, cache)] * e.copies)
    assert isinstance(e, Power)  # the expression classes are closed
    return _power_matrix(_group(e.base, g, cache), e.degree, e.alternating, derivation=False)


def _algebra(e: Expression, a: np.ndarray) -> np.ndarray:
    if isinstance(e, Defining):
        return (-a.T).copy() if e.dual else a
    if isinstance(e, Trivial):
        return np.full((1, 1), Fraction(0), dtype=object)
    if isinstance(e, Det):
        return np.array([[sum(a[i, i] for i in range(a.shape[0]))]], dtype=object)
    if isinstance(e, Tensor):
        d = a.shape[0]
        parts = [a] * e.covariant + [(-a.T).copy()] * e.contravariant
        return _derivation(parts, [identity(d)] * len(parts))
    if isinstance(e, Sum):
        return block_sum([_algebra(t, a) for t in e.terms])
    if isinstance(e, Product):
        parts = [_algebra(t, a) for t in e.terms]
        return _derivation(parts, [identity(p.shape[0]) for p in parts])
    if isinstance(e, Multiple):
        return block_sum([_algebra(e.base, a)] * e.copies)
    assert isinstance(e, Power)
    return _power_matrix(_algebra(e.base, a), e.degree, e.alternating, derivation=True)


def monomial_matrix(b: np.ndarray, degree: int, derivation: bool) -> np.ndarray:
    """P with P[m', m] the coefficient of x^{m'} in (b x)^m = Π_t (b x)_{m_t} (monomials m, m' sorted).

    With ``derivation``, in Σ_t (b x)_{m_t} Π_{s≠t} x_{m_s} (the derivative along x ↦ x + ε b x).
    This is Sym^d(bᵀ) on the monomial basis: a layer y = W·(x^m)_m composed with x ↦ b x has
    coefficients W·Pᵀ, so y(ρ(g)x) = ρ_out(g) y(x) reads W·P(g)ᵀ = ρ_out(g)·W.

    >>> monomial_matrix(exact([[1, 1], [0, 1]]), 2, False).tolist()[1]      # (x0 + x1)^2, (x0 + x1) x1, x1^2
    [Fraction(2, 1), Fraction(1, 1), Fraction(0, 1)]
    """
    return _power_matrix(b.T.copy(), degree, False, derivation)
