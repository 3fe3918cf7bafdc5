"""The pattern path and the tensor-order layouts: brute force over the group, Bell numbers,
the three paths against each other, character formulas by moments against enumeration."""

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariant import InvariantError, LayerSpec, derive
from invariant.groups.permutation_groups import contains_alternating, named
from invariant.groups.permutations import cycle_type_counts, induced
from invariant.problem import lower
from invariant.proofs.characters import character_dimension, poly_character
from invariant.solvers.partitions import bell, pattern_of


def brute_force_classes(spec):
    """Orbits of the weights under every element of the group (n ≤ 5), by union-find.

    Each weight key (family, output, sorted input points) is moved by g on every index:
    output tuple and input tuples alike; the oracle uses nothing of the solver paths.
    """
    problem = lower(spec)
    lay = problem.layout
    keys = list(lay.keys())
    index = {k: i for i, k in enumerate(keys)}
    parent = list(range(len(keys)))

    def find(w):
        while parent[w] != w:
            parent[w] = parent[parent[w]]
            w = parent[w]
        return w

    elements = [tuple(p) for p in itertools.permutations(range(spec.n))]
    if spec.group == "alternating":
        from invariant.groups.permutations import sign

        elements = [g for g in elements if sign(g) == 1]
    for g in elements:
        gin = induced(g, lay.input_order)
        gout = induced(g, lay.output_order) if spec.output == "permutation" else tuple(range(lay.outputs))
        for w, (f, o, idx) in enumerate(keys):
            moved = (f, gout[o], tuple(sorted(gin[a] for a in idx)))
            a, b = find(w), find(index[moved])
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups = {}
    for w in range(len(keys)):
        groups.setdefault(find(w), []).append(w)
    return sorted(tuple(ws) for ws in groups.values())


def members_of(sol):
    return sorted(tuple(w for w, _ in sol.members(c)) for c in range(sol.num_classes))


ORDERS = [(k, l) for k in range(0, 4) for l in range(1, 4) if k + l <= 5]


@pytest.mark.parametrize("k, l", ORDERS)
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_linear_tensor_layers_match_brute_force_and_bell(k, l, n):
    spec = LayerSpec(layer="linear", n=n, input_order=k, output_order=l)
    sol = derive(spec)
    assert sol.method == "pattern" and sol.dimension.agree
    assert members_of(sol) == brute_force_classes(spec)
    # Set partitions of k + l slots with at most n blocks: Bell(k + l) once n >= k + l.
    expected = sum(1 for p in itertools.product(range(k + l), repeat=k + l)
                   if pattern_of(p) == p and max(p, default=-1) < n)
    assert sol.num_classes == expected
    if n >= k + l:
        assert sol.num_classes == bell(k + l)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(layer="quadratic", n=3, input_order=2, output="trivial", outputs=2),
        dict(layer="quadratic", n=3, input_order=1, output_order=2, with_linear=True, with_bias=True),
        dict(layer="quadratic", n=4, input_order=1, output_order=1, with_linear=True, with_bias=True),
        dict(layer="cubic", n=4, output="trivial", outputs=1),
        dict(layer="linear", n=5, input_order=2, output_order=1, group="alternating"),
        dict(layer="quadratic", n=5, group="alternating", output="sign", outputs=1),
    ],
)
def test_other_tensor_layers_match_brute_force(kwargs):
    spec = LayerSpec(**kwargs)
    sol = derive(spec)
    assert sol.dimension.agree
    assert members_of(sol) == brute_force_classes(spec)


def test_graph_layer_at_n_12_and_n_1000_has_15_classes():
    for n in (12, 1000):
        sol = derive(LayerSpec(layer="linear", n=n, input_order=2, output_order=2))
        assert (sol.num_classes, sol.dimension.derived, sol.dimension.character_formula) == (15, 15, 15)
    # Maron et al.: 2 -> 1 and 1 -> 2 have 5, 2 -> 0 has 2.
    assert derive(LayerSpec(layer="linear", n=12, input_order=2, output_order=1)).num_classes == 5
    assert derive(LayerSpec(layer="linear", n=12, input_order=1, output_order=2)).num_classes == 5
    assert derive(LayerSpec(layer="linear", n=12, input_order=2, output="trivial")).num_classes == 2


@pytest.mark.parametrize("k, l", [(1, 1), (2, 2), (1, 2), (2, 1)])
def test_three_paths_agree_on_tensor_layers(k, l):
    spec = LayerSpec(layer="linear", n=4, input_order=k, output_order=l, with_bias=True)
    answers = [members_of(derive(spec, method=m)) for m in ("pattern", "orbit", "symbolic")]
    assert answers[0] == answers[1] == answers[2]


def test_class_sizes_are_formulas_that_add_up_at_any_n():
    sol = derive(LayerSpec(layer="quadratic", n=10**6, with_linear=True, with_bias=True))
    assert sum(sol.class_size(c) for c in range(sol.num_classes)) == sol.num_weights
    assert [p.size_formula for p in sol.patterns][:4] == ["n", "n(n-1)", "n(n-1)", "n(n-1)(n-2)/2"]
    # The members shown at large n really belong to their class: same pattern of equal slots.
    for c, p in enumerate(sol.patterns):
        for w, s in sol.members(c, 5):
            key = sol.layout.key(w)
            assert s == 1 and key[0] == p.family_index
            assert pattern_of(sol.layout.slot_values(key)) in p.orbit


