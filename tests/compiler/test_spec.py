"""The spec: validation, canonical string round trip, stable hash."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariant import InvariantError, LayerSpec

from strategies import custom_specs


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


@pytest.mark.parametrize("text", ["layer=quadratic", "layer=quadratic, n=four, group=symmetric, output=permutation, outputs=4, param=triangular, with_linear=false, with_bias=false", "nonsense"])
def test_malformed_spec_strings_are_rejected(text):
    with pytest.raises(InvariantError):
        LayerSpec.parse(text)
