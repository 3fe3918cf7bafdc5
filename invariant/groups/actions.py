"""The output action: a rule ρ sending each group element to a signed permutation of the outputs.

An :class:`OutputAction` is the output side's :class:`~invariant.groups.representations.Representation`
(one channel; the channels are :class:`~invariant.groups.representations.Channels` of it).

For an input element g, ρ(g) = (π, s) acts on the output vector by (ρ(g) y)_o = s · y_{π⁻¹(o)}.
Equivariance is f(g·x) = ρ(g) f(x). The standard rules are formulas in g and therefore
homomorphisms by construction:

* ``permutation``: π = g acting on the output tensor's l indices (g itself for l = 1);
* ``trivial``: π = 1, s = 1 (M invariant outputs);
* ``sign``: π = 1, s = sgn(g);
* ``folded``: on pair-preserving g, the action on the pairs {i, i + n/2}.

A rule given by hand (``custom``: one output image per input generator) and the source note's
folded rule on transpositions are only rules on generators; whether they extend to a
homomorphism is proved or refuted by :func:`invariant.proofs.representation.check_action`.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> act = lower(LayerSpec(layer="linear", n=3, output="sign")).action
>>> [(format_cycles(g), format_cycles(p), s) for g, p, s in act.pairs]
[('(0 1)', '()', -1), ('(0 1 2)', '()', 1)]
>>> act.character((1, 0, 2))
-1
>>> lower(LayerSpec(layer="folded-linear", n=4)).action.is_formula
False
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from ..errors import InvariantError
from .permutation_groups import Group, all_transpositions, maps_pairs_to_pairs
from .permutations import Perm, compose, cycles, fixed_points, format_cycles, identity, induced, sign
from .representations import Representation

if TYPE_CHECKING:
    import numpy as np

#: The output permutations of the standard rules are built up to this many outputs.
MAX_MATERIALIZED_OUTPUTS = 1 << 22


class GeneratorPair(NamedTuple):
    """An input generator g (on the n points) and its signed output image (π, s)."""

    g: Perm
    pi: Perm
    s: int


@dataclass(frozen=True)
class OutputAction(Representation):
    """A rule ρ from the input group to signed permutations of the outputs.

    ``kind`` is permutation, trivial, sign, folded or custom; ``order`` the output tensor
    order l (permutation outputs; 0 otherwise); ``given`` the hand-given images (custom).
    As an expression: permutation T(l), trivial M*1, sign M*det (the sign of a permutation is
    the determinant of its matrix); the folded and hand-given rules are named by their kind.
    """

    kind: str
    group: Group
    outputs: int
    order: int = 0
    given: tuple[Perm, ...] = ()
    naive: bool = False

    def __post_init__(self) -> None:
        if self.kind == "custom" and len(self.given) != len(self.group.generators):
            raise InvariantError(
                f"{len(self.given)} output generators given for {len(self.group.generators)} "
                "input generators; give one per input generator, in order"
            )

    @property
    def axes(self) -> tuple[int, ...]:
        """(n,)*l for a permutation output of order l; (M,) for M outputs otherwise."""
        if self.kind == "permutation":
            return (self.group.n,) * self.order
        return (self.outputs,)

    @property
    def expression(self) -> str:
        """``T(l)``, ``M*1``, ``M*det``, ``folded`` or ``custom`` (no ``1*``)."""
        if self.kind == "permutation":
            return f"T({self.order})"
        name = {"trivial": "1", "sign": "det"}.get(self.kind, self.kind)
        return name if self.outputs == 1 or name == self.kind else f"{self.outputs}*{name}"

    @property
    def is_formula(self) -> bool:
        """Whether ρ(g) is a formula in g for every g (a homomorphism by construction)."""
        if self.kind in ("permutation", "trivial", "sign"):
            return True
        return self.kind == "folded" and self.group.name != "symmetric" and self.group.preserves_pairs()

    @cached_property
    def input_generators(self) -> tuple[Perm, ...]:
        """The generators whose constraints are matched (the group's, or the note's transpositions)."""
        if self.kind == "folded" and self.group.name == "symmetric":
            n = self.group.n
            if self.naive:
                return tuple(t for t in all_transpositions(n) if max(_moved(t)) < n // 2)
            return all_transpositions(n)
        # A rule given by hand pairs each given generator with its image: keep them all. A formula
        # rule holds for every element, so any generating set of the same group will do.
        return self.group.reduced_generators if self.is_formula else self.group.generators

    @cached_property
    def pairs(self) -> tuple[GeneratorPair, ...]:
        """The signed output image (π, s) of every matched input generator."""
        if self.kind == "custom":
            return tuple(GeneratorPair(g, pi, 1) for g, pi in zip(self.input_generators, self.given))
        if self.kind == "permutation" and self.outputs > MAX_MATERIALIZED_OUTPUTS:
            raise InvariantError(
                f"{self.outputs} outputs are too many to list their permutations (limit "
                f"{MAX_MATERIALIZED_OUTPUTS}); the pattern path needs none (symmetric or alternating group)"
            )
        return tuple(GeneratorPair(g, *self.image(g)) for g in self.input_generators)

    def image(self, g: Perm) -> tuple[Perm, int]:
        """ρ(g) = (π, s) for a rule that is a formula in g (the folded rule on transpositions too)."""
        if self.kind == "permutation":
            return induced(g, self.order), 1
        if self.kind == "trivial":
            return identity(self.outputs), 1
        if self.kind == "sign":
            return identity(self.outputs), sign(g)
        if self.kind == "folded":
            return folded_image(g), 1
        raise InvariantError("a hand-given output action has images only for its generators")

    def character(self, g: Perm) -> int:
        """χ_out(g) = s · (fixed points of π) for a formula rule."""
        if self.kind == "permutation":
            return fixed_points(g) ** self.order
        if self.kind == "trivial":
            return self.outputs
        if self.kind == "sign":
            return self.outputs * sign(g)
        pi, s = self.image(g)
        return s * fixed_points(pi)

    def sample(self, rng: np.random.Generator, max_length: int = 40) -> GeneratorPair:
        """A random element (g, π, s) of ⟨(g_i, ρ_i)⟩: a random word of random length."""
        return random_word(self.pairs, self.group.n, self.outputs, rng, max_length)


def random_word(pairs, n: int, outputs: int, rng: np.random.Generator, max_length: int = 40) -> GeneratorPair:
    """A random word in generator pairs (g, π, s): an element of ⟨(g_i, ρ_i)⟩.

    The length is drawn too (1..max_length), so powers of a single generator all occur.
    """
    g, pi, s = identity(n), identity(outputs), 1
    length = int(rng.integers(1, max_length + 1)) if pairs else 0
    for i in rng.integers(len(pairs), size=length):
        a, b, t = pairs[i]
        g, pi, s = compose(tuple(a), g), compose(tuple(b), pi), s * t
    return GeneratorPair(g, pi, s)


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


def _moved(g: Perm) -> list[int]:
    return [p for c in cycles(g) if len(c) > 1 for p in c]
