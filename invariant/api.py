"""``derive``: spec in, proved :class:`~invariant.solution.Solution` out.

Three peer solver paths answer with the same :class:`~invariant.solvers.tying.Tying` interface:

* ``pattern``: orbits of index-equality patterns (S_n, A_n; any n, nothing enumerated);
* ``orbit``: signed orbits of the weight indices under the generators (integer arrays);
* ``symbolic``: SymPy coefficient matching and exact RREF (any constraint, small sizes).

``method="auto"`` takes the pattern path where it is exact, else the orbit path where every
monomial has one weight and the layer is large, else the symbolic path. Every request is
sized by formula before any work, and refused at once beyond the limits below.

>>> from invariant import LayerSpec, derive
>>> sol = derive(LayerSpec(layer="linear", n=4))
>>> sol.method, sol.num_free, sol.dimension.agree, sol.action.is_representation
('pattern', 2, True, True)
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from .errors import InvariantError
from .problem import lower
from .proofs.dimension import DimensionCheck
from .proofs.representation import check_action
from .spec import LayerSpec

if TYPE_CHECKING:
    from .solvers.tying import Tying

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


def choose_method(problem, method: str = "auto") -> str:
    """The path that will run, or an InvariantError that names the size and the limit.

    Sizes come first, from n, the number of given generators and the layout alone, so a
    request that no path can take is refused before anything about the group is computed
    (see :func:`_presize_custom` for groups given by generators).
    """
    from .solvers.patterns import pattern_applies

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


def derive(spec: LayerSpec, method: str = "auto"):
    """Derive the weight classes, zeros and exact basis of an equivariant layer, and prove them.

    ``method``: ``"pattern"``, ``"orbit"``, ``"symbolic"`` or ``"auto"`` (see the module
    docstring). Results are cached on the canonical spec.
    """
    if not isinstance(spec, LayerSpec):
        raise InvariantError(f"derive takes a LayerSpec, got {type(spec).__name__} (build one with LayerSpec(...))")
    if not isinstance(method, str):
        raise InvariantError(f"method must be a string, got {type(method).__name__}")
    return _derive(spec, method)


@lru_cache(maxsize=128)
def _derive(spec: LayerSpec, method: str):
    from .solution import Solution, function_dimension

    problem = lower(spec)
    chosen = choose_method(problem, method)
    equalities: tuple = ()
    num_constraints = None
    tying: Tying
    if chosen == "pattern":
        from .solvers.patterns import pattern_tying

        tying = pattern_tying(problem)
    elif chosen == "orbit":
        from .solvers.orbits import orbit_tying

        tying = orbit_tying(problem)
    else:
        from .solvers.matching import constraints
        from .solvers.rref import solve_rows

        rows = constraints(problem)
        tying, equalities = solve_rows(problem.layout.num_weights, rows)
        num_constraints = len(rows)
    dim, gauge = function_dimension(problem, tying)
    return Solution(
        problem=problem,
        method=chosen,
        tying=tying,
        num_constraints=num_constraints,
        equalities=equalities,
        function_dim=dim,
        gauge=gauge,
        action=check_action(problem.action),
        dimension=_dimension_check(problem, dim),
    )


def _dimension_check(problem, derived: int) -> DimensionCheck:
    """The character formula against the derived dimension, or the reason it was not computed."""
    from .groups.permutation_groups import TooLargeToSum
    from .proofs.characters import character_dimension

    try:
        return DimensionCheck(derived=derived, character_formula=character_dimension(problem))
    except TooLargeToSum as exc:
        return DimensionCheck(derived=derived, character_formula=None,
                              missing=f"the dimension proof by characters is missing, since {exc}")
