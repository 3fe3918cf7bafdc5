"""The equivariance checker for torch modules (as e3nn's ``assert_equivariant``).

A thin wrapper over :func:`invariant.equivariance.equivariance_error`: the module becomes
a numpy-to-numpy function (inputs cast to the module's dtype and device, no gradients),
and the numpy core draws the group elements and inputs, applies the actions and measures
max |f(g·x) − s·ρ(g) f(x)|. It works for any module, a generated layer, an
``nn.Sequential`` or a model with embeddings and heads, given the group and the actions:

- ``group``: a :class:`~invariant.spec.LayerSpec` (its group and output action, derived by
  the library), any sampler ``rng -> (g, π, s)`` such as
  :func:`~invariant.equivariance.words` over generator pairs, or ``None`` for the
  module's own ``generator_pairs``, ``n`` and ``outputs`` (generated layers and
  :mod:`codegen.nets` networks have them);
- ``input_action`` / ``output_action``: :class:`~invariant.equivariance.TensorAction`
  (tensor order and channels, default a vector of points);
- ``x``: the input batch when standard normal inputs do not fit (integer tokens, say).

NaN or inf in any output fails. The tolerance is per dtype, relative to the output scale
(float64: 1e-10 · max(1, max |f(x)|); see :data:`~invariant.equivariance.RELATIVE_TOLERANCE`)
unless ``atol`` is given.

>>> import invariant, torch
>>> layer = invariant.compile(invariant.LayerSpec(layer="quadratic", n=5))(dtype=torch.float64)
>>> assert_equivariant(layer).error < 1e-10
True
>>> net = torch.nn.Sequential(torch.nn.Embedding(10, 3), torch.nn.Flatten(-2), torch.nn.Linear(12, 2))
>>> invariance = words((((1, 0, 2, 3), (0, 1), 1),), n=4, outputs=2)
>>> tokens = np.random.default_rng(0).integers(10, size=(8, 4))
>>> equivariance_error(net, invariance, x=tokens).ok()   # a linear map of concatenated embeddings
False
"""

from __future__ import annotations

import numpy as np

from . import equivariance as core
from .equivariance import VECTOR, Measurement, Sampler, TensorAction, words
from .spec import LayerSpec


def equivariance_error(
    module,
    group: LayerSpec | Sampler | None = None,
    *,
    trials: int = 20,
    batch: int = 8,
    seed: int = 0,
    x=None,
    input_action: TensorAction = VECTOR,
    output_action: TensorAction = VECTOR,
) -> Measurement:
    """max |f(g·x) − s·ρ(g) f(x)| of ``module`` over ``trials`` random group elements.

    Floating inputs are cast to the dtype of the module's first floating parameter or
    buffer (the default dtype if it has none) and moved to its device; integer inputs keep
    their dtype. The measurement's dtype is the output's.
    """
    import torch

    if isinstance(group, LayerSpec):
        sample = core.sampler(group)
    elif group is None:
        sample = words(module.generator_pairs, module.n, module.outputs)
    else:
        sample = group
    tensors = [*module.parameters(), *module.buffers()]
    floating = [t for t in tensors if t.is_floating_point()]
    dtype = floating[0].dtype if floating else torch.get_default_dtype()
    device = tensors[0].device if tensors else torch.device("cpu")
    names = []

    def f(a: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(np.ascontiguousarray(a)).to(device)
        with torch.no_grad():
            y = module(t.to(dtype) if t.is_floating_point() else t)
        names.append(str(y.dtype).removeprefix("torch."))
        return y.detach().to("cpu", torch.float64 if y.is_floating_point() else y.dtype).numpy()

    rng = np.random.default_rng(seed)
    measured = core.equivariance_error(
        f, sample, rng, trials=trials, batch=batch, x=None if x is None else np.asarray(x),
        input_action=input_action, output_action=output_action,
    )
    return Measurement(measured.error, measured.scale, measured.trials, names[0], measured.finite)


def assert_equivariant(module, group: LayerSpec | Sampler | None = None, *, atol: float | None = None,
                       **options) -> Measurement:
    """Raise AssertionError unless the module is equivariant to its dtype's tolerance; return the measurement.

    ``atol`` replaces the relative per-dtype tolerance by an absolute one; ``options``
    go to :func:`equivariance_error`. Non-finite outputs always fail.
    """
    measured = equivariance_error(module, group, **options)
    if not measured.ok(atol):
        raise AssertionError(f"{measured} exceeds the tolerance {measured.tolerance(atol):.1e}"
                             if measured.finite else str(measured))
    return measured
