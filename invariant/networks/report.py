"""Render a :class:`~invariant.networks.api.VarietyReport`: text, JSON and LaTeX.

JSON keys (``invariant variety --format json``): ``spec`` {canonical, sha256},
``num_weights``, ``num_equations``, ``equation_degrees``, ``dimension`` {exact, numerical,
agree, exact_note, numerical_rank}, ``components`` (largest first; each dimension, kind,
latent_character, latent_decomposition, function_dim, reason, hits, witness_residual,
end_to_end_error), ``exact_components`` (dimensions of the primes meeting the open cell, or
null), ``function_dim`` {layerwise_network, all_equivariant, variety}, ``gl_symmetry``.
"""

from __future__ import annotations

import json

#: Equations are printed in text output up to this many.
TEXT_EQUATIONS = 12


def _latent(comp):
    if comp.kind != "layerwise" or not comp.latent:
        return None, None
    chars = [list(layer.character) for layer in comp.latent]
    decs = [layer.decomposition for layer in comp.latent]
    return chars, (decs if any(d is not None for d in decs) else None)


def to_dict(rep) -> dict:
    spec = rep.spec
    comps = []
    for c in rep.components:
        chars, decs = _latent(c)
        witness = max((layer.residual for layer in c.latent), default=None) if c.kind == "not-layerwise" else None
        comps.append({
            "dimension": c.dimension, "kind": c.kind, "latent_character": chars,
            "latent_decomposition": decs, "function_dim": c.function_dim, "reason": c.reason,
            "hits": dict(sorted(c.sources.items())), "witness_residual": witness,
            "end_to_end_error": c.example.end_to_end_error,
        })
    rank = rep.numerical_rank
    return {
        "spec": {"canonical": str(spec), "sha256": spec.sha256, "widths": list(spec.widths), "group": spec.group,
                 "output": spec.output},
        "num_weights": rep.num_weights,
        "num_equations": len(rep.equations),
        "equation_degrees": {str(k): v for k, v in rep.equations.degrees.items()},
        "dimension": {
            "exact": rep.exact.dimension, "numerical": rep.numerical_dim, "agree": rep.agree,
            "exact_note": rep.exact.note,
            "numerical_rank": None if rank is None else {"rank": rank.rank, "kept": rank.kept, "dropped": rank.dropped},
        },
        "components": comps,
        "exact_components": None if rep.exact.open_cell_primes is None else list(rep.exact.open_cell_primes),
        "function_dim": {
            "layerwise_network": rep.layerwise_dim, "all_equivariant": rep.all_equivariant,
            "variety": rep.variety_function_dim,
        },
        "gl_symmetry": True,
    }


def to_json(rep) -> str:
    return json.dumps(to_dict(rep), indent=2)


def _char_text(comp, rep) -> str:
    chars, decs = _latent(comp)
    if chars is None:
        return ""
    parts = []
    for i, ch in enumerate(chars):
        text = f"χ_R{i + 1} = ({', '.join(map(str, ch))})"
        if decs and decs[i]:
            text += " = " + " + ".join(f"{m}·χ{lam}" if m > 1 else f"χ{lam}" for lam, m in decs[i].items())
        parts.append(text)
    return "; ".join(parts)


