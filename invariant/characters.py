"""The character formula: the dimension of the space of equivariant maps, independently.

For a permutation group acting on the inputs and an output action ρ,

    dim = (1/|G|) Σ_g χ_poly(g) χ_out(g),

where χ_poly(g) counts the monomials (of each degree the layer has) fixed by g, i.e.
[t^d] Π_cycles 1/(1 - t^len), e.g. (χ(g)² + χ(g²))/2 for d = 2, and χ_out(g) = s·fix(π).
When ρ is only a rule on generators, the sum runs over D = ⟨(g_i, ρ_i)⟩ ≤ G × H, the group
under which the matched constraints really hold.

For S_n and A_n the characters are polynomials in the cycle counts (a_1, ..., a_d), and
the average uses the factorial moments of the cycle counts of a uniform permutation (see
:func:`_symmetric_average`): no sum over elements or even over cycle types.

>>> from invariant.spec import LayerSpec
>>> character_dimension(LayerSpec.build(layer="quadratic", n=64))
4
>>> character_dimension(LayerSpec.build(layer="quadratic", n=4, with_linear=True, with_bias=True))
7
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction
from itertools import product

import sympy
from sympy.functions.combinatorial.numbers import stirling

from .actions import generator_pairs, output_character, output_is_function_of_input
from .errors import InvariantError
from .groups import MAX_ENUMERATED_ORDER, sympy_group
from .perms import cycle_type_counts, fixed_points, sign
from .spec import LayerSpec


def term_degrees(spec: LayerSpec) -> list[int]:
    """The degrees of the layer's terms: main term, then linear, then bias."""
    return [spec.degree] + ([1] if spec.with_linear else []) + ([0] if spec.with_bias else [])


