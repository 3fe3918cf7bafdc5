"""invariant variety's contract: strict specs, one set of refusals for the API and the CLI,
Singular's faults as one line, the compiler's character formula, no component listed twice."""

import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invariant import derive
from invariant.cli import main
from invariant.errors import InvariantError
from invariant.networks import VarietySpec, variety
from invariant.networks.action import network_action
from invariant.networks.function_space import all_equivariant
from invariant.spec import LayerSpec

# --- the spec: types checked strictly, ranges checked, the canonical string round-trips --------


@pytest.mark.parametrize("options", [
    {"with_linear": "false"}, {"with_linear": "true"}, {"with_bias": 1}, {"with_bias": 0}, {"with_linear": None},
    {"widths": (3.0, 2, 1)}, {"widths": (3, True, 1)}, {"widths": [3, "2", 1]}, {"widths": 321},
    {"widths": (9999999999999, 1)}, {"widths": "9999999999999,1"}, {"widths": "3," + "9" * 5000},
    {"group": 5}, {"output": 1}, {"output": "folded"}, {"output": "custom"}, {"generators": 7},
])
def test_bad_spec_values_are_refused_in_one_line(options):
    """A string or an int is not a bool, a float or bool is not a width, huge widths name the widths."""
    options = {"widths": (3, 2, 1), **options}
    with pytest.raises(InvariantError) as info:
        VarietySpec.build(**options)
    message = str(info.value)
    assert "\n" not in message and not message.startswith("n ")
    with pytest.raises(InvariantError):
        VarietySpec(**options)  # the constructor validates the same way


def test_huge_widths_name_the_widths():
    with pytest.raises(InvariantError, match=r"^widths"):
        VarietySpec.build(widths="9999999999999,1")


def test_the_constructor_normalizes_like_build():
    """One validating constructor (as LayerSpec): cycle strings and lists become the canonical tuples."""
    a = VarietySpec(widths=[3, 1, 3], generators="(0 1 2)", output_generators="(0 1 2)")
    b = VarietySpec.build(widths="3,1,3", generators=((1, 2, 0),), output_generators=((1, 2, 0),))
    assert a == b and str(a) == str(b) and hash(a) == hash(b)
    assert (a.group, a.output, a.generators) == ("custom", "custom", ((1, 2, 0),))
    assert VarietySpec(widths=(3, 2, 1)) == VarietySpec.build(widths=(3, 2, 1), group="symmetric", output="trivial")


_GENERATORS = st.sampled_from([None, "()", "(0 1)", "(0 1 2)", "(0 1); (0 1 2)", "(0 1)(2 3)", "(0 3)", "(0 1", "x"])
_OUTPUT_GENERATORS = st.sampled_from([None, "()", "(0 1)", "(0 1 2)", "(); ()", "(0 1); ()", "(0 5)"])


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(-1, 5), min_size=1, max_size=4).map(tuple),
    group=st.sampled_from([None, "symmetric", "cyclic", "alternating", "dihedral", "hyperoctahedral", "custom", "x"]),
    output=st.sampled_from([None, "trivial", "sign", "permutation", "folded", "custom"]),
    generators=_GENERATORS, output_generators=_OUTPUT_GENERATORS,
    lin=st.sampled_from([False, True, 0, 1, "false", None]), bias=st.sampled_from([False, True, 1, "true"]),
)
def test_every_accepted_spec_round_trips(widths, group, output, generators, output_generators, lin, bias):
    try:
        spec = VarietySpec.build(widths=widths, group=group, output=output, generators=generators,
                                 output_generators=output_generators, with_linear=lin, with_bias=bias)
    except InvariantError as exc:
        assert "\n" not in str(exc)
        return
    assert type(lin) is bool and type(bias) is bool
    assert (spec.with_linear, spec.with_bias) == (lin, bias)
    text = str(spec)
    assert VarietySpec.parse(text) == spec and str(VarietySpec.parse(text)) == text


@pytest.mark.parametrize("text", [
    "widths=3,2,1, group=symmetric, output=trivial, with_linear=1, with_bias=false",
    "widths=3,2,1, group=symmetric, output=trivial, with_linear=false, with_bias=false, generators=(0 1)",
    "widths=03,2,1, group=symmetric, output=trivial, with_linear=false, with_bias=false",
    "widths=3,2,1, group=custom, output=trivial, with_linear=false, with_bias=false",
])
def test_parse_refuses_non_canonical_strings(text):
    with pytest.raises(InvariantError):
        VarietySpec.parse(text)


# --- the API and the CLI refuse the same things, in one line --------------------------------

