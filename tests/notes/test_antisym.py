"""The antisymmetrization kernel: brute-force oracle, antisymmetry, coincidences, sharding."""

import math
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp
from hypothesis import given
from hypothesis import strategies as st

import invariant.notes.antisym as A
from invariant.errors import InvariantError
from invariant.notes.antisym import antisymmetrize, antisymmetrize_bruteforce, antisymmetrize_distributed, num_blocks


def draw(seed, batch, n, d, m, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, n, d, generator=g, dtype=dtype), torch.randn(m, n, d, generator=g, dtype=dtype),
            torch.randn(m, generator=g, dtype=dtype))


@pytest.mark.parametrize("backend", ["torch", "cpp"])
@pytest.mark.parametrize("n", range(1, 7))
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softplus", "sin100"])
def test_matches_itertools_oracle(n, activation, backend):
    x, w, a = draw(n, 11, n, 2, 4)  # 44 rows: several blocks of 8 and a padded one
    exact = antisymmetrize_bruteforce(x, w, a, activation)
    got = antisymmetrize(x, w, a, activation, backend=backend if n >= 3 else "auto")
    assert torch.allclose(got, exact, rtol=1e-12, atol=1e-12 * exact.abs().max().item())


def test_backends_agree_on_coset_blocks_and_sharded_ranges():
    x, w, a = draw(12, 3, 9, 3, 5)  # n = 9: 9 coset blocks
    full = antisymmetrize(x, w, a, backend="torch")
    assert torch.allclose(antisymmetrize(x, w, a, backend="cpp"), full, rtol=1e-12, atol=1e-12)
    parts = (antisymmetrize(x, w, a, blocks=(0, 4), backend="cpp")
             + antisymmetrize(x, w, a, blocks=(4, 9), backend="torch"))
    assert torch.allclose(parts, full, rtol=1e-12, atol=1e-12)


def test_callables_and_explicit_backend_requests():
    x, w, a = draw(13, 2, 5, 3, 3)
    gelu = torch.nn.functional.gelu  # a callable: the torch backend
    exact = antisymmetrize_bruteforce(x, w, a, gelu)
    assert torch.allclose(antisymmetrize(x, w, a, gelu), exact, rtol=1e-12, atol=1e-12 * exact.abs().max().item())
    with pytest.raises(InvariantError, match="cpp backend needs"):
        antisymmetrize(x, w, a, gelu, backend="cpp")
    with pytest.raises(InvariantError, match="unknown backend"):
        antisymmetrize(x, w, a, backend="fortran")


def test_block_split_and_tiny_memory_match_the_oracle(monkeypatch):
    monkeypatch.setattr(A, "MAX_SUFFIX", 3)
    A._prefixes.cache_clear()
    try:
        x, w, a = draw(7, 2, 6, 3, 3)
        exact = antisymmetrize_bruteforce(x, w, a)
        assert num_blocks(6) == 6 * 5 * 4
        assert torch.allclose(antisymmetrize(x, w, a, max_memory=4096), exact, rtol=1e-12, atol=1e-13)
        halves = antisymmetrize(x, w, a, blocks=(0, 50)) + antisymmetrize(x, w, a, blocks=(50, 120))
        assert torch.allclose(halves, exact, rtol=1e-12, atol=1e-13)
    finally:
        A._prefixes.cache_clear()


@given(st.integers(2, 7), st.permutations(range(7)), st.integers(0, 10**6))
def test_antisymmetric_under_random_permutations(n, perm7, seed):
    perm = [p for p in perm7 if p < n]
    x, w, a = draw(seed, 2, n, 3, 5)
    sign = (-1) ** sum(1 for i in range(n) for j in range(i + 1, n) if perm[i] > perm[j])
    assert torch.allclose(antisymmetrize(x[:, perm], w, a), sign * antisymmetrize(x, w, a), atol=1e-10)


def test_vanishes_when_two_particles_coincide():
    x, w, a = draw(3, 4, 6, 3, 8)
    x[:, 4] = x[:, 1]
    assert antisymmetrize(x, w, a).abs().max().item() < 1e-12


def test_float32_in_float32_out():
    x, w, a = draw(5, 2, 5, 3, 4, dtype=torch.float32)
    got = antisymmetrize(x, w, a)
    assert got.dtype == torch.float32
    exact = antisymmetrize_bruteforce(x.double(), w.double(), a.double())
    assert torch.allclose(got.double(), exact, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "shapes, message",
    [(((2, 4, 3), (5, 4, 2), (5,)), "do not match"), (((2, 4, 3), (5, 4, 3), (4,)), "do not match"),
     (((4, 3), (5, 4, 3), (5,)), "expected")],
)
def test_bad_shapes(shapes, message):
    with pytest.raises(InvariantError, match=message):
        antisymmetrize(*(torch.zeros(s) for s in shapes))


