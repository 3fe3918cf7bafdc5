"""Training inside V: 500 steps of SGD and of Adam keep end-to-end equivariance ≤ 1e-10."""

import numpy as np
import pytest
import torch

from invariant.networks import VarietySpec, variety
from invariant.networks.action import network_action
from invariant.networks.training import (
    VarietyNetwork,
    VarietyOptimizer,
    coefficient_residual,
    equivariance_error,
)


def _setup():
    spec = VarietySpec.build(widths=(3, 2, 1), output="trivial")
    rep = variety(spec, starts=0, exact=False)
    start = next(c for c in rep.components if c.kind != "degenerate")  # largest non-degenerate
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.standard_normal((128, 3)))
    p1, p2, p3, p4 = (X.sum(1), (X**2).sum(1), (X**3).sum(1), (X**4).sum(1))
    y = (0.5 * p4 - 0.3 * p1 * p3 + 0.2 * p2**2 - 0.1 * p1**4)[:, None]
    return spec, start.example.w, X, y, network_action(spec)


@pytest.mark.slow  # 500 steps each (4-7 s)
@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_500_steps_stay_on_the_variety(name):
    spec, w0, X, y, action = _setup()
    net = VarietyNetwork(spec, w0)
    base = torch.optim.SGD([net.w], lr=1e-3) if name == "sgd" else torch.optim.Adam([net.w], lr=1e-2)
    opt = VarietyOptimizer(net, base)
    first = last = None
    for _ in range(500):
        opt.zero_grad()
        loss = ((net(X) - y) ** 2).mean()
        loss.backward()
        opt.step()
        assert equivariance_error(net, action) <= 1e-10
        first = loss.item() if first is None else first
        last = loss.item()
    assert coefficient_residual(net) <= 1e-10
    assert last < 0.9 * first  # it trains (the component cannot fit p1·p3 and p4: the loss has a positive floor)


def test_without_retraction_the_error_is_larger():
    """Projection alone leaves V at second order; the retraction removes that drift."""
    spec, w0, X, y, _ = _setup()
    errors = {}
    for retract in (True, False):
        net = VarietyNetwork(spec, w0)
        opt = VarietyOptimizer(net, torch.optim.SGD([net.w], lr=3e-3), retract=retract)
        for _ in range(100):
            opt.zero_grad()
            ((net(X) - y) ** 2).mean().backward()
            opt.step()
        errors[retract] = coefficient_residual(net)
    assert errors[True] < errors[False]
