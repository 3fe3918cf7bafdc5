"""Dense channel/tensor-order layers for any group (codegen/channels.py).

Three ways: exactly, the span of the module's functions has the dimension the character
formula gives (characters of Sym^d(V ⊗ R^C) over the whole group, enumerated here by
closure of hand-written generators); numerically, equivariance through the one checker
under random group elements, on random groups too (hypothesis); by gradients (gradcheck).
"""

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import event, given
from hypothesis import strategies as st
from oracles import closure, cycle, elements_of, reflection, transposition

from codegen.channels import actions, channel_record, output_tail
from codegen.check import check_file
from codegen.render import compile_module, emit_file, render_source
from invariant import InvariantError, LayerSpec, derive
from invariant.channels import MAX_DENSE_ENTRIES, channel_count, module_kind
from invariant.report import to_json
from invariant.testing import equivariance_error

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "channel_quadratic_cyclic4_c2d2.py"
GOLDEN_SPEC = dict(layer="quadratic", n=4, group="cyclic", in_channels=2, out_channels=2, with_linear=True,
                   with_bias=True)


# name -> (spec keywords, input generators written here, independent of the library's groups)
CASES = {
    "cyclic4-quadratic-C2D2+B+C": (dict(layer="quadratic", n=4, group="cyclic", in_channels=2, out_channels=2,
                                         with_linear=True, with_bias=True), [cycle(4)]),
    "cyclic3-quadratic-trivial-C2": (dict(layer="quadratic", n=3, group="cyclic", output="trivial", in_channels=2),
                                     [cycle(3)]),
    "dihedral4-quadratic-C3": (dict(layer="quadratic", n=4, group="dihedral", in_channels=3),
                               [cycle(4), reflection(4)]),
    "dihedral4-cubic-trivial-C2": (dict(layer="cubic", n=4, group="dihedral", output="trivial", in_channels=2),
                                   [cycle(4), reflection(4)]),
    "symmetric3-quadratic-sign-C2": (dict(layer="quadratic", n=3, output="sign", in_channels=2),
                                     [transposition(3), cycle(3)]),
    "symmetric3-quadratic-full-trivial-C2": (dict(layer="quadratic", n=3, param="full", output="trivial",
                                                  in_channels=2), [transposition(3), cycle(3)]),
    "cyclic4-linear-2to1-C2D3": (dict(layer="linear", n=4, group="cyclic", input_order=2, in_channels=2,
                                      out_channels=3), [cycle(4)]),
    "dihedral4-linear-2to2-C2+C": (dict(layer="linear", n=4, group="dihedral", input_order=2, output_order=2,
                                        in_channels=2, with_bias=True), [cycle(4), reflection(4)]),
    "cyclic4-quadratic-2to0-C2": (dict(layer="quadratic", n=3, group="cyclic", input_order=2, output="trivial",
                                       in_channels=2), [cycle(3)]),
    "cyclic3-linear-0to2-C2+C": (dict(layer="linear", n=3, group="cyclic", input_order=0, output_order=2,
                                      in_channels=2, with_bias=True), [cycle(3)]),
    "custom4-linear-custom-out": (dict(layer="linear", n=4, generators="(0 1 2 3)", output_generators="(0 1)",
                                       outputs=2, in_channels=2, out_channels=2), [cycle(4)]),
    "symmetric3-quadratic-sign-M2-C2D2": (dict(layer="quadratic", n=3, output="sign", outputs=2, in_channels=2,
                                               out_channels=2), [transposition(3), cycle(3)]),
}


def power(g, r):
    out = tuple(range(len(g)))
    for _ in range(r):
        out = tuple(g[i] for i in out)
    return out


def fixed(g):
    return sum(1 for i, v in enumerate(g) if i == v)


def sym_character(chi, g, d):
    """χ of Sym^d of a representation with character chi, at g (d ≤ 3)."""
    a = [None] + [chi(power(g, r)) for r in range(1, d + 1)]
    if d == 0:
        return Fraction(1)
    if d == 1:
        return Fraction(a[1])
    if d == 2:
        return Fraction(a[1] ** 2 + a[2], 2)
    return Fraction(a[1] ** 3 + 3 * a[1] * a[2] + 2 * a[3], 6)


