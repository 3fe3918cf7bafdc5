"""The representation proof: whether an output rule ρ on generators is a homomorphism of the input group.

A rule that is a formula in g (permutation, trivial, sign, the folded rule on pair-preserving
groups) is a homomorphism by construction. Any other rule on generators (``custom``, the
source note's folded rule on transpositions) extends to a homomorphism exactly when the
diagonal group D = ⟨(g_i, ρ_i)⟩ ≤ G × H has |D| = |G| (Schreier–Sims); otherwise the
witness is a shortest word that is the identity on the inputs but not on the outputs.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> check_action(lower(LayerSpec(layer="linear", n=3, output="sign")).action).proof
'by construction: ρ(g) = sgn(g) is a homomorphism'
>>> check_action(lower(LayerSpec(layer="folded-linear", n=4)).action).is_representation
False
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..groups.actions import OutputAction
from ..groups.permutation_groups import describe_order, hyperoctahedral, sympy_group
from ..groups.permutations import Perm, compose, format_cycles, identity


@dataclass(frozen=True)
class ActionCheck:
    """Whether the output rule is a representation of the input group, with a witness if not."""

    is_representation: bool
    witness: str | None
    suggestion: str | None
    proof: str


#: The breadth-first witness search visits at most this many elements of D.
MAX_WITNESS_SEARCH = 50_000

#: An element (g, π, s) of D: a permutation of the inputs, one of the outputs, and a sign.
_Element = tuple[Perm, Perm, int]

_FORMULAS = {
    "permutation": "ρ(g) = g on the output indices",
    "trivial": "ρ(g) = 1",
    "sign": "ρ(g) = sgn(g)",
    "folded": "ρ(g) = the action of g on the pairs",
}


def check_action(action: OutputAction) -> ActionCheck:
    """Prove or refute that the generator rule ρ extends to a homomorphism of the input group."""
    if action.is_formula:
        return ActionCheck(True, None, None, f"by construction: {_FORMULAS[action.kind]} is a homomorphism")
    if action.kind == "folded" and action.group.name == "symmetric" and not action.naive and action.group.n >= 4:
        return _folded_symmetric(action)
    pairs = action.pairs
    n = action.group.n
    group_order = int(sympy_group(n, tuple(p.g for p in pairs)).order())
    diagonal_order = int(diagonal_group(action).order())
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


def diagonal_group(action: OutputAction):
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
    start: _Element = (identity(n), identity(m), 1)
    parent: dict[_Element, tuple[_Element, int] | None] = {start: None}  # (predecessor, generator)
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
    kernel = diagonal_group(action).pointwise_stabilizer(list(range(n)))
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
            f"the pairs {{i, i+{n // 2}}} to pairs, order {describe_order(hyperoctahedral(n))}): "
            "use the hyperoctahedral group"
        )
    return None
