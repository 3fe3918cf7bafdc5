"""Orbit sums through power sums, derived with SymPy (used for structured S_n forwards).

For a class c of an S_n-equivariant layer and the output k, the orbit sum
O_c(x) = Σ_{w ∈ c, output k} s_w x_idx(w) is invariant under the permutations fixing k, so
it is a polynomial in x_k and the power sums p_r = Σ_i x_i^r. The coefficients come from
matching the ansatz Σ a_m x_k^a Π p_r^b_r (weighted degree = the class degree) exactly.

>>> import sympy
>>> xs = sympy.symbols("x0:4")
>>> fit_power_sums(xs[1] * xs[2] + xs[1] * xs[3] + xs[2] * xs[3], xs, xs[0], 2)
p1**2/2 - p1*xk - p2/2 + xk**2
"""

from __future__ import annotations

import itertools

import sympy
from sympy.polys.matrices import DomainMatrix

XK = sympy.Symbol("xk")
ONE = sympy.Symbol("one")


def power_symbol(r: int) -> sympy.Symbol:
    return sympy.Symbol(f"p{r}")


def ansatz(degree: int, with_xk: bool) -> list[tuple[int, tuple[int, ...]]]:
    """Exponents (a, (b_1..b_d)) with a + Σ r b_r = degree (a = 0 without x_k)."""
    terms = []
    for a in range(degree + 1 if with_xk else 1):
        rest = degree - a
        for bs in itertools.product(*(range(rest // r + 1) for r in range(1, degree + 1))):
            if sum(r * b for r, b in zip(range(1, degree + 1), bs)) == rest:
                terms.append((a, bs))
    return terms


def fit_power_sums(orbit_sum: sympy.Expr, xs, xk: sympy.Symbol | None, degree: int) -> sympy.Expr | None:
    """Express ``orbit_sum`` in x_k and power sums exactly, or None if the ansatz cannot.

    ``xk`` is the input x_k paired with output k (permutation outputs), or None when the
    orbit sum is fully invariant (trivial outputs, any number of them). The constant monomial is
    written with the symbol ``one`` so that every term is a tensor.
    """
    with_xk = xk is not None
    terms = ansatz(degree, with_xk)
    p = [sum(x**r for x in xs) for r in range(degree + 1)]
    expanded = []
    for a, bs in terms:
        expr = xk**a if with_xk else sympy.Integer(1)
        for r, b in zip(range(1, degree + 1), bs):
            expr *= p[r] ** b
        expanded.append(sympy.Poly(expr, *xs))
    target = sympy.Poly(orbit_sum, *xs)
    monomials = sorted(set().union(*(q.as_dict() for q in expanded), target.as_dict()))
    row = {m: i for i, m in enumerate(monomials)}
    cols = len(terms)
    aug = [[sympy.QQ.zero] * (cols + 1) for _ in monomials]
    for j, q in enumerate(expanded):
        for m, c in q.as_dict().items():
            aug[row[m]][j] = sympy.QQ.from_sympy(c)
    for m, c in target.as_dict().items():
        aug[row[m]][cols] = sympy.QQ.from_sympy(c)
    reduced, pivots = DomainMatrix(aug, (len(monomials), cols + 1), sympy.QQ).rref()
    if cols in pivots:
        return None  # inconsistent: not expressible in this ansatz
    dense = reduced.to_Matrix()
    solution = [sympy.Integer(0)] * cols
    for i, pcol in enumerate(pivots):
        solution[pcol] = dense[i, cols]
    result = sympy.Integer(0)
    for coeff, (a, bs) in zip(solution, terms):
        if coeff == 0:
            continue
        term = coeff * (XK**a if with_xk else 1)
        for r, b in zip(range(1, degree + 1), bs):
            term *= power_symbol(r) ** b
        result += term if term.free_symbols else coeff * ONE
    return sympy.expand(result)


def evaluate_formula(formula: sympy.Expr, xs, xk: sympy.Symbol | None, degree: int) -> sympy.Expr:
    """Substitute x_k (if any) and the power sums back, for exact verification."""
    subs = {ONE: sympy.Integer(1)} if xk is None else {XK: xk, ONE: sympy.Integer(1)}
    subs.update({power_symbol(r): sum(x**r for x in xs) for r in range(1, degree + 1)})
    return sympy.expand(formula.xreplace(subs))
