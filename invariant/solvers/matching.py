"""Coefficient matching: the exact equations that equivariance puts on the coefficients.

For each input generator g with output image (π, s) and each output k,

    f_k(g·x) = s · f_{π⁻¹(k)}(x),   (g·x)_i = x_{g⁻¹(i)}.

Both sides are polynomials in x. Substituting x_i → x_{g⁻¹(i)} sends the monomial with
exponents e to the one with exponents e∘g, so it acts on a sparse exponent dictionary,
computed once. Every monomial gives one equation: the difference of its coefficients on the
two sides. :func:`matched_differences` is the one implementation; its coefficients may live in
any ring: linear forms in the weights for a layer (:func:`constraints`), polynomials in all the
weights for a multi-layer network (:mod:`invariant.networks`).

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> rows = constraints(lower(LayerSpec.build(layer="linear", n=2)))
>>> [sorted((i, str(c)) for i, c in r.items()) for r in rows]
[[(0, '1'), (3, '-1')], [(1, '1'), (2, '-1')]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..groups.permutations import Perm, inverse

Row = dict[int, object]  # weight index -> coefficient in QQ


def matched_differences(outputs: Sequence[dict], pairs: Sequence[tuple[Perm, Perm, int]]) -> Iterator:
    """Yield every nonzero f_k(g·x) − s·f_{π⁻¹(k)}(x) coefficient, monomial by monomial.

    ``outputs[k]`` maps exponent tuples (one exponent per input) to coefficients of output k;
    ``pairs`` holds (g, π, s): an input generator, its output permutation and sign. The
    coefficients may be elements of any SymPy domain (or plain numbers): only ``-``, ``*``
    by ±1 and truthiness are used.

    >>> list(matched_differences([{(1, 0): 1, (0, 1): 2}], [((1, 0), (0,), 1)]))
    [-1, 1]
    """
    for g, pi, s in pairs:
        n = len(g)
        pi_inv = inverse(pi)
        for k, coeffs in enumerate(outputs):
            moved = {tuple(e[g[j]] for j in range(n)): c for e, c in coeffs.items()}
            target = outputs[pi_inv[k]]
            for mono in sorted(moved.keys() | target.keys()):
                if mono in moved and mono in target:
                    diff = moved[mono] - s * target[mono]
                elif mono in moved:
                    diff = moved[mono]
                else:
                    diff = -s * target[mono]
                if diff:
                    yield diff


def constraints(problem) -> tuple[Row, ...]:
    """The distinct nonzero linear constraint rows of a layer, each scaled to lead with 1."""
    from .polynomials import polynomials

    _, _, polys = polynomials(problem)
    outputs = [dict(p.as_dict(native=True)) for p in polys]
    seen: set[tuple] = set()
    rows: list[Row] = []
    for form in matched_differences(outputs, problem.matching_pairs):
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
