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
rows at a time so that the leaf sums vectorize, with ``torch.get_num_threads()`` std::thread workers over
rows and blocks. ``"torch"``
runs the level-by-level version in tensor ops on any device and with any callable.
``"auto"`` takes ``"cpp"`` when it applies and ``"torch"`` otherwise; the C++ kernel computes no
gradients, so inputs that require grad go to ``"torch"`` (and an explicit ``"cpp"`` is refused).

Limits, checked before any work: at most ``max_terms`` = :data:`MAX_TERMS` terms n!·m·batch per
call (over the requested blocks) and :data:`MAX_TABLE_BYTES` of prefix tables; both are keywords
of :func:`antisymmetrize`. Calls of more than :data:`PROGRESS_TERMS` terms show progress.

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
from functools import cache, lru_cache

import torch

from invariant.errors import InvariantError

from .runtime import cpp_extension
from .runtime import progress as progress_bar

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

#: Default work limit of one call, in terms n!·m·batch: about two minutes for the C++ kernel
#: on 2 cores (≈ 10⁹ terms per second), ten times that for the torch backend.
MAX_TERMS = 10**11

#: Default limit on the prefix tables of the coset blocks (built once per n and cached).
MAX_TABLE_BYTES = 1 << 28

#: Calls of at least this many terms show progress (:func:`invariant.notes.runtime.progress`).
PROGRESS_TERMS = 10**9


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


@lru_cache(maxsize=4)
def _prefixes(n: int, c: int):
    """Injective prefixes of length c in lexicographic order: columns (P, c), their signs, and
    the remaining columns (P, n - c) in increasing order.

    Built level by level in tensors. A prefix's sign is that of the permutation "prefix, then the
    remaining columns in order", i.e. (-1) to the sum of the ranks of its columns among the
    columns unused when each was chosen (its Lehmer code).
    """
    columns = torch.arange(n)
    prefixes = torch.zeros(1, 0, dtype=torch.long)
    parity = torch.zeros(1, dtype=torch.long)
    for t in range(c):
        used = torch.zeros(len(prefixes), n, dtype=torch.bool)
        used.scatter_(1, prefixes, True)
        remaining = columns.expand(len(prefixes), n)[~used].reshape(len(prefixes), n - t)
        prefixes = torch.cat([prefixes.repeat_interleave(n - t, 0), remaining.reshape(-1, 1)], 1)
        parity = (parity.repeat_interleave(n - t) + torch.arange(n - t).repeat(len(parity))) % 2
    used = torch.zeros(len(prefixes), n, dtype=torch.bool)
    used.scatter_(1, prefixes, True)
    rest = columns.expand(len(prefixes), n)[~used].reshape(len(prefixes), n - c)
    return prefixes, 1.0 - 2.0 * parity.to(torch.float64), rest


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
        raise InvariantError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)} "
                             "or pass a callable")
    return ACTIVATIONS[activation]


def _validate(x, w, a):
    if x.dim() != 3 or w.dim() != 3 or a.dim() != 1:
        raise InvariantError(f"expected x (B, n, d), w (m, n, d), a (m,); "
                             f"got {tuple(x.shape)}, {tuple(w.shape)}, {tuple(a.shape)}")
    if x.shape[1:] != w.shape[1:] or w.shape[0] != a.shape[0]:
        raise InvariantError(f"shapes do not match: x {tuple(x.shape)}, w {tuple(w.shape)}, a {tuple(a.shape)}")
    for name, t in (("x", x), ("w", w), ("a", a)):
        if not torch.isfinite(t).all():
            raise InvariantError(f"{name} has non-finite entries")


def required_memory(n: int, rows: int = 1, dtype=torch.float32) -> int:
    """Bytes the kernel needs at least: one row, one coset block, two levels of partial sums."""
    leaves = math.factorial(n - split_depth(n))
    return 3 * leaves * torch.finfo(dtype).bits // 8 * rows


