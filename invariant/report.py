"""Render a :class:`~invariant.solution.Solution`: text, JSON, LaTeX, graph files and PNG.

Every renderer is a pure function of the solution. File writers go through
:func:`write_atomic`, so an error never leaves a partial file.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InvariantError
from .files import write_atomic
from .groups import describe_order
from .layers import weight_keys
from .perms import format_generators
from .actions import input_generators
from .solution import Solution
from .solve import equality_graph

#: Class members listed in full in text output up to this many; longer ones are elided.
TEXT_MEMBERS = 12
#: Text output lists at most this many classes and this many dependent weights.
TEXT_ROWS = 40
#: Colored block patterns are drawn up to this n.
PATTERN_MAX_N = 8


def _signed(name: str, s: int) -> str:
    return name if s > 0 else f"-{name}"


def _free_name(sol: Solution, c: int) -> str:
    return sol.weights[sol.tying.classes[c][0]]


def _combination(sol: Solution, combo) -> str:
    text = ""
    for f, a in combo:
        name = _free_name(sol, f)
        mag = abs(a)
        term = name if mag == 1 else f"{mag}*{name}"
        text += (" - " if a < 0 else " + ") + term if text else ("-" if a < 0 else "") + term
    return text or "0"


def to_dict(sol: Solution) -> dict:
    """The JSON contract of ``derive --format json`` (see the README)."""
    spec, tying, names = sol.spec, sol.tying, sol.weights
    return {
        "spec": {
            "canonical": str(spec),
            "sha256": spec.sha256,
            "layer": spec.layer,
            "n": spec.n,
            "group": spec.group,
            "generators": format_generators(input_generators(spec)),
            "output": spec.output,
            "outputs": spec.outputs,
            "param": spec.param,
            "with_linear": spec.with_linear,
            "with_bias": spec.with_bias,
            "naive": spec.naive,
        },
        "method": sol.method,
        "group_order": sol.group_order,
        "weights": list(names),
        "num_weights": sol.num_weights,
        "num_constraints": sol.num_constraints,
        "num_free": sol.num_free,
        "function_dim": sol.function_dim,
        "classes": [[names[w] for w in members] for members in tying.classes],
        "class_signs": [list(signs) for signs in tying.class_signs],
        "zeros": [names[w] for w in tying.zeros],
        "free": [_free_name(sol, c) for c in tying.free],
        "basis": {
            _free_name(sol, c): {_free_name(sol, f): str(a) for f, a in combo} for c, combo in tying.dependent
        },
        "gauge": [{_free_name(sol, tying.free[p]): str(a) for p, a in vec} for vec in sol.gauge],
        "action": {
            "is_representation": sol.action.is_representation,
            "witness": sol.action.witness,
            "suggestion": sol.action.suggestion,
            "proof": sol.action.proof,
        },
        "dimension_check": {
            "derived": sol.dimension.derived,
            "character_formula": sol.dimension.character_formula,
            "agree": sol.dimension.agree,
        },
    }


def to_json(sol: Solution) -> str:
    """``to_dict`` as indented, key-ordered JSON."""
    return json.dumps(to_dict(sol), indent=2, ensure_ascii=False)


def class_grid(sol: Solution, k: int) -> list[list[str]]:
    """Output k's block of W: class number per cell, '-' forced zero, '.' no weight.

    An n×n block (rows i, columns j) for quadratic layers, a 1×n row for linear ones.
    Negative members of a signed class carry a minus sign.
    """
    n = sol.spec.n
    grid = [["."] * n for _ in range(n if sol.spec.degree == 2 else 1)]
    label = sol.class_label()
    for w, (family, kk, idx) in enumerate(weight_keys(sol.spec)):
        if family != "W" or kk != k:
            continue
        i, j = idx if len(idx) == 2 else (0, idx[0])
        if w in label:
            c, s = label[w]
            grid[i][j] = f"{'-' if s < 0 else ''}{c}"
        else:
            grid[i][j] = "-"
    return grid


def to_text(sol: Solution) -> str:
    """The human-readable report: classes, equations, pattern, and both proofs."""
    spec, tying, names = sol.spec, sol.tying, sol.weights
    lines = [f"spec: {spec}"]
    if spec.naive:
        lines.append(
            "NAIVE MODE: the source note's procedure applied literally (only transpositions inside the "
            "first half are matched). The pattern below is NOT equivariant under the symmetric group; "
            "it is shown to reproduce the note."
        )
    lines.append(
        f"group: {spec.input_group} of order {describe_order(sol.group_order)}; matched generators: "
        f"{_short_gens(input_generators(spec))}"
    )
    lines.append(
        f"weights: {sol.num_weights}  constraints: {sol.num_constraints if sol.method == 'symbolic' else 'n/a (orbit path)'}"
        f"  method: {sol.method}"
    )
    lines.append(
        f"classes: {len(tying.classes)}  zeros: {len(tying.zeros)}  free parameters: {sol.num_free}"
        f"  dependent classes: {len(tying.dependent)}  function dimension: {sol.function_dim}"
    )
    lines.append("")
    lines.append("classes (class: size, representative = members):")
    for c, (members, signs) in enumerate(zip(tying.classes[:TEXT_ROWS], tying.class_signs)):
        shown = [_signed(names[w], s) for w, s in zip(members, signs)]
        more = len(shown) - TEXT_MEMBERS
        body = " = ".join(shown[:TEXT_MEMBERS]) + (f" = ... ({more} more)" if more > 0 else "")
        lines.append(f"  {c}: {len(members)}, {names[members[0]]}: {body}")
    if len(tying.classes) > TEXT_ROWS:
        lines.append(f"  ... ({len(tying.classes) - TEXT_ROWS} more classes; --format json lists all)")
    if tying.zeros:
        zs = [names[w] for w in tying.zeros]
        more = len(zs) - TEXT_MEMBERS
        lines.append("forced to zero: " + ", ".join(zs[:TEXT_MEMBERS]) + (f", ... ({more} more)" if more > 0 else ""))
    if tying.dependent:
        lines.append("")
        lines.append("dependent weights (written through free ones):")
        for c, combo in tying.dependent[:TEXT_ROWS]:
            lines.append(f"  {_free_name(sol, c)} = {_combination(sol, combo)}")
        if len(tying.dependent) > TEXT_ROWS:
            lines.append(f"  ... ({len(tying.dependent) - TEXT_ROWS} more; --format json lists all)")
    if sol.gauge:
        lines.append("")
        lines.append(
            f"gauge: {len(sol.gauge)} directions in the free parameters change no output "
            "(the antisymmetric part of each W[k]; only W[k,i,j] + W[k,j,i] is seen)"
        )
    if spec.n <= PATTERN_MAX_N and spec.degree <= 2:
        lines.append("")
        lines.append("pattern of W (class per cell; '-' zero, '.' no weight; rows i, columns j):"
                     if spec.degree == 2 else "pattern of W (row k = output, column i = input):")
        if spec.degree == 2:
            for k in range(spec.outputs):
                lines.append(f"  output {k}:")
                lines += ["    " + " ".join(f"{cell:>3}" for cell in row) for row in class_grid(sol, k)]
        else:
            for k in range(spec.outputs):
                lines.append("  " + " ".join(f"{cell:>3}" for cell in class_grid(sol, k)[0]))
    lines.append("")
    act = sol.action
    if act.is_representation:
        lines.append(f"action: the output rule is a representation ({act.proof})")
    else:
        lines.append(f"action: NOT a representation ({act.proof}); witness: {act.witness}")
        lines.append("  the classes above are what the stated rule forces anyway.")
        if act.suggestion:
            lines.append(f"  {act.suggestion}")
    dim = sol.dimension
    verdict = "agree" if dim.agree else "DISAGREE"
    lines.append(
        f"dimension: derived {dim.derived}, character formula {dim.character_formula}: {verdict}"
    )
    return "\n".join(lines) + "\n"


def _short_gens(gens) -> str:
    if len(gens) <= 4:
        return format_generators(gens)
    return f"{format_generators(gens[:3])}; ... ({len(gens)} in all)"


def _latex_name(name: str) -> str:
    family, _, rest = name.partition("[")
    idx = rest.rstrip("]").split(",")
    k, sub = idx[0], "".join(idx[1:])
    return f"{family}^{{{k}}}_{{{sub}}}" if sub else f"{family}^{{{k}}}"


def to_latex(sol: Solution) -> str:
    """The constraint equations (align*) and the class table (tabular), for a paper."""
    tying, names = sol.tying, sol.weights
    out = [f"% invariant: {sol.spec}", "\\begin{align*}"]
    eqs = []
    for members, signs in zip(tying.classes, tying.class_signs):
        if len(members) > 1:
            shown = [("-" if s < 0 else "") + _latex_name(names[w]) for w, s in zip(members, signs)]
            eqs.append(" = ".join(shown[:TEXT_MEMBERS]) + (" = \\cdots" if len(shown) > TEXT_MEMBERS else ""))
    for w in tying.zeros[:TEXT_MEMBERS]:
        eqs.append(f"{_latex_name(names[w])} = 0")
    for c, combo in tying.dependent:
        rhs = " ".join(
            f"{'-' if a < 0 else '+'} {'' if abs(a) == 1 else _latex_frac(abs(a))}{_latex_name(_free_name(sol, f))}"
            for f, a in combo
        ).lstrip("+ ")
        eqs.append(f"{_latex_name(_free_name(sol, c))} &= {rhs}")
    out.append(" \\\\\n".join(e if "&" in e else e.replace(" = ", " &= ", 1) for e in eqs))
    out += ["\\end{align*}", "", "\\begin{tabular}{rrl}", "class & size & representative \\\\", "\\hline"]
    for c, members in enumerate(tying.classes):
        out.append(f"{c} & {len(members)} & ${_latex_name(names[members[0]])}$ \\\\")
    out += ["\\end{tabular}", ""]
    return "\n".join(out)


def _latex_frac(a) -> str:
    return f"\\tfrac{{{a.p}}}{{{a.q}}}" if a.q != 1 else f"{a.p}"


def graph(sol: Solution):
    """The networkx graph: nodes are weights (attribute ``cls``, -1 for zero), edges equalities."""
    import networkx as nx

    g = nx.Graph()
    label = sol.class_label()
    for w, name in enumerate(sol.weights):
        g.add_node(name, cls=label.get(w, (-1, 1))[0], sign=label.get(w, (-1, 1))[1])
    if sol.method == "symbolic":
        from .matching import constraints

        eq, _, _ = equality_graph(sol.num_weights, constraints(sol.spec))
        for u, v, s in eq.edges(data="sign"):
            g.add_edge(sol.weights[u], sol.weights[v], sign=s)
    else:  # orbit path: a spanning star per class
        for members, signs in zip(sol.tying.classes, sol.tying.class_signs):
            for w, s in zip(members[1:], signs[1:]):
                g.add_edge(sol.weights[members[0]], sol.weights[w], sign=s)
    return g


def write_graph(sol: Solution, path: str) -> None:
    """GraphML (networkx) or DOT (pydot) by the file's suffix."""
    import networkx as nx

    g = graph(sol)
    suffix = Path(path).suffix.lower()
    if suffix == ".graphml":
        text = "\n".join(nx.generate_graphml(g)) + "\n"
    elif suffix in (".dot", ".gv"):
        text = nx.nx_pydot.to_pydot(g).to_string()
    else:
        raise InvariantError(f"--graph {path}: the file must end in .graphml or .dot")
    write_atomic(path, text)