@pytest.mark.slow  # the symbolic path at n = 4 (over a second)
def test_hyperoctahedral_quadratic_classes_by_hand():
    # Orbits of (k, {i, j}) under B_m with pairs {a, ā}: kkk, k̄k̄, kk̄, ka, k̄a, aa, aā, ab (a, b other pairs).
    for n in (8, 12):
        sol = derive(LayerSpec(layer="quadratic", n=n, group="hyperoctahedral"))
        assert sol.num_classes == 8 and sol.dimension.agree
    assert character_dimension(lower(LayerSpec(layer="quadratic", n=256, group="hyperoctahedral"))) == 8


MOMENT_CASES = [(o, k, l) for o in ("permutation", "trivial", "sign") for k, l in ((1, 1), (2, 1), (1, 2))
                if o == "permutation" or l == 1]


@pytest.mark.parametrize("group", ["symmetric", "alternating", "hyperoctahedral"])
@pytest.mark.parametrize("output, k, l", MOMENT_CASES)
def test_moment_averages_equal_the_sum_over_the_group(group, output, k, l):
    for n in (4, 6):
        extra = dict(output_order=l) if output == "permutation" else dict(outputs=2)
        problem = lower(LayerSpec(layer="quadratic", n=n, group=group, output=output, input_order=k,
                                  with_linear=True, **extra))
        g = problem.group
        total = sum(
            mult * poly_character(problem.layout, cycle_type_counts(rep)) * problem.action.character(rep)
            for rep, mult in g.class_weights()
        )
        assert character_dimension(problem) == Fraction(total, g.order)


def test_folded_output_on_the_hyperoctahedral_group_by_moments():
    for n in (4, 6, 8):
        problem = lower(LayerSpec(layer="folded-quadratic", n=n, group="hyperoctahedral", with_bias=True))
        total = sum(
            mult * poly_character(problem.layout, cycle_type_counts(rep)) * problem.action.character(rep)
            for rep, mult in problem.group.class_weights()
        )
        assert character_dimension(problem) == Fraction(total, problem.group.order)


def test_generators_of_s_n_are_recognized_and_take_the_pattern_path():
    import random

    rng = random.Random(1)
    gens = []
    for _ in range(300):
        p = list(range(40))
        rng.shuffle(p)
        gens.append(tuple(p))
    spec = LayerSpec(layer="quadratic", n=40, generators=tuple(gens))
    sol = derive(spec)
    assert sol.method == "pattern" and sol.num_classes == 4 and sol.dimension.agree
    assert lower(spec).group.order == math.factorial(40)


def test_jordan_recognition_refuses_groups_that_are_not_alternating():
    # An imprimitive group (S_4 wr S_2 on 8 points) and a small transitive one (C_8).
    wreath = ((1, 0, 2, 3, 4, 5, 6, 7), (1, 2, 3, 0, 4, 5, 6, 7), (4, 5, 6, 7, 0, 1, 2, 3))
    assert not contains_alternating(8, wreath)
    assert not contains_alternating(8, ((1, 2, 3, 4, 5, 6, 7, 0),))
    assert contains_alternating(9, named("symmetric", 9).generators)
    sol = derive(LayerSpec(layer="linear", n=8, generators=wreath))
    assert sol.method != "pattern" and sol.dimension.agree


@given(st.integers(1, 7), st.sampled_from(["linear", "quadratic", "cubic"]), st.booleans(), st.booleans())
def test_pattern_and_orbit_paths_agree_on_random_sizes(n, layer, linear, bias):
    spec = LayerSpec(layer=layer, n=n, with_linear=linear and layer != "linear", with_bias=bias)
    a, b = derive(spec, method="pattern"), derive(spec, method="orbit")
    assert members_of(a) == members_of(b) and a.dimension.agree


def test_pattern_path_refuses_what_it_cannot_prove():
    with pytest.raises(InvariantError, match="needs n >= 5 for the alternating group"):
        derive(LayerSpec(layer="quadratic", n=4, group="alternating"), method="pattern")
    with pytest.raises(InvariantError, match="triangular"):
        derive(LayerSpec(layer="quadratic", n=4, param="full"), method="pattern")
    with pytest.raises(InvariantError, match=r"classes .* exceed the limit"):
        derive(LayerSpec(layer="linear", n=10, output="trivial", outputs=10**9))


@pytest.mark.parametrize("n", [4, 6, 8, pytest.param(10, marks=pytest.mark.slow)])
def test_folded_rule_under_s_n_by_patterns_equals_the_symbolic_path(n):
    from invariant.groups.actions import folded_image
    from invariant.groups.permutations import compose, identity, parse_cycles

    spec = LayerSpec(layer="folded-quadratic", n=n, with_linear=True, with_bias=True)
    pattern, symbolic = derive(spec), derive(spec, method="symbolic")
    assert pattern.method == "pattern" and members_of(pattern) == members_of(symbolic)
    assert pattern.dimension.agree and symbolic.dimension.agree
    # The constructed witness, composed on all n points: identity on inputs, not on outputs.
    word = pattern.action.witness.split("the product ")[1].split(" (applied")[0].split("·")
    g, pi = identity(n), identity(n // 2)
    for letter in reversed([parse_cycles(t, n) for t in word]):
        g, pi = compose(letter, g), compose(folded_image(letter), pi)
    assert g == identity(n) and pi != identity(n // 2)


def test_folded_rule_at_a_million_points():
    sol = derive(LayerSpec(layer="folded-linear", n=10**6, with_bias=True))
    assert sol.method == "pattern" and not sol.action.is_representation
    assert [sol.class_size(c) for c in range(sol.num_classes)] == [5 * 10**11, 5 * 10**5]
    assert sol.dimension.derived == sol.dimension.character_formula == 2
