"""Tensor-order S_n layers (sets, graphs, hypergraphs) with channels, for any n at run time.

A layer maps x of shape (..., n^k, C) to y of shape (..., n^l, D) (k, l point axes; batch
first, channels last). Its classes are set partitions P of the slots (the l output slots,
then the k slots of each of the d input factors): the *orbit basis* operator of P is

    O_P(x)_a = Σ_{b : pattern(a, b) = P} x_b          (exact equality pattern P)

and the *diagram basis* operator (IGN's pooling/broadcast operations) of a partition σ is

    D_σ(x)_a = Σ_{b : the equalities of σ hold on (a, b)} x_b,

which sums over the blocks of σ that hold only input slots, takes diagonals where input
slots share a block, broadcasts over blocks that hold only output slots and writes to the
output diagonal where output slots share a block. D_σ = Σ_{τ ≥ σ} O_τ over the coarser
partitions, so by Möbius inversion on the partition lattice

    O_P = Σ_{σ ≥ P} μ(P, σ) D_σ,   μ(P, σ) = Π_{blocks β of σ} (-1)^{m_β - 1} (m_β - 1)!,

m_β being the number of blocks of P merged into β. Both sides are polynomial identities in
n, so the same parameters serve every n (classes with more blocks than n vanish there).

With one C×D block θ_c per class (C^d × D for degree d), the layer is
y = Σ_c f_c O_{P_c}(x^{⊗d}) θ_c = Σ_σ D_σ(x^{⊗d}) Φ_σ with Φ_σ = Σ_c f_c μ(P_c, σ) θ_c: the
*mix* matrix f_c μ(P_c, σ) is exact (Fractions). A quadratic class is an ordered orbit P
together with its factor swap; one weight per unordered monomial x_b x_b' gives
f_c = 1/2 when the swap fixes P and the factors are not identified slot by slot (each
unordered pair is counted twice by the ordered sum), else f_c = 1. For such self-swap
classes only the symmetric part of θ_c in its two input-channel axes is seen: the
antisymmetric part is a gauge of D·C(C-1)/2 directions per class.

The forward evaluates each distinct reduction (an einsum over the input) once, multiplies
it by the Φ of every diagram that uses it, and adds the results into the output in one
pass per output diagonal: O(n^max(k,l) · C · D) per sample for linear layers.

>>> from invariant.solvers.patterns import ClassPattern
>>> pats = (ClassPattern("W", 0, None, (0, 0), ((0, 0),), 4, "n", 0),
...         ClassPattern("W", 0, None, (0, 1), ((0, 1),), 12, "n(n-1)", 1))
>>> layout = TensorLayout(k=1, l=1, in_channels=1, out_channels=1, degree=1, n=4)
>>> [f.mix for f in families(layout, pats)]   # [diagram][class][output]: O_{a=b} = D_{a=b}, O_{a≠b} = D_{ab} - D_{a=b}
[((('1',), ('-1',)), (('0',), ('1',)))]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from invariant import LayerSpec
from invariant.channels import (
    ChannelCount,
    channel_count,
    module_form,
    pattern_stabilizer,
    symmetric_tensors,
)
from invariant.solution import Solution
from invariant.solvers.partitions import falling, pattern_code, pattern_of, set_partitions
from invariant.solvers.patterns import monomial_factor

from .identity import Identity, class_name, identity

BATCH, CHANNELS = "z", "xyw"  # one channel letter per input factor (degree <= 3)
LETTERS = "abcdefghijklmnopqrstuv"  # point-index letters; z is the batch, x, y and w the channels
PARAMS = {"W": "weight", "B": "linear", "C": "bias"}


@dataclass(frozen=True)
class TensorLayout:
    """What the record needs of a spec: orders, channels, degree and terms."""

    k: int
    l: int
    in_channels: int
    out_channels: int
    degree: int
    n: int
    outputs: int = 1
    with_linear: bool = False
    with_bias: bool = False
    permutation_output: bool = True


@dataclass(frozen=True)
class Family:
    """One weight family: its classes, exact mix matrix, init and dense-reference tables."""

    name: str
    param: str
    degree: int
    classes: tuple[int, ...]  # indices into the solution's patterns
    patterns: tuple[tuple[int, ...], ...]
    shape: tuple[int, ...]  # parameter shape (K, C, ..., D)
    diagrams: tuple[tuple[int, ...], ...]
    mix: tuple[tuple[tuple[str, ...], ...], ...]  # [diagram][class][output], exact fractions as strings
    mix_float: tuple[tuple[tuple[float, ...], ...], ...]
    factor: tuple[float, ...]
    outputs: tuple[int, ...]
    init_std: tuple[float, ...]
    phi_subscripts: str
    slots: int  # output slots + degree · k input slots
    codes: tuple[tuple[int, int], ...]  # (pattern code, its row of the dense reference's per-code table)
    code_of: tuple[int, ...]  # each class's row of that table (invariant outputs: M classes share a code)
    ext_subscripts: str  # θ_c f_c placed at the class's output index: (K, C.., M, D)
    dense_subscripts: str


@dataclass(frozen=True)
class Step:
    """One line of the structured forward: ``target = code``, or an in-place statement."""

    target: str
    code: str
    comment: str


@dataclass(frozen=True)
class TensorRecord:
    """Everything the tensor template places."""

    identity: Identity
    k: int
    l: int
    in_channels: int
    out_channels: int
    outputs: int
    width: int  # outputs * out_channels: the last axis of y
    degree: int
    init_n: int
    num_free: int
    gauge: int
    families: tuple[Family, ...]
    steps: tuple[Step, ...]


def coarsenings(blocks: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], Fraction]]:
    """(σ, μ(P, σ)) for every partition σ ≥ P (blocks merged), P given by ``blocks``.

    >>> sorted(coarsenings((0, 1, 2)))[:2]
    [((0, 0, 0), Fraction(2, 1)), ((0, 0, 1), Fraction(-1, 1))]
    """
    count = max(blocks) + 1 if blocks else 0
    for merge in set_partitions(count):
        sizes = [merge.count(v) for v in range(max(merge) + 1)] if merge else []
        mu = math.prod((-1) ** (s - 1) * math.factorial(s - 1) for s in sizes)
        yield pattern_of(merge[b] for b in blocks), Fraction(mu)


def second_moment(blocks: tuple[int, ...], layout: TensorLayout, degree: int, l: int) -> Fraction:
    """Σ over input channels of E[O_P(x)_a²] at one output a, x ~ N(0, I), n = layout.n.

    N = number of input tuples with pattern P at a = (n - o)(n - o - 1)... over the q blocks
    without output slots (o blocks hold output slots). Linear: C·N. Quadratic, by Isserlis:
    C²N for a class that is not swap-symmetric; C(C-1)N/4 + C·N/2 for a self-swap class
    (factor 1/2); C(C-1)N + C(N² + 2N) when the factors are identified (x_b² terms).
    """
    c = layout.in_channels
    outs = len(set(blocks[:l]))
    count = falling(layout.n - outs, (max(blocks) + 1 if blocks else 0) - outs)
    if degree == 0:
        return Fraction(1)
    if degree == 1:
        return Fraction(c * count)
    k = layout.k
    if blocks[l: l + k] == blocks[l + k:]:
        return Fraction(c * (c - 1) * count + c * (count * count + 2 * count))
    if degree == 2 and monomial_factor(blocks, l, k, 2) != 1:
        return Fraction(c * (c - 1) * count, 4) + Fraction(c * count, 2)
    return Fraction(c * c * count)


def families(layout: TensorLayout, patterns) -> tuple[Family, ...]:
    """Group the classes by family and expand each in the diagram basis (exact mix).

    Init (``init_std``, scaled by √gain in the module): θ_c[..., e] ~ N(0, s_c²) with
    s_c² = 1 / (m_τ E_c), E_c the second moment of
    the class's operator (:func:`second_moment`) at n = layout.n and m_τ the number of
    classes (all families) acting on outputs of the same equality type τ (and output index):
    every class contributes 1 / m_τ, so E[y_a²] = 1 at every output a for
    x ~ N(0, I) (biases start at zero and are not counted).
    """
    l = layout.l if layout.permutation_output else 0
    degree_of = {"W": layout.degree, "B": 1, "C": 0}
    share: dict[tuple, int] = {}
    for p in patterns:
        if p.family != "C":
            key = (pattern_of(p.blocks[:l]), p.output)
            share[key] = share.get(key, 0) + 1
    out = []
    for name in ("W", "B", "C"):
        members = [(i, p) for i, p in enumerate(patterns) if p.family == name]
        if not members:
            continue
        d = degree_of[name]
        diagrams: dict[tuple[int, ...], dict[int, Fraction]] = {}
        factors, init = [], []
        for row, (_, p) in enumerate(members):
            f = monomial_factor(p.blocks, l, layout.k, d) if d == 2 else Fraction(1)
            factors.append(f)
            for sigma, mu in coarsenings(p.blocks):
                diagrams.setdefault(sigma, {})[row] = f * mu
            if name == "C":
                init.append(0.0)
            else:
                moment = second_moment(p.blocks, layout, d, l)
                key = (pattern_of(p.blocks[:l]), p.output)
                init.append(math.sqrt(1 / (share[key] * moment)) if moment else 0.0)
        order = _diagram_order(diagrams, l)
        width = layout.outputs
        outputs = [p.output or 0 for _, p in members]
        mix = tuple(
            tuple(tuple(str(diagrams[s].get(r, 0)) if outputs[r] == m else "0" for m in range(width))
                  for r in range(len(members)))
            for s in order
        )
        chan = CHANNELS[:d]
        class_codes = [pattern_code(p.blocks) for _, p in members]
        distinct = list(dict.fromkeys(class_codes))
        out.append(Family(
            name=name, param=PARAMS[name], degree=d, classes=tuple(i for i, _ in members),
            patterns=tuple(p.blocks for _, p in members),
            shape=(len(members),) + (layout.in_channels,) * d + (layout.out_channels,),
            diagrams=tuple(order), mix=mix,
            mix_float=tuple(tuple(tuple(float(Fraction(v)) for v in row) for row in s) for s in mix),
            factor=tuple(float(f) for f in factors), outputs=tuple(outputs), init_std=tuple(init),
            phi_subscripts=f"skm,k{chan}e->{chan}sme",
            slots=l + d * layout.k,
            codes=tuple((c, i) for i, c in enumerate(distinct)), code_of=tuple(distinct.index(c) for c in class_codes),
            ext_subscripts=f"k{chan}e,km->k{chan}me",
            dense_subscripts=_dense_subscripts(layout, d, l),
        ))
    return tuple(out)


def _dense_subscripts(layout: TensorLayout, d: int, l: int) -> str:
    """einsum of the dense reference: V[a.., b.., b'.., x, y, m, e] with the input factors."""
    k = layout.k
    letters = LETTERS[: l + d * k]
    out, factors = letters[:l], [letters[l + f * k: l + (f + 1) * k] for f in range(d)]
    chan = CHANNELS[:d]
    operands = [letters + chan + "ME"] + [BATCH + fac + c for fac, c in zip(factors, chan)]
    return ",".join(operands) + f"->{BATCH}{out}ME"


def _input_key(sigma: tuple[int, ...], l: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A diagram's reduction: the input slots' labelling and the (input) labels it keeps."""
    labels = pattern_of(sigma[l:])
    relabel = dict(zip(sigma[l:], labels))
    kept = tuple(sorted({relabel[b] for b in sigma[:l] if b in relabel}))
    return labels, kept


def _diagram_order(diagrams, l: int) -> list[tuple[int, ...]]:
    """Diagrams sorted so that those sharing a reduction are contiguous (bigger ones first)."""
    def key(sigma):
        labels, kept = _input_key(sigma, l)
        return (-len(kept), labels, kept, sigma)
    return sorted(diagrams, key=key)


def _describe(sigma: tuple[int, ...], l: int, k: int, d: int) -> str:
    """A diagram in index notation, e.g. ``y[a,b] += Σ_c x[a,c]``."""
    out = ",".join(LETTERS[b] for b in sigma[:l])
    factors = [",".join(LETTERS[b] for b in sigma[l + f * k: l + (f + 1) * k]) for f in range(d)]
    summed = sorted(set(sigma[l:]) - set(sigma[:l]))
    total = "Σ_" + "".join(LETTERS[b] for b in summed) + " " if summed else ""
    body = " ".join(f"x[{f}]" if f else "x" for f in factors) if d else "1"
    return f"y[{out}] += {total}{body}"


def forward_steps(layout: TensorLayout, fams: tuple[Family, ...]) -> tuple[Step, ...]:
    """The structured forward as code lines (the template only prints them).

    x: (B, n^k, C) -> y: (B, n^l, E), E = outputs · D. Per family: phi = mix · θ; per
    reduction: one einsum (or a sum of an earlier, larger reduction with the same input
    labelling) and one matmul with the concatenated Φ of its diagrams; per output
    equality type τ: one sum of the broadcast terms, added to y (τ finest) or to the
    diagonal view of y (in place).
    """
    k, width = layout.k, layout.outputs * layout.out_channels
    l = layout.l if layout.permutation_output else 0
    steps: list[Step] = []
    # per output type τ: (through blocks, broadcast blocks, order, code, has a batch axis)
    groups: dict[tuple[int, ...], list[tuple[int, tuple[bool, ...], int, str, bool]]] = {}
    made: list[tuple[tuple[int, ...], tuple[int, ...], str]] = []  # (labels, kept, variable)
    for fam in fams:
        d = fam.degree
        cdim = layout.in_channels ** d
        phi = f"phi_{fam.name}"
        chan = CHANNELS[:d]
        runs = [(key, list(run)) for key, run in
                itertools.groupby(range(len(fam.diagrams)), key=lambda s: _input_key(fam.diagrams[s], l))]
        # A reduction that keeps as many point axes as y has is large: one matmul per diagram
        # (no split, whose backward would copy it); the small ones share one matmul.
        each = [d > 0 and len(kept) >= max(1, l) for (_, kept), _ in runs]
        pieces = [w for (_, run), e in zip(runs, each) for w in ([width] * len(run) if e else [len(run) * width])]
        steps.append(Step(phi, f"torch.einsum(\"{fam.phi_subscripts}\", self.mix_{fam.name}, self.{fam.param})"
                               f".reshape({cdim}, {len(fam.diagrams) * width}).split({tuple(pieces)}, 1)",
                          f"Φ_σ = Σ_c f_c μ(P_c, σ) θ_c for the {len(fam.diagrams)} diagrams of family {fam.name}"))
        piece = itertools.count()
        for ((labels, kept), run), one_each in zip(runs, each):
            r, z = f"r{len(made)}", f"m{len(made)}"
            out_letters = BATCH + "".join(LETTERS[v] for v in kept)
            larger = [(kp, name) for lab, kp, name in made if lab == labels and set(kept) < set(kp)]
            if d == 0:
                steps.append(Step(z, f"{phi}[{next(piece)}].split({width}, -1)",
                                  "biases, one row per output equality type"))
            elif larger:
                src_kept, source = min(larger, key=lambda item: (len(item[0]), item[1]))
                dims = ", ".join(str(1 + i) for i, v in enumerate(src_kept) if v not in kept)
                steps.append(Step(r, f"{source}.sum(({dims},))", f"a sum of {source}"))
            else:
                letters = [LETTERS[v] for v in labels]
                ins = ",".join(BATCH + "".join(letters[f * k:(f + 1) * k]) + c for f, c in enumerate(chan))
                subs = f"{ins}->{out_letters}{chan}"
                if d == 1 and len(kept) == len(set(labels)) == len(labels):
                    steps.append(Step(r, "x", "the input itself"))
                else:
                    flat = f".flatten({-d})" if d >= 2 else ""  # the d channel axes into one
                    steps.append(Step(r, f"torch.einsum(\"{subs}\", {', '.join(['x'] * d)}){flat}", ""))
            if d:
                made.append((labels, kept, r))
                if one_each:
                    codes = ", ".join(f"{r} @ {phi}[{next(piece)}]" for _ in run)
                    steps.append(Step(z, f"({codes},)", f"channels mixed, one matmul per diagram ({len(run)})"))
                else:
                    steps.append(Step(z, f"({r} @ {phi}[{next(piece)}]).split({width}, -1)",
                                      f"channels mixed for {len(run)} diagram(s)"))
            else:
                made.append(((), (), z))
            for g, s in enumerate(run):
                sigma = fam.diagrams[s]
                relabel = dict(zip(sigma[l:], labels))
                through = [relabel.get(b) for b in dict.fromkeys(sigma[:l])]  # per output block: kept label or None
                kept_pos = [kept.index(v) for v in through if v is not None]
                expr = f"{z}[{g}]"
                perm = [0] + [1 + p for p in kept_pos] + [1 + len(kept)]
                if perm != sorted(perm):
                    expr += f".permute({', '.join(map(str, perm))})"
                shape = tuple(v is None for v in through)
                groups.setdefault(pattern_of(sigma[:l]), []).append((len(kept_pos), shape, len(steps), expr, d > 0))
                steps.append(Step("", "", _describe(sigma, l, k, d)))
    return tuple(steps) + _assemble(l, groups, width)


def _assemble(l: int, groups, width: int) -> tuple[Step, ...]:
    """y from the terms of each output equality type τ: the finest type builds y (terms in
    increasing size, so broadcasts fold before the full tensor appears), the others add in
    place to diagonal views of it. Terms are summed by size and broadcast pattern, so that
    the small ones fold together before the full tensor appears."""
    steps = []
    finest = tuple(range(l))
    shape = "(x.shape[0], " + "n, " * l + f"{width})"
    terms = sorted(groups.get(finest, []))
    if terms:
        total = _summed(terms)
        full = any(t == l and batched for t, *_, batched in terms)
        code = total if full else f"({total}).expand{shape}.contiguous()"
        steps.append(Step("y", code, "outputs with all indices distinct" if l else "the invariant output"))
    else:
        steps.append(Step("y", f"x.new_zeros{shape}", "no term has all output indices distinct"))
    for tau in sorted(groups):
        if tau == finest:
            continue
        dims = ["B"] + list(tau) + ["E"]
        view = "y"
        while (repeated := next((b for b in tau if dims.count(b) > 1), None)) is not None:
            p, q = [i for i, v in enumerate(dims) if v == repeated][:2]
            view += f".diagonal(0, {p}, {q})"
            dims = [v for i, v in enumerate(dims) if i not in (p, q)] + [repeated]
        source = ["B"] + sorted(set(tau)) + ["E"]
        perm = [source.index(v) for v in dims]
        terms = sorted(groups[tau])
        total = _summed(terms)
        total = f"({total})" if " + " in total else total
        if perm != sorted(perm):
            total += f".permute({', '.join(map(str, perm))})"
        eq = ",".join(LETTERS[b] for b in tau)
        steps.append(Step("", f"{view}.add_({total})", f"outputs y[{eq}] (equal letters: equal indices)"))
    return tuple(steps)


def _summed(terms) -> str:
    """Terms of one output type summed: those broadcast the same way first (at their small
    size), then the sums in increasing size, so that few full-size passes are made."""
    parts = []
    for (_, shape), same in itertools.groupby(sorted(terms), key=lambda term: term[:2]):
        codes = [term[3] for term in same]
        index = "[:, " + ", ".join("None" if b else ":" for b in shape) + ", :]" if any(shape) else ""
        body = " + ".join(codes)
        parts.append(f"({body}){index}" if index and len(codes) > 1 else body + index)
    return " + ".join(parts)


def tensor_record(layout: TensorLayout, patterns, spec_text: str, name: str,
                  count: ChannelCount | None = None) -> TensorRecord:
    """Flatten the patterns of one layer into the values the template places.

    ``count`` (:func:`invariant.channels.channel_count` of the spec) puts the proved
    dimension with channels in the docstring; its parameters and gauge must be the record's.
    """
    fams = families(layout, patterns)
    l = layout.l if layout.permutation_output else 0
    c_in = layout.in_channels
    gauge = layout.out_channels * sum(  # per class: C^d less the tensors its factor stabilizer fixes
        c_in**fam.degree - symmetric_tensors(pattern_stabilizer(blocks, l, layout.k, fam.degree), c_in)
        for fam in fams for blocks in fam.patterns
    )
    num_free = sum(math.prod(f.shape) for f in fams)
    if count is not None and (count.num_parameters, count.gauge) != (num_free, gauge):
        raise AssertionError(f"the tensor module holds {num_free} parameters with gauge {gauge}; invariant.channels "
                             f"counts {count.num_parameters} with gauge {count.gauge}")
    doc = _doc(layout, fams, num_free, gauge) + (channel_doc(count) if count is not None else ())
    return TensorRecord(
        identity=identity(spec_text, name, doc), k=layout.k, l=l, in_channels=layout.in_channels,
        out_channels=layout.out_channels, outputs=layout.outputs, width=layout.outputs * layout.out_channels,
        degree=layout.degree,
        init_n=layout.n, num_free=num_free, gauge=gauge, families=fams, steps=forward_steps(layout, fams),
    )


def _doc(layout: TensorLayout, fams, num_free: int, gauge: int) -> tuple[str, ...]:
    l = layout.l if layout.permutation_output else 0
    lines = [
        f"S_n acting on every point axis; input order k = {layout.k}, output order l = {l}"
        + ("" if layout.permutation_output else f" ({layout.outputs} invariant outputs)") + ".",
        f"Channels: {layout.in_channels} in, {layout.out_channels} out; "
        f"each class carries a {' x '.join(map(str, fams[0].shape[1:]))} block of parameters.",
        f"Free parameters: {num_free} (classes: "
        + ", ".join(f"{f.name} {len(f.classes)}" for f in fams) + f"); function dimension {num_free - gauge}.",
    ]
    if gauge:
        lines.append(f"Gauge: {gauge} directions (of each class whose pattern a permutation of the input factors "
                     "fixes, the part of its block not symmetric under those permutations) change no output.")
    lines.append(f"Init: E[y^2] = init_gain for x ~ N(0, I) at n = {layout.n} (every class an equal share).")
    return tuple(lines)


def layout_of(spec: LayerSpec) -> TensorLayout:
    """The tensor layout of a spec on the pattern path."""
    return TensorLayout(
        k=spec.input_order, l=spec.output_order, in_channels=spec.in_channels, out_channels=spec.out_channels,
        degree=spec.degree, n=spec.n, outputs=spec.outputs if spec.output == "trivial" else 1,
        with_linear=spec.with_linear, with_bias=spec.with_bias, permutation_output=spec.output == "permutation",
    )


def build_tensor_record(sol: Solution) -> TensorRecord:
    """The record of a pattern-path solution (``sol.method == "pattern"``)."""
    spec = sol.spec
    if sol.method != "pattern" or module_form(spec).kind != "tensor":
        raise ValueError(f"tensor layers need S_n or A_n, permutation or trivial outputs and the pattern path; "
                         f"got group {spec.group}, output {spec.output}, method {sol.method}")
    return tensor_record(layout_of(spec), sol.patterns, str(spec), class_name(spec), channel_count(sol))


def channel_doc(count: ChannelCount) -> tuple[str, ...]:
    """The docstring lines of a module with orders or channels: the numbers ``derive`` reports."""
    dimension = (f"Dimension of the equivariant maps with channels ({count.in_channels} in, {count.out_channels} "
                 f"out): {count.derived} by derivation, {count.character_formula} by the character formula.")
    return dimension, f"Trainable parameters: {count.num_parameters}; gauge: {count.gauge} ({count.gauge_reason})."
