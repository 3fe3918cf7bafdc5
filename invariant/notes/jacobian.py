"""Mean-field length map, criticality and the Jacobian spectrum of deep random networks (note 004).

Network: h^ℓ = W^ℓ φ(h^{ℓ-1}) + b^ℓ, width N, W Gaussian (variance σ_w²/N) or σ_w × a Haar
orthogonal matrix, b ~ N(0, σ_b²). The input-output Jacobian is J = Π_ℓ D^ℓ W^ℓ with
D^ℓ = diag φ'(h^ℓ).

* Length map q ↦ σ_w² E[φ(√q z)²] + σ_b², fixed point q*, χ = σ_w² E[φ'(√q* z)²].
* D² moments μ_k = E[φ'(√q* z)^{2k}]. Under freeness S_{JJᵀ} = S_{D²}^L S_{WᵀW}^L, so the mean
  of the JJᵀ spectrum is χ^L and, as the normalized variances m₂/m₁² - 1 add under free
  multiplication, its variance is χ^{2L} L (μ₂/μ₁² - 1 - s₁) (s₁ = -1 Gaussian, 0 orthogonal);
  at χ = 1 this is the note's Table 1.
* The density: with m = M_{JJᵀ}(λ) and z_D(m) the inverse of M_{D²}, λ = (1+m)/m ·
  (σ_w² m z_D(m) / (1+m)^{[orthogonal]})^L; solved by Newton with continuation from large λ;
  ρ(λ) = -Im G(λ + i0)/π with G = (1 + m)/λ.

Expectations use Gauss–Legendre quadrature on [-12, 12] split at the activation's kinks, so
piecewise-smooth φ (ReLU, hard tanh) are integrated to machine precision.

>>> q = fixed_point("relu", 2 ** 0.5, 0.0, q0=1.0)  # every q is fixed on the ReLU critical point
>>> round(q, 12), round(chi_of("relu", 2 ** 0.5, q), 12)
(1.0, 1.0)
>>> [round(v, 9) for v in predicted_moments("relu", "gaussian", 2 ** 0.5, 1.0, depth=8)]  # χ^L, L(1 - s₁)
[1.0, 16.0]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from invariant.errors import InvariantError


@dataclass(frozen=True)
class Activation:
    """φ and φ' (numpy ufunc-like) with the points where φ' jumps."""

    name: str
    phi: Callable
    dphi: Callable
    kinks: tuple[float, ...] = ()


def _erf_phi(h):
    return special.erf(math.sqrt(math.pi) * h / 2)


def _erf_dphi(h):
    return np.exp(-math.pi * np.asarray(h) ** 2 / 4)


ACTIVATIONS = {
    "linear": Activation("linear", lambda h: np.asarray(h, dtype=float),
                         lambda h: np.ones_like(np.asarray(h, dtype=float))),
    "relu": Activation("relu", lambda h: np.maximum(h, 0.0), lambda h: (np.asarray(h) > 0).astype(float), (0.0,)),
    "hard_tanh": Activation("hard_tanh", lambda h: np.clip(h, -1.0, 1.0),
                            lambda h: (np.abs(np.asarray(h)) < 1).astype(float), (-1.0, 1.0)),
    "erf": Activation("erf", _erf_phi, _erf_dphi),
    "tanh": Activation("tanh", np.tanh, lambda h: 1.0 / np.cosh(h) ** 2),
}


def activation(name_or_phi, dphi: Callable | None = None, kinks: tuple[float, ...] = ()) -> Activation:
    """A named activation, or a custom φ given with its derivative φ'."""
    if isinstance(name_or_phi, Activation):
        return name_or_phi
    if isinstance(name_or_phi, str):
        if name_or_phi not in ACTIVATIONS:
            raise InvariantError(f"unknown activation {name_or_phi!r}; choose one of {', '.join(ACTIVATIONS)} "
                                 "or pass φ with its derivative")
        return ACTIVATIONS[name_or_phi]
    if not callable(name_or_phi):
        raise InvariantError("the activation must be a name or a callable φ")
    if dphi is None or not callable(dphi):
        raise InvariantError("a custom activation needs its derivative φ' (dphi)")
    return Activation(getattr(name_or_phi, "__name__", "custom"), name_or_phi, dphi, tuple(kinks))


