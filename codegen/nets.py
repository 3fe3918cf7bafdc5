"""Equivariant networks from generated layers: stacking with pointwise nonlinearities and
invariant heads.

A pointwise nonlinearity commutes with any permutation of coordinates, so composing
equivariant layers whose actions match (layer t's output permutation of each generator is
layer t+1's input permutation) gives an equivariant network; sign actions need an odd
nonlinearity and are refused here.

>>> import torch, invariant
>>> lin = invariant.compile(invariant.LayerSpec.build(layer="linear", n=4))
>>> quad = invariant.compile(invariant.LayerSpec.build(layer="quadratic", n=4))
>>> net = stack(lin(), quad(), head="sum")
>>> net(torch.randn(2, 4)).shape
torch.Size([2, 1])
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from invariant.errors import InvariantError


class PoolHead(nn.Module):
    """An invariant head: sum, mean or max over the n coordinates (output size 1)."""

    def __init__(self, n: int, input_perms, kind: str = "sum"):
        super().__init__()
        if kind not in ("sum", "mean", "max"):
            raise InvariantError(f"unknown pooling {kind!r}; choose sum, mean or max")
        self.kind, self.n, self.outputs = kind, n, 1
        self.generator_pairs = tuple((tuple(g), (0,), 1) for g in input_perms)

    def forward(self, x):
        if self.kind == "max":
            return x.max(-1, keepdim=True).values
        return x.sum(-1, keepdim=True) if self.kind == "sum" else x.mean(-1, keepdim=True)


class EquivariantSequential(nn.Module):
    """layers[0], act, layers[1], act, ..., layers[-1]: equivariant when the actions chain."""

    def __init__(self, layers, activation: Callable = torch.tanh):
        super().__init__()
        for t, (a, b) in enumerate(zip(layers, layers[1:])):
            if a.outputs != b.n:
                raise InvariantError(f"layer {t} has {a.outputs} outputs but layer {t + 1} takes {b.n} inputs")
            if [p[1] for p in a.generator_pairs] != [p[0] for p in b.generator_pairs]:
                raise InvariantError(f"layer {t}'s output action is not layer {t + 1}'s input action")
            if any(p[2] != 1 for p in a.generator_pairs):
                raise InvariantError(f"layer {t} has a sign action; a pointwise nonlinearity does not commute with it")
        self.layers = nn.ModuleList(layers)
        self.activation = activation
        self.n, self.outputs = layers[0].n, layers[-1].outputs
        self.generator_pairs = tuple(
            (first[0], last[1], last[2]) for first, last in zip(layers[0].generator_pairs, layers[-1].generator_pairs)
        )

    def forward(self, x):
        for t, layer in enumerate(self.layers):
            x = layer(x)
            if t < len(self.layers) - 1:
                x = self.activation(x)
        return x


def stack(*layers, activation: Callable = torch.tanh, head: str | nn.Module | None = None) -> EquivariantSequential:
    """Stack generated layers with a pointwise ``activation``; optionally end with an invariant
    ``head``: ``"sum"``, ``"mean"``, ``"max"`` pooling or a generated invariant layer."""
    layers = list(layers)
    if isinstance(head, str):
        last = layers[-1]
        layers.append(PoolHead(last.outputs, [pi for _, pi, _ in last.generator_pairs], head))
    elif head is not None:
        layers.append(head)
    return EquivariantSequential(layers, activation)
