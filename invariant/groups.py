"""Finite permutation groups on n points: the named families and groups given by generators.

A :class:`Group` is a frozen record of its name, n and a generating set. Sums over the
group (character formulas) go through :meth:`Group.class_weights`, which yields one
representative per cycle type with its multiplicity for the named families, so that S_n is
summed over the partitions of n, never over its n! elements.

>>> G = symmetric(4)
>>> G.order, format_generators(G.generators)
(24, '(0 1); (0 1 2 3)')
>>> sum(c for _, c in G.class_weights())
24
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Iterator

from sympy.combinatorics import Permutation, PermutationGroup
from sympy.utilities.iterables import partitions

from .errors import InvariantError
from .perms import Perm, format_generators, identity, sign

GROUP_NAMES = ("symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral")

#: Groups of custom generators are summed element by element up to this order.
MAX_ENUMERATED_ORDER = 200_000


@dataclass(frozen=True)
class Group:
    """A permutation group on the points 0..n-1.

    ``name`` is one of :data:`GROUP_NAMES` or ``"custom"``; ``generators`` are image tuples.
    """

    name: str
    n: int
    generators: tuple[Perm, ...]

    def __post_init__(self) -> None:
        for g in self.generators:
            if len(g) != self.n or sorted(g) != list(range(self.n)):
                raise InvariantError(f"generator {g} is not a permutation of 0..{self.n - 1}")

    def __str__(self) -> str:
        if self.name == "custom":
            return f"<{format_generators(self.generators)}> on {self.n} points"
        return f"{self.name}({self.n})"

    def to_sympy(self) -> PermutationGroup:
        """The same group as a SymPy :class:`PermutationGroup` (for orders, random elements)."""
        return _sympy_group(self.n, self.generators)

    @property
    def order(self) -> int:
        """|G|, by formula for the named families and by Schreier–Sims otherwise."""
        n, name = self.n, self.name
        if name == "symmetric":
            return math.factorial(n)
        if name == "alternating":
            return max(1, math.factorial(n) // 2)
        if name == "cyclic":
            return n
        if name == "dihedral":
            return 2 * n
        if name == "hyperoctahedral":
            m = n // 2
            return 2**m * math.factorial(m)
        return int(self.to_sympy().order())

    def preserves_pairs(self) -> bool:
        """Whether every generator maps the pairs {i, i + n/2} to pairs (n even)."""
        return self.n % 2 == 0 and all(maps_pairs_to_pairs(g) for g in self.generators)

    def class_weights(self) -> Iterator[tuple[Perm, int]]:
        """Pairs (representative, multiplicity) covering G, for sums of class functions.

        Multiplicities add up to |G|. Named families use cycle types (signed cycle types
        for the hyperoctahedral group); custom groups are enumerated.
        """
        n, name = self.n, self.name
        if name == "symmetric":
            yield from _partition_classes(n, even_only=False)
        elif name == "alternating":
            yield from _partition_classes(n, even_only=True)
        elif name == "hyperoctahedral":
            yield from _signed_classes(n // 2)
        else:
            if self.order > MAX_ENUMERATED_ORDER:
                raise InvariantError(
                    f"{self} has order {self.order}; character sums over groups given by "
                    f"generators are limited to order {MAX_ENUMERATED_ORDER}"
                )
            for p in self.to_sympy().generate():
                yield tuple(p.array_form), 1


@cache
def _sympy_group(n: int, generators: tuple[Perm, ...]) -> PermutationGroup:
    gens = [Permutation(list(g)) for g in generators] or [Permutation(list(range(n)))]
    return PermutationGroup(gens)


def describe_order(order: int) -> str:
    """The order exactly up to 30 digits, else as a power of ten.

    >>> describe_order(24), describe_order(math.factorial(100))
    ('24', '≈ 10^158.0')
    """
    if order < 10**30:
        return str(order)
    return f"≈ 10^{math.log10(order):.1f}"


def maps_pairs_to_pairs(g: Perm) -> bool:
    """Whether g maps every pair {i, i + m} (m = n/2) onto another such pair."""
    m = len(g) // 2
    return len(g) % 2 == 0 and all((g[i] - g[i + m]) % len(g) == m for i in range(m))


def _cycle_perm(lengths: list[int]) -> Perm:
    """A permutation with consecutive cycles of the given lengths."""
    images, start = [], 0
    for length in lengths:
        images.extend(start + (t + 1) % length for t in range(length))
        start += length
    return tuple(images)


def _partition_classes(n: int, even_only: bool) -> Iterator[tuple[Perm, int]]:
    for part in partitions(n):
        lengths = [length for length, mult in sorted(part.items()) for _ in range(mult)]
        rep = _cycle_perm(lengths)
        if even_only and sign(rep) < 0:
            continue
        z = math.prod(length**mult * math.factorial(mult) for length, mult in part.items())
        yield rep, math.factorial(n) // z


def _signed_classes(m: int) -> Iterator[tuple[Perm, int]]:
    """Signed cycle types of the hyperoctahedral group B_m on 2m points.

    A cycle of length l on the pairs with sign product +1 gives two l-cycles on the points,
    with sign -1 one 2l-cycle; there are 2^m m! / Π_l (2l)^(a_l + b_l) a_l! b_l! elements
    with a_l positive and b_l negative l-cycles.
    """
    for part in partitions(m):
        items = sorted(part.items())
        # For each cycle length, how many of its cycles are negative.
        for negs in _product_ranges([mult for _, mult in items]):
            images = list(identity(2 * m))
            start, denom = 0, 1
            for (length, mult), b in zip(items, negs):
                denom *= (2 * length) ** mult * math.factorial(mult - b) * math.factorial(b)
                for c in range(mult):
                    pts = list(range(start, start + length))
                    for t, p in enumerate(pts):
                        q = pts[(t + 1) % length]
                        wrap = c < b and t == length - 1
                        images[p] = q + m if wrap else q
                        images[p + m] = q if wrap else q + m
                    start += length
            yield tuple(images), 2**m * math.factorial(m) // denom


def _product_ranges(bounds: list[int]) -> Iterator[tuple[int, ...]]:
    if not bounds:
        yield ()
        return
    for head in range(bounds[0] + 1):
        for tail in _product_ranges(bounds[1:]):
            yield (head, *tail)


def _cycle_gen(n: int) -> Perm:
    return tuple((i + 1) % n for i in range(n))


def _transposition(n: int, a: int, b: int) -> Perm:
    images = list(range(n))
    images[a], images[b] = b, a
    return tuple(images)


def symmetric(n: int) -> Group:
    """S_n, generated by (0 1) and (0 1 ... n-1)."""
    _require(n >= 1, f"the symmetric group needs n >= 1, got {n}")
    gens = (_transposition(n, 0, 1), _cycle_gen(n)) if n >= 3 else ((_transposition(n, 0, 1),) if n == 2 else ())
    return Group("symmetric", n, gens)


def alternating(n: int) -> Group:
    """A_n, generated by (0 1 2) and an (n-1)- or n-cycle of even sign."""
    _require(n >= 1, f"the alternating group needs n >= 1, got {n}")
    if n < 3:
        return Group("alternating", n, ())
    three = tuple([1, 2, 0] + list(range(3, n)))
    if n == 3:
        return Group("alternating", n, (three,))
    long = _cycle_gen(n) if n % 2 else (0,) + tuple(1 + (i + 1) % (n - 1) for i in range(n - 1))
    return Group("alternating", n, (three, long))


def cyclic(n: int) -> Group:
    """C_n, generated by the rotation i -> i + 1 mod n."""
    _require(n >= 1, f"the cyclic group needs n >= 1, got {n}")
    return Group("cyclic", n, (_cycle_gen(n),) if n > 1 else ())


def dihedral(n: int) -> Group:
    """D_n of order 2n: the rotation i -> i + 1 and the reflection i -> -i (mod n)."""
    _require(n >= 3, f"the dihedral group needs n >= 3, got {n}")
    return Group("dihedral", n, (_cycle_gen(n), tuple((-i) % n for i in range(n))))


def hyperoctahedral(n: int) -> Group:
    """B_{n/2}: permutations of n = 2m points that map the pairs {i, i+m} to pairs.

    Generated by the flip (0 m), the pair swap (0 1)(m m+1) and the pair rotation.
    """
    _require(n >= 2 and n % 2 == 0, f"the hyperoctahedral group needs an even n >= 2, got {n}")
    m = n // 2
    gens = [_transposition(n, 0, m)]
    if m >= 2:
        gens.append(tuple(_compose_disjoint(n, [(0, 1), (m, m + 1)])))
    if m >= 3:
        gens.append(tuple([(i + 1) % m for i in range(m)] + [m + (i + 1) % m for i in range(m)]))
    return Group("hyperoctahedral", n, tuple(gens))


def _compose_disjoint(n: int, swaps: list[tuple[int, int]]) -> list[int]:
    images = list(range(n))
    for a, b in swaps:
        images[a], images[b] = b, a
    return images


def all_transpositions(n: int) -> tuple[Perm, ...]:
    """Every transposition (a b), a < b, in lexicographic order."""
    return tuple(_transposition(n, a, b) for a in range(n) for b in range(a + 1, n))


def named(name: str, n: int) -> Group:
    """The named group family ``name`` on n points."""
    makers = {
        "symmetric": symmetric,
        "alternating": alternating,
        "cyclic": cyclic,
        "dihedral": dihedral,
        "hyperoctahedral": hyperoctahedral,
    }
    if name not in makers:
        raise InvariantError(f"unknown group {name!r}; choose one of {', '.join(GROUP_NAMES)}")
    return makers[name](n)


def custom(n: int, generators: tuple[Perm, ...]) -> Group:
    """The group generated by the given permutations of 0..n-1."""
    return Group("custom", n, tuple(generators))


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise InvariantError(message)
