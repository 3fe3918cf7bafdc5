"""How the weights are tied: the interface every solver path answers with.

A tying partitions the weights into classes (each weight a signed multiple of its class's
representative, the smallest member) and zeros; some classes are free parameters, the others
(``dependent``) exact rational combinations of free ones. Classes are numbered by their
representative, so the three solver paths give identical answers where they all run.

Two implementations: :class:`ExplicitTying` stores a class label and sign per weight in
integer arrays (symbolic and orbit paths); :class:`~invariant.solvers.patterns.PatternTying` stores
only index-equality patterns and enumerates members on request (pattern path, any n).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np

Combination = tuple[tuple[int, Fraction], ...]  # ((free class id, coefficient), ...)


class SolverAnswer(NamedTuple):
    """What a solver path answers: the tying, and for a path that solves rows the rows' record.

    ``equalities``: the equality constraints as (weight, weight, sign) triples (symbolic path;
    empty elsewhere); ``num_constraints``: how many constraint rows were solved, or None for a
    path that solves none (pattern, orbit).
    """

    tying: Tying
    equalities: tuple[tuple[int, int, int], ...] = ()
    num_constraints: int | None = None


class Tying(ABC):
    """Classes, zeros, free classes and dependent classes of a layer's weights."""

    free: tuple[int, ...]
    dependent: tuple[tuple[int, Combination], ...]

    @property
    @abstractmethod
    def num_weights(self) -> int:
        """The number of weights of the layer."""

    @property
    @abstractmethod
    def num_classes(self) -> int:
        """The number of (nonzero) classes."""

    @abstractmethod
    def class_size(self, c: int) -> int:
        """How many weights class c has."""

    @abstractmethod
    def representative(self, c: int) -> int:
        """The smallest weight of class c."""

    @abstractmethod
    def members(self, c: int, limit: int | None = None) -> list[tuple[int, int]]:
        """(weight, sign) of class c's members in canonical order, the first ``limit`` of them."""

    @property
    @abstractmethod
    def num_zeros(self) -> int:
        """How many weights are forced to zero."""

    @abstractmethod
    def zeros(self, limit: int | None = None) -> list[int]:
        """The weights forced to zero, in order (the first ``limit``)."""

    @abstractmethod
    def label(self, w: int) -> tuple[int, int] | None:
        """(class, sign) of weight w, or None if it is forced to zero."""


@dataclass(frozen=True, eq=False)
class ExplicitTying(Tying):
    """A tying stored per weight: ``labels[w]`` (class id or -1) and ``signs[w]`` (±1)."""

    labels: np.ndarray  # int64
    signs: np.ndarray  # int8
    count: int
    free: tuple[int, ...]
    dependent: tuple[tuple[int, Combination], ...]

    @property
    def num_weights(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        return self.count

    def _groups(self):
        import numpy as np

        cache = self.__dict__.get("_grouped")
        if cache is None:
            order = np.argsort(self.labels, kind="stable")
            bounds = np.searchsorted(self.labels[order], np.arange(-1, self.count + 1))
            cache = (order, bounds)
            object.__setattr__(self, "_grouped", cache)
        return cache

    def _member_array(self, c: int):
        order, bounds = self._groups()
        return order[bounds[c + 1] : bounds[c + 2]]

    def class_size(self, c: int) -> int:
        return len(self._member_array(c))

    def representative(self, c: int) -> int:
        return int(self._member_array(c)[0])

    def members(self, c: int, limit: int | None = None) -> list[tuple[int, int]]:
        ws = self._member_array(c)[:limit]
        return [(int(w), int(self.signs[w])) for w in ws]

    @property
    def num_zeros(self) -> int:
        _, bounds = self._groups()
        return int(bounds[1] - bounds[0])

    def zeros(self, limit: int | None = None) -> list[int]:
        order, bounds = self._groups()
        return [int(w) for w in order[bounds[0] : bounds[1]][:limit]]

    def label(self, w: int) -> tuple[int, int] | None:
        c = int(self.labels[w])
        return None if c < 0 else (c, int(self.signs[w]))


def explicit_tying(num_weights: int, components, free=None, dependent=()) -> ExplicitTying:
    """An :class:`ExplicitTying` from signed components (all classes free unless told)."""
    return ExplicitTying(
        labels=components.label, signs=components.sign, count=components.num_classes,
        free=tuple(range(components.num_classes)) if free is None else tuple(free), dependent=tuple(dependent),
    )