_LEG_X, _LEG_W = np.polynomial.legendre.leggauss(80)


def gaussian_nodes(kinks_z=(), limit: float = 12.0):
    """Nodes and weights of E[f(z)], z ~ N(0, 1): Gauss–Legendre on [-limit, limit] split at kinks."""
    cuts = [-limit] + sorted(k for k in kinks_z if -limit < k < limit) + [limit]
    xs, ws = [], []
    for a, b in itertools.pairwise(cuts):
        xs.append((b - a) / 2 * _LEG_X + (a + b) / 2)
        ws.append((b - a) / 2 * _LEG_W)
    x, w = np.concatenate(xs), np.concatenate(ws)
    return x, w * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def expect(f: Callable, q: float, act: Activation) -> float:
    """E[f(√q z)] for z ~ N(0, 1), split at the activation's kinks and at h = 0, ±1/4, ±1, ±4
    (so features of φ on the scale 1 stay resolved when q is large)."""
    s = math.sqrt(q)
    if s == 0:
        return float(f(np.zeros(1))[0])
    cuts = [k / s for k in act.kinks] + [c / s for c in (0.0, 0.25, -0.25, 1.0, -1.0, 4.0, -4.0)]
    z, w = gaussian_nodes(cuts)
    return float(w @ f(s * z))


def _check_sigmas(sigma_w: float, sigma_b: float) -> None:
    if not (math.isfinite(sigma_w) and sigma_w > 0):
        raise InvariantError(f"σ_w must be positive and finite, got {sigma_w}")
    if not (math.isfinite(sigma_b) and sigma_b >= 0):
        raise InvariantError(f"σ_b must be non-negative and finite, got {sigma_b}")


def length_map(act, sigma_w: float, sigma_b: float, q: float) -> float:
    """q ↦ σ_w² E[φ(√q z)²] + σ_b²."""
    act = activation(act)
    return sigma_w**2 * expect(lambda h: act.phi(h) ** 2, q, act) + sigma_b**2


def fixed_point(act, sigma_w: float, sigma_b: float, q0: float = 1.0, tol: float = 1e-13,
                max_iter: int = 100_000) -> float:
    """q* by iterating the length map from q0 (its limit; where every q is fixed, q0 itself)."""
    _check_sigmas(sigma_w, sigma_b)
    act = activation(act)
    q = q0
    for _ in range(max_iter):
        nxt = length_map(act, sigma_w, sigma_b, q)
        if not math.isfinite(nxt) or nxt > 1e12:
            raise InvariantError(f"the length map diverges for σ_w = {sigma_w}, σ_b = {sigma_b}: no finite fixed point")
        if abs(nxt - q) <= tol * max(1.0, q):
            return nxt
        q = nxt
    raise InvariantError(f"the length map did not converge in {max_iter} steps (σ_w = {sigma_w}, σ_b = {sigma_b})")


def d2_moment(act, q: float, k: int) -> float:
    """μ_k = E[φ'(√q z)^{2k}]."""
    act = activation(act)
    return expect(lambda h: act.dphi(h) ** (2 * k), q, act)


def chi_of(act, sigma_w: float, q: float) -> float:
    """χ = σ_w² E[φ'(√q z)²]."""
    return sigma_w**2 * d2_moment(act, q, 1)


def critical_sigma_w(act, sigma_b: float, bracket=(0.05, 20.0)) -> float:
    """σ_w on the critical line χ(σ_w, σ_b) = 1 (q* from the length map at that point)."""
    act = activation(act)

    def excess(sw):
        return chi_of(act, sw, fixed_point(act, sw, sigma_b)) - 1.0

    return optimize.brentq(excess, *bracket, xtol=1e-12)


def critical_point(act, q_star: float) -> tuple[float, float]:
    """(σ_w, σ_b) with fixed point q* and χ = 1: σ_w² = 1/μ₁(q*), σ_b² = q* - σ_w² E[φ(√q* z)²]."""
    act = activation(act)
    if not q_star > 0:
        raise InvariantError(f"q* must be positive, got {q_star}")
    sw2 = 1.0 / d2_moment(act, q_star, 1)
    sb2 = q_star - sw2 * expect(lambda h: act.phi(h) ** 2, q_star, act)
    if sb2 < -1e-12:
        raise InvariantError(f"no critical point with q* = {q_star} for {act.name}: it needs σ_b² = {sb2:.3g} < 0")
    return math.sqrt(sw2), math.sqrt(max(sb2, 0.0))


