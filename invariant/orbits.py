"""The combinatorial orbit path: weight classes without symbolic expansion.

When every monomial has exactly one weight (triangular quadratic, linear and bias terms),
each generator g with output image (π, s) maps weights to weights,

    W[π(k), g(idx)] = s · W[k, idx],

so the classes are the orbits of a signed permutation of the weight indices. They are the
connected components of a double cover (node w⁺ and w⁻ per weight): a class is zero when
w⁺ and w⁻ fall in one component. numpy builds the edges, scipy finds the components.

>>> from invariant.spec import LayerSpec
>>> t = orbit_tying(LayerSpec.build(layer="linear", n=3))
>>> [len(c) for c in t.classes]
[3, 6]
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .actions import generator_pairs
from .errors import InvariantError
from .layers import index_tuples
from .solve import Tying
from .spec import LayerSpec


def _blocks(spec: LayerSpec):
    """(offset, index tuples as an array, position lookup) for each weight family."""
    n, m = spec.n, spec.outputs
    blocks = []
    offset = 0
    families = [spec.degree] + ([1] if spec.with_linear else []) + ([0] if spec.with_bias else [])
    for degree in families:
        tuples = index_tuples(n, degree, False)
        idx = np.array(tuples, dtype=np.int64).reshape(len(tuples), degree)
        lookup = np.zeros((n,) * degree, dtype=np.int64)
        if degree:
            lookup[tuple(idx.T)] = np.arange(len(idx))
        blocks.append((offset, idx, lookup))
        offset += m * len(idx)
    return blocks, offset


def orbit_tying(spec: LayerSpec) -> Tying:
    """Classes and zeros of a layer whose weights are permuted (with signs) by the group."""
    if spec.param == "full":
        raise InvariantError("the orbit path needs --param triangular (the full parametrization has additive constraints)")
    blocks, total = _blocks(spec)
    m = spec.outputs
    src, dst, sgn = [], [], []
    for g, pi, s in generator_pairs(spec):
        g_arr, pi_arr = np.asarray(g), np.asarray(pi)
        for offset, idx, lookup in blocks:
            t = len(idx)
            moved = np.sort(g_arr[idx], axis=1) if idx.shape[1] else idx
            pos = lookup[tuple(moved.T)] if idx.shape[1] else np.zeros(t, dtype=np.int64)
            k = np.repeat(np.arange(m), t)
            src.append(offset + k * t + np.tile(np.arange(t), m))
            dst.append(offset + pi_arr[k] * t + np.tile(pos, m))
            sgn.append(np.full(m * t, s))
    if src:
        u, v, s = np.concatenate(src), np.concatenate(dst), np.concatenate(sgn)
    else:
        u = v = s = np.zeros(0, dtype=np.int64)
    flip = np.where(s > 0, 0, total)
    rows = np.concatenate([u, u + total])
    cols = np.concatenate([v + flip, v + total - flip])
    cover = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(2 * total, 2 * total))
    _, comp = connected_components(cover, directed=False)
    plus, minus = comp[:total], comp[total:]
    zero = plus == minus
    label = np.minimum(plus, minus)
    weights = np.arange(total)
    live = weights[~zero]
    order = live[np.argsort(label[live], kind="stable")]
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    groups = sorted(np.split(order, cuts), key=lambda a: a[0]) if len(order) else []
    classes = tuple(tuple(int(w) for w in grp) for grp in groups)
    signs = tuple(tuple(1 if plus[w] == plus[grp[0]] else -1 for w in grp) for grp in groups)
    return Tying(classes, signs, tuple(int(w) for w in weights[zero]), tuple(range(len(classes))), ())
