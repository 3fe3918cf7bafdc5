"""The weight layout: the one owner of which weights a layer has, their order, names and offsets.

A layer maps a tensor of order k on n points (N = n^k input *points*, each a k-tuple of indices
flattened row-major) to M outputs (M = n^l positions of an order-l tensor, or M invariant
outputs). Its weights come in families, each a term of the layer polynomial:

    y_o = Σ_idx W[o, idx] x_idx  +  Σ_a B[o, a] x_a  +  C[o],

``W`` of the layer's degree d (idx a d-tuple of input points; sorted, one weight per monomial,
in the triangular parametrization; all d-tuples in the full one), ``B`` the linear term of a
quadratic or cubic layer, ``C`` the bias. A weight is a key (family index, o, idx). Canonical
order: family, then o, then idx lexicographically; the position of a key is computed by a
formula (combinatorial number system), so nothing is enumerated to count or to locate.

The sizes come from the layer's input and output representations (the problem's typed
values, :mod:`invariant.groups.representations`): N and k from the input's axes, M and l
from the output's, and the channels from their multiplicities. Channels do not change the
layout: every weight becomes a block of in_channels^d × out_channels parameters (see
:attr:`WeightLayout.channel_block`).

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> lay = lower(LayerSpec(layer="quadratic", n=2)).layout
>>> [lay.name(w) for w in range(lay.num_weights)]
['W[0,0,0]', 'W[0,0,1]', 'W[0,1,1]', 'W[1,0,0]', 'W[1,0,1]', 'W[1,1,1]']
>>> lay.index(0, 1, (0, 1)), lay.key(4)
(4, (0, 1, (0, 1)))
>>> lower(LayerSpec(layer="quadratic", n=10**6)).layout.num_weights
500000500000000000
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from .groups.actions import OutputAction
from .groups.representations import Channels, TensorPower
from .spec import LayerSpec

WeightKey = tuple[int, int, tuple[int, ...]]  # (family index, output, input points)
#: The families of the flat dense form concat(W, B, C), in its order.
DENSE_FAMILIES = ("W", "B", "C")


@dataclass(frozen=True)
class Family:
    """One term of the layer polynomial: ``name`` W, B or C, ``degree`` input factors."""

    name: str
    degree: int
    ordered: bool  # all d-tuples (full parametrization) rather than sorted ones


@dataclass(frozen=True)
class WeightLayout:
    """Families, counts, offsets, keys and names of a layer's weights."""

    n: int
    input_order: int
    output_order: int
    outputs: int
    families: tuple[Family, ...]
    in_channels: int = 1
    out_channels: int = 1

    @property
    def points(self) -> int:
        """N = n^k, the number of input entries (points) per channel."""
        return self.n**self.input_order

    def per_output(self, f: int) -> int:
        """How many weights family f has for one output."""
        fam = self.families[f]
        if fam.ordered:
            return self.points**fam.degree
        return math.comb(self.points + fam.degree - 1, fam.degree)

    def count(self, f: int) -> int:
        """How many weights family f has."""
        return self.outputs * self.per_output(f)

    @property
    def offsets(self) -> tuple[int, ...]:
        """Start of each family in the canonical order, then the total."""
        out = [0]
        for f in range(len(self.families)):
            out.append(out[-1] + self.count(f))
        return tuple(out)

    @property
    def num_weights(self) -> int:
        """The number of weights (of one channel block)."""
        return self.offsets[-1]

    def channel_block(self, f: int) -> int:
        """Parameters per weight of family f: in_channels^degree · out_channels."""
        return self.in_channels ** self.families[f].degree * self.out_channels

    @property
    def degrees(self) -> tuple[int, ...]:
        """The degree of each family (main term, then linear term, then bias)."""
        return tuple(f.degree for f in self.families)

    @property
    def slots(self) -> int:
        """Index slots of the main family's weights: output order + degree × input order."""
        return self.output_order + self.families[0].degree * self.input_order

    # -- ranking ----------------------------------------------------------------------------

    def index(self, f: int, o: int, idx: tuple[int, ...]) -> int:
        """The position of key (f, o, idx) in the canonical order (idx sorted unless ordered)."""
        fam = self.families[f]
        return self.offsets[f] + o * self.per_output(f) + _rank(idx, self.points, fam.ordered)

    def key(self, w: int) -> WeightKey:
        """The key at position w (inverse of :meth:`index`)."""
        offsets = self.offsets
        if not 0 <= w < offsets[-1]:
            raise IndexError(f"weight {w} out of range 0..{offsets[-1] - 1}")
        f = max(i for i in range(len(self.families)) if offsets[i] <= w)
        o, r = divmod(w - offsets[f], self.per_output(f))
        fam = self.families[f]
        return f, o, _unrank(r, self.points, fam.degree, fam.ordered)

    def keys(self) -> Iterator[WeightKey]:
        """Every key in canonical order (use only where the count is small)."""
        for f, fam in enumerate(self.families):
            if fam.ordered:
                tuples = list(itertools.product(range(self.points), repeat=fam.degree))
            else:
                tuples = list(itertools.combinations_with_replacement(range(self.points), fam.degree))
            for o in range(self.outputs):
                for idx in tuples:
                    yield f, o, idx

    # -- names ------------------------------------------------------------------------------

    @property
    def tensor_names(self) -> bool:
        """Whether names show index tuples (orders other than vector → vector/invariant)."""
        return self.input_order != 1 or self.output_order > 1

    def name(self, w: int) -> str:
        """``W[k,i,j]``, ``B[k,i]``, ``C[k]``; with tensor orders ``W[o1,o2;i1,i2;j1,j2]``."""
        return self.key_name(self.key(w))

    def key_name(self, key: WeightKey) -> str:
        """The name of a key (see :meth:`name`)."""
        f, o, idx = key
        family = self.families[f].name
        if not self.tensor_names:
            return f"{family}[{','.join(map(str, (o, *idx)))}]"
        out = self.unflatten(o, self.output_order) if self.output_order else (o,)
        slots = [out] + [self.unflatten(a, self.input_order) for a in idx]
        return f"{family}[{';'.join(','.join(map(str, s)) for s in slots)}]"

    def unflatten(self, a: int, order: int) -> tuple[int, ...]:
        """The index tuple of a flattened position (row-major, base n)."""
        digits = []
        for _ in range(order):
            a, r = divmod(a, self.n)
            digits.append(r)
        return tuple(reversed(digits))

    def slot_values(self, key: WeightKey) -> tuple[int, ...]:
        """The point indices of a key's slots: output slots (if any), then each factor's."""
        _, o, idx = key
        out = self.unflatten(o, self.output_order) if self.output_order else ()
        return out + tuple(i for a in idx for i in self.unflatten(a, self.input_order))

    # -- the dense form and the tensor path's reading --------------------------------------

    @property
    def degree(self) -> int:
        """The degree d of the main term W (the layer's degree)."""
        return self.families[0].degree

    @property
    def invariant_outputs(self) -> int:
        """The outputs a tensor module keeps apart: M invariant outputs when y has no point
        axes (output order 0), else 1 (one class per pattern serves every output position).

        >>> from invariant.problem import lower
        >>> from invariant.spec import LayerSpec
        >>> lower(LayerSpec(layer="linear", n=4, output="trivial", outputs=3)).layout.invariant_outputs
        3
        >>> lower(LayerSpec(layer="linear", n=4, output_order=2)).layout.invariant_outputs
        1
        """
        return 1 if self.output_order else self.outputs

    def dense_shape(self, name: str) -> tuple[int, ...]:
        """The shape of family ``name``'s dense tensor: (M, N, ..., N), one N = n^k per factor,
        and (0,) when the layer has no such family (the dense form's placeholder).

        >>> from invariant.problem import lower
        >>> from invariant.spec import LayerSpec
        >>> lay = lower(LayerSpec(layer="quadratic", n=3, with_linear=True)).layout
        >>> lay.dense_shape("W"), lay.dense_shape("B"), lay.dense_shape("C")
        ((3, 3, 3), (3, 3), (0,))
        """
        fam = next((f for f in self.families if f.name == name), None)
        return (0,) if fam is None else (self.outputs,) + (self.points,) * fam.degree

    @property
    def dense_offsets(self) -> tuple[int, int, int, int]:
        """Starts of W, B and C in the flat dense form concat(W, B, C) (row-major), then its
        size: 0, M N^d, M N^d + M N [linear term], + M [bias].

        >>> from invariant.problem import lower
        >>> from invariant.spec import LayerSpec
        >>> lower(LayerSpec(layer="quadratic", n=3, with_linear=True, with_bias=True)).layout.dense_offsets
        (0, 27, 36, 39)
        """
        sizes = [0 if shape == (0,) else math.prod(shape) for shape in map(self.dense_shape, DENSE_FAMILIES)]
        return 0, sizes[0], sizes[0] + sizes[1], sum(sizes)

    def dense_row(self, key: WeightKey) -> int:
        """The position of a key in its family's dense tensor: o N^d + Σ_t idx_t N^(d-1-t)
        (row-major; a sorted idx lands in the upper triangle).

        >>> from invariant.problem import lower
        >>> from invariant.spec import LayerSpec
        >>> lower(LayerSpec(layer="quadratic", n=3)).layout.dense_row((0, 1, (0, 2)))
        11
        """
        _, o, idx = key
        row = o
        for i in idx:
            row = row * self.points + i
        return row

    def dense_position(self, key: WeightKey) -> int:
        """The flat position of a key in concat(W, B, C): its family's offset
        (:attr:`dense_offsets`) plus :meth:`dense_row`.

        >>> from invariant.problem import lower
        >>> from invariant.spec import LayerSpec
        >>> lay = lower(LayerSpec(layer="quadratic", n=3, with_linear=True, with_bias=True)).layout
        >>> lay.dense_position((1, 2, (1,))), lay.dense_position((2, 1, ()))
        (34, 37)
        """
        name = self.families[key[0]].name
        return self.dense_offsets[DENSE_FAMILIES.index(name)] + self.dense_row(key)


