"""Channels proved: the dimension of the maps Sym^d(V ⊗ R^C) → U ⊗ R^D two ways, and one num_parameters.

The oracle here is a brute-force character sum over groups enumerated in this file from
hand-written generators: every element's cycles on the n^k input tuples, each repeated once
per input channel (g moves points, never channels), give the monomials of each degree it
fixes; the output character is s · fix(π) (π on the n^l output tuples, trivially on invariant
outputs), times D. Nothing here calls the library's groups or characters for the expected
value. The module-side checks (parameter counts of emitted modules, brute-force rank of
their parameter → function maps) are in tests/codegen/test_channel_layers.py.
"""

import itertools
import json
from fractions import Fraction

import pytest
from oracles import closure, cycle, elements_of, reflection, transposition

from invariant import LayerSpec, derive
from invariant.channels import channel_count, module_kind, spec_channel_count
from invariant.cli import main
from invariant.problem import lower
from invariant.proofs.characters import character_dimension
from invariant.report import to_dict, to_latex, to_text


def three_cycle(n):
    return (1, 2, 0) + tuple(range(3, n))


def pair_swap(n):
    """The sign change of pair 0 of the hyperoctahedral group on 2m points (i ~ i + m)."""
    m = n // 2
    return tuple(m if i == 0 else 0 if i == m else i for i in range(n))


def pair_cycle(n):
    """The m-cycle of the pairs {i, i + m}."""
    m = n // 2
    return tuple((i + 1) % m + (m if i >= m else 0) for i in range(n))


def pair_transposition(n):
    m = n // 2
    return tuple({0: 1, 1: 0, m: m + 1, m + 1: m}.get(i, i) for i in range(n))


def sign(g):
    s, seen = 1, set()
    for i in range(len(g)):
        length = 0
        while i not in seen:
            seen.add(i)
            i = g[i]
            length += 1
        if length and length % 2 == 0:
            s = -s
    return s


def on_tuples(g, k):
    """g on the n^k index tuples (row-major), as a permutation of 0..n^k - 1."""
    n = len(g)
    out = []
    for t in itertools.product(range(n), repeat=k):
        image = 0
        for v in t:
            image = image * n + g[v]
        out.append(image)
    return tuple(out)


def cycle_lengths(p):
    seen, lengths = set(), []
    for i in range(len(p)):
        length = 0
        while i not in seen:
            seen.add(i)
            i = p[i]
            length += 1
        if length:
            lengths.append(length)
    return lengths


def fixed_monomials(lengths, d):
    """[t^d] Π_r 1/(1 - t^r) over the cycles of a permutation of the variables."""
    series = [1] + [0] * d
    for r in lengths:
        for i in range(r, d + 1):
            series[i] += series[i - r]
    return series[d]


def oracle(kw, group):
    """D · Σ_terms (1/|G|) Σ_{(g, π, s)} χ_{Sym^{d_t}(V ⊗ R^C)}(g) s fix(π), over (g, π, s) in ``group``."""
    spec = LayerSpec(**kw)
    k, c_in = spec.input_order, spec.in_channels
    degrees = [spec.degree] + [1] * spec.with_linear + [0] * spec.with_bias
    total = Fraction(0)
    for g, pi, s in group:
        lengths = cycle_lengths(on_tuples(g, k)) * c_in  # each cycle once per channel
        total += s * sum(i == v for i, v in enumerate(pi)) * sum(fixed_monomials(lengths, d) for d in degrees)
    total /= len(group)
    assert total.denominator == 1
    return int(total) * spec.out_channels


def standard(kw, gens):
    """(g, π, s) for the standard output actions, from the elements of ⟨gens⟩ written here."""
    spec = LayerSpec(**kw)
    out = []
    for g in elements_of(gens):
        if spec.output == "permutation":
            out.append((g, on_tuples(g, spec.output_order), 1))
        elif spec.output == "trivial":
            out.append((g, tuple(range(spec.outputs)), 1))
        elif spec.output == "sign":
            out.append((g, tuple(range(spec.outputs)), sign(g)))
        else:  # folded, for a group that maps the pairs {i, i + m} to pairs
            m = spec.n // 2
            out.append((g, tuple(g[i] % m for i in range(m)), 1))
    return out


