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



def compile(spec: LayerSpec, method: str = "auto") -> type:  # noqa: A001 - mirrors the CLI verb
    """The PyTorch module class for ``spec``, compiled in-process (same templates as ``emit``).

    This facade is the one place the package reaches up into :mod:`codegen`; no module of
    the front end imports it. Needs torch.
    """
    from codegen import compile_module

    return compile_module(spec, method)


def antisymmetrize(x, w, a, activation="relu", max_memory: int = 1 << 24):
    """Exact Σ_σ sgn(σ) f(x_σ) of a two-layer network (see :mod:`invariant.antisym`). Needs torch."""
    from .antisym import antisymmetrize as kernel

    return kernel(x, w, a, activation, max_memory)


__all__ = ["antisymmetrize", "compile", "derive", "InvariantError", "LayerSpec", "Solution"]
__version__ = "0.1.0"
