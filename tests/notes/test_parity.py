"""invariant.notes.parity: the note's representations, its SGD rule, tying, and the two backends."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import invariant
import invariant.notes.parity as P
from invariant.errors import InvariantError


def all_subsets(n):
    for bits in itertools.product([False, True], repeat=n + 1):
        yield torch.tensor(bits)


@pytest.mark.parametrize("n", [*range(1, 10), *(pytest.param(n, marks=pytest.mark.slow) for n in (10, 11, 12))])
def test_lemma_2_relu_represents_every_symmetric_function_exactly(n):
    k = torch.arange(n + 1, dtype=torch.float64)
    for members in all_subsets(n):
        W, B, M, b = P.relu_representation(members)
        assert W.shape == (n + 3, n) and set(M.tolist()) <= {0.0, 1.0, -1.0, 2.0, -2.0}
        out = torch.relu(k[:, None] * W[:, 0] + B) @ M + b  # a point of weight k: W x = k W[:, 0]
        assert torch.equal(out, torch.where(members, 0.5, -0.5).to(torch.float64))


@pytest.mark.parametrize("n", [*range(1, 10), *(pytest.param(n, marks=pytest.mark.slow) for n in (10, 11, 12))])
def test_lemma_1_sigmoid_represents_every_symmetric_function_with_the_proofs_margins(n):
    k = torch.arange(n + 1, dtype=torch.float64)
    for members in all_subsets(n):
        W, B, M, b = P.sigmoid_representation(members)
        assert W.shape == (n + 2, n) and set(M.tolist()) <= {0.0, 1.0, -1.0}
        s = torch.sigmoid(k[:, None] * W[:, 0] + B) @ M  # Σ_{i∈A} Δ_i(k)
        assert bool((s[members] > 0.84).all()) and bool((s[~members] < 0.17).all())
        assert torch.equal(torch.sign(s + b), torch.where(members, 1.0, -1.0).to(torch.float64))


@given(st.integers(1, 12), st.integers(0, 2**13 - 1), st.integers(0, 2**31 - 1))
def test_representations_as_networks_on_random_points(n, code, seed):
    """The same networks evaluated on points of {0,1}^n, not only on Hamming weights."""
    members = torch.tensor([bool(code >> i & 1) for i in range(n + 1)])
    x = P.sample_cube((64,), n, torch.Generator().manual_seed(seed))
    truth = torch.where(members[x.sum(1).long()], 1.0, -1.0).to(torch.float64)
    for rep, act in ((P.relu_representation, torch.relu), (P.sigmoid_representation, torch.sigmoid)):
        W, B, M, b = rep(members)
        assert torch.equal(torch.sign(act(x @ W.T + B) @ M + b), truth)


def test_targets():
    gen = torch.Generator().manual_seed(0)
    assert P.target_table("parity", 4, gen).tolist() == [1, -1, 1, -1, 1]
    assert P.target_table("majority", 4, gen).tolist() == [-1, -1, 1, 1, 1]
    assert set(P.target_table("random", 30, gen).tolist()) == {-1.0, 1.0}
    x = torch.tensor([[1.0, 1, 0, 1], [0, 0, 0, 0]])
    assert P.labels(P.target_table("parity", 4, gen), x).tolist() == [-1, 1]
    with pytest.raises(InvariantError, match="unknown target"):
        P.target_table("xor", 4, gen)
    with pytest.raises(InvariantError, match="unknown init"):
        P.init_runs(4, 7, ["zeros"], [gen])


def test_symmetric_init_is_the_notes_and_the_extra_units_are_inert():
    n, width = 5, 23
    W, B = P.symmetric_hidden(n, width)
    assert torch.equal(W, torch.ones(width, n)) and B[:3].tolist() == [1.0, 0.0, -1.0]
    x = P.sample_cube((200,), n, torch.Generator().manual_seed(1))
    assert torch.equal(torch.relu(x @ W.T + B)[:, n + 2 :], torch.zeros(200, width - n - 2))


def sgd_oracle(W, B, M, b, x, y, h, beta, freeze):
    """The note's eqs. (2)-(5) in numpy, one run."""
    pre = W @ x + B
    out = np.maximum(pre, 0) @ M + b
    if y * out > beta:
        return W, B, M, b
    fired = y * M * (pre > 0) * h
    W2, B2 = (W, B) if freeze else (W + np.outer(fired, x), B + fired)
    return W2, B2, M + y * np.maximum(pre, 0) * h, b + y * h


