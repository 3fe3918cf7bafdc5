"""Finite permutation groups on n points: the named families and groups given by generators.

A :class:`Group` is a frozen record of its name, n and a generating set. Sums over the
group (character formulas) go through :meth:`Group.class_weights`, which yields one
representative per cycle type with its multiplicity for the named families, so that S_n is
summed over the partitions of n, never over its n! elements.

>>> from invariant.groups.permutations import format_generators
>>> G = symmetric(4)
>>> G.order, format_generators(G.generators)
(24, '(0 1); (0 1 2 3)')
>>> sum(c for _, c in G.class_weights())
24
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from ..errors import InvariantError
from .permutations import MAX_GENERATOR_ENTRIES, Perm, format_cycles, identity, sign

if TYPE_CHECKING:
    from sympy.combinatorics import PermutationGroup


#: Groups of custom generators are summed element by element up to this order.
MAX_ENUMERATED_ORDER = 200_000


class TooLargeToSum(InvariantError):
    """A sum over a group that no exact route computes without listing too many elements.

    The character formula turns it into a missing proof (the derivation still stands); any
    other caller sees a one-line :class:`InvariantError`.
    """


@dataclass(frozen=True)
class Group:
    """A permutation group on the points 0..n-1.

    ``name`` is one of :data:`GROUP_NAMES` or ``"custom"``. A named group is only its name and
    n: its generators are built on first use, so a group at n = 10^6 costs nothing until a
    solver path needs image tuples. A custom group holds the ``given`` image tuples.
    """

    name: str
    n: int
    given: tuple[Perm, ...] = ()

    def __str__(self) -> str:
        if self.name == "custom":
            text = ""
            for k, g in enumerate(self.given):  # only what is shown is formatted
                text += ("; " if k else "") + format_cycles(g)
                if len(text) > 60:
                    break
            return f"<{text if len(text) <= 60 else text[:57] + '...'}> on {self.n} points"
        return f"{self.name}({self.n})"

    @cached_property
    def generators(self) -> tuple[Perm, ...]:
        """Image tuples generating the group (named families: two or three of them)."""
        if self.name == "custom":
            return self.given
        return _MAKERS[self.name](self.n)

    @property
    def num_generators(self) -> int:
        """How many generators :attr:`generators` has (named groups: without building them)."""
        n = self.n
        counts = {
            "symmetric": 2 if n >= 3 else 1 if n == 2 else 0,
            "alternating": 2 if n >= 4 else 1 if n == 3 else 0,
            "cyclic": 1 if n > 1 else 0,
            "dihedral": 2,
            "hyperoctahedral": 1 + (n // 2 >= 2) + (n // 2 >= 3),
        }
        return counts[self.name] if self.name in counts else len(self.given)

    def to_sympy(self) -> PermutationGroup:
        """The same group as a SymPy :class:`PermutationGroup` (for orders, random elements)."""
        return sympy_group(self.n, self.reduced_generators)

    @cached_property
    def recognized(self) -> str | None:
        """"symmetric" or "alternating" when Jordan's theorem proves ⟨given⟩ ⊇ A_n, else None.

        Only the given generators are looked at (no order, no Schreier–Sims), so every other
        property may use it. None means "not proved" (always for n < 8 and for named groups).
        """
        if self.name != "custom" or not contains_alternating(self.n, self.given):
            return None
        return "symmetric" if any(sign(g) < 0 for g in self.given) else "alternating"

    @cached_property
    def reduced_generators(self) -> tuple[Perm, ...]:
        """A generating subset without the generators that lie in the group of the earlier ones.

        A group recognized as S_n or A_n gets the family's two generators. Otherwise the given
        generators are added one at a time, each only if Schreier–Sims membership says the
        group generated so far does not contain it (the identity never is added). The kept
        ones form a strictly increasing chain of subgroups of S_n, so there are fewer than
        3n/2 of them, however many were given.
        """
        if self.name != "custom":
            return self.generators
        if self.recognized:
            return _MAKERS[self.recognized](self.n)
        return _irredundant(self.n, self.given)

    @cached_property
    def order(self) -> int:
        """|G|, by formula for the named families (and groups recognized as S_n or A_n), else by
        Schreier–Sims on :attr:`reduced_generators`."""
        n, name = self.n, self.recognized or self.name
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

    @cached_property
    def log10_order(self) -> float:
        """log10 |G| (by lgamma for the named families: the exact order is never computed for it)."""
        n, name = self.n, self.recognized or self.name
        ln = {
            "symmetric": lambda: math.lgamma(n + 1),
            "alternating": lambda: math.lgamma(n + 1) - (math.log(2) if n >= 2 else 0.0),
            "cyclic": lambda: math.log(n),
            "dihedral": lambda: math.log(2 * n),
            "hyperoctahedral": lambda: (n // 2) * math.log(2) + math.lgamma(n // 2 + 1),
        }.get(name)
        return ln() / math.log(10) if ln else math.log10(self.order)

    @property
    def order_digits(self) -> int:
        """Roughly how many decimal digits |G| has."""
        return int(self.log10_order) + 1

    @cached_property
    def family(self) -> str:
        """The named family, or for generators "symmetric"/"alternating" when they generate S_n/A_n.

        Jordan's theorem (:attr:`recognized`) decides without the order; otherwise a group of
        degree n and order n! is S_n, and of order n!/2 with even generators A_n (n ≥ 2), the
        order coming from Schreier–Sims without listing elements.
        """
        if self.name != "custom":
            return self.name
        if self.recognized:
            return self.recognized
        full = math.factorial(self.n)
        if self.order == full:
            return "symmetric"
        if self.n >= 2 and 2 * self.order == full and all(sign(g) == 1 for g in self.given):
            return "alternating"
        return "custom"

    def preserves_pairs(self) -> bool:
        """Whether every generator maps the pairs {i, i + n/2} to pairs (n even)."""
        return self.n % 2 == 0 and all(maps_pairs_to_pairs(g) for g in self.generators)

    def class_weights(self) -> Iterator[tuple[Perm, int]]:
        """Pairs (representative, multiplicity) covering G, for sums of class functions.

        Multiplicities add up to |G|. Named families use cycle types (signed cycle types
        for the hyperoctahedral group); other groups are enumerated up to
        :data:`MAX_ENUMERATED_ORDER` elements.
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
                raise TooLargeToSum(
                    f"{self} has order {describe_order(self.order)}; a sum over a group given by generators lists "
                    f"its elements, up to order {MAX_ENUMERATED_ORDER} (its conjugacy classes are not computed)"
                )
            for p in self.to_sympy().generate():
                yield tuple(p.array_form), 1


