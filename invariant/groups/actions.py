"""The output action: a rule ρ sending each group element to a signed permutation of the outputs.

For an input element g, ρ(g) = (π, s) acts on the output vector by (ρ(g) y)_o = s · y_{π⁻¹(o)}.
Equivariance is f(g·x) = ρ(g) f(x). The standard rules are formulas in g and therefore
homomorphisms by construction:

* ``permutation``: π = g acting on the output tensor's l indices (g itself for l = 1);
* ``trivial``: π = 1, s = 1 (M invariant outputs);
* ``sign``: π = 1, s = sgn(g);
* ``folded``: on pair-preserving g, the action on the pairs {i, i + n/2}.

A rule given by hand (``custom``: one output image per input generator) and the source note's
folded rule on transpositions are only rules on generators; :meth:`OutputAction.check` proves
or refutes that they extend to a homomorphism (:meth:`OutputAction.check`): a rule that is a
formula in g is a homomorphism by construction; any other rule on generators extends to a
homomorphism exactly when D = ⟨(g_i, ρ_i)⟩ ≤ G × H has |D| = |G| (Schreier–Sims), and
otherwise a shortest word that is the identity on the inputs but not on the outputs is the
witness.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> act = lower(LayerSpec(layer="linear", n=3, output="sign")).action
>>> [(format_cycles(g), format_cycles(p), s) for g, p, s in act.pairs]
[('(0 1)', '()', -1), ('(0 1 2)', '()', 1)]
>>> act.character((1, 0, 2))
-1
>>> lower(LayerSpec(layer="folded-linear", n=4)).action.check().is_representation
False
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from ..errors import InvariantError
from .permutation_groups import Group, all_transpositions, describe_order, hyperoctahedral, maps_pairs_to_pairs, sympy_group
from .permutations import Perm, compose, cycles, fixed_points, format_cycles, identity, induced, sign

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
class OutputAction:
    """A rule ρ from the input group to signed permutations of the outputs.

    ``kind`` is permutation, trivial, sign, folded or custom; ``order`` the output tensor
    order l (permutation outputs; 0 otherwise); ``given`` the hand-given images (custom).
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

    def sample(self, rng: "np.random.Generator", max_length: int = 40) -> GeneratorPair:
        """A random element (g, π, s) of ⟨(g_i, ρ_i)⟩: a random word of random length."""
        return random_word(self.pairs, self.group.n, self.outputs, rng, max_length)

    def check(self) -> "ActionCheck":
        """Proof that ρ is a homomorphism of the input group, or a witness word that it is not."""
        return check_action(self)

    @property
    def is_homomorphism(self) -> bool:
        """Whether ρ extends to a homomorphism (see :meth:`check` for the proof or witness)."""
        return self.check().is_representation

    def diagonal_group(self):
        """D = ⟨(g_i, ρ_i)⟩ on n + outputs + 2 points (the last two carry the sign)."""
        return diagonal_group_of(self)


def random_word(pairs, n: int, outputs: int, rng: "np.random.Generator", max_length: int = 40) -> GeneratorPair:
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


@dataclass(frozen=True)
class ActionCheck:
    """Whether the output rule is a representation of the input group, with a witness if not."""

    is_representation: bool
    witness: str | None
    suggestion: str | None
    proof: str


#: The breadth-first witness search visits at most this many elements of D.
MAX_WITNESS_SEARCH = 50_000

_FORMULAS = {
    "permutation": "ρ(g) = g on the output indices",
    "trivial": "ρ(g) = 1",
    "sign": "ρ(g) = sgn(g)",
    "folded": "ρ(g) = the action of g on the pairs",
}


def check_action(action: "OutputAction") -> ActionCheck:
    """Prove or refute that the generator rule ρ extends to a homomorphism of the input group."""
    if action.is_formula:
        return ActionCheck(True, None, None, f"by construction: {_FORMULAS[action.kind]} is a homomorphism")
    if action.kind == "folded" and action.group.name == "symmetric" and not action.naive and action.group.n >= 4:
        return _folded_symmetric(action)
    pairs = action.pairs
    n = action.group.n
    group_order = int(sympy_group(n, tuple(p.g for p in pairs)).order())
    diagonal_order = int(diagonal_group_of(action).order())
    proof = f"Schreier–Sims: |⟨(g, ρ(g))⟩| = {describe_order(diagonal_order)}, |G| = {describe_order(group_order)}"
    if group_order != action.group.order:  # the note's naive procedure matches a subgroup only
        proof += (f", where G = ⟨matched generators⟩ is a subgroup of {action.group} (order "
                  f"{describe_order(action.group)}): a statement about that subgroup only")
    if diagonal_order == group_order:
        return ActionCheck(True, None, None, proof)
    return ActionCheck(False, _witness(action), _suggestion(action), proof)


