"""The orbit path: weight classes without symbolic expansion, on integer arrays.

When every monomial has exactly one weight (triangular parametrization), each generator g
with output image (π, s) maps weights to weights,

    W[π(o), sort(g(idx))] = s · W[o, idx],

so the classes are the orbits of a signed permutation of the weight indices. numpy computes
every generator's image of every weight at once (positions by the layout's ranking formula,
vectorized), and :func:`~invariant.components.signed_components` finds the orbits. Memory is
a few integers per weight and generator; no Python object per weight.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> t = orbit_tying(lower(LayerSpec(layer="linear", n=3)))
>>> [t.class_size(c) for c in range(t.num_classes)]
[3, 6]
"""

from __future__ import annotations

import numpy as np

from .components import signed_components
from .errors import InvariantError
from .tying import ExplicitTying, explicit_tying


def _comb(x: np.ndarray, j: int) -> np.ndarray:
    """C(x, j) elementwise for j ≤ 4 (exact in int64 for the sizes the limits allow)."""
    out = np.ones_like(x)
    for i in range(j):
        out = out * (x - i) // (i + 1)
    return np.where(x >= j, out, 0)


def sorted_ranks(idx: np.ndarray, points: int) -> np.ndarray:
    """Vectorized rank of sorted rows among all sorted d-tuples (see :func:`invariant.layout._rank`)."""
    d = idx.shape[1]
    rank = np.zeros(len(idx), dtype=np.int64)
    low = np.zeros(len(idx), dtype=np.int64)
    for t in range(d):
        r = d - t - 1
        i = idx[:, t].astype(np.int64)
        rank += _comb(points - low + r, r + 1) - _comb(points - i + r, r + 1)
        low = i
    return rank


def sorted_tuples(points: int, degree: int) -> np.ndarray:
    """All sorted degree-tuples of 0..points-1 in lexicographic order, as an int array."""
    if degree == 0:
        return np.zeros((1, 0), dtype=np.int64)
    grids = np.meshgrid(*([np.arange(points)] * degree), indexing="ij")
    flat = np.stack([g.reshape(-1) for g in grids], axis=1)
    keep = np.all(flat[:, 1:] >= flat[:, :-1], axis=1) if degree > 1 else np.ones(len(flat), dtype=bool)
    return flat[keep]


def orbit_tying(problem) -> ExplicitTying:
    """Classes and zeros of a layer whose weights are permuted (with signs) by the group."""
    layout = problem.layout
    if any(f.ordered for f in layout.families):
        raise InvariantError("the orbit path needs the triangular parametrization (the full one has additive constraints)")
    m, points = layout.outputs, layout.points
    offsets = layout.offsets
    src, dst, sgn = [], [], []
    for f, fam in enumerate(layout.families):
        idx = sorted_tuples(points, fam.degree)
        t = len(idx)
        local = np.arange(t, dtype=np.int64)
        outs = np.arange(m, dtype=np.int64)
        for g, pi, s in problem.matching_pairs:
            g_arr = np.asarray(g, dtype=np.int64)
            moved = np.sort(g_arr[idx], axis=1) if fam.degree else idx
            pos = sorted_ranks(moved, points) if fam.degree else np.zeros(1, dtype=np.int64)
            pi_arr = np.asarray(pi, dtype=np.int64)
            src.append((offsets[f] + outs[:, None] * t + local[None, :]).reshape(-1))
            dst.append((offsets[f] + pi_arr[:, None] * t + pos[None, :]).reshape(-1))
            sgn.append(np.full(m * t, s, dtype=np.int8))
    if src:
        u, v, s = np.concatenate(src), np.concatenate(dst), np.concatenate(sgn)
    else:
        u = v = np.zeros(0, dtype=np.int64)
        s = np.zeros(0, dtype=np.int8)
    return explicit_tying(layout.num_weights, signed_components(layout.num_weights, u, v, s))