@lru_cache(maxsize=64)
def sympy_group(n: int, generators: tuple[Perm, ...]) -> PermutationGroup:
    """The SymPy group generated by image tuples on n points (cached on the canonical tuples)."""
    from sympy.combinatorics import Permutation, PermutationGroup

    gens = [Permutation(list(g)) for g in generators] or [Permutation(list(range(n)))]
    return PermutationGroup(gens)


def contains_alternating(n: int, generators, attempts: int | None = None, seed: int = 0) -> bool:
    """Whether ⟨generators⟩ ⊇ A_n, proved by Jordan's theorem (False means: not proved).

    A primitive group containing a p-cycle for a prime p ≤ n - 3 contains A_n (Jordan). Here
    p > n/2: then a transitive group G holding a p-cycle c is primitive, since a block system
    with blocks of size b (1 < b < n) has n/b ≤ n/2 < p blocks, so c fixes every block, and c's
    p > n/2 ≥ b points would lie in one block. An element g with a cycle of prime length
    p > n/2 has all its other cycles shorter than p, so g^m (m their lcm, prime to p) is a
    p-cycle. Elements are drawn by product replacement (seeded, so the answer is
    deterministic), :data:`JORDAN_ATTEMPTS` of them (two compositions and one cycle walk
    each: O(n)); only transitivity looks at every generator.

    >>> contains_alternating(9, ((1, 0, 2, 3, 4, 5, 6, 7, 8), (1, 2, 3, 4, 5, 6, 7, 8, 0)))
    True
    >>> contains_alternating(8, ((1, 2, 3, 4, 5, 6, 7, 0),))   # C_8: transitive, no 5-cycle
    False
    """
    import random

    generators = tuple(dict.fromkeys(generators))  # repeated generators cost nothing more
    if n < 8 or not generators or not _transitive(n, generators):
        return False
    primes = {p for p in _primes_up_to(n - 3) if 2 * p > n}
    rng = random.Random(seed)
    for g in _product_replacement(generators, rng, JORDAN_ATTEMPTS if attempts is None else attempts):
        if _long_cycle_length(g) in primes:
            return True
    return False


