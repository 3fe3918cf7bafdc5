"""Generated modules: equivariance, structured = dense, gradients, modes, files, golden output."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.func import functional_call

import invariant
from codegen import emit_file, render_source
from codegen.nets import stack
from invariant import LayerSpec, derive
from invariant.cli import main
from invariant.testing import assert_equivariant, equivariance_error

CASES = {
    "linear-sym": dict(layer="linear", n=5),
    "linear-sym-invariant": dict(layer="linear", n=5, output="trivial", outputs=2, with_bias=True),
    "quad-sym-full-terms": dict(layer="quadratic", n=5, with_linear=True, with_bias=True),
    "quad-sym-invariant": dict(layer="quadratic", n=4, output="trivial", outputs=2),
    "quad-sym-sign": dict(layer="quadratic", n=2, output="sign", with_linear=True),
    "quad-sym-fullparam": dict(layer="quadratic", n=4, param="full", with_bias=True),
    "quad-cyclic": dict(layer="quadratic", n=6, group="cyclic", with_linear=True, with_bias=True),
    "linear-cyclic": dict(layer="linear", n=7, group="cyclic"),
    "quad-dihedral": dict(layer="quadratic", n=5, group="dihedral"),
    "quad-alternating-sign": dict(layer="quadratic", n=4, group="alternating", output="sign", outputs=2),
    "folded-quad-hyper": dict(layer="folded-quadratic", n=6, group="hyperoctahedral", with_bias=True),
    "linear-hyper": dict(layer="linear", n=6, group="hyperoctahedral"),
    "cubic-sym": dict(layer="cubic", n=5, with_linear=True, with_bias=True),
    "cubic-cyclic": dict(layer="cubic", n=5, group="cyclic"),
    "cubic-sym-fullparam": dict(layer="cubic", n=3, param="full"),
    "custom": dict(layer="quadratic", n=4, generators="(0 1)(2 3); (0 2)(1 3)", output_generators="(0 1); ()",
                   outputs=2),
}


def layer_for(name, dtype=torch.float64, **kwargs):
    cls = invariant.compile(LayerSpec.build(**CASES[name]))
    torch.manual_seed(0)
    layer = cls(dtype=dtype, **kwargs)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn_like(p))
    return layer


@pytest.mark.parametrize("name", CASES)
def test_equivariant_and_parameter_count(name):
    layer = layer_for(name)
    assert sum(p.numel() for p in layer.parameters()) == derive(LayerSpec.build(**CASES[name])).num_free
    assert_equivariant(layer, trials=15, atol=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_structured_and_dense_forwards_and_gradients_agree(name):
    layer = layer_for(name)
    dense = layer_for(name, forward_impl="dense")
    x = torch.randn(7, layer.n, dtype=torch.float64, requires_grad=True)
    y1, y2 = layer(x), dense(x)
    assert torch.allclose(y1, y2, atol=1e-10, rtol=0)
    w = torch.randn_like(y1)
    g1 = torch.autograd.grad((y1 * w).sum(), [x, layer.theta])
    g2 = torch.autograd.grad((y2 * w).sum(), [x, dense.theta])
    for a, b in zip(g1, g2):
        assert torch.allclose(a, b, atol=1e-10, rtol=0)


@pytest.mark.parametrize("name", ["quad-sym-full-terms", "quad-cyclic", "quad-sym-fullparam", "linear-hyper",
                                  "cubic-sym", "cubic-sym-fullparam"])
def test_gradcheck_and_explicit_backward(name):
    layer = layer_for(name)
    explicit = layer_for(name, backward="explicit")
    x = torch.randn(3, layer.n, dtype=torch.float64, requires_grad=True)
    theta = layer.theta.detach().clone().requires_grad_(True)
    for module in (layer, explicit):
        fn = lambda x, th, m=module: functional_call(m, {"theta": th}, (x,))  # noqa: E731
        assert torch.autograd.gradcheck(fn, (x, theta), eps=1e-6, atol=1e-7)
    y1, y2 = layer(x), explicit(x)
    w = torch.randn_like(y1)
    for a, b in zip(torch.autograd.grad((y1 * w).sum(), [x, layer.theta]),
                    torch.autograd.grad((y2 * w).sum(), [x, explicit.theta])):
        assert torch.allclose(a, b, atol=1e-12, rtol=0)


def class_spread(layer, spec):
    """Largest difference inside any equality class of the emitted weights (0 when tied)."""
    sol = derive(spec) if spec.n <= 7 else None
    w, b, c = layer.weights()
    flat = torch.cat([w.reshape(-1), b.reshape(-1), c.reshape(-1)]).detach()
    lay = sol.layout
    n = spec.n

    def pos(key):
        f, k, idx = key
        fam = lay.families[f].name
        if fam == "W":
            return k * n * n + idx[0] * n + idx[1] if len(idx) == 2 else k * n + idx[0]
        if fam == "B":
            return w.numel() + k * n + idx[0]
        return w.numel() + b.numel() + k

    worst = 0.0
    for c in range(sol.num_classes):
        vals = torch.stack([flat[pos(lay.key(m))] * s for m, s in sol.members(c)])
        worst = max(worst, (vals - vals[0]).abs().max().item())
    return worst


@pytest.mark.parametrize("mode", ["tied", "projected"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("name", ["quad-sym-full-terms", "quad-sym-fullparam", "quad-cyclic"])
def test_weights_stay_tied_through_training(mode, optimizer, name):
    spec = LayerSpec.build(**CASES[name])
    layer = invariant.compile(spec)(mode=mode, dtype=torch.float64)
    opt = (torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam)(layer.parameters(), lr=1e-2)
    layer.attach(opt)
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        x = torch.randn(16, spec.n, generator=gen, dtype=torch.float64)
        loss = ((layer(x) - torch.sin(x[..., : spec.outputs].sum(-1, keepdim=True))) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert class_spread(layer, spec) == 0.0  # equality classes: bit-for-bit equal
    assert equivariance_error(layer, trials=10).error < 1e-10  # additive relations: to rounding


def test_projected_gradient_lies_in_the_subspace():
    spec = LayerSpec.build(**CASES["quad-sym-fullparam"])
    layer = invariant.compile(spec)(mode="projected", dtype=torch.float64)
    layer(torch.randn(4, spec.n, dtype=torch.float64)).pow(2).sum().backward()
    g = layer.flat.grad
    assert torch.allclose(layer._project_grad(g), g, atol=1e-12)


def test_any_batch_shape_float32_state_dict_and_repr():
    cls = invariant.compile(LayerSpec.build(layer="quadratic", n=6, with_bias=True))
    layer = cls()
    x = torch.randn(2, 3, 5, 6)
    assert layer(x).shape == (2, 3, 5, 6) and layer(x).dtype == torch.float32
    other = cls()
    other.load_state_dict(layer.state_dict())
    assert torch.equal(other(x), layer(x))
    assert list(layer.state_dict()) == ["theta", "spec_sha256"]
    # A state dict of another spec with the same number of parameters is refused.
    same_count = invariant.compile(LayerSpec(layer="quadratic", n=7, with_bias=True))()
    assert same_count.theta.numel() == layer.theta.numel()
    with pytest.raises(RuntimeError, match="state dict is not for this layer"):
        same_count.load_state_dict(layer.state_dict())
    # One dtype rule and one shape rule for every forward, with the expected shape named.
    for impl in ("auto", "dense"):
        module = cls(forward_impl=impl)
        with pytest.raises(TypeError, match=r"expects torch\.float32 input"):
            module(torch.randn(2, 6, dtype=torch.float64))
        with pytest.raises(ValueError, match=r"expects input of shape \(\.\.\., 6\), got \(2, 5\)"):
            module(torch.randn(2, 5))
    assert "layer=quadratic, n=6" in repr(layer)
    assert layer.weight().shape == (6, 6, 6)
    double = cls(dtype=torch.float64)
    assert_equivariant(double)


def test_float32_equivariance_at_looser_tolerance():
    layer = invariant.compile(LayerSpec.build(layer="quadratic", n=8, with_linear=True))()
    x = torch.randn(32, 8)
    perm = torch.randperm(8)
    assert torch.allclose(layer(x[:, perm]), layer(x)[:, perm], atol=1e-5)


def test_init_variance_matches_unconstrained_layer():
    # Var y_k = gain (2) at init for x ~ N(0, I), over random inits and inputs.
    cls = invariant.compile(LayerSpec.build(layer="quadratic", n=8, with_linear=True, with_bias=True))
    torch.manual_seed(0)
    ys = [cls(dtype=torch.float64)(torch.randn(64, 8, dtype=torch.float64)) for _ in range(400)]
    var = torch.cat(ys).var().item()
    assert abs(var - 2.0) < 0.15


@pytest.mark.parametrize("layer", ["linear", "quadratic", "cubic"])
def test_interpolated_init_moments_are_the_enumerated_ones_at_large_n(layer):
    # Above n = 7 the class moments are lifted from small n; at n = 10 they must equal the moments
    # enumerated over the classes at n = 10 (a degree-d layer's moments are polynomials of degree d in n).
    from codegen.realize import class_stats, interpolated_stats

    spec = LayerSpec.build(layer=layer, n=10, with_linear=layer != "linear", with_bias=True)
    sol = derive(spec, method="pattern")
    assert interpolated_stats(spec, sol) == class_stats(sol.layout, sol.tying)


def test_power_sum_path_at_large_n_is_equivariant_and_matches_dense():
    cls = invariant.compile(LayerSpec.build(layer="quadratic", n=40, with_linear=True, with_bias=True))
    layer = cls(dtype=torch.float64)
    dense = cls(dtype=torch.float64, forward_impl="dense")
    dense.load_state_dict(layer.state_dict())
    x = torch.randn(5, 40, dtype=torch.float64)
    assert torch.allclose(layer(x), dense(x), atol=1e-10, rtol=0)
    assert_equivariant(layer, trials=5)


def test_device_argument_and_cuda_when_available():
    cls = invariant.compile(LayerSpec.build(layer="quadratic", n=5))
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        layer = cls(device=device, dtype=torch.float64)
        assert layer(torch.randn(3, 5, device=device, dtype=torch.float64)).device.type == device
        assert_equivariant(layer)


@pytest.mark.slow  # torch.export
def test_export_works():
    layer = invariant.compile(LayerSpec.build(layer="quadratic", n=6, with_bias=True))()
    x = torch.randn(4, 6)
    exported = torch.export.export(layer, (x,))
    assert torch.allclose(exported.module()(x), layer(x))


@pytest.mark.slow  # a fresh process importing torch
def test_emit_is_byte_identical_and_imports_in_a_fresh_process(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    for path in (a, b):
        assert main(["emit", "--layer", "quadratic", "--n", "8", "-o", str(path)]) == 0
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text()
    assert text.startswith("# @generated by invariant ") and "sha256: " in text.splitlines()[0]
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); from a import Layer; import torch; "
            "l = Layer(); print(l(torch.randn(2, 8)).shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "torch.Size([2, 8])"


def test_compile_uses_the_same_source_as_emit(tmp_path):
    spec = LayerSpec.build(layer="linear", n=5, group="cyclic")
    emit_file(spec, str(tmp_path / "m.py"))
    assert (tmp_path / "m.py").read_text() == render_source(spec)
    assert invariant.compile(spec).spec == str(spec)


@pytest.mark.slow  # invariant check runs each module in a fresh process
def test_check_passes_and_a_corrupted_module_fails(tmp_path, capsys):
    path = tmp_path / "q.py"
    main(["emit", "--layer", "quadratic", "--n", "4", "--group", "dihedral", "-o", str(path)])
    assert main(["check", str(path), "--trials", "10", "--timeout", "600"]) == 0
    assert "ok, tol 1e-10" in capsys.readouterr().out
    # Move one weight into another class: TRIPLE_PARAM's first entry points to parameter 1.
    lines = path.read_text().splitlines()
    i = next(i for i, l in enumerate(lines) if l.startswith("TRIPLE_PARAM = ("))
    assert lines[i].startswith("TRIPLE_PARAM = (0, ")
    lines[i] = lines[i].replace("TRIPLE_PARAM = (0, ", "TRIPLE_PARAM = (1, ", 1)
    path.write_text("\n".join(lines) + "\n")
    assert main(["check", str(path), "--trials", "10", "--timeout", "600"]) == 1
    assert "FAIL" in capsys.readouterr().out


GOLDEN = {
    "quadratic_symmetric4.py": dict(layer="quadratic", n=4, with_bias=True),
    "linear_cyclic5.py": dict(layer="linear", n=5, group="cyclic"),
    "quadratic_full3.py": dict(layer="quadratic", n=3, param="full"),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_files(name):
    # To accept an intended change: python tests/update_golden.py
    golden = Path(__file__).parent.parent / "golden" / name
    assert render_source(LayerSpec.build(**GOLDEN[name])) == golden.read_text()


def test_stacked_network_is_equivariant_and_invariant_head_is_invariant():
    lin = invariant.compile(LayerSpec.build(layer="linear", n=5))
    quad = invariant.compile(LayerSpec.build(layer="quadratic", n=5, with_bias=True))
    head = invariant.compile(LayerSpec.build(layer="quadratic", n=5, output="trivial", outputs=3))
    body = stack(lin(dtype=torch.float64), quad(dtype=torch.float64))
    assert_equivariant(body)
    for h in ("sum", "max", head(dtype=torch.float64)):
        net = stack(lin(dtype=torch.float64), quad(dtype=torch.float64), head=h)
        assert_equivariant(net)


def test_stack_rejects_mismatched_layers():
    a = invariant.compile(LayerSpec.build(layer="linear", n=5))()
    b = invariant.compile(LayerSpec.build(layer="linear", n=4))()
    c = invariant.compile(LayerSpec.build(layer="linear", n=5, group="cyclic"))()
    with pytest.raises(invariant.InvariantError, match="inputs"):
        stack(a, b)
    with pytest.raises(invariant.InvariantError, match="action"):
        stack(a, c)


def test_checker_can_fail_on_a_non_equivariant_module():
    class Broken(torch.nn.Module):
        n, outputs = 3, 3
        generator_pairs = (((1, 0, 2), (1, 0, 2), 1),)

        def forward(self, x):
            return x * torch.tensor([1.0, 2.0, 3.0], dtype=x.dtype)

    with pytest.raises(AssertionError, match="exceeds"):
        assert_equivariant(Broken())


MATRIX = [
    dict(layer=layer, n=4, group=group, output=output, with_bias=bias)
    for layer in ("linear", "quadratic")
    for group in ("symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral")
    for output in ("permutation", "trivial", "sign")
    for bias in (False, True)
] + [dict(layer=layer, n=6, group="hyperoctahedral", with_bias=True) for layer in ("folded-linear", "folded-quadratic")]


@pytest.mark.parametrize("kwargs", MATRIX, ids=lambda k: "-".join(str(v) for v in k.values()))
def test_every_family_group_and_output(kwargs):
    spec = LayerSpec.build(**kwargs)
    layer = invariant.compile(spec)(dtype=torch.float64)
    with torch.no_grad():
        layer.theta.copy_(torch.randn_like(layer.theta))
    assert layer.theta.numel() == derive(spec).num_free
    assert_equivariant(layer, trials=8)


@pytest.mark.slow  # cubic modules at large n
def test_cubic_power_sums_beyond_the_pattern_size():
    # Degree 3 from the same derivation: patterns read at n_p = 7, formulas checked at 7 and 8, used at 12.
    cls = invariant.compile(LayerSpec.build(layer="cubic", n=12, with_bias=True))
    layer = cls(dtype=torch.float64)
    dense = cls(dtype=torch.float64, forward_impl="dense")
    dense.load_state_dict(layer.state_dict())
    x = torch.randn(4, 12, dtype=torch.float64)
    assert layer.forward_impl == "power_sums"
    assert torch.allclose(layer(x), dense(x), atol=1e-10, rtol=0)
    assert layer.theta.numel() == derive(LayerSpec.build(layer="cubic", n=12, with_bias=True)).num_free
    assert_equivariant(layer, trials=5)


@pytest.mark.slow  # a large sample
def test_cubic_init_variance():
    cls = invariant.compile(LayerSpec.build(layer="cubic", n=6, with_linear=True))
    torch.manual_seed(1)
    ys = [cls(dtype=torch.float64)(torch.randn(64, 6, dtype=torch.float64)) for _ in range(600)]
    assert abs(torch.cat(ys).var().item() - 2.0) < 0.25


@pytest.mark.parametrize("layer", ["linear", "quadratic"])
def test_more_invariant_outputs_than_inputs(layer):
    """Trivial outputs may outnumber the inputs (a wide S_n-invariant hidden layer)."""
    spec = LayerSpec.build(layer=layer, n=3, output="trivial", outputs=7, with_bias=True)
    module = invariant.compile(spec)(dtype=torch.float64)
    x = torch.randn(5, 3, dtype=torch.float64)
    y = module(x)
    assert y.shape == (5, 7)
    torch.testing.assert_close(module(x[:, [2, 0, 1]]), y, rtol=0, atol=1e-12)
    torch.testing.assert_close(module(x[:, [1, 0, 2]]), y, rtol=0, atol=1e-12)
    dense = module.__class__(forward_impl="dense", dtype=torch.float64)
    dense.load_state_dict(module.state_dict())
    torch.testing.assert_close(dense(x), y, rtol=0, atol=1e-12)  # structured = dense


@pytest.mark.slow  # a fresh process importing torch
def test_models_of_compiled_layers_pickle_into_a_fresh_process(tmp_path):
    import inspect

    graph = invariant.compile(LayerSpec(layer="linear", n=5, input_order=2, output_order=2, in_channels=3,
                                        out_channels=2, with_bias=True))
    vector = invariant.compile(LayerSpec(layer="quadratic", n=5, with_linear=True))
    torch.manual_seed(0)
    model = torch.nn.ModuleDict({"graph": graph(dtype=torch.float64), "vector": vector(dtype=torch.float64)})
    x, v = torch.randn(2, 5, 5, 3, dtype=torch.float64), torch.randn(2, 5, dtype=torch.float64)
    torch.save(model, tmp_path / "model.pt")
    torch.save((x, v, model["graph"](x), model["vector"](v)), tmp_path / "io.pt")
    code = (
        "import torch; "
        f"m = torch.load({str(tmp_path / 'model.pt')!r}, weights_only=False); "
        f"x, v, yg, yv = torch.load({str(tmp_path / 'io.pt')!r}); "
        "print(float((m['graph'](x) - yg).abs().max()), float((m['vector'](v) - yv).abs().max()))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [float(t) for t in result.stdout.split()] == [0.0, 0.0]
    # In-memory modules show their source to inspect and in tracebacks.
    assert "def forward(self, x)" in inspect.getsource(vector.forward)


@pytest.mark.parametrize("spec", [LayerSpec(layer="quadratic", n=4), LayerSpec(layer="linear", n=4, input_order=2,
                                                                                  output_order=2)], ids=str)
@pytest.mark.parametrize("method", ["symbolic", "orbit"])
def test_every_solver_path_emits_the_same_module(spec, method):
    """--method chooses how the derivation runs; the module is realized from the same classes, byte for byte
    (emit --method symbolic once crashed on S_n layers: no patterns to realize the power sums from)."""
    assert render_source(spec, method) == render_source(spec)
