"""Numerical rank by a documented singular-value gap, and local dimensions of the variety.

The rank of a float64 Jacobian at a point pulled onto V to ~1e-14 is the number of singular
values above ``GAP_TOL`` × (largest one). The gap printed with it is the ratio
σ_r / σ_{r+1} of the last singular value kept to the first one dropped (∞ when none is
dropped); a rank is trusted when the gap is at least ``MIN_GAP``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Singular values below this fraction of the largest are taken as zero.
GAP_TOL = 1e-7
#: Random-start points are kept only when the dropped singular values are below this fraction.
SHARP_TOL = 1e-10
#: A rank is "clear" when σ_r / σ_{r+1} ≥ this.
MIN_GAP = 1e4


@dataclass(frozen=True)
class Rank:
    rank: int
    kept: float  # σ_r (smallest kept), 0 if rank 0
    dropped: float  # σ_{r+1} (largest dropped), 0 if none
    largest: float = 0.0  # σ_1

    @property
    def gap(self) -> float:
        if self.dropped == 0:
            return float("inf")
        return self.kept / self.dropped

    @property
    def clear(self) -> bool:
        return self.rank == 0 or self.gap >= MIN_GAP

    @property
    def sharp(self) -> bool:
        """Kept values ≥ GAP_TOL and dropped ones ≤ SHARP_TOL, relative to the largest."""
        return self.rank == 0 or self.dropped <= SHARP_TOL * self.largest

    def describe(self) -> str:
        if self.dropped == 0:
            return f"rank {self.rank} (σ_min kept {self.kept:.2e}, nothing dropped)"
        return (f"rank {self.rank} (σ_{self.rank} = {self.kept:.2e}, σ_{self.rank + 1} = {self.dropped:.2e}, "
                f"gap {self.gap:.1e})")


def numerical_rank(J: np.ndarray, tol: float = GAP_TOL, scale: float | None = None) -> Rank:
    """Rank of J by the gap rule (see the module docstring).

    ``scale`` (default σ_1 of J) is what "relative" means: pass the norm of the full map when
    J is its restriction to a subspace, so that a restriction that vanishes has rank 0.
    """
    if J.size == 0:
        return Rank(0, 0.0, 0.0)
    s = np.linalg.svd(J, compute_uv=False)
    if s[0] == 0:
        return Rank(0, 0.0, 0.0)
    ref = s[0] if scale is None else max(scale, s[0])
    r = int(np.sum(s > tol * ref))
    kept = float(s[r - 1]) if r else 0.0
    dropped = float(s[r]) if r < len(s) else 0.0
    return Rank(r, kept, dropped, float(ref))


def null_space(J: np.ndarray, rank: int) -> np.ndarray:
    """Orthonormal columns spanning the null space of J (given its numerical rank)."""
    _, _, vt = np.linalg.svd(J, full_matrices=True)
    return vt[rank:].T