def expected_dimension(kw, gens):
    """Σ over terms of D · (1/|G|) Σ_g χ_{Sym^d(V⊗R^C)}(g) χ_U(g) over the whole group: the oracle.

    The elements (g, π, s) come from the brute-force closure of the lowered generator pairs,
    checked to be the group written here by hand; χ_U(g) = s · #fixed points of π (π acts on
    the n^l output tuples, on the M outputs, or trivially).
    """
    spec = LayerSpec(**kw)
    elements = closure(spec)
    assert {g for g, _, _ in elements} == elements_of(gens)
    assert len(elements) == len(elements_of(gens))  # the output rule is a function of g

    def chi_in(g):
        return spec.in_channels * fixed(g) ** spec.input_order

    degrees = [spec.degree] + [1] * spec.with_linear + [0] * spec.with_bias
    total = sum(Fraction(sum(sym_character(chi_in, g, deg) * s * fixed(pi) for g, pi, s in elements), len(elements))
                for deg in degrees)
    assert total.denominator == 1
    return int(total) * spec.out_channels


def randomized(spec, seed=0):
    """The compiled module in float64 with standard normal parameters."""
    torch.manual_seed(seed)
    layer = compile_module(spec)(dtype=torch.float64)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.randn_like(p))
    return layer


def function_span(layer, spec, seed=0):
    """Rank of the linear map parameters -> (outputs at random inputs), more samples than parameters."""
    params = list(layer.parameters())
    sizes = [p.numel() for p in params]
    samples = sum(sizes) + 10
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((samples,) + actions(spec)[0].shape(spec.n)))
    rows = []
    with torch.no_grad():
        for j in range(sum(sizes)):
            flat = torch.zeros(sum(sizes), dtype=torch.float64)
            flat[j] = 1.0
            for p, chunk in zip(params, flat.split(sizes)):
                p.copy_(chunk.view_as(p))
            rows.append(layer(x).reshape(-1))
    matrix = torch.stack(rows).numpy()
    s = np.linalg.svd(matrix, compute_uv=False)
    return int((s > s[0] * 1e-9).sum()) if len(s) else 0


#: The largest spans (an SVD of some hundred columns; seconds with two BLAS threads on a loaded machine): slow.
SLOW_SPANS = {"cyclic4-quadratic-C2D2+B+C", "dihedral4-quadratic-C3", "cyclic4-linear-2to1-C2D3",
              "dihedral4-linear-2to2-C2+C"}


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW_SPANS else name
                                  for name in CASES])
def test_module_spans_every_equivariant_map_the_character_formula_counts(name):
    kw, gens = CASES[name]
    spec = LayerSpec(**kw)
    assert module_kind(spec) == "dense"
    layer = compile_module(spec)(dtype=torch.float64)
    assert function_span(layer, spec) == expected_dimension(kw, gens)


@pytest.mark.parametrize("name", list(CASES))
def test_equivariant_to_1e10_under_random_group_elements(name):
    spec = LayerSpec(**CASES[name][0])
    layer = randomized(spec, seed=1)
    inp, out = actions(spec)
    m = equivariance_error(layer, spec, trials=30, input_action=inp, output_action=out)
    assert m.finite and m.error <= 1e-10 * max(1.0, m.scale), str(m)
    assert layer(torch.zeros((5, 2) + inp.shape(spec.n), dtype=torch.float64)).shape == (5, 2) + output_tail(spec)


@given(n=st.integers(3, 5), data=st.data())
def test_random_groups_and_channels_are_equivariant(n, data):
    """Random generators (so random groups), degree, orders and channels; random group elements."""
    perms = st.permutations(list(range(n))).map(tuple)
    gens = data.draw(st.lists(perms, min_size=1, max_size=2))
    layer_name = data.draw(st.sampled_from(["linear", "quadratic"]))
    k = data.draw(st.integers(0 if layer_name == "linear" else 1, 2 if layer_name == "linear" else 1))
    output = data.draw(st.sampled_from(["permutation", "trivial"]))
    kw = dict(layer=layer_name, n=n, generators=tuple(gens), input_order=k, output=output,
              output_order=1 if output == "permutation" else 0,
              in_channels=data.draw(st.integers(1, 3)), out_channels=data.draw(st.integers(1, 2)),
              with_bias=data.draw(st.booleans()))
    spec = LayerSpec(**kw)
    if module_kind(spec) != "dense":  # a one-channel vector layer: the vector template's business
        event("vector layer (other template)")
        return
    try:
        layer = randomized(spec)
    except InvariantError as exc:  # only the one documented reason: nothing but zero is equivariant
        assert "forced to zero" in str(exc)
        assert expected_dimension(kw, list(gens)) == 0
        event("only zero is equivariant")
        return
    event("channel module checked")
    inp, out = actions(spec)
    m = equivariance_error(layer, spec, trials=10, input_action=inp, output_action=out)
    assert m.finite and m.error <= 1e-10 * max(1.0, m.scale), str(m)


