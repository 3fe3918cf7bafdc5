"""The one equivariance error: max |f(g·x) − s·ρ(g) f(x)| over random group elements.

A group element is a triple (g, π, s): g permutes the n input points, π permutes the m
output points and s = ±1 is a sign. It acts on an array by :class:`TensorAction`:
``order`` point axes (each of length n, S_n acts on every index, (g·x)_{i j ...} =
x_{g⁻¹(i) g⁻¹(j) ...}) followed by channel axes that no element touches. Equivariance of f
means f(g·x) = s · (π·f(x)) for every element of the group. For the permutation output
action π = g; for hand-given output actions π is the given image; invariant outputs have
π = identity.

Elements are random words in the generator pairs (lengths 1..40), so products and powers
occur, not only the generators themselves. This module is numpy only; the torch wrapper
is :func:`invariant.testing.equivariance_error` and runs through :func:`equivariance_error`
here.

**Non-finite outputs fail.** A NaN or inf anywhere in f(x) or f(g·x) makes the error NaN
and :meth:`Measurement.ok` false; a running ``max`` never hides it.

**Tolerances** are relative to the output scale: a measurement passes when
error ≤ rtol · max(1, max |f(x)|), with ``rtol`` from :data:`RELATIVE_TOLERANCE` by the
output's dtype (float64 1e-10, float32 1e-4, float16 1e-2, bfloat16 1e-1: a few hundred
units in the last place of sums of a few hundred terms), unless an absolute ``atol`` is given.

>>> import numpy as np
>>> from invariant import LayerSpec
>>> spec = LayerSpec(layer="linear", n=4)
>>> rng = np.random.default_rng(0)
>>> m = equivariance_error(lambda x: x + x.sum(-1, keepdims=True), sampler(spec), rng)
>>> m.ok(), m.error < 1e-12
(True, True)
>>> bad = equivariance_error(lambda x: x * np.arange(4), sampler(spec), rng)
>>> bad.ok(), bad.error > 0.1
(False, True)
>>> nan = equivariance_error(lambda x: x * np.nan, sampler(spec), rng)
>>> nan.ok(), nan.finite
(False, False)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from .errors import InvariantError
from .groups.actions import random_word
from .groups.permutations import Perm
from .problem import lower
from .spec import LayerSpec

Element = tuple[Perm, Perm, int]
Sampler = Callable[[np.random.Generator], Element]

#: Relative tolerance by output dtype: pass when error ≤ rtol · max(1, max |f(x)|).
RELATIVE_TOLERANCE = {"float64": 1e-10, "float32": 1e-4, "float16": 1e-2, "bfloat16": 1e-1}


@dataclass(frozen=True)
class TensorAction:
    """S_n on the trailing axes of an array: ``order`` point axes, then ``channels`` axes.

    ``channels`` lists the sizes of the channel axes (channels last; no element moves
    them). Order 1 without channels is a vector of n points; order 2 is a graph's n×n
    adjacency; order 0 is an invariant (only channels).

    >>> x = np.arange(9).reshape(3, 3)
    >>> TensorAction(order=2).apply((1, 2, 0), x)   # entry (i, j) moves to (g(i), g(j))
    array([[8, 6, 7],
           [2, 0, 1],
           [5, 3, 4]])
    >>> from invariant.groups.permutations import induced
    >>> np.array_equal(TensorAction(order=2).apply(induced((1, 2, 0), 2), x), TensorAction(order=2).apply((1, 2, 0), x))
    True
    >>> TensorAction(order=1, channels=(2,)).shape(3)
    (3, 2)
    """

    order: int = 1
    channels: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.order, bool) or not isinstance(self.order, int) or self.order < 0:
            raise InvariantError(f"a tensor action's order must be an integer >= 0, got {self.order!r}")
        if not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in self.channels):
            raise InvariantError(f"channel sizes must be positive integers, got {self.channels!r}")

    def shape(self, n: int) -> tuple[int, ...]:
        """The trailing shape of an array this action acts on, for n points."""
        return (n,) * self.order + tuple(self.channels)

    def fits(self, shape: tuple[int, ...], perm: Perm) -> bool:
        """Whether an array of ``shape`` ends in this action's axes for ``perm`` (on each point axis or on all)."""
        tail = len(self.channels) + self.order
        if len(shape) < tail or tuple(shape[len(shape) - len(self.channels):]) != tuple(self.channels):
            return False
        points = shape[len(shape) - tail:len(shape) - len(self.channels)]
        return all(p == len(perm) for p in points) or (self.order > 1 and math.prod(points) == len(perm))

    def apply(self, perm: Perm, x: np.ndarray) -> np.ndarray:
        """(g·x) with (g·x)_{i...} = x_{g⁻¹(i)...} on every point axis: the entry at i moves to g(i).

        A permutation of the n^order flattened index tuples (row-major; what
        :func:`invariant.groups.permutations.induced` gives, and the lowered action's π for order-l
        outputs) acts on the point axes as one.
        """
        inverse = np.argsort(np.asarray(perm, dtype=np.intp))
        first = x.ndim - len(self.channels) - self.order
        points = x.shape[first:first + self.order]
        if self.order > 1 and len(perm) == math.prod(points):
            flat = x.reshape(x.shape[:first] + (len(perm),) + tuple(self.channels))
            return np.take(flat, inverse, axis=first).reshape(x.shape)
        for axis in range(first, first + self.order):
            x = np.take(x, inverse, axis=axis)
        return x


