"""Derive at a small n and lift: what the pattern classes of S_n determine at every n.

On the pattern path (:mod:`.patterns`) a class of an S_n layer is named by its *key*
(family, output index or None, restricted-growth string of the representative's slots).
Once n is at least the number of slots s of a weight (output index and the d input
indices: s ≤ 4 for the vector layers, cubic included), every set partition of the slots
occurs, so the key is a bijection between the classes at any two such n: a class at a
small n and the class at a large n with the same key are "the same class".

Two things a generated S_n vector module needs are determined by the classes at small n:

* **The power-sum form** of each class's orbit sum S_c = Σ_{w ∈ c, output k} x^{idx(w)}.
  It is x_k^a times a monomial symmetric function of the other points, and the expansion
  of monomial symmetric functions in power sums is an identity of the ring of symmetric
  functions: its coefficients do not depend on the number of variables. Written in x_k
  and p_r = Σ_i x_i^r (r ≤ d; the sums over i ≠ k are p_r - x_k^r), the coefficients are
  the same at every n ≥ s, so a fit at one small n (:data:`BASE_N` = 7 ≥ s) and an exact
  check at n + 1 give the formula for every n.
* **The initialization moments** of each class at one output, M_c = Σ_{w ∈ c} E[x_w²] and
  E[S_c²] for x ~ N(0, I). Both count tuples of point indices other than the output's by
  their equality pattern, so they are polynomials in n: M_c is a constant times the
  falling factorial (n - o)_b of the class's free blocks, and in E[S_c²] a pair of members
  has a nonzero Gaussian moment only if every index occurs an even number of times among
  the 2d input slots, hence with at most d free indices. A polynomial of degree at most D
  is determined by its values at D + 1 points, so values at n = 7, ..., 7 + D lift
  exactly to any n (:func:`moment_sizes`, :func:`interpolate`).

:func:`small_n` gives the classes at a small n without the proofs ``derive`` runs (the
pattern tying of the lowered problem), :func:`class_key` names a class across n.

>>> from invariant.spec import LayerSpec
>>> small = small_n(LayerSpec(layer="quadratic", n=1000), 7)
>>> small.layout.n, [class_key(p) for p in small.tying.patterns][:2]
(7, [(0, None, (0, 0, 0)), (0, None, (0, 0, 1))])
>>> interpolate([(7, 21), (8, 28), (9, 36)], 1000)   # C(n, 2) from three sizes
Fraction(499500, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..layout import WeightLayout
from ..problem import lower
from ..spec import LayerSpec
from .patterns import ClassPattern, PatternTying, pattern_tying

#: The small n the pattern classes are read at: every pattern of a vector weight's slots occurs.
BASE_N = 7


@dataclass(frozen=True)
class SmallN:
    """The layout and pattern classes of a spec's layer at a small n."""

    layout: WeightLayout
    tying: PatternTying


def class_key(pattern: ClassPattern) -> tuple[int, int | None, tuple[int, ...]]:
    """What names a pattern-path class across n: (family index, output, restricted-growth string)."""
    return pattern.family_index, pattern.output, pattern.blocks


def small_n(spec: LayerSpec, n: int) -> SmallN:
    """The pattern classes of ``spec``'s layer at ``n`` points (the pattern path must apply)."""
    problem = lower(spec.at_n(n))
    return SmallN(problem.layout, pattern_tying(problem))


def moment_sizes(degree: int) -> tuple[int, ...]:
    """The small n the moments of a degree-``degree`` layer are read at: degree + 1 of them (at least three).

    >>> moment_sizes(2), moment_sizes(3)
    ((7, 8, 9), (7, 8, 9, 10))
    """
    return tuple(range(BASE_N, BASE_N + max(degree, 2) + 1))


def interpolate(points: Sequence[tuple[int, Fraction | int]], n: int) -> Fraction:
    """The value at ``n`` of the polynomial of degree < len(points) through ``points`` (exact Lagrange)."""
    total = Fraction(0)
    for i, (xi, yi) in enumerate(points):
        term = Fraction(yi)
        for j, (xj, _) in enumerate(points):
            if j != i:
                term *= Fraction(n - xj, xi - xj)
        total += term
    return total