def layout_for(spec: LayerSpec, source: Channels[TensorPower], target: Channels[OutputAction]) -> WeightLayout:
    """The layout of the spec's layer terms between two representations (counts are formulas).

    ``spec`` gives the terms (degree, parametrization, linear term, bias); ``source`` and
    ``target`` every size: n and k from the input's axes, M and l from the output's, the
    channels from their multiplicities.
    """
    ordered = spec.param == "full"
    families = [Family("W", spec.degree, ordered)]
    if spec.with_linear:
        families.append(Family("B", 1, False))
    if spec.with_bias:
        families.append(Family("C", 0, False))
    return WeightLayout(
        n=source.group.n, input_order=source.order, output_order=target.order, outputs=target.base.dimension,
        families=tuple(families), in_channels=source.copies, out_channels=target.copies,
    )


def _multisets(values: int, size: int) -> int:
    """Multisets of ``size`` elements from ``values`` values."""
    return math.comb(values + size - 1, size) if size >= 0 and values >= 0 else 0


def _rank(idx: tuple[int, ...], points: int, ordered: bool) -> int:
    """Lexicographic rank of idx among all d-tuples (ordered) or sorted d-tuples.

    For sorted tuples, the tuples below idx that first differ at position t have a value
    v in [idx[t-1], idx[t]) there, followed by any multiset of size d-t-1 from v..N-1:
    Σ_v C(N - v + r - 1, r) = C(N - a + r, r + 1) - C(N - b + r, r + 1) (hockey stick).
    """
    d = len(idx)
    if ordered:
        rank = 0
        for i in idx:
            rank = rank * points + i
        return rank
    rank, low = 0, 0
    for t, i in enumerate(idx):
        r = d - t - 1
        rank += _multisets(points - low, r + 1) - _multisets(points - i, r + 1)
        low = i
    return rank


def _unrank(rank: int, points: int, degree: int, ordered: bool) -> tuple[int, ...]:
    """The d-tuple of a given rank (inverse of :func:`_rank`), by bisection on each entry."""
    out: list[int] = []
    if ordered:
        for _ in range(degree):
            rank, r = divmod(rank, points)
            out.append(r)
        return tuple(reversed(out))
    low = 0
    for t in range(degree):
        r = degree - t - 1
        # the largest v >= low with (tuples below v at this position) <= rank
        lo, hi = low, points - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            below = _multisets(points - low, r + 1) - _multisets(points - mid, r + 1)
            if below <= rank:
                lo = mid
            else:
                hi = mid - 1
        rank -= _multisets(points - low, r + 1) - _multisets(points - lo, r + 1)
        out.append(lo)
        low = lo
    return tuple(out)
