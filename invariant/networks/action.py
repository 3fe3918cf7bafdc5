"""The group and the output action of a network, taken from the compiler's lowering.

The input group acts on the n inputs and the output action on the last layer's units exactly
as for a one-layer ``derive`` spec with the same options, so this module asks the compiler
for them (``invariant.problem.lower`` of the one-layer spec) instead of re-deriving them:
the generator pairs (g, π, s), the proof that g ↦ (π, s) is a homomorphism (matching only
the generators is valid only then), the order, the class representatives of G and its
family (``Group.family``: a group given by generators is recognized as S_n or A_n).

>>> spec = VarietySpec.build(widths=(3, 1, 1), generators="(0 1); (1 2)")
>>> act = network_action(spec)
>>> act.order, act.family, act.is_representation
(6, 'symmetric', True)
>>> network_problem(spec).layout.degrees   # the end-to-end map: quartic in x
(4,)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from ..groups.permutations import Perm
from ..layout import Family
from ..problem import Problem, lower
from ..proofs.representation import check_action
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
    family: str  # the compiler's Group.family: "symmetric" when G is S_n (irreducibles by partitions)


@lru_cache(maxsize=64)
def network_action(spec: VarietySpec) -> NetworkAction:
    """Lower the network's one-layer spec and keep what the variety needs."""
    problem = lower(spec.layer_spec)  # the compiler's lowering: the one place that builds the group and the action
    pairs = tuple((tuple(g), tuple(pi), int(s)) for g, pi, s in problem.action.pairs)
    check = check_action(problem.action)
    group = problem.group
    classes = tuple((tuple(rep), int(mult)) for rep, mult in group.class_weights())
    order = int(group.order)
    if sum(m for _, m in classes) != order:
        raise AssertionError("class multiplicities must add up to |G|")
    return NetworkAction(
        pairs=pairs, is_representation=bool(check.is_representation), witness=check.witness,
        proof=check.proof, order=order, classes=classes, family=group.family,
    )


@lru_cache(maxsize=64)
def network_problem(spec: VarietySpec) -> Problem:
    """The compiler's problem of the end-to-end map x ↦ f(x): the network's group and output
    action, with the layout of a polynomial map of the network's degrees (one coefficient per
    monomial of each degree and output), so that the compiler's character formula counts the
    G-equivariant polynomial maps the network could compute."""
    base = lower(spec.layer_spec)
    families = tuple(Family("W", d, False) for d in spec.degrees)
    return replace(base, layout=replace(base.layout, families=families))
