"""Multi-layer networks of the note's quadratic neurons whose end-to-end map is equivariant.

The weights whose network is end-to-end G-equivariant form an algebraic variety V (note 001,
sections 4–5). This subpackage writes its polynomial equations with the coefficient matching
of ``derive``, computes dim V exactly (Singular, optional) and numerically, finds its
components and their latent actions, compares function spaces, and trains inside V
(:mod:`.training`, the only module that imports torch).

>>> from invariant.networks import VarietySpec, variety
>>> rep = variety(VarietySpec.build(widths=(3, 1, 1), output="trivial"), starts=4, exact=False)
>>> rep.numerical_dim, [(c.dimension, c.kind) for c in rep.components][:2]
(6, [(6, 'degenerate'), (3, 'layerwise')])
"""

from .api import VarietyReport, variety
from .spec import VarietySpec

__all__ = ["VarietyReport", "VarietySpec", "variety"]
