"""invariant.notes.jacobian: quadrature, criticality, the note's Table 1, the density, empirical Jacobians."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special

import invariant.notes.jacobian as J
from invariant.errors import InvariantError

NAMES = ["linear", "relu", "hard_tanh", "erf", "tanh"]


def quad_expect(f, q, kinks):
    """Oracle: adaptive quadrature of E[f(√q z)] with the kinks as break points."""
    s = math.sqrt(q)
    def g(z):
        return f(np.array([s * z]))[0] * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return integrate.quad(g, -40, 40, points=sorted({k / s for k in kinks} | {0.0}), limit=500, epsabs=1e-14)[0]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("q", [0.01, 0.5, 1.0, 7.0, 40.0])
def test_quadrature_against_adaptive_quadrature(name, q):
    act = J.activation(name)
    for f in (lambda h: act.phi(h) ** 2, lambda h: act.dphi(h) ** 2, lambda h: act.dphi(h) ** 4):
        assert J.expect(f, q, act) == pytest.approx(quad_expect(f, q, act.kinks), abs=1e-11)


@given(st.floats(0.05, 10), st.floats(0.1, 3), st.floats(0, 2))
def test_relu_and_linear_length_maps_are_affine(q, sw, sb):
    assert J.length_map("relu", sw, sb, q) == pytest.approx(sw**2 * q / 2 + sb**2, rel=1e-12)
    assert J.length_map("linear", sw, sb, q) == pytest.approx(sw**2 * q + sb**2, rel=1e-12)


@given(st.floats(0.05, 5))
def test_table_1_closed_forms(q):
    assert J.d2_moment("hard_tanh", q, 1) == pytest.approx(special.erf(1 / math.sqrt(2 * q)), abs=1e-12)
    assert J.d2_moment("hard_tanh", q, 3) == pytest.approx(special.erf(1 / math.sqrt(2 * q)), abs=1e-12)
    for k in (1, 2, 3):
        assert J.d2_moment("erf", q, k) == pytest.approx(1 / math.sqrt(1 + math.pi * k * q), abs=1e-12)
    assert J.d2_moment("relu", q, 2) == pytest.approx(0.5, abs=1e-14)


@pytest.mark.parametrize("name", ["hard_tanh", "erf"])
@pytest.mark.parametrize("q", [0.1, 0.5, 2.0])
def test_critical_point_is_a_critical_fixed_point(name, q):
    sw, sb = J.critical_point(name, q)
    assert J.length_map(name, sw, sb, q) == pytest.approx(q, abs=1e-12)
    assert J.chi_of(name, sw, q) == pytest.approx(1.0, abs=1e-12)
    if name == "erf":
        assert sw**2 == pytest.approx(math.sqrt(1 + math.pi * q), abs=1e-12)  # Table 1's σ_w² column
    for weights, s1 in (("gaussian", -1), ("orthogonal", 0)):
        mean, var = J.predicted_moments(name, weights, sw, q, 7)
        mu1 = J.d2_moment(name, q, 1)
        table = 1 / mu1 - 1 - s1 if name == "hard_tanh" else (1 + math.pi * q) / math.sqrt(1 + 2 * math.pi * q) - 1 - s1
        assert mean == pytest.approx(1.0, abs=1e-12) and var == pytest.approx(7 * table, rel=1e-11)


def test_tanh_critical_line():
    for sb in (0.1, 1.0):
        sw = J.critical_sigma_w("tanh", sb)
        assert J.chi_of("tanh", sw, J.fixed_point("tanh", sw, sb)) == pytest.approx(1.0, abs=1e-9)
    # σ_b = 0: the line starts at σ_w = 1 (q* = 0, χ = σ_w²)
    assert J.chi_of("tanh", 0.8, J.fixed_point("tanh", 0.8, 0.0)) == pytest.approx(0.64, abs=1e-9)


def test_marchenko_pastur_is_depth_one_linear_gaussian():
    lam = np.linspace(0.02, 3.98, 40)
    rho = J.spectral_density("linear", "gaussian", 1.0, 1.0, 1, lam)
    np.testing.assert_allclose(rho, np.sqrt(4 * lam - lam**2) / (2 * math.pi * lam), atol=1e-9)


@pytest.mark.parametrize("name, weights, L", [pytest.param("relu", "gaussian", 8, marks=pytest.mark.slow),
                                              pytest.param("linear", "gaussian", 4, marks=pytest.mark.slow),
                                              pytest.param("hard_tanh", "orthogonal", 2, marks=pytest.mark.slow),
                                              pytest.param("relu", "orthogonal", 8, marks=pytest.mark.slow),
                                              ("relu", "orthogonal", 1),
                                              pytest.param("hard_tanh", "gaussian", 32, marks=pytest.mark.slow)])
def test_density_moments_match_the_s_transform(name, weights, L):
    sw, q = {"relu": (math.sqrt(2), 1.0), "linear": (1.0, 1.0)}.get(name, (None, 0.5))
    sw = sw or J.critical_point(name, q)[0]
    _, m1, m2 = J.density_moments(name, weights, sw, q, L)
    mean, var = J.predicted_moments(name, weights, sw, q, L)
    assert m1 == pytest.approx(mean, rel=1e-4) and m2 - m1**2 == pytest.approx(var, rel=1e-4)


@pytest.mark.slow  # a large sample (about 5 s)
def test_two_layer_relu_orthogonal_is_half_an_arcsine_law():
    """Oracle: JJᵀ = 4 P Q P for free projections of trace ½, so ρ = 1/(2π√(λ(4 - λ))) on (0, 4) and ½ at 0."""
    lam = np.concatenate([np.linspace(0.01, 3.99, 50), [3.9999, 4.01, 6.0]])
    rho = J.spectral_density("relu", "orthogonal", math.sqrt(2), 1.0, 2, lam, eta=1e-12)
    inside = lam < 4
    exact = np.zeros_like(lam)
    exact[inside] = 1 / (2 * math.pi * np.sqrt(lam[inside] * (4 - lam[inside])))
    np.testing.assert_allclose(rho, exact, rtol=1e-8, atol=1e-8)
    m0, m1, m2 = J.density_moments("relu", "orthogonal", math.sqrt(2), 1.0, 2)
    assert (m0, m1, m2) == pytest.approx((0.5, 1.0, 3.0), rel=1e-4)  # arcsine on [0, 4]: E λ = 2, E λ² = 6


def test_linear_orthogonal_is_one_atom():
    assert J.spectral_atoms("linear", "orthogonal", 1.0, 1.0, 5) == [(1.0, 1.0)]
    assert J.spectral_atoms("hard_tanh", "orthogonal", 1.1, 0.5, 2)[0][1] == pytest.approx(
        2 * J.d2_moment("hard_tanh", 0.5, 1) - 1)
    assert J.spectral_atoms("relu", "gaussian", math.sqrt(2), 1.0, 2) == []


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weights", ["gaussian", "orthogonal"])
def test_jacobian_products_equal_jacrev(name, weights):
    gen = torch.Generator().manual_seed(5)
    layers = J.random_layers(weights, 12, 5, 1.3, 0.2, gen)
    x = torch.randn(12, generator=gen, dtype=torch.float64)
    products = J.jacobians(layers, x, name, {2, 5})
    for depth in (2, 5):
        want = torch.func.jacrev(J.network(layers[:depth], name))(x)
        torch.testing.assert_close(products[depth], want, rtol=0, atol=1e-12)


def test_haar_orthogonal_is_sign_corrected_qr():
    q = J.haar_orthogonal(30, torch.Generator().manual_seed(1))
    torch.testing.assert_close(q.T @ q, torch.eye(30, dtype=torch.float64), rtol=0, atol=1e-12)
    g = torch.randn(30, 30, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    r = q.T @ g  # the R factor of g with this Q: upper triangular with a positive diagonal
    assert bool((torch.diagonal(r) > 0).all()) and float(torch.tril(r, -1).abs().max()) < 1e-12


@pytest.mark.parametrize("act, weights, width, depth, sigma_w, draws, seed", [
    ("linear", "gaussian", 40, 4, 1.0, 300, 2),
    pytest.param("relu", "orthogonal", 24, 8, math.sqrt(2), 400, 3, marks=pytest.mark.slow)])
def test_mean_squared_singular_value_is_chi_to_the_L_at_any_width(act, weights, width, depth, sigma_w, draws, seed):
    """E‖J‖²_F/N = χ^L = 1 exactly at any width, averaged over draws (σ_b = 0).

    Gaussian W: W v is Gaussian whatever the past. Haar W with ReLU, σ_w² = 2: given the past, Wx̂ = ĥ is
    uniform on the sphere and W maps x̂⊥ onto ĥ⊥ at random, so each layer's gain has conditional mean
    2(a²/2 + (1 - a²)/2) = 1.
    """
    gen = torch.Generator().manual_seed(seed)
    vals = []
    for _ in range(draws):
        layers = J.random_layers(weights, width, depth, sigma_w, 0.0, gen)
        jac = J.jacobians(layers, torch.randn(width, generator=gen, dtype=torch.float64), act, {depth})[depth]
        vals.append(float((jac**2).sum()) / width)
    assert abs(np.mean(vals) - 1.0) < 4 * np.std(vals) / math.sqrt(len(vals))


def test_bad_input():
    with pytest.raises(InvariantError, match="σ_w must be positive"):
        J.fixed_point("tanh", 0.0, 0.1)
    with pytest.raises(InvariantError, match="σ_b must be non-negative"):
        J.fixed_point("tanh", 1.0, -0.1)
    with pytest.raises(InvariantError, match="derivative"):
        J.activation(np.sin)
    with pytest.raises(InvariantError, match="unknown activation"):
        J.activation("softsign")
    with pytest.raises(InvariantError, match="depth must be at least 1"):
        J.predicted_moments("relu", "gaussian", 1.4, 1.0, 0)
    with pytest.raises(InvariantError, match="diverges"):
        J.fixed_point("linear", 1.5, 0.0)
    with pytest.raises(InvariantError, match="unknown weights"):
        J.s1("uniform")
    with pytest.raises(InvariantError, match="use d2_distribution"):
        J.density_moments("erf", "orthogonal", 1.5, 0.5, 1)


def test_custom_activation_with_derivative():
    act = J.activation(np.sin, np.cos)
    q = J.fixed_point(act, 1.2, 0.3)
    assert J.length_map(act, 1.2, 0.3, q) == pytest.approx(q, abs=1e-12)
    assert J.chi_of(act, 1.2, q) == pytest.approx(1.44 * quad_expect(lambda h: np.cos(h) ** 2, q, ()), abs=1e-11)
