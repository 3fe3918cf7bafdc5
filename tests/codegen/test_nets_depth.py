"""Deep tensor networks at init (codegen.nets.TensorNet): variance over depth, the
equivariant normalization, masks."""

import pytest
import torch

from codegen.nets import EquivariantNorm, TensorNet
from codegen.render import compile_module
from invariant import InvariantError, LayerSpec

C, N = 16, 10


def quadratic_layer():
    return compile_module(LayerSpec(layer="quadratic", n=N, with_linear=True, with_bias=True,
                                           in_channels=C, out_channels=C))


def depth_ratios(norm, seeds):
    """E[h_t²] / E[x²] after each of 8 quadratic+linear layers (ReLU between), one row per seed."""
    layer = quadratic_layer()
    rows = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        net = TensorNet([layer() for _ in range(8)], activation=torch.relu, norm=norm)
        x = torch.randn(32, N, C)
        with torch.no_grad():
            rows.append([h.pow(2).mean().item() / x.pow(2).mean().item() for h in net.hidden(x)])
    return rows


@pytest.mark.slow  # many seeds
def test_eight_quadratic_layers_with_norm_keep_the_variance_within_10x_over_many_seeds():
    rows = depth_ratios("layer", seeds=50)
    worst = max(max(r) for r in rows), min(min(r) for r in rows)
    assert worst[1] > 0.1 and worst[0] < 10, worst


def test_without_the_norm_the_same_stack_blows_up():
    rows = depth_ratios("none", seeds=5)
    assert all(not (r[-1] < 10) for r in rows)  # 10^k or inf/nan: quadratic layers square the scale


@pytest.mark.slow  # a large sample
def test_first_layer_init_gives_the_gain():
    rows = depth_ratios("layer", seeds=50)
    mean_first = sum(r[0] for r in rows) / len(rows)
    assert mean_first == pytest.approx(2.0, rel=0.1)


def test_norm_is_equivariant_and_respects_the_mask():
    torch.manual_seed(0)
    norm = EquivariantNorm(order=2)
    x = torch.randn(3, 5, 5, 4, dtype=torch.float64)
    g = torch.randperm(5)
    inv = torch.argsort(g)
    gx = x[:, inv][:, :, inv]
    assert torch.allclose(norm(gx), norm(x)[:, inv][:, :, inv], atol=1e-12)
    padded = torch.zeros(1, 7, 7, 4, dtype=torch.float64)
    padded[0, :5, :5] = x[0]
    mask = torch.tensor([[True] * 5 + [False] * 2])
    out = norm(padded, mask)
    assert torch.allclose(out[0, :5, :5], norm(x[:1])[0], atol=1e-12)
    assert out[0, 5:].abs().max() == 0 and out[0, :, 5:].abs().max() == 0


@pytest.mark.slow  # about a second
def test_graph_network_with_norm_is_invariant_and_masks_like_unpadded():
    spec = dict(n=8, in_channels=4, out_channels=4, with_bias=True)
    g22 = compile_module(LayerSpec(layer="linear", input_order=2, output_order=2, in_channels=2, out_channels=4,
                                          n=8, with_bias=True))
    q22 = compile_module(LayerSpec(layer="quadratic", input_order=2, output_order=2, **spec))
    head = compile_module(LayerSpec(layer="linear", input_order=2, output_order=0, n=8, in_channels=4,
                                           out_channels=3))
    torch.manual_seed(1)
    net = TensorNet([g22(dtype=torch.float64), q22(dtype=torch.float64), head(dtype=torch.float64)], norm="layer")
    x = torch.randn(2, 6, 6, 2, dtype=torch.float64)
    g = torch.randperm(6)
    inv = torch.argsort(g)
    assert (net(x[:, inv][:, :, inv]) - net(x)).abs().max() < 1e-10
    padded = torch.zeros(2, 9, 9, 2, dtype=torch.float64)
    padded[:, :6, :6] = x
    mask = torch.zeros(2, 9, dtype=torch.bool)
    mask[:, :6] = True
    assert (net(padded, mask=mask) - net(x)).abs().max() < 1e-10


def test_mismatched_layers_are_refused():
    a = compile_module(LayerSpec(layer="linear", input_order=2, output_order=1, n=6, in_channels=2, out_channels=3))
    b = compile_module(LayerSpec(layer="linear", input_order=2, output_order=2, n=6, in_channels=3))
    with pytest.raises(InvariantError, match="layer 0 gives order 1 with 3 channels"):
        TensorNet([a(), b()])
    with pytest.raises(InvariantError, match="unknown norm"):
        TensorNet([a()], norm="batch")
