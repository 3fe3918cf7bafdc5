"""Tensor-order S_n layers (codegen/tensor.py): brute-force oracle, equivariance under random
permutations, any n against the dense module of each n, gradients, masks, init, pickling."""

import subprocess
import sys
import types
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from tensor_oracle import brute_forward, brute_patterns

from codegen.render import render_record
from codegen.tensor import TensorLayout, coarsenings, tensor_record
from invariant.solvers.partitions import set_partitions

# (k, l, degree, with_linear, with_bias): k + l <= 4 linear, and quadratic layers.
CASES = [
    (1, 1, 1, False, False), (1, 2, 1, False, True), (2, 1, 1, False, False), (2, 2, 1, False, True),
    (2, 0, 1, False, True), (0, 1, 1, False, True), (0, 2, 1, False, False), (3, 1, 1, False, False),
    (1, 3, 1, False, False), (1, 0, 1, False, False),
    (1, 1, 2, True, True), (1, 0, 2, True, False), (2, 2, 2, False, False), (2, 1, 2, True, False),
    (0, 1, 2, False, False), (1, 2, 2, False, True),
]


def case_id(case):
    k, l, d, lin, bias = case
    return f"{k}to{l}-{'quadratic' if d == 2 else 'linear'}" + ("+B" if lin else "") + ("+C" if bias else "")


def module_for(case, channels=(1, 1), n=6, outputs=None):
    """The generated module (namespace) for a case, from oracle patterns derived at n."""
    k, l, d, lin, bias = case
    pats, members = brute_patterns(min(n, 5), k, l, d, lin, bias, outputs) if n <= 5 else (full_patterns(case), None)
    layout = TensorLayout(k=k, l=l, in_channels=channels[0], out_channels=channels[1], degree=d, n=n,
                          outputs=outputs or 1, with_linear=lin, with_bias=bias, permutation_output=outputs is None)
    source = render_record(tensor_record(layout, pats, f"case {case_id(case)} C={channels} n={n}", "Layer"))
    module = types.ModuleType("generated_tensor_layer")
    exec(compile(source, "<generated>", "exec"), module.__dict__)  # noqa: S102 - our generated code
    return module, pats, members


def full_patterns(case):
    """Every pattern (n large): set partitions of the slots, quadratic ones up to the factor swap."""
    from invariant.solvers.patterns import ClassPattern, swap_factors

    k, l, d, lin, bias = case
    out = []
    for f, (name, deg) in enumerate([("W", d)] + ([("B", 1)] if lin else []) + ([("C", 0)] if bias else [])):
        seen = set()
        for p in set_partitions(l + deg * k):
            if deg == 2 and swap_factors(p, l, k) in seen:
                continue
            seen.add(p)
            out.append(ClassPattern(name, f, None, p, (p,), 0, "", 0))
    return tuple(out)


def randomized(cls, seed=0, **kwargs):
    torch.manual_seed(seed)
    layer = cls(dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn_like(p))
    return layer


def act(g, t, order, first=1):
    """(g·t)[i1..] = t[g⁻¹(i1), ...] on ``order`` point axes starting at axis ``first``."""
    inv = torch.argsort(g)
    for axis in range(order):
        t = t.index_select(first + axis, inv)
    return t


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("n", [3, pytest.param(4, marks=pytest.mark.slow)])
def test_structured_forward_equals_the_brute_force_orbit_sums(case, n):
    """One weight per unordered monomial, classes = orbits over all of S_n (n <= 5), C = D = 1."""
    k, l, d, _, _ = case
    module, pats, members = module_for(case, n=n)
    layer = randomized(module.Layer)
    x = torch.randn((3,) + (n,) * k + (1,), dtype=torch.float64)
    theta = torch.cat([p.detach().reshape(-1) for p in layer.parameters()]).numpy()
    expected = brute_forward(x[..., 0].numpy(), theta, members, pats, n, l, k, d)
    assert np.abs(layer(x, n=n)[..., 0].detach().numpy() - expected).max() < 1e-10


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c == (2, 2, 2, False, False) else c
                                  for c in CASES], ids=case_id)
def test_any_n_module_is_equivariant_and_equals_the_dense_module_of_each_n(case):
    k, l, _, _, _ = case
    module, _, _ = module_for(case, channels=(3, 2), n=6)
    layer = randomized(module.Layer)
    gen = torch.Generator().manual_seed(1)
    for n in (1, 2, 3, 5, 7):
        dense = module.Layer(forward_impl="dense", n=n, dtype=torch.float64)
        dense.load_state_dict(layer.state_dict())
        x = torch.randn((4,) + (n,) * k + (3,), dtype=torch.float64, generator=gen)
        y = layer(x, n=n)
        assert y.shape == (4,) + (n,) * l + (2,)
        assert (y - dense(x, n=n)).abs().max() < 1e-10
        for _ in range(5):
            g = torch.randperm(n, generator=gen)
            assert (layer(act(g, x, k), n=n) - act(g, y, l)).abs().max() < 1e-10


