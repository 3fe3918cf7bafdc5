"""``derive``: spec in, proved :class:`~invariant.solution.Solution` out.

>>> from invariant import LayerSpec, derive
>>> sol = derive(LayerSpec.build(layer="linear", n=4))
>>> sol.num_free, sol.dimension.agree, sol.action.is_representation
(2, True, True)
"""

from __future__ import annotations

from functools import cache

from .characters import character_dimension
from .checks import DimensionCheck, check_action
from .errors import InvariantError
from .layers import weight_keys
from .matching import constraints
from .orbits import orbit_tying
from .solution import Solution, function_dimension
from .solve import solve_rows
from .spec import MAX_SYMBOLIC_WEIGHTS, LayerSpec

METHODS = ("auto", "symbolic", "orbit")

#: ``method="auto"`` takes the orbit path above this many weights (when it applies).
AUTO_ORBIT_WEIGHTS = 2_000


def choose_method(spec: LayerSpec, method: str = "auto") -> str:
    """The path that will run: the symbolic one unless the orbit path applies and is cheaper."""
    if method not in METHODS:
        raise InvariantError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    num_weights = len(weight_keys(spec))
    if method == "auto":
        method = "orbit" if spec.param != "full" and num_weights > AUTO_ORBIT_WEIGHTS else "symbolic"
    if method == "orbit" and spec.param == "full":
        raise InvariantError("the orbit path needs --param triangular (the full parametrization has additive constraints)")
    if method == "symbolic" and num_weights > MAX_SYMBOLIC_WEIGHTS:
        hint = "use --param triangular (same functions, orbit path)" if spec.param == "full" else "use --method orbit"
        raise InvariantError(
            f"symbolic expansion of {num_weights} weights is too large (limit {MAX_SYMBOLIC_WEIGHTS}); {hint} or a smaller n"
        )
    return method


@cache
def derive(spec: LayerSpec, method: str = "auto") -> Solution:
    """Derive the weight classes, zeros and exact basis of an equivariant layer, and prove them.

    ``method``: ``"symbolic"`` (SymPy coefficient matching), ``"orbit"`` (combinatorial,
    triangular parametrization only) or ``"auto"``.
    """
    chosen = choose_method(spec, method)
    if chosen == "orbit":
        tying = orbit_tying(spec)
        num_constraints = 0
    else:
        rows = constraints(spec)
        tying = solve_rows(len(weight_keys(spec)), rows)
        num_constraints = len(rows)
    dim, gauge = function_dimension(spec, tying)
    return Solution(
        spec=spec,
        method=chosen,
        num_constraints=num_constraints,
        tying=tying,
        function_dim=dim,
        gauge=gauge,
        action=check_action(spec),
        dimension=DimensionCheck(derived=dim, character_formula=character_dimension(spec)),
    )
