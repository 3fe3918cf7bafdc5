"""The group and the output action of a network, taken from the compiler's lowering.

The input group acts on the n inputs and the output action on the last layer's units exactly
as for a one-layer ``derive`` spec with the same options, so this module asks the compiler
for them (``invariant.problem.lower`` of the one-layer spec) instead of re-deriving them:
the generator pairs (g, π, s), the proof that g ↦ (π, s) is a homomorphism (matching only
the generators is valid only then), the order and the class representatives of G.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import InvariantError
from ..perms import Perm, fixed_points
from ..problem import lower
from .spec import VarietySpec


@dataclass(frozen=True)
class NetworkAction:
    """(g, π, s) for each input generator, the action proof, and the group's classes."""

    pairs: tuple[tuple[Perm, Perm, int], ...]
    is_representation: bool
    witness: str | None
    proof: str
    order: int
    classes: tuple[tuple[Perm, int], ...]  # (representative, multiplicity), multiplicities sum to |G|
    family: str  # "symmetric" when G is S_n (irreducible decomposition available), else the group name

    def output_character(self, g: Perm, spec: VarietySpec) -> int:
        """χ_out(g) for the standard actions: fix(g), out, or out·sgn(g)."""
        from ..perms import sign

        if spec.output == "permutation":
            return fixed_points(g)
        if spec.output == "trivial":
            return spec.outputs
        if spec.output == "sign":
            return spec.outputs * sign(g)
        raise InvariantError("χ_out of a hand-given output action needs the lowered action's character")


@lru_cache(maxsize=64)
def network_action(spec: VarietySpec) -> NetworkAction:
    """Lower the network's one-layer spec and keep what the variety needs."""
    base = spec.layer_spec
    problem = lower(base)  # the compiler's lowering: the one place that builds the group and the action
    pairs = tuple((tuple(g), tuple(pi), int(s)) for g, pi, s in problem.action.pairs)
    check = problem.action.check()
    group = problem.group
    classes = tuple((tuple(rep), int(mult)) for rep, mult in group.class_weights())
    order = int(group.order)
    if sum(m for _, m in classes) != order:
        raise AssertionError("class multiplicities must add up to |G|")
    family = "symmetric" if order == _factorial(spec.n) else base.group
    return NetworkAction(
        pairs=pairs, is_representation=bool(check.is_representation), witness=check.witness,
        proof=check.proof, order=order, classes=classes, family=family,
    )


def _factorial(n: int) -> int:
    out = 1
    for i in range(2, n + 1):
        out *= i
    return out
