"""Channels: which module a spec gets, its parameters, and the dimension of its maps with channels.

With C input and D output channels a degree-d layer maps Sym^d(V ⊗ R^C) → U ⊗ R^D (plus
V ⊗ R^C → U ⊗ R^D for the linear term and R → U ⊗ R^D for the bias). This module is the one
owner of

* the **module kind** a spec is emitted as (:func:`module_kind`): ``vector`` (one channel,
  vector orders: one parameter per free class), ``tensor`` (S_n and A_n with orders or
  channels, any n: one C^d × D block per pattern class) or ``dense`` (every other group: one
  block per kept class of the ordered-tuple derivations, :func:`parts`, :func:`kept_parameters`);
* ``num_parameters``: the emitted module's trainable count in tied mode (codegen builds its
  shapes from the same classes and asserts the count against :func:`channel_count`);
* the **dimension with channels, by derivation**: the exact rank of θ ↦ (polynomial
  coefficients of the module's function). The character formula of
  :func:`invariant.proofs.characters.character_dimension` (``channels=True``) proves it;
* the **gauge**: num_parameters − dimension, and where it comes from.

The rank, exactly and without enumerating a class. Output channels never mix with the
group, so the map is D copies of the map for one output channel. Rows (output m, monomial
μ in the entries x_{i,c}) of one class, or of classes that a permutation τ of the d factors
maps onto each other (a *component*), are the G-images of the rows at one representative
(o, t) of the class, up to the sign of the element: a class is one signed orbit, and G
commutes with permuting the factors and with the channel labels. The monomial of (t, c)
is met by the pairs (σt, σc), σ ∈ S_d, so its row is Σ_{distinct (σt, σc)} E_q(o, σt) e_{(q, σc)}.
Rows of different channel multisets share no column, and relabelling the channels maps a
multiset's block onto that of any multiset with the same multiplicities: the rank is Σ over
components, over multiplicity shapes λ ⊢ d of (the number of multisets of shape λ) × (the
exact rank of one block of at most d! rows). On the pattern path (S_n, A_n) a class is an
unordered orbit and the module sums its ordered pattern P over the factor permutations H
that fix P, so it sees the H-symmetric tensors: (1/|H|) Σ_{σ ∈ H} C^{cycles(σ)} per output
channel (:func:`symmetric_tensors`); the tests check both counts against the brute-force
rank of the emitted module's parameter → function map.

>>> from invariant import LayerSpec, derive
>>> count = channel_count(derive(LayerSpec(layer="quadratic", n=3, output="sign", in_channels=2)))
>>> count.kind, count.derived, count.character_formula, count.num_parameters, count.gauge
('dense', 1, 1, 4, 3)
>>> count = channel_count(derive(LayerSpec(layer="quadratic", n=5, group="cyclic", in_channels=2, out_channels=3)))
>>> count.derived, count.character_formula, count.num_parameters, count.gauge
(165, 165, 180, 15)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from .api import derive
from .errors import InvariantError
from .groups.permutation_groups import TooLargeToSum
from .problem import lower
from .proofs.characters import character_dimension
from .solvers.partitions import pattern_of
from .spec import MAX_ORDER, LayerSpec

MODULE_KINDS = ("vector", "tensor", "dense")
#: Dense weight entries (rows × channel block, all families) a dense module holds at most.
MAX_DENSE_ENTRIES = 1 << 25
#: Weights of the derivation a dense channel module is built from, at most.
MAX_WEIGHTS = 2_000_000


def module_kind(spec: LayerSpec) -> str:
    """The module ``emit`` writes for ``spec``: ``vector``, ``tensor`` or ``dense``.

    ``tensor``: S_n, or A_n with n ≥ slots + 2 (where its classes are S_n's), permutation or
    trivial outputs, triangular, with orders other than 1 → 1 (or 1 → invariant) or with
    channels; ``dense``: every other spec with orders or channels; ``vector``: the rest (one
    channel, vector orders).

    >>> module_kind(LayerSpec(layer="quadratic", n=5)), module_kind(LayerSpec(layer="linear", n=5, in_channels=2))
    ('vector', 'tensor')
    >>> module_kind(LayerSpec(layer="linear", n=4, group="cyclic", in_channels=2))
    'dense'
    """
    vector_order = 1 if spec.output == "permutation" else 0
    if (spec.input_order, spec.output_order, spec.in_channels, spec.out_channels) == (1, vector_order, 1, 1):
        return "vector"
    if (spec.group in ("symmetric", "alternating") and spec.output in ("permutation", "trivial")
            and spec.param == "triangular"):
        slots = spec.output_order + spec.degree * spec.input_order
        if spec.group == "symmetric" or spec.n >= slots + 2:  # A_n below that has more classes than S_n
            return "tensor"
    return "dense"


@dataclass(frozen=True)
class ModuleForm:
    """What ``emit`` writes for a spec: the module ``kind`` (:func:`module_kind`) and, for a
    vector module, the name of its structured forward (``power_sums``, ``cyclic``) or None."""

    kind: str
    structured: str | None = None


def module_form(spec: LayerSpec) -> ModuleForm:
    """The one decision of which module (and which structured forward) a spec gets.

    A vector module has a structured forward when it is triangular and not folded:
    ``power_sums`` for S_n with permutation or trivial outputs (each class's orbit sum in
    x_k and the power sums p_r = Σ x_i^r), ``cyclic`` for C_n with permutation outputs up
    to degree 2 (circular correlation by FFT). Codegen's records, renderer and checker
    dispatch on this value only.

    >>> module_form(LayerSpec(layer="quadratic", n=5)), module_form(LayerSpec(layer="linear", n=5, group="dihedral"))
    (ModuleForm(kind='vector', structured='power_sums'), ModuleForm(kind='vector', structured=None))
    >>> module_form(LayerSpec(layer="linear", n=5, input_order=2, output_order=2))
    ModuleForm(kind='tensor', structured=None)
    """
    kind = module_kind(spec)
    structured = None
    if kind == "vector" and spec.param == "triangular" and not spec.layer.startswith("folded"):
        if spec.group == "symmetric" and spec.output in ("permutation", "trivial"):
            structured = "power_sums"
        elif spec.group == "cyclic" and spec.output == "permutation" and spec.degree <= 2:
            structured = "cyclic"
    return ModuleForm(kind, structured)


@dataclass(frozen=True)
class Part:
    """One family of a dense module and the derivation it is read from.

    ``spec`` is a linear layer: input order k·d for a degree-d main term (its classes are
    the orbits of ordered d-tuples of input points), k for the linear term and the bias;
    ``family`` is the index of the family taken from that derivation.
    """

    name: str
    degree: int
    spec: LayerSpec
    family: int


def parts(spec: LayerSpec) -> tuple[Part, ...]:
    """The derivations a dense module is built from (validated, not yet derived).

    >>> [(p.name, p.spec.input_order) for p in parts(LayerSpec(layer="quadratic", n=4, group="cyclic",
    ...                                                          in_channels=2, with_linear=True))]
    [('W', 2), ('B', 1)]
    """
    d, k = spec.degree, spec.input_order
    if d == 1:
        return (Part("W", 1, spec, 0),) + ((Part("C", 0, spec, 1),) if spec.with_bias else ())
    if spec.layer.startswith("folded"):
        raise InvariantError("folded quadratic layers are emitted as vector layers only (no channels or orders)")
    if k * d > MAX_ORDER:
        raise InvariantError(f"a degree-{d} layer of order-{k} inputs has {k * d} point indices per weight; "
                             f"the dense module handles at most {MAX_ORDER}")
    linear = {"layer": "linear", "param": "triangular", "with_linear": False}
    out = [Part("W", d, spec.replace(input_order=k * d, with_bias=False, **linear), 0)]
    if spec.with_linear or spec.with_bias:
        terms = spec.replace(with_bias=spec.with_bias, **linear)
        if spec.with_linear:
            out.append(Part("B", 1, terms, 0))
        if spec.with_bias:
            out.append(Part("C", 0, terms, 1))
    return tuple(out)


def refuse_dense_size(spec: LayerSpec, pieces: tuple[Part, ...]) -> None:
    """InvariantError (before any derivation) when a dense module would be too large."""
    c_in, c_out = spec.in_channels, spec.out_channels
    sizes = [lower(p.spec).layout.count(p.family) for p in pieces]
    entries = sum(size * c_in**p.degree * c_out for size, p in zip(sizes, pieces))
    if max(sizes) > MAX_WEIGHTS or entries > MAX_DENSE_ENTRIES:
        raise InvariantError(
            f"the dense module would hold {entries} weight entries ({sum(sizes)} weights times their channel "
            f"blocks; limits {MAX_DENSE_ENTRIES} entries and {MAX_WEIGHTS} weights per family); the symmetric "
            "group's tensor layers have no such limit: use a smaller n, fewer channels or lower orders"
        )


def kept_parameters(sol, params: list[int], degree: int) -> dict[int, int]:
    """Parameters of an ordered-tuple derivation, less those a factor permutation makes redundant.

    ``sol`` is a linear layer whose input points are ordered ``degree``-tuples of the
    layer's N points (flattened row-major). Column q of its expansion is a sparse vector
    over (output, tuple); if τ·E_q = ±E_p for a permutation τ of the factors and an earlier
    kept p, then q's block is p's with its channel axes permuted (and the sign), so q adds
    no function and is dropped. Returns each kept parameter with the number of columns it
    stands for (its init variance takes theirs).
    """
    points = round(sol.layout.points ** (1 / degree))
    wanted = set(params)
    columns: dict[int, dict[tuple, Fraction]] = {q: {} for q in params}
    for w, q, a in sol.expansion():
        if q in wanted:
            _, o, (flat,) = sol.layout.key(w)
            columns[q][(o, _digits(flat, points, degree))] = a
    seen: dict[tuple, int] = {}
    kept: dict[int, int] = {}
    for q in params:
        images = [_normalized({(o, tuple(idx[t] for t in tau)): a for (o, idx), a in columns[q].items()})
                  for tau in itertools.permutations(range(degree))]
        earlier = next((seen[image] for image in images if image in seen), None)
        if earlier is not None:
            kept[earlier] += 1
            continue
        seen[images[0]] = q
        kept[q] = 1
    return kept


def module_parameters(sol, part: Part, param: str) -> dict[int, int]:
    """The free parameters of ``sol`` (a part's derivation) that carry a block in the dense module.

    Each with the number of columns it stands for (:func:`kept_parameters`); the full
    parametrization (``param``, the layer's) keeps every class.
    """
    in_family = [q for q, c in enumerate(sol.tying.free) if sol.family_of(c) == part.family]
    if part.degree >= 2 and param == "triangular":
        return kept_parameters(sol, in_family, part.degree)
    return {q: 1 for q in in_family}


def _digits(flat: int, base: int, count: int) -> tuple[int, ...]:
    """The ``count`` base-``base`` digits of ``flat``, most significant first."""
    out = []
    for _ in range(count):
        flat, r = divmod(flat, base)
        out.append(r)
    return tuple(reversed(out))


def _normalized(column: dict[tuple, Fraction]) -> tuple:
    """A column up to sign: its sorted entries, scaled so that the first coefficient is positive."""
    items = sorted(column.items())
    sign = -1 if items and items[0][1] < 0 else 1
    return tuple((key, sign * a) for key, a in items)


def symmetric_tensors(stabilizer: list[tuple[int, ...]], channels: int) -> int:
    """dim of the tensors in (R^C)^{⊗d} fixed by a group H of factor permutations (Burnside).

    (1/|H|) Σ_{σ ∈ H} C^{cycles(σ)}: the orbits of H on channel tuples.

    >>> symmetric_tensors([(0, 1), (1, 0)], 3), symmetric_tensors([(0, 1, 2)], 2)
    (6, 8)
    """
    total = sum(channels ** _cycles(s) for s in stabilizer)
    return total // len(stabilizer)


def _cycles(perm: tuple[int, ...]) -> int:
    seen, count = set(), 0
    for i in range(len(perm)):
        if i not in seen:
            count += 1
            while i not in seen:
                seen.add(i)
                i = perm[i]
    return count


def pattern_stabilizer(blocks: tuple[int, ...], out_slots: int, k: int, degree: int) -> list[tuple[int, ...]]:
    """The permutations of the ``degree`` factors (k slots each, after ``out_slots``) that fix a pattern.

    >>> pattern_stabilizer((0, 1, 1), 1, 1, 2), pattern_stabilizer((0, 0, 1), 1, 1, 2)
    ([(0, 1), (1, 0)], [(0, 1)])
    """
    head = blocks[:out_slots]
    factors = [blocks[out_slots + f * k: out_slots + (f + 1) * k] for f in range(degree)]
    return [s for s in itertools.permutations(range(degree))
            if pattern_of(head + tuple(x for f in s for x in factors[f])) == blocks]


@dataclass(frozen=True)
class ChannelCount:
    """The layer with channels: its module's parameters and the dimension of its maps, proved.

    ``derived`` is the exact rank of θ ↦ function of the module's parametrization (None where
    it cannot be built: ``note`` says why); ``character_formula`` is D times the character
    sum over Sym^d(V ⊗ R^C) and the lower-order terms. ``num_parameters`` is the emitted
    module's trainable count in tied mode (None where no module can be emitted).
    """

    in_channels: int
    out_channels: int
    kind: str
    derived: int | None
    character_formula: int | None
    num_parameters: int | None
    gauge_reason: str
    note: str | None = None

    @property
    def agree(self) -> bool | None:
        if self.derived is None or self.character_formula is None:
            return None
        return self.derived == self.character_formula

    @property
    def gauge(self) -> int | None:
        """num_parameters − dimension (None when either is unknown)."""
        if self.num_parameters is None or self.derived is None:
            return None
        return self.num_parameters - self.derived


def channel_count(sol) -> ChannelCount:
    """The channel count of a derived solution (see the module docstring)."""
    spec = sol.spec
    kind = module_kind(spec)
    if kind != "vector":
        one_channel = spec.in_channels == spec.out_channels == 1
        return spec_channel_count(spec, sol.dimension.character_formula if one_channel else None)
    gauge = len(sol.gauge)
    reason = (f"the full parametrization: of each W[k] only its part symmetric in the {spec.degree} input "
              f"factors is seen ({gauge} directions)" if gauge else "none")
    note = None if sol.action.is_representation else "no module: the output rule is not a representation"
    return ChannelCount(1, 1, kind, sol.function_dim, sol.dimension.character_formula,
                        sol.num_free if note is None else None, reason, note)


@lru_cache(maxsize=128)
def spec_channel_count(spec: LayerSpec, character: int | None = None) -> ChannelCount:
    """The channel count of a spec with orders or channels (``tensor`` and ``dense`` modules).

    ``character``: the character formula when the caller has it (one channel), else computed.
    """
    from .solvers.patterns import pattern_applies

    problem = lower(spec)
    c_in, c_out = spec.in_channels, spec.out_channels
    kind = module_kind(spec)
    if kind == "vector":
        raise ValueError("a vector layer's count is channel_count(derive(spec))")
    if character is None:
        try:
            character = character_dimension(problem, channels=True)
        except TooLargeToSum:
            character = None  # the dimension check of derive says which proof is missing, and why
    if kind == "tensor" and pattern_applies(problem) is None:
        derived, params, reason = _pattern_count(derive(spec, method="pattern"))
        return ChannelCount(c_in, c_out, kind, derived, character, params, reason)
    note = None
    if kind == "tensor":
        note = f"no module: {pattern_applies(problem)}"
    try:
        pieces = parts(spec)
        refuse_dense_size(spec, pieces)
    except InvariantError as exc:
        return ChannelCount(c_in, c_out, kind, None, character, None, "unknown", note or f"no module: {exc}")
    derived, params, reason, acts = _dense_count(spec, pieces)
    if note is None and not acts:
        note = "no module: the output rule is not a representation"
    if note is None and params == 0:
        note = "no module: every weight class is forced to zero"
    return ChannelCount(c_in, c_out, kind, derived, character, params if note is None else None, reason, note)


def _pattern_count(sol) -> tuple[int, int, str]:
    """(dimension, parameters, gauge reason) of an S_n/A_n tensor module, from the pattern classes."""
    lay = sol.layout
    c_in, c_out = lay.in_channels, lay.out_channels
    dimension = params = 0
    partial: dict[tuple, int] = {}
    for c in sol.tying.free:
        p = sol.patterns[c]
        d = lay.families[p.family_index].degree
        seen = symmetric_tensors(pattern_stabilizer(p.blocks, lay.output_order, lay.input_order, d), c_in)
        dimension += seen * c_out
        params += lay.channel_block(p.family_index)
        if seen != c_in**d:
            key = (1, d, seen, 1)
            partial[key] = partial.get(key, 0) + 1
    return dimension, params, _gauge_reason(partial, c_in, c_out, "pattern class")


def _dense_count(spec: LayerSpec, pieces: tuple[Part, ...]) -> tuple[int, int, str, bool]:
    """(dimension, parameters, gauge reason, every part acts) of a dense module, by exact ranks."""
    c_in, c_out = spec.in_channels, spec.out_channels
    dimension = params = 0
    partial: dict[tuple, int] = {}
    acts = True
    for part in pieces:
        sol = derive(part.spec)
        acts = acts and sol.action.is_representation
        kept = list(module_parameters(sol, part, spec.param))
        params += len(kept) * c_in**part.degree * c_out
        if part.degree <= 1:  # distinct classes, disjoint supports, each block seen whole
            dimension += len(kept) * c_in**part.degree * c_out
            continue
        combos = sol.combinations()
        for component in _components(sol, part, kept, combos):
            rank = _component_rank(sol, part, component, c_in, combos)
            dimension += rank * c_out
            if rank != len(component) * c_in**part.degree:
                key = (len(component), part.degree, rank, 1)
                partial[key] = partial.get(key, 0) + 1
    return dimension, params, _gauge_reason(partial, c_in, c_out, "class"), acts


def _gauge_reason(partial: dict[tuple, int], c_in: int, c_out: int, what: str) -> str:
    """Where the gauge comes from, per kind of class: ``partial`` maps (classes in a group, degree,
    rank seen per output channel, 1) to how many such groups there are."""
    if not partial:
        return "none"
    out = []
    for (size, d, rank, _), count in sorted(partial.items()):
        block = "×".join([str(c_in)] * d)
        each = c_out * (size * c_in**d - rank)
        many = f"{count} {what}{'es' * (count != 1)}"
        if size > 1:
            out.append(f"{count} group{'s' * (count != 1)} of {size} classes that a permutation of the factors maps "
                       f"onto each other (the full parametrization keeps each) are seen only through {rank} of their "
                       f"{size * c_in**d} block entries ({count} × {each})")
        elif d == 2 and rank == c_in * (c_in + 1) // 2:
            out.append(f"the antisymmetric part of the {block} input-channel block of each of {many} that the factor "
                       f"swap maps to itself is not seen ({count} × {each})")
        elif d == 2 and rank == c_in * (c_in - 1) // 2:
            out.append(f"the symmetric part of the {block} input-channel block of each of {many} that the factor "
                       f"swap maps to minus itself is not seen ({count} × {each})")
        else:
            out.append(f"of the {block} input-channel block of each of {many} that a permutation of the {d} factors "
                       f"maps to ± itself only the part (anti)symmetric under those permutations, {rank} of "
                       f"{c_in**d}, is seen ({count} × {each})")
    return "; ".join(out)


def _tuple_of(sol, part: Part, w: int) -> tuple[int, tuple[int, ...]]:
    """(output, ordered d-tuple of input points) of weight w of a part's derivation."""
    _, o, idx = sol.layout.key(w)
    if part.degree <= 1:
        return o, tuple(idx)
    return o, _digits(idx[0], round(sol.layout.points ** (1 / part.degree)), part.degree)


def _column(sol, part: Part, o: int, t: tuple[int, ...], combos, kept: set[int]) -> dict[int, Fraction]:
    """E_q at (o, t) for every kept parameter q: the expansion's entries of that weight."""
    if part.degree <= 1:
        idx = t
    else:
        points = round(sol.layout.points ** (1 / part.degree))
        flat = 0
        for v in t:
            flat = flat * points + v
        idx = (flat,)
    found = sol.tying.label(sol.layout.index(part.family, o, idx))
    if found is None:
        return {}
    c, s = found
    return {q: s * a for q, a in combos[c] if q in kept}


def _components(sol, part: Part, kept: list[int], combos) -> list[list[int]]:
    """Kept parameters grouped by shared monomials: q, p together when p's class holds some σt, t ∈ q's."""
    kept_set = set(kept)
    parent = {q: q for q in kept}

    def find(q):
        while parent[q] != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    for q in kept:
        o, t = _tuple_of(sol, part, sol.tying.representative(sol.tying.free[q]))
        for sigma in itertools.permutations(range(part.degree)):
            for p in _column(sol, part, o, tuple(t[i] for i in sigma), combos, kept_set):
                parent[find(p)] = find(q)
    groups: dict[int, list[int]] = {}
    for q in kept:
        groups.setdefault(find(q), []).append(q)
    return list(groups.values())


def _component_rank(sol, part: Part, component: list[int], channels: int, combos) -> int:
    """The exact rank of θ_component ↦ coefficients, for one output channel (module docstring)."""
    d = part.degree
    members = set(component)
    o, t = _tuple_of(sol, part, sol.tying.representative(sol.tying.free[component[0]]))
    perms = list(itertools.permutations(range(d)))
    values = {sigma: _column(sol, part, o, tuple(t[i] for i in sigma), combos, members) for sigma in perms}
    total = 0
    for shape in _partitions(d):
        if len(shape) > channels:
            continue
        multiset = tuple(v for v, m in enumerate(shape) for _ in range(m))
        rows = []
        for c0 in set(itertools.permutations(multiset)):
            row: dict[tuple, Fraction] = {}
            pairs = {(tuple(t[i] for i in sigma), tuple(c0[i] for i in sigma)): sigma for sigma in perms}
            for (_, cc), sigma in pairs.items():
                for q, a in values[sigma].items():
                    row[(q, cc)] = row.get((q, cc), Fraction(0)) + a
            rows.append(row)
        count = math.perm(channels, len(shape)) // math.prod(math.factorial(shape.count(m)) for m in set(shape))
        total += count * _rank(rows)
    return total


def _partitions(d: int) -> list[tuple[int, ...]]:
    """The integer partitions of d, parts in decreasing order: (), (1,), (2,), (1, 1), ..."""
    if d == 0:
        return [()]
    out = []

    def grow(rest: int, top: int, prefix: tuple[int, ...]):
        if rest == 0:
            out.append(prefix)
            return
        for part in range(min(rest, top), 0, -1):
            grow(rest - part, part, prefix + (part,))

    grow(d, d, ())
    return out


def _rank(rows: list[dict]) -> int:
    """The exact rank of sparse rows over Q (Gaussian elimination on Fractions)."""
    pivots: dict = {}
    rank = 0
    for row in rows:
        row = {k: v for k, v in row.items() if v}
        while row:
            key = min(row)
            if key not in pivots:
                pivots[key] = row
                rank += 1
                break
            pivot = pivots[key]
            factor = row[key] / pivot[key]
            for k, v in pivot.items():
                value = row.get(k, Fraction(0)) - factor * v
                if value:
                    row[k] = value
                else:
                    row.pop(k, None)
    return rank