def fixed_monomials(counts: Counter | dict, degree: int) -> int:
    """Monomials of the given degree fixed by a permutation with ``counts[l]`` l-cycles."""
    series = [1] + [0] * degree
    for length, mult in counts.items():
        if length > degree or (isinstance(mult, int) and not mult):
            continue
        factor = [0] * (degree + 1)
        for j in range(degree // length + 1):
            factor[j * length] = _multichoose(mult, j)
        series = [sum(series[i] * factor[d - i] for i in range(d + 1)) for d in range(degree + 1)]
    return series[degree]


def _multichoose(a, j: int):
    """C(a + j - 1, j) for an integer a, or the same polynomial in a symbol a."""
    if isinstance(a, int):
        return math.comb(a + j - 1, j)
    return sympy.Mul(*[a + i for i in range(j)]) / math.factorial(j)


def poly_character(spec: LayerSpec, counts) -> int:
    """χ_poly from cycle counts: fixed monomials summed over the layer's terms."""
    return sum(fixed_monomials(counts, d) for d in term_degrees(spec))


def character_dimension(spec: LayerSpec) -> int:
    """(1/|G|) Σ_g χ_poly(g) χ_out(g), by the cheapest exact route for the spec."""
    family = _recognized_family(spec)
    if output_is_function_of_input(spec) and family in ("symmetric", "alternating"):
        eps = 1 if spec.output == "sign" else 0
        if family == "symmetric" or spec.n < 2:
            value = _symmetric_average(spec, eps)
        else:  # A_n: (1/|A_n|) Σ_{A_n} F = avg_{S_n}(F) + avg_{S_n}(sgn F)
            value = _symmetric_average(spec, eps) + _symmetric_average(spec, 1 - eps)
        return _integer(value)
    if output_is_function_of_input(spec):
        group = spec.input_group
        total = sum(
            count * poly_character(spec, cycle_type_counts(rep)) * output_character(spec, rep)
            for rep, count in group.class_weights()
        )
        order = group.order
    else:
        total, order = _diagonal_sum(spec)
    return _integer(Fraction(total, order))


def _recognized_family(spec: LayerSpec) -> str:
    """The named family, or for generators: "symmetric"/"alternating" when they generate S_n/A_n.

    A permutation group of degree n and order n! is S_n; of order n!/2 with even generators
    it is A_n (n ≥ 2). Schreier–Sims gives the order without listing elements.
    """
    if spec.group != "custom":
        return spec.group
    group = spec.input_group
    order = group.order
    if order == math.factorial(spec.n):
        return "symmetric"
    if spec.n >= 2 and 2 * order == math.factorial(spec.n) and all(sign(g) == 1 for g in group.generators):
        return "alternating"
    return "custom"


def _integer(value: Fraction) -> int:
    if value.denominator != 1:
        raise AssertionError(f"character formula gave a non-integer {value}")
    return int(value)


def _symmetric_average(spec: LayerSpec, eps: int, output: str | None = None, outputs: int | None = None) -> Fraction:
    """(1/n!) Σ_{g ∈ S_n} χ_poly(g) χ_out(g) sgn(g)^eps, exactly and independently of n's size.

    χ_poly χ_out is a polynomial in the cycle counts a_1..a_d; in falling factorials
    (a^e = Σ_k S(e, k) (a)_k, Stirling numbers of the second kind) it averages by the
    classical moments of a uniform permutation: E[Π (a_l)_{k_l}] = Π l^{-k_l} when
    K = Σ l k_l ≤ n, and E[sgn Π (a_l)_{k_l}] = Π (σ_l / l)^{k_l} / (n - K)! when n - K ≤ 1
    (σ_l = (-1)^{l-1}; the signs of the other n - K points cancel otherwise), else 0.
    """
    n = spec.n
    output = spec.output if output is None else output
    outputs = spec.outputs if outputs is None else outputs
    cutoff = max(term_degrees(spec) + [1])
    a = sympy.symbols(f"a1:{cutoff + 1}")
    counts = dict(zip(range(1, cutoff + 1), a))
    chi_out = a[0] if output == "permutation" else outputs
    poly = sympy.Poly(sympy.expand(poly_character(spec, counts) * chi_out), *a)
    total = Fraction(0)
    for exps, coeff in poly.terms():
        for ks in product(*(range(e + 1) for e in exps)):
            big_k = sum(l * k for l, k in zip(range(1, cutoff + 1), ks))
            if big_k > n or (eps and n - big_k > 1):
                continue
            term = Fraction(int(coeff.p), int(coeff.q))
            for l, (e, k) in enumerate(zip(exps, ks), start=1):
                term *= int(stirling(e, k)) * Fraction((-1) ** ((l - 1) * k) if eps else 1, l**k)
            total += term
    return total


def diagonal_group(spec: LayerSpec):
    """D = ⟨(g_i, ρ_i)⟩ on n + outputs + 2 points (the last two carry the sign)."""
    n, m = spec.n, spec.outputs
    gens = []
    for g, pi, s in generator_pairs(spec):
        sign_part = (n + m, n + m + 1) if s > 0 else (n + m + 1, n + m)
        gens.append(tuple(g) + tuple(n + p for p in pi) + sign_part)
    return sympy_group(n + m + 2, tuple(gens))


def split_element(spec: LayerSpec, images) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """Split an element of :func:`diagonal_group` into (g, π, s)."""
    n, m = spec.n, spec.outputs
    g = tuple(images[:n])
    pi = tuple(p - n for p in images[n : n + m])
    return g, pi, 1 if images[n + m] == n + m else -1


def _diagonal_sum(spec: LayerSpec) -> tuple[int, int]:
    group = diagonal_group(spec)
    order = int(group.order())
    inputs = sympy_group(spec.n, tuple(p.g for p in generator_pairs(spec)))
    outputs = _output_group(spec)
    if order == inputs.order() * outputs.order() and order > MAX_ENUMERATED_ORDER:
        return _product_sum(spec, inputs, outputs), order
    if order > MAX_ENUMERATED_ORDER:
        raise InvariantError(
            f"the group generated by the input/output generator pairs has order {order}; the "
            f"character formula enumerates it only up to order {MAX_ENUMERATED_ORDER}: use a smaller n"
        )
    total = 0
    for element in group.generate():
        g, pi, s = split_element(spec, element.array_form)
        total += poly_character(spec, cycle_type_counts(g)) * s * fixed_points(pi)
    return total, order


def _output_group(spec: LayerSpec):
    """H = ⟨(π_i, s_i)⟩ on outputs + 2 points (the last two carry the sign)."""
    m = spec.outputs
    gens = tuple(tuple(pi) + ((m, m + 1) if s > 0 else (m + 1, m)) for _, pi, s in generator_pairs(spec))
    return sympy_group(m + 2, gens)


def _product_sum(spec: LayerSpec, inputs, outputs) -> int:
    """Σ over D when D = G × H: (Σ_g χ_poly(g)) · (Σ_h χ_out(h)) · |D| / (|G| |H|).

    Scaled to Σ_D: the caller divides by |D| = |G| |H|. The input factor counts invariant
    polynomials of G (by cycle types when G is the named group), the output factor is
    |H| times the number of H-orbits on outputs without a sign conflict (Burnside).
    """
    g_order, h_order = int(inputs.order()), int(outputs.order())
    named = spec.input_group
    if spec.group == "symmetric" and named.order == g_order:
        poly_sum = _symmetric_average(spec, 0, output="trivial", outputs=1) * g_order
    else:
        if g_order > MAX_ENUMERATED_ORDER:
            raise InvariantError(f"the input group has order {g_order}; too large to enumerate for the character formula")
        poly_sum = sum(poly_character(spec, cycle_type_counts(tuple(p.array_form))) for p in inputs.generate())
    return int(poly_sum) * _signed_orbits(spec) * h_order


def _signed_orbits(spec: LayerSpec) -> int:
    """Orbits of the signed output generators on outputs that carry no sign conflict."""
    m = spec.outputs
    parent, rel = list(range(m)), [1] * m

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k

    def sign_to_root(k):
        s = 1
        while parent[k] != k:
            s *= rel[k]
            k = parent[k]
        return s

    conflicted = set()
    for _, pi, s in generator_pairs(spec):
        for k in range(m):
            a, b = find(k), find(pi[k])
            sa, sb = sign_to_root(k), sign_to_root(pi[k])
            if a == b:
                if sa * s != sb:
                    conflicted.add(a)
            else:
                parent[b], rel[b] = a, sa * s * sb
                if b in conflicted:
                    conflicted.add(a)
    return len({find(k) for k in range(m)} - {find(c) for c in conflicted})
