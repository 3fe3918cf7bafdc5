"""Representations: images and characters against permutation matrices the test builds itself."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invariant.errors import InvariantError
from invariant.groups.expressions import parse
from invariant.groups.permutation_groups import named
from invariant.groups.representations import Channels, TensorPower, expression_character
from invariant.problem import lower
from invariant.spec import LayerSpec
from tests.oracles import elements_of


def permutation_matrix(images):
    """P e_a = e_{images[a]}."""
    m = len(images)
    p = np.zeros((m, m))
    p[list(images), range(m)] = 1
    return p


def tensor_matrix(g, k):
    """g^{⊗k} as the Kronecker power of its permutation matrix (row-major k-tuples)."""
    out = np.ones((1, 1))
    for _ in range(k):
        out = np.kron(out, permutation_matrix(g))
    return out


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["symmetric", "cyclic", "dihedral", "alternating"]), n=st.integers(3, 5),
       k=st.integers(0, 3), copies=st.integers(1, 3), data=st.data())
def test_tensor_power_images_and_characters_are_the_kronecker_powers(name, n, k, copies, data):
    group = named(name, n)
    rep = Channels(TensorPower(group, k), copies)
    g = data.draw(st.sampled_from(sorted(elements_of(group.generators))))
    pi, s = rep.image(g)
    expected = tensor_matrix(g, k)
    assert s == 1
    assert np.array_equal(permutation_matrix(pi), expected)
    assert rep.character(g) == copies * round(np.trace(expected))
    assert rep.dimension == copies * n**k == copies * expected.shape[0]
    assert rep.axes == (n,) * k and rep.order == k and rep.group == group


def test_expressions_name_the_representations():
    s4 = named("symmetric", 4)
    assert [TensorPower(s4, k).expression for k in range(3)] == ["1", "T(1)", "T(2)"]
    assert Channels(TensorPower(s4, 2), 3).expression == "3*T(2)"
    assert Channels(TensorPower(s4, 1), 1).expression == "T(1)"
    cases = {
        LayerSpec(layer="linear", n=4): ("T(1)", "T(1)"),
        LayerSpec(layer="linear", n=4, output="trivial", outputs=3): ("T(1)", "3*1"),
        LayerSpec(layer="linear", n=4, output="trivial"): ("T(1)", "1"),
        LayerSpec(layer="linear", n=4, output="sign", in_channels=2, out_channels=5): ("2*T(1)", "5*det"),
        LayerSpec(layer="linear", n=3, input_order=2, output_order=3): ("T(2)", "T(3)"),
        LayerSpec(layer="linear", n=4, input_order=0, output_order=0): ("1", "1"),
        LayerSpec(layer="folded-linear", n=4): ("T(1)", "folded"),
        LayerSpec(layer="linear", n=3, output_generators="(0 1); ()", outputs=2): ("T(1)", "custom"),
    }
    for spec, (source, target) in cases.items():
        problem = lower(spec)
        assert (problem.input.expression, problem.output.expression) == (source, target), spec


def test_sign_output_is_the_determinant_of_the_permutation_matrix():
    problem = lower(LayerSpec(layer="linear", n=4, output="sign", outputs=2))
    for g in elements_of(problem.group.generators):
        assert problem.action.character(g) == 2 * round(np.linalg.det(permutation_matrix(g)))


@pytest.mark.parametrize("spec", [
    LayerSpec(layer="quadratic", n=5, in_channels=2, out_channels=3),
    LayerSpec(layer="cubic", n=3, input_order=2, output_order=2, with_linear=True, with_bias=True),
    LayerSpec(layer="quadratic", n=6, output="trivial", outputs=4, group="cyclic", param="full"),
    LayerSpec(layer="folded-quadratic", n=6, group="hyperoctahedral"),
])
def test_the_layout_is_read_off_the_representations(spec):
    problem = lower(spec)
    lay = problem.layout
    assert (lay.n, lay.input_order, lay.output_order) == (spec.n, spec.input_order, spec.output_order)
    assert (lay.outputs, lay.in_channels, lay.out_channels) == (spec.outputs, spec.in_channels, spec.out_channels)
    assert lay.points == problem.input.base.dimension == spec.n**spec.input_order
    assert problem.output.dimension == spec.outputs * spec.out_channels
    tuples = itertools.product(range(lay.points), repeat=spec.degree)
    kept = [t for t in tuples if spec.param == "full" or list(t) == sorted(t)]
    assert lay.per_output(0) == len(kept)


def test_bad_orders_and_multiplicities_are_refused():
    s3 = named("symmetric", 3)
    with pytest.raises(InvariantError, match="non-negative"):
        TensorPower(s3, -1)
    with pytest.raises(InvariantError, match="positive integer"):
        Channels(TensorPower(s3, 1), 0)


@pytest.mark.parametrize("spec", [
    LayerSpec(layer="linear", n=4, in_channels=3),
    LayerSpec(layer="linear", n=4, output="trivial", outputs=3),
    LayerSpec(layer="linear", n=4, output="sign", outputs=2, out_channels=2, group="dihedral"),
    LayerSpec(layer="linear", n=3, input_order=2, output_order=3, group="cyclic"),
    LayerSpec(layer="linear", n=4, input_order=0, output_order=0),
])
def test_each_representation_means_what_its_expression_says(spec):
    problem = lower(spec)
    for rep in (problem.input, problem.output):
        e = parse(rep.expression)
        for g in elements_of(problem.group.generators):
            assert expression_character(e, g) == rep.character(g), (rep.expression, g)


def test_alternating_and_symmetric_squares_of_the_permutation_representation():
    # Sym²V of S_4 in the monomial basis x_i x_j (i <= j) and Alt²V in e_i ∧ e_j (i < j), built here.
    for g in elements_of(named("symmetric", 4).generators):
        pairs = [(i, j) for i in range(4) for j in range(i, 4)]
        sym = sum(1 for i, j in pairs if sorted((g[i], g[j])) == [i, j])
        alt = sum((1 if g[i] < g[j] else -1) for i, j in pairs if i < j and sorted((g[i], g[j])) == [i, j])
        assert expression_character(parse("Sym(2,V)"), g) == sym
        assert expression_character(parse("Alt(2,V)"), g) == alt
