"""invariant: derive the weight sharing of group-equivariant layers, exactly.

The package facade is lazy: ``import invariant`` costs nothing beyond the interpreter, and
each name below imports its module on first use (SymPy only where coefficients are matched,
torch only where modules are compiled).

>>> import invariant
>>> sol = invariant.derive(invariant.LayerSpec.build(layer="quadratic", n=4))
>>> [sol.class_size(c) for c in range(sol.num_classes)]
[4, 12, 12, 12]
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

#: Public name -> (module, attribute). Resolved on first access (PEP 562).
_EXPORTS = {
    "derive": ("invariant.api", "derive"),
    "lower": ("invariant.problem", "lower"),
    "InvariantError": ("invariant.errors", "InvariantError"),
    "LayerSpec": ("invariant.spec", "LayerSpec"),
    "Solution": ("invariant.solution", "Solution"),
    "compile": ("codegen.render", "compile_module"),
    "variety": ("invariant.networks.api", "variety"),
    "VarietySpec": ("invariant.networks.spec", "VarietySpec"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Import the module behind a public name on first use."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'invariant' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
