"""The exact path: dim V and minimal primes over Q with Singular, using the hidden GL symmetry.

A Gröbner basis of the whole ideal is out of reach already for widths (3, 2, 1) (15 weights;
Singular does not finish in minutes). The hidden GL symmetry makes it small: stack the
first layer's weights as an h_1 × N matrix Q (one row per hidden unit). GL(h_1) acts on the
left, and every Q has exactly one reduced row echelon form, so V is the disjoint union of the
strata {Q of rank r with pivot columns p}; on each, GL × (a Schubert cell) → stratum has
fibres of dimension h_1(h_1 − r), hence

    dim V = max over cells of ( h_1 · r + dim V_cell ),

where V_cell is V with Q fixed to the cell's echelon form (pivots 1, zeros left of and under
them, zero rows below r) and every other weight free. Cells whose dimension bound
h_1·r + (#free variables) cannot beat the best so far are skipped, which is rigorous. The
components that meet the open cell (pivots in the first h_1 columns) are exactly the closures
of the minimal primes of that cell, each of dimension h_1² + dim P.

One-layer networks (no hidden layer) use the ideal directly.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

from . import cas
from .equations import Equations
from .polynomial import layer_slices

#: The exact path refuses networks with more weights than this (a cell can still time out).
MAX_EXACT_WEIGHTS = 80


@dataclass(frozen=True)
class ExactResult:
    dimension: int | None
    seconds: float
    note: str  # how it was computed, or why it stopped
    cells: int  # cells computed
    skipped: int  # cells skipped by the bound
    open_cell_primes: tuple[int, ...] | None  # dimensions (in V) of the components meeting the open cell
    primes: tuple = ()  # cas.Prime objects of the open cell, substituted coordinates


def _first_layer_rows(spec) -> list[list[int]]:
    """Weight indices of each hidden unit's row of Q (its W, B and C weights, in order)."""
    a, m = spec.widths[0], spec.widths[1]
    npairs = a * (a + 1) // 2
    start = layer_slices(spec)[0].start
    rows = [[start + k * npairs + j for j in range(npairs)] for k in range(m)]
    off = start + m * npairs
    if spec.with_linear:
        for k in range(m):
            rows[k] += [off + k * a + i for i in range(a)]
        off += m * a
    if spec.with_bias:
        for k in range(m):
            rows[k].append(off + k)
    return rows


def _cells(m: int, N: int):
    for r in range(min(m, N), -1, -1):
        for pivots in itertools.combinations(range(N), r):
            yield r, pivots


def _substitution(rows, r, pivots) -> tuple[dict[int, int], int]:
    """Fixed values of Q's entries in the cell, and the number of free entries."""
    fixed: dict[int, int] = {}
    free = 0
    for k, row in enumerate(rows):
        for j, var in enumerate(row):
            if k >= r:
                fixed[var] = 0
            elif j == pivots[k]:
                fixed[var] = 1
            elif j < pivots[k] or j in pivots:
                fixed[var] = 0
            else:
                free += 1
    return fixed, free


def exact_dimension(eqs: Equations, budget: float, primes: bool = True) -> ExactResult:
    """dim V over Q by the cell decomposition (see the module docstring), within ``budget`` seconds."""
    spec = eqs.spec
    P = spec.num_weights
    start = time.perf_counter()
    polys = eqs.singular()
    if P > MAX_EXACT_WEIGHTS:
        return ExactResult(None, 0.0, f"not attempted: {P} weights is beyond the exact limit {MAX_EXACT_WEIGHTS}",
                           0, 0, None)
    cas.require_singular()

    def left() -> float:
        return budget - (time.perf_counter() - start)

    try:
        if spec.num_layers == 1:
            dim, _ = cas.dimension(polys, P, left())
            found = None
            plist = ()
            note = "Gröbner basis of the whole ideal"
            if primes and left() > 0:
                try:
                    plist, _ = cas.minimal_primes(polys, P, left())
                    found = tuple(p.dimension for p in plist)
                except cas.CASTimeout:
                    note += "; minimal primes did not finish within the budget"
            return ExactResult(dim, time.perf_counter() - start, note, 1, 0, found, tuple(plist))
        rows = _first_layer_rows(spec)
        m, N = len(rows), len(rows[0])
        last = list(range(layer_slices(spec)[-1].start, P))
        # Two layers: E is linear in the last layer's weights v, so V is a cone in v; split
        # v = 0 (no equation left: the stratum is all of the remaining space) from v ≠ 0 with
        # its first nonzero entry scaled to 1 (one more dimension for the scale).
        cone = spec.num_layers == 2
        others = P - m * N - (len(last) if cone else 0)
        best, cells, skipped = -1, 0, 0
        order = sorted(_cells(m, N), key=lambda c: -(m * c[0] + _substitution(rows, *c)[1]))
        for r, pivots in order:
            fixed_q, free = _substitution(rows, r, pivots)
            if cone:
                best = max(best, m * r + free + others)  # the stratum v = 0
                pieces = [(1, {**fixed_q, **{last[j]: 0 for j in range(i)}, last[i]: 1}, len(last) - i - 1)
                          for i in range(len(last))]
            else:
                pieces = [(0, fixed_q, 0)]
            for extra, fixed, free_v in pieces:
                if m * r + free + others + free_v + extra <= best:
                    skipped += 1
                    continue
                if left() <= 0:
                    raise cas.CASTimeout("budget spent")
                sub = ", ".join(f"w{v}, {val}" for v, val in sorted(fixed.items()))
                script = "\n".join([
                    cas._ring(P), "option(redSB);", cas._ideal(polys),
                    f"ideal J = subst(I, {sub});" if fixed else "ideal J = I;",
                    'print("DIM=" + string(dim(std(J))));',
                ])
                out, _ = cas.run(script, left())
                full = cas.read_int(out, "DIM")
                if full >= 0:  # -1: the cell is empty
                    dim_cell = full - len(fixed)  # substituted variables count as free in the ambient ring
                    best = max(best, m * r + extra + dim_cell)
                cells += 1
        found = None
        plist: tuple = ()
        note = (f"GL(h_1) cell decomposition{' with the last layer as a cone' if cone else ''}: {cells} cells by "
                f"Gröbner bases, {skipped} skipped by the dimension bound")
        if primes and left() > 0 and m <= N:
            fixed, _ = _substitution(rows, m, tuple(range(m)))
            sub_polys = [_subst(p, fixed) for p in polys]
            try:
                got, _ = cas.minimal_primes(sub_polys, P, left())
                plist = tuple(got)
                found = tuple(sorted((m * m + p.dimension - len(fixed) for p in got), reverse=True))
            except cas.CASTimeout:
                note += "; minimal primes of the open cell did not finish within the budget"
        return ExactResult(best, time.perf_counter() - start, note, cells, skipped, found, plist)
    except cas.CASTimeout:
        elapsed = time.perf_counter() - start
        return ExactResult(None, elapsed, f"stopped: Singular did not finish within the {budget:g} s budget",
                           0, 0, None)


def _subst(poly: str, fixed: dict[int, int]) -> str:
    import re

    return re.sub(r"\bw(\d+)\b",
                  lambda mt: f"({fixed[int(mt.group(1))]})" if int(mt.group(1)) in fixed else mt.group(0), poly)
