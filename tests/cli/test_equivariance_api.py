"""The one equivariance error (numpy core, torch wrapper) on any model, and the generated module's contract.

The wrapper takes the group from a LayerSpec (lowered by the library) or from generator
pairs, the input and output actions (tensor order, channels), and the inputs when standard
normal ones do not fit (token ids for an embedding).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import invariant
from invariant import LayerSpec
from invariant.equivariance import TensorAction, sampler, words
from invariant.equivariance import equivariance_error as core_error
from invariant.testing import assert_equivariant, equivariance_error

S4 = tuple(((1, 0, 2, 3), (1, 0, 2, 3), 1) for _ in range(1)) + (((1, 2, 3, 0), (1, 2, 3, 0), 1),)


class TokenSetModel(torch.nn.Module):
    """Embeddings, a per-token MLP, a sum over tokens and a head: invariant under permuting tokens."""

    def __init__(self, vocabulary=11, width=6):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary, width, dtype=torch.float64)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(width, width, dtype=torch.float64), torch.nn.Tanh())
        self.head = torch.nn.Linear(width, 2, dtype=torch.float64)

    def forward(self, tokens):
        return self.head(self.mlp(self.embed(tokens)).sum(-2))


def test_a_sequential_of_generated_layers_with_the_group_from_the_spec():
    spec = LayerSpec(layer="quadratic", n=5, with_bias=True)
    net = torch.nn.Sequential(invariant.compile(LayerSpec(layer="linear", n=5))(dtype=torch.float64), torch.nn.Tanh(),
                              invariant.compile(spec)(dtype=torch.float64))
    measured = assert_equivariant(net, spec, trials=5)
    assert measured.finite and measured.dtype == "float64" and measured.error < 1e-10


def test_a_model_with_embeddings_and_a_head_on_token_ids():
    torch.manual_seed(0)
    model = TokenSetModel()
    tokens = np.random.default_rng(0).integers(11, size=(8, 4))
    invariance = words([(g, (0, 1), 1) for g, _, _ in S4], 4, 2)
    assert assert_equivariant(model, invariance, x=tokens, trials=10).error < 1e-12
    ordered = torch.nn.Sequential(model.embed, torch.nn.Flatten(-2), torch.nn.Linear(24, 2, dtype=torch.float64))
    with pytest.raises(AssertionError, match="exceeds the tolerance"):
        assert_equivariant(ordered, invariance, x=tokens)


def test_graphs_channels_and_induced_output_permutations():
    graph = LayerSpec(layer="linear", n=4, input_order=2, output_order=2)  # π is g induced on the 16 pairs

    class Square(torch.nn.Module):
        def forward(self, a):
            return a @ a + a.transpose(-1, -2)

    order2 = TensorAction(order=2)
    assert equivariance_error(Square(), graph, input_action=order2, output_action=order2, trials=5).ok()

    class RowShift(torch.nn.Module):  # not equivariant: rolls the rows
        def forward(self, a):
            return torch.roll(a, 1, dims=-2)

    assert not equivariance_error(RowShift(), graph, input_action=order2, output_action=order2, trials=5).ok()
    channels = TensorAction(order=1, channels=(3,))
    mix = torch.nn.Linear(3, 3, dtype=torch.float64)  # acts on channels only: equivariant
    assert equivariance_error(mix, LayerSpec(layer="linear", n=5), input_action=channels, output_action=channels).ok()


def test_sign_outputs():
    spec = LayerSpec(layer="linear", n=3, output="sign", outputs=1)

    def vandermonde(x):
        return ((x[..., 0] - x[..., 1]) * (x[..., 0] - x[..., 2]) * (x[..., 1] - x[..., 2]))[..., None]

    rng = np.random.default_rng(0)
    assert core_error(vandermonde, sampler(spec), rng).ok()
    assert not core_error(lambda x: np.abs(vandermonde(x)), sampler(spec), rng).ok()


def test_non_finite_outputs_fail_even_after_good_trials():
    calls = []

    def late_nan(x):
        calls.append(1)
        return x * (np.nan if len(calls) > 6 else 1.0)

    measured = core_error(late_nan, sampler(LayerSpec(layer="linear", n=4)), np.random.default_rng(0), trials=10)
    assert not measured.finite and np.isnan(measured.error) and not measured.ok(atol=1e300)
    assert "non-finite output" in str(measured)

    class Inf(torch.nn.Module):
        def forward(self, x):
            return x / 0.0

    with pytest.raises(AssertionError, match="non-finite output"):
        assert_equivariant(Inf(), LayerSpec(layer="linear", n=4))


def test_per_dtype_tolerances_are_relative_to_the_output_scale():
    layer = invariant.compile(LayerSpec(layer="quadratic", n=8, with_linear=True))()  # float32
    measured = assert_equivariant(layer, trials=5)
    assert measured.dtype == "float32" and measured.tolerance() == pytest.approx(1e-4 * max(1.0, measured.scale))
    assert 1e-9 < measured.error < measured.tolerance()  # float32 rounding: above the float64 tolerance
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        equivariance_error(layer, trials=0)


def test_load_state_dict_from_another_spec_with_the_same_parameter_count_is_refused():
    a = invariant.compile(LayerSpec(layer="linear", n=5))()
    b = invariant.compile(LayerSpec(layer="linear", n=6))()
    assert [p.shape for p in a.parameters()] == [p.shape for p in b.parameters()]
    with pytest.raises(RuntimeError, match="spec sha256"):
        b.load_state_dict(a.state_dict())
    same = invariant.compile(LayerSpec(layer="linear", n=5))()
    same.load_state_dict(a.state_dict())
    assert torch.equal(same.theta, a.theta)


@pytest.mark.parametrize("kwargs", [{}, {"forward_impl": "dense"}, {"backward": "explicit"}, {"mode": "projected"}])
def test_one_dtype_rule_for_every_forward(kwargs):
    """A float64 input to a float32 module: every forward answers the same way (here: refuses)."""
    layer = invariant.compile(LayerSpec(layer="quadratic", n=4, with_linear=True))(**kwargs)
    with pytest.raises(TypeError, match=r"expects torch\.float32 input"):
        layer(torch.randn(3, 4, dtype=torch.float64))
    assert layer(torch.randn(3, 4)).dtype == torch.float32
