"""Numbers for the derived answer: dense weights from free parameters and layer evaluation.

Used by the tests and by the folded-layer demonstration; numpy only (no torch). The
equivariance error of such a layer is measured by :mod:`invariant.equivariance`:

>>> import numpy as np
>>> from functools import partial
>>> from invariant import LayerSpec, derive
>>> from invariant.equivariance import equivariance_error, sampler
>>> sol = derive(LayerSpec.build(layer="quadratic", n=4, with_linear=True))
>>> rng = np.random.default_rng(0)
>>> w = dense_weights(sol, rng.standard_normal(sol.num_free))
>>> equivariance_error(partial(evaluate, sol.spec, w), sampler(sol.spec), rng).error < 1e-12
True
"""

from __future__ import annotations

import numpy as np

from .layers import weight_keys
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
