"""The polynomial equations of end-to-end equivariance, by the coefficient matching of ``derive``.

For each input generator g with output image (π, s) and each output k the network must
satisfy f_k(g·x) = s·f_{π⁻¹(k)}(x). The coefficients of f are polynomials in all the
weights (:func:`~invariant.networks.polynomial.symbolic_outputs`), so
:func:`invariant.solvers.matching.matched_differences` (the one implementation, shared with
``derive``, where the coefficients are linear forms) yields polynomial equations: "equalities
with polynomials on both sides" (note 001, section 4). Matching generators is enough
because the output rule is proved to be a homomorphism (:mod:`~invariant.networks.action`).

The equations are linear in the output coefficients c: E(w) = A·c(w). The same matching,
applied to the coordinates of c, gives the sparse integer matrix A that the numerical path
uses with the float64 coefficients, so both paths match one set of differences.

>>> from invariant.networks.spec import VarietySpec
>>> eqs = equations(VarietySpec.build(widths=(2, 1, 1), output="trivial"))
>>> [e for e in eqs.display()]
['W0[0,0,0]**2*W1[0,0,0] - W0[0,1,1]**2*W1[0,0,0]', 'W0[0,0,0]*W0[0,0,1]*W1[0,0,0] - W0[0,0,1]*W0[0,1,1]*W1[0,0,0]']
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from ..solvers.matching import matched_differences
from .action import network_action
from .polynomial import NumericNetwork, symbolic_outputs, weight_names
from .spec import VarietySpec

_VAR = re.compile(r"\bw(\d+)\b")


@dataclass(frozen=True)
class Equations:
    """The distinct equations (each scaled to leading coefficient 1) in Q[w0, w1, ...]."""

    spec: VarietySpec
    polys: tuple  # sympy PolyElements in the ring of symbolic_outputs

    def __len__(self) -> int:
        return len(self.polys)

    @property
    def degrees(self) -> dict[int, int]:
        """{total degree: number of equations}."""
        return dict(sorted(Counter(max(sum(m) for m in p.monoms()) for p in self.polys).items()))

    def display(self, limit: int | None = None) -> list[str]:
        """The equations with the weights' names (``W0[k,i,j]``), each meaning ``… = 0``."""
        names = weight_names(self.spec)
        out = []
        for p in self.polys[:limit]:
            out.append(_VAR.sub(lambda m: names[int(m.group(1))], str(p)))
        return out

    def singular(self) -> list[str]:
        """The equations in Singular's syntax over variables w0, w1, ... (``^`` for powers)."""
        return [str(p).replace("**", "^") for p in self.polys]


@lru_cache(maxsize=64)
def equations(spec: VarietySpec) -> Equations:
    """Expand the network exactly and match coefficients under the generators (deduplicated)."""
    _, outputs = symbolic_outputs(spec)
    pairs = network_action(spec).pairs
    seen: set = set()
    polys = []
    for diff in matched_differences(outputs, pairs):
        p = diff.monic()
        key = tuple(sorted(p.items()))
        if key not in seen:
            seen.add(key)
            polys.append(p)
    return Equations(spec, tuple(polys))


class _Coordinate(dict):
    """A formal linear combination of output coefficients (index → integer), for the matching."""

    def __sub__(self, other):
        out = _Coordinate(self)
        for i, v in other.items():
            out[i] = out.get(i, 0) - v
            if not out[i]:
                del out[i]
        return out

    def __mul__(self, s):
        return _Coordinate({i: s * v for i, v in self.items()})

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __bool__(self) -> bool:
        return any(self.values())


@lru_cache(maxsize=64)
def matching_matrix(spec: VarietySpec) -> sparse.csr_matrix:
    """A with E(w) = A·c(w): one row per distinct difference, columns = output coefficients.

    Columns follow :meth:`NumericNetwork.coefficients` (output-major over the output basis).
    """
    net = NumericNetwork(spec)
    basis = net.output_basis
    width = len(basis)
    outputs = [
        {e: _Coordinate({k * width + j: 1}) for j, e in enumerate(basis)} for k in range(spec.outputs)
    ]
    rows, seen = [], set()
    for diff in matched_differences(outputs, network_action(spec).pairs):
        items = sorted(diff.items())
        lead = items[0][1]
        key = tuple((i, v * (1 if lead > 0 else -1)) for i, v in items)
        if key not in seen:
            seen.add(key)
            rows.append(key)
    data, ri, ci = [], [], []
    for r, key in enumerate(rows):
        for i, v in key:
            ri.append(r)
            ci.append(i)
            data.append(float(v))
    return sparse.csr_matrix((data, (ri, ci)), shape=(len(rows), net.num_coefficients))


class NumericEquations:
    """E(w) = A·c(w) and its Jacobian A·∂c/∂w in float64."""

    def __init__(self, spec: VarietySpec):
        self.spec = spec
        self.net = NumericNetwork(spec)
        self.A = matching_matrix(spec)
        self.num_weights = self.net.num_weights

    def residual(self, w) -> np.ndarray:
        return self.A @ self.net.coefficients(w)

    def residual_and_jacobian(self, w):
        c, dc = self.net.coefficients_and_jacobian(w)
        return self.A @ c, np.asarray(self.A @ dc)

    def function_jacobian(self, w) -> np.ndarray:
        """∂c/∂w: the Jacobian of weights → output-polynomial coefficients."""
        return self.net.coefficients_and_jacobian(w)[1]
