"""``derive``: spec in, proved :class:`~invariant.solution.Solution` out.

The spec is lowered once (:func:`invariant.problem.lower`); the registry
(:func:`invariant.paths.path_for`) gives the path of the problem's representations: it
chooses a method (sized before any work, refused beyond its limits), solves, and runs the
two proofs. For permutation representations the methods are ``pattern``, ``orbit`` and
``symbolic`` (:mod:`invariant.solvers.choice`); ``method="auto"`` picks the cheapest exact one.

>>> from invariant import LayerSpec, derive
>>> sol = derive(LayerSpec(layer="linear", n=4))
>>> sol.method, sol.num_free, sol.dimension.agree, sol.action.is_representation
('pattern', 2, True, True)
"""

from __future__ import annotations

from functools import lru_cache

from .errors import InvariantError
from .paths import path_for
from .problem import lower
from .spec import LayerSpec


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
    path = path_for(problem)
    chosen = path.choose(problem, method)
    answer = path.solve(problem, chosen)
    dim, gauge = function_dimension(problem, answer.tying)
    return Solution(
        problem=problem,
        method=chosen,
        tying=answer.tying,
        num_constraints=answer.num_constraints,
        equalities=answer.equalities,
        function_dim=dim,
        gauge=gauge,
        action=path.prove_representation(problem),
        dimension=path.prove_dimension(problem, dim),
    )
