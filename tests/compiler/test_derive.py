"""derive: the note's results, oracles on small cases and properties on random groups."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given
from oracles import orbit_partition
from strategies import custom_specs
from sympy import Rational

from invariant import InvariantError, LayerSpec, derive
from invariant.equivariance import equivariance_error, sampler
from invariant.numeric import evaluate
from invariant.problem import lower
from invariant.solvers.matching import constraints


def names_of(sol, members):
    return {sol.weights[w] for w in members}


def class_members(sol):
    """Every class as a tuple of its member weights (canonical order)."""
    return [tuple(w for w, _ in sol.members(c)) for c in range(sol.num_classes)]


def class_signs(sol):
    return [tuple(s for _, s in sol.members(c)) for c in range(sol.num_classes)]


def test_linear_symmetric_is_alpha_identity_plus_beta_ones():
    # The note, section 2: W = αI + β11ᵀ.
    for n in range(2, 7):
        sol = derive(LayerSpec.build(layer="linear", n=n))
        classes = [names_of(sol, c) for c in class_members(sol)]
        assert classes == [{f"W[{i},{i}]" for i in range(n)},
                           {f"W[{k},{i}]" for k in range(n) for i in range(n) if i != k}]


def test_quadratic_symmetric_has_four_classes_for_n_at_least_3():
    # Orbits of S_n on (k, {i, j}): i=j=k, i=j≠k, k∈{i,j} with i≠j, k∉{i,j}.
    for n in range(3, 9):
        sol = derive(LayerSpec.build(layer="quadratic", n=n))
        sizes = sorted(len(c) for c in class_members(sol))
        assert sizes == sorted([n, n * (n - 1), n * (n - 1), n * (n - 1) * (n - 2) // 2])
        assert sol.dimension.agree and sol.action.is_representation


def test_quadratic_with_linear_and_bias_is_the_note_general_form():
    # y = (Ax)·x + Bx + C: 4 + 2 + 1 free parameters.
    sol = derive(LayerSpec.build(layer="quadratic", n=5, with_linear=True, with_bias=True))
    assert sol.num_free == 7 and sol.dimension.character_formula == 7


def test_full_parametrization_gives_the_note_additive_constraint():
    # W^h_hk + W^h_kh = W^k_hk + W^k_kh for every solution, while W^h_hk alone is not tied to W^k_hk.
    n = 4
    sol = derive(LayerSpec.build(layer="quadratic", n=n, param="full"))
    idx = {name: i for i, name in enumerate(sol.weights)}
    expansion = sol.expansion()
    for p in range(sol.num_free):
        w = [Rational(0)] * sol.num_weights
        for i, q, a in expansion:
            if q == p:
                w[i] += a
        for h in range(n):
            for k in range(n):
                if h != k:
                    lhs = w[idx[f"W[{h},{h},{k}]"]] + w[idx[f"W[{h},{k},{h}]"]]
                    rhs = w[idx[f"W[{k},{h},{k}]"]] + w[idx[f"W[{k},{k},{h}]"]]
                    assert lhs == rhs
    assert sol.tying.dependent, "additive constraints must produce dependent weights"
    # Gauge: every antisymmetric part is invisible, n * n(n-1)/2 directions; 4 functions remain.
    assert sol.function_dim == 4 and len(sol.gauge) == n * n * (n - 1) // 2
    assert sol.num_free == sol.function_dim + len(sol.gauge)


def test_note_folded_pattern_is_reproduced_by_the_naive_procedure():
    sol = derive(LayerSpec.build(layer="folded-linear", n=6, naive=True))
    rows = [[sol.tying.label(k * 6 + i)[0] for i in range(6)] for k in range(3)]
    # The note's rows "5 1 1 2 3 4": diagonal class, one off-diagonal class, one class per column 3..5.
    diag, off = rows[0][0], rows[0][1]
    assert [rows[k][k] for k in range(3)] == [diag] * 3
    assert {rows[k][i] for k in range(3) for i in range(3) if i != k} == {off}
    assert [len({rows[k][i] for k in range(3)}) for i in range(3, 6)] == [1, 1, 1]
    assert len({diag, off, rows[0][3], rows[0][4], rows[0][5]}) == 5


def test_naive_folded_pattern_is_not_equivariant():
    rng = np.random.default_rng(0)
    naive = derive(LayerSpec.build(layer="folded-linear", n=6, naive=True))
    w = naive.basis() @ (rng.standard_normal(naive.num_free))
    # Swapping x_0 and x_3 is folded to the identity on outputs, yet it changes y_0.
    x = rng.standard_normal(6)
    x_swapped = x[[3, 1, 2, 0, 4, 5]]
    W = w.reshape(3, 6)
    assert abs((W @ x)[0] - (W @ x_swapped)[0]) > 1e-3
    for group in ("symmetric", "hyperoctahedral"):
        spec = LayerSpec.build(layer="folded-linear", n=6, group=group)
        assert equivariance_error(partial(evaluate, spec, w), sampler(spec), rng, trials=10).error > 1e-3


@pytest.mark.parametrize("layer", ["folded-linear", "folded-quadratic"])
def test_hyperoctahedral_folded_layers_are_equivariant_numerically(layer):
    rng = np.random.default_rng(1)
    sol = derive(LayerSpec.build(layer=layer, n=6, group="hyperoctahedral"))
    w = sol.basis() @ (rng.standard_normal(sol.num_free))
    assert equivariance_error(partial(evaluate, sol.spec, w), sampler(sol.spec), rng, trials=10).error < 1e-12
    assert equivariance_error(partial(evaluate, sol.spec, rng.standard_normal(sol.num_weights)), sampler(sol.spec), rng,
                              trials=10).error > 1e-3


NUMERIC_CASES = [
    dict(layer="linear", n=5),
    dict(layer="linear", n=5, with_bias=True, output="trivial", outputs=2),
    dict(layer="quadratic", n=5, with_linear=True, with_bias=True),
    dict(layer="quadratic", n=5, output="sign"),
    dict(layer="quadratic", n=4, param="full", with_linear=True),
    dict(layer="quadratic", n=6, group="cyclic"),
    dict(layer="quadratic", n=5, group="dihedral", output="trivial"),
    dict(layer="quadratic", n=5, group="alternating", output="sign", outputs=2),
    dict(layer="linear", n=6, group="hyperoctahedral"),
    dict(layer="folded-quadratic", n=4),
    dict(layer="linear", n=3, output_generators="(0 1); ()", outputs=2),
]


@pytest.mark.parametrize("kwargs", NUMERIC_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_derived_weights_are_equivariant_and_random_weights_are_not(kwargs):
    rng = np.random.default_rng(2)
    sol = derive(LayerSpec.build(**kwargs))
    assert sol.dimension.agree
    w = sol.basis() @ (rng.standard_normal(sol.num_free))
    assert equivariance_error(partial(evaluate, sol.spec, w), sampler(sol.spec), rng, trials=10).error < 1e-12
    assert equivariance_error(partial(evaluate, sol.spec, rng.standard_normal(sol.num_weights)), sampler(sol.spec), rng,
                              trials=10).error > 1e-3


def test_alternating_group_allows_more_than_the_symmetric_group():
    # A_3 = C_3 does not see the reflection: an antisymmetric-in-pairs quadratic term survives.
    s = derive(LayerSpec.build(layer="quadratic", n=3, group="symmetric", output="sign"))
    a = derive(LayerSpec.build(layer="quadratic", n=3, group="alternating", output="sign"))
    assert s.num_free == 0 and a.num_free == 2


def test_pattern_and_orbit_paths_agree_at_n_64_with_the_character_formula():
    spec = LayerSpec.build(layer="quadratic", n=64, with_linear=True, with_bias=True)
    sol, orbit = derive(spec), derive(spec, method="orbit")
    assert sol.method == "pattern" and sol.num_free == 7 and sol.dimension.agree
    assert orbit.num_free == 7 and orbit.dimension.agree
    assert [sol.class_size(c) for c in range(7)] == [orbit.class_size(c) for c in range(7)]
    assert [sol.representative(c) for c in range(7)] == [orbit.representative(c) for c in range(7)]


def test_oversized_symbolic_requests_stop_at_once():
    with pytest.raises(InvariantError, match=r"too large.*triangular parametrization"):
        derive(LayerSpec.build(layer="quadratic", n=20, param="full"))
    with pytest.raises(InvariantError, match="orbit path needs the triangular parametrization"):
        derive(LayerSpec.build(layer="quadratic", n=4, param="full"), method="orbit")


def _check_against_oracles(spec):
    sym = derive(spec, method="symbolic")
    assert sym.dimension.agree
    paths = [derive(spec, method="orbit")]
    if derive(spec).method == "pattern":
        paths.append(derive(spec, method="pattern"))
    for other in paths:  # the peer paths give the identical answer, class by class
        assert class_members(other) == class_members(sym) and class_signs(other) == class_signs(sym)
        assert other.tying.zeros() == sym.tying.zeros()
    classes, zeros = orbit_partition(spec)
    assert {frozenset(c) for c in class_members(sym)} == classes
    assert set(sym.tying.zeros()) == zeros
    # Every basis vector satisfies every constraint exactly.
    rows = constraints(lower(spec))
    for p in range(sym.num_free):
        w = {}
        for i, q, a in sym.expansion():
            if q == p:
                w[i] = w.get(i, 0) + a
        for row in rows:
            assert sum(Rational(str(c)) * w.get(i, 0) for i, c in row.items()) == 0


@pytest.mark.slow  # the symbolic path over random groups: 1 to 7 s, by the groups drawn
@given(custom_specs())
def test_random_groups_symbolic_orbit_oracle_and_character_agree(spec):
    _check_against_oracles(spec)


@pytest.mark.slow  # the symbolic path over random groups
@given(custom_specs(max_n=5, layers=("quadratic",)))
def test_random_groups_full_parametrization(spec):
    import dataclasses

    full = dataclasses.replace(spec, param="full")
    sol = derive(full)
    tri = derive(spec)
    assert sol.dimension.agree and sol.function_dim == tri.num_free
    rng = np.random.default_rng(0)
    w = sol.basis() @ (rng.standard_normal(sol.num_free))
    assert equivariance_error(partial(evaluate, full, w), sampler(full), rng, trials=4).error < 1e-12


@pytest.mark.parametrize("n", [3, 4, 5, pytest.param(6, marks=pytest.mark.slow)])
@pytest.mark.parametrize("group", ["symmetric", "alternating", "cyclic", "dihedral"])
def test_named_groups_against_oracles(n, group):
    for output in ("permutation", "trivial", "sign"):
        _check_against_oracles(LayerSpec.build(layer="quadratic", n=n, group=group, output=output, with_linear=True))


@pytest.mark.parametrize("group", [pytest.param("symmetric", marks=pytest.mark.slow), "cyclic", "dihedral"])
def test_cubic_layers_against_oracles(group):
    for n in (3, 4, 5):
        _check_against_oracles(LayerSpec.build(layer="cubic", n=n, group=group, with_linear=True))


def test_cubic_symmetric_classes_are_orbits_of_index_patterns():
    # S_n orbits of (k, multiset {i, j, l}) for n >= 4: multiplicity pattern of {i,j,l}
    # (3, 2+1, 1+1+1) times where k sits: 2 + 3 + 2 = 7 classes.
    for n in (4, 6, 30):
        sol = derive(LayerSpec.build(layer="cubic", n=n))
        assert sol.num_free == 7 and sol.dimension.agree


@pytest.mark.parametrize("output, outputs", [("trivial", 2), ("sign", 1), ("permutation", None)])
def test_the_trivial_group_ties_nothing_on_every_path(output, outputs):
    """No generator to match: every weight is its own free class, on the orbit path too (which once
    broadcast an empty orbit row into the weights for fixed outputs). The oracle: nothing is tied."""
    spec = LayerSpec(layer="quadratic", n=3, generators="()", output=output, outputs=outputs, with_linear=True,
                     with_bias=True)
    for method in ("orbit", "symbolic"):
        sol = derive(spec, method=method)
        assert (sol.num_classes, sol.num_free, sol.tying.num_zeros) == (sol.num_weights, sol.num_weights, 0)
        assert sol.dimension.agree