def test_gradcheck_float64():
    spec = LayerSpec(**GOLDEN_SPEC)
    torch.manual_seed(0)
    layer = compile_module(spec)(dtype=torch.float64)
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    params = tuple(layer.parameters())

    def f(x, *theta):
        return torch.func.functional_call(layer, dict(zip([n for n, _ in layer.named_parameters()], theta)), (x,))

    assert torch.autograd.gradcheck(f, (x,) + params)


def test_parameter_count_is_one_block_per_triangular_class():
    """Blocks sit on ordered tuples, one kept per factor swap: the one count of invariant.channels."""
    for kw in (GOLDEN_SPEC, dict(layer="quadratic", n=5, group="dihedral", in_channels=3, out_channels=2),
               dict(layer="cubic", n=4, group="cyclic", output="trivial", in_channels=2)):
        spec = LayerSpec(**kw)
        layer = compile_module(spec)()
        assert trainable(layer) == layer.num_free == channel_count(derive(spec)).num_parameters


def trainable(layer):
    return sum(p.numel() for p in layer.parameters() if p.requires_grad)


S3, S4 = [transposition(3), cycle(3)], [transposition(4), cycle(4)]
#: Issue 21's channel table: spec -> generators written here (for the brute-force character oracle).
TABLE = {
    "quadratic --n 3 --output sign --in-channels 2": (dict(layer="quadratic", n=3, output="sign", in_channels=2), S3),
    "quadratic --group cyclic --n 5 --in-channels 2 --out-channels 3": (
        dict(layer="quadratic", n=5, group="cyclic", in_channels=2, out_channels=3), [cycle(5)]),
    "linear --n 4 --in-channels 3 --out-channels 2": (dict(layer="linear", n=4, in_channels=3, out_channels=2), S4),
    "quadratic --n 4 --input-order 1 --output-order 2 --in-channels 2 --out-channels 2": (
        dict(layer="quadratic", n=4, output_order=2, in_channels=2, out_channels=2), S4),
    "cubic --group dihedral --n 4 --in-channels 2": (dict(layer="cubic", n=4, group="dihedral", in_channels=2),
                                                     [cycle(4), reflection(4)]),
    "folded-linear --group hyperoctahedral --n 6 --in-channels 2 --out-channels 2": (
        dict(layer="folded-linear", n=6, group="hyperoctahedral", in_channels=2, out_channels=2), None),
    "quadratic --group dihedral --n 4 --in-channels 2 --with-linear --with-bias": (
        dict(layer="quadratic", n=4, group="dihedral", in_channels=2, with_linear=True, with_bias=True),
        [cycle(4), reflection(4)]),
    "quadratic --n 4 --in-channels 2 --out-channels 2 --with-linear --with-bias": (
        dict(layer="quadratic", n=4, in_channels=2, out_channels=2, with_linear=True, with_bias=True), S4),
}


@pytest.mark.parametrize("name", list(TABLE))
def test_channel_table_derivation_characters_parameters_module_and_gauge(name):
    """spec | dimension by derivation | by characters | num_parameters | module's count | gauge: the
    derivation's rank is the brute-force rank of the emitted module's θ ↦ function map, the
    characters the brute-force sum over the group written here, num_parameters the module's count."""
    kw, gens = TABLE[name]
    spec = LayerSpec(**kw)
    data = json.loads(to_json(derive(spec)))
    channels = data["channels"]
    layer = compile_module(spec)(dtype=torch.float64)
    span = function_span(layer, spec)
    expected = expected_dimension(kw, gens) if gens is not None else None
    assert channels["dimension"]["derived"] == span
    assert channels["dimension"]["character_formula"] == span and channels["dimension"]["agree"]
    assert expected in (None, span)
    assert data["num_parameters"] == channels["num_parameters"] == trainable(layer)
    assert channels["gauge"]["size"] == trainable(layer) - span
    assert (channels["gauge"]["reason"] == "none") == (channels["gauge"]["size"] == 0)
    doc = render_source(spec).split('"""')[1]
    assert f"{span} by derivation, {span} by the character formula" in doc
    assert f"Trainable parameters: {trainable(layer)}; gauge: {channels['gauge']['size']}" in doc