@pytest.mark.parametrize("outputs", [1, 3])
def test_trivial_outputs_get_their_own_classes(outputs):
    case = (2, 0, 1, False, True)
    module, pats, members = module_for(case, n=4, outputs=outputs)
    assert len(pats) == outputs * 3  # 2 classes of W (diagonal, off-diagonal), 1 of C, per output
    layer = randomized(module.Layer)
    x = torch.randn(5, 4, 4, 1, dtype=torch.float64)
    theta = torch.cat([p.detach().reshape(-1) for p in layer.parameters()]).numpy()
    y = layer(x)
    assert y.shape == (5, outputs)
    expected = brute_forward(x[..., 0].numpy(), theta, members, pats, 4, 0, 2, 1, outputs)
    assert np.abs(y.detach().numpy() - expected).max() < 1e-10


def test_diagram_counts_and_mobius_coefficients():
    assert [len(list(set_partitions(m))) for m in range(1, 7)] == [1, 2, 5, 15, 52, 203]
    # μ over the whole interval [finest, coarsest] of Π_4 is (-1)^3 3!
    assert dict(coarsenings((0, 1, 2, 3)))[(0, 0, 0, 0)] == Fraction(-6)
    # Σ_{σ ≥ P} μ(P, σ) = 0 unless P is the top (Möbius function of a lattice)
    assert sum(mu for _, mu in coarsenings((0, 1, 2))) == 0
    module, _, _ = module_for((2, 2, 1, False, False), n=6)
    assert len(module.PATTERNS_W) == 15 and len(module.DIAGRAMS_W) == 15


@pytest.mark.parametrize("case", [(2, 2, 1, False, True), (1, 1, 2, True, True), (1, 2, 1, False, False)], ids=case_id)
def test_gradcheck_float64(case):
    from torch.func import functional_call

    k, _, _, _, _ = case
    module, _, _ = module_for(case, channels=(2, 2), n=6)
    layer = randomized(module.Layer)
    x = torch.randn((2,) + (3,) * k + (2,), dtype=torch.float64, requires_grad=True)
    params = {name: p.detach().clone().requires_grad_(True) for name, p in layer.named_parameters()}
    names = list(params)

    def fn(x, *ps):
        return functional_call(layer, dict(zip(names, ps)), (x,), {"n": 3})

    assert torch.autograd.gradcheck(fn, (x, *params.values()), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", [(2, 2, 1, False, True), (1, 1, 2, True, True), (2, 0, 1, False, True),
                                  (0, 2, 1, False, True), (1, 2, 2, False, True)], ids=case_id)
def test_mask_matches_unpadded_runs(case):
    """A padded batch of sets/graphs of sizes 2..5 with a mask gives each sample's own output."""
    k, l, _, _, _ = case
    module, _, _ = module_for(case, channels=(2, 3), n=6)
    layer = randomized(module.Layer)
    sizes, pad = [2, 5, 3, 4], 5
    gen = torch.Generator().manual_seed(2)
    xs = [torch.randn((m,) * k + (2,), dtype=torch.float64, generator=gen) for m in sizes]
    batch = torch.full((len(sizes),) + (pad,) * k + (2,), 7.0, dtype=torch.float64)  # padding is junk
    mask = torch.zeros(len(sizes), pad, dtype=torch.bool)
    for i, (m, x) in enumerate(zip(sizes, xs)):
        batch[(i,) + (slice(0, m),) * k] = x
        mask[i, :m] = True
    y = layer(batch, mask=mask)
    for i, (m, x) in enumerate(zip(sizes, xs)):
        alone = layer(x.unsqueeze(0), n=m)[0]
        got = y[(i,) + (slice(0, m),) * l]
        assert (got - alone).abs().max() < 1e-10
        assert y[i].abs().sum().item() == pytest.approx(got.abs().sum().item())  # zero at padded outputs


@pytest.mark.slow  # a large sample
def test_init_second_moment_is_the_gain():
    """E[y²] = init_gain for x ~ N(0, I) at the init n, over parameter draws (Monte Carlo)."""
    for case, channels in [((2, 2, 1, False, False), (4, 3)), ((1, 1, 2, True, False), (3, 2))]:
        k, _, _, _, _ = case
        module, _, _ = module_for(case, channels=channels, n=6)
        torch.manual_seed(0)
        moments = []
        for _ in range(300):
            layer = module.Layer(dtype=torch.float64, init_gain=2.0)
            x = torch.randn((8,) + (6,) * k + (channels[0],), dtype=torch.float64)
            moments.append(layer(x).pow(2).mean().item())
        assert np.mean(moments) == pytest.approx(2.0, rel=0.1)