def ruled(kw, gens):
    """(g, π, s) of D = ⟨(g_i, ρ_i)⟩ for a rule given on generators (the library's lowering, checked
    against the group written here)."""
    group = closure(LayerSpec(**kw))
    assert {g for g, _, _ in group} == elements_of(gens)
    return group


S4 = [transposition(4), cycle(4)]
S3 = [transposition(3), cycle(3)]
#: name -> (spec keywords, (g, π, s) of the group): every route of the character formula.
CASES = {
    # S_n and A_n: factorial moments of the cycle counts (the cycle-count polynomial scaled by C)
    "symmetric-quadratic-C2D3": (dict(layer="quadratic", n=4, in_channels=2, out_channels=3), S4),
    "symmetric-quadratic-sign-C2": (dict(layer="quadratic", n=3, output="sign", in_channels=2), S3),
    "symmetric-quadratic-sign-M2-C3D2": (dict(layer="quadratic", n=3, output="sign", outputs=2, in_channels=3,
                                              out_channels=2), S3),
    "symmetric-cubic-trivial-C2+B+C": (dict(layer="cubic", n=4, output="trivial", in_channels=2, with_linear=True,
                                            with_bias=True), S4),
    "symmetric-quadratic-1to2-C2D2": (dict(layer="quadratic", n=4, output_order=2, in_channels=2, out_channels=2), S4),
    "symmetric-linear-2to2-C2D3": (dict(layer="linear", n=4, input_order=2, output_order=2, in_channels=2,
                                        out_channels=3), S4),
    "alternating-quadratic-C2": (dict(layer="quadratic", n=5, group="alternating", in_channels=2),
                                 [three_cycle(5), cycle(5)]),
    "alternating-quadratic-sign-C3": (dict(layer="quadratic", n=4, group="alternating", output="sign", in_channels=3),
                                      [three_cycle(4), (0, 2, 3, 1)]),
    # the hyperoctahedral group: moments of its signed cycle counts
    "hyperoctahedral-quadratic-C2D2": (dict(layer="quadratic", n=6, group="hyperoctahedral", in_channels=2,
                                            out_channels=2), [pair_swap(6), pair_cycle(6), pair_transposition(6)]),
    "hyperoctahedral-folded-quadratic-C2": (dict(layer="folded-quadratic", n=6, group="hyperoctahedral", in_channels=2,
                                                 with_linear=True),
                                            [pair_swap(6), pair_cycle(6), pair_transposition(6)]),
    "hyperoctahedral-sign-linear-C3": (dict(layer="linear", n=4, group="hyperoctahedral", output="sign", in_channels=3),
                                       [pair_swap(4), pair_cycle(4)]),
    # other named groups: a sum over the elements' cycle types
    "cyclic-quadratic-C2D3": (dict(layer="quadratic", n=5, group="cyclic", in_channels=2, out_channels=3), [cycle(5)]),
    "dihedral-cubic-C2": (dict(layer="cubic", n=4, group="dihedral", in_channels=2), [cycle(4), reflection(4)]),
    "dihedral-quadratic-2to0-C2+B": (dict(layer="quadratic", n=3, group="dihedral", input_order=2, output="trivial",
                                          in_channels=2, with_linear=True), [cycle(3), reflection(3)]),
    "custom-quadratic-C3": (dict(layer="quadratic", n=4, generators="(0 1)(2 3); (0 2)", in_channels=3),
                            [(1, 0, 3, 2), (2, 1, 0, 3)]),
}
#: name -> (spec keywords, generators written here): a rule on generators, summed over D = ⟨(g_i, ρ_i)⟩.
RULED = {
    "custom-output-quadratic-C2D2": (dict(layer="quadratic", n=4, generators="(0 1 2 3)", output_generators="(0 1)",
                                          outputs=2, in_channels=2, out_channels=2), [cycle(4)]),
    "folded-symmetric-linear-C2": (dict(layer="folded-linear", n=6, in_channels=2, out_channels=2),
                                   [transposition(6), cycle(6)]),
    "folded-symmetric-quadratic-C2": (dict(layer="folded-quadratic", n=4, in_channels=2), S4),
}