def s1(weights: str) -> float:
    """First S-transform coefficient of WᵀW/σ_w²: -1 Gaussian (Marchenko–Pastur), 0 orthogonal."""
    if weights not in ("gaussian", "orthogonal"):
        raise InvariantError(f"unknown weights {weights!r}; choose gaussian or orthogonal")
    return -1.0 if weights == "gaussian" else 0.0


def predicted_moments(act, weights: str, sigma_w: float, q_star: float, depth: int) -> tuple[float, float]:
    """Mean χ^L and variance χ^{2L} L (μ₂/μ₁² - 1 - s₁) of the JJᵀ eigenvalues."""
    if depth < 1:
        raise InvariantError(f"depth must be at least 1, got {depth}")
    mu1, mu2 = d2_moment(act, q_star, 1), d2_moment(act, q_star, 2)
    chi = sigma_w**2 * mu1
    return chi**depth, chi ** (2 * depth) * depth * (mu2 / mu1**2 - 1 - s1(weights))


def d2_distribution(act, q_star: float):
    """Atoms (values, probabilities) of D² = φ'(√q* z)²: exact two atoms for 0/1-valued φ', else quadrature."""
    act = activation(act)
    if act.name in ("linear", "relu", "hard_tanh"):
        p = d2_moment(act, q_star, 1)  # φ' ∈ {0, 1}: P(φ' = 1) = μ₁
        return np.array([1.0]), np.array([p])  # the atom at 0 adds nothing to M(z) = E[d / (z - d)]
    s = math.sqrt(q_star)
    z, w = gaussian_nodes([k / s for k in act.kinks])
    return act.dphi(s * z) ** 2, w


def _log_residual(m, z, sigma_w, depth, weights, values, probs, zd):
    """log(λ(m)/z) of the master equation, its m-derivative and the updated z_D(m) (vectorized).

    λ(m) = (1+m)/m · core^L with core = σ_w² m z_D/(1+m)^{[orthogonal]} and M_{D²}(z_D) = m
    (closed form for one atom, where core = σ_w² v (m + p); else Newton from ``zd``, and
    d log z_D/dm = 1/(z_D M'(z_D))).
    """
    if values.size == 1:
        zd = values[0] * (1 + probs[0] / m)
        log_core = np.log(sigma_w**2 * values[0] * (m + probs[0]))
        dlog_core = 1 / (m + probs[0])
    else:
        for _ in range(8):
            diff = zd[:, None] - values[None, :]
            f = (probs * values / diff).sum(1) - m
            df = -(probs * values / diff**2).sum(1)
            step = f / df
            zd = zd - step
            if np.all(np.abs(step) < 1e-13 * np.abs(zd)):
                break
        dm_dzd = -(probs * values / (zd[:, None] - values[None, :]) ** 2).sum(1)
        log_core = np.log(sigma_w**2 * m * zd)
        dlog_core = 1 / m + 1 / (zd * dm_dzd)
    if weights == "orthogonal":
        log_core, dlog_core = log_core - np.log(1 + m), dlog_core - 1 / (1 + m)
    residual = np.log((1 + m) / (m * z)) + depth * log_core
    return residual, 1 / (1 + m) - 1 / m + depth * dlog_core, zd


