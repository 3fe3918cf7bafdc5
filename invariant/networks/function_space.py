"""Dimensions of function spaces: all G-equivariant polynomial maps, and the layerwise network.

* ``all_equivariant``: the dimension of the G-equivariant polynomial maps with the network's
  degrees, exactly, by the compiler's character formula (1/|G|) Σ_g χ_poly(g) χ_out(g), with
  χ_poly(g) the number of monomials of those degrees fixed by g.
* ``layerwise_network``: the function dimension of the network of the same widths built from
  ``derive``'s layers, each hidden layer carrying a permutation action: a copies of the input
  permutation action and b fixed units (a·n + b = width); the largest over the choices of a.
  Its weights are the derived layers' free parameters θ; the dimension is the rank of
  ∂c/∂θ at a random θ (gap printed by the caller).
"""

from __future__ import annotations

import numpy as np

from ..groups.permutations import identity
from ..proofs.characters import character_dimension
from .action import NetworkAction, network_problem
from .dimension import Rank, numerical_rank
from .polynomial import NumericNetwork
from .spec import VarietySpec


def all_equivariant(spec: VarietySpec) -> int:
    """dim of G-equivariant polynomial maps R^n → R^out of the network's degrees.

    The compiler's character formula (:func:`invariant.proofs.characters.character_dimension`) on
    the end-to-end problem (:func:`.action.network_problem`): (1/|G|) Σ_g χ_poly(g) χ_out(g),
    summed over D = ⟨(g_i, ρ_i)⟩ when the output action is given by hand.

    >>> all_equivariant(VarietySpec.build(widths=(3, 2, 1)))   # S_3-invariant quartics
    4
    """
    return character_dimension(network_problem(spec))


def _latent_images(g, n: int, width: int, copies: int):
    """g acting on `copies` blocks of n units (as on the inputs) and fixing the rest."""
    images = []
    for c in range(copies):
        images += [c * n + g[i] for i in range(n)]
    return tuple(images + list(range(copies * n, width)))


def layerwise_network(spec: VarietySpec, action: NetworkAction, seed: int = 0):
    """(function dimension, Rank, description) of the derived layerwise network, or (None, None, why)."""
    from ..api import derive
    from ..spec import LayerSpec

    if spec.output == "sign":
        return None, None, "the sign output is not a permutation action of the hidden units' images"
    n = spec.n
    # The trivial group may keep no generator at all: one identity pair gives every derived
    # layer its (trivial) action explicitly.
    pairs = action.pairs or ((identity(n), identity(spec.outputs), 1),)
    gens = [g for g, _, _ in pairs]
    best = None
    choices = [[]]
    for m in spec.hidden:
        choices = [c + [a] for c in choices for a in range(m // n + 1)]
    for copies in choices:
        images = [tuple(gens)]  # layer 0 units: x itself
        for m, a in zip(spec.hidden, copies):
            images.append(tuple(_latent_images(g, n, m, a) for g in gens))
        images.append(tuple(pi for _, pi, _ in pairs))
        blocks = []
        for l in range(spec.num_layers):
            width_in = spec.widths[l]
            out_gens = images[l + 1]
            if l == 0:
                layer = LayerSpec.build(
                    layer="quadratic", n=width_in,
                    group=None if spec.group == "custom" else spec.group,
                    generators=tuple(gens) if spec.group == "custom" else None,  # the pairs' (reduced) generators
                    output_generators=out_gens, outputs=spec.widths[1],
                    with_linear=spec.with_linear, with_bias=spec.with_bias,
                )
            else:
                in_gens = (images[l] if any(g != identity(width_in) for g in images[l])
                           else tuple(identity(width_in) for _ in gens))
                layer = LayerSpec.build(
                    layer="quadratic", n=width_in, generators=in_gens, output_generators=out_gens,
                    outputs=spec.widths[l + 1], with_linear=spec.with_linear, with_bias=spec.with_bias,
                )
            sol = derive(layer)
            B = np.zeros((sol.num_weights, sol.num_free))
            for wi, p, c in sol.expansion():
                B[wi, p] = float(c)
            blocks.append(B)
        net = NumericNetwork(spec)
        rows = sum(b.shape[0] for b in blocks)
        cols = sum(b.shape[1] for b in blocks)
        E = np.zeros((rows, cols))
        r = c = 0
        for b in blocks:
            E[r : r + b.shape[0], c : c + b.shape[1]] = b
            r, c = r + b.shape[0], c + b.shape[1]
        rng = np.random.default_rng(seed)
        theta = rng.standard_normal(cols)
        _, dc = net.coefficients_and_jacobian(E @ theta)
        rank: Rank = numerical_rank(dc @ E)
        desc = "hidden actions: " + "; ".join(
            f"{a}×permutation + {m - a * n} fixed" for m, a in zip(spec.hidden, copies)
        ) if spec.hidden else "one derived layer"
        if best is None or rank.rank > best[0]:
            best = (rank.rank, rank, desc, cols)
    return best
