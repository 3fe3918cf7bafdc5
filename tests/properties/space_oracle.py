"""The whole-space property test's own oracle: groups enumerated by hand, dimensions by brute force.

Nothing here calls the library's groups, actions, characters or solver paths: a request is
given as plain keywords (what ``LayerSpec`` takes), the group D = ⟨(g_i, ρ_i)⟩ of signed
triples (g, π, s) is enumerated element by element, and the dimension of the equivariant
polynomial maps is the character sum over D,

    dim = D_out · Σ_f (1/|D|) Σ_{(g, π, s) ∈ D} χ_{Sym^{d_f}(V ⊗ R^C)}(g) · s · fix(π),

f running over the layer's terms (main term of degree d, linear term, bias of degree 0),
V = R^(n^k) the input tensor with g acting on every index, C input channels, D_out output
channels, and χ_{Sym^d}(g) the number of degree-d monomials in the N·C input coordinates
that g fixes, counted from the cycles of the permutation g induces on them (each cycle of
length r contributes the factor 1/(1 - t^r); the coefficient of t^d is the count).
:func:`reynolds_dimension` computes the same number a second way, as the rank of the
averaged (Reynolds) projector on the coefficient space, for small cases.

The output rule ρ follows the documented semantics: ``permutation`` π = g on the l output
indices; ``trivial`` π = 1; ``sign`` π = 1, s = sgn(g); ``folded`` the action on the pairs
{i, i + n/2} for pair-preserving g, (a b) ↦ (a mod n/2, b mod n/2) on a transposition (a rule
on generators only: under S_n it is matched on every transposition, in naive mode on the
transpositions of the first half; under a group given by generators, on those generators);
``custom`` the hand-given image of each generator. Named groups are enumerated from their
definitions, groups given by generators by closure.

>>> dimension(dict(layer="quadratic", n=4))                          # README: 4 classes
4
>>> dimension(dict(layer="linear", n=5, input_order=2, output_order=2))   # Maron et al.: 15
15
>>> dimension(dict(layer="folded-linear", n=6))                      # the note's rule: W = c·11ᵀ
1
>>> dimension(dict(layer="folded-linear", n=6, group="hyperoctahedral"))
2
>>> dimension(dict(layer="quadratic", n=3, output="trivial", in_channels=2))  # 2 + 2 (Sym²V twice) + 2 (V⊗V)
6
>>> reynolds_dimension(dict(layer="quadratic", n=3, output="trivial", in_channels=2))
6
>>> dimension(dict(layer="folded-linear", n=4, group="alternating")) is None  # (0 1 2): no image
True
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

Perm = tuple[int, ...]
NAMED = ("symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral")


# -- permutations ------------------------------------------------------------------------------

def compose(a: Perm, b: Perm) -> Perm:
    """a∘b: first b, then a."""
    return tuple(a[i] for i in b)


def inverse(g: Perm) -> Perm:
    out = [0] * len(g)
    for i, gi in enumerate(g):
        out[gi] = i
    return tuple(out)


def cycle_lengths(g: Perm) -> list[int]:
    seen, out = [False] * len(g), []
    for start in range(len(g)):
        length, i = 0, start
        while not seen[i]:
            seen[i], i, length = True, g[i], length + 1
        if length:
            out.append(length)
    return out


def parity(g: Perm) -> int:
    return -1 if (len(g) - len(cycle_lengths(g))) % 2 else 1


def fixed(g: Perm) -> int:
    return sum(1 for i, gi in enumerate(g) if i == gi)


def on_tuples(g: Perm, order: int) -> Perm:
    """The permutation of the n^order index tuples (row-major) that g induces: entry (i, j) → (g i, g j)."""
    n = len(g)
    images = [0]
    for _ in range(order):
        images = [a * n + gi for a in images for gi in g]
    return tuple(images)


def moved(g: Perm) -> list[int]:
    return [i for i, gi in enumerate(g) if gi != i]


def preserves_pairs(g: Perm) -> bool:
    """Whether g maps each pair {i, i + n/2} onto such a pair (n even)."""
    n = len(g)
    m = n // 2
    return n % 2 == 0 and all(abs(g[i] - g[i + m]) == m for i in range(m))


def fold(g: Perm) -> Perm | None:
    """The folded rule's image of g on the n/2 pairs, or None where the rule says nothing."""
    m = len(g) // 2
    if preserves_pairs(g):
        return tuple(g[i] % m for i in range(m))
    points = moved(g)
    if len(points) != 2 or g[points[0]] != points[1]:
        return None
    images = list(range(m))
    a, b = points[0] % m, points[1] % m
    images[a], images[b] = b, a
    return tuple(images)


# -- the groups --------------------------------------------------------------------------------

def named_elements(name: str, n: int) -> list[Perm]:
    """Every element of a named family on n points, from its definition (not from generators)."""
    everything = list(itertools.permutations(range(n)))
    if name == "symmetric":
        return everything
    if name == "alternating":
        return [g for g in everything if parity(g) == 1]
    if name == "cyclic":
        return [tuple((i + k) % n for i in range(n)) for k in range(n)]
    if name == "dihedral":
        return [tuple((e * i + k) % n for i in range(n)) for k in range(n) for e in (1, -1)]
    if name == "hyperoctahedral":
        return [g for g in everything if preserves_pairs(g)]
    raise ValueError(name)