@given(st.integers(1, 6), st.integers(0, 2**31 - 1), st.booleans())
def test_sgd_step_is_the_notes_update(n, seed, freeze):
    gen = torch.Generator().manual_seed(seed)
    runs = P.init_runs(n, 4 * n + 3, ["random", "random"], [gen, gen])
    x = P.sample_cube((2,), n, gen)
    y = torch.tensor([1.0, -1.0], dtype=torch.float64)
    h, beta = torch.tensor([0.3, 0.05], dtype=torch.float64), torch.tensor([0.5, 10.0], dtype=torch.float64)
    before = [t.clone().numpy() for t in (runs.W, runs.B, runs.M, runs.b)]
    P.sgd_step(runs, x, y, h, beta, torch.tensor([freeze, freeze]))
    for r in range(2):
        want = sgd_oracle(*(t[r] for t in before), x[r].numpy(), float(y[r]), float(h[r]), float(beta[r]), freeze)
        for got, ref in zip((runs.W[r], runs.B[r], runs.M[r], runs.b[r]), want):
            np.testing.assert_allclose(got.numpy(), ref, rtol=0, atol=1e-14)


def test_sgd_step_is_a_gradient_step_of_the_hinge_loss():
    """Away from kinks, the update is -h ∇ max{0, β - y N(x)} (autograd)."""
    gen = torch.Generator().manual_seed(3)
    n, width = 6, 27
    runs = P.init_runs(n, width, ["random"], [gen])
    x, y = P.sample_cube((1,), n, gen), torch.tensor([1.0], dtype=torch.float64)
    h, beta = torch.tensor([0.1], dtype=torch.float64), torch.tensor([5.0], dtype=torch.float64)
    params = [t.clone().requires_grad_() for t in (runs.W, runs.B, runs.M, runs.b)]
    loss = torch.clamp_min(beta - y * P.Runs(*params).forward(x[:, None, :])[:, 0], 0).sum()
    loss.backward()
    assert loss.item() > 0
    P.sgd_step(runs, x, y, h, beta, torch.tensor([False]))
    for p, got in zip(params, (runs.W, runs.B, runs.M, runs.b)):
        torch.testing.assert_close(got, p.detach() - h.view(-1, *[1] * (p.dim() - 1)) * p.grad, rtol=0, atol=1e-14)


def tied_setup(n, width, seed):
    spec = invariant.LayerSpec.build(layer="linear", n=n, group="symmetric", output="trivial", outputs=width,
                                     with_bias=True)
    tie = P.tie_from_expansion(invariant.derive(spec).expansion())
    torch.manual_seed(seed)
    module = invariant.compile(spec)(dtype=torch.float64)
    return tie, module


def test_tied_step_equals_autograd_through_the_compiled_module():
    n, width = 5, 23
    tie, module = tied_setup(n, width, 0)
    gen = torch.Generator().manual_seed(0)
    runs = P.init_runs(n, width, ["random"], [gen], tie=tie, thetas=module.theta.detach()[None])
    W, _B, C = module.weights()
    torch.testing.assert_close(runs.W[0], W.detach(), rtol=0, atol=0)  # same hidden layer
    torch.testing.assert_close(runs.B[0], C.detach(), rtol=0, atol=0)
    x, y = P.sample_cube((1,), n, gen), torch.tensor([-1.0], dtype=torch.float64)
    h, beta = torch.tensor([0.05], dtype=torch.float64), torch.tensor([3.0], dtype=torch.float64)
    M = runs.M[0].clone().requires_grad_()
    out = torch.relu(module(x)) @ M + runs.b[0]
    (beta - y * out).sum().backward()  # the hinge loss where it is positive
    assert (y * out).item() <= 3.0
    P.sgd_step(runs, x, y, h, beta, torch.tensor([False]))
    torch.testing.assert_close(runs.theta[0], module.theta.detach() - 0.05 * module.theta.grad, rtol=0, atol=1e-14)
    torch.testing.assert_close(runs.M[0], M.detach() - 0.05 * M.grad, rtol=0, atol=1e-14)
    # A tied layer stays tied: every row of W is constant.
    assert torch.equal(runs.W[0], runs.W[0][:, :1].expand(-1, n))


def test_symmetric_init_lies_in_the_tied_subspace():
    tie, module = tied_setup(4, 19, 0)
    gen = torch.Generator().manual_seed(0)
    runs = P.init_runs(4, 19, ["symmetric"], [gen], tie=tie, thetas=module.theta.detach()[None])
    W, B = P.symmetric_hidden(4, 19)
    assert torch.equal(runs.W[0], W) and torch.equal(runs.B[0], B)  # exactly: H(0) = 0 decides ties