def test_non_finite_and_memory_budget_fail_before_work():
    x, w, a = draw(1, 1, 4, 3, 2)
    x[0, 0, 0] = float("nan")
    with pytest.raises(InvariantError, match="non-finite"):
        antisymmetrize(x, w, a)
    x, w, a = draw(1, 1, 9, 3, 2)
    with pytest.raises(InvariantError, match="MiB per row"):  # the torch backend's level tensors
        antisymmetrize(x, w, a, max_memory=1000, backend="torch")
    with pytest.raises(InvariantError, match="unknown activation"):
        antisymmetrize(x, w, a, activation="swish-ish")


def _worker(rank, world, port, result_file):
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    x, w, a = draw(11, 3, 9, 3, 4)
    out = antisymmetrize_distributed(x, w, a)
    if rank == 0:
        torch.save(out, result_file)
    dist.destroy_process_group()


@pytest.mark.slow  # two processes importing torch
def test_two_gloo_processes_equal_one(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = tmp_path / "af.pt"
    mp.spawn(_worker, args=(2, port, str(result)), nprocs=2, join=True)
    x, w, a = draw(11, 3, 9, 3, 4)
    single = antisymmetrize(x, w, a)
    assert torch.allclose(torch.load(result), single, rtol=1e-12, atol=1e-12 * single.abs().max().item())
    assert math.perm(9, A.split_depth(9)) == num_blocks(9) == 9


@pytest.mark.parametrize("n, batch, m, message", [
    (13, 2, 10, r"1.25e\+11 terms .* exceed the limit of 1e\+11; pass max_terms=124540416000"),
    (16, 1, 1, r"n = 16 needs 67,304 MiB of prefix tables .* pass max_table_bytes=70572902400"),
])
def test_oversized_requests_are_refused_before_any_work(n, batch, m, message):
    x, w, a = torch.zeros(batch, n, 3), torch.zeros(m, n, 3), torch.zeros(m)
    built = A._prefixes.cache_info().misses
    with pytest.raises(InvariantError, match=message):
        antisymmetrize(x, w, a)
    assert A._prefixes.cache_info().misses == built  # refused before building any table


def test_limits_count_only_the_requested_blocks_and_can_be_raised():
    x, w, a = draw(21, 1, 9, 3, 2)  # 9! · 2 = 725,760 terms over 9 blocks
    with pytest.raises(InvariantError, match="over the requested blocks"):
        antisymmetrize(x, w, a, blocks=(0, 2), max_terms=80_000)
    part = antisymmetrize(x, w, a, blocks=(0, 1), max_terms=80_640)  # one block: 8! · 2 terms
    rest = antisymmetrize(x, w, a, blocks=(1, 9))
    assert torch.allclose(part + rest, antisymmetrize(x, w, a, max_terms=725_760), rtol=1e-12, atol=1e-12)
    with pytest.raises(InvariantError, match=r"outside 0\.\.9"):
        antisymmetrize(x, w, a, blocks=(3, 10))


@pytest.mark.parametrize("requires", ["x", "w", "a"])
def test_gradients_flow_through_the_differentiable_backend(requires):
    x, w, a = draw(22, 3, 5, 2, 4)
    leaf = {"x": x, "w": w, "a": a}[requires].requires_grad_(True)
    got = antisymmetrize(x, w, a)  # auto: torch, since an input requires grad
    assert got.requires_grad
    (grad,) = torch.autograd.grad(got.square().sum(), leaf)
    ref_inputs = {k: v.detach().clone().requires_grad_(k == requires) for k, v in {"x": x, "w": w, "a": a}.items()}
    ref = antisymmetrize_bruteforce(ref_inputs["x"], ref_inputs["w"], ref_inputs["a"])
    (expected,) = torch.autograd.grad(ref.square().sum(), ref_inputs[requires])
    assert torch.allclose(grad, expected, rtol=1e-10, atol=1e-12)
    with pytest.raises(InvariantError, match="cpp backend computes no gradients"):
        antisymmetrize(x, w, a, backend="cpp")
    with torch.no_grad():  # no graph wanted: the C++ kernel is fine again
        assert torch.allclose(antisymmetrize(x, w, a, backend="cpp"), got.detach(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend, n, batch", [("cpp", 9, 2), ("cpp", 7, 40), ("torch", 9, 2)])
def test_progress_lines_on_long_runs_when_not_a_terminal(monkeypatch, capsys, backend, n, batch):
    import invariant.notes.runtime as R

    monkeypatch.setattr(R, "PROGRESS_INTERVAL", 0.0)
    x, w, a = draw(23, batch, n, 3, 3)
    quiet = antisymmetrize(x, w, a, backend=backend)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(A, "PROGRESS_TERMS", 1)  # every call counts as long
    shown = antisymmetrize(x, w, a, backend=backend)
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith(f"antisymmetrize n={n}") for line in err) and "(100%)" in err[-1]
    assert torch.allclose(shown, quiet, rtol=1e-12, atol=1e-12)