def spectral_density(act, weights: str, sigma_w: float, q_star: float, depth: int, lambdas,
                     eta: float = 1e-9) -> np.ndarray:
    """ρ(λ) of JJᵀ at the points ``lambdas`` > 0.

    For each λ the root m of the master equation is followed down the vertical path
    z = λ + it, t from far above the spectrum to λ·``eta``, starting from m ≈ m₁/z + m₂/z²
    where the root is unique (M is analytic off the real axis, so the path keeps its branch).
    One orthogonal layer with a smooth φ has no density to find: JJᵀ = σ_w² D², whose law is
    that of D² itself, which the quadrature stands in for by atoms.
    """
    act = activation(act)
    s1(weights)
    lam = np.asarray(lambdas, dtype=float)
    if np.any(lam <= 0):
        raise InvariantError("the density is evaluated at λ > 0")
    values, probs = d2_distribution(act, q_star)
    if weights == "orthogonal" and depth == 1 and values.size > 1:
        raise InvariantError(f"one orthogonal {act.name} layer has JJᵀ = σ_w² D², the law of φ'(√q* z)²: "
                             "use d2_distribution")
    mean, var = predicted_moments(act, weights, sigma_w, q_star, depth)
    mu1 = float(probs @ values)
    heights = np.geomspace(10 * (1 + lam) * max(1.0, mean), lam * eta, 120)  # (steps, points)
    z = lam + 1j * heights[0]
    m = mean / z + (var + mean**2) / z**2
    zd = mu1 / m + float(probs @ values**2) / mu1
    with np.errstate(all="ignore"):
        for height in heights:
            z = lam + 1j * height
            for _ in range(12):
                f, df, zd_new = _log_residual(m, z, sigma_w, depth, weights, values, probs, zd)
                step = f / df
                scale = np.minimum(1.0, 0.3 * np.abs(m) / np.abs(step))
                step = np.where(np.isfinite(step), step * np.where(np.isfinite(scale), scale, 1.0), 0.0)
                m, zd = m - step, zd_new
                if np.all(np.abs(step) < 1e-12 * np.abs(m)):
                    break
    return np.maximum(-((1 + m) / z).imag / math.pi, 0.0)


def spectral_atoms(act, weights: str, sigma_w: float, q_star: float, depth: int) -> list[tuple[float, float]]:
    """Atoms of the JJᵀ spectrum away from 0: [(λ₀, mass)].

    With orthogonal W and φ' ∈ {0, 1} (P(φ' = 1) = p), J is σ_w^L times an isometry on the
    intersection of L random subspaces of codimension (1 - p)N: an atom at σ_w^{2L} of mass
    max(0, 1 - L(1 - p)) (the root m → ∞ of the master equation). Gaussian W and smooth φ'
    have none. The rest of the missing mass sits at 0.
    """
    act = activation(act)
    s1(weights)
    if weights != "orthogonal" or act.name not in ("linear", "relu", "hard_tanh"):
        return []
    mass = 1 - depth * (1 - d2_moment(act, q_star, 1))
    return [(sigma_w ** (2 * depth), mass)] if mass > 1e-12 else []


def density_moments(act, weights: str, sigma_w: float, q_star: float, depth: int, lo: float = 1e-12,
                    hi: float = 1e5, tol: float = 1e-6, points: int = 241, min_width: float = 1e-9,
                    eta: float = 1e-14) -> tuple[float, ...]:
    """Moments (m₀, m₁, m₂) of the limiting JJᵀ spectrum on λ > 0: ∫ λ^k ρ(λ) dλ plus the atoms.

    Adaptive Simpson in u = log λ over [``lo``, ``hi``]: a cell is bisected while it is wider than
    ``min_width`` and Simpson's rule and the trapezoid rule on it differ by more than
    ``tol`` × m_k / ``points`` for some k (m_k estimated on the first grid). This resolves the
    inverse-square-root edges of ReLU-like spectra, which a fixed grid integrates to a few per cent at
    best (L = 2, ReLU, orthogonal: half the mass
    follows the arcsine law on [0, 4]). ρ is taken at λ(1 + i``eta``), less the Lorentzians
    -Im(mass/(z - λ₀))/π of the atoms, which are added exactly instead; outside the support ρ
    keeps a tail η/(πλ) that adds η·hi²/2π to m₂, so η must stay far below 1/hi².
    m₀ is the mass away from 0; m₁ and m₂ - m₁² are the mean and variance of the whole spectrum.

    >>> [round(m, 3) for m in density_moments("relu", "orthogonal", 2 ** 0.5, 1.0, 2)]  # ½, 1, 1 + 2
    [0.5, 1.0, 3.0]
    """
    atoms = spectral_atoms(act, weights, sigma_w, q_star, depth)

    def integrands(u):
        lam = np.exp(u)
        rho = spectral_density(act, weights, sigma_w, q_star, depth, lam, eta=eta)
        for lam0, mass in atoms:
            rho = rho + (mass / (lam * (1 + 1j * eta) - lam0)).imag / math.pi
        return rho * lam * np.stack([np.ones_like(lam), lam, lam**2])  # (3, cells): λ^k ρ dλ/du

    u = np.linspace(math.log(lo), math.log(hi), points)
    g = integrands(u)
    a, b, ga, gb = u[:-1], u[1:], g[:, :-1], g[:, 1:]
    atom_moments = sum((mass * np.array([1.0, lam0, lam0**2]) for lam0, mass in atoms), np.zeros(3))
    scale = np.trapezoid(g, u, axis=1) + atom_moments
    threshold = tol * np.maximum(np.abs(scale), 1e-300)[:, None] / points
    total = np.zeros(3)
    while True:
        mid = (a + b) / 2
        gm = integrands(mid)
        h = b - a
        simpson = h * (ga + 4 * gm + gb) / 6
        split = np.any(np.abs(simpson - h * (ga + gb) / 2) > threshold, axis=0) & (h > 2 * min_width)
        total += simpson[:, ~split].sum(1)
        if not split.any():
            break
        a, b = np.concatenate([a[split], mid[split]]), np.concatenate([mid[split], b[split]])
        ga = np.concatenate([ga[:, split], gm[:, split]], axis=1)
        gb = np.concatenate([gm[:, split], gb[:, split]], axis=1)
    return tuple(float(t) for t in total + atom_moments)


