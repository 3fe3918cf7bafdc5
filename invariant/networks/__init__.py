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

import importlib

#: Public name -> defining module, imported on first use (so the CLI's parser stays light).
_EXPORTS = {"VarietyReport": ".api", "variety": ".api", "VarietySpec": ".spec"}

__all__ = ["VarietyReport", "VarietySpec", "variety"]  # the names of _EXPORTS


def __getattr__(name: str):
    """Import the module behind a public name on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'invariant.networks' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value
