"""Numbers for the derived answer: dense weights from free parameters, layer evaluation,
random group elements with their output action, and the equivariance error.

Used by the tests and by the folded-layer demonstration; numpy only (no torch).

>>> import numpy as np
>>> from invariant import LayerSpec, derive
>>> sol = derive(LayerSpec.build(layer="quadratic", n=4, with_linear=True))
>>> rng = np.random.default_rng(0)
>>> w = dense_weights(sol, rng.standard_normal(sol.num_free))
>>> equivariance_error(sol.spec, w, rng) < 1e-12
True
"""

from __future__ import annotations

import numpy as np

from .actions import generator_pairs
from .layers import weight_keys
from .perms import compose, identity
from .solution import Solution
from .spec import LayerSpec


def dense_weights(sol: Solution, theta) -> np.ndarray:
    """The weight vector (canonical order) W = E θ for free parameters θ, in float64."""
    theta = np.asarray(theta, dtype=np.float64)
    w = np.zeros(sol.num_weights)
    for i, p, a in sol.expansion():
        w[i] += float(a) * theta[p]
    return w


def evaluate(spec: LayerSpec, weights, x) -> np.ndarray:
    """y_k = Σ W[k, idx] x_idx + Σ B[k,i] x_i + C[k] for a batch x of shape (..., n)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.zeros(x.shape[:-1] + (spec.outputs,))
    for w, (_, k, idx) in zip(np.asarray(weights, dtype=np.float64), weight_keys(spec)):
        if w:
            y[..., k] += w * np.prod(x[..., list(idx)], axis=-1)
    return y


def random_word(pairs, n: int, outputs: int, rng: np.random.Generator, max_length: int = 40):
    """A random word in generator pairs (g, π, s): an element of ⟨(g_i, ρ_i)⟩.

    The length is drawn too (1..max_length), so powers of a single generator all occur.
    """
    g, pi, s = identity(n), identity(outputs), 1
    length = int(rng.integers(1, max_length + 1)) if pairs else 0
    for i in rng.integers(len(pairs), size=length):
        a, b, t = pairs[i]
        g, pi, s = compose(tuple(a), g), compose(tuple(b), pi), s * t
    return g, pi, s


def random_element(spec: LayerSpec, rng: np.random.Generator, max_length: int = 40):
    """A random element (g, π, s) of the spec's group with its output action."""
    return random_word(generator_pairs(spec), spec.n, spec.outputs, rng, max_length)


def act(perm, x: np.ndarray) -> np.ndarray:
    """(g·x)_i = x_{g⁻¹(i)} on the last axis: the entry at i moves to g(i)."""
    out = np.empty_like(x)
    out[..., list(perm)] = x
    return out


def equivariance_error(spec: LayerSpec, weights, rng: np.random.Generator, trials: int = 10, batch: int = 8) -> float:
    """max |f(g·x) - ρ(g) f(x)| over random elements and standard normal inputs."""
    worst = 0.0
    for _ in range(trials):
        g, pi, s = random_element(spec, rng)
        x = rng.standard_normal((batch, spec.n))
        lhs = evaluate(spec, weights, act(g, x))
        rhs = s * act(pi, evaluate(spec, weights, x))
        worst = max(worst, float(np.max(np.abs(lhs - rhs))))
    return worst
