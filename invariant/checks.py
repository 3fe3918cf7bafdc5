"""The dimension proof run on every derive: the derived dimension against the character formula.

(The other proof, that the output rule is an action, belongs to the action:
:meth:`invariant.actions.OutputAction.check`.)

>>> DimensionCheck(derived=4, character_formula=4).agree
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DimensionCheck:
    """Derived dimension of equivariant maps against the character formula."""

    derived: int
    character_formula: int

    @property
    def agree(self) -> bool:
        return self.derived == self.character_formula
