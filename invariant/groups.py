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
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Iterator

from .errors import InvariantError
from .perms import Perm, format_generators, identity, sign

if TYPE_CHECKING:
    from sympy.combinatorics import PermutationGroup


#: Groups of custom generators are summed element by element up to this order.
MAX_ENUMERATED_ORDER = 200_000


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
            text = format_generators(self.given)
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

    def to_sympy(self) -> "PermutationGroup":
        """The same group as a SymPy :class:`PermutationGroup` (for orders, random elements)."""
        return sympy_group(self.n, self.reduced_generators)

    @cached_property
    def reduced_generators(self) -> tuple[Perm, ...]:
        """A generating subset without the generators that lie in the group of the earlier ones.

        Generators are added one at a time, each only if Schreier–Sims membership says the
        group so far does not contain it; once the group is S_n (order n!), or A_n and the
        rest are even, nothing more can be added. Thousands of random generators reduce to
        two or three before any expensive step.
        """
        if self.name != "custom" or len(self.given) <= 3:
            return self.generators
        if self.family in ("symmetric", "alternating"):
            return _MAKERS[self.family](self.n)  # the same group, two generators
        full = math.factorial(self.n)
        kept = [g for g in self.given[:2]]
        group = sympy_group(self.n, tuple(kept))
        for g in self.given[2:]:
            order = int(group.order())
            if order == full or (2 * order == full and sign(g) == 1):
                continue
            from sympy.combinatorics import Permutation

            if not group.contains(Permutation(list(g))):
                kept.append(g)
                group = sympy_group(self.n, tuple(kept))
        return tuple(kept)

    @cached_property
    def order(self) -> int:
        """|G|, by formula for the named families (and groups recognized as S_n or A_n), else by
        Schreier–Sims."""
        n, name = self.n, self.name
        if name == "custom" and contains_alternating(n, self.given):
            name = self.family
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
        n, name = self.n, self.name
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

        A permutation group of degree n and order n! is S_n; of order n!/2 with even
        generators it is A_n (n ≥ 2). Schreier–Sims gives the order without listing elements.
        """
        if self.name != "custom":
            return self.name
        if contains_alternating(self.n, self.given):
            return "symmetric" if any(sign(g) < 0 for g in self.given) else "alternating"
        if self.order == math.factorial(self.n):
            return "symmetric"
        if self.n >= 2 and 2 * self.order == math.factorial(self.n) and all(sign(g) == 1 for g in self.given):
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
                raise InvariantError(
                    f"{self} has order {describe_order(self.order)}; sums over a group given by generators "
                    f"are limited to order {MAX_ENUMERATED_ORDER}"
                )
            for p in self.to_sympy().generate():
                yield tuple(p.array_form), 1


@lru_cache(maxsize=64)
def sympy_group(n: int, generators: tuple[Perm, ...]) -> "PermutationGroup":
    """The SymPy group generated by image tuples on n points (cached on the canonical tuples)."""
    from sympy.combinatorics import Permutation, PermutationGroup

    gens = [Permutation(list(g)) for g in generators] or [Permutation(list(range(n)))]
    return PermutationGroup(gens)


def contains_alternating(n: int, generators, attempts: int = 400, seed: int = 0) -> bool:
    """Whether ⟨generators⟩ ⊇ A_n, proved by Jordan's theorem (False means: not proved).

    A primitive group containing a p-cycle for a prime p ≤ n - 3 contains A_n. Primitivity is
    checked exactly (transitive, and no nontrivial block system); a p-cycle is the power
    g^m of an element g with one cycle of prime length p and all other cycle lengths prime to
    p (m their lcm). Elements are random words in the generators; if none of ``attempts``
    words has such a cycle, the answer is False and callers fall back to Schreier–Sims.
    """
    import random

    if n < 8 or not generators:
        return False
    if not _transitive(n, generators):
        return False
    rng = random.Random(seed)
    found = False
    for _ in range(attempts):
        g = tuple(range(n))
        for _ in range(rng.randint(1, 2 * len(generators) + 8)):
            h = generators[rng.randrange(len(generators))]
            g = tuple(h[i] for i in g)
        lengths = [len(c) for c in _cycles_of(g)]
        for p in set(lengths):
            if p <= n - 3 and _is_prime(p) and lengths.count(p) == 1 and all(l % p for l in lengths if l != p):
                found = True
                break
        if found:
            break
    return found and sympy_group(n, tuple(generators[:32]) if len(generators) <= 32 else _first_transitive(n, generators)).is_primitive()


def _first_transitive(n: int, generators) -> tuple:
    """The shortest prefix of the generators that is still transitive (for the primitivity test)."""
    for k in range(1, len(generators) + 1):
        if _transitive(n, generators[:k]):
            return tuple(generators[:k])
    return tuple(generators)


def _transitive(n: int, generators) -> bool:
    seen, frontier = {0}, [0]
    while frontier:
        nxt = []
        for i in frontier:
            for g in generators:
                if g[i] not in seen:
                    seen.add(g[i])
                    nxt.append(g[i])
        frontier = nxt
    return len(seen) == n


def _cycles_of(g):
    seen = [False] * len(g)
    for start in range(len(g)):
        if not seen[start]:
            cyc, i = [], start
            while not seen[i]:
                seen[i] = True
                cyc.append(i)
                i = g[i]
            yield cyc


def _is_prime(p: int) -> bool:
    return p >= 2 and all(p % d for d in range(2, int(p**0.5) + 1))


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


def describe_order(order: "int | Group") -> str:
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
    images, start = [], 0
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
    """The group generated by the given permutations of 0..n-1."""
    return Group("custom", n, tuple(generators))


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise InvariantError(message)
