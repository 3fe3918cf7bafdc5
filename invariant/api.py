"""``derive``: spec in, proved :class:`~invariant.solution.Solution` out.

Three peer solver paths answer with the same :class:`~invariant.tying.Tying` interface:

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

from .checks import DimensionCheck
from .errors import InvariantError
from .problem import lower
from .spec import LayerSpec

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


def choose_method(problem, method: str = "auto") -> str:
    """The path that will run, or an InvariantError that names the size and the limit."""
    from .patterns import pattern_applies

    if method not in METHODS:
        raise InvariantError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    layout, action = problem.layout, problem.action
    num_weights = layout.num_weights
    pattern_reason = pattern_applies(problem)
    triangular = not any(f.ordered for f in layout.families)
    if method == "auto":
        if pattern_reason is None:
            return "pattern"
        method = "orbit" if triangular and num_weights > AUTO_ORBIT_WEIGHTS else "symbolic"
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
            raise InvariantError("the orbit path needs the triangular parametrization (the full one has additive constraints)")
        images = num_weights * max(len(action.group.generators) if action.kind != "folded" else 1, 1)
        if num_weights > MAX_ORBIT_WEIGHTS or images > MAX_ORBIT_IMAGES:
            raise InvariantError(
                f"{num_weights} weights are too many for the orbit path (limit {MAX_ORBIT_WEIGHTS} weights, "
                f"{MAX_ORBIT_IMAGES} generator images); only the symmetric and alternating groups "
                "(pattern path) have no size limit: use a smaller n"
            )
    if method == "symbolic" and num_weights > MAX_SYMBOLIC_WEIGHTS:
        hint = "the triangular parametrization (same functions, orbit path)" if not triangular else "the orbit path"
        raise InvariantError(
            f"symbolic expansion of {num_weights} weights is too large (limit {MAX_SYMBOLIC_WEIGHTS}); "
            f"use {hint} or a smaller n"
        )
    return method


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
    from .characters import character_dimension
    from .solution import Solution, function_dimension

    problem = lower(spec)
    chosen = choose_method(problem, method)
    equalities: tuple = ()
    num_constraints = None
    if chosen == "pattern":
        from .patterns import pattern_tying

        tying = pattern_tying(problem)
    elif chosen == "orbit":
        from .orbits import orbit_tying

        tying = orbit_tying(problem)
    else:
        from .matching import constraints
        from .solve import solve_rows

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
        action=problem.action.check(),
        dimension=DimensionCheck(derived=dim, character_formula=character_dimension(problem)),
    )
