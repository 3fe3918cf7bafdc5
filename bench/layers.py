"""Forward+backward time of generated S_n layers (float32, CPU by default). Not a test;
prints markdown tables, every ratio measured in this process.

``--table powersums``: quadratic vector layers (batch 256): the generated module's structured
forward, its dense tied forward (full W gathered from θ, then einsum), an unconstrained dense
quadratic layer (einsum with a free n×n×n weight) and a hand-written power-sum reference.

``--table tensor``: the generated 2→2 graph layer (S_n on both indices, 15 classes, channels
C→D, bias) against two IGN 2→2 layers written below by hand (Maron et al.'s 15 basis
operations stacked and mixed by one einsum, as in their code; and a reduce-mix-broadcast
form that mixes channels before broadcasting), and the generated dense reference (full tied
weight of n⁴·C·D entries; only where it fits in memory).

    python bench/layers.py [--table all] [--threads 1] [--device auto]
"""

from __future__ import annotations

import argparse
import time
import types

import torch

import invariant
from codegen.render import render_source
from invariant import LayerSpec

DENSE_LIMIT = 256  # n³ weights beyond this do not fit a sensible memory budget (4 GB at n=1024)
TENSOR_DENSE_LIMIT = 1 << 28  # n⁴·C·D entries of the dense 2→2 weight (1 GiB in float32)


def hand_written(x, t):
    """y_k = a x_k² + b x_k Σ_{j≠k} x_j + c Σ_{j≠k} x_j² + d Σ_{i<j; i,j≠k} x_i x_j, collected."""
    p1 = x.sum(-1, keepdim=True)
    p2 = (x * x).sum(-1, keepdim=True)
    return (t[0] - t[1] - t[2] + t[3]) * x * x + (t[1] - t[3]) * p1 * x + (t[2] - t[3] / 2) * p2 + t[3] / 2 * p1 * p1


def ign_stacked(x, w, bias):
    """Maron et al.'s 2→2 layer as in their code: the 15 basis operations of x (B, n, n, C)
    stacked, then mixed by one einsum with w (C, 15, D); bias (2, D) on diagonal/off-diagonal."""
    n = x.shape[1]
    diag = torch.diagonal(x, 0, 1, 2).transpose(1, 2)  # (B, n, C)
    rows, cols = x.sum(2), x.sum(1)
    trace, total = diag.sum(1), rows.sum(1)
    eye = torch.eye(n, dtype=x.dtype, device=x.device)[None, :, :, None]

    def on_diag(v):  # (B, n, C) -> (B, n, n, C) on the diagonal
        return torch.diag_embed(v.transpose(1, 2)).permute(0, 2, 3, 1)

    full = (x.shape[0], n, n, x.shape[3])
    ops = [
        on_diag(diag), on_diag(rows), on_diag(cols), eye * trace[:, None, None], eye * total[:, None, None],
        cols[:, :, None].expand(full), rows[:, :, None].expand(full), cols[:, None].expand(full),
        rows[:, None].expand(full), x, x.transpose(1, 2), diag[:, :, None].expand(full), diag[:, None].expand(full),
        trace[:, None, None].expand(full), total[:, None, None].expand(full),
    ]
    y = torch.einsum("bijck,ckd->bijd", torch.stack(ops, -1), w)
    return y + eye * bias[0] + (1 - eye) * bias[1]


def ign_reduced(x, w, bias):
    """The same layer written to mix channels before broadcasting: O(n²·C·D) for x and xᵀ,
    O(n·C·D) for the pooled terms. w (15, C, D) in the order of :func:`ign_stacked`."""
    diag = torch.diagonal(x, 0, 1, 2).transpose(1, 2)
    rows, cols = x.sum(2), x.sum(1)
    trace, total = diag.sum(1), rows.sum(1)
    y = x @ w[9] + (x @ w[10]).transpose(1, 2)
    along_i = diag @ w[11] + rows @ w[6] + cols @ w[5] + (trace @ w[13] + total @ w[14])[:, None]
    along_j = diag @ w[12] + rows @ w[8] + cols @ w[7]
    y = along_i[:, :, None] + along_j[:, None] + y + bias[1]
    on_diag = diag @ w[0] + rows @ w[1] + cols @ w[2] + (trace @ w[3] + total @ w[4])[:, None] + (bias[0] - bias[1])
    y.diagonal(0, 1, 2).add_(on_diag.transpose(1, 2))
    return y


