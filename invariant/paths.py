"""The registry of solver paths: a kind of representation → its solver, its two proofs.

A :class:`~invariant.problem.Problem`'s input representation names its ``family``
(:attr:`invariant.groups.representations.Representation.family`); :data:`PATHS` maps the
family to a :class:`SolverPath`: which methods it offers, how it chooses and runs one, and
its two proofs (that the output is a representation; that the derived dimension equals an
independent formula). :func:`invariant.api.derive` asks :func:`path_for` and nothing else,
so a new kind of group and representation adds its own modules and one entry here, and no
existing path, proof or template is edited.

Today's entry, ``permutation``: permutation representations of permutation groups (tensor
powers, trivial, sign, folded and hand-given outputs, channels), solved by the pattern,
orbit or symbolic path (:mod:`invariant.solvers.choice`), proved by construction or
Schreier–Sims (:func:`~invariant.proofs.representation.check_action`) and by the character
formula (:func:`~invariant.proofs.characters.dimension_check`).

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> path = path_for(lower(LayerSpec(layer="linear", n=4)))
>>> path.family, path.methods
('permutation', ('auto', 'pattern', 'symbolic', 'orbit'))
>>> METHODS
('auto', 'pattern', 'symbolic', 'orbit')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import InvariantError
from .proofs.characters import dimension_check
from .proofs.representation import check_action
from .solvers import choice

if TYPE_CHECKING:
    from .problem import Problem
    from .proofs.dimension import DimensionCheck
    from .proofs.representation import ActionCheck
    from .solvers.tying import SolverAnswer


@dataclass(frozen=True)
class SolverPath:
    """One family's solver path and proofs.

    ``choose(problem, method)`` returns the method that will run (or refuses, sized before any
    work); ``solve(problem, method)`` runs it; ``prove_representation(problem)`` proves or
    refutes that the output rule is a representation; ``prove_dimension(problem, derived)``
    checks the derived dimension against the independent formula.
    """

    family: str
    methods: tuple[str, ...]
    choose: Callable[[Problem, str], str]
    solve: Callable[[Problem, str], SolverAnswer]
    prove_representation: Callable[[Problem], ActionCheck]
    prove_dimension: Callable[[Problem, int], DimensionCheck]


def _output_rule_check(problem: Problem) -> ActionCheck:
    return check_action(problem.action)


#: Every family's path, by :attr:`~invariant.groups.representations.Representation.family`.
PATHS: dict[str, SolverPath] = {
    "permutation": SolverPath(
        family="permutation", methods=choice.METHODS, choose=choice.choose_method, solve=choice.solve,
        prove_representation=_output_rule_check, prove_dimension=dimension_check,
    ),
}

#: Every method some path offers, in registry order (the CLI's ``--method`` choices).
METHODS: tuple[str, ...] = tuple(dict.fromkeys(m for path in PATHS.values() for m in path.methods))


def path_for(problem: Problem) -> SolverPath:
    """The registered path of the problem's input representation's family."""
    family = problem.input.base.family
    if family not in PATHS:
        raise InvariantError(f"no solver path is registered for {family} representations")
    return PATHS[family]
