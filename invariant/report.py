"""Render a :class:`~invariant.solution.Solution`: text, JSON, LaTeX, graph files and PNG.

Every renderer is a pure function of the solution and returns text or bytes; the command line
writes them through :func:`invariant.files.write_atomic`, so an error never leaves a partial file.
"""

from __future__ import annotations

import json
from pathlib import Path

from .channels import ChannelCount, channel_count
from .errors import InvariantError
from .groups.permutation_groups import describe_order
from .groups.permutations import format_generators
from .solution import Solution

#: Class members listed in full in text output up to this many; longer ones are elided.
TEXT_MEMBERS = 12
#: Text output lists at most this many classes and this many dependent weights.
TEXT_ROWS = 40
#: Colored block patterns are drawn up to this n.
PATTERN_MAX_N = 8
#: Weight names and class member lists go into JSON up to this many weights (else on request).
LIST_WEIGHTS = 20_000
#: Plots draw at most this many cells (outputs × n^degree per family: the blocks' grids).
PLOT_MAX_CELLS = 4_096


def _signed(name: str, s: int) -> str:
    return name if s > 0 else f"-{name}"


def _free_name(sol: Solution, c: int) -> str:
    return sol.weight_name(sol.representative(c))


def _combination(sol: Solution, combo) -> str:
    text = ""
    for f, a in combo:
        name = _free_name(sol, f)
        mag = abs(a)
        term = name if mag == 1 else f"{mag}*{name}"
        text += (" - " if a < 0 else " + ") + term if text else ("-" if a < 0 else "") + term
    return text or "0"


def _order_value(sol: Solution):
    """|G| as an exact integer while it is printable, else its order of magnitude as text."""
    group = sol.problem.group
    if group.order_digits <= 1000:
        return group.order
    return describe_order(group)


def _class_summary(sol: Solution, c: int, members: int | None) -> dict:
    entry = {
        "representative": sol.weight_name(sol.representative(c)),
        "size": sol.class_size(c),
        "family": sol.layout.families[sol.family_of(c)].name,
    }
    patterns = sol.patterns
    if patterns is not None:
        p = patterns[c]
        entry["pattern"] = list(p.blocks)
        entry["size_formula"] = p.size_formula
        if p.output is not None:
            entry["output"] = p.output
    if members:
        entry["members"] = [_signed(sol.weight_name(w), s) for w, s in sol.members(c, members)]
    return entry


def to_dict(sol: Solution, members: int | None = None) -> dict:
    """The JSON contract of ``derive --format json`` (see the README).

    Weight names and full member lists are included while the layer has at most
    :data:`LIST_WEIGHTS` weights; above that, classes are described by ``class_summary``
    (pattern, size and size formula) and ``members`` lists the first members on request.
    """
    spec, tying, action = sol.spec, sol.tying, sol.problem.action
    listed = sol.num_weights <= LIST_WEIGHTS
    names = sol.weights if listed else None
    name = (lambda w: names[w]) if names is not None else sol.weight_name
    return {
        "spec": {
            "canonical": str(spec),
            "sha256": spec.sha256,
            "layer": spec.layer,
            "n": spec.n,
            "group": spec.group,
            "generators": _short_gens(action.input_generators) if spec.n <= 64 else f"{spec.group}({spec.n})",
            "output": spec.output,
            "outputs": spec.outputs,
            "param": spec.param,
            "with_linear": spec.with_linear,
            "with_bias": spec.with_bias,
            "naive": spec.naive,
            "input_order": spec.input_order,
            "output_order": spec.output_order,
            "in_channels": spec.in_channels,
            "out_channels": spec.out_channels,
        },
        "method": sol.method,
        "group_order": _order_value(sol),
        "representations": {"input": sol.problem.input.expression, "output": sol.problem.output.expression},
        "weights": list(names) if names is not None else None,
        "num_weights": sol.num_weights,
        "num_constraints": sol.num_constraints,
        "num_classes": sol.num_classes,
        "num_free": sol.num_free,
        "num_parameters": channel_count(sol).num_parameters,
        "function_dim": sol.function_dim,
        "classes": (
            [[_signed(name(w), s) for w, s in sol.members(c)] for c in range(sol.num_classes)] if listed else None
        ),
        "class_signs": [[s for _, s in sol.members(c)] for c in range(sol.num_classes)] if listed else None,
        "class_summary": [_class_summary(sol, c, members) for c in range(sol.num_classes)],
        "zeros": [name(w) for w in tying.zeros(None if listed else members or 0)],
        "num_zeros": tying.num_zeros,
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
            "missing": sol.dimension.missing,
        },
        "channels": _channels(channel_count(sol)),
    }


