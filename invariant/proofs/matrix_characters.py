"""The character formula for finite matrix groups: the dimension of a layer's equivariant maps, independently.

A layer of degrees d_f from R_in to R_out is an element of ⊕_f Sym^{d_f}(R_in*) ⊗ R_out, and its
equivariant maps are the invariants there, so

    dim = (1/|G|) Σ_{g ∈ G} Σ_f χ_{Sym^{d_f} R_in}(g^{-1}) · χ_out(g),

summed over the enumerated group. The characters come from the representation expressions as
polynomials in the power sums p_r(g) = tr(g^r) and det g (:mod:`invariant.groups.expressions`;
g^{-1} is the Adams operation ψ^{-1}, p_r ↦ p_{-r}), never from the matrices the solver builds:
the two computations share only the group's elements.

>>> from invariant.groups.expressions import parse
>>> from invariant.groups.matrix_groups import matrix_group
>>> cube = matrix_group([[[0, -1, 0], [1, 0, 0], [0, 0, 1]], [[1, 0, 0], [0, 0, -1], [0, 1, 0]]])
>>> matrix_dimension(cube, parse("V"), parse("1"), (2,))      # x·x
1
>>> matrix_dimension(cube, parse("T(2)"), parse("V"), (1,))   # the cross product
1
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..groups.expressions import Expression, Power
from ..groups.linear import determinant, inverse
from ..groups.matrix_groups import MatrixGroup


class _PowerSums:
    """p_r(g) = tr(g^r) for one element, powers computed once, both directions."""

    def __init__(self, g: np.ndarray) -> None:
        self.up = [g]
        self.down = [inverse(g)]
        self.traces: dict[int, Fraction] = {}

    def __call__(self, r: int, factor: int) -> Fraction:
        if r not in self.traces:
            chain = self.up if r > 0 else self.down
            while len(chain) < abs(r):
                chain.append(chain[-1].dot(chain[0]))
            m = chain[abs(r) - 1]
            self.traces[r] = sum((m[i, i] for i in range(m.shape[0])), Fraction(0))
        return self.traces[r]


def matrix_dimension(group: MatrixGroup, source: Expression, target: Expression, degrees: tuple[int, ...]) -> int:
    """(1/|G|) Σ_g Σ_f χ_{Sym^{d_f} R_in}(g^{-1}) χ_out(g) over the enumerated group."""
    total = Fraction(0)
    for key in group.elements:
        g = group.matrix(key)
        p = _PowerSums(g)
        det = determinant(g)

        def d(factor: int, det: Fraction = det) -> Fraction:
            return det

        poly = sum((Power(k, source).character(p, d, adams=-1) for k in degrees), Fraction(0))
        total += poly * target.character(p, d)
    value = total / group.order
    if value.denominator != 1:
        raise ArithmeticError(f"the character average is {value}, not an integer")  # orthogonality forbids it
    return int(value)
