"""How each input generator acts on the outputs: the output action as generator images.

The action of an input generator g on the output vector y is a signed permutation
(π, s): (ρ(g) y)_k = s · y_{π⁻¹(k)}. Equivariance is f(g·x) = ρ(g) f(x).

The folded rule of the source note is defined on transpositions, (a b) ↦ (a mod m, b mod m)
with m = n/2, and on permutations that map the pairs {i, i+m} to pairs, which act on the
pairs. For the symmetric group the note's procedure uses every transposition as a generator;
``naive`` keeps only the transpositions inside the first half, as the note's code did.

>>> from invariant.spec import LayerSpec
>>> pairs = generator_pairs(LayerSpec.build(layer="linear", n=3, output="sign"))
>>> [(format_cycles(g), format_cycles(p), s) for g, p, s in pairs]
[('(0 1)', '()', -1), ('(0 1 2)', '()', 1)]
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import InvariantError
from .groups import all_transpositions, maps_pairs_to_pairs
from .perms import Perm, cycles, format_cycles, identity, sign
from .spec import LayerSpec


class GeneratorPair(NamedTuple):
    """An input generator g and its signed output image (π, s)."""

    g: Perm
    pi: Perm
    s: int


def input_generators(spec: LayerSpec) -> tuple[Perm, ...]:
    """The generators whose constraints are matched (the group's, or the note's transpositions)."""
    if spec.output == "folded" and spec.group == "symmetric":
        if spec.naive:
            m = spec.n // 2
            return tuple(t for t in all_transpositions(spec.n) if max(_moved(t)) < m)
        return all_transpositions(spec.n)
    return spec.input_group.generators


def folded_image(g: Perm) -> Perm:
    """The note's folded rule: pair action if g maps pairs to pairs, else (a b) ↦ (a mod m, b mod m)."""
    m = len(g) // 2
    if maps_pairs_to_pairs(g):
        return tuple(g[i] % m for i in range(m))
    moved = _moved(g)
    if len(moved) != 2:
        raise InvariantError(
            f"the folded rule is defined for transpositions and pair-preserving permutations; "
            f"{format_cycles(g)} is neither"
        )
    a, b = (p % m for p in moved)
    images = list(identity(m))
    images[a], images[b] = b, a
    return tuple(images)


def generator_pairs(spec: LayerSpec) -> tuple[GeneratorPair, ...]:
    """The signed output image (π, s) of every input generator."""
    gens = input_generators(spec)
    if spec.output == "custom":
        return tuple(GeneratorPair(g, pi, 1) for g, pi in zip(gens, spec.output_generators))
    pairs = []
    for g in gens:
        if spec.output == "permutation":
            pairs.append(GeneratorPair(g, g, 1))
        elif spec.output == "trivial":
            pairs.append(GeneratorPair(g, identity(spec.outputs), 1))
        elif spec.output == "sign":
            pairs.append(GeneratorPair(g, identity(spec.outputs), sign(g)))
        else:
            pairs.append(GeneratorPair(g, folded_image(g), 1))
    return tuple(pairs)


def output_is_function_of_input(spec: LayerSpec) -> bool:
    """Whether ρ(g) is given by a formula in g for every g (so ρ is a homomorphism by design).

    True for the permutation, trivial and sign actions of the group's own generators, and
    for the folded action of a pair-preserving group. Custom outputs and the folded rule on
    transpositions that split pairs must be checked.
    """
    if spec.output in ("permutation", "trivial", "sign"):
        return True
    return spec.output == "folded" and spec.group != "symmetric" and spec.input_group.preserves_pairs()


def output_character(spec: LayerSpec, g: Perm) -> int:
    """χ_out(g) = s · fix(π) for the standard actions (see :func:`output_is_function_of_input`)."""
    if spec.output == "permutation":
        return sum(1 for i, gi in enumerate(g) if i == gi)
    if spec.output == "trivial":
        return spec.outputs
    if spec.output == "sign":
        return spec.outputs * sign(g)
    pi = folded_image(g)
    return sum(1 for i, p in enumerate(pi) if i == p)


def _moved(g: Perm) -> list[int]:
    return [p for c in cycles(g) if len(c) > 1 for p in c]