def _channels(count: ChannelCount) -> dict:
    """The ``channels`` entry: the maps with channels, their dimension proved two ways, the module's count."""
    return {
        "in_channels": count.in_channels,
        "out_channels": count.out_channels,
        "module": count.kind,
        "dimension": {"derived": count.derived, "character_formula": count.character_formula, "agree": count.agree},
        "num_parameters": count.num_parameters,
        "gauge": {"size": count.gauge, "reason": count.gauge_reason},
        "note": count.note,
    }


def _maps(spec) -> str:
    """The space of maps with channels, in words: Sym^d(V ⊗ R^C) → U ⊗ R^D (and the lower-order terms)."""
    c, d = spec.in_channels, spec.out_channels
    source = f"V ⊗ R^{c}" if spec.degree == 1 else f"Sym^{spec.degree}(V ⊗ R^{c})"
    lower = [t for t, on in (("linear", spec.with_linear), ("bias", spec.with_bias)) if on]
    return f"{source} → U ⊗ R^{d}" + (f" plus the {' and '.join(lower)} term{'s' * (len(lower) > 1)}" if lower else "")


def channel_lines(sol: Solution) -> list[str]:
    """The text report's lines on channels (none for a one-channel vector layer: the classes line says it)."""
    count = channel_count(sol)
    if count.kind == "vector":
        return []
    module = (f"module: {count.kind}, {count.num_parameters} parameters" if count.num_parameters is not None
              else count.note)
    agree = {True: "agree", False: "DISAGREE", None: "not derived"}[count.agree]
    gauge = f"; gauge: {count.gauge} ({count.gauge_reason})" if count.gauge is not None else ""
    derived = count.derived if count.derived is not None else "none (see the line above)"
    if count.character_formula is None:
        proofs = f"derived {derived}, character formula not computed (see the dimension line){gauge}"
    else:
        proofs = f"derived {derived}, character formula {count.character_formula}: {agree}{gauge}"
    return [
        f"channels: {count.in_channels} in, {count.out_channels} out, the maps {_maps(sol.spec)}; {module}",
        f"dimension with channels: {proofs}",
    ]


def to_json(sol: Solution, members: int | None = None) -> str:
    """``to_dict`` as indented, key-ordered JSON."""
    return json.dumps(to_dict(sol, members), indent=2, ensure_ascii=False)


def class_grid(sol: Solution, k: int) -> list[list[str]]:
    """Output k's block of W: class number per cell, '-' forced zero, '.' no weight.

    An n×n block (rows i, columns j) for quadratic layers, a 1×n row for linear ones
    (vector layers only). Negative members of a signed class carry a minus sign.
    """
    lay = sol.layout
    n = lay.points
    degree = lay.families[0].degree
    grid = [["."] * n for _ in range(n if degree == 2 else 1)]
    for j in range(n if degree == 1 else 0):
        w = lay.index(0, k, (j,))
        grid[0][j] = _cell(sol, w)
    for i in range(n if degree == 2 else 0):
        for j in range(n):
            if i <= j or lay.families[0].ordered:
                grid[i][j] = _cell(sol, lay.index(0, k, (i, j)))
    return grid


def _cell(sol: Solution, w: int) -> str:
    found = sol.tying.label(w)
    if found is None:
        return "-"
    c, s = found
    return f"{'-' if s < 0 else ''}{c}"


