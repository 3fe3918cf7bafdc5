"""Brute-force orbits of index tuples under the whole of S_n (n <= 5): the oracle for the
pattern classes of tensor layers, and the triangular-weight function they define (C = 1)."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from invariant.solvers.partitions import pattern_of as restricted_growth
from invariant.solvers.patterns import ClassPattern


def _orbits(tuples: np.ndarray, n: int, canon):
    """Connected components of tuple -> canon(g·tuple) over every g in S_n."""
    index = {tuple(t): i for i, t in enumerate(tuples)}
    rows, cols = [], []
    for g in itertools.permutations(range(n)):
        g = np.array(g)
        for i, t in enumerate(tuples):
            rows.append(i)
            cols.append(index[canon(tuple(g[t]))])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(tuples),) * 2)
    return connected_components(graph, directed=False)[1]


def family_tuples(n, l, k, d):
    """Index tuples (output slots, then d input factors of k slots); quadratic keeps b <= b'."""
    out = []
    for t in itertools.product(range(n), repeat=l + d * k):
        if d == 2 and t[l: l + k] > t[l + k:]:
            continue
        out.append(t)
    return np.array(out, dtype=int).reshape(len(out), l + d * k)


def brute_patterns(n, k, l, degree, with_linear=False, with_bias=False, outputs=None):
    """Class patterns by orbits over all of S_n, in a fixed order; ``outputs`` = M trivial outputs
    (then l is 0 and each output index has its own classes). Also returns each class's member tuples."""
    fams = [("W", degree)] + ([("B", 1)] if with_linear else []) + ([("C", 0)] if with_bias else [])
    patterns, members = [], []
    for f, (name, d) in enumerate(fams):
        tuples = family_tuples(n, l, k, d)

        def canon(t, d=d):
            if d == 2 and t[l: l + k] > t[l + k:]:
                return t[:l] + t[l + k:] + t[l: l + k]
            return t

        labels = _orbits(tuples, n, canon) if len(tuples[0]) else np.zeros(1, dtype=int)
        for out in range(outputs or 1):
            for c in sorted(set(labels), key=lambda c: tuple(tuples[labels == c][0])):
                group = [tuple(t) for t in tuples[labels == c]]
                blocks = restricted_growth(group[0])
                patterns.append(ClassPattern(name, f, None if outputs is None else out, blocks, (blocks,),
                                             len(group), "", 0))
                members.append(group)
    return tuple(patterns), members


def brute_forward(x, theta, members, patterns, n, l, k, degree, outputs=None):
    """y_a = Σ_{monomials at a} θ_class x_b (x_b') with one weight per unordered monomial (C = D = 1).

    x: (B, n^k) float64 numpy; theta: one float per class; returns (B, n^l) or (B, M)."""
    batch = x.shape[0]
    shape = (batch,) + ((n,) * l if outputs is None else (outputs,))
    y = np.zeros(shape)
    for c, (group, pat) in enumerate(zip(members, patterns)):
        d = {"W": degree, "B": 1, "C": 0}[pat.family]
        out_slots = l if outputs is None else 0
        for t in group:
            a, rest = t[:out_slots], t[out_slots:]
            term = np.ones(batch)
            for f in range(d):
                term = term * x[(slice(None),) + tuple(rest[f * k:(f + 1) * k])]
            where = (slice(None),) + (a if outputs is None else (pat.output,))
            y[where] += theta[c] * term
    return y
