"""Terms·neurons per second of the exact antisymmetrization kernel vs two baselines.

All in one run, float32 on CPU (or --device): the library kernel with its C++ backend and
with its torch backend; a straightforward
itertools loop over permutations (numpy per permutation, vectorized over batch and neurons);
and a vectorized-numpy version (all n! permuted inputs through one matmul, chunked).
Not a test; prints a markdown table.

    python bench/antisymmetrize.py [--sizes 6 7 8 9 10] [--batch 8] [--neurons 10] [--threads N]
"""

from __future__ import annotations

import os

# Before numpy and torch load their OpenMP runtime: idle OpenMP threads sleep instead of spinning.
# On a busy machine spinning threads made two-thread runs up to 60x slower than one thread.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import itertools
import math
import time

import numpy as np
import torch

from invariant.errors import InvariantError
from invariant.notes.antisym import antisymmetrize
from invariant.notes.runtime import THREADS_HELP, configure_threads


def itertools_af(x, w, a, limit):
    """Python loop over the first ``limit`` permutations; returns seconds per permutation."""
    n = x.shape[1]
    wf = w.reshape(w.shape[0], -1)
    t = time.perf_counter()
    total = np.zeros(x.shape[0])
    for k, perm in enumerate(itertools.permutations(range(n))):
        if k == limit:
            break
        inv = sum(1 for i, j in itertools.combinations(perm, 2) if i > j)
        total += (-1) ** inv * (np.maximum(x[:, list(perm)].reshape(x.shape[0], -1) @ wf.T, 0) @ a)
    return (time.perf_counter() - t) / min(limit, math.factorial(n))


def numpy_af(x, w, a, chunk=20_000):
    """All permutations at once: gather, one matmul per chunk; returns seconds for all n!."""
    n = x.shape[1]
    perms = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
    inv = np.zeros(len(perms), dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            inv += perms[:, i] > perms[:, j]
    sign = np.where(inv % 2, -1.0, 1.0).astype(x.dtype)
    wf = w.reshape(w.shape[0], -1).T
    t = time.perf_counter()
    total = np.zeros(x.shape[0], dtype=x.dtype)
    for s in range(0, len(perms), chunk):
        xp = x[:, perms[s : s + chunk]].reshape(x.shape[0], -1, wf.shape[0])  # (B, chunk, nd)
        total += np.einsum("bpm,m,p->b", np.maximum(xp @ wf, 0), a, sign[s : s + chunk])
    return time.perf_counter() - t


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[6, 7, 8, 9, 10], help="values of n")
    parser.add_argument("--batch", type=int, default=8, help="inputs per call")
    parser.add_argument("--neurons", type=int, default=10, help="m")
    parser.add_argument("--d", type=int, default=3, help="particle dimension")
    parser.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"], help="device for the kernel")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per method (the best is reported)")
    parser.add_argument("--threads", type=int, default=None, help=THREADS_HELP)
    args = parser.parse_args()
    try:
        threads = configure_threads(args.threads)
    except InvariantError as exc:
        parser.error(str(exc))
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    rng = np.random.default_rng(0)
    print(f"batch {args.batch}, m = {args.neurons}, d = {args.d}, float32, {threads} threads, best of {args.repeats} "
          "per method; rates in million terms·neurons per second")
    print()
    print("| n | n! | kernel (cpp) | kernel (torch) | itertools | cpp / itertools | vectorized numpy | cpp / numpy |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    inputs = {}
    for n in args.sizes:
        x = rng.standard_normal((args.batch, n, args.d)).astype(np.float32)
        w = rng.standard_normal((args.neurons, n, args.d)).astype(np.float32)
        a = rng.standard_normal(args.neurons).astype(np.float32)
        inputs[n] = (x, w, a)
    # The library's kernels first, for every n, then the baselines: numpy's BLAS threads keep
    # spinning after a call and would slow whatever runs right after them on 2 cores.
    rates = {}
    for n in args.sizes:
        xt, wt, at = (torch.from_numpy(v).to(device) for v in inputs[n])
        work = math.factorial(n) * args.neurons * args.batch
        for backend in ("cpp", "torch"):
            if backend == "cpp" and device != "cpu":
                rates[n, backend] = float("nan")
                continue
            antisymmetrize(xt[:1], wt, at, backend=backend)  # build the trees / compile the kernel
            best = float("inf")
            for _ in range(args.repeats):
                t = time.perf_counter()
                antisymmetrize(xt, wt, at, backend=backend)
                best = min(best, time.perf_counter() - t)
            rates[n, backend] = work / best / 1e6
    for n in args.sizes:
        x, w, a = inputs[n]
        work = math.factorial(n) * args.neurons * args.batch
        r_kernel = rates[n, "cpp"]
        r_iter = args.batch * args.neurons / min(itertools_af(x, w, a, limit=20_000) for _ in range(args.repeats)) / 1e6
        r_np = work / min(numpy_af(x, w, a) for _ in range(args.repeats)) / 1e6 if n <= 9 else float("nan")
        np_cols = f"{r_np:.1f} | {r_kernel / r_np:.1f}x" if n <= 9 else "not run (memory) | -"
        print(f"| {n} | {math.factorial(n)} | {r_kernel:.1f} | {rates[n, 'torch']:.1f} | {r_iter:.2f} | "
              f"{r_kernel / r_iter:.0f}x | {np_cols} |")


if __name__ == "__main__":
    main()
