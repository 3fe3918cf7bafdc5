"""Dense layers with tensor orders and channels, for any group: the fixed-n form.

The S_n and A_n tensor layers (:mod:`codegen.tensor`) take any n; every other group (and
sign, folded or hand-given output actions, and the full parametrization) gets this dense
module, built for the spec's n. It maps x of shape (..., n^k, C) (k point axes, channels
last) to

* y of shape (..., n^l, D) for the permutation output action of order l;
* y of shape (..., M·D) when the group does not move the M outputs (trivial and sign
  outputs: the outputs are channel groups, output m's channels at m·D .. m·D + D - 1);
* y of shape (..., M, D) when it permutes them by a given rule (folded, custom outputs).

**Channels.** The group moves points, never channels, so a weight class of the scalar
layer becomes a block of parameters: y_{m,e} = Σ_p Σ_idx E[(m, idx), p] Σ_c θ_p[c_1..c_d, e]
x_{idx_1,c_1} ... x_{idx_d,c_d}, with E the solution's exact expansion W = E θ. For degree 1
(and for C = 1) this is complete: Hom_G(V ⊗ R^C, U ⊗ R^D) = Hom_G(V, U) ⊗ Hom(R^C, R^D).

**Quadratic and cubic layers** put their blocks on *ordered* index tuples. A triangular
weight W[m, i, j] (i ≤ j) multiplies x_i x_j, but with channels the monomials x_{i,c}
x_{j,c'} and x_{j,c} x_{i,c'} differ, and an element g with g(i) > g(j) maps the block at
(i, j) to the *transposed* block at (g(j), g(i)). (Nor does the full parametrization serve:
it constrains only W_ij + W_ji, the coefficient of a scalar monomial.) The G-invariant
ordered tensors T[m, a_1, ..., a_d] are exactly the equivariant *linear* maps from order
k·d tensors, so the main term is read from the derivation of that linear layer (one class
per orbit of ordered tuples, signs included), the linear term and the bias from the linear
layer of order k. Two classes that a permutation τ of the d factors maps onto each other
(up to sign) give the same functions (θ ↦ θ with its channel axes permuted by τ), so the
triangular parametrization keeps only the first (one block per unordered class, as
``derive`` counts them); the full one keeps all. A class that τ maps to itself sees only
the τ-symmetric part of its block (d = 2: the symmetric part when τ keeps the sign, the
antisymmetric part when it flips it: that class is zero for C = 1); the rest is gauge.
Completeness (the module reaches every equivariant polynomial map, of dimension
dim Hom_G(Sym^d(V ⊗ R^C), U ⊗ R^D) for the main term) is tested against the character
formula on small groups.

>>> from invariant import LayerSpec
>>> rec = channel_record(LayerSpec(layer="linear", n=4, group="cyclic", in_channels=2, out_channels=3))
>>> [(f.name, f.shape) for f in rec.families], rec.out_tail
([('W', (4, 2, 3))], (4, 3))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from invariant.api import derive
from invariant.channels import (
    ChannelCount,
    module_parameters,
    parts,
    refuse_dense_size,
    spec_channel_count,
)
from invariant.equivariance import TensorAction
from invariant.errors import InvariantError
from invariant.groups.permutation_groups import describe_order
from invariant.spec import LayerSpec

from .identity import Identity, class_name, identity
from .record import require_representation
from .tensor import PARAMS, channel_doc

POINT_LETTERS, CHANNEL_LETTERS = "ijk", "cfh"


def output_tail(spec: LayerSpec) -> tuple[int, ...]:
    """The trailing shape of y for a layer with tensor orders or channels (every template).

    >>> output_tail(LayerSpec(layer="linear", n=5, input_order=2, output_order=2, out_channels=3))
    (5, 5, 3)
    >>> output_tail(LayerSpec(layer="linear", n=5, output="sign", outputs=2, out_channels=3))
    (6,)
    """
    d = spec.out_channels
    if spec.output == "permutation":
        return (spec.n,) * spec.output_order + (d,)
    if spec.output in ("trivial", "sign"):
        return (spec.outputs * d,)
    return (spec.outputs, d)


def actions(spec: LayerSpec) -> tuple[TensorAction, TensorAction]:
    """The input and output actions on x and y as laid out above (for the one checker)."""
    tail = output_tail(spec)
    out = TensorAction(len(tail) - 1, tail[-1:])
    return TensorAction(spec.input_order, (spec.in_channels,)), out


@dataclass(frozen=True)
class ChannelFamily:
    """One weight family as dense rows (output, input points) times a channel block."""

    name: str
    param: str
    degree: int
    shape: tuple[int, ...]  # parameter: (P, C, ..., C, D)
    rows: int  # M · N^degree
    dense_shape: tuple[int, ...]  # (M, N, ..., N, C, ..., C, D)
    pos: tuple[int, ...]  # row of each triple
    index: tuple[int, ...]  # parameter of each triple (within the family)
    coeff: tuple[float, ...]
    init_std: tuple[float, ...]
    subscripts: str  # einsum of the dense weight with the input factors


@dataclass(frozen=True)
class ChannelRecord:
    """Everything the channel template places."""

    identity: Identity
    n: int
    input_order: int
    in_channels: int
    out_channels: int
    points: int
    outputs: int
    in_tail: tuple[int, ...]
    out_tail: tuple[int, ...]
    num_free: int
    families: tuple[ChannelFamily, ...]


def channel_record(spec: LayerSpec, method: str = "auto") -> ChannelRecord:
    """Derive, prove and lay out a dense layer with tensor orders or channels (any group).

    Init: every dense weight entry has variance σ² = init_gain / Σ_f N^{d_f} C^{d_f} (the
    He variance of an unconstrained layer; the bias starts at zero); a kept class standing
    for r classes that a factor permutation maps onto it has r times that.
    """
    pieces = parts(spec)
    c_in, c_out = spec.in_channels, spec.out_channels
    points = spec.n**spec.input_order
    refuse_dense_size(spec, pieces)  # before any derivation
    solutions = {}
    for p in pieces:
        if p.spec not in solutions:
            solutions[p.spec] = require_representation(derive(p.spec, method=method))
    energy = sum(points**p.degree * c_in**p.degree for p in pieces if p.degree)
    families = []
    for p in pieces:
        sol = solutions[p.spec]
        kept = module_parameters(sol, p, spec.param)
        if not kept:
            continue
        local = {q: i for i, q in enumerate(kept)}
        rows = [(o * points**p.degree + (idx[0] if idx else 0), local[q], float(a))
                for w, q, a in sol.expansion() if q in local for _, o, idx in [sol.layout.key(w)]]
        d = p.degree
        point, chan = POINT_LETTERS[:d], CHANNEL_LETTERS[:d]
        factors = "".join(f",z{i}{c}" for i, c in zip(point, chan))
        families.append(ChannelFamily(
            name=p.name, param=PARAMS[p.name], degree=d,
            shape=(len(kept),) + (c_in,) * d + (c_out,), rows=spec.outputs * points**d,
            dense_shape=(spec.outputs,) + (points,) * d + (c_in,) * d + (c_out,),
            pos=tuple(r for r, _, _ in rows), index=tuple(i for _, i, _ in rows), coeff=tuple(a for _, _, a in rows),
            init_std=tuple(0.0 if d == 0 else math.sqrt(2.0 * kept[q] / energy) for q in kept),
            subscripts=f"m{point}{chan}e{factors}->zme",
        ))
    if not families:
        raise InvariantError("every weight class is forced to zero: the only equivariant map of this kind is 0")
    num_free = sum(math.prod(f.shape) for f in families)
    count = spec_channel_count(spec)
    if count.num_parameters != num_free:
        raise AssertionError(f"the dense module holds {num_free} parameters, "
                             f"invariant.channels counts {count.num_parameters}")
    group = solutions[pieces[0].spec].problem.group
    return ChannelRecord(
        identity=identity(str(spec), class_name(spec), _doc(spec, group, families, count)),
        n=spec.n, input_order=spec.input_order,
        in_channels=c_in, out_channels=c_out, points=points, outputs=spec.outputs,
        in_tail=(spec.n,) * spec.input_order + (c_in,), out_tail=output_tail(spec),
        num_free=num_free, families=tuple(families),
    )


def _doc(spec: LayerSpec, group, families, count: ChannelCount) -> tuple[str, ...]:
    lines = [
        f"Spec: {spec}",
        f"Group: {group} (order {describe_order(group)}); output action: {spec.output}.",
        f"Input order {spec.input_order}, output order {spec.output_order}; channels {spec.in_channels} in, "
        f"{spec.out_channels} out; dense form for n = {spec.n}.",
        f"Parameters: {count.num_parameters} ("
        + ", ".join(f"{f.name}: {f.shape[0]} classes of {math.prod(f.shape[1:])}" for f in families) + ").",
        *channel_doc(count),
    ]
    if spec.degree >= 2:
        kept = "one kept per factor permutation" if spec.param == "triangular" else "all kept (full parametrization)"
        lines.append(f"Main-term blocks sit on ordered index tuples (orbits of ordered tuples, {kept}): "
                     "see codegen.channels.")
    return tuple(lines)