@pytest.mark.parametrize("name", list(CASES))
def test_character_formula_with_channels_is_the_brute_force_sum(name):
    kw, gens = CASES[name]
    assert character_dimension(lower(LayerSpec(**kw)), channels=True) == oracle(kw, standard(kw, gens))


@pytest.mark.parametrize("name", list(RULED))
def test_character_formula_with_channels_over_the_diagonal_group(name):
    kw, gens = RULED[name]
    assert character_dimension(lower(LayerSpec(**kw)), channels=True) == oracle(kw, ruled(kw, gens))


def test_character_formula_with_channels_on_the_routes_that_do_not_enumerate():
    """Large n, where the formula must not enumerate: representation theory gives the answer.

    V ⊗ R^C = C·1 ⊕ C·std for S_n (n ≥ 4): Sym²(C·1) has C(C+1)/2 invariants, 1 ⊗ std none,
    Sym²(C·std) C(C+1)/2 (Hom(std, std) = R); so C(C+1) invariant quadratics and C linear ones.
    The folded rule under S_n gives D = S_n × S_m (one orbit of outputs); a hand rule that is no
    homomorphism onto S_2 gives S_9 × S_2 (order 725760, above the enumeration limit).
    """
    c, d = 3, 2
    folded = LayerSpec(layer="folded-quadratic", n=40, in_channels=c, out_channels=d, with_linear=True)
    assert character_dimension(lower(folded), channels=True) == d * (c * (c + 1) + c)
    rule = LayerSpec(layer="quadratic", n=9, group="symmetric", output_generators="(); (0 1)",
                     outputs=2, in_channels=c, out_channels=d)
    assert character_dimension(lower(rule), channels=True) == d * c * (c + 1)
    # S_n permutation outputs at n = 10^6: Hom_{S_n}(Sym²(V ⊗ R^C), V) ⊗ R^D, V ⊗ V ⊗ V has 5 invariants in
    # (1 + std)^{⊗3}; by channel pairs: the 4 one-channel classes' symmetric shapes give 3·C(C+1)/2 + C²
    big = LayerSpec(layer="quadratic", n=10**6, in_channels=c, out_channels=d)
    assert character_dimension(lower(big), channels=True) == d * (3 * c * (c + 1) // 2 + c * c)


def test_one_channel_character_formula_is_unchanged():
    for kw, _ in CASES.values():
        spec = LayerSpec(**{**kw, "in_channels": 1, "out_channels": 1})
        assert character_dimension(lower(spec), channels=True) == character_dimension(lower(spec))


@pytest.mark.parametrize("name", list(CASES) + list(RULED))
def test_the_derivation_count_equals_the_brute_force_dimension(name):
    """Where a module's parametrization can be built, the exact rank of θ ↦ function is the dimension."""
    kw, gens = {**CASES, **RULED}[name]
    group = standard(kw, gens) if name in CASES else ruled(kw, gens)
    count = channel_count(derive(LayerSpec(**kw)))
    if kw["layer"] == "folded-quadratic":  # no module: nothing to derive the rank of
        assert count.derived is None and count.num_parameters is None and "folded quadratic" in count.note
        return
    assert count.derived == count.character_formula == oracle(kw, group)
    assert count.agree


def test_pattern_count_at_large_n_matches_the_character_formula():
    """The pattern path counts by class (no enumeration): n = 10^6 costs what n = 6 does."""
    for kw in (dict(layer="quadratic", n=10**6, in_channels=3, out_channels=2, with_linear=True, with_bias=True),
               dict(layer="quadratic", n=10**6, input_order=1, output_order=2, in_channels=2),
               dict(layer="cubic", n=10**6, output="trivial", outputs=2, in_channels=2),
               dict(layer="linear", n=10**6, input_order=2, output_order=2, in_channels=4, out_channels=3)):
        count = spec_channel_count(LayerSpec(**kw))
        assert count.kind == "tensor" and count.agree, count
        small = spec_channel_count(LayerSpec(**{**kw, "n": 8}))
        assert (count.derived, count.num_parameters) == (small.derived, small.num_parameters)


def test_issue_repros_sign_quadratic_and_cyclic_gauge(capsys):
    """Issue 21: 0 parameters reported for a module of 4, and a gauge of 15 that nobody stated."""
    assert main(["derive", "--layer", "quadratic", "--n", "3", "--output", "sign", "--in-channels", "2",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["function_dim"] == 0 and data["num_parameters"] == 4
    assert data["channels"]["dimension"] == {"derived": 1, "character_formula": 1, "agree": True}
    assert data["channels"]["gauge"]["size"] == 3 and "symmetric part" in data["channels"]["gauge"]["reason"]
    assert main(["derive", "--layer", "quadratic", "--group", "cyclic", "--n", "5", "--in-channels", "2",
                 "--out-channels", "3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["num_parameters"] == 180 and data["function_dim"] == 15
    assert data["channels"]["dimension"]["derived"] == 165 and data["channels"]["dimension"]["character_formula"] == 165
    assert data["channels"]["gauge"]["size"] == 15 and "antisymmetric part" in data["channels"]["gauge"]["reason"]


@pytest.mark.parametrize("kw", [dict(layer="quadratic", n=5, group="cyclic", in_channels=2, out_channels=3),
                                dict(layer="quadratic", n=4, in_channels=2, out_channels=2, with_linear=True),
                                dict(layer="linear", n=4, in_channels=3, out_channels=2)])
def test_text_json_and_latex_say_the_same_numbers(kw):
    sol = derive(LayerSpec(**kw))
    count = channel_count(sol)
    data = to_dict(sol)["channels"]
    assert data == {
        "in_channels": kw["in_channels"], "out_channels": kw["out_channels"], "module": module_kind(sol.spec),
        "dimension": {"derived": count.derived, "character_formula": count.character_formula, "agree": True},
        "num_parameters": count.num_parameters, "gauge": {"size": count.gauge, "reason": count.gauge_reason},
        "note": None,
    }
    assert to_dict(sol)["num_parameters"] == count.num_parameters
    text = to_text(sol)
    assert f"{count.num_parameters} parameters" in text
    assert (f"dimension with channels: derived {count.derived}, character formula {count.character_formula}: agree"
            f"; gauge: {count.gauge}") in text
    latex = to_latex(sol)
    assert (f"{count.derived} by derivation, {count.character_formula} by the character formula; "
            f"module parameters: {count.num_parameters}; gauge: {count.gauge}") in latex


def test_a_spec_without_a_module_says_why():
    count = channel_count(derive(LayerSpec(layer="folded-linear", n=6, in_channels=2)))
    assert count.num_parameters is None and "not a representation" in count.note
    assert count.derived == count.character_formula == 2  # C · (the one class W = c·11ᵀ)
    count = channel_count(derive(LayerSpec(layer="linear", n=4, output="sign", in_channels=2)))
    assert count.num_parameters is None and "forced to zero" in count.note and count.derived == 0
    big = LayerSpec(layer="quadratic", n=9, group="cyclic", input_order=2, output_order=2, in_channels=16)
    count = spec_channel_count(big)
    assert count.derived is None and "limits" in count.note and count.character_formula > 0


def test_the_alternating_group_below_its_pattern_threshold_gets_the_dense_module():
    """A_3 is C_3 acting regularly: its linear maps are the 3 circulants, times C·D channel blocks
    (the tensor template, whose classes are S_n's, once refused it: 'the pattern path needs n >= 4')."""
    import torch

    import invariant

    spec = LayerSpec(layer="linear", n=3, group="alternating", in_channels=2, out_channels=2)
    assert module_kind(spec) == "dense" and module_kind(spec.at_n(5)) == "tensor"
    layer = invariant.compile(spec)()
    assert sum(p.numel() for p in layer.parameters() if p.requires_grad) == 3 * 2 * 2
    count = channel_count(derive(spec))
    assert (count.derived, count.character_formula, count.num_parameters) == (12, 12, 12)
    assert layer(torch.randn(5, 3, 2)).shape == (5, 3, 2)
