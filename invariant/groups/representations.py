"""Representations: the value every stage takes for the group acting on a layer's inputs and outputs.

A :class:`Representation` ρ of a group G on R^dim is given here by signed permutation
images: ρ(g) e_a = s · e_{π(a)}. Its basis is indexed by ``axes`` (a tensor of order k on
n points has axes (n,)*k), its character is χ(g) = s · fix(π), and ``expression`` is its
canonical name in the representation language of the design (``T(k)``, ``3*1``, ``det``,
``m*R``). The layout reads axes and multiplicities, the solver paths the generator images,
the proofs the characters; none of them reads the spec's strings.

Today's kinds:

* :class:`TensorPower` T(k) = V^⊗k of the permutation representation V of a permutation
  group: ρ(g) permutes k-tuples, χ(g) = fix(g)^k (T(0) is the trivial representation 1);
* :class:`~invariant.groups.actions.OutputAction`: the output rules (permutation T(l),
  trivial M*1, sign M*det, folded, custom);
* :class:`Channels` m*R: m copies of R, the channels of a layer (χ = m·χ_R).

Every expression of the language (:mod:`invariant.groups.expressions`) has a character on a
permutation group, :func:`expression_character`: its power sums are p_r(g) = fix(g^r) (the
permutation matrix is orthogonal, so V* has the same ones) and det g = sgn g. Each kind above
means what its ``expression`` says: their characters agree element by element.

The kind of group a representation belongs to (``family``) selects its solver path and its
two proofs in :mod:`invariant.paths`; a new kind of representation (linear representations
of matrix and Lie groups) adds its own classes and one registry entry there.

>>> from invariant.groups.permutation_groups import named
>>> S4 = named("symmetric", 4)
>>> R = Channels(TensorPower(S4, 2), 3)
>>> R.expression, R.dimension, R.axes, R.copies
('3*T(2)', 48, (4, 4), 3)
>>> R.character((1, 0, 2, 3))
12
>>> TensorPower(S4, 0).expression, TensorPower(S4, 0).dimension
('1', 1)
>>> from invariant.groups.expressions import parse
>>> expression_character(parse(R.expression), (1, 0, 2, 3)), expression_character(parse("Alt(2,V)"), (1, 0, 2, 3))
(12, 0)
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from ..errors import InvariantError
from .expressions import Expression
from .permutation_groups import Group
from .permutations import Perm, compose, fixed_points, identity, induced, sign


class Representation(ABC):
    """A representation of ``group`` by signed permutations of a basis indexed by ``axes``."""

    #: The kind of group and representation: the key of its entry in :data:`invariant.paths.PATHS`.
    family: ClassVar[str] = "permutation"
    group: Group

    @property
    @abstractmethod
    def axes(self) -> tuple[int, ...]:
        """The index shape of the basis (n,)*k for a tensor of order k; (M,) for M outputs."""

    @property
    @abstractmethod
    def order(self) -> int:
        """The tensor order of the basis index on the group's points (0 when not a tensor)."""

    @property
    @abstractmethod
    def expression(self) -> str:
        """The canonical expression (``T(2)``, ``3*1``, ``det``, ``2*T(1)``)."""

    @property
    @abstractmethod
    def is_formula(self) -> bool:
        """Whether ρ(g) is a formula in g for every g (a homomorphism by construction)."""

    @abstractmethod
    def image(self, g: Perm) -> tuple[Perm, int]:
        """ρ(g) = (π, s) for a representation that is a formula in g."""

    @abstractmethod
    def character(self, g: Perm) -> int:
        """χ(g) = s · fix(π), the trace of ρ(g)."""

    @property
    def dimension(self) -> int:
        """dim R = Π axes."""
        return math.prod(self.axes)


@dataclass(frozen=True)
class TensorPower(Representation):
    """T(k) = V^⊗k, V the permutation representation of ``group``: k-tuples of points, row-major."""

    group: Group
    tensor_order: int

    def __post_init__(self) -> None:
        if self.tensor_order < 0:
            raise InvariantError(f"a tensor order is a non-negative integer, got {self.tensor_order}")

    @property
    def axes(self) -> tuple[int, ...]:
        return (self.group.n,) * self.tensor_order

    @property
    def order(self) -> int:
        return self.tensor_order

    @property
    def expression(self) -> str:
        return "1" if self.tensor_order == 0 else f"T({self.tensor_order})"

    @property
    def is_formula(self) -> bool:
        return True

    def image(self, g: Perm) -> tuple[Perm, int]:
        """g acting on the n^k k-tuples (g itself for k = 1)."""
        return (induced(g, self.tensor_order) if self.tensor_order != 1 else g), 1

    def character(self, g: Perm) -> int:
        """χ(g) = fix(g)^k (the k-tuples of fixed points)."""
        return fixed_points(g) ** self.tensor_order


R = TypeVar("R", bound=Representation)


@dataclass(frozen=True)
class Channels(Representation, Generic[R]):
    """m*R: ``copies`` copies of ``base`` (a layer's channels); χ = m·χ_R.

    The basis is (copy, base index); the layout keeps the copies as blocks of parameters per
    weight, so ``axes`` and ``order`` are the base's and :attr:`dimension` counts the copies.
    """

    base: R
    copies: int = 1

    def __post_init__(self) -> None:
        if self.copies < 1:
            raise InvariantError(f"a multiplicity is a positive integer, got {self.copies}")

    @property
    def group(self) -> Group:  # type: ignore[override]
        return self.base.group

    @property
    def axes(self) -> tuple[int, ...]:
        return self.base.axes

    @property
    def order(self) -> int:
        return self.base.order

    @property
    def expression(self) -> str:
        if self.copies == 1:
            return self.base.expression
        inner = self.base.expression
        return f"{self.copies}*{inner if '+' not in inner else '(' + inner + ')'}"

    @property
    def is_formula(self) -> bool:
        return self.base.is_formula

    @property
    def dimension(self) -> int:
        return self.copies * self.base.dimension

    def image(self, g: Perm) -> tuple[Perm, int]:
        """The base's image (every copy moves the same way)."""
        return self.base.image(g)

    def character(self, g: Perm) -> int:
        return self.copies * self.base.character(g)


def expression_character(expression: Expression, g: Perm) -> int:
    """χ(g) of a representation expression on a permutation group: p_r(g) = fix(g^r), det g = sgn g.

    Every factor of the expression (V, V1, V2, …) is the one permutation representation.
    """
    powers = [identity(len(g))]

    def p(r: int, factor: int) -> int:
        while len(powers) <= abs(r):
            powers.append(compose(g, powers[-1]))
        return fixed_points(powers[abs(r)])

    value = expression.character(p, lambda factor: sign(g))
    if value.denominator != 1:
        raise ArithmeticError(f"a character must be an integer, got {value}")  # Newton's identities guarantee it
    return int(value)
