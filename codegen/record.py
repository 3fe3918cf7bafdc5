"""The explicit record between the solver and the templates (as e3nn's Instructions).

:func:`build_record` turns a spec into a :class:`LayerRecord` of plain values: numbers,
lists and code strings. Templates only place them; every decision and every formula is made
here.

Weight map θ → dense tensors (W of shape (M, n, n) or (M, n), B (M, n), C (M,)):

* ``"triples"``: sparse (flat position, parameter, coefficient) lists, any group;
* ``"patterns"``: S_n with permutation or trivial outputs, triangular weights. The class of
  W[k,i,j] depends only on which of its indices are equal, so a table indexed by that
  equality pattern gives the parameter; it is read off a derivation at n_p = min(n, 7), where
  every pattern occurs, and its count is checked against the character formula at n.

Forwards: ``"power_sums"`` (S_n: each class's orbit sum in x_k and p_r = Σ x_i^r, fitted with
SymPy), ``"cyclic"`` (C_n: circular correlation by FFT), ``"dense"`` otherwise.

Initialization (variance preserving, He-like): with x ~ N(0, I), an unconstrained layer with
weights N(0, σ²), σ² = gain / Σ_w E[x_w²], has Var y_k = gain. A tied parameter θ_c multiplies
the orbit sum S_c; drawing θ_c ~ N(0, σ² M_c / E[S_c²]), M_c = Σ_{w∈c} E[x_w²], gives the
same Var y_k (exact for equality-tied layers; with additive constraints, per free class).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.utilities.iterables import partitions

from invariant import __version__
from invariant.api import derive
from invariant.errors import InvariantError
from invariant.groups import describe_order
from invariant.solution import Solution
from invariant.spec import LayerSpec

from .powersums import ONE, XK, evaluate_formula, fit_power_sums, power_symbol

#: Power sums are fitted on a derivation at this many points (every pattern of k, i, j, l occurs).
PATTERN_N = 7
#: Explicit triples are emitted up to this many weights.
MAX_TRIPLES = 2_000_000



@dataclass(frozen=True)
class Family:
    """How one weight family (W, B or C) is laid out and built from θ by patterns."""

    name: str
    shape: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]  # axis positions compared for the equality pattern
    table: tuple[tuple[int, ...], ...]  # [output copy or 0][pattern code] -> parameter or -1
    per_output: bool
    upper: tuple[tuple[int, int], ...]  # axis positions that must be ordered (sorted tuples)


@dataclass(frozen=True)
class LayerRecord:
    header: str
    class_name: str
    spec: str
    sha256: str
    version: str
    doc: tuple[str, ...]
    n: int
    outputs: int
    degree: int
    with_linear: bool
    with_bias: bool
    num_free: int
    num_weights: int
    generator_pairs: tuple[tuple[tuple[int, ...], tuple[int, ...], int], ...]
    init_std: tuple[float, ...]
    weight_map: str
    w_shape: tuple[int, ...]
    b_shape: tuple[int, ...]
    c_shape: tuple[int, ...]
    offsets: tuple[int, int, int, int]
    triple_pos: tuple[int, ...]
    triple_param: tuple[int, ...]
    triple_coeff: tuple[float, ...]
    families: tuple[Family, ...]
    forward: str
    einsum_forward: str
    einsum_grad_w: str
    einsum_grad_x: str
    slot_perms: tuple[tuple[int, ...], ...]  # W.permute(p) brings each input slot to position 1
    max_power: int
    terms: tuple[str, ...]  # power-sum monomials (code) that the forward sums
    mix: tuple[tuple[tuple[float, ...], ...], ...]  # [param][term][output or 0]: y = Σ θ mix term
    per_position: bool  # permutation outputs: terms are (..., n); trivial: (..., 1) mixed to M outputs
    cyclic_w0: tuple[int, ...]  # for the cyclic forward: indices of the triples of output 0's rows
    output_kind: str


def class_name(spec: LayerSpec) -> str:
    """A readable Python class name, e.g. ``QuadraticSymmetric8``."""
    words = re.split(r"[-_]", spec.layer) + ([spec.group] if spec.group != "custom" else ["Custom"])
    extra = {"trivial": "Invariant", "sign": "Sign", "custom": "CustomOut"}.get(spec.output, "")
    return "".join(w.capitalize() for w in words) + extra + str(spec.n)


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


def _moment_counts(sol: Solution, members, signs) -> tuple[Fraction, Fraction]:
    """(M_c, E[S_c²]) over the members at the representative's output, x ~ N(0, I).

    M_c = Σ_w E[x_w²]; S_c = Σ_m a_m x^m grouping members by monomial, and
    E[S_c²] = Σ_{m, m'} a_m a_m' E[x^m x^m'] (Gaussian moments, Isserlis).
    """
    lay = sol.layout
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


def _class_stats(sol: Solution) -> list[tuple[Fraction, Fraction]]:
    stats = []
    for c in range(sol.num_classes):
        members = sol.members(c)
        stats.append(_moment_counts(sol, [w for w, _ in members], [s for _, s in members]))
    return stats


def _unconstrained_energy(spec: LayerSpec) -> Fraction:
    """Σ_w E[x_w²] over one output's monomials of an unconstrained layer (triangular terms).

    Multisets of size d of n inputs are grouped by their multiplicity pattern λ (a partition
    of d with ℓ parts, m_j parts equal to j): n!/((n-ℓ)! Π m_j!) of them, each with
    E[x^{2m}] = Π (2λ_i - 1)!!.
    """
    total = Fraction(0)
    for degree in [spec.degree] + ([1] if spec.with_linear else []):
        for part in partitions(degree):
            parts = sum(part.values())
            if parts > spec.n:
                continue
            count = math.perm(spec.n, parts) // math.prod(math.factorial(v) for v in part.values())
            total += count * _gaussian_moment([2 * size for size, mult in part.items() for _ in range(mult)])
    return total + (1 if spec.with_bias else 0)


def _init_std(spec: LayerSpec, sol: Solution, stats, gain: float = 2.0) -> tuple[float, ...]:
    sigma2 = Fraction(gain) / _unconstrained_energy(spec)
    return tuple(
        math.sqrt(float(sigma2 * stats[c][0] / stats[c][1])) if stats[c][1] else 0.0 for c in sol.tying.free
    )


def _pattern_key(sol: Solution, c: int) -> tuple:
    """What identifies a pattern-path class across n: (family, output, pattern)."""
    p = sol.patterns[c]
    return p.family_index, p.output, p.blocks


def _interpolated_stats(spec: LayerSpec, base: Solution) -> list[tuple[Fraction, Fraction]]:
    """Class moments at n from derivations at three small sizes (they are polynomials in n)."""
    sizes = [PATTERN_N, PATTERN_N + 1, PATTERN_N + 2]
    runs = []
    for m in sizes:
        small = derive(spec.at_n(m))
        by_key = {_pattern_key(small, c): stat for c, stat in enumerate(_class_stats(small))}
        runs.append([by_key[_pattern_key(base, c)] for c in range(base.num_classes)])
    t = sympy.Symbol("t")
    out = []
    for c in range(base.num_classes):
        vals = []
        for part in (0, 1):
            poly = sympy.interpolate([(m, runs[i][c][part]) for i, m in enumerate(sizes)], t)
            vals.append(Fraction(str(poly.subs(t, spec.n))))
        out.append(tuple(vals))
    return out


def _families(spec: LayerSpec, sol: Solution) -> tuple[Family, ...]:
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
                value = dict(zip(points, q))
                code = sum(1 << t for t, (a, b) in enumerate(pairs) if value[a] == value[b])
                table[0 if perm else p.output][code] = param_of[c]
        shape = (spec.outputs, *([spec.n] * (len(axes) - 1)))
        positions = tuple((axes.index(a), axes.index(b)) for a, b in pairs)
        fams.append(Family(fam.name, shape, positions, tuple(map(tuple, table)), not perm, upper))
    return tuple(fams)


def _orbit_sums(sol: Solution):
    """Symbols x_0..x_{n-1} and Σ_{w ∈ c, output k} s_w x_idx(w) for every class c and output k."""
    xs = sympy.symbols(f"x0:{sol.spec.n}")
    lay = sol.layout
    terms: dict[tuple[int, int], list] = {}
    for c in range(sol.num_classes):
        for w, s in sol.members(c):
            _, k, idx = lay.key(w)
            terms.setdefault((_pattern_key(sol, c), k), []).append(s * sympy.Mul(*[xs[i] for i in idx]))
    return xs, {key: sympy.Add(*t) for key, t in terms.items()}


def _power_sum_mix(spec: LayerSpec, sol: Solution):
    """Each class's orbit sum in x_k and power sums, verified exactly at two sizes, then
    collected over classes: y_k = Σ_t (Σ_p θ_p mix[p][t][k]) term_t."""
    perm = spec.output == "permutation"
    fit_n = min(spec.n, PATTERN_N)
    check_sizes = [fit_n] + ([fit_n + 1] if spec.n > fit_n else [])
    gens = [XK] + [power_symbol(r) for r in range(1, spec.degree + 1)] + [ONE]
    orbit_sums = {size: _orbit_sums(derive(spec.at_n(size))) for size in check_sizes}
    lay = sol.layout
    pieces = []
    for c in range(sol.num_classes):
        f, k0, idx0 = lay.key(sol.representative(c))
        degree = len(idx0)
        formula = None
        for size in check_sizes:
            xs, sums = orbit_sums[size]
            orbit = sums.get((_pattern_key(sol, c), k0), sympy.Integer(0))
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


def choose_forward(spec: LayerSpec) -> str:
    """``power_sums`` for S_n (permutation/trivial outputs), ``cyclic`` for C_n, else ``dense``."""
    vector = spec.input_order == 1 and spec.output_order <= 1 and spec.in_channels == spec.out_channels == 1
    if spec.param == "triangular" and not spec.layer.startswith("folded") and vector:
        if spec.group == "symmetric" and spec.output in ("permutation", "trivial"):
            return "power_sums"
        if spec.group == "cyclic" and spec.output == "permutation" and spec.degree <= 2:
            return "cyclic"
    return "dense"


def build_record(spec: LayerSpec, method: str = "auto") -> LayerRecord:
    """Derive, prove and flatten everything a generated module needs."""
    if spec.input_order != 1 or spec.output_order > 1 or spec.in_channels != 1 or spec.out_channels != 1:
        raise InvariantError("tensor orders and channels are emitted by the tensor template (symmetric group)")
    forward = choose_forward(spec)
    sol = derive(spec, method="pattern" if forward == "power_sums" and method == "auto" else method)
    if not sol.action.is_representation:
        raise InvariantError(
            f"the output rule is not a representation ({sol.action.witness}); "
            + (sol.action.suggestion or "no equivariant module can be emitted for it")
        )
    if forward == "power_sums":
        families = _families(spec, sol)
        terms, mix = _power_sum_mix(spec, sol)
        stats = _interpolated_stats(spec, sol) if spec.n > PATTERN_N else _class_stats(sol)
        weight_map = "patterns"
        triples: list = []
    else:
        if sol.num_weights > MAX_TRIPLES:
            raise InvariantError(f"{sol.num_weights} weights are too many to emit for this group (limit {MAX_TRIPLES}); use a smaller n")
        families, terms, mix, stats = (), (), (), _class_stats(sol)
        weight_map = "triples"
        triples = sol.expansion()
    n, m = spec.n, spec.outputs
    w_shape = (m,) + (n,) * spec.degree
    b_shape = (m, n) if spec.with_linear else (0,)
    c_shape = (m,) if spec.with_bias else (0,)
    sizes = [math.prod(w_shape), math.prod(b_shape) if spec.with_linear else 0, m if spec.with_bias else 0]
    offsets = (0, sizes[0], sizes[0] + sizes[1], sum(sizes))
    lay = sol.layout
    pos, par, coef = [], [], []
    for w, p, a in triples:
        f, k, idx = lay.key(w)
        family = lay.families[f].name
        if family == "W":
            flat = k * n**spec.degree + sum(i * n ** (spec.degree - 1 - t) for t, i in enumerate(idx))
        elif family == "B":
            flat = offsets[1] + k * n + idx[0]
        else:
            flat = offsets[2] + k
        pos.append(flat)
        par.append(p)
        coef.append(float(a))
    cyclic_w0 = ()
    if forward == "cyclic":  # the triples that build output 0's row of W, B and C
        row = math.prod(w_shape[1:])
        cyclic_w0 = tuple(
            t for t, p in enumerate(pos)
            if p < row or offsets[1] <= p < offsets[1] + n or p == offsets[2]
        )
    num_weights = _count_weights(spec) if spec.param == "triangular" else sol.num_weights
    doc = _doc_lines(spec, sol, forward, weight_map, num_weights)
    header = f"# @generated by invariant {__version__} | spec: {spec} | sha256: {spec.sha256}"
    return LayerRecord(
        header=header, class_name=class_name(spec), spec=str(spec), sha256=spec.sha256, version=__version__,
        doc=doc, n=n, outputs=m, degree=spec.degree, with_linear=spec.with_linear, with_bias=spec.with_bias,
        num_free=sol.num_free, num_weights=num_weights,
        generator_pairs=tuple((tuple(g), tuple(pi), s) for g, pi, s in sol.problem.action.pairs),
        init_std=_init_std(spec, sol, stats), weight_map=weight_map, w_shape=w_shape, b_shape=b_shape,
        c_shape=c_shape, offsets=offsets, triple_pos=tuple(pos), triple_param=tuple(par), triple_coeff=tuple(coef),
        families=families, forward=forward, **_einsums(spec.degree), max_power=spec.degree, terms=terms, mix=mix,
        per_position=spec.output == "permutation", cyclic_w0=cyclic_w0,
        output_kind=spec.output,
    )


def _einsums(degree: int) -> dict:
    """Dense forward and explicit-backward contractions for a degree-d main term."""
    letters = "ijl"[:degree]
    xs = ",".join("b" + c for c in letters)
    rest = ",".join("b" + c for c in letters[1:])
    return {
        "einsum_forward": f"k{letters},{xs}->bk",
        "einsum_grad_w": f"bk,{xs}->k{letters}",
        "einsum_grad_x": f"bk,kp{letters[1:]}" + (f",{rest}" if rest else "") + "->bp",
        "slot_perms": tuple(
            tuple([0, 1 + t] + [1 + u for u in range(degree) if u != t]) for t in range(degree)
        ),
    }


def _count_weights(spec: LayerSpec) -> int:
    n, m = spec.n, spec.outputs
    main = m * math.comb(n + spec.degree - 1, spec.degree)
    return main + (m * n if spec.with_linear else 0) + (m if spec.with_bias else 0)


def _doc_lines(spec: LayerSpec, sol: Solution, forward: str, weight_map: str, num_weights: int) -> tuple[str, ...]:
    group = sol.problem.group
    lines = [
        f"Spec: {spec}",
        f"Group: {group} (order {describe_order(group)}); output action: {spec.output}.",
        f"Free parameters: {sol.num_free} (function dimension {sol.function_dim}); "
        f"weights: {num_weights}.",
        f"Forward: {forward}; weights built from parameters by {weight_map}.",
    ]
    if sol.num_classes <= 16:
        lines.append("Classes (size: representative):")
        for c in range(sol.num_classes):
            lines.append(f"  {c}: {sol.class_size(c)}: {sol.weight_name(sol.representative(c))}")
    if sol.tying.dependent:
        lines.append(f"Dependent classes: {len(sol.tying.dependent)} (additive constraints, see invariant derive).")
    if sol.gauge:
        lines.append(f"Gauge: {len(sol.gauge)} parameter directions do not change the function.")
    return tuple(lines)
