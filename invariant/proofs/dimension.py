"""The dimension proof run on every derive: the derived dimension against the character formula.

(The other proof, that the output rule is a representation, is
:func:`invariant.proofs.representation.check_action`.)

When no exact route computes the character formula without listing too many elements (a
large group given by generators), the derivation still stands and ``missing`` says which
proof is missing and why; ``agree`` is then None, neither a pass nor a failure.

>>> DimensionCheck(derived=4, character_formula=4).agree
True
>>> DimensionCheck(derived=4, character_formula=None, missing="the group is too large").agree is None
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DimensionCheck:
    """Derived dimension of equivariant maps against the character formula (None: not computed)."""

    derived: int
    character_formula: int | None
    missing: str | None = None

    def __post_init__(self) -> None:
        if (self.character_formula is None) != (self.missing is not None):
            raise ValueError("a dimension check has either a character formula or the reason it is missing")

    @property
    def agree(self) -> bool | None:
        """Whether both dimensions are equal; None when the character formula was not computed."""
        if self.character_formula is None:
            return None
        return self.derived == self.character_formula
