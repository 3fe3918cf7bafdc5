"""The single-neuron localization library (note 002): data model, f(w), its properties."""

import math

import pytest
import torch
from scipy.special import erf

import invariant.notes.localization as L
from invariant import InvariantError, LayerSpec, derive


@pytest.mark.parametrize("g", [0.1, 1.0, 3.0, 30.0])
def test_normalizer_closed_form_against_quadrature(g):
    from scipy.integrate import quad

    def integrand(z):
        return erf(g * z) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    value = sum(quad(integrand, a, b, limit=200)[0] for a, b in ((-math.inf, 0), (0, math.inf)))
    assert abs(float(L.normalizer(g)) - value) < 1e-9


def test_erf_model_has_unit_variance():
    x = L.sample(100_000, 10, 2.0, 5.0, torch.Generator().manual_seed(0))
    assert torch.allclose(x.var(0), torch.ones(10, dtype=x.dtype), atol=0.02)


def test_monte_carlo_agrees_with_the_gaussian_formula_within_error_bars():
    gen = torch.Generator().manual_seed(1)
    sigma = L.covariance(12, 2.0)
    x = L.sample(200_000, 12, 2.0, None, gen)
    w = torch.randn(12, generator=gen, dtype=torch.float64)
    mc, se = L.f_monte_carlo(w, x)
    assert ((mc - L.f_gaussian(w, sigma)).abs() / se).max().item() < 4.5


def shift(v):
    return torch.roll(v, 1)


def reflect(v):
    return torch.flip(v, [0])


@pytest.mark.parametrize("g", [None, pytest.param(10.0, marks=pytest.mark.slow)])
def test_four_properties_of_f(g):
    n = 16
    gen = torch.Generator().manual_seed(2)
    x = L.sample(200_000, n, 2.5, g, gen, periodic=True)
    w = torch.randn(n, generator=gen, dtype=torch.float64)
    fw, se = L.f_monte_carlo(w, x)
    # 1. scale invariance: the indicator does not change, so equality is exact on the same samples.
    assert torch.equal(L.f_monte_carlo(3.7 * w, x)[0], fw)
    # 2-4. sign, translation (circular shift C) and a data symmetry A (reflection, A^{-T} = A).
    for transform, expected in (
        (lambda v: -v, -fw),
        (shift, shift(fw)),
        (reflect, reflect(fw)),
    ):
        got, se2 = L.f_monte_carlo(transform(w), x)
        assert ((got - expected).abs() / torch.sqrt(se**2 + se2**2)).max().item() < 5


def test_exact_gaussian_f_properties():
    sigma = L.covariance(10, 2.0, periodic=True)
    w = torch.randn(10, dtype=torch.float64)
    f = L.f_gaussian(w, sigma)
    assert torch.allclose(L.f_gaussian(2.5 * w, sigma), f, atol=1e-14)
    assert torch.allclose(L.f_gaussian(-w, sigma), -f, atol=1e-14)
    assert torch.allclose(L.f_gaussian(shift(w), sigma), shift(f), atol=1e-14)
    assert torch.allclose(L.f_gaussian(reflect(w), sigma), reflect(f), atol=1e-14)


def test_jacobian_at_a_symmetric_w_is_a_circulant_derived_by_invariant():
    n = 8
    sol = derive(LayerSpec.build(layer="linear", n=n, group="cyclic"))
    assert sol.num_free == n and sol.dimension.agree  # the circulant matrices
    flat = torch.from_numpy(sol.basis())  # (n², n): W = B θ, weights W[k,i] row-major
    sigma = L.covariance(n, 2.0, periodic=True)

    def residual(w):
        jac = torch.func.jacrev(lambda v: L.f_gaussian(v, sigma))(w)
        coef = torch.linalg.lstsq(flat, jac.reshape(-1, 1)).solution
        return (flat @ coef - jac.reshape(-1, 1)).abs().max().item()

    symmetric = torch.ones(n, dtype=torch.float64) + 0.3  # C_n-invariant
    assert residual(symmetric) < 1e-12
    assert residual(torch.randn(n, dtype=torch.float64)) > 1e-3


def cosine(a, b):
    return float(a @ b / (a.norm() * b.norm()))


@pytest.mark.slow  # trains on a large sample
def test_bumps_on_hypercube_like_data():
    n, g = 16, 100.0
    gen = torch.Generator().manual_seed(3)
    x = L.sample(400_000, n, 2.0, g, gen, periodic=True)
    c = torch.cov(x.T)
    e = torch.eye(n, dtype=torch.float64)
    i, j, k = 5, 7, 10
    cases = {
        "single": (e[i], e[i]),
        "balanced": (e[i] + e[j], e[i] + e[j]),
        "imbalanced": (2 * e[i] + e[j], e[i]),
        "sign_flipped": (2 * e[i] - e[j], e[i]),
        "three": (4 * e[i] + 2 * e[j] + e[k], e[i]),
    }
    for name, (w, target) in cases.items():
        fw, _ = L.f_monte_carlo(w, x)
        assert cosine(fw, c @ target) > 0.99, name
    # Single bump on ±1 data: f(e_i) = P(X_i = 1) E[X | X_i = 1] = C e_i / 2.
    assert torch.allclose(L.f_monte_carlo(e[i], x)[0], c @ e[i] / 2, atol=0.01)


def test_bad_parameters():
    with pytest.raises(InvariantError, match="positive"):
        L.covariance(10, 0.0)
    with pytest.raises(InvariantError, match="at least 2"):
        L.covariance(1, 1.0)
    with pytest.raises(InvariantError, match="positive"):
        L.sample(10, 5, 1.0, -1.0, torch.Generator())


def test_ipr_extremes():
    assert L.ipr(torch.ones(10)) == pytest.approx(0.1)
    assert L.ipr(torch.eye(10)[3]) == pytest.approx(1.0)
    assert math.isclose(L.excess_kurtosis(1e-4), 0.0, abs_tol=1e-6)


def test_matched_covariance_is_the_erf_model_covariance():
    x = L.sample(400_000, 8, 2.0, 3.0, torch.Generator().manual_seed(4))
    assert torch.allclose(torch.cov(x.T), L.matched_covariance(8, 2.0, 3.0), atol=0.01)
