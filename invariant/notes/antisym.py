"""Exact antisymmetrization of a two-layer network: Af(x) = Σ_{σ∈S_n} sgn(σ) f(x_σ).

For f(x) = Σ_k a_k τ(w_k·x), x ∈ R^{n×d}, the pre-activation of term σ is
w_k·x_σ = Σ_i G_k[i, σ(i)] with G_k[i, j] = w_{k,i}·x_j. Permutations are enumerated as a
prefix tree, position by position: a child adds one entry of G to its parent's partial sum
and flips the sign by the parity of the unchosen columns it jumps over, so all n! terms cost
about e·n! additions per neuron and input. The tree is cut at depth c into coset blocks (the
injective prefixes of length c), each with an identical suffix tree of (n-c)! leaves;
blocks are processed in chunks that respect ``max_memory`` and are the unit of sharding
across processes (:func:`antisymmetrize_distributed`).

Two backends compute the same sum. ``"cpp"`` (CPU, named activations) walks the tree depth
first in C++ (``csrc/antisym.cpp``, built once with torch's JIT extension loader), blocks of 8
rows at a time so that the leaf sums vectorize, with std::thread workers over rows and blocks. ``"torch"``
runs the level-by-level version in tensor ops on any device and with any callable.
``"auto"`` takes ``"cpp"`` when it applies and ``"torch"`` otherwise.

>>> import torch
>>> x = torch.randn(2, 4, 3, dtype=torch.float64)
>>> w, a = torch.randn(5, 4, 3, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
>>> af = antisymmetrize(x, w, a)
>>> bool(torch.allclose(antisymmetrize(x[:, [1, 0, 2, 3]], w, a), -af))
True
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from functools import cache

import torch

from invariant.errors import InvariantError

from .runtime import cpp_extension

#: Activation codes understood by the C++ kernel.
CPP_ACTIVATIONS = {"relu": 0, "tanh": 1, "sigmoid": 2, "softplus": 3, "sin100": 4}

ACTIVATIONS: dict[str, Callable] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": torch.nn.functional.softplus,
    "sin100": lambda t: torch.sin(100 * t),
}

#: Suffix trees have at most this many leaves (8! = 40320).
MAX_SUFFIX = 8


@cache
def _suffix_tree(k: int):
    """The prefix tree of S_k down to depth k - 2, and the last two positions fused.

    Returns per level the column of every node for positions 0..k-3 (a node at depth t has
    k - t children, stored consecutively), then for each node at depth k - 2 its two remaining
    columns (j1 < j2) and the sign of the leaf that takes j1 first; the other leaf has the
    opposite sign. (For k < 2 the leaves are the nodes.)
    """
    levels = []
    nodes = [((), 1)]  # (chosen columns, sign)
    for _ in range(max(0, k - 2)):
        cols, children = [], []
        for chosen, s in nodes:
            remaining = [j for j in range(k) if j not in chosen]
            for rank, j in enumerate(remaining):
                cols.append(j)
                children.append((chosen + (j,), -s if rank % 2 else s))
        levels.append(torch.tensor(cols))
        nodes = children
    pairs = [[j for j in range(k) if j not in chosen] for chosen, _ in nodes]
    last = torch.tensor(pairs, dtype=torch.long).reshape(len(nodes), min(k, 2))
    return levels, last, torch.tensor([s for _, s in nodes], dtype=torch.float64)


@cache
def _prefixes(n: int, c: int):
    """Injective prefixes of length c: columns (P, c), their signs, and the remaining columns."""
    prefixes, signs, rest = [], [], []
    for chosen in itertools.permutations(range(n), c):
        remaining = [j for j in range(n) if j not in chosen]
        # Inversions inside the prefix and between prefix and suffix fix the prefix's sign.
        inv = sum(1 for a, b in itertools.combinations(chosen, 2) if a > b)
        inv += sum(1 for j in chosen for r in remaining if r < j)
        prefixes.append(chosen)
        signs.append(-1.0 if inv % 2 else 1.0)
        rest.append(remaining)
    return (
        torch.tensor(prefixes, dtype=torch.long).reshape(len(prefixes), c),
        torch.tensor(signs, dtype=torch.float64),
        torch.tensor(rest, dtype=torch.long).reshape(len(prefixes), n - c),
    )


def split_depth(n: int) -> int:
    """Depth of the coset blocks: suffix trees of at most MAX_SUFFIX! leaves."""
    return max(0, n - MAX_SUFFIX)


def num_blocks(n: int) -> int:
    """Number of coset blocks (the unit of sharding)."""
    return math.perm(n, split_depth(n))


def _activation(activation) -> Callable:
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        raise InvariantError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)} or pass a callable")
    return ACTIVATIONS[activation]


def _validate(x, w, a):
    if x.dim() != 3 or w.dim() != 3 or a.dim() != 1:
        raise InvariantError(f"expected x (B, n, d), w (m, n, d), a (m,); got {tuple(x.shape)}, {tuple(w.shape)}, {tuple(a.shape)}")
    if x.shape[1:] != w.shape[1:] or w.shape[0] != a.shape[0]:
        raise InvariantError(f"shapes do not match: x {tuple(x.shape)}, w {tuple(w.shape)}, a {tuple(a.shape)}")
    for name, t in (("x", x), ("w", w), ("a", a)):
        if not torch.isfinite(t).all():
            raise InvariantError(f"{name} has non-finite entries")


def required_memory(n: int, rows: int = 1, dtype=torch.float32) -> int:
    """Bytes the kernel needs at least: one row, one coset block, two levels of partial sums."""
    leaves = math.factorial(n - split_depth(n))
    return 3 * leaves * torch.finfo(dtype).bits // 8 * rows


def choose_backend(x, activation, backend: str = "auto") -> str:
    """``cpp`` for CPU inputs, a named activation and n ≥ 3; else ``torch`` (see module doc)."""
    if backend not in ("auto", "cpp", "torch"):
        raise InvariantError(f"unknown backend {backend!r}; choose auto, cpp or torch")
    fits = x.device.type == "cpu" and isinstance(activation, str) and activation in CPP_ACTIVATIONS and x.shape[1] >= 3
    if backend == "cpp" and not fits:
        raise InvariantError("the cpp backend needs CPU inputs, n >= 3 and a named activation")
    if backend == "auto":
        if not fits:
            return "torch"
        try:
            cpp_extension("antisym")
        except (OSError, RuntimeError, ImportError) as exc:  # no compiler or no ninja: say so once
            warnings.warn(f"C++ antisymmetrization kernel unavailable ({exc}); using the torch backend", stacklevel=3)
            return "torch"
        return "cpp"
    return backend


def antisymmetrize(x, w, a, activation="relu", max_memory: int = 1 << 24, blocks: tuple[int, int] | None = None,
                   backend: str = "auto"):
    """Af for a batch: x (B, n, d), w (m, n, d), a (m,) -> (B,), every one of the n! terms.

    ``blocks=(lo, hi)`` restricts the sum to coset blocks lo..hi-1 (for sharding); the full
    sum is the sum over all blocks. Device and dtype follow x.
    """
    _validate(x, w, a)
    tau = _activation(activation)
    batch, n, _ = x.shape
    m = w.shape[0]
    if choose_backend(x, activation, backend) == "cpp":
        c = split_depth(n)
        prefixes = _prefixes(n, c)[0]
        lo, hi = blocks if blocks is not None else (0, len(prefixes))
        g = torch.einsum("mid,bjd->bmij", w.double(), x.double()).reshape(batch * m, n, n)
        per_block = cpp_extension("antisym").antisymmetrize_rows(g, prefixes[lo:hi].contiguous(), CPP_ACTIVATIONS[activation])
        return (per_block.sum(1).reshape(batch, m) @ a.double()).to(x.dtype)
    need = required_memory(n, dtype=x.dtype)
    if need > max_memory:
        raise InvariantError(f"n = {n} needs at least {need / 2**20:.0f} MiB per row; raise max_memory to {need}")
    c = split_depth(n)
    prefixes, prefix_sign, rest = (t.to(x.device) for t in _prefixes(n, c))
    levels, last, node_sign = _suffix_tree(n - c)
    levels = [col.to(x.device) for col in levels]
    last = last.to(x.device)
    node_sign = node_sign.to(device=x.device, dtype=x.dtype)
    prefix_sign = prefix_sign.to(x.dtype)
    lo, hi = blocks if blocks is not None else (0, len(prefixes))
    g = torch.einsum("mid,bjd->bmij", w, x).reshape(batch * m, n, n)
    rows_total = batch * m
    per_row_block = 6 * len(node_sign) * x.element_size()
    chunk = max(1, max_memory // per_row_block)
    out = torch.zeros(rows_total, dtype=x.dtype, device=x.device)
    for p0 in range(lo, hi, max(1, min(hi - lo, chunk))):
        p1 = min(hi, p0 + max(1, min(hi - lo, chunk)))
        pre, rem, psign = prefixes[p0:p1], rest[p0:p1], prefix_sign[p0:p1]
        row_chunk = max(1, chunk // (p1 - p0))
        for r0 in range(0, rows_total, row_chunk):
            gr = g[r0 : r0 + row_chunk]
            # Partial sums of the prefixes: (rows, blocks).
            s = torch.zeros(gr.shape[0], p1 - p0, dtype=x.dtype, device=x.device)
            for t in range(c):
                s = s + gr[:, t, :][:, pre[:, t]]
            s = s.unsqueeze(-1)
            for t, col in enumerate(levels):
                # Children are consecutive, k - t per parent: a broadcast add, not a gather.
                vals = gr[:, c + t, :][:, rem[:, col]].reshape(gr.shape[0], p1 - p0, s.shape[-1], -1)
                s = (s.unsqueeze(-1) + vals).reshape(gr.shape[0], p1 - p0, -1)
            out[r0 : r0 + row_chunk] += _leaves(s, gr, rem, last, c, n, tau) @ node_sign @ psign
    return out.reshape(batch, m) @ a


def _leaves(s, gr, rem, last, c, n, tau):
    """Σ over the last two positions: τ(s + A) - τ(s + B) per node, (rows, blocks, nodes)."""
    rows, blocks = s.shape[0], s.shape[1]
    if last.shape[1] < 2:  # k < 2: the node is the leaf (one forced column at most)
        if last.shape[1] == 1:
            s = s + gr[:, n - 1, :][:, rem[:, last[:, 0]]].reshape(rows, blocks, -1)
        return tau(s)
    first, second = gr[:, n - 2, :], gr[:, n - 1, :]
    j1, j2 = rem[:, last[:, 0]], rem[:, last[:, 1]]  # (blocks, nodes) absolute columns
    a = (first[:, j1] + second[:, j2]).reshape(rows, blocks, -1)
    b = (first[:, j2] + second[:, j1]).reshape(rows, blocks, -1)
    return tau(s + a) - tau(s + b)


def antisymmetrize_distributed(x, w, a, activation="relu", max_memory: int = 1 << 24, backend: str = "auto"):
    """Af with the coset blocks sharded over the ranks of the default process group.

    Every rank passes the same x, w, a; the partial sums are all-reduced, so every rank
    returns the full Af. Without an initialized group this is :func:`antisymmetrize`.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return antisymmetrize(x, w, a, activation, max_memory, backend=backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    total = num_blocks(x.shape[1])
    lo, hi = rank * total // world, (rank + 1) * total // world
    part = antisymmetrize(x, w, a, activation, max_memory, blocks=(lo, hi), backend=backend) if hi > lo else x.new_zeros(x.shape[0])
    dist.all_reduce(part)
    return part


def antisymmetrize_bruteforce(x, w, a, activation="relu"):
    """The oracle: Σ_σ sgn(σ) f(x_σ) by itertools over all permutations (small n only)."""
    tau = _activation(activation)
    n = x.shape[1]
    total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    for perm in itertools.permutations(range(n)):
        inv = sum(1 for i, j in itertools.combinations(perm, 2) if i > j)
        pre = torch.einsum("mid,bid->bm", w, x[:, list(perm)])
        total += (-1) ** inv * (tau(pre) @ a)
    return total