def choose_backend(x, activation, backend: str = "auto", needs_grad: bool = False) -> str:
    """``cpp`` for CPU inputs, a named activation, n ≥ 3 and no gradients; else ``torch``.

    ``needs_grad``: some input requires grad under grad mode. The C++ kernel returns plain
    numbers, so ``auto`` then takes the differentiable torch backend and ``cpp`` is refused.
    """
    if backend not in ("auto", "cpp", "torch"):
        raise InvariantError(f"unknown backend {backend!r}; choose auto, cpp or torch")
    fits = x.device.type == "cpu" and isinstance(activation, str) and activation in CPP_ACTIVATIONS and x.shape[1] >= 3
    if backend == "cpp" and not fits:
        raise InvariantError("the cpp backend needs CPU inputs, n >= 3 and a named activation")
    if backend == "cpp" and needs_grad:
        raise InvariantError("the cpp backend computes no gradients and an input requires grad: use "
                             "backend='torch' (differentiable) or 'auto', or detach the inputs")
    if backend == "auto":
        if not fits or needs_grad:
            return "torch"
        try:
            cpp_extension("antisym")
        except (OSError, RuntimeError, ImportError) as exc:  # no compiler or no ninja: say so once
            warnings.warn(f"C++ antisymmetrization kernel unavailable ({exc}); using the torch backend", stacklevel=3)
            return "torch"
        return "cpp"
    return backend


def work_terms(n: int, rows: int, blocks: tuple[int, int] | None = None) -> int:
    """Terms n!·rows (rows = batch·m) of a call, restricted to coset blocks lo..hi-1 if given."""
    per_block = math.factorial(n - split_depth(n))
    count = num_blocks(n) if blocks is None else blocks[1] - blocks[0]
    return count * per_block * rows


def prefix_table_bytes(n: int) -> int:
    """Bytes of the prefix tables for n: per block its c columns, n - c remaining columns (int64)
    and its sign (float64)."""
    return num_blocks(n) * (n + 1) * 8


def check_limits(n: int, rows: int, blocks: tuple[int, int] | None, max_terms: int, max_table_bytes: int) -> int:
    """Refuse a call whose work or prefix tables exceed the limits, before building anything;
    returns the number of terms."""
    table = prefix_table_bytes(n)
    if table > max_table_bytes:
        raise InvariantError(f"n = {n} needs {table / 2**20:,.0f} MiB of prefix tables "
                             f"({num_blocks(n):,} coset blocks), "
                             f"above the limit of {max_table_bytes / 2**20:,.0f} MiB; pass max_table_bytes={table} "
                             "to allow it")
    terms = work_terms(n, rows, blocks)
    if terms > max_terms:
        raise InvariantError(f"{terms:.3g} terms (n! = {math.factorial(n):,} permutations × {rows:,} rows of batch × m"
                             f"{', over the requested blocks' if blocks is not None else ''}) exceed the limit of "
                             f"{max_terms:.3g}; pass max_terms={terms} to allow it, or split the batch")
    return terms