_BAD_RUNS = [
    ("starts", -5, "--starts", "-5"), ("starts", 501, "--starts", "501"), ("seed", -1, "--seed", "-1"),
    ("seed", 2**32, "--seed", str(2**32)), ("budget", -1, "--budget", "-1"), ("budget", 0, "--budget", "0"),
    ("budget", 61, "--budget", "61"), ("budget", float("nan"), "--budget", "nan"),
    ("budget", float("inf"), "--budget", "inf"),
]


@pytest.mark.parametrize("name, value, flag, text", _BAD_RUNS)
def test_api_and_cli_refuse_the_same_runs(name, value, flag, text, capsys):
    spec = VarietySpec.build(widths=(3, 1, 1))
    with pytest.raises(InvariantError) as info:
        variety(spec, exact=False, **{name: value})
    assert "\n" not in str(info.value) and str(info.value).startswith(name)
    assert main(["variety", "--widths", "3,1,1", "--no-exact", flag, text]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"invariant: error: {flag} ")
    assert err.rstrip("\n").endswith(str(info.value)[len(name):])  # the same message, named as the flag


@pytest.mark.parametrize("options", [{"starts": True}, {"starts": 2.0}, {"seed": "0"}, {"exact": "yes"},
                                     {"budget": True}, {"budget": "5"}])
def test_api_checks_types_strictly(options):
    with pytest.raises(InvariantError):
        variety(VarietySpec.build(widths=(3, 1, 1)), **{"exact": False, **options})


def test_api_refuses_a_layer_spec():
    with pytest.raises(InvariantError, match="VarietySpec"):
        variety(LayerSpec(layer="quadratic", n=3), exact=False)


