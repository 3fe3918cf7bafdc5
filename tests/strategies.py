"""Hypothesis strategies shared by the test modules: random permutation groups and specs."""

from hypothesis import strategies as st

from invariant import LayerSpec


def cycles_text(g) -> str:
    """0-based cycle notation of an image tuple, written here (not the library's formatter); the identity is ``()``."""
    seen, parts = [False] * len(g), []
    for start in range(len(g)):
        cyc, i = [], start
        while not seen[i]:
            seen[i] = True
            cyc.append(i)
            i = g[i]
        if len(cyc) > 1:
            parts.append("(" + " ".join(map(str, cyc)) + ")")
    return "".join(parts) or "()"


@st.composite
def permutations(draw, n: int):
    return tuple(draw(st.permutations(range(n))))


@st.composite
def custom_specs(draw, max_n: int = 7, layers=("linear", "quadratic"), outputs=("permutation", "trivial", "sign")):
    """A random group from 1-3 random generators on n <= max_n points, with a random action."""
    n = draw(st.integers(2, max_n))
    gens = draw(st.lists(permutations(n), min_size=1, max_size=3))
    gens = [g for g in gens if g != tuple(range(n))] or [tuple(range(1, n)) + (0,)]
    layer = draw(st.sampled_from(layers))
    output = draw(st.sampled_from(outputs))
    extra = {}
    if layer == "quadratic":
        extra = {"with_linear": draw(st.booleans()), "with_bias": draw(st.booleans())}
    elif draw(st.booleans()):
        extra = {"with_bias": True}
    m = draw(st.integers(1, 2)) if output in ("trivial", "sign") else None
    return LayerSpec.build(layer=layer, n=n, generators=tuple(gens), output=output, outputs=m, **extra)


#: The layer families and named groups a request may name (the whole accepted space).
LAYERS = ("linear", "quadratic", "cubic", "folded-linear", "folded-quadratic")
GROUPS = ("symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral")


def _degree(layer: str) -> int:
    return 1 if layer.endswith("linear") else 3 if layer == "cubic" else 2


