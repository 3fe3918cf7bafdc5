"""Equivariant networks from generated layers: stacking with pointwise nonlinearities and
invariant heads; tensor-layer networks (sets, graphs) with an equivariant normalization.

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

import itertools
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
        for t, (a, b) in enumerate(itertools.pairwise(layers)):
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


class EquivariantNorm(nn.Module):
    """Per-sample, per-channel centring and scaling over the point axes of an order-k tensor:

        x[..., c] ← (x[..., c] − m_c) / √(v_c + eps),   m_c, v_c = mean and variance of
        channel c over the sample's n^k entries

    (over real points only when ``mask``, a torch.bool tensor of shape (..., n) as the tensor
    layers take, is given; padded entries stay 0; an order-0 input is normalized over its
    channels). m_c and v_c are invariant under S_n acting on the point axes, so the map is
    equivariant. It has no parameters and makes each layer's input
    centred with unit variance in every channel, the input law its init assumes; in
    particular pooled quadratic terms such as Σ_{b≠b'} x_b x_b' stay O(n), not O(n²).

    >>> norm = EquivariantNorm(order=1)
    >>> y = norm(torch.tensor([[[1.0, 5.0], [2.0, 5.0], [3.0, 8.0]]]))
    >>> [round(v, 4) for v in y[0, :, 0].tolist()], [round(v, 4) for v in y[0, :, 1].tolist()]
    ([-1.2247, 0.0, 1.2247], [-0.7071, -0.7071, 1.4142])
    """

    def __init__(self, order: int, eps: float = 1e-5):
        super().__init__()
        self.order, self.eps = order, eps

    def forward(self, x, mask=None):
        if mask is not None and (not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool):
            got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise TypeError(f"mask must be a torch.bool tensor (True for real points), got {got}")
        dims = tuple(range(x.dim() - 1 - self.order, x.dim() - 1)) if self.order else (-1,)
        if mask is None or not self.order:
            mean = x.mean(dims, keepdim=True)
            var = x.var(dims, keepdim=True, unbiased=False)
            return (x - mean) / torch.sqrt(var + self.eps)
        weight = _point_mask(mask.to(x.dtype), self.order)
        count = weight.sum(dims, keepdim=True)
        mean = (x * weight).sum(dims, keepdim=True) / count
        var = (((x - mean) * weight) ** 2).sum(dims, keepdim=True) / count
        return (x - mean) / torch.sqrt(var + self.eps) * weight


def _point_mask(mask, order: int):
    """mask (..., n) -> (..., n, ..., n, 1): the product of the mask over ``order`` point axes."""
    lead, n = mask.shape[:-1], mask.shape[-1:]
    out = mask.new_ones(lead + (1,) * (order + 1))
    for axis in range(order):
        out = out * mask.reshape(lead + (1,) * axis + n + (1,) * (order - axis))
    return out


class TensorNet(nn.Module):
    """Generated tensor layers (:mod:`codegen.tensor`) with a pointwise ``activation`` between
    them; ``norm="layer"`` puts an :class:`EquivariantNorm` before every layer but the first.

    Each layer's init gives E[y²] = init_gain for N(0, I) inputs; a quadratic layer squares
    the scale of its input, so without normalization a deviation from that input law grows
    doubly exponentially with depth (the variance-vs-depth figure of examples/sets.py:
    10^16 after 8 quadratic+linear layers with ReLU for some seeds). With ``norm="layer"``
    every layer sees a centred, unit-variance input and the output variance stays within a
    small factor of the input's at any depth (tests/codegen/test_nets_depth.py). ``mask``
    and ``n`` are passed to every layer and the norms.
    """

    def __init__(self, layers, activation: Callable = torch.relu, norm: str = "none"):
        super().__init__()
        if norm not in ("none", "layer"):
            raise InvariantError(f"unknown norm {norm!r}; choose none or layer")
        for t, (a, b) in enumerate(itertools.pairwise(layers)):
            if (a.output_order, a.width) != (b.input_order, b.in_channels):
                raise InvariantError(
                    f"layer {t} gives order {a.output_order} with {a.width} channels but layer {t + 1} takes "
                    f"order {b.input_order} with {b.in_channels}"
                )
        self.layers = nn.ModuleList(layers)
        self.norms = nn.ModuleList(
            [EquivariantNorm(layer.input_order) if norm == "layer" and t else nn.Identity()
             for t, layer in enumerate(layers)]
        )
        self.activation, self.norm = activation, norm
        self.input_order, self.output_order = layers[0].input_order, layers[-1].output_order

    def forward(self, x, mask=None, n=None):
        return self.hidden(x, mask, n)[-1]

    def hidden(self, x, mask=None, n=None) -> list:
        """The output of every layer (before the activation), first to last."""
        outs = []
        for t, (norm, layer) in enumerate(zip(self.norms, self.layers)):
            if t:
                x = self.activation(outs[-1])
                x = norm(x, mask) if self.norm == "layer" else x
            outs.append(layer(x, mask=mask, n=n))
        return outs
