"""The explicit record between the solver and the templates (as e3nn's Instructions).

:func:`build_record` turns a :class:`~invariant.solution.Solution` into a
:class:`LayerRecord` of small immutable records holding plain values: numbers, tuples and
code strings. Templates only place them; every decision and every formula is made here or in
the realization step (:mod:`codegen.realize`).

* :class:`~codegen.identity.Identity` (every template's) and :class:`Header`: the shapes.
* The weight map θ → dense tensors (W of shape (M, n, ..., n), B (M, n), C (M,)): either
  :class:`Triples` (sparse (flat position, parameter, coefficient), any group) or
  :class:`Patterns` (S_n: a table indexed by the equality pattern of a weight's indices).
* :class:`Dense`: the reference forward (always present) and the note's explicit backward.
* The structured forward, if the group has one: :class:`PowerSums` (S_n: each class's orbit
  sum in x_k and p_r = Σ x_i^r) or :class:`Cyclic` (C_n: circular correlation by FFT).

One vocabulary from record to constructor: a structured record's ``kind`` ("power_sums",
"cyclic") is the name the generated constructor's ``forward_impl`` takes, beside "dense".
"""

from __future__ import annotations

from dataclasses import dataclass

from invariant.api import derive
from invariant.channels import module_form
from invariant.errors import InvariantError
from invariant.groups.permutation_groups import describe_order
from invariant.problem import lower
from invariant.solution import Solution
from invariant.spec import LayerSpec

from .identity import Identity, class_name, identity
from .realize import PATTERN_N, Family, class_stats, init_std, interpolated_stats, pattern_families, power_sum_mix

#: Explicit triples are emitted up to this many weights.
MAX_TRIPLES = 2_000_000


@dataclass(frozen=True)
class Header:
    """The shapes and constants of a generated vector module."""

    n: int
    outputs: int
    degree: int
    with_linear: bool
    with_bias: bool
    num_free: int
    num_weights: int
    output_kind: str
    generator_pairs: tuple[tuple[tuple[int, ...], tuple[int, ...], int], ...]
    init_std: tuple[float, ...]
    w_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    c_shape: tuple[int, ...]
    offsets: tuple[int, int, int, int]


@dataclass(frozen=True)
class Triples:
    """W_flat[pos] += coeff · θ[param] for every triple (flat = concat(W, B, C), row-major)."""

    pos: tuple[int, ...]
    param: tuple[int, ...]
    coeff: tuple[float, ...]
    kind: str = "triples"


@dataclass(frozen=True)
class Patterns:
    """Each family's parameter table, indexed by the equality pattern of a weight's indices."""

    families: tuple[Family, ...]
    kind: str = "patterns"


@dataclass(frozen=True)
class Dense:
    """Einsum subscripts of the dense forward and of the explicit backward (degree d)."""

    forward: str
    grad_w: str
    grad_x: str
    slot_perms: tuple[tuple[int, ...], ...]  # W.permute(p) brings each input slot to position 1


@dataclass(frozen=True)
class PowerSums:
    """y = Σ_t (Σ_p θ_p mix[p][t][k]) term_t over power-sum monomials term_t (code strings)."""

    max_power: int
    terms: tuple[str, ...]
    mix: tuple[tuple[tuple[float, ...], ...], ...]  # [param][term][output or 0]
    per_position: bool  # permutation outputs: terms are (..., n); trivial: (..., 1) mixed to M outputs
    kind: str = "power_sums"


@dataclass(frozen=True)
class Cyclic:
    """The triples that build output 0's rows; output k uses them shifted by k."""

    rows: tuple[int, ...]
    kind: str = "cyclic"


@dataclass(frozen=True)
class LayerRecord:
    """Everything the template places."""

    identity: Identity
    header: Header
    weights: Triples | Patterns
    dense: Dense
    structured: PowerSums | Cyclic | None


def require_representation(sol: Solution) -> Solution:
    """``sol`` if its output rule is a representation, else InvariantError with the witness:
    no module can be equivariant for a rule that is not a group action."""
    if not sol.action.is_representation:
        raise InvariantError(
            f"the output rule is not a representation ({sol.action.witness}); "
            + (sol.action.suggestion or "no equivariant module can be emitted for it")
        )
    return sol


