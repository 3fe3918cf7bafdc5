"""The character formula: the dimension of the space of equivariant maps, independently.

For a permutation group acting on the inputs and an output action ρ,

    dim = (1/|G|) Σ_g χ_poly(g) χ_out(g),

where χ_poly(g) counts the monomials (of each degree the layer has, in the N = n^k input
entries) fixed by g, i.e. [t^d] Π_r (1 - t^r)^(-c_r) with c_r the r-cycles g induces on the
entries, and χ_out(g) = s·fix(π). When ρ is only a rule on generators, the sum runs over
D = ⟨(g_i, ρ_i)⟩ ≤ G × H, the group under which the matched constraints really hold.

g's induced cycle counts come from its fixed points on k-tuples, fix(g^j)^k with
fix(g^j) = Σ_{i | j} i a_i (a_i the i-cycles of g), by Möbius inversion. So every character
is a polynomial in the cycle counts (a_1, ..., a_d). For S_n, A_n and the hyperoctahedral
group the average of such a polynomial follows from the factorial moments of the cycle
counts of a uniform element (see :func:`symmetric_average`, :func:`hyperoctahedral_average`):
no sum over elements, not even over cycle types, so n = 10^6 costs what n = 4 does.
Pure Python (fractions): no SymPy.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> character_dimension(lower(LayerSpec(layer="quadratic", n=64)))
4
>>> character_dimension(lower(LayerSpec(layer="linear", n=12, input_order=2, output_order=2)))
15
>>> character_dimension(lower(LayerSpec(layer="quadratic", n=256, group="hyperoctahedral")))
8
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

from ..groups.permutation_groups import MAX_ENUMERATED_ORDER, TooLargeToSum, describe_order, sympy_group
from ..groups.permutations import cycle_type_counts, fixed_points
from .dimension import DimensionCheck
from .representation import diagonal_group

#: Up to this n the folded rule's group D is built and summed over (an independent check).
FOLDED_ENUMERATED_N = 16

# A polynomial in cycle-count variables: {exponent tuple: Fraction}.
Poly = dict


def _const(c, nvars: int) -> Poly:
    return {(0,) * nvars: Fraction(c)} if c else {}


def _var(i: int, nvars: int) -> Poly:
    e = [0] * nvars
    e[i] = 1
    return {tuple(e): Fraction(1)}


def _add(p: Poly, q: Poly) -> Poly:
    out = dict(p)
    for e, c in q.items():
        out[e] = out.get(e, 0) + c
        if not out[e]:
            del out[e]
    return out


def _mul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for e1, c1 in p.items():
        for e2, c2 in q.items():
            e = tuple(a + b for a, b in zip(e1, e2))
            out[e] = out.get(e, 0) + c1 * c2
            if not out[e]:
                del out[e]
    return out


def _scale(p: Poly, c) -> Poly:
    return {e: v * c for e, v in p.items() if v * c}


def _power(p: Poly, k: int, nvars: int) -> Poly:
    out = _const(1, nvars)
    for _ in range(k):
        out = _mul(out, p)
    return out


def _mobius(n: int) -> int:
    result, m, p = 1, n, 2
    while p * p <= m:
        if m % p == 0:
            m //= p
            if m % p == 0:
                return 0
            result = -result
        p += 1
    return -result if m > 1 else result


def fixed_monomials(counts, degree: int, nvars: int | None = None):
    """Monomials of the given degree fixed by a permutation with ``counts[r]`` r-cycles.

    ``counts`` maps r to an int, or (with ``nvars``) to a cycle-count polynomial; the result
    is [t^d] Π_r Σ_j C(c_r + j - 1, j) t^(r j) as an int or a polynomial.

    >>> fixed_monomials({1: 4}, 2), fixed_monomials({2: 2}, 2)
    (10, 2)
    """
    one = _const(1, nvars) if nvars is not None else 1
    series = [one] + [_const(0, nvars) if nvars is not None else 0 for _ in range(degree)]
    for r, c in counts.items():
        if r > degree or (nvars is None and not c):
            continue
        factor = [(_const(0, nvars) if nvars is not None else 0) for _ in range(degree + 1)]
        for j in range(degree // r + 1):
            factor[j * r] = _multichoose(c, j, nvars)
        series = [
            _sum_products([(series[i], factor[d - i]) for i in range(d + 1)], nvars) for d in range(degree + 1)
        ]
    return series[degree]


def _sum_products(terms, nvars):
    if nvars is None:
        return sum(a * b for a, b in terms)
    out: Poly = {}
    for a, b in terms:
        out = _add(out, _mul(a, b))
    return out


def _multichoose(c, j: int, nvars):
    """C(c + j - 1, j) for an integer c, or the same polynomial in a cycle-count polynomial c."""
    if nvars is None:
        return math.comb(c + j - 1, j)
    out = _const(1, nvars)
    for i in range(j):
        out = _mul(out, _add(c, _const(i, nvars)))
    return _scale(out, Fraction(1, math.factorial(j)))


def induced_counts(point_counts, order: int, degree: int, nvars: int | None = None) -> dict:
    """Cycle counts c_r (r ≤ degree) of the permutation g induces on k-tuples (k = order).

    fix(g^j) on tuples is fix(g^j)^k with fix(g^j) = Σ_{i | j} i a_i; then
    c_r = (1/r) Σ_{j | r} μ(r/j) fix_tuples(g^j).
    """
    def fix(j):
        if nvars is not None:
            total: Poly = {}
            for i in range(1, j + 1):
                if j % i == 0 and i in point_counts:
                    total = _add(total, _scale(point_counts[i], i))
            return _power(total, order, nvars)
        return sum(i * point_counts.get(i, 0) for i in range(1, j + 1) if j % i == 0) ** order

    out = {}
    for r in range(1, degree + 1):
        terms = [(_mobius(r // j), fix(j)) for j in range(1, r + 1) if r % j == 0]
        if nvars is not None:
            total: Poly = {}
            for mu, f in terms:
                total = _add(total, _scale(f, mu))
            out[r] = _scale(total, Fraction(1, r))
        else:
            value = sum(mu * f for mu, f in terms)
            out[r] = value // r
    return out


def poly_character(layout, point_counts, nvars: int | None = None, channels: int = 1):
    """χ_poly: monomials fixed by g, summed over the layout's families (degrees).

    With C ``channels`` per input entry the monomials are in the entries of V ⊗ R^C: g moves
    entries, never channels, so each r-cycle on the entries is C r-cycles on (entry, channel)
    pairs and the induced cycle counts are C times the one-channel ones.

    >>> from invariant.problem import lower
    >>> from invariant.spec import LayerSpec
    >>> lay = lower(LayerSpec(layer="quadratic", n=3)).layout
    >>> poly_character(lay, {1: 3}), poly_character(lay, {1: 3}, channels=2)   # C(3+1, 2), C(6+1, 2)
    (6, 21)
    """
    top = max(layout.degrees + (1,))
    counts = induced_counts(point_counts, layout.input_order, top, nvars)
    if channels != 1:
        counts = {r: (_scale(c, channels) if nvars is not None else c * channels) for r, c in counts.items()}
    if nvars is None:
        return sum(fixed_monomials(counts, d) for d in layout.degrees)
    out: Poly = {}
    for d in layout.degrees:
        out = _add(out, fixed_monomials(counts, d, nvars))
    return out


def character_dimension(problem, channels: bool = False) -> int:
    """(1/|G|) Σ_g χ_poly(g) χ_out(g), by the cheapest exact route for the problem.

    With ``channels`` the maps Sym^d(C*V) → D*U (and the lower-order terms), the multiplicities
    C and D read off the problem's input and output representations: χ_{C*V} = C·χ_V scales
    every induced cycle count by C (:func:`poly_character`) and χ_{D*U} = D·χ_U multiplies the
    average by D.

    >>> from invariant.problem import lower
    >>> from invariant.spec import LayerSpec
    >>> character_dimension(lower(LayerSpec(layer="quadratic", n=3, output="sign", in_channels=2)), channels=True)
    1
    """
    if channels:
        return problem.output.copies * _character_sum(problem, problem.input.copies)
    return _character_sum(problem, 1)


def _character_sum(problem, c: int) -> int:
    group, action, layout = problem.group, problem.action, problem.layout
    if action.is_formula:
        family = group.family if group.name == "custom" else group.name
        if family in ("symmetric", "alternating", "hyperoctahedral"):
            return _integer(_moment_average(problem, family, c))
        total = sum(
            count * poly_character(layout, cycle_type_counts(rep), channels=c) * action.character(rep)
            for rep, count in group.class_weights()
        )
        return _integer(Fraction(total, group.order))
    if action.kind == "folded" and group.name == "symmetric" and not action.naive and group.n > FOLDED_ENUMERATED_N:
        # D = ⟨(t, ρ(t))⟩ = S_n × S_m (see invariant.solvers.patterns): the average factors into the
        # S_n-invariant polynomials times the S_m-orbits on the outputs (one).
        top = max(layout.degrees + (1,))
        a = {r: _var(r - 1, top) for r in range(1, top + 1)}
        return _integer(symmetric_average(poly_character(layout, a, top, c), group.n, 0))
    total, order = _diagonal_sum(problem, c)
    return _integer(Fraction(total, order))


def _integer(value: Fraction) -> int:
    if value.denominator != 1:
        raise AssertionError(f"character formula gave a non-integer {value}")
    return int(value)


def _moment_average(problem, family: str, c: int = 1) -> Fraction:
    layout, action = problem.layout, problem.action
    n = problem.group.n
    top = max(layout.degrees + (1,))
    if family == "hyperoctahedral":
        return hyperoctahedral_average(layout, action, n // 2, top, c)
    nvars = top
    a = {r: _var(r - 1, nvars) for r in range(1, top + 1)}
    chi = poly_character(layout, a, nvars, c)  # C channels: the cycle-count polynomial scaled
    kind = action.kind
    chi = _mul(chi, _power(a[1], action.order, nvars)) if kind == "permutation" else _scale(chi, action.outputs)
    eps = 1 if kind == "sign" else 0
    if family == "symmetric" or n < 2:
        return symmetric_average(chi, n, eps)
    # A_n: (1/|A_n|) Σ_{A_n} F = avg_{S_n}(F) + avg_{S_n}(sgn F)
    return symmetric_average(chi, n, eps) + symmetric_average(chi, n, 1 - eps)


def _stirling2(e: int, k: int) -> int:
    """Stirling numbers of the second kind S(e, k)."""
    return sum((-1) ** (k - j) * math.comb(k, j) * j**e for j in range(k + 1)) // math.factorial(k)


def symmetric_average(chi: Poly, n: int, eps: int) -> Fraction:
    """(1/n!) Σ_{g ∈ S_n} F(a(g)) sgn(g)^eps for a polynomial F in the cycle counts a_1..a_d.

    In falling factorials (a^e = Σ_k S(e, k) (a)_k) it averages by the classical moments of a
    uniform permutation: E[Π (a_l)_{k_l}] = Π l^{-k_l} when K = Σ l k_l ≤ n, and
    E[sgn Π (a_l)_{k_l}] = Π (σ_l / l)^{k_l} when n - K ∈ {0, 1} (σ_l = (-1)^{l-1}), else 0.

    >>> symmetric_average({(2,): Fraction(1)}, 5, 0)   # E[fix²] = 2 (the orbits on pairs)
    Fraction(2, 1)
    """
    total = Fraction(0)
    for exps, coeff in chi.items():
        for ks in product(*(range(e + 1) for e in exps)):
            big_k = sum(l * k for l, k in enumerate(ks, start=1))
            if big_k > n or (eps and n - big_k > 1):
                continue
            term = Fraction(coeff)
            for l, (e, k) in enumerate(zip(exps, ks), start=1):
                term *= _stirling2(e, k) * Fraction((-1) ** ((l - 1) * k) if eps else 1, l**k)
            total += term
    return total


def hyperoctahedral_average(layout, action, m: int, top: int, channels: int = 1) -> Fraction:
    """The average over B_m (acting on 2m points) of χ_poly χ_out, by cycle-count moments.

    An element has a_l positive and b_l negative l-cycles on the m pairs; on the points these
    are two l-cycles and one 2l-cycle, so the point cycle counts are c_j = 2 a_j + b_{j/2}
    and sgn = (-1)^(Σ b_l). From Σ_m u^m E_{B_m}[Π x^a y^b] = exp(Σ_l u^l (x_l + y_l)/(2l)):
    E[Π (a_l)_{j_l} (b_l)_{k_l}] = Π (2l)^{-(j_l + k_l)} when K = Σ l (j_l + k_l) ≤ m, and
    with the sign the same times (-1)^(Σ k_l) when K = m, else 0.
    """
    nvars = 2 * top  # a_1..a_top, b_1..b_top
    a = {l: _var(l - 1, nvars) for l in range(1, top + 1)}
    b = {l: _var(top + l - 1, nvars) for l in range(1, top + 1)}
    point = {}
    for j in range(1, top + 1):
        c = _scale(a[j], 2)
        if j % 2 == 0:
            c = _add(c, b[j // 2])
        point[j] = c
    chi = poly_character(layout, point, nvars, channels)
    kind = action.kind
    if kind == "permutation":
        chi = _mul(chi, _power(point[1], action.order, nvars))
    elif kind == "folded":
        chi = _mul(chi, _add(a[1], b[1]))
    else:
        chi = _scale(chi, action.outputs)
    signed = kind == "sign"
    total = Fraction(0)
    for exps, coeff in chi.items():
        for ks in product(*(range(e + 1) for e in exps)):
            big_k = sum(((v % top) + 1) * k for v, k in enumerate(ks))
            if big_k > m or (signed and big_k != m):
                continue
            term = Fraction(coeff)
            for v, (e, k) in enumerate(zip(exps, ks)):
                l = (v % top) + 1
                term *= _stirling2(e, k) * Fraction(1, (2 * l) ** k)
                if signed and v >= top:
                    term *= (-1) ** k
            total += term
    return total


def split_element(problem, images) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """Split an element of :func:`~invariant.proofs.representation.diagonal_group` into (g, π, s)."""
    n, m = problem.group.n, problem.action.outputs
    g = tuple(images[:n])
    pi = tuple(p - n for p in images[n : n + m])
    return g, pi, 1 if images[n + m] == n + m else -1


def _diagonal_sum(problem, c: int = 1) -> tuple[int, int]:
    group = diagonal_group(problem.action)
    order = int(group.order())
    inputs = sympy_group(problem.group.n, tuple(p.g for p in problem.action.pairs))
    outputs = _output_group(problem)
    if order == inputs.order() * outputs.order() and order > MAX_ENUMERATED_ORDER:
        return _product_sum(problem, inputs, outputs, c), order
    if order > MAX_ENUMERATED_ORDER:
        raise TooLargeToSum(
            f"the group generated by the input/output generator pairs has order {describe_order(order)}; it is "
            f"summed element by element, up to order {MAX_ENUMERATED_ORDER} (its conjugacy classes are not computed)"
        )
    total = 0
    for element in group.generate():
        g, pi, s = split_element(problem, element.array_form)
        total += poly_character(problem.layout, cycle_type_counts(g), channels=c) * s * fixed_points(pi)
    return total, order


def _output_group(problem):
    """H = ⟨(π_i, s_i)⟩ on outputs + 2 points (the last two carry the sign)."""
    m = problem.action.outputs
    gens = tuple(tuple(pi) + ((m, m + 1) if s > 0 else (m + 1, m)) for _, pi, s in problem.action.pairs)
    return sympy_group(m + 2, gens)


def _product_sum(problem, inputs, outputs, c: int = 1) -> int:
    """Σ over D when D = G × H: (Σ_g χ_poly(g)) · (Σ_h χ_out(h)) · |D| / (|G| |H|).

    Scaled to Σ_D: the caller divides by |D| = |G| |H|. The input factor counts invariant
    polynomials of G (by moments when G is S_n), the output factor is |H| times the number
    of H-orbits on outputs without a sign conflict (Burnside).
    """
    g_order, h_order = int(inputs.order()), int(outputs.order())
    if problem.group.name == "symmetric" and problem.group.order == g_order:
        top = max(problem.layout.degrees + (1,))
        a = {r: _var(r - 1, top) for r in range(1, top + 1)}
        poly_sum = symmetric_average(poly_character(problem.layout, a, top, c), problem.group.n, 0) * g_order
    else:
        if g_order > MAX_ENUMERATED_ORDER:
            raise TooLargeToSum(
                f"the input group has order {describe_order(g_order)}; it is summed element by element, up to "
                f"order {MAX_ENUMERATED_ORDER} (its conjugacy classes are not computed)"
            )
        poly_sum = sum(poly_character(problem.layout, cycle_type_counts(tuple(p.array_form)), channels=c)
                       for p in inputs.generate())
    return int(poly_sum) * _signed_orbits(problem) * h_order


def _signed_orbits(problem) -> int:
    """Orbits of the signed output generators on outputs that carry no sign conflict."""
    from ..solvers.components import signed_components

    m = problem.action.outputs
    u, v, s = [], [], []
    for _, pi, sg in problem.action.pairs:
        u += list(range(m))
        v += list(pi)
        s += [sg] * m
    comps = signed_components(m, u, v, s)
    return comps.num_classes


def dimension_check(problem, derived: int) -> DimensionCheck:
    """The character formula against the derived dimension, or the reason it was not computed.

    >>> from invariant.problem import lower
    >>> from invariant.spec import LayerSpec
    >>> dimension_check(lower(LayerSpec(layer="linear", n=5)), 2).agree
    True
    """
    try:
        return DimensionCheck(derived=derived, character_formula=character_dimension(problem))
    except TooLargeToSum as exc:
        return DimensionCheck(derived=derived, character_formula=None,
                              missing=f"the dimension proof by characters is missing, since {exc}")
