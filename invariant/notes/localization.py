"""A single ReLU neuron on translation-invariant data (source note 002).

Data: Z ~ N(0, Σ(ξ)), Σ(ξ)_ij = exp(-(i - j)² / ξ²) (open boundaries). The periodic option
uses the periodized kernel Σ_m exp(-(i - j + m n)² / ξ²), scaled to a unit diagonal: unlike
exp(-d_circ(i, j)² / ξ²), it is always positive semi-definite. The non-Gaussian model is
X_i = erf(g Z_i) / √Z(g) with Z(g) = E[erf(g Z_i)²] = (2/π) arcsin(2g² / (1 + 2g²)), so that
Var X_i = 1 (the identity E[erf(aZ) erf(bZ)] = (2/π) arcsin(2ab / √((1+2a²)(1+2b²)))).

f(w) = E[1(⟨w, X⟩ ≥ 0) X]; for Gaussian data f(w) = (2π)^{-1/2} (wᵀΣw)^{-1/2} Σw.

>>> import torch
>>> float(normalizer(torch.tensor(1.0)))  # (2/π) arcsin(2/3)
0.4645590...
"""

from __future__ import annotations

import math

import torch

from invariant.errors import InvariantError


def covariance(n: int, xi: float, periodic: bool = False, dtype=torch.float64, device=None) -> torch.Tensor:
    """Σ(ξ)_ij = exp(-d(i, j)² / ξ²)."""
    if n < 2:
        raise InvariantError(f"n must be at least 2, got {n}")
    if not xi > 0:
        raise InvariantError(f"ξ must be positive, got {xi}")
    i = torch.arange(n, dtype=dtype, device=device)
    d = i.view(-1, 1) - i.view(1, -1)
    if not periodic:
        return torch.exp(-(d**2) / xi**2)
    images = range(-(int(3 * xi / n) + 2), int(3 * xi / n) + 3)
    kernel = sum(torch.exp(-((d + m * n) ** 2) / xi**2) for m in images)
    return kernel / kernel[0, 0]


def matched_covariance(n: int, xi: float, g: float, periodic: bool = False, dtype=torch.float64) -> torch.Tensor:
    """Cov(X) of the erf(gZ) model in closed form: arcsin(2g²Σ/(1+2g²)) / arcsin(2g²/(1+2g²)).

    (The Gaussian with this covariance is the control with matched second moments.)
    """
    sigma = covariance(n, xi, periodic, dtype)
    a = 2 * g**2 / (1 + 2 * g**2)
    return torch.asin(a * sigma) / math.asin(a)


def normalizer(g) -> torch.Tensor:
    """Z(g) = E[erf(g Z)²] for Z ~ N(0, 1), in closed form."""
    g = torch.as_tensor(g, dtype=torch.float64)
    return 2 / math.pi * torch.asin(2 * g**2 / (1 + 2 * g**2))


def excess_kurtosis(g: float) -> float:
    """Excess kurtosis of X_i = erf(gZ)/√Z(g) by adaptive quadrature (0 as g → 0, -2 as g → ∞)."""
    from scipy.integrate import quad
    from scipy.special import erf

    if g == 0:
        return 0.0
    density = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    fourth, _ = quad(lambda z: erf(g * z) ** 4 * density(z), -math.inf, math.inf, epsabs=0, epsrel=1e-10, limit=200)
    return fourth / float(normalizer(g)) ** 2 - 3.0


def sample(count: int, n: int, xi: float, g: float | None, generator: torch.Generator, periodic: bool = False,
           device=None, dtype=torch.float64, cov: torch.Tensor | None = None) -> torch.Tensor:
    """``count`` samples of the Gaussian model (g None or 0) or of the erf(gZ) model.

    ``cov`` replaces Σ(ξ) for the Gaussian model (e.g. :func:`matched_covariance`).
    """
    if g is not None and g < 0:
        raise InvariantError(f"g must be positive, got {g}")
    base = covariance(n, xi, periodic, dtype) if cov is None else cov
    chol = torch.linalg.cholesky(base + 1e-10 * torch.eye(n, dtype=dtype))
    z = torch.randn(count, n, generator=generator, dtype=dtype) @ chol.T
    if g:
        z = torch.erf(g * z) / torch.sqrt(normalizer(g)).to(dtype)
    return z.to(device)


def f_gaussian(w: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Exact f(w) = (2π)^{-1/2} (wᵀΣw)^{-1/2} Σw for X ~ N(0, Σ)."""
    sw = sigma @ w
    return sw / torch.sqrt(2 * math.pi * (w @ sw))


def f_monte_carlo(w: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Monte Carlo f(w) = mean of 1(⟨w, X⟩ ≥ 0) X over the rows of x, and its standard error."""
    terms = (x @ w >= 0).to(x.dtype).unsqueeze(-1) * x
    return terms.mean(0), terms.std(0) / math.sqrt(len(x))


def ipr(w: torch.Tensor) -> float:
    """Inverse participation ratio Σ w_i⁴ / (Σ w_i²)²: 1/n when spread evenly, 1 for one site."""
    w2 = w**2
    return float((w2**2).sum() / w2.sum() ** 2)