def race(fns, repeats, clock=time.perf_counter):
    """Best time of each function over ``repeats`` interleaved rounds (one warm-up each), so
    that load from other processes hits every column alike. ``clock=time.process_time``
    counts this process's CPU time (all its threads) instead of wall time, which other
    processes on a shared machine do not inflate."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t = clock()
            fn()
            best[i] = min(best[i], clock() - t)
    return best


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


def tensor_table(device, batch, repeats, sizes, channels, clock):
    """Generated 2→2 layer vs hand-written IGN layers and the dense reference."""
    timer = {"cpu": time.process_time, "wall": time.perf_counter}[clock]
    print(f"2→2 graph layer: device {device}, batch {batch}, float32, best of {repeats} interleaved rounds, "
          f"{torch.get_num_threads()} thread(s); {clock} time in ms (forward+backward)")
    print()
    print("| C→D | n | generated | IGN stacked (Maron et al.) | IGN reduce-mix | generated / stacked | "
          "generated / reduce-mix | dense tied | dense / generated |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in channels:
        module = types.ModuleType("generated_2to2")
        spec = LayerSpec(layer="linear", n=8, input_order=2, output_order=2, in_channels=c, out_channels=c,
                         with_bias=True)
        exec(compile(render_source(spec), "<generated 2→2>", "exec"), module.__dict__)  # noqa: S102
        for n in sizes:
            torch.manual_seed(0)
            layer = module.Layer(device=device)
            x = torch.randn(batch, n, n, c, device=device)
            w = torch.randn(15, c, c, device=device, requires_grad=True)
            b = torch.randn(2, c, device=device, requires_grad=True)
            with torch.no_grad():  # the hand-written layers and the generated one compute the same map
                ref = ign_reduced(x, w, b)
                assert torch.allclose(ign_stacked(x, w.permute(1, 0, 2), b), ref,
                                      rtol=1e-4, atol=1e-5 * ref.abs().max())
            t_gen, t_stack, t_red = race([
                fwd_bwd(layer, list(layer.parameters()), x),
                fwd_bwd(lambda v, w=w, b=b: ign_stacked(v, w.permute(1, 0, 2), b), [w, b], x),
                fwd_bwd(lambda v, w=w, b=b: ign_reduced(v, w, b), [w, b], x),
            ], repeats, timer)
            if n**4 * c * c <= TENSOR_DENSE_LIMIT:
                dense = module.Layer(forward_impl="dense", n=n, device=device)
                dense.load_state_dict(layer.state_dict())
                with torch.no_grad():
                    ref = layer(x)
                    assert torch.allclose(dense(x), ref, rtol=1e-4, atol=1e-5 * ref.abs().max())
                t_dense = race([fwd_bwd(dense, list(dense.parameters()), x)], 1, timer)[0]
                dense_cols = f"{t_dense * 1e3:.1f} | {t_dense / t_gen:.0f}x"
                del dense
            else:
                dense_cols = "not run (n⁴·C·D weights) | -"
            print(f"| {c}→{c} | {n} | {t_gen * 1e3:.2f} | {t_stack * 1e3:.2f} | {t_red * 1e3:.2f} | "
                  f"{t_gen / t_stack:.2f} | {t_gen / t_red:.2f} | {dense_cols} |")


def powersum_table(device, batch, repeats, sizes):
    print(f"device: {device}, batch {batch}, float32, best of {repeats}; times in ms (forward+backward)")
    print()
    print("| n | structured | hand-written | structured / hand | dense tied | dense / structured | "
          "unconstrained dense | µs per sample / n (structured) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        cls = invariant.compile(LayerSpec(layer="quadratic", n=n))
        layer = cls(device=device)
        dense = cls(device=device, forward_impl="dense")
        dense.load_state_dict(layer.state_dict())
        x = torch.randn(batch, n, device=device)
        theta = layer.theta.detach().clone().requires_grad_(True)
        assert torch.allclose(layer(x), hand_written(x, theta), rtol=1e-4, atol=1e-3 * n)
        t_struct = timed(fwd_bwd(layer, [layer.theta], x), repeats)
        t_hand = timed(fwd_bwd(lambda v, t=theta: hand_written(v, t), [theta], x), repeats)
        if n <= DENSE_LIMIT:
            t_dense = timed(fwd_bwd(dense, [dense.theta], x), max(1, repeats // 2))
            free = torch.randn(n, n, n, device=device, requires_grad=True)
            t_free = timed(fwd_bwd(lambda v, f=free: torch.einsum("kij,bi,bj->bk", f, v, v), [free], x),
                           max(1, repeats // 2))
            dense_cols = f"{t_dense * 1e3:.2f} | {t_dense / t_struct:.0f}x | {t_free * 1e3:.2f}"
        else:
            dense_cols = "not run (n³ weights) | - | not run (n³ weights)"
        per = t_struct / batch / n * 1e6
        print(f"| {n} | {t_struct * 1e3:.3f} | {t_hand * 1e3:.3f} | {t_struct / t_hand:.2f} | "
              f"{dense_cols} | {per:.4f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", default="all", choices=["all", "powersums", "tensor"], help="which table")
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 128, 256, 1024, 4096, 16384, 65536],
                        help="values of n (power-sum table)")
    parser.add_argument("--graph-sizes", type=int, nargs="+", default=[8, 32, 128], help="values of n (2→2 table)")
    parser.add_argument("--channels", type=int, nargs="+", default=[16, 64], help="C = D (2→2 table)")
    parser.add_argument("--batch", type=int, default=256, help="batch size (power-sum table)")
    parser.add_argument("--graph-batch", type=int, default=32, help="batch size (2→2 table)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (best is reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--clock", default="cpu", choices=["cpu", "wall"],
                        help="2→2 table: process CPU time (default; not inflated by other processes) or wall time")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="device")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    if args.table in ("all", "powersums"):
        powersum_table(device, args.batch, args.repeats, args.sizes)
    if args.table == "all":
        print()
    if args.table in ("all", "tensor"):
        tensor_table(device, args.graph_batch, args.repeats, args.graph_sizes, args.channels, args.clock)


if __name__ == "__main__":
    main()
