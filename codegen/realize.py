"""Realization: what a generated module needs beyond the Solution, computed without torch.

* **Initialization moments** (variance preserving, He-like): with x ~ N(0, I), an
  unconstrained layer with weights N(0, σ²), σ² = gain / Σ_w E[x_w²], has Var y_k = gain. A
  tied parameter θ_c multiplies the orbit sum S_c; drawing θ_c ~ N(0, σ² M_c / E[S_c²]),
  M_c = Σ_{w∈c} E[x_w²], gives the same Var y_k (exact for equality-tied layers; with additive
  constraints, per free class). Above n = 7 the moments of a pattern class are polynomials in
  n of degree at most d, interpolated from d + 1 (at least three) small sizes
  (:mod:`invariant.solvers.lift`).
* **Pattern tables** (S_n): the class of W[k,i,j] depends only on which indices are equal; a
  table indexed by that equality pattern gives the parameter.
* **Power sums** (S_n): each class's orbit sum written in x_k and p_r = Σ x_i^r, fitted with
  SymPy on the classes at n_p = min(n, 7) and verified exactly at n_p + 1 (the classes at
  small n and why they determine every n: :mod:`invariant.solvers.lift`), then collected
  over classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from invariant.errors import InvariantError
from invariant.groups.permutation_groups import integer_partitions
from invariant.solution import Solution
from invariant.solvers.lift import BASE_N, class_key, interpolate, moment_sizes, small_n
from invariant.solvers.partitions import pair_code
from invariant.spec import LayerSpec

#: Power sums are fitted on the classes at this many points (every pattern of k, i, j, l occurs).
PATTERN_N = BASE_N


@dataclass(frozen=True)
class Family:
    """How one weight family (W, B or C) is laid out and built from θ by patterns."""

    name: str
    shape: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]  # axis positions compared for the equality pattern
    table: tuple[tuple[int, ...], ...]  # [output copy or 0][pattern code] -> parameter or -1
    per_output: bool
    upper: tuple[tuple[int, int], ...]  # axis positions that must be ordered (sorted tuples)


def _gaussian_moment(exponents) -> int:
    """E[Π x_i^{e_i}] for x ~ N(0, I): Π (e_i - 1)!! over even e_i, 0 if any is odd."""
    out = 1
    for e in exponents:
        if e % 2:
            return 0
        out *= math.prod(range(e - 1, 0, -2))
    return out


def _exponents(idx) -> dict[int, int]:
    exps: dict[int, int] = {}
    for i in idx:
        exps[i] = exps.get(i, 0) + 1
    return exps


def _moment_counts(lay, members, signs) -> tuple[Fraction, Fraction]:
    """(M_c, E[S_c²]) over the members at the representative's output, x ~ N(0, I).

    M_c = Σ_w E[x_w²]; S_c = Σ_m a_m x^m grouping members by monomial, and
    E[S_c²] = Σ_{m, m'} a_m a_m' E[x^m x^m'] (Gaussian moments, Isserlis).
    """
    keys = [lay.key(w) for w in members]
    k0 = keys[0][1]
    coeff: dict[tuple[int, ...], int] = {}
    m_total = 0
    for (_, k, idx), s in zip(keys, signs):
        if k != k0:
            continue
        m = tuple(sorted(idx))
        coeff[m] = coeff.get(m, 0) + s
        m_total += _gaussian_moment([2 * e for e in _exponents(m).values()])
    second = 0
    items = list(coeff.items())
    for m, a in items:
        for m2, a2 in items:
            second += a * a2 * _gaussian_moment(_exponents(m + m2).values())
    return Fraction(m_total), Fraction(second)


def class_stats(layout, tying) -> list[tuple[Fraction, Fraction]]:
    """(M_c, E[S_c²]) of every class of ``tying`` (a solution's, or the classes at a small n)."""
    stats = []
    for c in range(tying.num_classes):
        members = tying.members(c)
        stats.append(_moment_counts(layout, [w for w, _ in members], [s for _, s in members]))
    return stats


def _unconstrained_energy(spec: LayerSpec) -> Fraction:
    """Σ_w E[x_w²] over one output's monomials of an unconstrained layer (triangular terms).

    Multisets of size d of n inputs are grouped by their multiplicity pattern λ (a partition
    of d with ℓ parts, m_j parts equal to j): n!/((n-ℓ)! Π m_j!) of them, each with
    E[x^{2m}] = Π (2λ_i - 1)!!.
    """
    total = Fraction(0)
    for degree in [spec.degree] + ([1] if spec.with_linear else []):
        for part in integer_partitions(degree):
            parts = sum(part.values())
            if parts > spec.n:
                continue
            count = math.perm(spec.n, parts) // math.prod(math.factorial(v) for v in part.values())
            total += count * _gaussian_moment([2 * size for size, mult in part.items() for _ in range(mult)])
    return total + (1 if spec.with_bias else 0)


def init_std(spec: LayerSpec, sol: Solution, stats, gain: float = 2.0) -> tuple[float, ...]:
    sigma2 = Fraction(gain) / _unconstrained_energy(spec)
    return tuple(
        math.sqrt(float(sigma2 * stats[c][0] / stats[c][1])) if stats[c][1] else 0.0 for c in sol.tying.free
    )


def interpolated_stats(spec: LayerSpec, base: Solution) -> list[tuple[Fraction, Fraction]]:
    """Class moments at n from the classes at small sizes (polynomials in n: :func:`moment_sizes`)."""
    sizes = moment_sizes(spec.degree)
    runs = []
    for m in sizes:
        small = small_n(spec, m)
        stats = class_stats(small.layout, small.tying)
        by_key = {class_key(p): stat for p, stat in zip(small.tying.patterns, stats)}
        runs.append([by_key[class_key(p)] for p in base.patterns])
    return [
        tuple(interpolate([(m, runs[i][c][part]) for i, m in enumerate(sizes)], spec.n) for part in (0, 1))
        for c in range(base.num_classes)
    ]


def pattern_families(spec: LayerSpec, sol: Solution) -> tuple[Family, ...]:
    """Equality-pattern tables read off the pattern path's classes."""
    perm = spec.output == "permutation"
    lay = sol.layout
    param_of = sol.free_index
    fams = []
    for f, fam in enumerate(lay.families):
        axes = ("k", "i", "j", "l")[: fam.degree + 1]
        points = axes if perm else axes[1:]
        pairs = tuple((a, b) for x, a in enumerate(points) for b in points[x + 1:])
        upper = tuple((t, t + 1) for t in range(1, len(axes) - 1))
        copies = 1 if perm else spec.outputs
        table = [[-1] * (2 ** len(pairs)) for _ in range(copies)]
        for c, p in enumerate(sol.patterns):
            if p.family_index != f:
                continue
            for q in p.orbit:
                table[0 if perm else p.output][pair_code(q)] = param_of[c]
        shape = (spec.outputs, *([spec.n] * (len(axes) - 1)))
        positions = tuple((axes.index(a), axes.index(b)) for a, b in pairs)
        fams.append(Family(fam.name, shape, positions, tuple(map(tuple, table)), not perm, upper))
    return tuple(fams)


def _orbit_sums(lay, tying):
    """Symbols x_0..x_{n-1} and Σ_{w ∈ c, output k} s_w x_idx(w) for every class c and output k."""
    import sympy

    xs = sympy.symbols(f"x0:{lay.n}")
    terms: dict[tuple, list] = {}
    for c, p in enumerate(tying.patterns):
        for w, s in tying.members(c):
            _, k, idx = lay.key(w)
            terms.setdefault((class_key(p), k), []).append(s * sympy.Mul(*[xs[i] for i in idx]))
    return xs, {key: sympy.Add(*t) for key, t in terms.items()}


def power_sum_mix(spec: LayerSpec, sol: Solution):
    """Each class's orbit sum in x_k and power sums, verified exactly at two sizes, then
    collected over classes: y_k = Σ_t (Σ_p θ_p mix[p][t][k]) term_t."""
    import sympy

    from .powersums import ONE, XK, evaluate_formula, fit_power_sums, power_symbol

    perm = spec.output == "permutation"
    fit_n = min(spec.n, PATTERN_N)
    check_sizes = [fit_n] + ([fit_n + 1] if spec.n > fit_n else [])
    gens = [XK] + [power_symbol(r) for r in range(1, spec.degree + 1)] + [ONE]
    orbit_sums = {size: _orbit_sums(small.layout, small.tying) for size in check_sizes
                  for small in [small_n(spec, size)]}
    lay = sol.layout
    pieces = []
    for c in range(sol.num_classes):
        _, k0, idx0 = lay.key(sol.representative(c))
        degree = len(idx0)
        formula = None
        for size in check_sizes:
            xs, sums = orbit_sums[size]
            orbit = sums.get((class_key(sol.patterns[c]), k0), sympy.Integer(0))
            xk = xs[k0] if perm else None
            if formula is None:
                formula = fit_power_sums(orbit, xs, xk, degree)
                if formula is None:
                    raise InvariantError(f"class {c} has no power-sum form; use the dense forward")
            if sympy.expand(evaluate_formula(formula, xs, xk, degree) - orbit) != 0:
                raise InvariantError(f"power-sum form of class {c} does not hold at n = {size}")
        pieces.append((sol.free_index[c], 0 if perm else k0, sympy.Poly(formula, *gens).as_dict()))
    monomials = sorted({m for _, _, d in pieces for m in d}, reverse=True)
    width = 1 if perm else spec.outputs
    mix = [[[0.0] * width for _ in monomials] for _ in range(sol.num_free)]
    for param, out, terms in pieces:
        for m, coeff in terms.items():
            mix[param][monomials.index(m)][out] += float(coeff)
    codes = tuple(sympy.pycode(sympy.Mul(*[g**e for g, e in zip(gens, m)])) for m in monomials)
    return codes, tuple(tuple(tuple(row) for row in p) for p in mix)