def to_text(rep) -> str:
    from .api import GL_NOTE

    spec = rep.spec
    eqs = rep.equations
    lines = [
        f"variety of end-to-end equivariant weights: {spec}",
        f"spec sha256 {spec.sha256}",
        f"group order {rep.action.order}; output action: {rep.action.proof}",
        f"{rep.num_weights} weights, {len(eqs)} distinct equations, degrees "
        + ", ".join(f"{v} of degree {k}" for k, v in eqs.degrees.items()),
    ]
    if len(eqs) <= TEXT_EQUATIONS:
        lines += ["equations (each = 0):"] + [f"  {e}" for e in eqs.display()]
    else:
        lines += [f"first {TEXT_EQUATIONS} equations (each = 0; --format json has the counts):"]
        lines += [f"  {e}" for e in eqs.display(TEXT_EQUATIONS)]
    ex = rep.exact
    lines.append("")
    lines.append(f"dim V exact (Singular, Q): {ex.dimension if ex.dimension is not None else '—'}  "
                 f"[{ex.note}; {ex.seconds:.1f} s]")
    rank = rep.numerical_rank
    lines.append(
        f"dim V numerical: {rep.numerical_dim}  [#weights − rank ∂E/∂w at the best point: "
        f"{rank.describe() if rank else '—'}]"
    )
    if rep.agree is not None:
        lines.append(f"agree: {rep.agree}")
    lines.append("")
    lines.append(f"components (numerical, {rep.starts} random starts, {rep.rejected_starts} rejected as not sharp; "
                 "plus constructed points):")
    for c in rep.components:
        extra = _char_text(c, rep)
        hits = ", ".join(f"{k}: {v}" for k, v in sorted(c.sources.items()))
        line = f"  dim {c.dimension:3d}  {c.kind:13s}  function dim {c.function_dim:3d}  ({c.reason}"
        line += f"; {extra})" if extra else ")"
        lines.append(line)
        lines.append(f"           rank {c.example.local.describe()}; GL-orbit dim {c.orbit_dim}; "
                     f"end-to-end error {c.example.end_to_end_error:.1e}; hits: {hits}")
    for fam, a in rep.special:
        lines.append(f"  inside a larger component: {fam.label} (dim {fam.dimension} < local dim {a.local_dim})")
    if ex.open_cell_primes is not None:
        lines.append("exact minimal primes meeting the open cell (dimensions in V): "
                     + ", ".join(map(str, ex.open_cell_primes)))
        if rep.prime_matches:
            lines.append("  matched to components above (by evaluating the primes at their points): "
                         + ", ".join("—" if m is None else f"#{m + 1}" for m in rep.prime_matches))
    lines.append("")
    lines.append("function spaces (dimension of the set of end-to-end functions):")
    lines.append(f"  variety (largest component): {rep.variety_function_dim}")
    if rep.layerwise_dim is not None:
        lines.append(f"  layerwise network from derive: {rep.layerwise_dim}  "
                     f"[{rep.layerwise_desc}; {rep.layerwise_rank.describe()}]")
    else:
        lines.append(f"  layerwise network from derive: —  [{rep.layerwise_desc}]")
    lines.append(f"  all G-equivariant polynomial maps of degrees {', '.join(map(str, spec.degrees))}: "
                 f"{rep.all_equivariant}  [character formula]")
    lines.append("")
    lines.append(GL_NOTE + ".")
    return "\n".join(lines)


def to_latex(rep) -> str:
    spec = rep.spec
    ex = rep.exact
    rows = []
    for c in rep.components:
        chars, _ = _latent(c)
        ch = "; ".join("(" + ",".join(map(str, x)) + ")" for x in chars) if chars else "--"
        rows.append(f"  {c.dimension} & {c.kind} & {ch} & {c.function_dim} \\\\")
    return "\n".join([
        f"% invariant variety: {spec}",
        "\\begin{tabular}{rllr}",
        "  \\hline",
        "  $\\dim$ & kind & latent character & function dim \\\\",
        "  \\hline",
        *rows,
        "  \\hline",
        "\\end{tabular}",
        "",
        (f"$\\#W = {rep.num_weights}$, {len(rep.equations)} equations, "
         f"$\\dim V = {ex.dimension if ex.dimension is not None else '?'}$ (exact), {rep.numerical_dim} (numerical); "
         f"function dims: layerwise {rep.layerwise_dim if rep.layerwise_dim is not None else '--'}, "
         f"all equivariant {rep.all_equivariant}, variety {rep.variety_function_dim}."),
    ])
