"""``variety``: a network spec in, a :class:`VarietyReport` out (see :mod:`invariant.networks`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvariantError
from . import gauge
from .action import NetworkAction, network_action
from .dimension import Rank
from .equations import Equations, NumericEquations, equations
from .exact import ExactResult, _first_layer_rows, exact_dimension
from .function_space import all_equivariant, layerwise_network
from .polynomial import weight_names
from .sampling import Component, find_components
from .spec import VarietySpec

#: Time budget of the exact path (seconds, enforced by killing Singular); also the largest accepted.
EXACT_BUDGET = 60.0
#: Random starts of the numerical path.
DEFAULT_STARTS = 24
#: At most this many random starts.
MAX_STARTS = 500
#: Seeds are 32-bit (as for ``invariant check``).
MAX_SEED = 2**32 - 1

GL_NOTE = (
    "hidden GL symmetry: the neurons have no activation, so an invertible M on a hidden layer "
    "(with the next layer's quadratic forms transformed back) leaves the function unchanged; "
    "every component is GL-stable, latent actions are linear representations, and function "
    "dimensions (rank of weights → output coefficients on the tangent space) count GL orbits once"
)


@dataclass(frozen=True)
class VarietyReport:
    spec: VarietySpec
    weights: tuple[str, ...]
    equations: Equations
    action: NetworkAction
    exact: ExactResult
    numerical_dim: int
    numerical_rank: Rank | None
    components: tuple[Component, ...]
    special: tuple  # (ConstructedFamily, PointAnalysis): constructed families inside larger components
    rejected_starts: int
    starts: int
    layerwise_dim: int | None
    layerwise_rank: Rank | None
    layerwise_desc: str
    all_equivariant: int
    prime_matches: tuple = ()  # for each exact open-cell prime: index of the matched component or None
    timings: dict = field(default_factory=dict)

    @property
    def num_weights(self) -> int:
        return len(self.weights)

    @property
    def agree(self) -> bool | None:
        return None if self.exact.dimension is None else self.exact.dimension == self.numerical_dim

    @property
    def variety_function_dim(self) -> int:
        return max((c.function_dim for c in self.components), default=0)


def variety(spec: VarietySpec, *, starts: int = DEFAULT_STARTS, seed: int = 0, exact: bool = True,
            budget: float = EXACT_BUDGET) -> VarietyReport:
    """Equations, dimension (exact and numerical), components and function spaces of V.

    Bad arguments are refused before any work, in one line that names the argument (the CLI
    names it as its flag): ``starts`` an int in 0..500, ``seed`` an int in 0..2^32 − 1,
    ``exact`` a bool, ``budget`` a number of seconds in (0, 60].
    """
    check_arguments(spec, starts=starts, seed=seed, exact=exact, budget=budget)
    timings = {}
    t0 = time.perf_counter()
    action = network_action(spec)
    if not action.is_representation:
        raise InvariantError(f"the output rule is not an action of the input group: {action.witness}")
    eqs = equations(spec)
    timings["equations"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex = exact_dimension(eqs, budget) if exact else ExactResult(None, 0.0, "not requested", 0, 0, None)
    timings["exact"] = ex.seconds
    t0 = time.perf_counter()
    neq = NumericEquations(spec)
    comps, special, rejected = find_components(neq, action, starts, seed)
    # Constructed families inside larger components are left out: their points can be singular
    # (a zero middle layer makes ∂E/∂w vanish), where P − rank is not a dimension.
    numerical = max(c.dimension for c in comps)
    best = next((c for c in comps if c.dimension == numerical), None)
    timings["numerical"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lw = layerwise_network(spec, action, seed)
    alleq = all_equivariant(spec)
    timings["function_spaces"] = time.perf_counter() - t0
    matches = _match_primes(spec, neq, ex, comps)
    if matches and any(m is None for m in matches):
        # Real points of the primes no sampled point lies on: solve the prime's generators by
        # least squares in the open cell, analyse the point, add it as a component.
        t0 = time.perf_counter()
        comps = _add_prime_points(spec, neq, action, ex, matches, comps, seed)
        timings["prime_points"] = time.perf_counter() - t0
        matches = _match_primes(spec, neq, ex, comps)
    return VarietyReport(
        spec=spec, weights=weight_names(spec), equations=eqs, action=action, exact=ex,
        numerical_dim=numerical, numerical_rank=best.example.local if best else None,
        components=tuple(comps), special=tuple(special), rejected_starts=rejected, starts=starts,
        layerwise_dim=lw[0], layerwise_rank=lw[1], layerwise_desc=lw[2], all_equivariant=alleq,
        prime_matches=matches, timings=timings,
    )


def check_arguments(spec, *, starts, seed, exact, budget) -> None:
    """Refuse what :func:`variety` cannot run, in one line naming the argument."""
    if not isinstance(spec, VarietySpec):
        raise InvariantError(f"variety takes a VarietySpec, got {type(spec).__name__}")
    if isinstance(starts, bool) or not isinstance(starts, int) or not 0 <= starts <= MAX_STARTS:
        raise InvariantError(f"starts must be an integer in 0..{MAX_STARTS}, got {starts!r:.40}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvariantError(f"seed must be an integer from 0 to 2**32 - 1, got {seed!r:.40}")
    if not isinstance(exact, bool):
        raise InvariantError(f"exact must be a bool (True or False), got {exact!r:.40}")
    if isinstance(budget, bool) or not isinstance(budget, (int, float)):
        raise InvariantError(f"budget must be a number of seconds, got {budget!r:.40}")
    if not 0 < budget <= EXACT_BUDGET:  # NaN fails too
        raise InvariantError(f"budget must be in (0, {EXACT_BUDGET:g}] seconds, got {budget:g}")


def _add_prime_points(spec, neq, action, ex, matches, comps, seed):
    from scipy.optimize import least_squares

    from .cas import evaluate
    from .exact import _substitution
    from .sampling import analyse_point, on_variety

    rows = _first_layer_rows(spec)
    m = len(rows)
    fixed, _ = _substitution(rows, m, tuple(range(m)))
    free = [i for i in range(spec.num_weights) if i not in fixed]
    rng = np.random.default_rng(seed + 12345)
    comps = list(comps)
    for prime, hit in zip(ex.primes, matches):
        if hit is not None:
            continue

        def point(z):
            w = np.zeros(spec.num_weights)
            for k, v in fixed.items():
                w[k] = v
            w[free] = z
            return w

        best = None
        for _ in range(8):
            sol = least_squares(lambda z, prime=prime: [evaluate(g, point(z)) for g in prime.generators],
                                rng.standard_normal(len(free)), xtol=1e-15, ftol=1e-15, gtol=1e-15)
            if best is None or sol.cost < best.cost:
                best = sol
        w = point(best.x)
        if best.cost > 1e-24 or not on_variety(neq, w):
            continue  # no real point found (the prime may have none)
        a = analyse_point(neq, w, action, rng)
        if not a.local.sharp:
            continue
        # No sampled point lies on this prime, so it is a component of its own (G may permute it
        # with others of the same kind and dimension).
        comps.append(Component(a.local_dim, a.kind, a.reason, a.latent, a.function.rank, a.orbit_dim, a,
                               {"exact prime": 1}, None))
    return sorted(comps, key=lambda c: (-c.dimension, c.kind, -c.function_dim))


def _fixed_count(rows) -> int:
    m = len(rows)
    return sum(len(r) for r in rows) - m * (len(rows[0]) - m)


def _match_primes(spec, neq, ex: ExactResult, comps) -> tuple:
    """For each open-cell prime, the first component whose example point (moved into the cell) lies on it."""
    if not ex.primes or spec.num_layers < 2:
        return ()
    from .cas import evaluate

    rows = _first_layer_rows(spec)
    m = len(rows)
    cell_points = []
    for c in comps:
        w = c.example.w
        Q = np.array([[w[v] for v in row] for row in rows])
        lead = Q[:, :m]
        if abs(np.linalg.det(lead)) < 1e-8 * max(1.0, np.max(np.abs(Q))) ** m:
            cell_points.append(None)
            continue
        cell_points.append(gauge.act(neq.net, w, 1, np.linalg.inv(lead)))
    out = []
    for prime in ex.primes:
        hit = None
        dim = len(rows) ** 2 + prime.dimension - _fixed_count(rows)
        for i, (c, w) in enumerate(zip(comps, cell_points)):
            if w is None or c.dimension != dim:
                continue
            ok = True
            for g in prime.generators:
                bound = evaluate(g.replace("-", "+"), np.abs(w) + 1.0)  # Σ |terms| at |w| + 1: g's scale
                if abs(evaluate(g, w)) > 1e-9 * max(bound, 1e-300):
                    ok = False
                    break
            if ok:
                hit = i
                break
        out.append(hit)
    return tuple(out)
