"""invariant: derive the weight sharing of group-equivariant layers, exactly.

>>> import invariant
>>> sol = invariant.derive(invariant.LayerSpec.build(layer="quadratic", n=4))
>>> [len(c) for c in sol.tying.classes]
[4, 12, 12, 12]
"""

from .api import derive
from .errors import InvariantError
from .solution import Solution
from .spec import LayerSpec

__all__ = ["derive", "InvariantError", "LayerSpec", "Solution"]
__version__ = "0.1.0"
