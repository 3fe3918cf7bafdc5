"""The network as a polynomial: weights, names, the exact end-to-end polynomial and a fast evaluator.

Weights are keyed ``(l, family, k, idx)``: layer l (0-based), family ``"W"`` (quadratic,
idx = (i, j) with i ≤ j), ``"B"`` (linear, idx = (i,)) or ``"C"`` (bias, idx = ()), unit k
of layer l + 1. Within a layer the order is that of ``derive``'s quadratic layer (W k-major
with idx lexicographic, then B, then C), so a derived layer's basis applies unchanged.
Names: ``W0[k,i,j]``, ``B1[k,i]``, ``C0[k]``.

:func:`symbolic_outputs` expands the network once, exactly: every output as a sparse
dictionary {exponents in x: coefficient in Q[all weights]}, the input of the coefficient
matching shared with ``derive``. :class:`NumericNetwork` computes the same coefficients in
float64 with their Jacobian in the weights (forward mode), for the numerical algebraic
geometry; the two are tested against each other.

>>> from invariant.networks.spec import VarietySpec
>>> spec = VarietySpec.build(widths=(2, 1, 1), output="trivial")
>>> weight_names(spec)
('W0[0,0,0]', 'W0[0,0,1]', 'W0[0,1,1]', 'W1[0,0,0]')
>>> ring, outs = symbolic_outputs(spec)
>>> str(outs[0][(2, 2)])
'2*w0*w2*w3 + w1**2*w3'
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
from scipy import sparse

from .spec import VarietySpec, layer_degrees

WeightKey = tuple[int, str, int, tuple[int, ...]]


@lru_cache(maxsize=64)
def weight_keys(spec: VarietySpec) -> tuple[WeightKey, ...]:
    keys: list[WeightKey] = []
    for l in range(spec.num_layers):
        a, b = spec.widths[l], spec.widths[l + 1]
        pairs = list(itertools.combinations_with_replacement(range(a), 2))
        keys += [(l, "W", k, t) for k in range(b) for t in pairs]
        if spec.with_linear:
            keys += [(l, "B", k, (i,)) for k in range(b) for i in range(a)]
        if spec.with_bias:
            keys += [(l, "C", k, ()) for k in range(b)]
    return tuple(keys)


def weight_name(key: WeightKey) -> str:
    l, family, k, idx = key
    return f"{family}{l}[{','.join(map(str, (k, *idx)))}]"


@lru_cache(maxsize=64)
def weight_names(spec: VarietySpec) -> tuple[str, ...]:
    return tuple(weight_name(k) for k in weight_keys(spec))


@lru_cache(maxsize=64)
def layer_slices(spec: VarietySpec) -> tuple[slice, ...]:
    """The positions of each layer's weights in the weight vector."""
    out, start = [], 0
    for l in range(spec.num_layers):
        size = spec.layer_weights(l)
        out.append(slice(start, start + size))
        start += size
    return tuple(out)


@lru_cache(maxsize=64)
def symbolic_outputs(spec: VarietySpec):
    """(ring Q[w0..], [ {x-exponents: coefficient in the ring} per output ]), expanded exactly.

    The ring's generators ``w0, w1, ...`` are the weights in canonical order
    (:func:`weight_names` gives their display names).
    """
    from sympy import QQ
    from sympy.polys.rings import ring

    keys = weight_keys(spec)
    num = len(keys)
    full, *gens = ring([f"w{i}" for i in range(num)] + [f"x{i}" for i in range(spec.n)], QQ)
    ws, xs = gens[:num], gens[num:]
    units = list(xs)
    by_layer: dict[int, list[tuple[int, WeightKey]]] = {}
    for i, key in enumerate(keys):
        by_layer.setdefault(key[0], []).append((i, key))
    for l in range(spec.num_layers):
        nxt = [full.zero for _ in range(spec.widths[l + 1])]
        products: dict[tuple[int, int], object] = {}
        for i, (_, family, k, idx) in by_layer[l]:
            if family == "W":
                a, b = idx
                if (a, b) not in products:
                    products[(a, b)] = units[a] * units[b]
                nxt[k] += ws[i] * products[(a, b)]
            elif family == "B":
                nxt[k] += ws[i] * units[idx[0]]
            else:
                nxt[k] += ws[i]
        units = nxt
    wring, *_ = ring([f"w{i}" for i in range(num)], QQ)
    outputs = []
    for poly in units:
        split: dict[tuple[int, ...], dict[tuple[int, ...], object]] = {}
        for monom, coeff in poly.terms():
            split.setdefault(monom[num:], {})[monom[:num]] = coeff
        outputs.append({e: wring.from_dict(terms) for e, terms in split.items()})
    return wring, outputs


def monomial_basis(n: int, degrees) -> tuple[tuple[int, ...], ...]:
    """Exponent tuples of all monomials in n variables of the given degrees (degree, then lex descending)."""
    out = []
    for d in sorted(degrees):
        for combo in itertools.combinations_with_replacement(range(n), d):
            e = [0] * n
            for i in combo:
                e[i] += 1
            out.append(tuple(e))
    return tuple(out)


