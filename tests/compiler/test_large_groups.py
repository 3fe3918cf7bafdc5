"""Issue 21: any accepted group works, sized before it is analysed, with an honest dimension proof.

Oracles are facts about the groups, not this code: a 2-transitive group has two orbits on
ordered pairs (the linear layer's dimension is 2), a 3-transitive one four orbits on
(output, unordered input pair) (the quadratic layer's is 4, as for S_n); the cyclic group's
linear equivariant maps are the n-dimensional circulants. M24, M22 and PSL(2, 127) are built
here from their textbook generators and checked against their known orders.
"""

import random
import time
from pathlib import Path

import pytest

from invariant import InvariantError, LayerSpec, derive
from invariant.groups.permutation_groups import MAX_ENUMERATED_ORDER, custom, sympy_group
from invariant.groups.permutations import (
    MAX_GENERATOR_ENTRIES,
    compose,
    parse_cycles,
    parse_generators,
)
from invariant.report import to_dict, to_latex, to_text
from invariant.solvers.choice import MAX_RECOGNIZED_N
from invariant.spec import MAX_CUSTOM_N, MAX_GENERATORS


def psl2(p: int):
    """PSL(2, p) on the projective line 0..p-1, ∞ = p: x ↦ x + 1 and x ↦ -1/x."""
    t = tuple(list(range(1, p)) + [0, p])
    s = tuple([p] + [(-pow(x, -1, p)) % p for x in range(1, p)] + [0])
    return t, s


def m24():
    """M24 on the projective line of F_23 (∞ = 23): x + 1, 2x, -1/x and Conway's δ (x³/9 on squares, 9x³ else)."""
    p = inf = 23
    squares = {x * x % p for x in range(1, p)}

    def perm(f):
        return tuple(f(x) for x in range(p + 1))

    return (
        perm(lambda x: inf if x == inf else (x + 1) % p),
        perm(lambda x: inf if x == inf else 2 * x % p),
        perm(lambda x: 0 if x == inf else inf if x == 0 else (-pow(x, -1, p)) % p),
        perm(lambda x: x if x in (0, inf)
             else pow(x, 3, p) * pow(9, -1, p) % p if x in squares else 9 * pow(x, 3, p) % p),
    )


def m22():
    """M22: the stabilizer in M24 of the points 23 and 22, on the other 22 points."""
    stabilizer = sympy_group(24, m24()).stabilizer(23).stabilizer(22)
    return tuple(tuple(g.array_form[:22]) for g in stabilizer.generators)


