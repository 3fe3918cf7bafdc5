"""Latent actions: solve h(g·x) = R(g) h(x) for a hidden layer's map at a point, and name R.

A hidden layer's units are polynomials in x; stack their coefficients as the rows of H
(width × monomials). Moving x by g permutes the monomials, H ↦ H_g, and the layer is
equivariant for a linear action R exactly when H_g = R(g) H. When H has full row rank the
solution R(g) = H_g H⁺ is unique, so g ↦ R(g) is automatically a homomorphism, and the
least-squares residual ‖H_g − R(g) H‖ / ‖H‖ says whether any linear action works.

The character χ_R(g) = tr R(g) on class representatives decomposes, for S_n, into
irreducibles by ⟨χ_R, χ_λ⟩ with χ_λ from the Murnaghan–Nakayama rule.

>>> murnaghan_nakayama((2, 1), (1, 1, 1)), murnaghan_nakayama((2, 1), (3,)), murnaghan_nakayama((1, 1, 1), (2, 1))
(2, -1, -1)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..groups.permutations import Perm, cycle_type

#: A hidden layer counts as equivariant for the solved R when the relative residual is below this.
LATENT_TOL = 1e-7
#: Singular values below this fraction of the largest count as zero (rank of H, dead directions).
RANK_TOL = 1e-8


def moved_columns(basis, g: Perm) -> np.ndarray:
    """perm with H_g[:, perm[j]] = H[:, j]: the monomial e goes to e∘g under x ↦ g·x."""
    index = {e: i for i, e in enumerate(basis)}
    n = len(g)
    return np.array([index[tuple(e[g[j]] for j in range(n))] for e in basis])


def moved(H: np.ndarray, basis, g: Perm) -> np.ndarray:
    out = np.empty_like(H)
    out[:, moved_columns(basis, g)] = H
    return out


def solve_action(H: np.ndarray, basis, g: Perm) -> tuple[np.ndarray, float]:
    """The least-squares R with H_g ≈ R H, and the relative residual."""
    Hg = moved(H, basis, g)
    R = np.linalg.lstsq(H.T, Hg.T, rcond=None)[0].T
    scale = max(np.linalg.norm(H), 1e-300)
    return R, float(np.linalg.norm(Hg - R @ H) / scale)


def numerical_rank(M: np.ndarray, tol: float = RANK_TOL) -> int:
    if M.size == 0:
        return 0
    s = np.linalg.svd(M, compute_uv=False)
    return int(np.sum(s > tol * max(s[0], 1e-300))) if s.size and s[0] > 0 else 0


@dataclass(frozen=True)
class LatentLayer:
    """What one hidden layer does at a point."""

    layer: int  # 1..L-1
    width: int
    rank: int  # rank of H (independent units)
    effective_width: int  # width minus dependent units and directions the next layer ignores
    residual: float  # max over generators of ‖H_g − R H‖/‖H‖
    character: tuple[int, ...] | None  # χ_R on the class representatives, when equivariant
    decomposition: dict[str, int] | None  # S_n: {partition: multiplicity}
    stabilizer_order: int | None = None  # order of {g : the layer is equivariant for g}, when not for all of G

    @property
    def equivariant(self) -> bool:
        return self.residual <= LATENT_TOL


def consumed_kernel(net, w, l: int) -> int:
    """Dimension of the directions of hidden layer l that layer l (the next one) ignores.

    A direction u is ignored when every next-layer quadratic form S_k has S_k u = 0 and every
    linear row has B_k·u = 0.
    """
    W, B, _ = net._layer_params(l, np.asarray(w, dtype=float))
    a = net.spec.widths[l]
    I, J = np.triu_indices(a)
    blocks = []
    for k in range(W.shape[0]):
        S = np.zeros((a, a))
        S[I, J] += W[k] / 2
        S[J, I] += W[k] / 2
        blocks.append(S)
    if B is not None:
        blocks.append(B)
    M = np.vstack(blocks)
    return a - numerical_rank(M)


def analyse(net, w, action, with_decomposition: bool = True) -> list[LatentLayer]:
    """Solve for the latent action of every hidden layer at the point w."""
    values = net.units(w)
    out = []
    spec = net.spec
    # With linear and bias terms in every layer a hidden translation h ↦ h + b is undone by the
    # next layer too, so latent actions may be affine: h(g·x) = R(g) h(x) + t(g). Solving on the
    # non-constant coefficients finds R (the constants give t); χ is that of the linear part R.
    affine = spec.with_linear and spec.with_bias
    for l in range(1, spec.num_layers):
        H_all = values[l]
        basis_all = net.bases[l]
        nonconstant = [j for j, e in enumerate(basis_all) if sum(e) > 0]
        if affine:
            H, basis = H_all[:, nonconstant], tuple(basis_all[j] for j in nonconstant)
        else:
            H, basis = H_all, basis_all
        rank = numerical_rank(H)
        dead = consumed_kernel(net, w, l)
        residual = max((solve_action(H, basis, g)[1] for g, _, _ in action.pairs), default=0.0)
        if rank < H.shape[0]:
            residual = float("nan")  # R is not determined by a rank-deficient H
        character = decomposition = None
        # Units that differ only by constants are one unit plus a bias: count the non-constant part.
        rank_nc = numerical_rank(H_all[:, nonconstant]) if len(nonconstant) < len(basis_all) else numerical_rank(H_all)
        effective = min(rank_nc, H.shape[0] - dead)
        if rank == H.shape[0] and residual <= LATENT_TOL:
            character = tuple(_trace(H, basis, rep) for rep, _ in action.classes)
            if with_decomposition and action.family == "symmetric":
                decomposition = decompose_symmetric(spec.n, action.classes, character)
        stabilizer = None
        if rank == H.shape[0] and residual > LATENT_TOL:
            stabilizer = _stabilizer_order(H, basis, spec.n, action)
        out.append(LatentLayer(l, H.shape[0], rank, effective, residual, character, decomposition, stabilizer))
    return out


#: Stabilizers are computed by listing G up to this order.
MAX_STABILIZER_ORDER = 5_040


def _stabilizer_order(H, basis, n, action) -> int | None:
    """|{g ∈ G : H_g = R H for some R}|: the subgroup for which the hidden layer is equivariant."""
    if action.order > MAX_STABILIZER_ORDER:
        return None
    from ..groups.permutation_groups import sympy_group

    group = sympy_group(n, tuple(g for g, _, _ in action.pairs))
    return sum(1 for p in group.generate() if solve_action(H, basis, tuple(p.array_form))[1] <= LATENT_TOL)


def _trace(H, basis, g) -> int:
    R, _ = solve_action(H, basis, g)
    t = float(np.trace(R))
    if abs(t - round(t)) > 1e-6:
        raise AssertionError(f"non-integral character value {t}")
    return round(t)


@lru_cache(maxsize=64)
def partitions_of(n: int) -> tuple[tuple[int, ...], ...]:
    """Partitions of n as shapes, largest first: (n), (n-1, 1), ... (the compiler's
    :func:`~invariant.groups.permutation_groups.integer_partitions`, written out).

    >>> partitions_of(3)
    ((3,), (2, 1), (1, 1, 1))
    """
    from ..groups.permutation_groups import integer_partitions

    return tuple(tuple(part for part, mult in sorted(p.items(), reverse=True) for _ in range(mult))
                 for p in integer_partitions(n))


@lru_cache(maxsize=64)
def murnaghan_nakayama(shape: tuple[int, ...], cycles: tuple[int, ...]) -> int:
    """χ_λ at a permutation of cycle type μ, by removing border strips (Murnaghan–Nakayama)."""
    if not cycles:
        return 1 if sum(shape) == 0 else 0
    r, rest = cycles[0], cycles[1:]
    # Beta-set (first-column hook lengths) representation: a border strip of size r is
    # removing r from one beta number when the result is not already present.
    k = len(shape)
    beta = [shape[i] + (k - 1 - i) for i in range(k)]
    total = 0
    present = set(beta)
    for i, b in enumerate(beta):
        nb = b - r
        if nb < 0 or nb in present:
            continue
        # sign = (-1)^(number of beta numbers strictly between nb and b) = height of the strip
        height = sum(1 for c in beta if nb < c < b)
        new = sorted([c for j, c in enumerate(beta) if j != i] + [nb], reverse=True)
        kk = len(new)
        lam = tuple(x for x in (new[j] - (kk - 1 - j) for j in range(kk)) if x > 0)
        total += (-1) ** height * murnaghan_nakayama(lam, rest)
    return total


def decompose_symmetric(n: int, classes, character) -> dict[str, int]:
    """Multiplicities ⟨χ, χ_λ⟩ of the irreducibles of S_n (labelled by partitions, e.g. "[2,1]")."""
    order = sum(m for _, m in classes)
    out = {}
    for lam in partitions_of(n):
        total = Fraction(0)
        for (rep, mult), chi in zip(classes, character):
            total += mult * chi * murnaghan_nakayama(lam, cycle_type(rep))
        value = total / order
        if value.denominator != 1:
            raise AssertionError(f"non-integral multiplicity {value} for {lam}")
        if value:
            out["[" + ",".join(map(str, lam)) + "]"] = int(value)
    return out
