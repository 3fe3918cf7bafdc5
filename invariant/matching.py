"""Coefficient matching: exact linear constraints on the weights, one per monomial.

For each input generator g with output image (π, s) and each output k,

    f_k(g·x) = s · f_{π⁻¹(k)}(x),   (g·x)_i = x_{g⁻¹(i)},

and both sides are polynomials in x with coefficients linear in the weights. Substituting
x_i → x_{g⁻¹(i)} sends the monomial with exponents e to the one with exponents e∘g, so it
is applied to the Poly's exponent dictionary, computed once. Equating the coefficients of
every monomial gives rows Σ_w c_w W_w = 0 over Q.

>>> from invariant.spec import LayerSpec
>>> rows = constraints(LayerSpec.build(layer="linear", n=2))
>>> [sorted((i, str(c)) for i, c in r.items()) for r in rows]
[[(0, '1'), (3, '-1')], [(1, '1'), (2, '-1')]]
"""

from __future__ import annotations

from functools import cache

from .actions import generator_pairs
from .layers import polynomials
from .perms import inverse
from .spec import LayerSpec

Row = dict[int, object]  # weight index -> coefficient in QQ


@cache
def constraints(spec: LayerSpec) -> tuple[Row, ...]:
    """The distinct nonzero constraint rows, each scaled so its first coefficient is 1."""
    _, _, polys = polynomials(spec)
    ring = polys[0].rep.dom
    # One sparse dictionary per output: monomial exponents -> linear form in the weights.
    coeffs = [dict(p.as_dict(native=True)) for p in polys]
    seen: set[tuple] = set()
    rows: list[Row] = []
    for g, pi, s in generator_pairs(spec):
        pi_inv = inverse(pi)
        for k in range(spec.outputs):
            moved = {tuple(e[g[j]] for j in range(spec.n)): c for e, c in coeffs[k].items()}
            target = coeffs[pi_inv[k]]
            for mono in sorted(moved.keys() | target.keys()):
                form = moved.get(mono, ring.zero) - s * target.get(mono, ring.zero)
                if not form:
                    continue
                row = _linear_row(form)
                key = tuple(sorted(row.items()))
                if key not in seen:
                    seen.add(key)
                    rows.append(row)
    return tuple(rows)


def _linear_row(form) -> Row:
    """A linear form in Q[weights] as {weight index: coefficient}, scaled to lead with 1.

    The ring's generators are the weights in canonical order, so the position of the
    exponent 1 in a term's exponent vector is the weight's index.
    """
    terms = {exps.index(1): c for exps, c in form.items()}
    lead = terms[min(terms)]
    return {i: c / lead for i, c in sorted(terms.items())}
