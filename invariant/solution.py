"""The derived answer: a :class:`Solution`, the interface to reports, codegen and the notes.

The solution is expressed in free parameters θ (one per free class): weight w equals
sign_w · θ_c for a free class c, sign_w · Σ a_f θ_f for a dependent class, and 0 if forced
to zero. :meth:`Solution.expansion` gives that map as exact sparse triples and
:meth:`Solution.basis` as a dense float64 matrix B with W = B θ. ``function_dim`` is the
dimension of the one-channel maps; with channels the emitted module's parameters and the
dimension of Sym^d(V ⊗ R^C) → U ⊗ R^D are :func:`invariant.channels.channel_count`'s.

>>> from invariant import LayerSpec, derive
>>> sol = derive(LayerSpec(layer="linear", n=3))
>>> sol.basis().tolist()
[[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from .errors import InvariantError
from .problem import Problem
from .proofs.dimension import DimensionCheck
from .proofs.representation import ActionCheck
from .solvers.tying import Combination, Tying

#: Dense bases and explicit expansions are built up to this many weights.
MAX_EXPANDED_WEIGHTS = 4_000_000


@dataclass(frozen=True)
class Solution:
    """Everything ``derive`` proves about one problem.

    Weights are referred to by index in the layout's canonical order; classes by index
    (ordered by their smallest member). ``equalities`` are the signed equality edges the
    symbolic path matched (its provenance, for graph reports; empty for other paths).
    """

    problem: Problem
    method: str
    tying: Tying
    num_constraints: int | None
    equalities: tuple[tuple[int, int, int], ...]
    function_dim: int
    gauge: tuple[tuple[tuple[int, Fraction], ...], ...]
    action: ActionCheck
    dimension: DimensionCheck

    @property
    def spec(self):
        return self.problem.spec

    @property
    def layout(self):
        return self.problem.layout

    @property
    def num_weights(self) -> int:
        return self.layout.num_weights

    @property
    def num_classes(self) -> int:
        return self.tying.num_classes

    @property
    def num_free(self) -> int:
        return len(self.tying.free)

    @property
    def group_order(self) -> int:
        return self.problem.group.order

    def weight_name(self, w: int) -> str:
        """The name of weight w (``W[k,i,j]``, ...)."""
        return self.layout.name(w)

    @property
    def weights(self) -> tuple[str, ...]:
        """Every weight's name in canonical order (refused above the listing limit)."""
        self._require_small("list every weight name")
        return tuple(self.layout.key_name(k) for k in self.layout.keys())  # noqa: SIM118 (a layout, not a dict)

    def class_size(self, c: int) -> int:
        return self.tying.class_size(c)

    def members(self, c: int, limit: int | None = None) -> list[tuple[int, int]]:
        """(weight, sign) of class c's first ``limit`` members."""
        return self.tying.members(c, limit)

    def representative(self, c: int) -> int:
        return self.tying.representative(c)

    def family_of(self, c: int) -> int:
        """The family index (0 main term, then linear term, then bias) of class c."""
        return self.layout.key(self.representative(c))[0]

    @property
    def patterns(self):
        """The class patterns (pattern path only; None otherwise)."""
        from .solvers.patterns import PatternTying

        return self.tying.patterns if isinstance(self.tying, PatternTying) else None

    @cached_property
    def free_index(self) -> dict[int, int]:
        """Class id of each free class -> position of its parameter in θ."""
        return {c: i for i, c in enumerate(self.tying.free)}

    def combinations(self) -> dict[int, Combination]:
        """Class id -> its value as Σ coefficient · θ_p (parameter positions)."""
        combos: dict[int, Combination] = {c: ((i, Fraction(1)),) for i, c in enumerate(self.tying.free)}
        for c, combo in self.tying.dependent:
            combos[c] = tuple((self.free_index[f], a) for f, a in combo)
        return combos

    def expansion(self) -> list[tuple[int, int, Fraction]]:
        """Sparse triples (weight index, parameter index, coefficient): W = E θ."""
        self._require_small("expand every weight")
        combos = self.combinations()
        triples = []
        for c in range(self.num_classes):
            for w, s in self.tying.members(c):
                triples += [(w, p, s * a) for p, a in combos[c]]
        return sorted(triples)

    def basis(self):
        """The dense float64 matrix B (num_weights × num_free) with W = B θ."""
        import numpy as np

        out = np.zeros((self.num_weights, self.num_free))
        for w, p, a in self.expansion():
            out[w, p] += float(a)
        return out

    def _require_small(self, what: str) -> None:
        if self.num_weights > MAX_EXPANDED_WEIGHTS:
            raise InvariantError(
                f"cannot {what}: {self.num_weights} weights exceed the limit of {MAX_EXPANDED_WEIGHTS}; "
                "classes are described by their patterns and sizes instead"
            )


def function_dimension(problem, tying: Tying) -> tuple[int, tuple[tuple[tuple[int, Fraction], ...], ...]]:
    """Dimension of the functions the solution space reaches, and a basis of its gauge.

    The map θ ↦ (polynomial coefficients) is injective when each monomial has one weight;
    with the full parametrization the coefficient of x_i x_j is W_ij + W_ji and the kernel
    (the antisymmetric part, invisible to the function) is returned as sparse vectors in θ,
    each a tuple of (parameter index, coefficient).
    """
    num_free = len(tying.free)
    layout = problem.layout
    if not any(f.ordered for f in layout.families) or num_free == 0:
        return num_free, ()
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    position = {c: i for i, c in enumerate(tying.free)}
    combos = {c: [(position[c], Fraction(1))] for c in tying.free}
    for c, combo in tying.dependent:
        combos[c] = [(position[f], a) for f, a in combo]
    row_of: dict[tuple, int] = {}
    entries: dict[int, dict[int, object]] = {}
    for w, key in enumerate(layout.keys()):
        found = tying.label(w)
        if found is None:
            continue
        c, s = found
        f, o, idx = key
        r = row_of.setdefault((f, o, tuple(sorted(idx))), len(row_of))
        line = entries.setdefault(r, {})
        for p, a in combos[c]:
            line[p] = line.get(p, QQ.zero) + QQ(s * a.numerator, a.denominator)
    entries = {r: {p: v for p, v in line.items() if v} for r, line in entries.items()}
    matrix = DomainMatrix({r: ln for r, ln in entries.items() if ln}, (max(len(row_of), 1), num_free), QQ)
    vectors: dict[int, list] = {}
    for (i, p), v in matrix.nullspace().to_sparse().rep.to_dok().items():
        vectors.setdefault(i, []).append((p, Fraction(int(v.numerator), int(v.denominator))))
    gauge = tuple(tuple(sorted(vec)) for _, vec in sorted(vectors.items()))
    return num_free - len(gauge), gauge
