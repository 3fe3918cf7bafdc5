"""The permutation family's solver path: which of its three peer paths runs, and running it.

Three peer paths answer with the same :class:`~invariant.solvers.tying.Tying` interface:

* ``pattern``: orbits of index-equality patterns (S_n, A_n; any n, nothing enumerated);
* ``orbit``: signed orbits of the weight indices under the generators (integer arrays);
* ``symbolic``: SymPy coefficient matching and exact RREF (any constraint, small sizes).

``method="auto"`` takes the pattern path where it is exact, else the orbit path where every
monomial has one weight and the layer is large, else the symbolic path. Every request is
sized by formula before any work, and refused at once beyond the limits below. This is the
``permutation`` entry of :data:`invariant.paths.PATHS`.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> problem = lower(LayerSpec(layer="quadratic", n=5))
>>> choose_method(problem), choose_method(problem, "symbolic")
('pattern', 'symbolic')
>>> answer = solve(problem, "orbit")
>>> answer.tying.num_classes, answer.num_constraints
(4, None)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvariantError
from .tying import SolverAnswer

if TYPE_CHECKING:
    from ..problem import Problem

METHODS = ("auto", "pattern", "symbolic", "orbit")

#: ``method="auto"`` takes the orbit path above this many weights (when it applies).
AUTO_ORBIT_WEIGHTS = 2_000
#: The symbolic path is refused above this many weights.
MAX_SYMBOLIC_WEIGHTS = 4_096
#: The orbit path is refused above this many weights (about 1 GB of integer arrays).
MAX_ORBIT_WEIGHTS = 12_000_000
#: ... and above this many (weight, generator) images.
MAX_ORBIT_IMAGES = 40_000_000
#: The symbolic and orbit paths match the folded rule under S_n over all n(n-1)/2
#: transpositions up to this n (the pattern path has no limit).
MAX_FOLDED_SYMMETRIC_N = 64
#: When only the pattern path could take a layer, a group given by generators is tested for
#: S_n or A_n (Jordan's theorem, O(n) per random element) on at most this many points.
MAX_RECOGNIZED_N = 10_000


def choose_method(problem: Problem, method: str = "auto") -> str:
    """The path that will run, or an InvariantError that names the size and the limit.

    Sizes come first, from n, the number of given generators and the layout alone, so a
    request that no path can take is refused before anything about the group is computed
    (see :func:`_presize_custom` for groups given by generators).
    """
    from .patterns import pattern_applies

    if method not in METHODS:
        raise InvariantError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    layout, action = problem.layout, problem.action
    num_weights = layout.num_weights
    triangular = not any(f.ordered for f in layout.families)
    orbit_reason = _orbit_refusal(problem)
    if problem.group.name == "custom" and method in ("auto", "pattern"):
        _presize_custom(problem, method, orbit_reason)
    pattern_reason = pattern_applies(problem)
    if method == "auto":
        if pattern_reason is None:
            return "pattern"
        orbit = (
            triangular
            and num_weights > AUTO_ORBIT_WEIGHTS
            and (orbit_reason is None or num_weights > MAX_SYMBOLIC_WEIGHTS)
        )
        method = "orbit" if orbit else "symbolic"
    if method == "pattern" and pattern_reason:
        raise InvariantError(pattern_reason)
    if (action.kind == "folded" and problem.group.name == "symmetric" and problem.group.n > MAX_FOLDED_SYMMETRIC_N
            and method != "pattern"):
        raise InvariantError(
            f"the folded rule under the symmetric group is matched over all transpositions, limited to "
            f"n <= {MAX_FOLDED_SYMMETRIC_N} (n = {problem.group.n}); it is a real action of the hyperoctahedral group"
        )
    if method == "orbit":
        if not triangular:
            raise InvariantError(
                "the orbit path needs the triangular parametrization (the full one has additive constraints)"
            )
        if orbit_reason:
            raise InvariantError(orbit_reason)
    if method == "symbolic" and num_weights > MAX_SYMBOLIC_WEIGHTS:
        hint = "the triangular parametrization (same functions, orbit path)" if not triangular else "the orbit path"
        raise InvariantError(
            f"symbolic expansion of {num_weights} weights is too large (limit {MAX_SYMBOLIC_WEIGHTS}); "
            f"use {hint} or a smaller n"
        )
    return method


def _presize_custom(problem, method: str, orbit_reason: str | None) -> None:
    """Refuse at once what only the pattern path could take, for a group given by generators.

    Only S_n and A_n take the pattern path, and recognizing them costs O(n) per random element
    of Jordan's test: it runs only up to :data:`MAX_RECOGNIZED_N` points, and a group it does
    not prove to contain A_n is refused without Schreier–Sims (on n ≥ 8 points; below that
    Schreier–Sims costs nothing). A request another path can take goes on: the group is then
    analysed on the way to an answer.
    """
    group = problem.group
    too_large = problem.layout.num_weights > MAX_SYMBOLIC_WEIGHTS
    only_pattern = method == "pattern" or (orbit_reason is not None and too_large)
    if not only_pattern or group.n < 8:
        return
    why = orbit_reason or "the pattern path needs the symmetric or alternating group"
    if group.n > MAX_RECOGNIZED_N:
        raise InvariantError(
            f"{why}; a group given by generators is tested for S_n and A_n only on n <= {MAX_RECOGNIZED_N} "
            f"points (n = {group.n}): name it with --group symmetric or --group alternating if it is one"
        )
    if not group.recognized:
        raise InvariantError(f"{why}; Jordan's test does not find the generators to generate S_n or A_n")


def _orbit_refusal(problem) -> str | None:
    """Why the orbit path cannot take the layer's size, or None; from the layout and the number
    of given generators (an upper bound on the matched ones), so nothing is computed."""
    action, num_weights = problem.action, problem.layout.num_weights
    generators = 1 if action.kind == "folded" else problem.group.num_generators
    images = num_weights * max(generators, 1)
    if num_weights <= MAX_ORBIT_WEIGHTS and images <= MAX_ORBIT_IMAGES:
        return None
    return (f"{num_weights} weights are too many for the orbit path (limit {MAX_ORBIT_WEIGHTS} weights, "
            f"{MAX_ORBIT_IMAGES} generator images); only the symmetric and alternating groups "
            "(pattern path) have no size limit: use a smaller n")


def solve(problem: Problem, method: str) -> SolverAnswer:
    """Run the path ``method`` (one :func:`choose_method` returned) on the lowered problem."""
    if method == "pattern":
        from .patterns import pattern_tying

        return SolverAnswer(pattern_tying(problem))
    if method == "orbit":
        from .orbits import orbit_tying

        return SolverAnswer(orbit_tying(problem))
    from .matching import constraints
    from .rref import solve_rows

    rows = constraints(problem)
    tying, equalities = solve_rows(problem.layout.num_weights, rows)
    return SolverAnswer(tying, equalities, len(rows))
