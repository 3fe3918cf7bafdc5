"""Numbers for the derived answer: the layer evaluated on given weights (W = sol.basis() @ θ).

Used by the tests and by the folded-layer demonstration; numpy only (no torch). The
equivariance error of such a layer is measured by :mod:`invariant.equivariance`:

>>> import numpy as np
>>> from functools import partial
>>> from invariant import LayerSpec, derive
>>> from invariant.equivariance import equivariance_error, sampler
>>> sol = derive(LayerSpec(layer="quadratic", n=4, with_linear=True))
>>> rng = np.random.default_rng(0)
>>> w = sol.basis() @ rng.standard_normal(sol.num_free)
>>> equivariance_error(partial(evaluate, sol.spec, w), sampler(sol.spec), rng).error < 1e-12
True
"""

from __future__ import annotations

import numpy as np

from .problem import lower
from .spec import LayerSpec


def evaluate(spec: LayerSpec, weights, x) -> np.ndarray:
    """y_o = Σ W[o, idx] x_idx + Σ B[o, a] x_a + C[o] for a batch x of shape (..., N), N = n^k input points."""
    x = np.asarray(x, dtype=np.float64)
    layout = lower(spec).layout
    y = np.zeros(x.shape[:-1] + (layout.outputs,))
    for w, (_, o, idx) in zip(np.asarray(weights, dtype=np.float64), layout.keys()):
        if w:
            y[..., o] += w * np.prod(x[..., list(idx)], axis=-1)
    return y