@pytest.mark.parametrize("tied", [False, True])
def test_cpp_and_torch_backends_agree(tied):
    n, width, m = 5, 23, 12
    inits = ["symmetric", "random", "symmetric", "random"]
    tie, module = tied_setup(n, width, 1) if tied else (None, None)
    thetas = torch.stack([module.theta.detach()] * 4) if tied else None
    a, b = (P.init_runs(n, width, inits, [torch.Generator().manual_seed(s) for s in range(4)], tie=tie, thetas=thetas)
            for _ in range(2))
    gen = torch.Generator().manual_seed(9)
    table = torch.stack([P.target_table("random", n, gen) for _ in range(4)])
    x = P.sample_cube((4, m), n, gen)
    y = P.labels(table, x)
    orders = torch.argsort(torch.rand(30, 4, m, generator=gen), dim=2)
    h = torch.tensor([1e-3, 0.05, 0.2, 0.01], dtype=torch.float64)
    beta, freeze = 50 * h, torch.tensor([False, False, True, False])
    counts_cpp = P.run_epochs(a, x, y, orders, h, beta, freeze, "cpp")
    counts_torch = P.run_epochs(b, x, y, orders, h, beta, freeze, "torch")
    assert torch.equal(counts_cpp, counts_torch) and int(counts_cpp.sum()) > 0
    for p, q in zip((a.W, a.B, a.M, a.b), (b.W, b.B, b.M, b.b)):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)


def test_backends_agree_when_a_run_starts_at_a_fixed_point():
    """Run 0 represents its target (Lemma 2, scaled so y N(x) = 5 > β): no update in any epoch."""
    n, m = 6, 40
    gen = torch.Generator().manual_seed(3)
    table = P.target_table("parity", n, gen)
    W, B, M, b = P.relu_representation(table > 0)
    rest = P.init_runs(n, n + 3, ["symmetric", "random"], [torch.Generator().manual_seed(s) for s in range(2)])

    def batch():
        return P.Runs(torch.stack([W, rest.W[0], rest.W[1]]), torch.stack([B, rest.B[0], rest.B[1]]),
                      torch.stack([10 * M, rest.M[0], rest.M[1]]), torch.stack([10 * b, rest.b[0], rest.b[1]]))

    a, c = batch(), batch()
    x = P.sample_cube((3, m), n, gen)
    y = P.labels(table, x)
    orders = torch.argsort(torch.rand(25, 3, m, generator=gen), dim=2)
    h = torch.tensor([0.1, 1e-3, 0.01], dtype=torch.float64)
    beta, freeze = torch.tensor([1.0, 0.5, 0.5], dtype=torch.float64), torch.zeros(3, dtype=torch.bool)
    counts_cpp = P.run_epochs(a, x, y, orders, h, beta, freeze, "cpp")
    counts_torch = P.run_epochs(c, x, y, orders, h, beta, freeze, "torch")
    assert torch.equal(counts_cpp, counts_torch)
    assert int(counts_cpp[:, 0].abs().sum()) == 0 and int(counts_cpp[:, 1:].sum()) > 0
    assert torch.equal(a.M[0], 10 * M) and torch.equal(a.W[0], W)
    for p, q in zip((a.W, a.B, a.M, a.b), (c.W, c.B, c.M, c.b)):
        torch.testing.assert_close(p, q, rtol=1e-12, atol=1e-12)


def test_training_reaches_a_fixed_point_and_the_curve_stays_exact():
    n, m = 6, 60
    gen = torch.Generator().manual_seed(4)
    table = P.target_table("parity", n, gen)[None]
    x, xt = P.sample_cube((1, m), n, gen), P.sample_cube((1, 2000), n, gen)
    runs = P.init_runs(n, 4 * n + 3, ["symmetric"], [gen])
    h = torch.tensor([n**-6.0], dtype=torch.float64)
    curve = P.train(runs, x, P.labels(table, x), xt, P.labels(table, xt), 20000, h, n**3 * h,
                    torch.tensor([False]), gen, record=[10, 100, 1000, 10000])
    assert [p["epoch"] for p in curve] == [0, 10, 100, 1000, 10000, 20000]
    assert curve[-1]["train_error"] == [0.0] and curve[-1]["updates"] == [0]
    # Points of weights seen in the sample are classified right; the true error is the unseen mass at most.
    seen = set(x[0].sum(1).long().tolist())
    unseen = float(sum(1 for w in xt[0].sum(1).long().tolist() if w not in seen)) / 2000
    assert curve[-1]["true_error"][0] <= unseen


def test_bad_backend():
    with pytest.raises(InvariantError, match="unknown backend"):
        P.choose_backend(torch.device("cpu"), "fortran")
