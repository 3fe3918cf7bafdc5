"""invariant variety: known answers derived by hand, the two paths against each other, the CLI."""

import json
import subprocess
import sys
from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariant import derive
from invariant.cli import main as cli_main
from invariant.errors import InvariantError
from invariant.groups.permutations import cycle_type
from invariant.networks import VarietySpec, variety
from invariant.networks.equations import NumericEquations, equations
from invariant.networks.exact import exact_dimension
from invariant.networks.function_space import all_equivariant
from invariant.networks.latent import (
    decompose_symmetric,
    murnaghan_nakayama,
    partitions_of,
)
from invariant.networks.polynomial import NumericNetwork, symbolic_outputs
from invariant.spec import LayerSpec

# --- spec ---------------------------------------------------------------------------------

@given(
    widths=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(lambda h: (3, *h)),
    output=st.sampled_from(["trivial", "sign"]),
    lin=st.booleans(), bias=st.booleans(),
)
def test_spec_round_trips(widths, output, lin, bias):
    spec = VarietySpec.build(widths=widths, output=output, with_linear=lin, with_bias=bias)
    assert VarietySpec.parse(str(spec)) == spec
    assert len(spec.sha256) == 64


@pytest.mark.parametrize("widths, output", [
    ("3", "trivial"), ("3,0,1", "trivial"), ("3,-1,1", "trivial"), ("3,2,2", "permutation"),
    ("a,b", "trivial"), ("3,2,2,2,2,1", "trivial"), ("3,40,1", "trivial"), ("3,4,4,1", "trivial"),
])
def test_bad_specs_are_one_line_errors(widths, output):
    with pytest.raises(InvariantError) as info:
        VarietySpec.build(widths=widths, output=output)
    assert "\n" not in str(info.value)


