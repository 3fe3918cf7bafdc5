"""The layer as a polynomial: its weights, their names, and the monomial each multiplies.

A weight is a key ``(family, k, idx)``: family ``"W"`` for the main term, ``"B"`` for the
linear term and ``"C"`` for the bias; k the output; idx the input indices. Canonical order
is W (k-major, idx lexicographic), then B, then C. The layer is

    y_k = Σ_idx W[k, idx] x_idx + Σ_i B[k,i] x_i + C[k],

where x_idx is the product of the inputs in idx; for ``param="triangular"`` idx runs over
sorted tuples (i ≤ j, or i ≤ j ≤ l for cubic layers), for ``param="full"`` over all tuples.

>>> from invariant.spec import LayerSpec
>>> [weight_name(w) for w in weight_keys(LayerSpec.build(layer="quadratic", n=2))]
['W[0,0,0]', 'W[0,0,1]', 'W[0,1,1]', 'W[1,0,0]', 'W[1,0,1]', 'W[1,1,1]']
"""

from __future__ import annotations

import itertools
from functools import cache

import sympy

from .spec import LayerSpec

WeightKey = tuple[str, int, tuple[int, ...]]


def index_tuples(n: int, degree: int, full: bool) -> list[tuple[int, ...]]:
    """The input-index tuples of one output's degree-``degree`` weights."""
    if full:
        return list(itertools.product(range(n), repeat=degree))
    return list(itertools.combinations_with_replacement(range(n), degree))


@cache
def weight_keys(spec: LayerSpec) -> tuple[WeightKey, ...]:
    """Every weight of the layer, in canonical order."""
    keys: list[WeightKey] = []
    idx = index_tuples(spec.n, spec.degree, spec.param == "full")
    keys += [("W", k, t) for k in range(spec.outputs) for t in idx]
    if spec.with_linear:
        keys += [("B", k, (i,)) for k in range(spec.outputs) for i in range(spec.n)]
    if spec.with_bias:
        keys += [("C", k, ()) for k in range(spec.outputs)]
    return tuple(keys)


def weight_name(key: WeightKey) -> str:
    """``W[k,i,j]``, ``B[k,i]`` or ``C[k]``."""
    family, k, idx = key
    return f"{family}[{','.join(map(str, (k, *idx)))}]"


@cache
def weight_names(spec: LayerSpec) -> tuple[str, ...]:
    """The names of :func:`weight_keys`, same order."""
    return tuple(weight_name(w) for w in weight_keys(spec))


def monomial(key: WeightKey) -> tuple[int, tuple[int, ...]]:
    """(output, sorted input indices) of the monomial a weight multiplies."""
    _, k, idx = key
    return k, tuple(sorted(idx))


def polynomials(spec: LayerSpec) -> tuple[list[sympy.Symbol], list[sympy.Symbol], list[sympy.Poly]]:
    """The layer's output polynomials in x_0..x_{n-1}, coefficients in Q[weights].

    Returns (input symbols, weight symbols, one :class:`sympy.Poly` per output).
    """
    xs = list(sympy.symbols(f"x0:{spec.n}"))
    keys = weight_keys(spec)
    ws = [sympy.Symbol(weight_name(w)) for w in keys]
    terms: list[list[sympy.Expr]] = [[] for _ in range(spec.outputs)]
    for w, (_, k, idx) in zip(ws, keys):
        terms[k].append(sympy.Mul(w, *[xs[i] for i in idx]))
    domain = sympy.QQ[tuple(ws)]
    return xs, ws, [sympy.Poly(sympy.Add(*t), *xs, domain=domain) for t in terms]