def named_generators(name: str, n: int) -> tuple[Perm, ...]:
    """The generators ``invariant groups`` lists for a named family, in its order (they are what a
    hand-given output action pairs its images with)."""
    ident = list(range(n))

    def swaps(*pairs):
        out = list(ident)
        for a, b in pairs:
            out[a], out[b] = b, a
        return tuple(out)

    rotation = tuple((i + 1) % n for i in range(n))
    m = n // 2
    if name == "symmetric":
        return (swaps((0, 1)), rotation) if n >= 3 else (swaps((0, 1)),) if n == 2 else ()
    if name == "alternating":
        if n < 3:
            return ()
        three = (1, 2, 0) + tuple(range(3, n))
        long = rotation if n % 2 else (0,) + tuple(1 + i % (n - 1) for i in range(1, n))
        return (three,) if n == 3 else (three, long)
    if name == "cyclic":
        return (rotation,) if n > 1 else ()
    if name == "dihedral":
        return (rotation, tuple((-i) % n for i in range(n)))
    if name == "hyperoctahedral":
        pair_rotation = tuple((i + 1) % m for i in range(m)) + tuple(m + (i + 1) % m for i in range(m))
        return ((swaps((0, m)),) + ((swaps((0, 1), (m, m + 1)),) if m >= 2 else ())
                + ((pair_rotation,) if m >= 3 else ()))
    raise ValueError(name)


def closure(pairs: list[tuple[Perm, Perm, int]], n: int, m: int) -> set[tuple[Perm, Perm, int]]:
    """⟨(g_i, π_i, s_i)⟩ by breadth-first closure (every element, products in the group of triples)."""
    start = (tuple(range(n)), tuple(range(m)), 1)
    seen, frontier = {start}, [start]
    while frontier:
        nxt = []
        for g, pi, s in frontier:
            for a, b, t in pairs:
                e = (compose(a, g), compose(b, pi), s * t)
                if e not in seen:
                    seen.add(e)
                    nxt.append(e)
        frontier = nxt
    return seen


def generators_of(kw: dict) -> tuple[Perm, ...]:
    """The hand-given generators of a request as image tuples (a cycle string parsed here)."""
    gens = kw.get("generators")
    if isinstance(gens, str):
        return tuple(parse_cycles(p, kw.get("n", 4)) for p in gens.split(";"))
    return tuple(tuple(g) for g in gens or ())


def parse_cycles(text: str, n: int) -> Perm:
    """0-based cycles composed right to left, e.g. ``(0 1)(1 2)``."""
    out = tuple(range(n))
    for body in reversed(text.replace(")", "").split("(")[1:]):
        points = [int(t) for t in body.split()]
        cyc = list(range(n))
        for a, b in zip(points, points[1:] + points[:1]):
            cyc[a] = b
        out = compose(tuple(cyc), out)
    return out


def output_kind(kw: dict) -> str:
    if kw.get("output_generators"):
        return "custom"
    if kw.get("output"):
        return kw["output"]
    if kw["layer"].startswith("folded"):
        return "folded"
    return "trivial" if kw.get("output_order") == 0 else "permutation"


def group_elements(kw: dict) -> set[tuple[Perm, Perm, int]] | None:
    """D = ⟨(g, ρ(g))⟩ as triples (g, π, s); π acts on n points (permutation), the n/2 pairs
    (folded), the M outputs (custom) or nothing (trivial, sign). None where ρ is undefined."""
    n, kind = kw.get("n", 4), output_kind(kw)
    given = generators_of(kw)
    group = kw.get("group") or ("custom" if given else "symmetric")

    def formula(g: Perm) -> tuple[Perm, int] | None:
        if kind == "permutation":
            return g, 1
        if kind == "trivial":
            return (), 1
        if kind == "sign":
            return (), parity(g)
        image = fold(g)
        return None if image is None else (image, 1)

    m = n if kind == "permutation" else n // 2 if kind == "folded" else kw.get("outputs", 1) if kind == "custom" else 0
    if kind == "custom":
        outs = tuple(tuple(p) for p in kw["output_generators"]) if not isinstance(kw["output_generators"], str) else \
            tuple(parse_cycles(p, m) for p in kw["output_generators"].split(";"))
        inputs = given if group == "custom" else named_generators(group, n)
        return closure([(g, p, 1) for g, p in zip(inputs, outs)], n, m)
    if group != "custom":
        elements = named_elements(group, n)
        if kind == "folded" and (kw.get("naive") or not all(preserves_pairs(g) for g in elements)):
            # A rule on transpositions: S_n's (the first half's in naive mode), else undefined.
            if group != "symmetric":
                return None
            half = n // 2 if kw.get("naive") else n
            gens = [g for g in elements if len(moved(g)) == 2 and max(moved(g)) < half]
            return closure([(g, fold(g), 1) for g in gens], n, m)
        triples = set()
        for g in elements:
            pi, s = formula(g)
            triples.add((g, pi, s))
        return triples
    pairs = []
    for g in given:
        image = formula(g)
        if image is None:
            return None
        pairs.append((g, *image))
    return closure(pairs, n, m)