#: Jordan's test draws this many random elements before it answers "not proved".
JORDAN_ATTEMPTS = 200


def _product_replacement(generators, rng, count: int) -> Iterator[Perm]:
    """``count`` random elements of ⟨generators⟩ (the product replacement walk, after 30 steps)."""
    from operator import itemgetter

    slots = list(generators)
    while len(slots) < 10:
        slots += list(generators)
    acc = slots[0]
    for step in range(count + 30):
        i, j = rng.sample(range(len(slots)), 2)
        slots[i] = itemgetter(*slots[j])(slots[i])  # slots[i] ∘ slots[j]
        acc = itemgetter(*slots[i])(acc)
        if step >= 30:
            yield acc


def _long_cycle_length(g: Perm) -> int:
    """The length of g's cycle of more than half the points, or 0 when it has none."""
    n = len(g)
    seen = bytearray(n)
    left = n
    for start in range(n):
        if 2 * left <= n:
            return 0
        if seen[start]:
            continue
        length, i = 0, start
        while not seen[i]:
            seen[i] = 1
            i = g[i]
            length += 1
        if 2 * length > n:
            return length
        left -= length
    return 0


def _primes_up_to(m: int) -> list[int]:
    sieve = bytearray([1]) * (m + 1)
    sieve[: min(2, m + 1)] = bytes(min(2, m + 1))
    for p in range(2, int(m**0.5) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, m + 1, p)))
    return [p for p in range(m + 1) if sieve[p]]


def _transitive(n: int, generators) -> bool:
    """Whether the orbit of 0 under the generators is every point (O(n · generators))."""
    seen = bytearray(n)
    seen[0] = 1
    frontier, count = [0], 1
    while frontier:
        nxt = []
        for g in generators:
            for i in frontier:
                j = g[i]
                if not seen[j]:
                    seen[j] = 1
                    nxt.append(j)
        count += len(nxt)
        frontier = nxt
    return count == n


def _irredundant(n: int, given: tuple[Perm, ...]) -> tuple[Perm, ...]:
    """The given generators that do not lie in the group of the earlier kept ones (Schreier–Sims)."""
    from sympy.combinatorics import Permutation

    kept: list[Perm] = []
    group = None
    for g in dict.fromkeys(given):  # a repeated generator is redundant
        if g == tuple(range(n)) or (group is not None and group.contains(Permutation(list(g)))):
            continue
        kept.append(g)
        group = sympy_group(n, tuple(kept))
    return tuple(kept)


def integer_partitions(n: int) -> Iterator[dict[int, int]]:
    """The partitions of n as {part: multiplicity}, largest parts first."""

    def parts(rest: int, largest: int) -> Iterator[list[int]]:
        if rest == 0:
            yield []
            return
        for p in range(min(rest, largest), 0, -1):
            for tail in parts(rest - p, p):
                yield [p, *tail]

    for ps in parts(n, n):
        counts: dict[int, int] = {}
        for p in ps:
            counts[p] = counts.get(p, 0) + 1
        yield counts


def describe_order(order: int | Group) -> str:
    """The order (of a group, or an integer) exactly up to 30 digits, else as a power of ten.

    >>> describe_order(24), describe_order(math.factorial(100)), describe_order(Group("symmetric", 10**6))
    ('24', '≈ 10^158.0', '≈ 10^5565708.9')
    """
    if isinstance(order, Group):
        if order.log10_order < 29.5:
            return str(order.order)
        return f"≈ 10^{order.log10_order:.1f}"
    if order < 10**30:
        return str(order)
    return f"≈ 10^{math.log10(order):.1f}"


def maps_pairs_to_pairs(g: Perm) -> bool:
    """Whether g maps every pair {i, i + m} (m = n/2) onto another such pair."""
    m = len(g) // 2
    return len(g) % 2 == 0 and all((g[i] - g[i + m]) % len(g) == m for i in range(m))


def _cycle_perm(lengths: list[int]) -> Perm:
    """A permutation with consecutive cycles of the given lengths."""
    images: list[int] = []
    start = 0
    for length in lengths:
        images.extend(start + (t + 1) % length for t in range(length))
        start += length
    return tuple(images)


def _partition_classes(n: int, even_only: bool) -> Iterator[tuple[Perm, int]]:
    for part in integer_partitions(n):
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
    for part in integer_partitions(m):
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