class NumericNetwork:
    """Float64 end-to-end coefficients c(w) and their Jacobian ∂c/∂w, layer by layer.

    Every unit of layer l is a dense vector over :attr:`bases` [l] (the monomials of the
    degrees it can have). Products of two units go through a sparse 0/1 multiplication table.
    """

    def __init__(self, spec: VarietySpec):
        self.spec = spec
        self.keys = weight_keys(spec)
        self.num_weights = len(self.keys)
        self.slices = layer_slices(spec)
        degs = layer_degrees(spec)
        self.bases = [monomial_basis(spec.n, d) for d in degs]
        self.index = [{e: i for i, e in enumerate(b)} for b in self.bases]
        self._tables = []
        for l in range(spec.num_layers):
            src, dst = self.bases[l], self.index[l + 1]
            m = len(src)
            rows, cols = [], []
            for a, ea in enumerate(src):
                for b, eb in enumerate(src):
                    rows.append(a * m + b)
                    cols.append(dst[tuple(x + y for x, y in zip(ea, eb))])
            table = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(m * m, len(dst)))
            embed = [dst[e] for e in src] if spec.with_linear else None
            const = dst.get((0,) * spec.n)
            self._tables.append((table, embed, const))

    @property
    def output_basis(self) -> tuple[tuple[int, ...], ...]:
        return self.bases[-1]

    @property
    def num_coefficients(self) -> int:
        return self.spec.outputs * len(self.bases[-1])

    def _layer_params(self, l: int, w: np.ndarray):
        a, b = self.spec.widths[l], self.spec.widths[l + 1]
        npairs = a * (a + 1) // 2
        seg = w[self.slices[l]]
        W = seg[: b * npairs].reshape(b, npairs)
        off = b * npairs
        B = seg[off : off + b * a].reshape(b, a) if self.spec.with_linear else None
        off += b * a if self.spec.with_linear else 0
        C = seg[off : off + b] if self.spec.with_bias else None
        return W, B, C

    def units(self, w: np.ndarray, jacobian: bool = False):
        """Coefficient matrices of every layer's units (list, l = 0..L), and Jacobians if asked.

        Layer l's matrix has shape (width_l, len(bases[l])); its Jacobian (width_l, len(bases[l]), P).
        """
        w = np.asarray(w, dtype=float)
        P = self.num_weights
        n = self.spec.n
        O = np.eye(n)  # x_i as degree-1 monomials (basis of layer 0 is x_0..x_{n-1})
        dO = np.zeros((n, n, P)) if jacobian else None
        values, jacs = [O], [dO]
        for l in range(self.spec.num_layers):
            a, b = self.spec.widths[l], self.spec.widths[l + 1]
            table, embed, const = self._tables[l]
            m, mout = O.shape[1], table.shape[1]
            I, J = np.triu_indices(a)
            outer = (O[I][:, :, None] * O[J][:, None, :]).reshape(len(I), m * m)
            prod = np.asarray(table.T @ outer.T).T  # (npairs, mout)
            W, B, C = self._layer_params(l, w)
            new = W @ prod
            if B is not None:
                lifted = np.zeros((a, mout))
                lifted[:, embed] = O
                new += B @ lifted
            if C is not None:
                new[:, const] += C
            if jacobian:
                dOuter = (dO[I][:, :, None, :] * O[J][:, None, :, None] + O[I][:, :, None, None] * dO[J][:, None, :, :])
                dOuter = dOuter.reshape(len(I), m * m, P).transpose(0, 2, 1).reshape(len(I) * P, m * m)
                dprod = np.asarray(table.T @ dOuter.T).T.reshape(len(I), P, mout)
                dnew = np.einsum("kp,pqc->kcq", W, dprod)
                start = self.slices[l].start
                npairs = len(I)
                for k in range(b):
                    dnew[k, :, start + k * npairs : start + (k + 1) * npairs] += prod.T
                off = start + b * npairs
                if B is not None:
                    dlift = np.zeros((a, mout, P))
                    dlift[:, embed, :] = dO
                    dnew += np.einsum("ki,icq->kcq", B, dlift)
                    for k in range(b):
                        dnew[k, :, off + k * a : off + (k + 1) * a] += lifted.T
                    off += b * a
                if C is not None:
                    for k in range(b):
                        dnew[k, const, off + k] += 1.0
                dO = dnew
            O = new
            values.append(O)
            jacs.append(dO)
        return (values, jacs) if jacobian else values

    def coefficients(self, w) -> np.ndarray:
        """c(w): the outputs' coefficients, output-major, as one vector."""
        return self.units(w)[-1].reshape(-1)

    def coefficients_and_jacobian(self, w):
        values, jacs = self.units(w, jacobian=True)
        return values[-1].reshape(-1), jacs[-1].reshape(-1, self.num_weights)

    def forward(self, w, X: np.ndarray) -> np.ndarray:
        """The network on data X of shape (batch, n), in float64 (for function-level checks)."""
        X = np.asarray(X, dtype=float)
        O = X
        for l in range(self.spec.num_layers):
            a = self.spec.widths[l]
            W, B, C = self._layer_params(l, np.asarray(w, dtype=float))
            I, J = np.triu_indices(a)
            new = (O[:, I] * O[:, J]) @ W.T
            if B is not None:
                new += O @ B.T
            if C is not None:
                new += C
            O = new
        return O
