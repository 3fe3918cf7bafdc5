"""Wall time of ``derive`` for the quadratic S_n layer: symbolic path, orbit path, CLI.

Baseline in the same process: literal symbolic matching (xreplace + expand of f(g·x) and
Poly of the difference per output), as a straightforward SymPy front end would do it.
Prints a markdown table; not a test.

    python bench/derive.py [--max-symbolic 12] [--max-orbit 64]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import sympy

from invariant import LayerSpec
from invariant.api import derive
from invariant.layers import polynomials, weight_keys, weight_names
from invariant.matching import constraints
from invariant.actions import generator_pairs


def fresh(fn, *args, **kw):
    """Time a call with every cache cleared first."""
    for cached in (derive, constraints, weight_keys, weight_names):
        cached.cache_clear()
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def literal_matching(spec: LayerSpec) -> int:
    """Baseline: substitute x -> g·x in the expression, expand, take coefficients."""
    xs, _, polys = polynomials(spec)
    exprs = [p.as_expr() for p in polys]
    count = 0
    for g, pi, s in generator_pairs(spec):
        sub = {xs[i]: xs[j] for j, i in enumerate(g)}  # x_i -> x_{g^-1(i)}: x_{g(j)} -> x_j
        for k in range(spec.outputs):
            lhs = sympy.expand(exprs[k].xreplace(sub))
            rhs = s * exprs[pi.index(k)]
            count += len(sympy.Poly(lhs - rhs, *xs).coeffs())
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-symbolic", type=int, default=12, help="largest n for the symbolic path")
    parser.add_argument("--max-orbit", type=int, default=64, help="largest n for the orbit path")
    parser.add_argument("--max-baseline", type=int, default=8, help="largest n for the literal baseline")
    args = parser.parse_args()

    print("| n | weights | symbolic derive (s) | literal baseline (s) | baseline / symbolic | orbit derive (s) | classes | dim check |")
    print("|---:|---:|---:|---:|---:|---:|---:|:---|")
    sizes = [n for n in (4, 6, 8, 10, 12, 16, 24, 32, 48, 64) if n <= max(args.max_symbolic, args.max_orbit)]
    for n in sizes:
        spec = LayerSpec.build(layer="quadratic", n=n)
        sym = base = None
        if n <= args.max_symbolic:
            sym, sol = fresh(derive, spec, method="symbolic")
        if n <= args.max_baseline:
            base, _ = fresh(literal_matching, spec)
        orb, sol = fresh(derive, spec, method="orbit")
        ratio = f"{base / sym:.1f}x" if sym and base else "-"
        fmt = lambda t: f"{t:.3f}" if t is not None else "-"  # noqa: E731
        print(f"| {n} | {sol.num_weights} | {fmt(sym)} | {fmt(base)} | {ratio} | {orb:.3f} | "
              f"{len(sol.tying.classes)} | {'agree' if sol.dimension.agree else 'DISAGREE'} |")

    print()
    for n, extra in ((8, []), (64, [])):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "invariant.cli", "derive", "--layer", "quadratic", "--n", str(n), *extra],
                       check=True, capture_output=True)
        print(f"`invariant derive --layer quadratic --n {n}` (interpreter start included): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
