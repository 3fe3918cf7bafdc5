"""Solve the constraint rows exactly: equality classes by graph, the rest by rational RREF.

Stage 1. Rows with one term force a zero; rows a·W_u + b·W_v = 0 with b = ±a tie W_u = ∓W_v.
These go into a networkx graph whose nodes are weights and whose edges carry the sign;
connected components are the classes ("colors"). A class with a sign conflict
(W = -W) or touching a zero is zero.

Stage 2. Every other row is rewritten on the class representatives and reduced exactly over
Q (sparse :class:`~sympy.polys.matrices.DomainMatrix`, RREF). Pivot columns are dependent,
the others free; columns are ordered last-weight-first so that later weights are written
through earlier ones.

>>> t = solve_rows(4, ({0: 1, 1: -1}, {2: 1, 3: 1}, {0: 1, 2: -1, 3: -2}))
>>> t.classes, t.class_signs, t.zeros, t.free
(((0, 1), (2, 3)), ((1, 1), (1, -1)), (), (0,))
>>> t.dependent
((1, ((0, -1),)),)
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
from sympy import QQ, Rational
from sympy.polys.matrices import DomainMatrix

Coeff = Rational


@dataclass(frozen=True)
class Tying:
    """How the weights are tied: the solver's answer in weight indices.

    ``classes[c]`` lists member weights, the smallest (the representative) first;
    ``class_signs[c]`` gives each member's sign relative to it. ``free`` are the class ids
    whose representatives are free parameters; ``dependent`` maps each other nonzero class
    to its representative's expression Σ coeff · (free representative).
    """

    classes: tuple[tuple[int, ...], ...]
    class_signs: tuple[tuple[int, ...], ...]
    zeros: tuple[int, ...]
    free: tuple[int, ...]
    dependent: tuple[tuple[int, tuple[tuple[int, Coeff], ...]], ...]


def equality_graph(num_weights: int, rows) -> tuple[nx.Graph, set[int], list]:
    """The signed equality graph, the weights forced to zero, and the remaining rows."""
    graph = nx.Graph()
    graph.add_nodes_from(range(num_weights))
    zeros: set[int] = set()
    rest = []
    for row in rows:
        items = sorted(row.items())
        if len(items) == 1:
            zeros.add(items[0][0])
        elif len(items) == 2 and items[1][1] in (items[0][1], -items[0][1]):
            (u, a), (v, b) = items
            sign = -1 if b == a else 1  # a W_u + b W_v = 0  =>  W_u = -(b/a) W_v
            if graph.has_edge(u, v) and graph.edges[u, v]["sign"] != sign:
                zeros.update((u, v))
            graph.add_edge(u, v, sign=sign)
        else:
            rest.append(row)
    return graph, zeros, rest


def _signed_components(graph: nx.Graph, zeros: set[int]):
    """Components with each member's sign relative to the smallest; conflicting ones are zero."""
    for comp in sorted(nx.connected_components(graph), key=min):
        rep = min(comp)
        signs = {rep: 1}
        conflict = False
        for u, v in nx.bfs_edges(graph, rep):
            signs[v] = signs[u] * graph.edges[u, v]["sign"]
        for u, v, s in graph.subgraph(comp).edges(data="sign"):
            conflict |= signs[u] != signs[v] * s
        yield sorted(comp), signs, conflict or bool(comp & zeros)


def solve_rows(num_weights: int, rows) -> Tying:
    """Solve rows {weight index: coefficient} (each meaning Σ c·W = 0) exactly."""
    graph, zeros, rest = equality_graph(num_weights, rows)
    comps = list(_signed_components(graph, zeros))
    live = [(members, signs) for members, signs, is_zero in comps if not is_zero]
    zero_weights = [w for members, _, is_zero in comps if is_zero for w in members]
    class_of = {w: (c, signs[w]) for c, (members, signs) in enumerate(live) for w in members}
    free, dependent = _reduce(len(live), class_of, rest)
    # A dependent class with an empty combination is forced to zero by the additive rows.
    vanished = {c for c, combo in dependent if not combo}
    zero_weights += [w for c in vanished for w in live[c][0]]
    renumber = {c: i for i, c in enumerate(c for c in range(len(live)) if c not in vanished)}
    return Tying(
        classes=tuple(tuple(live[c][0]) for c in renumber),
        class_signs=tuple(tuple(live[c][1][w] for w in live[c][0]) for c in renumber),
        zeros=tuple(sorted(zero_weights)),
        free=tuple(renumber[c] for c in free),
        dependent=tuple(
            (renumber[c], tuple((renumber[f], v) for f, v in combo)) for c, combo in dependent if combo
        ),
    )


def _reduce(num_classes: int, class_of, rows):
    """Exact RREF of the additive rows on class representatives: (free ids, dependent)."""

    def col(c: int) -> int:  # later classes pivot first; col is its own inverse
        return num_classes - 1 - c

    sparse: dict[int, dict[int, object]] = {}
    for row in rows:
        line: dict[int, object] = {}
        for w, coeff in row.items():
            if w in class_of:
                c, s = class_of[w]
                line[col(c)] = line.get(col(c), QQ.zero) + QQ.convert(coeff) * s
        line = {j: v for j, v in line.items() if v}
        if line:
            sparse[len(sparse)] = line
    if not sparse:
        return tuple(range(num_classes)), ()
    reduced, pivots = DomainMatrix(sparse, (len(sparse), num_classes), QQ).rref()
    by_row: dict[int, list] = {}
    for (i, j), v in reduced.to_sparse().rep.to_dok().items():
        if j not in pivots:
            by_row.setdefault(i, []).append((col(j), QQ.to_sympy(-v)))
    free = tuple(sorted(col(j) for j in set(range(num_classes)) - set(pivots)))
    dependent = tuple(sorted((col(p), tuple(sorted(by_row.get(i, [])))) for i, p in enumerate(pivots)))
    return free, dependent