def to_text(sol: Solution, members: int | None = None) -> str:
    """The human-readable report: classes, equations, pattern, and both proofs."""
    spec, tying, lay = sol.spec, sol.tying, sol.layout
    shown_members = members or TEXT_MEMBERS
    lines = [f"spec: {spec}"]
    if spec.naive:
        lines.append(
            "NAIVE MODE: the source note's procedure applied literally (only transpositions inside the "
            "first half are matched). The pattern below is NOT equivariant under the symmetric group; "
            "it is shown to reproduce the note."
        )
    action = sol.problem.action
    lines.append(
        f"group: {sol.problem.group} of order {describe_order(sol.problem.group)}; matched generators: "
        f"{_short_gens(action.input_generators) if spec.n <= 64 else '(not listed for n > 64)'}"
    )
    if lay.tensor_names or lay.in_channels != 1 or lay.out_channels != 1:
        lines.append(
            f"tensors: input order {lay.input_order} (n^{lay.input_order} entries), output order "
            f"{lay.output_order}; channels {lay.in_channels} -> {lay.out_channels}"
        )
    constraints = sol.num_constraints if sol.num_constraints is not None else f"n/a ({sol.method} path)"
    lines.append(f"weights: {sol.num_weights}  constraints: {constraints}  method: {sol.method}")
    lines.append(
        f"classes: {sol.num_classes}  zeros: {tying.num_zeros}  free parameters: {sol.num_free}"
        f"  dependent classes: {len(tying.dependent)}  function dimension: {sol.function_dim}"
    )
    lines += channel_lines(sol)
    lines.append("")
    patterns = sol.patterns
    if patterns is not None:
        lines.append("classes (class: size = formula in n, pattern of equal slots, representative: members):")
    else:
        lines.append("classes (class: size, representative = members):")
    for c in range(min(sol.num_classes, TEXT_ROWS)):
        mem = sol.members(c, shown_members + 1)
        shown = [_signed(sol.weight_name(w), s) for w, s in mem[:shown_members]]
        size = sol.class_size(c)
        more = size - len(shown)
        body = " = ".join(shown) + (f" = ... ({more} more)" if more > 0 else "")
        rep = sol.weight_name(sol.representative(c))
        if patterns is not None:
            p = patterns[c]
            where = f" output {p.output}," if p.output is not None else ""
            blocks = "".join(map(str, p.blocks))
            lines.append(f"  {c}: {size} = {p.size_formula},{where} pattern {blocks}, {rep}: {body}")
        else:
            lines.append(f"  {c}: {size}, {rep}: {body}")
    if sol.num_classes > TEXT_ROWS:
        lines.append(f"  ... ({sol.num_classes - TEXT_ROWS} more classes; --format json lists all)")
    if tying.num_zeros:
        zs = [sol.weight_name(w) for w in tying.zeros(TEXT_MEMBERS)]
        more = tying.num_zeros - len(zs)
        lines.append("forced to zero: " + ", ".join(zs) + (f", ... ({more} more)" if more > 0 else ""))
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
    if lay.points <= PATTERN_MAX_N and lay.families[0].degree <= 2 and not lay.tensor_names:
        degree = lay.families[0].degree
        lines.append("")
        lines.append("pattern of W (class per cell; '-' zero, '.' no weight; rows i, columns j):"
                     if degree == 2 else "pattern of W (row k = output, column i = input):")
        if degree == 2:
            for k in range(lay.outputs):
                lines.append(f"  output {k}:")
                lines += ["    " + " ".join(f"{cell:>3}" for cell in row) for row in class_grid(sol, k)]
        else:
            for k in range(lay.outputs):
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
    if dim.character_formula is None:
        lines.append(f"dimension: derived {dim.derived}, character formula not computed: {dim.missing}")
    else:
        verdict = "agree" if dim.agree else "DISAGREE"
        lines.append(f"dimension: derived {dim.derived}, character formula {dim.character_formula}: {verdict}")
    return "\n".join(lines) + "\n"


def _short_gens(gens) -> str:
    if len(gens) <= 4:
        return format_generators(gens)
    return f"{format_generators(gens[:3])}; ... ({len(gens)} in all)"


def _latex_name(name: str) -> str:
    """``W[k,i,j]`` → ``W^{k}_{i,j}`` (indices separated, so W[0,1,11] and W[0,11,1] differ)."""
    family, _, rest = name.partition("[")
    rest = rest.rstrip("]")
    if ";" in rest:
        head, _, sub = rest.partition(";")
    else:
        head, _, sub = rest.partition(",")
    return f"{family}^{{{head}}}_{{{sub}}}" if sub else f"{family}^{{{head}}}"