def torch_activation(name: str):
    """φ and φ' as torch functions for the named activations."""
    import torch

    table = {
        "linear": (lambda h: h, torch.ones_like),
        "relu": (torch.relu, lambda h: (h > 0).to(h.dtype)),
        "hard_tanh": (lambda h: torch.clamp(h, -1, 1), lambda h: (h.abs() < 1).to(h.dtype)),
        "erf": (lambda h: torch.erf(math.sqrt(math.pi) / 2 * h), lambda h: torch.exp(-math.pi / 4 * h * h)),
        "tanh": (torch.tanh, lambda h: 1 - torch.tanh(h) ** 2),
    }
    if name not in table:
        raise InvariantError(f"unknown activation {name!r} for empirical Jacobians; choose one of {', '.join(table)}")
    return table[name]


def haar_orthogonal(n: int, gen, dtype=None, device=None):
    """A Haar-distributed orthogonal matrix: QR of a Gaussian matrix with the signs of diag R moved into Q."""
    import torch

    q, r = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=dtype or torch.float64).to(device))
    return q * torch.sign(torch.diagonal(r)).unsqueeze(0)


def random_layers(weights: str, width: int, depth: int, sigma_w: float, sigma_b: float, gen, device=None):
    """[(W, b)] with W Gaussian N(0, σ_w²/N) or σ_w × Haar orthogonal, b ~ N(0, σ_b²), float64."""
    import torch

    s1(weights)
    layers = []
    for _ in range(depth):
        if weights == "gaussian":
            w = torch.randn(width, width, generator=gen, dtype=torch.float64).to(device) * (sigma_w / math.sqrt(width))
        else:
            w = haar_orthogonal(width, gen, device=device) * sigma_w
        layers.append((w, (torch.randn(width, generator=gen, dtype=torch.float64) * sigma_b).to(device)))
    return layers


def jacobians(layers, x, name: str, depths) -> dict:
    """J = Π_ℓ D^ℓ W^ℓ of x ↦ h^L (post-activations) after each depth in ``depths``, from the input side."""
    import torch

    phi, dphi = torch_activation(name)
    jac = torch.eye(x.shape[0], dtype=x.dtype, device=x.device)
    h, out = x, {}
    for ell, (w, b) in enumerate(layers, 1):
        pre = w @ h + b
        jac = dphi(pre).unsqueeze(1) * (w @ jac)
        h = phi(pre)
        if ell in depths:
            out[ell] = jac
    return out


def network(layers, name: str):
    """x ↦ h^L as a function (for torch.func.jacrev)."""
    phi, _ = torch_activation(name)

    def f(x):
        h = x
        for w, b in layers:
            h = phi(w @ h + b)
        return h

    return f
