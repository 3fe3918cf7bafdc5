"""The orbit path: weight classes without symbolic expansion, on integer arrays.

When every monomial has exactly one weight (triangular parametrization), each generator g
with output image (π, s) maps weights to weights,

    W[π(o), sort(g(idx))] = s · W[o, idx],

so the classes are the orbits of a signed permutation of the weight indices. numpy computes
every generator's image of every weight at once (positions by the layout's ranking formula,
vectorized), and :func:`~invariant.solvers.components.signed_components` finds the orbits. Memory is
a few integers per weight and generator; no Python object per weight.

>>> from invariant.problem import lower
>>> from invariant.spec import LayerSpec
>>> t = orbit_tying(lower(LayerSpec(layer="linear", n=3)))
>>> [t.class_size(c) for c in range(t.num_classes)]
[3, 6]
"""

from __future__ import annotations

import numpy as np

from ..errors import InvariantError
from .components import SignedComponents, signed_orbits
from .tying import ExplicitTying, explicit_tying


def _comb(x: np.ndarray, j: int) -> np.ndarray:
    """C(x, j) elementwise for j ≤ 4 (exact in int64 for the sizes the limits allow)."""
    out = np.ones_like(x)
    for i in range(j):
        out = out * (x - i) // (i + 1)
    return np.where(x >= j, out, 0)


def sorted_ranks(idx: np.ndarray, points: int) -> np.ndarray:
    """Vectorized rank of sorted rows among all sorted d-tuples (see :func:`invariant.layout._rank`)."""
    d = idx.shape[1]
    rank = np.zeros(len(idx), dtype=np.int64)
    low = np.zeros(len(idx), dtype=np.int64)
    for t in range(d):
        r = d - t - 1
        i = idx[:, t].astype(np.int64)
        rank += _comb(points - low + r, r + 1) - _comb(points - i + r, r + 1)
        low = i
    return rank


def sorted_tuples(points: int, degree: int) -> np.ndarray:
    """All sorted degree-tuples of 0..points-1 in lexicographic order, as an int array."""
    if degree == 0:
        return np.zeros((1, 0), dtype=np.int64)
    grids = np.meshgrid(*([np.arange(points)] * degree), indexing="ij")
    flat = np.stack([g.reshape(-1) for g in grids], axis=1)
    keep = np.all(flat[:, 1:] >= flat[:, :-1], axis=1) if degree > 1 else np.ones(len(flat), dtype=bool)
    return flat[keep]


def orbit_tying(problem) -> ExplicitTying:
    """Classes and zeros of a layer whose weights are permuted (with signs) by the group."""
    layout = problem.layout
    if any(f.ordered for f in layout.families):
        raise InvariantError(
            "the orbit path needs the triangular parametrization (the full one has additive constraints)"
        )
    action = problem.action
    if action.kind in ("trivial", "sign") or (action.kind == "permutation" and action.order == 1):
        return _row_orbits(problem)
    return _weight_orbits(problem)


def _row_positions(problem, perm) -> np.ndarray:
    """Where a permutation of the input points sends each position of one output's row."""
    layout = problem.layout
    g_arr = np.asarray(perm, dtype=np.int64)
    parts, start = [], 0
    for fam in layout.families:
        idx = sorted_tuples(layout.points, fam.degree)
        if fam.degree:
            parts.append(start + sorted_ranks(np.sort(g_arr[idx], axis=1), layout.points))
        else:
            parts.append(np.array([start], dtype=np.int64))
        start += len(idx)
    return np.concatenate(parts)