# -- dimensions --------------------------------------------------------------------------------

def fixed_monomials(lengths: list[int], degree: int) -> int:
    """Monomials of the given degree fixed by a permutation of the variables with these cycle lengths.

    [t^d] Π_cycles 1/(1 - t^r): a fixed monomial is constant on each cycle.

    >>> fixed_monomials([1, 1, 1], 2), fixed_monomials([2, 1], 2), fixed_monomials([3], 3)
    (6, 2, 1)
    """
    series = [1] + [0] * degree
    for r in lengths:
        for d in range(r, degree + 1):  # multiply by 1/(1 - t^r) in place
            series[d] += series[d - r]
    return series[degree]


def degrees(kw: dict) -> list[int]:
    """The degree of each term: main term, then the linear term, then the bias."""
    layer = kw["layer"]
    main = 1 if layer.endswith("linear") else 3 if layer == "cubic" else 2
    return [main] + [1] * bool(kw.get("with_linear")) + [0] * bool(kw.get("with_bias"))


def orders(kw: dict) -> tuple[int, int]:
    kind = output_kind(kw)
    k = kw.get("input_order", 1)
    l = kw.get("output_order")
    return k, (l if l is not None else 1) if kind == "permutation" else 0


def dimension(kw: dict, channels: bool = True) -> int | None:
    """The dimension of the equivariant maps the request asks for (None where ρ is undefined).

    ``channels=False`` gives the one-channel dimension of the same request.
    """
    elements = group_elements(kw)
    if elements is None:
        return None
    kind = output_kind(kw)
    k, l = orders(kw)
    c_in, c_out = (kw.get("in_channels", 1), kw.get("out_channels", 1)) if channels else (1, 1)
    outputs = kw.get("outputs") or 1
    total = Fraction(0)
    cache: dict[Perm, list[int]] = {}
    for g, pi, s in elements:
        if g not in cache:
            cache[g] = cycle_lengths(on_tuples(g, k)) * c_in  # each cycle once per channel
        if kind == "permutation":
            chi_out = fixed(on_tuples(pi, l))
        elif kind in ("trivial", "sign"):
            chi_out = outputs
        else:
            chi_out = fixed(pi)
        total += s * chi_out * sum(fixed_monomials(cache[g], d) for d in degrees(kw))
    total /= len(elements)
    assert total.denominator == 1, total
    return int(total) * c_out


def reynolds_dimension(kw: dict, channels: bool = True) -> int | None:
    """The same dimension as the rank of (1/|D|) Σ ρ_in(g)^{⊗} ⊗ ρ_out(g) on the coefficients.

    The coefficient space of a term of degree d is (monomials of degree d in the N·C input
    coordinates) × (output coordinates); an element moves monomial and output together (with
    its sign), and the invariant coefficient vectors are the equivariant maps. Small cases only.
    """
    elements = group_elements(kw)
    if elements is None:
        return None
    kind = output_kind(kw)
    k, l = orders(kw)
    n = kw.get("n", 4)
    c_in, c_out = (kw.get("in_channels", 1), kw.get("out_channels", 1)) if channels else (1, 1)
    outputs = n**l if kind == "permutation" else (kw.get("outputs") or 1) if kind in ("trivial", "sign", "custom") \
        else n // 2
    total = 0
    for d in degrees(kw):
        variables = n**k * c_in
        monomials = list(itertools.combinations_with_replacement(range(variables), d))
        index = {mono: i for i, mono in enumerate(monomials)}
        size = len(monomials) * outputs
        projector = np.zeros((size, size))
        for g, pi, s in elements:
            gk = on_tuples(g, k)
            var = [gk[v // c_in] * c_in + v % c_in for v in range(variables)]
            out = on_tuples(pi, l) if kind == "permutation" else pi if kind in ("folded", "custom") \
                else tuple(range(outputs))
            for i, mono in enumerate(monomials):
                j = index[tuple(sorted(var[v] for v in mono))]
                for o in range(outputs):
                    projector[j * outputs + out[o], i * outputs + o] += s
        projector /= len(elements)
        total += int(np.linalg.matrix_rank(projector, tol=1e-8)) if size else 0
    return total * c_out


def input_group_order(kw: dict) -> int:
    """|G| of the group the request names (its definition, or the closure of its generators)."""
    n, given = kw.get("n", 4), generators_of(kw)
    if kw.get("group") not in (None, "custom") or not given:
        return len(named_elements(kw.get("group") or "symmetric", n))
    return len(closure([(g, (), 1) for g in given], n, 0))


def is_representation(kw: dict) -> bool | None:
    """Whether ρ extends to a homomorphism: |D| = |G| (D is then the graph of ρ)."""
    elements = group_elements(kw)
    return None if elements is None else len(elements) == len({g for g, _, _ in elements})
