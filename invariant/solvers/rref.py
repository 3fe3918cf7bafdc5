"""Solve the constraint rows exactly: equality classes first, the rest by rational RREF.

Stage 1. Rows with one term force a zero; rows a·W_u + b·W_v = 0 with b = ±a tie W_v = ∓W_u.
These are signed equalities; :func:`~invariant.solvers.components.signed_components` turns them into
classes ("colors"), zero where a cycle says W = -W or a member is forced to zero.

Stage 2. Every other row is rewritten on the class representatives and reduced exactly over
Q (sparse :class:`~sympy.polys.matrices.DomainMatrix`, RREF). Pivot columns are dependent,
the others free; columns are ordered last-class-first so that later classes are written
through earlier ones. A class whose combination is empty is zero.

>>> t, _ = solve_rows(4, ({0: 1, 1: -1}, {2: 1, 3: 1}, {0: 1, 2: -1, 3: -2}))
>>> t.labels.tolist(), t.signs.tolist(), t.free
([0, 0, 1, 1], [1, 1, 1, -1], (0,))
>>> t.dependent
((1, ((0, Fraction(-1, 1)),)),)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .components import signed_components
from .tying import ExplicitTying

Edges = tuple[tuple[int, int, int], ...]  # (u, v, sign): W_v = sign · W_u


def split_rows(rows) -> tuple[Edges, set[int], list]:
    """Signed equalities, weights forced to zero, and the remaining (additive) rows."""
    edges: list[tuple[int, int, int]] = []
    zeros: set[int] = set()
    rest = []
    for row in rows:
        items = sorted(row.items())
        if len(items) == 1:
            zeros.add(items[0][0])
        elif len(items) == 2 and items[1][1] in (items[0][1], -items[0][1]):
            (u, a), (v, b) = items
            edges.append((u, v, -1 if b == a else 1))  # a W_u + b W_v = 0  =>  W_v = -(a/b) W_u
        else:
            rest.append(row)
    return tuple(edges), zeros, rest


def solve_rows(num_weights: int, rows) -> tuple[ExplicitTying, Edges]:
    """Solve rows {weight index: coefficient} (each meaning Σ c·W = 0) exactly.

    Returns the tying and the equality edges it was built from (for graph reports).
    """
    edges, zeros, rest = split_rows(rows)
    u = [e[0] for e in edges]
    v = [e[1] for e in edges]
    s = [e[2] for e in edges]
    comps = signed_components(num_weights, u, v, s, sorted(zeros))
    labels, signs, count = comps.label, comps.sign, comps.num_classes
    free, dependent = _reduce(count, labels, signs, rest)
    vanished = {c for c, combo in dependent if not combo}
    if vanished:
        keep = np.array([c not in vanished for c in range(count)])
        renumber = np.cumsum(keep) - 1
        labels = np.where((labels >= 0) & keep[labels], renumber[labels], -1)
        signs = np.where(labels >= 0, signs, 1).astype(np.int8)
        free = tuple(int(renumber[c]) for c in free)
        dependent = tuple(
            (int(renumber[c]), tuple((int(renumber[f]), a) for f, a in combo)) for c, combo in dependent if combo
        )
        count = int(keep.sum())
    tying = ExplicitTying(labels=labels, signs=signs, count=count, free=tuple(free), dependent=tuple(dependent))
    return tying, edges


def _reduce(num_classes: int, labels, signs, rows):
    """Exact RREF of the additive rows on class representatives: (free ids, dependent)."""
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    def col(c: int) -> int:  # later classes pivot first; col is its own inverse
        return num_classes - 1 - c

    sparse: dict[int, dict[int, object]] = {}
    for row in rows:
        line: dict[int, object] = {}
        for w, coeff in row.items():
            c = int(labels[w])
            if c >= 0:
                line[col(c)] = line.get(col(c), QQ.zero) + QQ.convert(coeff) * int(signs[w])
        line = {j: x for j, x in line.items() if x}
        if line:
            sparse[len(sparse)] = line
    if not sparse:
        return tuple(range(num_classes)), ()
    reduced, pivots = DomainMatrix(sparse, (len(sparse), num_classes), QQ).rref()
    by_row: dict[int, list] = {}
    for (i, j), x in reduced.to_sparse().rep.to_dok().items():
        if j not in pivots:
            by_row.setdefault(i, []).append((col(j), Fraction(int(-x.numerator), int(x.denominator))))
    free = tuple(sorted(col(j) for j in set(range(num_classes)) - set(pivots)))
    dependent = tuple(sorted((col(p), tuple(sorted(by_row.get(i, [])))) for i, p in enumerate(pivots)))
    return free, dependent