def test_cli_names_the_widths_flag(capsys):
    assert main(["variety", "--widths", "9999999999999,1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("invariant: error: --widths") and "--n" not in err and err.count("\n") == 1


def test_cli_bad_spec_and_bad_value_exit_2(capsys):
    for argv in (["variety", "--widths", "3,2,2", "--output", "permutation", "--no-exact"],
                 ["variety", "--widths", "3,1,1", "--starts", "x"],
                 ["variety", "--widths", "3,1,1", "--budget", "soon"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("invariant: error:") and err.count("\n") == 1


# --- the character formula is the compiler's -------------------------------------------------


def test_hand_given_output_action_is_counted():
    """C_3 = ⟨(0 1 2)⟩ with the output rotated alike: (1/3)(3·15 + 0 + 0) = 15 quartic maps
    (a 3-cycle fixes no monomial of degree 4). S_3 with (0 1) ↦ (0 1), (0 1 2) ↦ () on two
    outputs: trivial ⊕ sign, so the invariant quartics (4) plus Δ·p1 (1) = 5."""
    c3 = VarietySpec.build(widths=(3, 1, 3), generators="(0 1 2)", output_generators="(0 1 2)")
    assert all_equivariant(c3) == 15
    s3 = VarietySpec.build(widths=(3, 1, 2), generators="(0 1); (0 1 2)", output_generators="(0 1); ()")
    assert all_equivariant(s3) == 5


@pytest.mark.parametrize("options, expected", [
    ({"widths": (3, 1, 1), "output": "sign"}, 1),  # Δ·p1
    ({"widths": (3, 1, 3), "output": "permutation"}, 9),  # quartics in x0, symmetric in x1, x2: Σ_d ⌊d/2⌋+1
    ({"widths": (3, 1, 1), "group": "cyclic"}, 5),  # (1/3)(15 + 0 + 0)
    ({"widths": (3, 1, 1), "with_linear": True, "with_bias": True}, 11),  # S_3 invariants of degree 0..4
])
def test_character_formula_by_hand(options, expected):
    spec = VarietySpec.build(**options)
    assert all_equivariant(spec) == expected


@pytest.mark.parametrize("options", [
    {"n": 3, "output": "trivial", "outputs": 1}, {"n": 4, "output": "sign", "outputs": 2},
    {"n": 4, "group": "dihedral"}, {"n": 3, "generators": "(0 1 2)", "output_generators": "(0 2 1)", "outputs": 3},
])
def test_one_layer_character_formula_is_derives_dimension(options):
    """One layer of degree 2: the character formula's count is derive's number of free weights."""
    layer = LayerSpec.build(layer="quadratic", **options)
    custom = "output_generators" in options
    spec = VarietySpec.build(widths=(layer.n, layer.outputs), group=options.get("group"),
                             output=None if custom else layer.output, generators=options.get("generators"),
                             output_generators=options.get("output_generators"))
    assert all_equivariant(spec) == derive(layer).num_free


def test_output_generators_on_the_cli(capsys):
    assert main(["variety", "--widths", "3,1,3", "--generators", "(0 1 2)", "--output-generators", "(0 1 2)",
                 "--no-exact", "--starts", "2", "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["function_dim"]["all_equivariant"] == 15


def test_group_recognition_is_the_compilers():
    """Generators of S_3 are recognized as S_3 (so latent characters get their S_n names)."""
    assert network_action(VarietySpec.build(widths=(3, 1, 1), generators="(0 1); (1 2)")).family == "symmetric"
    assert network_action(VarietySpec.build(widths=(3, 1, 1), group="cyclic")).family == "cyclic"


# --- components are listed once ------------------------------------------------------------


@pytest.mark.parametrize("group, seed", [(None, 6), ("cyclic", 3)])
def test_components_are_listed_once(group, seed):
    """(3, 1, 1): V = {v = 0} (dim 6, f = 0) ∪ {q invariant} (dim 3); a random start that ends
    a round-off away from v = 0 is a point of the first, not a second 6-dimensional component."""
    rep = variety(VarietySpec.build(widths=(3, 1, 1), group=group), starts=24, seed=seed, exact=False)
    assert [(c.dimension, c.kind, c.reason) for c in rep.components] == [
        (6, "degenerate", "zero last layer"),
        (3, "layerwise", "every hidden layer equivariant for a linear latent action")]


def test_a_point_where_the_function_passes_through_zero_is_not_a_component():
    """(3, 2, 1) has one 10-dimensional component (the exact open-cell primes: 12, 10, 7, 6, 6,
    6, 6): rank-1 last layer ℓ⊗ℓ with ℓ·q invariant, function dim 2. A random start at a point
    of it where f ≈ 0 is a point of that component, not a second one "computing 0"; the
    9-dimensional one (Q of rank 1, v vanishing on its image: 7 + 2) does compute 0."""
    rep = variety(VarietySpec.build(widths=(3, 2, 1)), starts=24, seed=0, exact=False)
    listed = [(c.dimension, c.kind, c.function_dim) for c in rep.components]
    assert listed == [(12, "degenerate", 0), (10, "degenerate", 2), (9, "degenerate", 0), (7, "layerwise", 3),
                      (6, "layerwise", 2)]
    assert [c.reason for c in rep.components][:3] == ["zero last layer", "effective widths 3,1,1",
                                                      "the network computes 0"]


# --- Singular's faults are one line and exit 2 ------------------------------------------------


def _fake_singular(tmp_path, body: str) -> str:
    path = tmp_path / "Singular"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _run_cli(capsys, monkeypatch, binary):
    from invariant.networks import cas

    monkeypatch.setattr(cas, "singular_binary", lambda: binary)
    code = main(["variety", "--widths", "3,1,1", "--starts", "0", "--budget", "5"])
    return code, capsys.readouterr()


def test_missing_singular_is_one_line(capsys, monkeypatch):
    code, out = _run_cli(capsys, monkeypatch, None)
    assert code == 2 and out.err.count("\n") == 1 and "Singular" in out.err and out.out == ""


@pytest.mark.slow  # starts a fake Singular
@pytest.mark.parametrize("body, words", [
    ("echo '   ? error occurred in or before STDIN line 1'; exit 1", "exit status 1"),
    ("echo 'Segmentation fault' >&2; exit 139", "exit status 139"),
    ("echo '   ? undefined'; exit 0", "reported an error"),
    ("echo 'garbage'", "unexpected output"),
    ("echo 'DIM=abc'", "unexpected output"),
])
def test_failing_or_garbled_singular_is_one_line(tmp_path, capsys, monkeypatch, body, words):
    code, out = _run_cli(capsys, monkeypatch, _fake_singular(tmp_path, body))
    assert code == 2 and out.err.count("\n") == 1 and out.out == ""
    assert out.err.startswith("invariant: error: Singular") and words in out.err


@pytest.mark.slow  # starts a fake Singular
def test_unrunnable_singular_is_one_line(tmp_path, capsys, monkeypatch):
    path = tmp_path / "Singular"
    path.write_text("not a program")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    code, out = _run_cli(capsys, monkeypatch, str(path))
    assert code == 2 and out.err.count("\n") == 1 and out.err.startswith("invariant: error: Singular")


@pytest.mark.slow  # starts a fake Singular that hangs, and waits for the budget
def test_hanging_singular_stops_at_the_budget(tmp_path, capsys, monkeypatch):
    """The budget is the exact path's contract: Singular is killed, the note says so in one line,
    and the numerical path still answers (exit 0)."""
    import time

    from invariant.networks import cas

    marker = tmp_path / "pid"
    monkeypatch.setattr(cas, "singular_binary", lambda: _fake_singular(tmp_path, f"echo $$ > {marker}; exec sleep 30"))
    start = time.perf_counter()
    code = main(["variety", "--widths", "3,1,1", "--starts", "0", "--budget", "0.5"])
    out = capsys.readouterr()
    assert time.perf_counter() - start < 20  # a generous safety net: the budget is 0.5 s
    assert code == 0 and out.err == ""
    assert "stopped: Singular did not finish within the 0.5 s budget" in out.out
    pid = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed, and reaped