def build_record(spec: LayerSpec, method: str = "auto") -> LayerRecord:
    """Derive, prove and realize everything a generated vector layer needs."""
    form = module_form(spec)
    if form.kind != "vector":
        raise ValueError("tensor orders and channels have their own records (codegen.tensor, codegen.channels)")
    kind = form.structured
    weights_count = lower(spec).layout.num_weights
    if kind != "power_sums" and weights_count > MAX_TRIPLES:  # refused before any derivation
        raise InvariantError(
            f"{weights_count} weights are too many to emit for this group (limit {MAX_TRIPLES}); the symmetric "
            "group's modules have no such limit: use a smaller n"
        )
    sol = require_representation(derive(spec, method=method))
    if kind == "power_sums" and sol.patterns is None:
        sol = derive(spec, method="pattern")  # the same classes (the paths are tested against each other), as patterns
    n, m, degree = spec.n, spec.outputs, spec.degree
    lay = sol.layout
    offsets = lay.dense_offsets
    structured: PowerSums | Cyclic | None = None
    if kind == "power_sums":
        weights: Triples | Patterns = Patterns(pattern_families(spec, sol))
        terms, mix = power_sum_mix(spec, sol)
        structured = PowerSums(degree, terms, mix, spec.output == "permutation")
        stats = interpolated_stats(spec, sol) if n > PATTERN_N else class_stats(sol.layout, sol.tying)
    else:
        weights = _triples(sol)
        stats = class_stats(sol.layout, sol.tying)
        if kind == "cyclic":  # the triples that build output 0's row of W, B and C
            row = lay.points**degree
            structured = Cyclic(tuple(
                t for t, p in enumerate(weights.pos)
                if p < row or offsets[1] <= p < offsets[1] + n or p == offsets[2]
            ))
    forward = structured.kind if structured else "dense"
    header = Header(
        n=n, outputs=m, degree=degree, with_linear=spec.with_linear, with_bias=spec.with_bias,
        num_free=sol.num_free, num_weights=sol.num_weights, output_kind=spec.output,
        generator_pairs=tuple((tuple(g), tuple(pi), s) for g, pi, s in sol.problem.action.pairs),
        init_std=init_std(spec, sol, stats), w_shape=lay.dense_shape("W"), b_shape=lay.dense_shape("B"),
        c_shape=lay.dense_shape("C"), offsets=offsets,
    )
    ident = identity(str(spec), class_name(spec), _doc_lines(spec, sol, forward, weights.kind))
    return LayerRecord(identity=ident, header=header, weights=weights, dense=_dense(degree), structured=structured)


def _triples(sol: Solution) -> Triples:
    """The expansion W = E θ as flat positions in concat(W, B, C) (the layout's dense form)."""
    lay = sol.layout
    pos, par, coef = [], [], []
    for w, p, a in sol.expansion():
        pos.append(lay.dense_position(lay.key(w)))
        par.append(p)
        coef.append(float(a))
    return Triples(tuple(pos), tuple(par), tuple(coef))


def _dense(degree: int) -> Dense:
    """Dense forward and explicit-backward contractions for a degree-d main term."""
    letters = "ijl"[:degree]
    xs = ",".join("b" + c for c in letters)
    rest = ",".join("b" + c for c in letters[1:])
    return Dense(
        forward=f"k{letters},{xs}->bk",
        grad_w=f"bk,{xs}->k{letters}",
        grad_x=f"bk,kp{letters[1:]}" + (f",{rest}" if rest else "") + "->bp",
        slot_perms=tuple(tuple([0, 1 + t] + [1 + u for u in range(degree) if u != t]) for t in range(degree)),
    )


def _doc_lines(spec: LayerSpec, sol: Solution, forward: str, weight_map: str) -> tuple[str, ...]:
    group = sol.problem.group
    lines = [
        f"Spec: {spec}",
        f"Group: {group} (order {describe_order(group)}); output action: {spec.output}.",
        f"Free parameters: {sol.num_free} (function dimension {sol.function_dim}); "
        f"weights: {sol.num_weights}.",
        f"Forward: {forward}; weights built from parameters by {weight_map}.",
    ]
    if sol.num_classes <= 16:
        lines.append("Classes (size: representative):")
        for c in range(sol.num_classes):
            lines.append(f"  {c}: {sol.class_size(c)}: {sol.weight_name(sol.representative(c))}")
    if sol.tying.dependent:
        lines.append(f"Dependent classes: {len(sol.tying.dependent)} (additive constraints, see invariant derive).")
    if sol.gauge:
        lines.append(f"Gauge: {len(sol.gauge)} parameter directions do not change the function.")
    return tuple(lines)
