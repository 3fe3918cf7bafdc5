"""Set partitions as restricted-growth strings, the shape of S_n's orbits on index tuples.

Two index tuples (i_1, ..., i_s) lie in one S_n-orbit exactly when the same positions hold
equal indices, so the orbits are the set partitions of the s slots with at most n blocks.
A partition is written as its restricted-growth string: slot t gets the number of its block,
blocks numbered in order of first appearance. There are Bell(s) of them.

>>> list(set_partitions(3))
[(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1), (0, 1, 2)]
>>> [bell(s) for s in range(7)]
[1, 1, 2, 5, 15, 52, 203]
>>> pattern_of((7, 3, 7))
(0, 1, 0)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence


def set_partitions(slots: int, max_blocks: int | None = None) -> Iterator[tuple[int, ...]]:
    """Every restricted-growth string of length ``slots`` (at most ``max_blocks`` blocks), in lex order."""
    limit = slots if max_blocks is None else max_blocks

    def grow(prefix: list[int], top: int) -> Iterator[tuple[int, ...]]:
        if len(prefix) == slots:
            yield tuple(prefix)
            return
        for b in range(min(top + 1, limit - 1) + 1 if prefix else 1):
            yield from grow(prefix + [b], max(top, b))

    if slots == 0:
        yield ()
        return
    yield from grow([], -1)


def pattern_of(values: Sequence) -> tuple[int, ...]:
    """The restricted-growth string of a tuple: which positions hold equal values."""
    seen: dict = {}
    return tuple(seen.setdefault(v, len(seen)) for v in values)


def num_blocks(pattern: Sequence[int]) -> int:
    """The number of blocks of a restricted-growth string."""
    return max(pattern) + 1 if pattern else 0


def bell(s: int) -> int:
    """The Bell number: the number of set partitions of s slots (Bell triangle)."""
    row = [1]
    for _ in range(s):
        nxt = [row[-1]]
        for value in row:
            nxt.append(nxt[-1] + value)
        row = nxt
    return row[0]


def falling(n: int, b: int) -> int:
    """n (n-1) ... (n-b+1): the number of tuples with a given pattern of b blocks."""
    out = 1
    for t in range(b):
        out *= n - t
    return out


def falling_formula(b: int) -> str:
    """The falling factorial (n)_b as a formula in n, e.g. ``n(n-1)(n-2)``."""
    if b == 0:
        return "1"
    return "n" + "".join(f"(n-{t})" for t in range(1, b))


def pattern_code(pattern: Sequence[int]) -> int:
    """Σ_t first(t)·t!, first(t) the first slot in the same block as slot t: an integer code of
    a restricted-growth string below (number of slots)! (the tensor dense reference's key).

    >>> pattern_code((0, 1, 0)), pattern_code((0, 1, 1))
    (1, 3)
    """
    return sum(list(pattern).index(b) * math.factorial(t) for t, b in enumerate(pattern))


def pair_code(pattern: Sequence[int]) -> int:
    """Σ 2^t over the t-th slot pair (x, y), x < y in lex order, whose slots share a block: the
    equality bitmask of a restricted-growth string (the pattern tables' key).

    >>> pair_code((0, 0, 1)), pair_code((0, 1, 0)), pair_code((0, 0, 0))
    (1, 2, 7)
    """
    pairs = itertools.combinations(range(len(pattern)), 2)
    return sum(1 << t for t, (x, y) in enumerate(pairs) if pattern[x] == pattern[y])
