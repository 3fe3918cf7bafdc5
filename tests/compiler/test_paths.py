"""The registry of solver paths: derive asks it, and an unregistered family is refused in one line."""

from dataclasses import dataclass, replace

import pytest

from invariant import paths
from invariant.api import derive
from invariant.errors import InvariantError
from invariant.groups.permutation_groups import named
from invariant.groups.representations import Channels, TensorPower
from invariant.problem import lower
from invariant.spec import LayerSpec


def test_the_permutation_family_offers_every_method_the_cli_takes():
    assert set(paths.PATHS) == {"permutation"}
    assert paths.METHODS == ("auto", "pattern", "symbolic", "orbit")
    for spec in (LayerSpec(layer="linear", n=4), LayerSpec(layer="quadratic", n=5, group="cyclic")):
        path = paths.path_for(lower(spec))
        sol = derive(spec)
        assert path.choose(lower(spec), "auto") == sol.method
        assert path.prove_dimension(lower(spec), sol.function_dim).agree is True
        assert path.prove_representation(lower(spec)).is_representation is True


@dataclass(frozen=True)
class _Elsewhere(TensorPower):
    family = "linear"  # a family nothing registers


def test_an_unregistered_family_is_refused():
    problem = lower(LayerSpec(layer="linear", n=3))
    other = replace(problem, input=Channels(_Elsewhere(named("symmetric", 3), 1)))
    with pytest.raises(InvariantError, match="no solver path is registered for linear representations"):
        paths.path_for(other)


def test_every_path_answers_the_same_tying_through_the_registry():
    problem = lower(LayerSpec(layer="quadratic", n=4, with_linear=True))
    path = paths.path_for(problem)
    answers = {m: path.solve(problem, m) for m in ("pattern", "orbit", "symbolic")}
    labels = {m: [a.tying.label(w) for w in range(problem.layout.num_weights)] for m, a in answers.items()}
    assert labels["pattern"] == labels["orbit"] == labels["symbolic"]
    assert answers["symbolic"].num_constraints is not None and answers["pattern"].num_constraints is None
