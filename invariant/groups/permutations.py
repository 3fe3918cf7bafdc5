"""Permutations of 0..n-1 as image tuples, and their 0-based cycle notation.

A permutation g is stored as the tuple ``(g(0), ..., g(n-1))``. Composition follows the
functional convention ``compose(g, h)(i) = g(h(i))`` (apply h first).

>>> parse_cycles("(0 1 2)(3 4)", 5)
(1, 2, 0, 4, 3)
>>> format_cycles((1, 2, 0, 4, 3))
'(0 1 2)(3 4)'
>>> parse_generators("(0 1); (0 1 2 3)", 4)
((1, 0, 2, 3), (1, 2, 3, 0))
"""

from __future__ import annotations

import re
from collections import Counter

from ..errors import InvariantError

Perm = tuple[int, ...]

#: Generators are stored as image tuples: at most this many entries in all (n × generators).
MAX_GENERATOR_ENTRIES = 1 << 22

_CYCLE = re.compile(r"\(([^()]*)\)")


def identity(n: int) -> Perm:
    """The identity permutation of n points."""
    return tuple(range(n))


def is_permutation(g, n: int) -> bool:
    """Whether ``g`` is a tuple of ints listing each of 0..n-1 once."""
    return (
        len(g) == n
        and all(isinstance(i, int) and not isinstance(i, bool) for i in g)
        and sorted(g) == list(range(n))
    )


def induced(g: Perm, order: int) -> Perm:
    """The permutation g induces on the n^order index tuples, flattened row-major.

    The tuple (i_1, ..., i_k) sits at Σ i_t n^(k-t) and moves to (g(i_1), ..., g(i_k)).

    >>> induced((1, 0), 2)
    (3, 2, 1, 0)
    """
    n = len(g)
    images: list[int] = [0]
    for _ in range(order):
        images = [a * n + gi for a in images for gi in g]
    return tuple(images)


def compose(g: Perm, h: Perm) -> Perm:
    """The product g∘h: first h, then g."""
    return tuple(g[i] for i in h)


def inverse(g: Perm) -> Perm:
    """The inverse permutation g⁻¹."""
    inv = [0] * len(g)
    for i, gi in enumerate(g):
        inv[gi] = i
    return tuple(inv)


def cycles(g: Perm) -> list[tuple[int, ...]]:
    """The cycles of g (fixed points included), each starting at its smallest point."""
    seen = [False] * len(g)
    out = []
    for start in range(len(g)):
        if seen[start]:
            continue
        cyc = []
        i = start
        while not seen[i]:
            seen[i] = True
            cyc.append(i)
            i = g[i]
        out.append(tuple(cyc))
    return out


def cycle_type(g: Perm) -> tuple[int, ...]:
    """The cycle lengths of g in decreasing order (a partition of n)."""
    return tuple(sorted((len(c) for c in cycles(g)), reverse=True))


def sign(g: Perm) -> int:
    """The sign sgn(g) = (-1)^(n - number of cycles)."""
    return -1 if (len(g) - len(cycles(g))) % 2 else 1


def fixed_points(g: Perm) -> int:
    """The number of points i with g(i) = i (the permutation character)."""
    return sum(1 for i, gi in enumerate(g) if i == gi)


def format_cycles(g: Perm) -> str:
    """0-based cycle notation without 1-cycles; the identity is ``()``."""
    parts = ["(" + " ".join(map(str, c)) + ")" for c in cycles(g) if len(c) > 1]
    return "".join(parts) or "()"


def parse_cycles(text: str, n: int) -> Perm:
    """Parse 0-based cycle notation such as ``(0 1)(2 3 4)`` into a permutation of n points.

    Cycles are composed right to left, so non-disjoint cycles are allowed. Each cycle c is
    applied on its support only (r ← c∘r through r's inverse), so the cost is O(n) plus the
    length of the text, not O(n) per cycle.
    """
    stripped = text.strip()
    if not stripped:
        raise InvariantError("empty permutation: write the identity as ()")
    if _CYCLE.sub("", stripped).strip():
        raise InvariantError(f"malformed permutation {text.strip()!r}: expected cycles like (0 1 2)")
    result, inv = list(range(n)), list(range(n))
    for body in reversed(_CYCLE.findall(stripped)):
        tokens = body.replace(",", " ").split()
        try:
            points = [int(t) for t in tokens]
        except ValueError:
            raise InvariantError(f"malformed cycle ({body}): points must be integers") from None
        if len(set(points)) != len(points):
            raise InvariantError(f"malformed cycle ({body}): a point repeats")
        for p in points:
            if not 0 <= p < n:
                raise InvariantError(f"cycle ({body}) moves point {p}, but the points are 0..{n - 1}")
        sources = [inv[a] for a in points]  # r(j) = a: after c∘r, j goes to c(a)
        for j, b in zip(sources, points[1:] + points[:1]):
            result[j] = b
            inv[b] = j
    return tuple(result)


def parse_generators(text: str, n: int) -> tuple[Perm, ...]:
    """Parse semicolon-separated generators, e.g. ``"(0 1); (0 1 2 3)"``."""
    pieces = [p for p in text.split(";")]
    if not any(p.strip() for p in pieces):
        raise InvariantError("no generators given")
    if len(pieces) * n > MAX_GENERATOR_ENTRIES:  # before any tuple is built
        raise InvariantError(f"{len(pieces)} generators on {n} points are {len(pieces) * n} image entries; "
                             f"at most {MAX_GENERATOR_ENTRIES} (n × generators)")
    return tuple(parse_cycles(p, n) for p in pieces)


def format_generators(gens: tuple[Perm, ...]) -> str:
    """Inverse of :func:`parse_generators`: ``"(0 1); (0 1 2 3)"``."""
    return "; ".join(format_cycles(g) for g in gens)


def cycle_type_counts(g: Perm) -> Counter:
    """How many cycles of each length g has."""
    return Counter(len(c) for c in cycles(g))