def to_latex(sol: Solution) -> str:
    """The constraint equations (align*) and the class table (tabular), for a paper."""
    tying = sol.tying

    def tex(w: int) -> str:
        return _latex_name(sol.weight_name(w))

    out = [f"% invariant: {sol.spec}", "\\begin{align*}"]
    eqs = []
    for c in range(min(sol.num_classes, TEXT_ROWS)):
        mem = sol.members(c, TEXT_MEMBERS + 1)
        if len(mem) > 1:
            shown = [("-" if s < 0 else "") + tex(w) for w, s in mem[:TEXT_MEMBERS]]
            eqs.append(" = ".join(shown) + (" = \\cdots" if len(mem) > TEXT_MEMBERS else ""))
    for w in tying.zeros(TEXT_MEMBERS):
        eqs.append(f"{tex(w)} = 0")
    for c, combo in tying.dependent:
        rhs = " ".join(
            f"{'-' if a < 0 else '+'} {'' if abs(a) == 1 else _latex_frac(abs(a))}{_latex_name(_free_name(sol, f))}"
            for f, a in combo
        ).lstrip("+ ")
        eqs.append(f"{_latex_name(_free_name(sol, c))} &= {rhs}")
    out.append(" \\\\\n".join(e if "&" in e else e.replace(" = ", " &= ", 1) for e in eqs))
    out += ["\\end{align*}", "", "\\begin{tabular}{rrl}", "class & size & representative \\\\", "\\hline"]
    for c in range(sol.num_classes):
        out.append(f"{c} & {sol.class_size(c)} & ${tex(sol.representative(c))}$ \\\\")
    out += ["\\end{tabular}", "", _latex_channels(channel_count(sol)), ""]
    if sol.dimension.missing:
        out[-1:-1] = ["", f"\\noindent Character formula not computed: {_latex_text(sol.dimension.missing)}."]
    return "\n".join(out)


def _latex_channels(count: ChannelCount) -> str:
    """The channel sentence of the LaTeX report: the same numbers as the text and JSON."""
    derived = count.derived if count.derived is not None else "not derived"
    params = count.num_parameters if count.num_parameters is not None else "none (no module)"
    text = (f"\\noindent Channels: $C = {count.in_channels}$ in, $D = {count.out_channels}$ out ({count.kind} module). "
            f"Dimension of the equivariant maps: {derived} by derivation, "
            f"{count.character_formula if count.character_formula is not None else 'not computed'} by the "
            f"character formula; module parameters: {params}")
    if count.gauge is not None:
        text += f"; gauge: {count.gauge} ({_latex_text(count.gauge_reason)})"
    if count.note:
        text += f"; {_latex_text(count.note)}"
    return text + "."


def _latex_text(text: str) -> str:
    """Plain words for LaTeX text mode (its special characters escaped)."""
    for char in "\\%&#_^$":
        text = text.replace(char, "\\" + char)
    return text


def _latex_frac(a) -> str:
    return f"\\tfrac{{{a.numerator}}}{{{a.denominator}}}" if a.denominator != 1 else f"{a.numerator}"


def graph(sol: Solution):
    """The networkx graph: nodes are weights (attribute ``cls``, -1 for zero; ``sign``), edges
    the equalities the symbolic path matched (its provenance), or a spanning star per class."""
    import networkx as nx

    sol._require_small("draw the weight graph")
    g = nx.Graph()
    names = sol.weights
    for w, name in enumerate(names):
        c, s = sol.tying.label(w) or (-1, 1)
        g.add_node(name, cls=c, sign=s)
    if sol.method == "symbolic":
        for u, v, s in sol.equalities:
            g.add_edge(names[u], names[v], sign=s)
    else:
        for c in range(sol.num_classes):
            members = sol.members(c)
            for w, s in members[1:]:
                g.add_edge(names[members[0][0]], names[w], sign=s * members[0][1])
    return g


def check_output_name(kind: str, path: str) -> None:
    """Refuse an output file name the writer cannot serve, before any work or any file."""
    suffix = Path(path).suffix.lower()
    allowed = {"graph": (".graphml", ".dot", ".gv"), "plot": (".png",)}[kind]
    if suffix not in allowed:
        raise InvariantError(f"the {kind} file {path} must end in {' or '.join(allowed)}")