def _row_orbits(problem) -> ExplicitTying:
    """Orbits through one output row at a time (outputs permuted like the points, or fixed).

    With π = g on the outputs, the classes meeting the row of o0 (the smallest point of its
    orbit) are the orbits of the stabilizer G_{o0} on that row, and W[o, idx] = W[o0, u⁻¹·idx]
    for any u with u(o0) = o. With fixed outputs (trivial or sign), every row holds the
    orbits of G on the row with the sign s(g). Only rows are ever given to the components
    routine; the full labels are gathers.
    """
    from ..groups.permutations import compose, induced, inverse

    layout, action, group = problem.layout, problem.action, problem.group
    k = layout.input_order
    per_family = [layout.per_output(f) for f in range(len(layout.families))]
    m = layout.outputs
    labels = np.empty(layout.num_weights, dtype=np.int64)
    signs = np.empty(layout.num_weights, dtype=np.int8)

    def scatter(o: int, row_labels, row_signs) -> None:
        start = 0
        for f, t in enumerate(per_family):
            at = layout.offsets[f] + o * t
            labels[at : at + t] = row_labels[start : start + t]
            signs[at : at + t] = row_signs[start : start + t]
            start += t

    reps: list[tuple[int, int]] = []  # (representative weight index, provisional class id)
    if action.kind != "permutation":
        # The trivial group has no generator to match: the identity's images give every weight its own class.
        pairs = problem.matching_pairs or ((tuple(range(layout.points)), (), 1),)
        comps = signed_orbits([_row_positions(problem, g) for g, _, _ in pairs], [s for _, _, s in pairs])
        for o in range(m):
            base = o * comps.num_classes
            scatter(o, np.where(comps.label >= 0, comps.label + base, -1), comps.sign)
            reps += _row_representatives(layout, per_family, o, comps, base)
    else:
        gens = group.generators
        seen = np.zeros(m, dtype=bool)
        offset = 0
        for o0 in range(m):
            if seen[o0]:
                continue
            # A transversal: u[o] maps o0 to o, by breadth-first search over the generators.
            u = {o0: tuple(range(group.n))}
            frontier = [o0]
            while frontier:
                nxt = []
                for o in frontier:
                    for g in gens:
                        target = g[o]
                        if target not in u:
                            u[target] = compose(g, u[o])
                            nxt.append(target)
                frontier = nxt
            stabilizer = group.to_sympy().stabilizer(o0).generators if len(u) < group.order else []
            stab = [tuple(h.array_form) for h in stabilizer]
            stab = [h if k == 1 else induced(h, k) for h in stab] or [tuple(range(layout.points))]
            comps = _closed_orbits(problem, stab)
            for o, uo in u.items():
                seen[o] = True
                back = _row_positions(problem, inverse(uo) if k == 1 else induced(inverse(uo), k))
                row_labels = comps.label[back]
                scatter(o, np.where(row_labels >= 0, row_labels + offset, -1), comps.sign[back])
            reps += _row_representatives(layout, per_family, o0, comps, offset)
            offset += comps.num_classes
    # Number the classes by their smallest member.
    reps.sort()
    renumber = np.full(len(reps), -1, dtype=np.int64)
    for new, (_, old) in enumerate(reps):
        renumber[old] = new
    live = labels >= 0
    labels[live] = renumber[labels[live]]
    signs[~live] = 1
    comps = SignedComponents(label=labels, sign=signs, num_classes=len(reps))
    return explicit_tying(layout.num_weights, comps)


def _closed_orbits(problem, gens, batch: int = 8):
    """Orbits on one row of the group generated by ``gens`` (unsigned).

    Schreier generators of a stabilizer are many and redundant: the orbits are computed from
    the first ``batch`` of them, then every generator is checked to map each orbit into itself;
    any that does not joins the next round. The answer is exact whatever the batch.
    """
    images = [_row_positions(problem, h) for h in gens]
    used = images[:batch]
    while True:
        comps = signed_orbits(used, [1] * len(used))
        broken = [im for im in images if not np.array_equal(comps.label[im], comps.label)]
        if not broken:
            return comps
        used = used + broken[:batch]


def _row_representatives(layout, per_family, o: int, comps, offset: int) -> list[tuple[int, int]]:
    """(smallest member's weight index, class id) of every class first met in row o."""
    first: dict[int, int] = {}
    start = 0
    for f, t in enumerate(per_family):
        lab = comps.label[start : start + t]
        for c, r in zip(*np.unique(lab, return_index=True)):
            if c >= 0 and int(c) not in first:
                first[int(c)] = layout.offsets[f] + o * t + int(r)
        start += t
    return [(w, c + offset) for c, w in first.items()]


def _weight_orbits(problem) -> ExplicitTying:
    """The general case: every generator's image of every weight, then signed orbits."""
    layout = problem.layout
    m, points = layout.outputs, layout.points
    offsets = layout.offsets
    pairs = problem.matching_pairs
    index = np.int32 if 2 * layout.num_weights < 2**31 else np.int64
    targets = np.empty((len(pairs), layout.num_weights), dtype=index)
    for f, fam in enumerate(layout.families):
        idx = sorted_tuples(points, fam.degree)
        t = len(idx)
        for j, (g, pi, _) in enumerate(pairs):
            g_arr = np.asarray(g, dtype=np.int64)
            moved = np.sort(g_arr[idx], axis=1) if fam.degree else idx
            pos = sorted_ranks(moved, points).astype(index) if fam.degree else np.zeros(1, dtype=index)
            block = targets[j, offsets[f] : offsets[f + 1]].reshape(m, t)
            block[:] = pos[None, :]
            block += (offsets[f] + np.asarray(pi, dtype=np.int64) * t).astype(index)[:, None]
    signs = [s for _, _, s in pairs]
    return explicit_tying(layout.num_weights, signed_orbits(targets, signs))
