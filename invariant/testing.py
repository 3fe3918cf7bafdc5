"""The one exported equivariance checker for torch modules (as e3nn's ``assert_equivariant``).

A module qualifies if it has ``n``, ``outputs`` and ``generator_pairs`` (every generated
layer and every network built by :mod:`codegen.nets` has them). The error is
max |f(g·x) - ρ(g) f(x)| over random group elements (random words in the generators, not
only generators) and standard normal inputs, in float64.

>>> import invariant, torch
>>> layer = invariant.compile(invariant.LayerSpec.build(layer="quadratic", n=5))()
>>> assert_equivariant(layer) < 1e-10
True
"""

from __future__ import annotations

import numpy as np

from .numeric import random_word


def equivariance_error(module, trials: int = 20, batch: int = 8, seed: int = 0) -> float:
    """max |f(g·x) - ρ(g) f(x)| in float64 over ``trials`` random group elements."""
    import torch

    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    param = next(iter(module.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    worst = 0.0
    with torch.no_grad():
        for _ in range(trials):
            g, pi, s = random_word(module.generator_pairs, module.n, module.outputs, rng)
            x = torch.randn(batch, module.n, generator=gen, dtype=torch.float64).to(device)
            gx = torch.empty_like(x)
            gx[:, list(g)] = x
            fx = module(x)
            rho = torch.empty_like(fx)
            rho[:, list(pi)] = fx
            worst = max(worst, (module(gx) - s * rho).abs().max().item())
    return worst


def assert_equivariant(module, trials: int = 20, atol: float = 1e-10, seed: int = 0) -> float:
    """Raise AssertionError if the float64 equivariance error exceeds ``atol``; return it.

    Cast the module to float64 first (``module.double()``) for the 1e-10 tolerance.
    """
    error = equivariance_error(module, trials=trials, seed=seed)
    if not error <= atol:
        raise AssertionError(f"equivariance error {error:.3e} exceeds {atol:.1e} ({trials} random group elements)")
    return error