def _named_generator_count(group: str, n: int) -> int:
    """How many generators ``invariant groups`` lists for a named family (one output image each)."""
    return {
        "symmetric": 2 if n >= 3 else 1 if n == 2 else 0,
        "alternating": 2 if n >= 4 else 1 if n == 3 else 0,
        "cyclic": 1 if n > 1 else 0,
        "dihedral": 2,
        "hyperoctahedral": 1 + (n // 2 >= 2) + (n // 2 >= 3),
    }[group]


@st.composite
def pair_preserving(draw, n: int):
    """A permutation of n = 2m points mapping the pairs {i, i + m} to pairs: pairs permuted, some flipped."""
    m = n // 2
    order = draw(st.permutations(range(m)))
    flips = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    images = [0] * n
    for i, (j, flip) in enumerate(zip(order, flips)):
        images[i], images[i + m] = (j + m, j) if flip else (j, j + m)
    return tuple(images)


@st.composite
def transpositions(draw, n: int):
    a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    images = list(range(n))
    images[a], images[b] = b, a
    return tuple(images)


@st.composite
def generator_lists(draw, n: int, max_size: int = 12, folded: bool = False):
    """1..max_size generators on n points, redundant ones included: the identity, repeats,
    products and inverses of earlier ones, beside random permutations (for the folded rule,
    mostly transpositions and pair-preserving permutations, where the rule has images)."""
    gens: list[tuple[int, ...]] = []
    fresh = permutations(n)
    if folded and n >= 2 and n % 2 == 0:
        fresh = st.one_of(transpositions(n), pair_preserving(n), transpositions(n), pair_preserving(n), fresh)
    for _ in range(draw(st.integers(1, max_size))):
        how = draw(st.sampled_from(["random", "random", "random", "identity", "repeat", "product", "inverse"]))
        if how == "random" or (not gens and how != "identity"):
            gens.append(draw(fresh))
        elif how == "identity":
            gens.append(tuple(range(n)))
        else:
            a = draw(st.sampled_from(gens))
            if how == "repeat":
                gens.append(a)
            elif how == "inverse":
                inv = [0] * n
                for i, ai in enumerate(a):
                    inv[ai] = i
                gens.append(tuple(inv))
            else:
                b = draw(st.sampled_from(gens))
                gens.append(tuple(a[i] for i in b))
    return gens


def _cost(n, k, l, kind, outputs, degree, c_in, c_out):
    """Dense entries of the largest term (outputs · (n^k C)^d · D): the size the draw keeps small."""
    m = n**l if kind == "permutation" else n // 2 if kind == "folded" else outputs or 1
    return m * (n**k * c_in) ** degree * c_out


@st.composite
def layer_requests(draw, max_n: int = 6, max_cost: int = 2_500, max_generators: int = 12):
    """Keyword arguments for ``LayerSpec`` from the whole accepted input space, small sizes.

    Every layer family; named groups and groups of 1..``max_generators`` random generators
    (redundant ones included, as image tuples or cycle strings); input orders 0-3; every
    output action (permutation of orders 1-3, trivial, sign, folded, hand-given images,
    homomorphisms or not); channels 1-3; linear term and bias; both parametrizations; the
    naive folded mode. About one request in ten is left as drawn even where it breaks a
    documented rule (a refusal is then the answer). Sizes: n ≤ ``max_n`` and the largest
    term within ``max_cost`` dense entries (channels, then orders are lowered until the
    smallest n fits; n is drawn up to the largest that fits).
    """
    tidy = draw(st.integers(0, 9)) > 0
    layer = draw(st.sampled_from(LAYERS))
    folded, degree = layer.startswith("folded"), _degree(layer)
    kinds = ["permutation", "trivial", "sign", "custom"] + ([] if tidy else ["folded"])
    kind = "folded" if folded and tidy else draw(st.sampled_from(kinds))
    k = 1 if folded and tidy else draw(st.integers(0, 3))
    l = draw(st.integers(1, 3)) if kind == "permutation" else 0
    channels = st.sampled_from([1, 1, 2, 3] if not (layer == "folded-quadratic" and tidy) else [1, 1, 1, 1, 1, 2])
    c_in, c_out = draw(channels), draw(channels)  # (folded quadratic layers take no channels: mostly one)
    outputs = draw(st.integers(1, 4)) if kind == "custom" else draw(st.integers(1, 3)) if kind in ("trivial", "sign") \
        else None
    named = draw(st.booleans())
    group = draw(st.sampled_from(GROUPS)) if named else None
    even = tidy and (folded or kind == "folded" or group == "hyperoctahedral")
    low = 3 if tidy and group == "dihedral" else 2 if even else 1

    def fits(n):
        return _cost(n, k, l, kind, outputs, degree, c_in, c_out) <= max_cost

    while not fits(low):  # lower channels, then orders, until the smallest n fits
        if c_in > 1 or c_out > 1:
            c_in, c_out = max(1, c_in - 1), max(1, c_out - 1)
        elif k > (1 if folded and tidy else 0):
            k -= 1
        elif l > 1:
            l -= 1
        else:
            break
    high = max(low, max(n for n in range(1, max_n + 1) if fits(n) or n == 1))
    n = draw(st.integers(low, high))
    if even and n % 2:
        n = n + 1 if n + 1 <= high else n - 1
    kw: dict = {"layer": layer, "n": n}
    if named:
        kw["group"] = group
        count = _named_generator_count(group, n) if n >= (3 if group == "dihedral" else 1) else 1
    else:
        gens = draw(generator_lists(n, max_generators, folded=kind == "folded"))
        kw["generators"] = "; ".join(map(cycles_text, gens)) if draw(st.booleans()) else tuple(gens)
        count = len(gens)
    if kind == "custom":
        how = draw(st.sampled_from(["random", "identity", "parity", "induced"]))
        if how == "induced" and not named:
            outputs = n
            images = list(gens)
        elif how == "parity" and not named:
            outputs = 2
            images = [(1, 0) if _sign(g) < 0 else (0, 1) for g in gens]
        elif how == "identity":
            images = [tuple(range(outputs))] * count
        else:
            images = [draw(permutations(outputs)) for _ in range(count)]
        if count and tidy:
            kw["output_generators"] = "; ".join(map(cycles_text, images)) if draw(st.booleans()) else tuple(images)
        elif count:
            kw["output_generators"] = tuple(images[: draw(st.integers(0, count))]) or "()"
        kw["outputs"] = outputs
    else:
        kw["output"] = kind if (kind != "folded" or draw(st.booleans()) or not tidy) else None
        if kind == "permutation" and (l != 1 or draw(st.booleans())):
            kw["output_order"] = l
        if outputs is not None and (outputs > 1 or draw(st.booleans())):
            kw["outputs"] = outputs
    if k != 1 or draw(st.booleans()):
        kw["input_order"] = k
    if c_in > 1:
        kw["in_channels"] = c_in
    if c_out > 1:
        kw["out_channels"] = c_out
    if degree >= 2 or not tidy:
        if draw(st.booleans()):
            kw["with_linear"] = True
        if draw(st.booleans()):
            kw["param"] = "full"
    if draw(st.booleans()):
        kw["with_bias"] = True
    if (folded and kw.get("group", "symmetric") == "symmetric" and "generators" not in kw
            and not draw(st.integers(0, 7))):
        kw["naive"] = True
    return kw


def _sign(g) -> int:
    seen, cycles = [False] * len(g), 0
    for start in range(len(g)):
        if not seen[start]:
            cycles += 1
            i = start
            while not seen[i]:
                seen[i], i = True, g[i]
    return -1 if (len(g) - cycles) % 2 else 1
