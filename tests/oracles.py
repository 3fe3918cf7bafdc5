"""Brute-force oracles for small cases, independent of the library's solver paths."""

from invariant.problem import lower


# Generators written by hand (image tuples), for tests that check the library's named groups against them.
def cycle(n):
    """The rotation i -> i + 1 mod n."""
    return tuple((i + 1) % n for i in range(n))


def reflection(n):
    """The reflection i -> -i mod n."""
    return tuple((-i) % n for i in range(n))


def transposition(n):
    """The transposition (0 1)."""
    return (1, 0) + tuple(range(2, n))


def elements_of(gens):
    """Every permutation in ⟨gens⟩ (tuples, composed (g h)(i) = g(h(i)))."""
    n = len(gens[0])
    seen = {tuple(range(n))}
    frontier = list(seen)
    while frontier:
        nxt = []
        for h in frontier:
            for g in gens:
                gh = tuple(g[h[i]] for i in range(n))
                if gh not in seen:
                    seen.add(gh)
                    nxt.append(gh)
        frontier = nxt
    return seen


def closure(spec):
    """Every element (g, π, s) of ⟨(g_i, ρ_i)⟩ by breadth-first closure (small groups only)."""
    pairs = [tuple(p) for p in lower(spec).action.pairs]
    start = (tuple(range(spec.n)), tuple(range(spec.outputs)), 1)
    seen, frontier = {start}, [start]
    while frontier:
        nxt = []
        for g, pi, s in frontier:
            for a, b, t in pairs:
                e = (tuple(a[i] for i in g), tuple(b[i] for i in pi), s * t)
                if e not in seen:
                    seen.add(e)
                    nxt.append(e)
        frontier = nxt
    return seen


def orbit_partition(spec):
    """Signed orbits of the weights under every group element: (set of frozensets, zero set).

    Only for layers whose weights are permuted (triangular / linear / bias).
    """
    keys = list(lower(spec).layout.keys())
    index = {k: i for i, k in enumerate(keys)}
    parent = list(range(len(keys)))
    rel = [1] * len(keys)  # sign of w relative to parent

    def find(w):
        if parent[w] == w:
            return w, 1
        root, s = find(parent[w])
        parent[w], rel[w] = root, rel[w] * s
        return root, rel[w]

    zero_roots = set()
    for g, pi, s in closure(spec):
        for w, (fam, k, idx) in enumerate(keys):
            v = index[(fam, pi[k], tuple(sorted(g[i] for i in idx)))]
            (ru, su), (rv, sv) = find(w), find(v)
            # W_v = s W_w
            if ru == rv:
                if su * s != sv:
                    zero_roots.add(ru)
            else:
                parent[rv], rel[rv] = ru, su * s * sv
                if rv in zero_roots:
                    zero_roots.add(ru)
    groups = {}
    for w in range(len(keys)):
        groups.setdefault(find(w)[0], set()).add(w)
    zeros = {w for r, ws in groups.items() if find(r)[0] in zero_roots for w in ws}
    classes = {frozenset(ws) for r, ws in groups.items() if not (ws & zeros)}
    return classes, zeros