def test_cli_bad_input_exits_2(capsys):
    assert cli_main(["variety", "--widths", "3,2,2", "--output", "permutation", "--no-exact"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("invariant: error:") and err.count("\n") == 1


# --- the polynomial: exact expansion against the float64 evaluator ------------------------

@pytest.mark.parametrize("widths, lin, bias",
                         [((3, 2, 1), False, False), ((2, 2, 2), True, True), ((2, 1, 2, 1), True, False)])
def test_exact_and_numeric_coefficients_agree(widths, lin, bias):
    spec = VarietySpec.build(widths=widths, output="trivial", with_linear=lin, with_bias=bias)
    _, outs = symbolic_outputs(spec)
    net = NumericNetwork(spec)
    rng = np.random.default_rng(1)
    w = rng.integers(-3, 4, size=net.num_weights)
    exact = [float(outs[k][e](*map(int, w))) if e in outs[k] else 0.0
             for k in range(spec.outputs) for e in net.output_basis]
    assert np.array_equal(net.coefficients(w), np.array(exact))
    # The Jacobian against central differences, and the forward pass against the coefficients.
    w = rng.standard_normal(net.num_weights)
    _, J = net.coefficients_and_jacobian(w)
    h = 1e-6
    fd = np.stack([(net.coefficients(w + h * e) - net.coefficients(w - h * e)) / (2 * h) for e in np.eye(len(w))], 1)
    assert np.max(np.abs(J - fd)) < 1e-6 * max(1.0, np.max(np.abs(J)))
    X = rng.standard_normal((4, spec.n))
    c = net.coefficients(w).reshape(spec.outputs, -1)
    by_coeffs = np.array([[sum(c[k, j] * np.prod(x ** np.array(e)) for j, e in enumerate(net.output_basis))
                           for k in range(spec.outputs)] for x in X])
    assert np.allclose(net.forward(w, X), by_coeffs, rtol=1e-12, atol=1e-12)


def test_exact_equations_are_the_numeric_equations():
    """E(w) = A·c(w) spans the same equations as the matched polynomials, at an integer point."""
    spec = VarietySpec.build(widths=(3, 2, 3), output="permutation")
    eqs, neq = equations(spec), NumericEquations(spec)
    w = np.random.default_rng(2).integers(-2, 3, size=neq.num_weights)
    exact = sorted(abs(float(p(*map(int, w)))) for p in eqs.polys)
    numeric = np.abs(neq.residual(w))
    # Every exact equation value appears (up to the monic scaling) among A·c(w)'s rows' span:
    # compare the largest absolute values after scaling both to the same norm of the ideal rows.
    assert len(eqs) >= np.linalg.matrix_rank(neq.A.toarray())
    assert (max(exact) == 0) == (np.max(numeric) == 0)
    # And at a point of V both vanish exactly: the zero last layer.
    w[neq.net.slices[-1]] = 0
    assert all(p(*map(int, w)) == 0 for p in eqs.polys) and not np.any(neq.residual(w))


# --- known answers, by hand -----------------------------------------------------------------

@pytest.mark.parametrize("n, output", [(3, "trivial"), (3, "permutation"), (4, "sign")])
def test_one_layer_is_derives_linear_space(n, output):
    """No hidden layer: the equations are linear and V is derive's solution space."""
    outputs = n if output == "permutation" else 1
    spec = VarietySpec.build(widths=(n, outputs), output=output)
    sol = derive(LayerSpec.build(layer="quadratic", n=n, output=output, outputs=None if output == "permutation" else 1))
    assert set(equations(spec).degrees) == {1}
    rep = variety(spec, starts=2)
    assert rep.numerical_dim == sol.num_free
    assert rep.exact.dimension == sol.num_free
    assert rep.components[0].function_dim == sol.num_free  # one weight per monomial: no gauge


def test_trivial_group_gives_all_of_weight_space():
    spec = VarietySpec.build(widths=(3, 2, 1), generators="()", output="trivial")
    assert len(equations(spec)) == 0
    rep = variety(spec, starts=2)
    assert rep.numerical_dim == rep.exact.dimension == spec.num_weights == 15


@pytest.mark.parametrize("n", [3, pytest.param(4, marks=pytest.mark.slow)])
def test_width_one_hidden_layer(n):
    """(n, 1, 1), S_n, trivial output: f = v q². f invariant ⇔ v = 0 or q(g·x) = ±q(x) for all g,
    and S_n (n ≥ 3) has no sign-semi-invariant quadric: so V = {v = 0} (dim N = n(n+1)/2)
    ∪ {q invariant} (dim 1 + 2: q ∈ span(Σx_i², (Σx_i)²)), functions v q² of dimension 2."""
    N = comb(n + 1, 2)
    spec = VarietySpec.build(widths=(n, 1, 1), output="trivial")
    rep = variety(spec, starts=6)
    assert rep.exact.dimension == N and rep.numerical_dim == N
    assert rep.exact.open_cell_primes == (N, 3)
    layerwise = [c for c in rep.components if c.kind == "layerwise"]
    assert [(c.dimension, c.function_dim) for c in layerwise] == [(3, 2)]
    assert layerwise[0].latent[0].decomposition == {f"[{n}]": 1}  # the trivial character
    zero = [c for c in rep.components if c.reason == "zero last layer"]
    assert [(c.dimension, c.function_dim) for c in zero] == [(N, 0)]


@pytest.mark.parametrize("widths", [(3, 2, 1), (3, 3, 1), pytest.param((4, 2, 1), marks=pytest.mark.slow)])
def test_zero_last_layer_component(widths):
    """Last layer zero, the first free: dim = h·N when generic first layers admit no nonzero last
    layer (here: m(m+1)/2 products q_a q_b meet the invariant quartics only in 0)."""
    n, m, _ = widths
    spec = VarietySpec.build(widths=widths, output="trivial")
    rep = variety(spec, starts=0, exact=False)
    zero = [c for c in rep.components if c.reason == "zero last layer"]
    assert [c.dimension for c in zero] == [m * comb(n + 1, 2)]


@pytest.mark.slow  # Singular's exact decomposition (about 10 s)
def test_exact_path_three_two_one():
    """(3, 2, 1) by hand: {v = 0} 12; rank-1 last layer with ℓ·q invariant 10 (ℓ ∈ P¹, v, q with
    ℓ·q ∈ span(p2, p1²): 1 + 1 + 12 − 4); both hidden units invariant 7 (4 + 3); the standard
    representation of S_3 on the hidden layer 6 (L_R: 2 + 1, GL orbit 4 − 1). Singular must be
    installed (the algebra extra): this test fails without it."""
    spec = VarietySpec.build(widths=(3, 2, 1), output="trivial")
    ex = exact_dimension(equations(spec), 60)
    assert ex.dimension == 12
    assert ex.open_cell_primes[:4] == (12, 10, 7, 6)
    rep = variety(spec, starts=12)
    found = {(c.dimension, c.kind) for c in rep.components}
    assert {(12, "degenerate"), (10, "degenerate"), (7, "layerwise"), (6, "layerwise")} <= found
    std = next(c for c in rep.components if c.kind == "layerwise" and c.dimension == 6)
    assert std.latent[0].decomposition == {"[2,1]": 1}
    assert std.function_dim == 2  # c·|aA + bB|²: a cone over a conic
    assert rep.agree is True
    # The three remaining 6-dimensional primes have real points whose hidden layer is equivariant
    # only for a transposition (a subgroup of order 2): not layerwise. Every prime is matched.
    others = [c for c in rep.components if c.kind == "not-layerwise"]
    assert [c.dimension for c in others] == [6, 6, 6]
    assert all(c.latent[0].stabilizer_order == 2 and c.example.end_to_end_error <= 1e-12 for c in others)
    assert None not in rep.prime_matches


# --- characters -----------------------------------------------------------------------------

@pytest.mark.parametrize("n", [3, 4, 5])
def test_irreducible_characters_are_orthonormal(n):
    from invariant.groups.permutation_groups import symmetric

    classes = list(symmetric(n).class_weights())
    for lam in partitions_of(n):
        chi = [murnaghan_nakayama(lam, cycle_type(r)) for r, _ in classes]
        assert decompose_symmetric(n, classes, chi) == {"[" + ",".join(map(str, lam)) + "]": 1}


def test_all_equivariant_counts_invariant_quartics():
    """Invariant quartics of S_3: partitions of 4 into parts ≤ 3 (p1⁴, p1²p2, p1p3, p2²) = 4; S_4: 5."""
    for n, expected in [(3, 4), (4, 5)]:
        spec = VarietySpec.build(widths=(n, 2, 1), output="trivial")
        assert all_equivariant(spec) == expected


# --- report and CLI -------------------------------------------------------------------------

def test_json_keys(capsys):
    assert cli_main(["variety", "--widths", "3,1,1", "--output", "trivial", "--format", "json", "--starts", "4"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"spec", "num_weights", "num_equations", "dimension", "components", "function_dim"} <= set(data)
    assert set(data["spec"]) >= {"canonical", "sha256"}
    assert data["dimension"]["exact"] == data["dimension"]["numerical"] == 6 and data["dimension"]["agree"] is True
    for comp in data["components"]:
        assert comp["kind"] in ("degenerate", "layerwise", "not-layerwise")
        assert {"dimension", "kind", "latent_character", "function_dim"} <= set(comp)
    dims = [c["dimension"] for c in data["components"]]
    assert dims == sorted(dims, reverse=True)
    assert data["function_dim"] == {"layerwise_network": 2, "all_equivariant": 4, "variety": 2}


@pytest.mark.slow  # a fresh interpreter
def test_variety_does_not_import_torch():
    code = ("import sys; from invariant.networks import VarietySpec, variety; "
            "variety(VarietySpec.build(widths=(3, 1, 1), output='trivial'), starts=2, exact=False); "
            "assert 'torch' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # waits for Singular's budget
def test_exact_path_stops_within_budget():
    """A network beyond the exact path: it stops at the budget with a one-line note, no hang."""
    import time

    spec = VarietySpec.build(widths=(3, 3, 1), output="trivial")
    start = time.perf_counter()
    ex = exact_dimension(equations(spec), 3.0)
    assert time.perf_counter() - start < 60  # the 3 s budget is wall time; the net is wide for a loaded machine
    assert ex.dimension is None and "budget" in ex.note and "\n" not in ex.note


def _live_singulars() -> set[int]:
    import os

    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read()
            with open(f"/proc/{entry}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"Singular" in cmd and state != "Z":
            pids.add(int(entry))
    return pids


@pytest.mark.slow  # starts Singular and waits for the timeout
def test_timeout_kills_singular_and_its_workers():
    """minAssGTZ forks workers; a timeout must leave none of them running."""
    from invariant.networks import cas

    before = _live_singulars()
    eqs = equations(VarietySpec.build(widths=(3, 3, 1), output="trivial"))
    with pytest.raises(cas.CASTimeout):
        cas.minimal_primes(eqs.singular(), 24, 1.0)
    import time

    deadline = time.monotonic() + 30  # killed processes may take a moment to be reaped on a loaded machine
    while not _live_singulars() <= before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _live_singulars() <= before