def test_hyperoctahedral_folded_oracle():
    """The folded table row's own oracle: B_3 on 6 points, outputs the pairs (π = g mod 3)."""
    from itertools import permutations

    group = []
    for perm in permutations(range(3)):
        for flips in range(8):
            g = [0] * 6
            for i in range(3):
                flip = (flips >> i) & 1
                g[i], g[i + 3] = perm[i] + 3 * flip, perm[i] + 3 * (1 - flip)
            group.append(tuple(g))
    chi = Fraction(sum(2 * fixed(g) * fixed(tuple(g[i] % 3 for i in range(3))) for g in group), len(group))
    kw = TABLE["folded-linear --group hyperoctahedral --n 6 --in-channels 2 --out-channels 2"][0]
    assert chi * 2 == channel_count(derive(LayerSpec(**kw))).character_formula == 8


@pytest.mark.parametrize("kw", [dict(layer="quadratic", n=3, in_channels=3),
                                dict(layer="quadratic", n=5, output="trivial", in_channels=3, out_channels=2),
                                dict(layer="quadratic", n=3, input_order=2, output="trivial", in_channels=2)])
def test_pattern_count_is_the_brute_force_rank_of_the_tensor_module(kw):
    """The S_n count by class (stabilizer-symmetric blocks) against the module's θ ↦ function rank."""
    spec = LayerSpec(**kw)
    count = channel_count(derive(spec))
    assert count.kind == "tensor"
    layer = compile_module(spec)(dtype=torch.float64)
    assert count.derived == function_span(layer, spec) == count.character_formula
    assert count.num_parameters == trainable(layer)


def test_init_keeps_the_output_second_moment_near_the_gain():
    spec = LayerSpec(layer="quadratic", n=5, group="dihedral", in_channels=4, out_channels=3, with_linear=True)
    cls = compile_module(spec)
    x = torch.randn(4000, 5, 4, dtype=torch.float64)
    moments = []
    for seed in range(20):
        torch.manual_seed(seed)
        with torch.no_grad():
            moments.append(float(cls(dtype=torch.float64)(x).pow(2).mean()))
    assert 1.0 < float(np.mean(moments)) < 4.0  # init_gain 2 (the He gain), within a factor 2


def test_refusals_are_one_line_and_come_before_any_derivation():
    big = LayerSpec(layer="quadratic", n=9, group="cyclic", input_order=2, output_order=2, in_channels=16)
    with pytest.raises(InvariantError, match=f"limits {MAX_DENSE_ENTRIES} entries"):
        channel_record(big)
    with pytest.raises(InvariantError, match="forced to zero"):
        render_source(LayerSpec(layer="linear", n=4, output="sign", in_channels=2))
    with pytest.raises(InvariantError, match="at most 4"):
        render_source(LayerSpec(layer="cubic", n=3, group="cyclic", input_order=2, in_channels=2))
    with pytest.raises(InvariantError, match="not a representation"):
        render_source(LayerSpec(layer="folded-linear", n=4, in_channels=2))


def test_shape_dtype_and_state_dict_errors_name_what_is_expected():
    cls = compile_module(LayerSpec(**GOLDEN_SPEC))
    layer = cls(dtype=torch.float64)
    with pytest.raises(ValueError, match=r"expects input of shape \(\.\.\., 4, 2\), got \(3, 4\)"):
        layer(torch.zeros(3, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"expects torch\.float64 input"):
        layer(torch.zeros(3, 4, 2))
    other = compile_module(LayerSpec(layer="linear", n=4, group="cyclic", in_channels=2, out_channels=2))()
    with pytest.raises(RuntimeError, match="state dict is not for this layer"):
        layer.load_state_dict(other.state_dict())


@pytest.mark.slow  # invariant check in a fresh process
def test_golden_channel_module_and_check_file(tmp_path):
    source = render_source(LayerSpec(**GOLDEN_SPEC))
    # To accept an intended change: python tests/update_golden.py
    assert source == GOLDEN.read_text()
    path = emit_file(LayerSpec(**GOLDEN_SPEC), str(tmp_path / "layer.py"))
    result = check_file(path, trials=10, timeout=600)
    assert result.ok and [f.name for f in result.forwards] == ["default", "weights()"]
    assert result.max_error <= 1e-10 * max(1.0, result.scale)