def antisymmetrize(x, w, a, activation="relu", max_memory: int = 1 << 24, blocks: tuple[int, int] | None = None,
                   backend: str = "auto", max_terms: int = MAX_TERMS, max_table_bytes: int = MAX_TABLE_BYTES,
                   progress: bool | None = None):
    """Af for a batch: x (B, n, d), w (m, n, d), a (m,) -> (B,), every one of the n! terms.

    ``blocks=(lo, hi)`` restricts the sum to coset blocks lo..hi-1 (for sharding); the full
    sum is the sum over all blocks. Device and dtype follow x; gradients flow to x, w and a
    when they require grad (through the torch backend). ``max_terms`` and ``max_table_bytes``
    bound the work and the prefix tables (see the module doc); ``progress`` shows progress
    (default: for calls of at least :data:`PROGRESS_TERMS` terms).
    """
    _validate(x, w, a)
    tau = _activation(activation)
    batch, n, _ = x.shape
    m = w.shape[0]
    if blocks is not None and not (0 <= blocks[0] <= blocks[1] <= num_blocks(n)):
        raise InvariantError(f"blocks {blocks} outside 0..{num_blocks(n)} for n = {n}")
    terms = check_limits(n, batch * m, blocks, max_terms, max_table_bytes)
    show = terms >= PROGRESS_TERMS if progress is None else progress
    needs_grad = torch.is_grad_enabled() and any(t.requires_grad for t in (x, w, a))
    if choose_backend(x, activation, backend, needs_grad) == "cpp":
        return _antisymmetrize_cpp(x, w, a, activation, blocks, show).to(x.dtype)
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
    step = max(1, min(hi - lo, chunk))
    out = torch.zeros(rows_total, dtype=x.dtype, device=x.device)
    with progress_bar(total=rows_total * (hi - lo), desc=f"antisymmetrize n={n} (rows x blocks)", enabled=show) as bar:
        for p0 in range(lo, hi, step):
            p1 = min(hi, p0 + step)
            pre, rem, psign = prefixes[p0:p1], rest[p0:p1], prefix_sign[p0:p1]
            row_chunk = max(1, chunk // (p1 - p0))
            rows = []
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
                rows.append(_leaves(s, gr, rem, last, c, n, tau) @ node_sign @ psign)
                bar.update(gr.shape[0] * (p1 - p0))
            out = out + torch.cat(rows)
    return out.reshape(batch, m) @ a


def _antisymmetrize_cpp(x, w, a, activation, blocks, show):
    """The C++ walk (float64) over the prefixes of ``blocks``; with ``show``, in about a hundred
    calls (by prefixes, or by rows when there is a single block) so that progress can be shown."""
    batch, n, _ = x.shape
    m = w.shape[0]
    prefixes = _prefixes(n, split_depth(n))[0]
    lo, hi = blocks if blocks is not None else (0, len(prefixes))
    g = torch.einsum("mid,bjd->bmij", w.double(), x.double()).reshape(batch * m, n, n)
    kernel = cpp_extension("antisym").antisymmetrize_rows
    code = CPP_ACTIVATIONS[activation]
    if not show:
        per_row = kernel(g, prefixes[lo:hi].contiguous(), code).sum(1)
    elif hi - lo > 1:
        step = max(1, (hi - lo) // 100)
        per_row = torch.zeros(batch * m, dtype=torch.float64)
        for p0 in progress_bar(range(lo, hi, step), desc=f"antisymmetrize n={n} (block chunks)"):
            per_row += kernel(g, prefixes[p0 : min(hi, p0 + step)].contiguous(), code).sum(1)
    else:
        step = max(8, (batch * m) // 100 // 8 * 8)
        pieces = [kernel(g[r0 : r0 + step], prefixes[lo:hi].contiguous(), code).sum(1)
                  for r0 in progress_bar(range(0, batch * m, step), desc=f"antisymmetrize n={n} (row chunks)")]
        per_row = torch.cat(pieces) if pieces else torch.zeros(0, dtype=torch.float64)
    return per_row.reshape(batch, m) @ a.double()


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


def antisymmetrize_distributed(x, w, a, activation="relu", max_memory: int = 1 << 24, backend: str = "auto",
                               max_terms: int = MAX_TERMS, max_table_bytes: int = MAX_TABLE_BYTES):
    """Af with the coset blocks sharded over the ranks of the default process group.

    Every rank passes the same x, w, a; the partial sums are all-reduced, so every rank
    returns the full Af. Without an initialized group this is :func:`antisymmetrize`. The limits
    apply to each rank's share of the blocks.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return antisymmetrize(x, w, a, activation, max_memory, backend=backend, max_terms=max_terms,
                              max_table_bytes=max_table_bytes)
    rank, world = dist.get_rank(), dist.get_world_size()
    total = num_blocks(x.shape[1])
    lo, hi = rank * total // world, (rank + 1) * total // world
    part = (antisymmetrize(x, w, a, activation, max_memory, blocks=(lo, hi), backend=backend, max_terms=max_terms,
                           max_table_bytes=max_table_bytes) if hi > lo else x.new_zeros(x.shape[0]))
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