def _symmetric_gens(n: int) -> tuple[Perm, ...]:
    """S_n, generated by (0 1) and (0 1 ... n-1)."""
    return (_transposition(n, 0, 1), _cycle_gen(n)) if n >= 3 else ((_transposition(n, 0, 1),) if n == 2 else ())


def _alternating_gens(n: int) -> tuple[Perm, ...]:
    """A_n, generated by (0 1 2) and an (n-1)- or n-cycle of even sign."""
    if n < 3:
        return ()
    three = tuple([1, 2, 0] + list(range(3, n)))
    if n == 3:
        return (three,)
    long = _cycle_gen(n) if n % 2 else (0,) + tuple(1 + (i + 1) % (n - 1) for i in range(n - 1))
    return (three, long)


def _cyclic_gens(n: int) -> tuple[Perm, ...]:
    """C_n, generated by the rotation i -> i + 1 mod n."""
    return (_cycle_gen(n),) if n > 1 else ()


def _dihedral_gens(n: int) -> tuple[Perm, ...]:
    """D_n of order 2n: the rotation i -> i + 1 and the reflection i -> -i (mod n)."""
    return (_cycle_gen(n), tuple((-i) % n for i in range(n)))


def _hyperoctahedral_gens(n: int) -> tuple[Perm, ...]:
    """B_{n/2}: permutations of n = 2m points that map the pairs {i, i+m} to pairs.

    Generated by the flip (0 m), the pair swap (0 1)(m m+1) and the pair rotation.
    """
    m = n // 2
    gens = [_transposition(n, 0, m)]
    if m >= 2:
        gens.append(tuple(_compose_disjoint(n, [(0, 1), (m, m + 1)])))
    if m >= 3:
        gens.append(tuple([(i + 1) % m for i in range(m)] + [m + (i + 1) % m for i in range(m)]))
    return tuple(gens)


def _compose_disjoint(n: int, swaps: list[tuple[int, int]]) -> list[int]:
    images = list(range(n))
    for a, b in swaps:
        images[a], images[b] = b, a
    return images


def all_transpositions(n: int) -> tuple[Perm, ...]:
    """Every transposition (a b), a < b, in lexicographic order."""
    return tuple(_transposition(n, a, b) for a in range(n) for b in range(a + 1, n))


_MAKERS = {
    "symmetric": _symmetric_gens,
    "alternating": _alternating_gens,
    "cyclic": _cyclic_gens,
    "dihedral": _dihedral_gens,
    "hyperoctahedral": _hyperoctahedral_gens,
}

#: The named families, in the order the CLI lists them.
GROUP_NAMES: tuple[str, ...] = tuple(_MAKERS)

#: One line each for ``invariant groups``: what the family is.
DESCRIPTIONS = {
    "symmetric": "S_n: every permutation of the n points",
    "alternating": "A_n: the even permutations",
    "cyclic": "C_n: rotations i -> i + k mod n",
    "dihedral": "D_n: rotations and reflections of an n-gon (n >= 3)",
    "hyperoctahedral": "B_{n/2}: permutations mapping the pairs {i, i + n/2} to pairs (even n)",
}


def named(name: str, n: int) -> Group:
    """The named group family ``name`` on n points (generators are built on first use)."""
    if name not in _MAKERS:
        raise InvariantError(f"unknown group {name!r}; choose one of {', '.join(GROUP_NAMES)}")
    _require(n >= 1, f"the {name} group needs n >= 1, got {n}")
    if name == "dihedral":
        _require(n >= 3, f"the dihedral group needs n >= 3, got {n}")
    if name == "hyperoctahedral":
        _require(n >= 2 and n % 2 == 0, f"the hyperoctahedral group needs an even n >= 2, got {n}")
    return Group(name, n)


def symmetric(n: int) -> Group:
    """S_n on n points."""
    return named("symmetric", n)


def hyperoctahedral(n: int) -> Group:
    """B_{n/2} on n points."""
    return named("hyperoctahedral", n)


def custom(n: int, generators: tuple[Perm, ...]) -> Group:
    """The group generated by the given permutations of 0..n-1 (at most
    :data:`~invariant.groups.permutations.MAX_GENERATOR_ENTRIES` image entries in all)."""
    _require(n * len(generators) <= MAX_GENERATOR_ENTRIES,
             f"{len(generators)} generators on {n} points are {n * len(generators)} image entries; "
             f"at most {MAX_GENERATOR_ENTRIES} (n × generators)")
    return Group("custom", n, tuple(generators))


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise InvariantError(message)