VECTOR = TensorAction()


def words(pairs, n: int, outputs: int) -> Sampler:
    """Random words in generator pairs (g_i, π_i, s_i), lengths 1..40: random elements of ⟨(g_i, π_i, s_i)⟩.

    The product is taken in the group of triples, so π and s follow g exactly when the
    output rule is a homomorphism (and generate ⟨(g, ρ(g))⟩ when it is not).

    >>> g, pi, s = words((((1, 0, 2), (1, 0, 2), 1), ((1, 2, 0), (1, 2, 0), 1)), 3, 3)(np.random.default_rng(0))
    >>> g == pi and s == 1
    True
    """
    return partial(random_word, tuple(pairs), n, outputs)


def sampler(spec: LayerSpec) -> Sampler:
    """Random elements (g, π, s) of the spec's group with its output action, as lowered by the library."""
    return lower(spec).action.sample


@dataclass(frozen=True)
class Measurement:
    """The result of :func:`equivariance_error`.

    ``error`` is max |f(g·x) − s·π·f(x)| (NaN when an output was NaN or inf); ``scale`` is
    max |f(x)| over the finite outputs; ``dtype`` names the outputs' dtype.
    """

    error: float
    scale: float
    trials: int
    dtype: str
    finite: bool

    def tolerance(self, atol: float | None = None) -> float:
        """``atol`` if given, else rtol(dtype) · max(1, scale)."""
        if atol is not None:
            return atol
        if self.dtype not in RELATIVE_TOLERANCE:
            raise InvariantError(f"no default tolerance for {self.dtype} outputs; give atol")
        return RELATIVE_TOLERANCE[self.dtype] * max(1.0, self.scale)

    def ok(self, atol: float | None = None) -> bool:
        """Finite outputs and error ≤ :meth:`tolerance`."""
        return self.finite and self.error <= self.tolerance(atol)

    def __str__(self) -> str:
        if not self.finite:
            return f"non-finite output (NaN or inf) within {self.trials} random group elements"
        return (
            f"equivariance error {self.error:.3e} (output scale {self.scale:.3g}, {self.dtype}) "
            f"over {self.trials} random group elements"
        )


def equivariance_error(
    f: Callable[[np.ndarray], np.ndarray],
    sample: Sampler,
    rng: np.random.Generator,
    *,
    trials: int = 20,
    batch: int = 8,
    x: np.ndarray | None = None,
    input_action: TensorAction = VECTOR,
    output_action: TensorAction = VECTOR,
    dtype: str | None = None,
) -> Measurement:
    """max |f(g·x) − s·(π·f(x))| over ``trials`` elements (g, π, s) = ``sample(rng)``.

    ``x`` is the input batch (any dtype, e.g. integer tokens for a model with embeddings);
    by default a fresh standard normal batch of shape (batch, *input_action.shape(n)) per
    trial. ``f`` maps a numpy batch to a numpy batch whose trailing shape is
    ``output_action.shape(m)`` (m = len(π)); ``dtype`` names the precision f computes in
    (default: the dtype of f's output). Stops at the first non-finite output.
    """
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InvariantError(f"trials must be a positive integer, got {trials!r}")
    worst, scale = 0.0, 0.0
    for t in range(1, trials + 1):
        g, pi, s = sample(rng)
        xs = rng.standard_normal((batch,) + input_action.shape(len(g))) if x is None else x
        fx, fgx = np.asarray(f(xs)), np.asarray(f(input_action.apply(g, xs)))
        dtype = dtype or fx.dtype.name
        for y in (fx, fgx):
            if not output_action.fits(y.shape, pi):
                raise InvariantError(
                    f"output of shape {y.shape} does not fit the output action "
                    f"(order {output_action.order}, channels {output_action.channels}, {len(pi)} points)"
                )
        fx, fgx = fx.astype(np.float64), fgx.astype(np.float64)
        if not (np.isfinite(fx).all() and np.isfinite(fgx).all()):
            return Measurement(math.nan, scale, t, dtype, False)
        scale = max(scale, float(np.abs(fx).max(initial=0.0)))
        worst = max(worst, float(np.abs(fgx - s * output_action.apply(pi, fx)).max(initial=0.0)))
    assert dtype is not None  # named by the first trial (trials >= 1)
    return Measurement(worst, scale, trials, dtype, True)
