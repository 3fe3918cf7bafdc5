"""Signed connected components: the one routine that turns equalities W_v = ±W_u into classes.

Nodes are weights; an edge (u, v, s) says W_v = s·W_u. The classes are the connected
components; a component in which some cycle multiplies to -1 (W = -W), or that touches a
weight forced to zero, is zero. The components of the signed graph are read off its double
cover (a node w⁺ and w⁻ per weight; an edge joins u⁺ to v^s): a class is zero exactly when w⁺
and w⁻ fall in one component. numpy builds the cover, scipy finds its components; with no
negative edge the cover is skipped. Both the symbolic path (equality rows) and the orbit path
(generator images) call this.

>>> c = signed_components(5, [0, 2, 3], [1, 3, 4], [1, -1, -1], zeros=[])
>>> c.label.tolist(), c.sign.tolist(), c.num_classes
([0, 0, 1, 1, 1], [1, 1, 1, -1, 1], 2)
>>> signed_components(3, [0, 1, 2], [1, 2, 0], [1, 1, -1]).label.tolist()   # W = -W: zero
[-1, -1, -1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SignedComponents:
    """Per node: ``label`` (class id, -1 if forced to zero) and ``sign`` relative to the class's
    smallest node; classes are numbered by their smallest node."""

    label: np.ndarray
    sign: np.ndarray
    num_classes: int


def signed_components(num_nodes: int, u, v, s, zeros=()) -> SignedComponents:
    """Classes of the relations W_v = s·W_u (and W_z = 0 for z in ``zeros``)."""
    from scipy.sparse import coo_matrix

    index = _index_type(num_nodes)
    u = np.asarray(u, dtype=index)
    v = np.asarray(v, dtype=index)
    s = np.asarray(s, dtype=np.int8)
    signed = bool((s < 0).any())
    size = 2 * num_nodes if signed else num_nodes
    if signed:
        flip = np.where(s > 0, 0, num_nodes).astype(index)
        rows = np.concatenate([u, u + num_nodes])
        cols = np.concatenate([v + flip, v + num_nodes - flip])
    else:
        rows, cols = u, v
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size)).tocsr()
    return _classes(graph, num_nodes, signed, zeros)


def signed_orbits(targets, signs) -> SignedComponents:
    """Orbits of signed permutations: ``targets[j][w]`` is where generator j sends node w, with
    sign ``signs[j]`` (W_{targets[j][w]} = signs[j]·W_w). Each node has one edge per generator,
    so the graph is built directly in compressed-row form (no edge list, no sort)."""
    from scipy.sparse import csr_matrix

    targets = np.asarray(targets)
    gens, num_nodes = targets.shape if targets.size else (0, targets.shape[-1] if targets.ndim == 2 else 0)
    signs = np.asarray(signs, dtype=np.int8).reshape(-1)
    signed = bool((signs < 0).any())
    index = _index_type(num_nodes)
    size = 2 * num_nodes if signed else num_nodes
    indices = np.empty((size, gens), dtype=index)
    for j in range(gens):
        if signed and signs[j] < 0:
            indices[:num_nodes, j] = targets[j] + num_nodes
            indices[num_nodes:, j] = targets[j]
        else:
            indices[:num_nodes, j] = targets[j]
            if signed:
                indices[num_nodes:, j] = targets[j] + num_nodes
    if gens:
        indptr = np.arange(0, size * gens + 1, gens, dtype=np.int64 if size * gens >= 2**31 else index)
    else:
        indptr = np.zeros(size + 1, dtype=index)
    graph = csr_matrix((np.ones(size * gens, dtype=np.int8), indices.reshape(-1), indptr), shape=(size, size))
    return _classes(graph, num_nodes, signed, ())


def _index_type(num_nodes: int):
    return np.int32 if 2 * num_nodes < 2**31 else np.int64


def _classes(graph, num_nodes: int, signed: bool, zeros) -> SignedComponents:
    """Classes, zeros and signs from the components of the graph (or of its double cover)."""
    from scipy.sparse.csgraph import connected_components

    _, comp = connected_components(graph, directed=True, connection="weak")
    plus = comp[:num_nodes]
    zeros = np.asarray(zeros, dtype=np.int64)
    if not signed and not zeros.size and _numbered_by_first_node(plus):
        # Components already numbered by their smallest node: no renumbering needed.
        return SignedComponents(label=plus.astype(np.int64), sign=np.ones(num_nodes, dtype=np.int8),
                                num_classes=int(plus.max()) + 1 if num_nodes else 0)
    if signed:
        minus = comp[num_nodes:]
        conflict = plus == minus
        key = np.minimum(plus, minus)
    else:
        conflict = np.zeros(num_nodes, dtype=bool)
        key = plus
    zero_keys = np.zeros(key.max() + 1 if num_nodes else 0, dtype=bool)
    zero_keys[key[conflict]] = True
    if zeros.size:
        zero_keys[key[zeros]] = True
    dead = zero_keys[key]
    # Number the live classes by their smallest node (the first occurrence in node order).
    uniq, first_at = np.unique(key, return_index=True)
    first = np.full(zero_keys.size, num_nodes, dtype=np.int64)
    first[uniq] = first_at
    live_keys = np.flatnonzero(~zero_keys & (first < num_nodes))
    order = np.argsort(first[live_keys], kind="stable")
    renumber = np.full(zero_keys.size, -1, dtype=np.int64)
    renumber[live_keys[order]] = np.arange(len(live_keys))
    label = np.where(dead, -1, renumber[key])
    rep = first[key]
    sign = np.where(plus == plus[rep], 1, -1).astype(np.int8)
    sign[dead] = 1
    return SignedComponents(label=label, sign=sign, num_classes=len(live_keys))


def _numbered_by_first_node(label) -> bool:
    """Whether labels appear in node order as 0, 1, 2, ... (each new label one above the last)."""
    if not len(label):
        return True
    seen = np.maximum.accumulate(label)
    return label[0] == 0 and bool(np.all(np.diff(seen) <= 1))