def test_clear_errors_name_the_expected_shape():
    module, _, _ = module_for((2, 2, 1, False, False), channels=(3, 2), n=6)
    layer = module.Layer()
    with pytest.raises(ValueError, match=r"\(\.\.\., n, n, 3\)"):
        layer(torch.randn(2, 4, 5, 3))
    with pytest.raises(ValueError, match=r"\(\.\.\., n, n, 3\)"):
        layer(torch.randn(2, 4, 4, 2))
    with pytest.raises(TypeError, match="floating-point"):
        layer(torch.ones(2, 4, 4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="mask must have shape"):
        layer(torch.randn(2, 4, 4, 3), mask=torch.ones(3, 4))
    with pytest.raises(ValueError, match="built for n = 4"):
        module.Layer(forward_impl="dense", n=4)(torch.randn(1, 5, 5, 3))
    zero_order = module_for((0, 1, 1, False, False), n=6)[0].Layer()
    with pytest.raises(ValueError, match="n= or mask="):
        zero_order(torch.randn(2, 1))


def test_device_auto_and_float32():
    module, _, _ = module_for((2, 2, 1, False, True), channels=(3, 2), n=6)
    layer = module.Layer(device="auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert layer.weight.device.type == expected
    y = layer(torch.randn(2, 5, 5, 3, device=expected))
    assert y.dtype == torch.float32 and y.shape == (2, 5, 5, 2)


# -- through the front end: derive (pattern path) -> record -> source ------------------------------

GOLDEN_SPEC = dict(layer="linear", n=8, input_order=2, output_order=2, in_channels=3, out_channels=2, with_bias=True)
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "tensor_linear_2to2_c3d2.py"


def spec_for(case, n, **kwargs):
    from invariant import LayerSpec

    k, l, d, lin, bias = case
    return LayerSpec(layer="quadratic" if d == 2 else "linear", n=n, input_order=k, output_order=l,
                     with_linear=lin, with_bias=bias, **kwargs)


def compiled(spec):
    from codegen.render import render_source

    module = types.ModuleType("generated_from_spec")
    exec(compile(render_source(spec), "<generated>", "exec"), module.__dict__)  # noqa: S102
    return module


def swap_canonical(pattern, l, k, d):
    from invariant.solvers.patterns import swap_factors

    return (pattern.family, pattern.output, min(pattern.blocks, swap_factors(pattern.blocks, l, k)) if d == 2 and
            pattern.family == "W" else pattern.blocks)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("n", [2, 3, 4])
def test_pattern_solver_classes_are_the_brute_force_orbits(case, n):
    from invariant import derive

    k, l, d, _, _ = case
    sol = derive(spec_for(case, n))
    assert sol.method == "pattern"
    brute, _ = brute_patterns(n, k, l, d, case[3], case[4], 1 if l == 0 else None)  # order 0: one trivial output
    assert sorted(swap_canonical(p, l, k, d) for p in sol.patterns) == sorted(swap_canonical(p, l, k, d) for p in brute)


@pytest.mark.parametrize("k, l", [(1, 1), (1, 2), (2, 1), (2, 2), (2, 0), (0, 1), (3, 1), (2, 3)])
def test_linear_class_count_is_bell_of_k_plus_l(k, l):
    from invariant import derive

    bell = [1, 1, 2, 5, 15, 52, 203]
    assert len(derive(spec_for((k, l, 1, False, False), n=12)).patterns) == bell[k + l]


@pytest.mark.parametrize("case", [(2, 2, 1, False, True), (1, 1, 2, True, True), (2, 0, 1, False, False),
                                  (0, 2, 1, False, True), (1, 2, 2, False, False)], ids=case_id)
def test_generated_from_spec_is_equivariant_for_any_n(case):
    k, l, _, _, _ = case
    module = compiled(spec_for(case, n=6, in_channels=2, out_channels=3))
    layer = randomized(module.Layer)
    gen = torch.Generator().manual_seed(3)
    for n in (2, 4, 9):
        x = torch.randn((2, 3) + (n,) * k + (2,), dtype=torch.float64, generator=gen)  # two batch dims
        y = layer(x, n=n)
        for _ in range(4):
            g = torch.randperm(n, generator=gen)
            assert (layer(act(g, x, k, first=2), n=n) - act(g, y, l, first=2)).abs().max() < 1e-10


def test_trivial_outputs_from_spec():
    from invariant import LayerSpec

    module = compiled(LayerSpec(layer="quadratic", n=6, input_order=2, output="trivial", outputs=1, in_channels=2,
                                out_channels=6))
    layer = randomized(module.Layer)
    x = torch.randn(4, 5, 5, 2, dtype=torch.float64)
    y = layer(x)
    assert y.shape == (4, 6)
    g = torch.randperm(5)
    assert (layer(act(g, x, 2)) - y).abs().max() < 1e-10
    # Several invariant outputs of several channels each: output m's channels at m·D .. m·D + D - 1.
    # (The dense reference once kept only one output's classes per pattern; invariant check found it.)
    several = compiled(LayerSpec(layer="quadratic", n=6, input_order=2, output="trivial", outputs=2, in_channels=2,
                                 out_channels=3, with_linear=True, with_bias=True))
    layer = randomized(several.Layer)
    for n in (5, 6):
        dense = several.Layer(forward_impl="dense", n=n, dtype=torch.float64)
        dense.load_state_dict(layer.state_dict())
        x = torch.randn(4, n, n, 2, dtype=torch.float64)
        y = layer(x)
        assert y.shape == (4, 6) and (dense(x) - y).abs().max() < 1e-10
        g = torch.randperm(n)
        assert (layer(act(g, x, 2)) - y).abs().max() < 1e-10


def test_golden_channelled_2to2_module_and_byte_identical_rerun():
    from codegen.render import render_source
    from invariant import LayerSpec

    source = render_source(LayerSpec(**GOLDEN_SPEC))
    # To accept an intended change: python tests/update_golden.py
    assert source == GOLDEN.read_text()
    code = ("from codegen.render import render_source; from invariant import LayerSpec; import sys; "
            f"sys.stdout.write(render_source(LayerSpec(**{GOLDEN_SPEC!r})))")
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert fresh.stdout == source
    first = source.splitlines()[0]
    assert first.startswith("# @generated by invariant") and f"sha256: {LayerSpec(**GOLDEN_SPEC).sha256}" in first


@pytest.mark.slow  # a fresh process importing torch
def test_model_survives_torch_save_and_load_in_a_fresh_process(tmp_path):
    """An emitted module file, a model of two layers and a head; loaded in a new interpreter."""
    (tmp_path / "graph_layer.py").write_text(GOLDEN.read_text())
    code = f"""
import sys, torch
sys.path.insert(0, {str(tmp_path)!r})
import graph_layer
torch.manual_seed(0)
model = torch.nn.Sequential(graph_layer.Layer(dtype=torch.float64), torch.nn.ReLU(), torch.nn.Linear(2, 3).double())
x = torch.randn(2, 6, 6, 3, dtype=torch.float64)
if sys.argv[1] == "save":
    torch.save({{"model": model, "x": x, "y": model(x)}}, {str(tmp_path / "model.pt")!r})
else:
    saved = torch.load({str(tmp_path / "model.pt")!r}, weights_only=False)
    assert torch.equal(saved["model"](saved["x"]), saved["y"])
    print("ok")
"""
    subprocess.run([sys.executable, "-c", code, "save"], check=True)
    out = subprocess.run([sys.executable, "-c", code, "load"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("k, l, lin, bias", [(1, 1, False, False), (1, 0, True, True), (2, 0, False, False),
                                             (1, 2, False, True)])
def test_cubic_layers_with_channels_are_equivariant_and_equal_the_dense_module(k, l, lin, bias):
    """Degree 3 reduces three channel axes at once (the structured forward once had letters for two)."""
    from invariant import LayerSpec

    spec = LayerSpec(layer="cubic", n=4, input_order=k, output_order=l, with_linear=lin, with_bias=bias,
                     in_channels=2, out_channels=2, **({"output": "trivial"} if l == 0 else {}))
    module = compiled(spec)
    layer = randomized(module.Layer)
    gen = torch.Generator().manual_seed(5)
    for n in (2, 4, 5):
        x = torch.randn((3,) + (n,) * k + (2,), dtype=torch.float64, generator=gen)
        y = layer(x)
        scale = max(1.0, float(y.detach().abs().max()))
        dense = module.Layer(forward_impl="dense", n=n, dtype=torch.float64)
        dense.load_state_dict(layer.state_dict())
        assert (dense(x) - y).abs().max() < 1e-10 * scale
        for _ in range(3):
            g = torch.randperm(n, generator=gen)
            assert (layer(act(g, x, k)) - act(g, y, l)).abs().max() < 1e-10 * scale