def write_plot(sol: Solution, path: str) -> None:
    """A PNG of the colored weight blocks (one n×n block per output)."""
    if not path.lower().endswith(".png"):
        raise InvariantError(f"--plot {path}: the file must end in .png")
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    spec = sol.spec
    if spec.degree > 2:
        raise InvariantError("--plot draws linear and quadratic layers (a cubic layer has n×n×n blocks)")
    blocks = [class_grid(sol, k) for k in range(spec.outputs)]
    if spec.degree == 1:
        blocks = [[row[0] for row in blocks]]
    cols = min(len(blocks), 4)
    rows = -(-len(blocks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    ncls = max(len(sol.tying.classes), 1)
    cmap = plt.get_cmap("tab20", max(ncls, 2))
    for ax in axes.flat:
        ax.axis("off")
    for b, (ax, grid) in enumerate(zip(axes.flat, blocks)):
        data = np.full((len(grid), len(grid[0])), np.nan)
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                if cell not in (".", "-"):
                    data[i, j] = abs(int(cell))
        ax.imshow(data, cmap=cmap, vmin=-0.5, vmax=max(ncls, 2) - 0.5)
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                if cell != ".":
                    ax.text(j, i, cell, ha="center", va="center", fontsize=8)
        ax.set_title(f"output {b}" if spec.degree == 2 else "W (rows: outputs)", fontsize=9)
    fig.suptitle(f"{spec.layer}, n={spec.n}, {spec.input_group}: {len(sol.tying.classes)} classes", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    write_atomic(path, buf.getvalue())