LARGE = {  # name: (n, generators, known order, multiply transitive degree)
    "M24": (24, m24, 244_823_040, 5),
    "M22": (22, m22, 443_520, 3),
    "PSL(2,127)": (128, lambda: psl2(127), 127 * (127**2 - 1) // 2, 2),
}


@pytest.mark.parametrize("n, text, dim", [
    (4, "(0 1); (1 2); (2 3); (0 3)", 2),  # S_4 by four transpositions (the repro): 2 orbits on pairs
    (8, "(0 1 2 3 4 5 6 7); (0 2 4 6)(1 3 5 7); (); (0 1 2 3 4 5 6 7); (0 3 6 1 4 7 2 5)", 8),  # C_8: circulants
    (4, "(0 1 2 3); (0 2)(1 3); (1 3); (0 2); (0 1)(2 3)", 3),  # D_4 on a square: same, adjacent, opposite
])
def test_four_or_more_generators_derive_and_prove(n, text, dim):
    sol = derive(LayerSpec(layer="linear", n=n, generators=text))
    assert sol.function_dim == dim and sol.dimension.agree is True and sol.action.is_representation


def test_redundant_generators_are_dropped_without_recursion():
    c8 = parse_generators("(0 1 2 3 4 5 6 7); (0 2 4 6)(1 3 5 7); (); (0 1 2 3 4 5 6 7)", 8)
    group = custom(8, c8)
    assert group.reduced_generators == c8[:1] and group.order == 8 and group.family == "custom"
    assert custom(5, ((0, 1, 2, 3, 4),) * 4).reduced_generators == ()
    many = custom(8, tuple(c8[i % 4] for i in range(MAX_GENERATORS)))  # the documented maximum, redundant
    assert many.reduced_generators == c8[:1]
    assert derive(LayerSpec(layer="linear", n=8, generators=many.given)).function_dim == 8


@pytest.mark.parametrize("name", sorted(LARGE))
def test_groups_too_large_to_enumerate_get_their_derivation(name):
    n, make, order, transitivity = LARGE[name]
    gens = make()
    assert int(sympy_group(n, gens).order()) == order > MAX_ENUMERATED_ORDER  # the construction is right
    layer = "quadratic" if transitivity >= 3 else "linear"
    sol = derive(LayerSpec(layer=layer, n=n, generators=gens))
    assert sol.function_dim == (4 if layer == "quadratic" else 2)
    assert sol.problem.group.order == order
    assert sol.action.is_representation and sol.action.proof.startswith("by construction")
    check = sol.dimension
    assert check.character_formula is None and check.agree is None
    assert "proof by characters is missing" in check.missing and str(order) in check.missing
    assert f"up to order {MAX_ENUMERATED_ORDER}" in check.missing
    assert to_dict(sol)["dimension_check"] == {"derived": sol.function_dim, "character_formula": None, "agree": None,
                                               "missing": check.missing}
    assert to_text(sol).splitlines()[-1] == (f"dimension: derived {sol.function_dim}, character formula not computed: "
                                             f"{check.missing}")
    assert "Character formula not computed" in to_latex(sol)


def test_a_hand_given_output_rule_on_a_large_group_is_proved_by_schreier_sims():
    # Every generator acts trivially on the two outputs: a rule given by hand, checked rather than assumed.
    sol = derive(LayerSpec(layer="linear", n=24, generators=m24(), output_generators="; ".join(["()"] * 4), outputs=2))
    assert sol.action.is_representation and "Schreier–Sims" in sol.action.proof and "244823040" in sol.action.proof
    assert sol.function_dim == 2  # one invariant per output, the sum of the inputs (M24 is transitive)


def test_a_large_hand_given_group_is_refused_before_it_is_analysed():
    n = 20_000
    start = time.process_time()
    with pytest.raises(InvariantError, match=f"only on n <= {MAX_RECOGNIZED_N}"):
        derive(LayerSpec(layer="linear", n=n, generators=(tuple((i + 1) % n for i in range(n)),)))
    assert time.process_time() - start < 1.0


def test_jordans_test_refuses_a_transitive_group_that_is_not_alternating_at_once():
    n = MAX_RECOGNIZED_N
    cycle = tuple((i + 1) % n for i in range(n))
    start = time.process_time()
    with pytest.raises(InvariantError, match="Jordan's test does not find"):
        derive(LayerSpec(layer="linear", n=n, generators=(cycle, compose(cycle, cycle))))
    assert time.process_time() - start < 1.0
    sol = derive(LayerSpec(layer="linear", n=n, generators=(cycle, (1, 0) + tuple(range(2, n)))))  # S_n: recognized
    assert sol.method == "pattern" and sol.function_dim == 2 and sol.dimension.agree


def test_cycles_are_applied_on_their_support():
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(1, 9)
        cycles = [rng.sample(range(n), rng.randint(1, n)) for _ in range(rng.randint(1, 4))]
        expected = tuple(range(n))
        for c in reversed(cycles):  # right to left, each cycle composed on the left
            images = list(range(n))
            for a, b in zip(c, c[1:] + c[:1]):
                images[a] = b
            expected = compose(tuple(images), expected)
        assert parse_cycles("".join("(" + " ".join(map(str, c)) + ")" for c in cycles), n) == expected
    n = 20_000
    start = time.process_time()
    pairs = parse_cycles("".join(f"({i} {i + 1})" for i in range(0, n, 2)), n)
    assert time.process_time() - start < 0.5 and pairs[:4] == (1, 0, 3, 2)


def test_generator_entries_are_limited_before_tuples_are_built():
    with pytest.raises(InvariantError, match="image entries"):
        parse_generators("; ".join(["(0 1)"] * (MAX_GENERATOR_ENTRIES // MAX_CUSTOM_N + 1)), MAX_CUSTOM_N)
    with pytest.raises(InvariantError, match="image entries"):
        custom(MAX_CUSTOM_N, ((1, 0) + tuple(range(2, MAX_CUSTOM_N)),) * (MAX_GENERATOR_ENTRIES // MAX_CUSTOM_N + 1))


def test_every_limit_on_groups_is_stated_in_the_readme():
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    limits = " ".join(text.split("**Limits.**", 1)[1].split("\n\n", 1)[0].split())
    for value in (MAX_ENUMERATED_ORDER, MAX_RECOGNIZED_N, MAX_GENERATOR_ENTRIES, MAX_CUSTOM_N, MAX_GENERATORS):
        assert f"{value:,}" in limits, value
    assert "Jordan" in limits and "not computed" in limits
