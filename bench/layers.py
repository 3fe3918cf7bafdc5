"""Forward+backward time of quadratic S_n layers (batch 256, float32, CPU by default).

Columns, all measured in this process: the generated module's structured forward, its dense
tied forward (full W gathered from θ, then einsum), an unconstrained dense quadratic layer
(einsum with a free n×n×n weight) and a hand-written power-sum reference written below.
Not a test; prints a markdown table.

    python bench/layers.py [--sizes 16 64 128 256 1024] [--device auto]
"""

from __future__ import annotations

import argparse
import time

import torch

import invariant
from invariant import LayerSpec

DENSE_LIMIT = 256  # n³ weights beyond this do not fit a sensible memory budget (4 GB at n=1024)


def hand_written(x, t):
    """y_k = a x_k² + b x_k Σ_{j≠k} x_j + c Σ_{j≠k} x_j² + d Σ_{i<j; i,j≠k} x_i x_j, collected."""
    p1 = x.sum(-1, keepdim=True)
    p2 = (x * x).sum(-1, keepdim=True)
    return (t[0] - t[1] - t[2] + t[3]) * x * x + (t[1] - t[3]) * p1 * x + (t[2] - t[3] / 2) * p2 + t[3] / 2 * p1 * p1


def timed(fn, repeats):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def fwd_bwd(forward, params, x):
    def run():
        for p in params:
            p.grad = None
        forward(x).sum().backward()
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 128, 256, 1024, 4096, 16384, 65536], help="values of n")
    parser.add_argument("--batch", type=int, default=256, help="batch size")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (best is reported)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="device")
    args = parser.parse_args()
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    torch.manual_seed(0)
    print(f"device: {device}, batch {args.batch}, float32, best of {args.repeats}; times in ms (forward+backward)")
    print()
    print("| n | structured | hand-written | structured / hand | dense tied | dense / structured | unconstrained dense | µs per sample / n (structured) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        cls = invariant.compile(LayerSpec.build(layer="quadratic", n=n))
        layer = cls(device=device)
        dense = cls(device=device, forward_impl="dense")
        dense.load_state_dict(layer.state_dict())
        x = torch.randn(args.batch, n, device=device)
        theta = layer.theta.detach().clone().requires_grad_(True)
        assert torch.allclose(layer(x), hand_written(x, theta), rtol=1e-4, atol=1e-3 * n)
        t_struct = timed(fwd_bwd(layer, [layer.theta], x), args.repeats)
        t_hand = timed(fwd_bwd(lambda v, t=theta: hand_written(v, t), [theta], x), args.repeats)
        if n <= DENSE_LIMIT:
            t_dense = timed(fwd_bwd(dense, [dense.theta], x), max(1, args.repeats // 2))
            free = torch.randn(n, n, n, device=device, requires_grad=True)
            t_free = timed(fwd_bwd(lambda v, f=free: torch.einsum("kij,bi,bj->bk", f, v, v), [free], x), max(1, args.repeats // 2))
            dense_cols = f"{t_dense * 1e3:.2f} | {t_dense / t_struct:.0f}x | {t_free * 1e3:.2f}"
        else:
            dense_cols = "not run (n³ weights) | - | not run (n³ weights)"
        per = t_struct / args.batch / n * 1e6
        print(f"| {n} | {t_struct * 1e3:.3f} | {t_hand * 1e3:.3f} | {t_struct / t_hand:.2f} | {dense_cols} | {per:.4f} |")


if __name__ == "__main__":
    main()
