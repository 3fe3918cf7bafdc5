"""The layer as a polynomial in its inputs with coefficients in Q[weights] (SymPy).

Output o is y_o = Σ_w W_w x_idx(w) over the weights of output o, where x_idx is the product
of the input entries in the weight's index tuple. The variables are the N = n^k input
entries; the weights are the ring's generators in the layout's canonical order.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> xs, ws, polys = polynomials(lower(LayerSpec(layer="quadratic", n=2)))
>>> polys[0].as_expr()
W[0,0,0]*x0**2 + W[0,0,1]*x0*x1 + W[0,1,1]*x1**2
"""

from __future__ import annotations

import sympy


def polynomials(problem) -> tuple[list[sympy.Symbol], list[sympy.Symbol], list[sympy.Poly]]:
    """(input symbols, weight symbols, one :class:`sympy.Poly` per output)."""
    layout = problem.layout
    xs = list(sympy.symbols(f"x0:{layout.points}"))
    keys = list(layout.keys())
    ws = [sympy.Symbol(layout.key_name(k)) for k in keys]
    terms: list[list[sympy.Expr]] = [[] for _ in range(layout.outputs)]
    for w, (_, o, idx) in zip(ws, keys):
        terms[o].append(sympy.Mul(w, *[xs[i] for i in idx]))
    domain = sympy.QQ[tuple(ws)]
    return xs, ws, [sympy.Poly(sympy.Add(*t), *xs, domain=domain) for t in terms]
