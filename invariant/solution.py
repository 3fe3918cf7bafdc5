"""The derived answer: a :class:`Solution` record, the interface to reports and codegen.

The solution is expressed in free parameters θ (one per free class): weight w equals
sign_w · θ_c for a free class c, sign_w · Σ a_f θ_f for a dependent class, and 0 if forced
to zero. :meth:`Solution.expansion` gives that map as exact sparse triples.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sympy import QQ, Rational
from sympy.polys.matrices import DomainMatrix

from .checks import ActionCheck, DimensionCheck
from .layers import monomial, weight_keys, weight_names
from .solve import Tying
from .spec import LayerSpec


@dataclass(frozen=True)
class Solution:
    """Everything ``derive`` proves about one spec.

    Weights are referred to by index into :attr:`weights`; classes by index into
    ``tying.classes``.
    """

    spec: LayerSpec
    method: str
    num_constraints: int
    tying: Tying
    function_dim: int
    gauge: tuple[tuple[tuple[int, Rational], ...], ...]
    action: ActionCheck
    dimension: DimensionCheck

    @property
    def weights(self) -> tuple[str, ...]:
        return weight_names(self.spec)

    @property
    def num_weights(self) -> int:
        return len(self.weights)

    @property
    def num_free(self) -> int:
        return len(self.tying.free)

    @property
    def group_order(self) -> int:
        return self.spec.input_group.order

    @cached_property
    def free_index(self) -> dict[int, int]:
        """Class id of each free class -> position of its parameter in θ."""
        return {c: i for i, c in enumerate(self.tying.free)}

    def expansion(self) -> list[tuple[int, int, Rational]]:
        """Sparse triples (weight index, parameter index, coefficient): W = E θ."""
        return weight_expansion(self.tying)

    def class_label(self) -> dict[int, tuple[int, int]]:
        """Weight index -> (class id, sign); weights forced to zero are absent."""
        return {
            w: (c, s)
            for c, (members, signs) in enumerate(zip(self.tying.classes, self.tying.class_signs))
            for w, s in zip(members, signs)
        }


def weight_expansion(tying: Tying) -> list[tuple[int, int, Rational]]:
    """The map from free parameters to weights as sparse triples (weight, parameter, coeff)."""
    position = {c: i for i, c in enumerate(tying.free)}
    combos = {c: [(position[c], Rational(1))] for c in tying.free}
    for c, combo in tying.dependent:
        combos[c] = [(position[f], a) for f, a in combo]
    triples = []
    for c, (members, signs) in enumerate(zip(tying.classes, tying.class_signs)):
        for w, s in zip(members, signs):
            triples += [(w, p, s * a) for p, a in combos[c]]
    return sorted(triples)


def function_dimension(spec: LayerSpec, tying: Tying) -> tuple[int, tuple[tuple[tuple[int, Rational], ...], ...]]:
    """Dimension of the functions the solution space reaches, and a basis of its gauge.

    The map θ ↦ (polynomial coefficients) is injective when each monomial has one weight;
    with ``param="full"`` the coefficient of x_i x_j is W_ij + W_ji and the kernel (the
    antisymmetric part, invisible to the function) is returned as sparse vectors in θ,
    each a tuple of (parameter index, coefficient).
    """
    num_free = len(tying.free)
    if spec.param != "full" or num_free == 0:
        return num_free, ()
    keys = weight_keys(spec)
    row_of: dict[tuple, int] = {}
    entries: dict[int, dict[int, object]] = {}
    for w, p, a in weight_expansion(tying):
        r = row_of.setdefault(monomial(keys[w]), len(row_of))
        line = entries.setdefault(r, {})
        line[p] = line.get(p, QQ.zero) + QQ.from_sympy(a)
    entries = {r: {p: v for p, v in line.items() if v} for r, line in entries.items()}
    matrix = DomainMatrix({r: l for r, l in entries.items() if l}, (max(len(row_of), 1), num_free), QQ)
    vectors: dict[int, list] = {}
    for (i, p), v in matrix.nullspace().to_sparse().rep.to_dok().items():
        vectors.setdefault(i, []).append((p, QQ.to_sympy(v)))
    gauge = tuple(tuple(sorted(vec)) for _, vec in sorted(vectors.items()))
    return num_free - len(gauge), gauge
