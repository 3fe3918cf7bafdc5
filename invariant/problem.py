"""Lowering: a :class:`~invariant.spec.LayerSpec` request becomes typed values, once.

The :class:`Problem` holds the group, the input and output representations and the weight
layout. Every stage (solver paths, proofs, reports, codegen) takes these values, never the
spec's strings; the layout itself is read off the two representations.

>>> p = lower(LayerSpec(layer="quadratic", n=4, in_channels=2))
>>> p.group.order, p.input.expression, p.output.expression, p.layout.num_weights
(24, '2*T(1)', 'T(1)', 40)
>>> p.action.kind
'permutation'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from .groups.actions import GeneratorPair, OutputAction
from .groups.permutation_groups import Group, custom, named
from .groups.representations import Channels, TensorPower
from .layout import WeightLayout, layout_for
from .spec import LayerSpec


@dataclass(frozen=True)
class Problem:
    """The lowered request: group, input and output representations, weight layout (and the spec).

    ``input`` is C*T(k) (C input channels of the k-th tensor power of the permutation
    representation), ``output`` D*ρ (D output channels of the output rule ρ).
    """

    spec: LayerSpec
    group: Group
    input: Channels[TensorPower]
    output: Channels[OutputAction]
    layout: WeightLayout

    @property
    def action(self) -> OutputAction:
        """The output rule ρ of one output channel (the output representation's base)."""
        return self.output.base

    @cached_property
    def matching_pairs(self) -> tuple[GeneratorPair, ...]:
        """The action's generator pairs with g acting on the input's basis (n^k k-tuples)."""
        return tuple(GeneratorPair(self.input.image(g)[0], pi, s) for g, pi, s in self.action.pairs)


@lru_cache(maxsize=256)
def lower(spec: LayerSpec) -> Problem:
    """Lower a spec into its group, representations and layout (cached on the canonical spec)."""
    group = custom(spec.n, spec.generators) if spec.group == "custom" else named(spec.group, spec.n)
    action = OutputAction(
        kind=spec.output, group=group, outputs=spec.outputs, order=spec.output_order,
        given=spec.output_generators, naive=spec.naive,
    )
    source = Channels(TensorPower(group, spec.input_order), spec.in_channels)
    target = Channels(action, spec.out_channels)
    return Problem(spec=spec, group=group, input=source, output=target, layout=layout_for(spec, source, target))
