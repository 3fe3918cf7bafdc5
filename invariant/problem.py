"""Lowering: a :class:`~invariant.spec.LayerSpec` request becomes typed values, once.

The :class:`Problem` holds the group, the output action and the weight layout. Every stage
(solver paths, proofs, reports, codegen) takes these values, never the spec's strings.

>>> p = lower(LayerSpec(layer="quadratic", n=4))
>>> p.group.order, p.action.kind, p.layout.num_weights
(24, 'permutation', 40)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from .groups.actions import GeneratorPair, OutputAction
from .groups.permutation_groups import Group, custom, named
from .groups.permutations import induced
from .layout import WeightLayout, layout_of
from .spec import LayerSpec


@dataclass(frozen=True)
class Problem:
    """The lowered request: group, output action and weight layout (and the spec it came from)."""

    spec: LayerSpec
    group: Group
    action: OutputAction
    layout: WeightLayout

    @cached_property
    def matching_pairs(self) -> tuple[GeneratorPair, ...]:
        """The action's generator pairs with g induced on the input points (n^k k-tuples)."""
        k = self.layout.input_order
        return tuple(GeneratorPair(induced(g, k) if k != 1 else g, pi, s) for g, pi, s in self.action.pairs)


@lru_cache(maxsize=256)
def lower(spec: LayerSpec) -> Problem:
    """Lower a spec into its group, output action and layout (cached on the canonical spec)."""
    group = custom(spec.n, spec.generators) if spec.group == "custom" else named(spec.group, spec.n)
    action = OutputAction(
        kind=spec.output, group=group, outputs=spec.outputs, order=spec.output_order,
        given=spec.output_generators, naive=spec.naive,
    )
    return Problem(spec=spec, group=group, action=action, layout=layout_of(spec))
