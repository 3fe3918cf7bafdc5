"""The pattern path: classes of S_n- and A_n-equivariant layers at any n, from set partitions.

A weight's slots are its output indices (for permutation outputs of order l) and the k
indices of each of its d input factors. S_n moves a weight to another with the same
*equality pattern* of its slots, and any two weights with the same pattern are related,
so the orbits of ordered index tuples are the set partitions of the slots with at most n
blocks (Bell(s) of them once n ≥ s). In the triangular parametrization a weight is an
unordered monomial, so its class is the union of the orbits of a pattern and of its images
under permutations of the d factors. The size of a class is a formula in n:

    |class| = |S_d · P| · (n)_b · a(P) / d!,

(n)_b = n(n-1)...(n-b+1) the tuples with the pattern's b blocks, a(P) the factor
permutations that fix every tuple of pattern P. Nothing is enumerated: memory and time do
not depend on n.

The folded rule under S_n (n = 2m ≥ 4) is no action, and what it forces is also a pattern
answer: the rule's generator pairs generate D = S_n × S_m (D maps onto S_n; its kernel
{1} × K is normal and K ∋ (0 1) by the witness below, so K, normal in S_m and holding a
transposition, is S_m), so every output is the same S_n-invariant polynomial: one class per
input pattern, spanning all m outputs.

Validity (checked by :func:`pattern_applies`; the dimension is proved independently by the
character formula on every derive): S_n with permutation or trivial outputs at any n; with
the sign output only once n ≥ s + 2, when every class is zero (a transposition of two unused
points fixes each weight but flips the sign); A_n once n ≥ s + 2, where its orbits on tuples
with at most n - 2 distinct indices are S_n's and its sign character is trivial.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> t = pattern_tying(lower(LayerSpec(layer="quadratic", n=10**6)))
>>> [(p.blocks, p.size_formula) for p in t.patterns]
[((0, 0, 0), 'n'), ((0, 0, 1), 'n(n-1)'), ((0, 1, 1), 'n(n-1)'), ((0, 1, 2), 'n(n-1)(n-2)/2')]
>>> pattern_tying(lower(LayerSpec(layer="linear", n=12, input_order=2, output_order=2))).num_classes
15
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from ..errors import InvariantError
from ..layout import WeightLayout
from .partitions import falling, falling_formula, num_blocks, pattern_of, set_partitions
from .tying import Combination, Tying

#: Above this many classes (e.g. trivial outputs by the million) the request is refused.
MAX_CLASSES = 100_000
#: Up to this many weights, members are found by enumerating the layout (exact canonical order).
ENUMERATE_WEIGHTS = 200_000


@dataclass(frozen=True)
class ClassPattern:
    """One class of the pattern path.

    ``blocks``: the restricted-growth string of the representative's slots (output slots
    for permutation outputs, then each factor's k slots); ``output``: the output index for
    trivial outputs (None for permutation outputs); ``orbit``: every ordered pattern whose
    weights the class holds (the factor permutations of ``blocks``).
    """

    family: str
    family_index: int
    output: int | None
    blocks: tuple[int, ...]
    orbit: tuple[tuple[int, ...], ...]
    size: int
    size_formula: str
    representative: int


def pattern_applies(problem) -> str | None:
    """None if the pattern path is exact for this problem, else the reason it is not."""
    group, action, layout = problem.group, problem.action, problem.layout
    if any(f.ordered for f in layout.families):
        return "the pattern path needs the triangular parametrization"
    family = group.name if group.name != "custom" else group.family
    if family not in ("symmetric", "alternating"):
        return "the pattern path needs the symmetric or alternating group"
    if action.kind == "folded" and (group.name != "symmetric" or action.naive or group.n < 4):
        return "the pattern path takes the folded rule only under the symmetric group, n >= 4, not in naive mode"
    if action.kind not in ("permutation", "trivial", "sign", "folded"):
        return "the pattern path needs the permutation, trivial, sign or folded output action"
    slots = max(_slots(layout, f) for f in range(len(layout.families)))
    large = group.n >= slots + 2
    if family == "alternating" and not large:
        return f"the pattern path needs n >= {slots + 2} for the alternating group"
    if family == "symmetric" and action.kind == "sign" and not large:
        return f"the pattern path needs n >= {slots + 2} for the sign output"
    return None


def _slots(layout, f: int) -> int:
    return layout.output_order + layout.families[f].degree * layout.input_order


def factor_orbit(blocks: tuple[int, ...], out_slots: int, k: int, d: int,
                 ordered: bool = False) -> tuple[tuple[tuple[int, ...], ...], int]:
    """The ordered patterns P∘σ over factor permutations σ (sorted), and a(P) = #σ fixing P's tuples.

    ``blocks`` is P's restricted-growth string: ``out_slots`` output slots, then d factors of
    k slots. Ordered factors (or d < 2) are never permuted.

    >>> factor_orbit((0, 1, 1, 0), 0, 2, 2)     # x_ab x_ba: the swap maps the pattern to itself
    (((0, 1, 1, 0),), 1)
    >>> factor_orbit((0, 0, 1), 1, 1, 2)        # x_a x_b at output a, and x_b x_a
    (((0, 0, 1), (0, 1, 0)), 1)
    """
    if ordered or d < 2:
        return (blocks,), 1
    head = blocks[:out_slots]
    factors = [blocks[out_slots + f * k : out_slots + (f + 1) * k] for f in range(d)]
    images, fixing = set(), 0
    for sigma in itertools.permutations(range(d)):
        raw = head + tuple(x for f in sigma for x in factors[f])
        fixing += raw == blocks
        images.add(pattern_of(raw))
    return tuple(sorted(images)), fixing


def swap_factors(blocks: tuple[int, ...], out_slots: int, k: int) -> tuple[int, ...]:
    """The pattern of a quadratic weight with its two input factors exchanged.

    >>> swap_factors((0, 0, 1), 1, 1)
    (0, 1, 0)
    """
    first, second = blocks[out_slots : out_slots + k], blocks[out_slots + k : out_slots + 2 * k]
    return pattern_of(blocks[:out_slots] + second + first)


def monomial_factor(blocks: tuple[int, ...], out_slots: int, k: int, d: int) -> Fraction:
    """|S_d · P| · a(P) / d!: the weight of one unordered monomial of the class of P in the
    ordered sum over P's orbit (1/2 for a quadratic pattern its factor swap fixes whose
    factors are not identified slot by slot, else 1 when d = 2).

    >>> monomial_factor((0, 1, 1, 0), 0, 2, 2), monomial_factor((0, 1, 0, 1), 0, 2, 2)
    (Fraction(1, 2), Fraction(1, 1))
    """
    orbit, fixing = factor_orbit(blocks, out_slots, k, d)
    return Fraction(len(orbit) * fixing, math.factorial(d))


@dataclass(frozen=True, eq=False)
class PatternTying(Tying):
    """Classes given by patterns; members enumerated on request."""

    layout: WeightLayout
    patterns: tuple[ClassPattern, ...]
    all_zero: bool = False
    merged: bool = False  # one class spans every output (the folded rule under S_n)
    free: tuple[int, ...] = field(default=())
    dependent: tuple[tuple[int, Combination], ...] = ()

    @property
    def num_weights(self) -> int:
        return self.layout.num_weights

    @property
    def num_classes(self) -> int:
        return len(self.patterns)

    def class_size(self, c: int) -> int:
        return self.patterns[c].size

    def representative(self, c: int) -> int:
        return self.patterns[c].representative

    @cached_property
    def _lookup(self) -> dict:
        table = {}
        for c, p in enumerate(self.patterns):
            for q in p.orbit:
                table[(p.family_index, p.output, q)] = c
        return table

    def label(self, w: int) -> tuple[int, int] | None:
        if self.all_zero:
            return None
        key = self.layout.key(w)
        return self._key_label(key), 1

    def _key_label(self, key) -> int:
        f, o, _ = key
        out = None if self.layout.output_order or self.merged else o
        return self._lookup[(f, out, pattern_of(self.layout.slot_values(key)))]

    @cached_property
    def _enumerated(self) -> list[list[int]]:
        members: list[list[int]] = [[] for _ in self.patterns]
        for w, key in enumerate(self.layout.keys()):
            members[self._key_label(key)].append(w)
        return members

    def members(self, c: int, limit: int | None = None) -> list[tuple[int, int]]:
        if self.layout.num_weights <= ENUMERATE_WEIGHTS:
            return [(w, 1) for w in self._enumerated[c][:limit]]
        return [(w, 1) for w in self._smallest_members(c, 12 if limit is None else limit)]

    def _smallest_members(self, c: int, limit: int) -> list[int]:
        """Members whose indices use the smallest values (value sets in lex order)."""
        p, lay = self.patterns[c], self.layout
        b = num_blocks(p.blocks)
        found: set[int] = set()
        # Value sets in lex order; the first `limit` members need no value beyond b + limit.
        for values in itertools.combinations(range(min(lay.n, b + limit)), b):
            for perm in itertools.permutations(values):
                for q in p.orbit:
                    slots = [perm[x] for x in q]
                    for o in range(min(lay.outputs, limit)) if self.merged else (p.output,):
                        key = slot_key(lay, p.family_index, o, slots)
                        if key is not None:
                            found.add(lay.index(*key))
            if len(found) >= limit:
                break
        return sorted(found)[:limit]

    @property
    def num_zeros(self) -> int:
        return self.layout.num_weights if self.all_zero else 0

    def zeros(self, limit: int | None = None) -> list[int]:
        if not self.all_zero:
            return []
        return list(range(min(self.layout.num_weights, limit if limit is not None else self.layout.num_weights)))


def slot_key(lay, f: int, output: int | None, slots, sort: bool = False):
    """The layout key of slot values: (f, output, idx); None if the factors are out of order
    (unless ``sort``, which puts them in order)."""
    out_slots, k, d = lay.output_order, lay.input_order, lay.families[f].degree
    o = output
    if out_slots:
        o = 0
        for v in slots[:out_slots]:
            o = o * lay.n + v
    idx = []
    for t in range(d):
        a = 0
        for v in slots[out_slots + t * k : out_slots + (t + 1) * k]:
            a = a * lay.n + v
        idx.append(a)
    if sort:
        idx.sort()
    elif any(x > y for x, y in itertools.pairwise(idx)):
        return None
    return f, o, tuple(idx)


def pattern_tying(problem) -> PatternTying:
    """The pattern path's answer (see the module docstring for when it is exact)."""
    reason = pattern_applies(problem)
    if reason:
        raise InvariantError(reason)
    layout, action = problem.layout, problem.action
    n = problem.group.n
    family = problem.group.name if problem.group.name != "custom" else problem.group.family
    if action.kind == "sign" and family == "symmetric":
        # n >= s + 2: a transposition of two unused points fixes every weight and flips the sign.
        return PatternTying(layout=layout, patterns=(), all_zero=True)
    merged = action.kind == "folded"  # D = S_n × S_m: every output the same S_n-invariant polynomial
    per_output = action.kind not in ("permutation", "folded")
    outputs = range(layout.outputs) if per_output else [None]
    raw: list[ClassPattern] = []
    for f, fam in enumerate(layout.families):
        s = _slots(layout, f)
        shapes = []
        seen = set()
        for blocks in set_partitions(s, n):
            orbit, fixing = factor_orbit(blocks, layout.output_order, layout.input_order, fam.degree, fam.ordered)
            if orbit[0] in seen:
                continue
            seen.add(orbit[0])
            b = num_blocks(blocks)
            scale = math.factorial(fam.degree)
            numer = len(orbit) * fixing
            size_per = falling(n, b) * numer // scale
            formula = falling_formula(b)
            if numer != scale:
                ratio = Fraction(numer, scale)
                formula = (f"{ratio.numerator}·" if ratio.numerator != 1 else "") + formula
                formula += f"/{ratio.denominator}" if ratio.denominator != 1 else ""
            shapes.append((orbit, size_per, formula))
        if per_output and len(shapes) * layout.outputs > MAX_CLASSES:
            raise InvariantError(
                f"{len(shapes) * layout.outputs} classes ({layout.outputs} invariant outputs) exceed the limit "
                f"of {MAX_CLASSES}; use fewer outputs (an output channel count multiplies parameters, not classes)"
            )
        for o in outputs:
            for orbit, size_per, formula in shapes:
                if merged:  # one class over all n/2 outputs
                    size_per *= layout.outputs
                    formula = "n/2" if formula == "1" else f"n/2·{formula}"
                key = min(slot_key(layout, f, 0 if merged else o, q, sort=True) for q in orbit)
                rep = layout.index(*key)
                blocks = pattern_of(layout.slot_values(key))
                raw.append(ClassPattern(fam.name, f, o, blocks, orbit, size_per, formula, rep))
    raw.sort(key=lambda p: p.representative)
    tying = PatternTying(layout=layout, patterns=tuple(raw), merged=merged, free=tuple(range(len(raw))))
    total = sum(p.size for p in raw)
    if total != layout.num_weights:
        raise AssertionError(f"pattern classes cover {total} weights, the layout has {layout.num_weights}")
    return tying
