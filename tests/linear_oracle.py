"""Matrices of representation expressions built by the tests themselves (float64, by definition).

The dual is the inverse transpose, sums are block sums, tensor products Kronecker products, and
Sym^k/Alt^k the range of the (anti)symmetrizer on the k-th tensor power: nothing here calls
the library's constructions (:mod:`invariant.groups.linear`).
"""

import itertools
import math

import numpy as np

from invariant.groups.expressions import Defining, Det, Multiple, Power, Product, Sum, Tensor, Trivial


def kron_all(mats):
    out = np.ones((1, 1))
    for m in mats:
        out = np.kron(out, m)
    return out


def block_sum(mats):
    size = sum(m.shape[0] for m in mats)
    out = np.zeros((size, size))
    at = 0
    for m in mats:
        d = m.shape[0]
        out[at:at + d, at:at + d] = m
        at += d
    return out


def symmetrizer(d, k, alternating):
    """(1/k!) Σ_σ ε(σ) σ on (R^d)^{⊗k}, σ permuting the tensor factors."""
    size = d**k
    out = np.zeros((size, size))
    for sigma in itertools.permutations(range(k)):
        sign = round(np.linalg.det(np.eye(k)[list(sigma)])) if alternating else 1
        for idx in itertools.product(range(d), repeat=k):
            moved = tuple(idx[sigma[t]] for t in range(k))
            out[np.ravel_multi_index(moved, (d,) * k), np.ravel_multi_index(idx, (d,) * k)] += sign
    return out / math.factorial(k)


def rho(e, a):
    """The matrix of the representation e at the group element a (its defining matrix)."""
    if isinstance(e, Defining):
        return np.linalg.inv(a).T if e.dual else a
    if isinstance(e, Trivial):
        return np.ones((1, 1))
    if isinstance(e, Det):
        return np.array([[np.linalg.det(a)]])
    if isinstance(e, Tensor):
        return kron_all([a] * e.covariant + [np.linalg.inv(a).T] * e.contravariant)
    if isinstance(e, Sum):
        return block_sum([rho(t, a) for t in e.terms])
    if isinstance(e, Product):
        return kron_all([rho(t, a) for t in e.terms])
    if isinstance(e, Multiple):
        return block_sum([rho(e.base, a)] * e.copies)
    assert isinstance(e, Power)
    b = rho(e.base, a)
    if e.degree == 0:
        return np.ones((1, 1))
    proj = symmetrizer(b.shape[0], e.degree, e.alternating)
    values, vectors = np.linalg.eigh(proj)
    basis = vectors[:, values > 0.5]
    return basis.T @ kron_all([b] * e.degree) @ basis
