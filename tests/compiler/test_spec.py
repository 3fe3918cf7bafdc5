"""The spec: validation, canonical string round trip, stable hash."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import custom_specs

from invariant import InvariantError, LayerSpec


@given(custom_specs())
def test_custom_specs_round_trip(spec):
    assert LayerSpec.parse(str(spec)) == spec


@given(
    st.sampled_from(["linear", "quadratic"]),
    st.integers(3, 10),
    st.sampled_from(["symmetric", "alternating", "cyclic", "dihedral"]),
    st.sampled_from(["permutation", "trivial", "sign"]),
    st.booleans(),
)
def test_named_specs_round_trip(layer, n, group, output, bias):
    spec = LayerSpec.build(layer=layer, n=n, group=group, output=output, with_bias=bias)
    assert LayerSpec.parse(str(spec)) == spec


def test_folded_naive_and_custom_output_round_trip():
    for spec in (
        LayerSpec.build(layer="folded-quadratic", n=6, naive=True),
        LayerSpec.build(layer="linear", n=3, output_generators="(0 1); ()", outputs=2),
    ):
        assert LayerSpec.parse(str(spec)) == spec


def test_hash_is_sha256_of_the_canonical_string():
    import hashlib

    spec = LayerSpec.build(layer="quadratic", n=4)
    assert spec.sha256 == hashlib.sha256(str(spec).encode()).hexdigest()
    assert LayerSpec.build(layer="quadratic", n=5).sha256 != spec.sha256


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(layer="quadratic", n=0), "positive"),
        (dict(layer="quadratic", n=-3), "positive"),
        (dict(layer="quadratic", n=2.5), "integer"),
        (dict(layer="quartic", n=3), "unknown layer"),
        (dict(layer="quadratic", n=4, group="mystery"), "unknown group"),
        (dict(layer="folded-linear", n=5), "even n"),
        (dict(layer="linear", n=4, param="full"), "quadratic"),
        (dict(layer="linear", n=4, output="folded"), "folded"),
        (dict(layer="folded-linear", n=4, output="sign"), "folded"),
        (dict(layer="quadratic", n=4, naive=True), "naive"),
        (dict(layer="quadratic", n=2, group="dihedral"), "n >= 3"),
        (dict(layer="quadratic", n=5, group="hyperoctahedral"), "even n"),
        (dict(layer="linear", n=4, generators="(0 1)", group="cyclic"), "not both"),
        (dict(layer="linear", n=4, output_generators="(0 1); (0 1)"), "number of outputs"),
        (dict(layer="linear", n=4, output_generators="(0 1)", outputs=2), "one per input generator"),
        (dict(layer="linear", n=4, output_generators="(0 2); (0 1)", outputs=2), "points are 0..1"),
        (dict(layer="linear", n=4, outputs=3), "4 outputs"),
    ],
)
def test_bad_specs_are_rejected_with_a_message(kwargs, message):
    with pytest.raises(InvariantError, match=message):
        LayerSpec.build(**kwargs)


@pytest.mark.parametrize("text", [
    "layer=quadratic",
    "layer=quadratic, n=four, group=symmetric, output=permutation, outputs=4, param=triangular, "
    "with_linear=false, with_bias=false",
    "nonsense",
])
def test_malformed_spec_strings_are_rejected(text):
    with pytest.raises(InvariantError):
        LayerSpec.parse(text)


_LINEAR = ("layer=linear, n={n}, group=symmetric, output=permutation, outputs={outputs}, param=triangular, "
           "with_linear=false, with_bias=false, input_order={k}, in_channels={c}")
_NUMBERS = {"n": "4", "outputs": "4", "k": "2", "c": "3"}


@pytest.mark.parametrize("key", sorted(_NUMBERS))
@pytest.mark.parametrize("value", ["²", "--4", "+4", " 4", "4 ", "٤", "४", "１", "1_0", "4.0", "0x4", "-4", "04", "",
                                   "9" * 13, "9" * 60, "9" * 5000])
def test_a_malformed_integer_in_a_spec_string_is_a_one_line_invariant_error(key, value):
    text = _LINEAR.format(**{**_NUMBERS, key: value})
    with pytest.raises(InvariantError) as info:
        LayerSpec.parse(text)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


@st.composite
def named_specs(draw):
    """Named groups with tensor orders, channels and every standard output, n up to 10^12 - 1."""
    n = draw(st.sampled_from([4, 6, 8, 10**12 - 2]))
    output = draw(st.sampled_from(["permutation", "trivial", "sign"]))
    order = draw(st.integers(1, 4)) if output == "permutation" else 0
    return LayerSpec(
        layer=draw(st.sampled_from(["linear", "quadratic", "cubic"])), n=n,
        group=draw(st.sampled_from(["symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral"])),
        output=output, outputs=None if output == "permutation" else draw(st.integers(1, 3)),
        input_order=draw(st.integers(0, 4)), output_order=order,
        in_channels=draw(st.integers(1, 16)), out_channels=draw(st.integers(1, 16)), with_bias=draw(st.booleans()),
    )


@given(named_specs())
def test_specs_with_orders_channels_and_huge_n_round_trip(spec):
    assert LayerSpec.parse(str(spec)) == spec


_ODD_VALUES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["²", "--4", "+4", " 4", "٤", "", "9" * 13, "9" * 49, "-1", "0", "true", "(0 1)", "(0 1); ()",
                     "()"]),
    st.integers(-10, 10**14).map(str),
)


@st.composite
def spec_texts(draw):
    """Arbitrary text, or the canonical string of a spec with some values replaced and parts dropped or repeated."""
    if draw(st.booleans()):
        return draw(st.text())
    parts = str(draw(st.one_of(named_specs(), custom_specs()))).split(", ")
    for i in draw(st.lists(st.integers(0, len(parts) - 1), max_size=3)):
        parts[i] = f"{parts[i].partition('=')[0]}={draw(_ODD_VALUES)}"
    if draw(st.integers(0, 3)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), parts.pop(draw(st.integers(0, len(parts) - 1))) * 2)
    return ", ".join(parts)


@given(spec_texts())
def test_parse_of_any_text_is_a_canonical_spec_or_a_one_line_invariant_error(text):
    try:
        spec = LayerSpec.parse(text)
    except InvariantError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 300
    else:
        assert str(spec) == text


def test_the_type_checkers_constructor_signature_is_the_dataclass_one():
    """LayerSpec's fields carry their filled-in types; the constructor's request types (None for
    "implied") live in an ``if TYPE_CHECKING:`` ``__init__`` that only type checkers see. Its
    parameter names, order and defaults must be those of the ``__init__`` @dataclass writes."""
    import ast
    import inspect

    import invariant.spec

    tree = ast.parse(inspect.getsource(invariant.spec))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "LayerSpec")
    guarded = next(n for n in cls.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    init = next(n for n in guarded.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    names = [a.arg for a in init.args.args][1:]
    defaults = [ast.literal_eval(d) for d in init.args.defaults]
    declared = list(zip(names, [inspect.Parameter.empty] * (len(names) - len(defaults)) + defaults))
    generated = [(p.name, p.default) for p in inspect.signature(LayerSpec).parameters.values()]
    assert declared == generated