def _folded_symmetric(action) -> ActionCheck:
    """The folded rule under S_n (n = 2m ≥ 4) fails on a word of four transpositions, at any n.

    (0 1)(0 m)(0 1) = (1 m) on the inputs, so w = (1 m)·(0 1)·(0 m)·(0 1) is the identity;
    the rule sends (0 m) to the identity and (0 1), (1 m) to (0 1), so w goes to (0 1).
    The word is composed here on its support, so this costs nothing at n = 10^6.
    """
    m = action.group.n // 2
    word = [(1, m), (0, 1), (0, m), (0, 1)]  # applied right to left

    def apply(letters, point, fold: bool):
        for a, b in reversed(letters):
            a, b = (a % m, b % m) if fold else (a, b)
            point = b if point == a else a if point == b else point
        return point

    support = {0, 1, m}
    assert all(apply(word, p, False) == p for p in support), "the word must be the identity on the inputs"
    image = tuple(apply(word, p, True) for p in range(2))
    assert image == (1, 0), "the word must swap outputs 0 and 1"
    text = "·".join(f"({a} {b})" for a, b in word)
    witness = (f"the product {text} (applied right to left) is the identity on the inputs but the rule maps it "
               "to (0 1) on the outputs")
    proof = f"a word in the transpositions is the identity on the {action.group.n} inputs and (0 1) on the outputs"
    return ActionCheck(False, witness, _suggestion(action), proof)


def diagonal_group_of(action):
    """D = ⟨(g_i, ρ_i)⟩ on n + outputs + 2 points (the last two carry the sign)."""
    n, m = action.group.n, action.outputs
    gens = []
    for g, pi, s in action.pairs:
        sign_part = (n + m, n + m + 1) if s > 0 else (n + m + 1, n + m)
        gens.append(tuple(g) + tuple(n + p for p in pi) + sign_part)
    return sympy_group(n + m + 2, tuple(gens))


def _witness(action) -> str:
    """A shortest word in the generators that is trivial on inputs but not on outputs."""
    pairs = action.pairs
    n, m = action.group.n, action.outputs
    start = (identity(n), identity(m), 1)
    parent = {start: None}
    queue = deque([start])
    while queue and len(parent) < MAX_WITNESS_SEARCH:
        node = queue.popleft()
        for i, (g, pi, s) in enumerate(pairs):
            nxt = (compose(g, node[0]), compose(pi, node[1]), s * node[2])
            if nxt in parent:
                continue
            parent[nxt] = (node, i)
            if nxt[0] == start[0]:
                return _describe_word(pairs, parent, nxt)
            queue.append(nxt)
    # Too large to search: take a generator of the kernel (no word).
    kernel = diagonal_group_of(action).pointwise_stabilizer(list(range(n)))
    for element in kernel.generators:
        images = element.array_form
        pi = tuple(p - n for p in images[n : n + m])
        s = 1 if images[n + m] == n + m else -1
        if pi != start[1] or s != 1:
            return f"an element of ⟨(g, ρ(g))⟩ is the identity on the inputs but acts on the outputs as {_out(pi, s)}"
    raise AssertionError("the kernel should be nontrivial")


def _describe_word(pairs, parent, node) -> str:
    letters = []
    while parent[node] is not None:
        node, i = parent[node][0], parent[node][1]
        letters.append(i)
    word = "·".join(format_cycles(pairs[i].g) for i in letters)
    return (
        f"the product {word} (applied right to left) is the identity on the inputs but the rule maps it "
        f"to {_out(*_image(pairs, letters))} on the outputs"
    )


def _image(pairs, letters):
    m = len(pairs[0].pi)
    pi, s = identity(m), 1
    for i in reversed(letters):
        pi, s = compose(pairs[i].pi, pi), s * pairs[i].s
    return pi, s


def _out(pi, s) -> str:
    text = format_cycles(pi)
    return text if s == 1 else (f"-{text}" if text != "()" else "-1 (a sign flip)")


def _suggestion(action) -> str | None:
    if action.kind == "folded":
        n = action.group.n
        return (
            "the folded rule is a real action of the hyperoctahedral group (permutations that map "
            f"the pairs {{i, i+{n // 2}}} to pairs, order {describe_order(hyperoctahedral(n))}): use the hyperoctahedral group"
        )
    return None