def render_graph(sol: Solution, path: str) -> bytes:
    """GraphML (networkx) or DOT (pydot) by the file's suffix."""
    import networkx as nx

    check_output_name("graph", path)
    g = graph(sol)
    if Path(path).suffix.lower() == ".graphml":
        return ("\n".join(nx.generate_graphml(g)) + "\n").encode()
    return nx.nx_pydot.to_pydot(g).to_string().encode()


def plot_blocks(sol: Solution) -> list[tuple[str, list[list[str]], str, str]]:
    """(title, grid, x label, y label) for every family's blocks, as class labels per cell."""
    lay = sol.layout
    if lay.tensor_names or lay.families[0].degree > 2:
        raise InvariantError(
            "plots draw vector layers of degree 1 or 2 (tensor orders and cubic layers have larger blocks)"
        )
    cells = sum(lay.outputs * lay.points**fam.degree for fam in lay.families)  # the grids drawn below
    if cells > PLOT_MAX_CELLS:
        raise InvariantError(f"a plot of {cells} cells is too large to read (limit {PLOT_MAX_CELLS}); use a smaller n")
    blocks = []
    for f, fam in enumerate(lay.families):
        if fam.degree == 2:
            for k in range(lay.outputs):
                grid = [["."] * lay.points for _ in range(lay.points)]
                for i in range(lay.points):
                    for j in range(lay.points):
                        if i <= j or fam.ordered:
                            grid[i][j] = _cell(sol, lay.index(f, k, (i, j)))
                blocks.append((f"{fam.name}, output {k}", grid, "input j", "input i"))
        elif fam.degree == 1:
            grid = [[_cell(sol, lay.index(f, k, (i,))) for i in range(lay.points)] for k in range(lay.outputs)]
            blocks.append((f"{fam.name} (linear term)" if f else fam.name, grid, "input i", "output k"))
        else:
            grid = [[_cell(sol, lay.index(f, k, ())) for k in range(lay.outputs)]]
            blocks.append((f"{fam.name} (bias)", grid, "output k", ""))
    return blocks


def render_plot(sol: Solution, path: str) -> bytes:
    """A PNG of every family's weight blocks coloured by class; negative members hatched."""
    check_output_name("plot", path)
    blocks = plot_blocks(sol)
    import io

    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    ncls = max(sol.num_classes, 1)
    cols = min(len(blocks), 4)
    rows = -(-len(blocks) // cols)
    fig = Figure(figsize=(3.4 * cols, 3.4 * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    import matplotlib

    cmap = matplotlib.colormaps["tab20"].resampled(max(ncls, 2))
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, (title, grid, xlabel, ylabel) in zip(axes.flat, blocks):
        ax.set_visible(True)
        data = np.full((len(grid), len(grid[0])), np.nan)
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                if cell not in (".", "-"):
                    data[i, j] = abs(int(cell))
        ax.imshow(data, cmap=cmap, vmin=-0.5, vmax=max(ncls, 2) - 0.5)
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                if cell.startswith("-") and cell != "-":
                    ax.add_patch(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", lw=0))
                if cell != ".":
                    ax.text(j, i, "×" if cell == "-" else cell.replace("-", "−"), ha="center", va="center", fontsize=8,
                            color="dimgray" if cell == "-" else "black")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.set_xticks(range(len(grid[0])))
        ax.set_yticks(range(len(grid)) if len(grid) > 1 else [])
        ax.tick_params(labelsize=7)
    handles = [Patch(color=cmap(c), label=f"class {c}") for c in range(sol.num_classes)]
    if any(cell.startswith("-") and cell != "-" for _, grid, _, _ in blocks for row in grid for cell in row):
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="negative member (−c)"))
    if sol.tying.num_zeros:
        handles.append(Patch(facecolor="white", edgecolor="gray", label="×: forced to zero"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize=8)
    classes = f"{sol.num_classes} class{'es' if sol.num_classes != 1 else ''}"
    fig.suptitle(
        f"{sol.spec.layer}, n = {sol.spec.n}, {sol.problem.group}, {sol.spec.output} output: {classes}", fontsize=10
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()

