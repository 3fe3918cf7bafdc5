"""Training inside the variety (PyTorch): tangent projection of the step, Gauss–Newton retraction.

Needs torch; nothing else in :mod:`invariant.networks` imports it. The weights are one
float64 vector w. Each step of :class:`VarietyOptimizer`:

1. projects the loss gradient on the tangent space T_w V = null(∂E/∂w) (rank by the gap rule);
2. lets the wrapped optimizer (SGD, Adam, ...) take its step with that gradient;
3. projects the displacement on T_w V (Adam's per-coordinate scaling leaves it);
4. retracts onto V by Gauss–Newton with minimum-norm steps on E(w) = 0 (``retract=False``
   skips this, to measure the drift).

>>> import torch
>>> from invariant.networks import VarietySpec
>>> net = VarietyNetwork(VarietySpec.build(widths=(2, 1, 1), output="trivial"), torch.tensor([1., 0., 1., 1.]))
>>> net(torch.tensor([[1., 2.]])).item()
25.0
"""

from __future__ import annotations

import numpy as np
import torch

from .dimension import null_space, numerical_rank
from .equations import NumericEquations
from .sampling import end_to_end_error
from .spec import VarietySpec


class VarietyNetwork(torch.nn.Module):
    """The quadratic network with all weights in one float64 parameter ``w`` (canonical order)."""

    def __init__(self, spec: VarietySpec, w):
        super().__init__()
        self.spec = spec
        self.eqs = NumericEquations(spec)
        self.w = torch.nn.Parameter(torch.as_tensor(np.asarray(w, dtype=np.float64)).clone())
        self._layout = []
        for l in range(spec.num_layers):
            a, b = spec.widths[l], spec.widths[l + 1]
            I, J = np.triu_indices(a)
            self._layout.append((self.eqs.net.slices[l], a, b, torch.as_tensor(I), torch.as_tensor(J)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = x.to(self.w.dtype)
        for sl, a, b, I, J in self._layout:
            seg = self.w[sl]
            npairs = len(I)
            W = seg[: b * npairs].reshape(b, npairs)
            out = (o[:, I] * o[:, J]) @ W.T
            off = b * npairs
            if self.spec.with_linear:
                out = out + o @ seg[off : off + b * a].reshape(b, a).T
                off += b * a
            if self.spec.with_bias:
                out = out + seg[off : off + b]
            o = out
        return o

    def numpy_weights(self) -> np.ndarray:
        return self.w.detach().cpu().numpy().astype(np.float64)


class VarietyOptimizer:
    """Wrap a torch optimizer over ``net.w`` so that every step stays on V."""

    def __init__(self, net: VarietyNetwork, optimizer: torch.optim.Optimizer, retract: bool = True,
                 tol: float = 1e-14, max_newton: int = 30):
        self.net, self.opt, self.retract, self.tol, self.max_newton = net, optimizer, retract, tol, max_newton
        self.last_newton_steps = 0

    def tangent_basis(self, w: np.ndarray) -> np.ndarray:
        _, J = self.net.eqs.residual_and_jacobian(w)
        return null_space(J, numerical_rank(J).rank)

    @torch.no_grad()
    def step(self) -> None:
        w0 = self.net.numpy_weights()
        N = self.tangent_basis(w0)
        grad = self.net.w.grad.detach().cpu().numpy()
        self.net.w.grad.copy_(torch.as_tensor(N @ (N.T @ grad)))
        self.opt.step()
        delta = self.net.numpy_weights() - w0
        w = w0 + N @ (N.T @ delta)
        if self.retract:
            w = self._newton(w)
        self.net.w.copy_(torch.as_tensor(w))

    def _newton(self, w: np.ndarray) -> np.ndarray:
        eqs = self.net.eqs
        self.last_newton_steps = 0
        for _ in range(self.max_newton):
            E, J = eqs.residual_and_jacobian(w)
            if np.max(np.abs(E), initial=0.0) <= self.tol * max(1.0, np.max(np.abs(w))) ** 3:
                break
            w = w + np.linalg.lstsq(J, -E, rcond=1e-10)[0]
            self.last_newton_steps += 1
        return w

    def zero_grad(self) -> None:
        self.opt.zero_grad()


def equivariance_error(net: VarietyNetwork, action, seed: int = 0) -> float:
    """max |f(g·x) − ρ(g) f(x)| / max(1, max|f|) in float64 over generators and 16 normal x."""
    return end_to_end_error(net.eqs, net.numpy_weights(), action, np.random.default_rng(seed))


def coefficient_residual(net: VarietyNetwork) -> float:
    """max |E(w)|: the matched coefficient differences at the current weights."""
    return float(np.max(np.abs(net.eqs.residual(net.numpy_weights())), initial=0.0))
