"""Components of the variety, numerically: points sampled on V, grouped by what they are.

Two kinds of starting points, both reported with how often each component was hit:

* **random starts**: Gaussian weights pulled onto V by Levenberg–Marquardt on ‖E(w)‖²,
  finished by Gauss–Newton (minimum-norm steps) to a residual near float64 round-off;
* **constructed points**: for each latent representation R of the hidden layers (direct sums
  of the irreducible pieces of G acting on the hidden layer's polynomial space, found as the
  eigenspaces of a random symmetric element of the commutant), the weights making every layer
  R-equivariant form a linear space L_R (solved numerically); a random point of it, moved by a
  random element of the hidden GL, is a generic point of GL·L_R. The zero last layer is a
  constructed point too.

At each point: the local dimension P − rank ∂E/∂w (gap printed), the function rank
rank ∂c/∂w, the GL-orbit dimension, and the latent analysis (:mod:`.latent`), which gives the
kind: "degenerate" (the function is 0 or a hidden layer is effectively narrower: dependent
units or directions the next layer ignores), "layerwise" (every hidden layer equivariant for
a solved linear R) or "not-layerwise" (end-to-end equivariant while some hidden layer admits
no linear R; the residual is the witness). Points are grouped by (local dimension, kind,
latent characters, function rank). A constructed family whose own dimension is below the
local dimension lies inside a larger component (or V is not reduced there); it is reported
as a special family, not as a component.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from . import gauge
from .action import NetworkAction
from .dimension import Rank, null_space, numerical_rank
from .equations import NumericEquations
from .latent import LatentLayer, analyse, moved_columns

#: A point is on V when max |E(w)| ≤ this × max(1, max|w|)^(2^L − 1) (E has that degree in w).
ON_VARIETY_TOL = 1e-12
#: The function's coefficients (degree 2^L − 1 in w) and the last layer's weights (degree 1)
#: count as zero at or below this × max(1, max|w|) to that degree.
ZERO_TOL = 1e-9


def on_variety(eqs: NumericEquations, w) -> bool:
    degree = 2 ** eqs.spec.num_layers - 1
    return (float(np.max(np.abs(eqs.residual(w)), initial=0.0))
            <= ON_VARIETY_TOL * max(1.0, float(np.max(np.abs(w)))) ** degree)
#: At most this many latent-representation candidates are constructed.
MAX_CANDIDATES = 40


class _OnSpheres:
    """E(w) with ‖layer l‖² = r_l² appended: every layer's scale is a symmetry of V, so the
    spheres slice each component whose layers are nonzero, and keep Levenberg–Marquardt away
    from the singular point w = 0 where every component meets."""

    def __init__(self, eqs: NumericEquations, w0):
        self.eqs = eqs
        self.slices = eqs.net.slices
        self.radii = np.array([float(w0[s] @ w0[s]) for s in self.slices])

    def residual(self, w):
        return np.concatenate([self.eqs.residual(w), [float(w[s] @ w[s]) for s in self.slices] - self.radii])

    def residual_and_jacobian(self, w):
        E, J = self.eqs.residual_and_jacobian(w)
        extra = np.zeros((len(self.slices), len(w)))
        for i, s in enumerate(self.slices):
            extra[i, s] = 2 * w[s]
        return (np.concatenate([E, [float(w[s] @ w[s]) for s in self.slices] - self.radii]), np.vstack([J, extra]))


def pull_onto(eqs: NumericEquations, w0: np.ndarray, max_iter: int = 300,
              spheres: bool = True) -> tuple[np.ndarray, float]:
    """Levenberg–Marquardt on ½‖E(w)‖² (on the layers' spheres), then Gauss–Newton; (point, max |E|)."""
    w = np.array(w0, dtype=float)
    system = _OnSpheres(eqs, w) if spheres else eqs
    lam = 1e-3
    E, J = system.residual_and_jacobian(w)
    cost = float(E @ E)
    for _ in range(max_iter):
        if np.max(np.abs(E), initial=0.0) <= 1e-9:
            break
        g = J.T @ E
        H = J.T @ J
        step = np.linalg.solve(H + lam * (np.diag(np.diag(H)) + 1e-12 * np.eye(len(w))), -g)
        trial = w + step
        Et = system.residual(trial)
        ct = float(Et @ Et)
        if ct < cost:
            w, cost, lam = trial, ct, max(lam / 3, 1e-12)
            E, J = system.residual_and_jacobian(w)
        else:
            lam *= 4
            if lam > 1e12:
                break
    for _ in range(20):  # Gauss–Newton, minimum-norm steps: quadratic convergence at smooth points
        err = np.max(np.abs(E), initial=0.0)
        if err <= 1e-15 * max(1.0, np.max(np.abs(w))):
            break
        step = np.linalg.lstsq(J, -E, rcond=1e-10)[0]
        trial = w + step
        Et = system.residual(trial)
        if np.max(np.abs(Et), initial=0.0) >= err:
            break
        w = trial
        E, J = system.residual_and_jacobian(w)
    return w, float(np.max(np.abs(eqs.residual(w)), initial=0.0))


@dataclass(frozen=True)
class PointAnalysis:
    w: np.ndarray
    residual: float
    local: Rank  # rank of ∂E/∂w
    local_dim: int
    function: Rank  # rank of ∂c/∂w
    orbit_dim: int
    latent: tuple[LatentLayer, ...]
    kind: str
    reason: str
    end_to_end_error: float  # max |f(g·x) − ρ(g) f(x)| on random x, relative to max |f|


def end_to_end_error(eqs: NumericEquations, w, action: NetworkAction, rng, points: int = 16) -> float:
    """max |f(g·x) − ρ(g) f(x)| / max(1, max |f|) over random group elements (random words, not
    only generators) and standard normal x, by the one equivariance error of
    :mod:`invariant.equivariance` (NaN when the network's output is not finite)."""
    from ..equivariance import equivariance_error, words

    measured = equivariance_error(lambda X: eqs.net.forward(w, X), words(action.pairs, eqs.spec.n, eqs.spec.widths[-1]),
                                  rng, trials=12, batch=points)
    return measured.error / max(1.0, measured.scale) if measured.finite else float("nan")


def analyse_point(eqs: NumericEquations, w, action: NetworkAction, rng) -> PointAnalysis:
    E, J = eqs.residual_and_jacobian(w)
    local = numerical_rank(J)
    tangent = null_space(J, local.rank)
    dc = eqs.function_jacobian(w)
    dc_scale = float(np.linalg.norm(dc, 2)) if dc.size else None
    function = numerical_rank(dc @ tangent, scale=dc_scale)
    orbit = numerical_rank(gauge.orbit_tangent(eqs.net, w)).rank
    latent = tuple(analyse(eqs.net, w, action))
    c = eqs.net.coefficients(w)
    spec = eqs.spec
    last = w[eqs.net.slices[-1]]
    scale = max(1.0, float(np.max(np.abs(w))))
    tiny = ZERO_TOL * scale ** (2 ** spec.num_layers - 1)
    nonconstant = np.array([sum(e) > 0 for e in eqs.net.output_basis] * spec.outputs)
    # A kind names the component, not the point: the function is 0 (or constant) near w on V,
    # i.e. at w and to first order along V (rank 0 on the tangent space). A point where the
    # functions of a larger family merely pass through 0 is classified by what else it is.
    zero = np.max(np.abs(c)) <= tiny and function.rank == 0
    constant = (np.max(np.abs(c[nonconstant]), initial=0.0) <= tiny
                and numerical_rank(dc[nonconstant] @ tangent, scale=dc_scale).rank == 0)
    if zero:
        kind = "degenerate"
        # The last layer's weights are zero to the same relative tolerance as the function: a
        # point a round-off away from {last layer = 0} is a point of that component, not of
        # another one that computes 0.
        reason = "zero last layer" if np.max(np.abs(last)) <= ZERO_TOL * scale else "the network computes 0"
    elif constant:
        kind, reason = "degenerate", "the network computes a constant"
    elif any(layer.effective_width < layer.width for layer in latent):
        kind = "degenerate"
        widths = (spec.n, *(layer.effective_width for layer in latent), spec.outputs)
        reason = "effective widths " + ",".join(map(str, widths))
    elif all(layer.equivariant for layer in latent):
        how = "an affine" if spec.with_linear and spec.with_bias else "a linear"
        kind, reason = "layerwise", f"every hidden layer equivariant for {how} latent action" if latent else "one layer"
    else:
        worst = max(layer.residual for layer in latent)
        stab = [layer.stabilizer_order for layer in latent if not layer.equivariant]
        how = "affine" if spec.with_linear and spec.with_bias else "linear"
        kind, reason = "not-layerwise", f"no {how} latent action: residual {worst:.2e}"
        if stab and all(o is not None for o in stab):
            reason += "; hidden layers equivariant only for subgroups of order " + ", ".join(map(str, stab))
    return PointAnalysis(
        w=np.asarray(w), residual=float(np.max(np.abs(E), initial=0.0)), local=local,
        local_dim=eqs.num_weights - local.rank, function=function, orbit_dim=orbit, latent=latent,
        kind=kind, reason=reason, end_to_end_error=end_to_end_error(eqs, w, action, rng),
    )


# ----------------------------------------------------------------------------------------
# Constructed points: latent representations from the irreducible pieces of the hidden layers.


def _elements(spec, action: NetworkAction) -> list[tuple[int, ...]]:
    from ..groups.permutation_groups import sympy_group

    return [tuple(p.array_form) for p in sympy_group(spec.n, tuple(g for g, _, _ in action.pairs)).generate()]


def _q_matrix(basis, g) -> np.ndarray:
    perm = moved_columns(basis, g)
    Q = np.zeros((len(basis), len(basis)))
    Q[np.arange(len(basis)), perm] = 1.0
    return Q


@dataclass(frozen=True)
class Irreducible:
    """An irreducible piece: its character on class representatives, matrices for the generators, multiplicity."""

    character: tuple[int, ...]
    generators: tuple[np.ndarray, ...]
    multiplicity: int

    @property
    def dim(self) -> int:
        return self.generators[0].shape[0] if self.generators else 1


def irreducible_pieces(basis, action: NetworkAction, elements, rng) -> list[Irreducible]:
    """Split G's action on the monomials ``basis`` into irreducibles (commutant eigenspaces)."""
    Qs = [_q_matrix(basis, g) for g in elements]
    Y = rng.standard_normal((len(basis), len(basis)))
    Y = Y + Y.T
    X = sum(Q @ Y @ Q.T for Q in Qs) / len(Qs)
    vals, vecs = np.linalg.eigh(X)
    groups: list[list[int]] = []
    scale = max(1.0, np.max(np.abs(vals)))
    for i, v in enumerate(vals):
        if groups and abs(v - vals[groups[-1][-1]]) <= 1e-8 * scale:
            groups[-1].append(i)
        else:
            groups.append([i])
    found: dict[tuple[int, ...], list] = {}
    for idx in groups:
        E = vecs[:, idx]
        chars = []
        for rep, _ in action.classes:
            chars.append(round(float(np.trace(E.T @ _q_matrix(basis, rep) @ E))))
        gens = tuple(E.T @ _q_matrix(basis, g) @ E for g, _, _ in action.pairs)
        entry = found.setdefault(tuple(chars), [gens, 0])
        entry[1] += 1
    return [Irreducible(ch, gens, mult) for ch, (gens, mult) in found.items()]


def _latent_candidates(width: int, pieces: list[Irreducible]):
    """Multisets of irreducibles of total dimension ``width`` (multiplicity ≤ available)."""
    def rec(i, left):
        if left == 0:
            yield ()
            return
        if i == len(pieces):
            return
        p = pieces[i]
        for k in range(min(p.multiplicity, left // p.dim), -1, -1):
            for rest in rec(i + 1, left - k * p.dim):
                yield ((i, k),) * (k > 0) + rest

    yield from rec(0, width)


def _block(pieces, combo, gen_index: int) -> np.ndarray:
    blocks = [pieces[i].generators[gen_index] for i, k in combo for _ in range(k)]
    size = sum(b.shape[0] for b in blocks)
    out = np.zeros((size, size))
    at = 0
    for b in blocks:
        d = b.shape[0]
        out[at : at + d, at : at + d] = b
        at += d
    return out


def _layer_output(net, l, theta, Z):
    """Layer l's output on inputs Z (points × width_l) for the layer's weight segment theta."""
    w = np.zeros(net.num_weights)
    w[net.slices[l]] = theta
    W, B, C = net._layer_params(l, w)
    a = net.spec.widths[l]
    I, J = np.triu_indices(a)
    out = (Z[:, I] * Z[:, J]) @ W.T
    if B is not None:
        out = out + Z @ B.T
    if C is not None:
        out = out + C
    return out


def equivariant_layer_space(net, l, R_in, R_out, rng) -> np.ndarray:
    """Orthonormal basis (columns) of layer l's weights with o(R_in(g) z) = R_out(g) o(z) ∀ z, g."""
    size = net.slices[l].stop - net.slices[l].start
    if not R_in:  # the trivial group (no generators left): every weight is equivariant
        return np.eye(size)
    a = net.spec.widths[l]
    Z = rng.standard_normal((3 * (a * (a + 1) // 2 + a + 1), a))
    cols, scale = [], 1.0
    for p in range(size):
        theta = np.zeros(size)
        theta[p] = 1.0
        base = _layer_output(net, l, theta, Z)
        scale = max(scale, float(np.max(np.abs(base))))
        parts = [(_layer_output(net, l, theta, Z @ Rin.T) - base @ Rout.T).ravel() for Rin, Rout in zip(R_in, R_out)]
        cols.append(np.concatenate(parts))
    M = np.array(cols).T
    s = np.linalg.svd(M, compute_uv=False)
    rank = int(np.sum(s > 1e-9 * scale))
    _, _, vt = np.linalg.svd(M, full_matrices=True)
    return vt[rank:].T


@dataclass
class ConstructedFamily:
    """Constructed points of one kind (latent candidate or the zero last layer)."""

    label: str
    point: np.ndarray
    dimension: int  # dimension of the constructed family GL·L_R (numerically, rank of its tangent)


def constructed_families(eqs: NumericEquations, action: NetworkAction, rng) -> list[ConstructedFamily]:
    net, spec = eqs.net, eqs.spec
    families: list[ConstructedFamily] = []
    # The zero last layer: every earlier layer free.
    w = rng.standard_normal(net.num_weights)
    w[net.slices[-1]] = 0.0
    families.append(ConstructedFamily("zero last layer", w,
                                      net.num_weights - (net.slices[-1].stop - net.slices[-1].start)))
    if spec.num_layers == 1:
        return families
    elements = _elements(spec, action)
    n = spec.n
    R0 = []
    for g, _, _ in action.pairs:
        P = np.zeros((n, n))
        P[list(g), list(range(n))] = 1.0  # (g·x)_{g(j)} = x_j
        R0.append(P)
    RL = []
    for _, pi, s in action.pairs:
        m = spec.outputs
        P = np.zeros((m, m))
        P[list(pi), list(range(m))] = float(s)
        RL.append(P)
    per_layer = []
    for l in range(1, spec.num_layers):
        pieces = irreducible_pieces(net.bases[l], action, elements, rng)
        per_layer.append([(pieces, combo) for combo in _latent_candidates(spec.widths[l], pieces)])
    for choice in itertools.islice(itertools.product(*per_layer), MAX_CANDIDATES):
        Rs = [R0] + [[_block(pieces, combo, i) for i in range(len(action.pairs))] for pieces, combo in choice] + [RL]
        w = np.zeros(net.num_weights)
        bases = []
        for l in range(spec.num_layers):
            basis = equivariant_layer_space(net, l, Rs[l], Rs[l + 1], rng)
            full = np.zeros((net.num_weights, basis.shape[1]))
            full[net.slices[l]] = basis
            bases.append(full)
            w[net.slices[l]] = basis @ rng.standard_normal(basis.shape[1])
        tangent = np.hstack(bases + [gauge.orbit_tangent(net, w)])
        dim = numerical_rank(tangent).rank
        label = " | ".join(_label(pieces, combo, action) for pieces, combo in choice)
        families.append(ConstructedFamily(f"layerwise for R = {label}", gauge.random_gl(net, w, rng), dim))
    return families


def _label(pieces, combo, action) -> str:
    parts = []
    for i, k in combo:
        ch = pieces[i].character
        name = _irrep_name(ch, action)
        parts.append(name if k == 1 else f"{k}·{name}")
    return " + ".join(parts) or "0"


def _irrep_name(character, action) -> str:
    if action.family == "symmetric":
        from .latent import decompose_symmetric

        n = len(action.classes[0][0])
        dec = decompose_symmetric(n, action.classes, character)
        if len(dec) == 1 and next(iter(dec.values())) == 1:
            return "χ" + next(iter(dec))
    return "χ(" + ",".join(map(str, character)) + ")"


# ----------------------------------------------------------------------------------------


@dataclass
class Component:
    """A group of points with the same local dimension, kind, latent characters and function rank."""

    dimension: int
    kind: str
    reason: str
    latent: tuple[LatentLayer, ...]
    function_dim: int
    orbit_dim: int
    example: PointAnalysis
    sources: dict[str, int] = field(default_factory=dict)
    constructed_dim: int | None = None
    generic: bool = True

    @property
    def latent_character(self):
        if self.kind != "layerwise" or not self.latent:
            return None
        return [list(layer.character) for layer in self.latent]


def _key(a: PointAnalysis):
    chars = tuple(layer.character for layer in a.latent) if a.kind == "layerwise" else ()
    return (a.local_dim, a.kind, chars, a.reason if a.kind == "degenerate" else "")


def find_components(eqs: NumericEquations, action: NetworkAction, starts: int, seed: int):
    """Random starts and constructed points, analysed and grouped; (components, special families, points)."""
    rng = np.random.default_rng(seed)
    groups: dict[tuple, Component] = {}
    special: list[tuple[ConstructedFamily, PointAnalysis]] = []
    analyses = []
    rejected = 0

    def add(a: PointAnalysis, source: str, constructed: int | None = None):
        key = _key(a)
        comp = groups.get(key)
        if comp is None:
            comp = groups[key] = Component(
                a.local_dim, a.kind, a.reason, a.latent, a.function.rank, a.orbit_dim, a, {}, constructed,
            )
        comp.sources[source] = comp.sources.get(source, 0) + 1
        if a.function.rank > comp.function_dim:  # the function rank is generic at most points: keep the largest
            comp.function_dim, comp.example = a.function.rank, a
        if constructed is not None:
            comp.constructed_dim = constructed

    for family in constructed_families(eqs, action, rng):
        if not on_variety(eqs, family.point):
            continue  # the linear solve gave nothing usable (should not happen)
        if not np.any(family.point):
            continue
        a = analyse_point(eqs, family.point, action, rng)
        analyses.append(a)
        if family.dimension < a.local_dim:
            special.append((family, a))
        else:
            add(a, family.label, family.dimension)
    for _ in range(starts):
        w0 = rng.standard_normal(eqs.num_weights)
        w, _ = pull_onto(eqs, w0)
        if not on_variety(eqs, w):
            rejected += 1
            continue
        a = analyse_point(eqs, w, action, rng)
        if not a.local.sharp:
            rejected += 1  # not converged to round-off, or a singular point: the rank is not clear
            continue
        analyses.append(a)
        add(a, "random start")
    if not groups:  # nothing away from the origin: V is the point 0 (or nothing else was found)
        a = analyse_point(eqs, np.zeros(eqs.num_weights), action, rng)
        add(a, "the origin")
    comps = sorted(groups.values(), key=lambda c: (-c.dimension, c.kind, -c.function_dim))
    return comps, special, rejected
