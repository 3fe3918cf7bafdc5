"""Jacobian spectra of deep random networks (source note 004), and of S_n-equivariant ones.

h^ℓ = φ(W^ℓ h^{ℓ-1} + b^ℓ), width N, W Gaussian N(0, σ_w²/N) or σ_w × Haar orthogonal,
b ~ N(0, σ_b²), at criticality χ = 1 (see :mod:`invariant.notes.jacobian`). Inputs x = φ(h⁰) with
‖h⁰‖²/N = q* exactly, so every pre-activation starts at the fixed point.

Sections (DIR/report.md sets each claim of the note beside our figure):
  fig1  order-chaos phase diagram for tanh: q* heat map and the critical line χ = 1
  fig2  singular-value spectra at criticality (linear-Gaussian, ReLU-orthogonal, hard tanh and
        erf orthogonal), depths 2, 8, 32, 128 (quick: 2, 8, 32), with the free-probability density
  fig3  distributions of φ'(h), h ~ N(0, q*), for the four nonlinearities
  table mean and variance of the JJᵀ eigenvalues against χ^L and χ^{2L} L (μ₂/μ₁² - 1 - s₁)
  fig4  beyond the note: networks of the S_n-equivariant layers W = αI + β11ᵀ derived by invariant
  fig5  where finite width shows: ReLU at the deepest table depth, widths 50 to 400 and N

    python examples/jacobian.py [--quick] [--seed 0] [--device auto] [--threads N] --out DIR
    python examples/jacobian.py --replot DIR

DIR/results.json depends only on the seed and the options (byte for byte); wall-clock times go
to DIR/timings.json. --replot DIR redraws fig1, fig3, fig4, fig5 and report.md of an existing run
from DIR/results.json and DIR/timings.json, without computing anything, and leaves results.json
as it is; fig2 is not redrawn, since it needs the eigenvalues, which results.json does not keep.
"""

from __future__ import annotations

import os

# Before numpy and torch load their OpenMP runtime: idle OpenMP threads sleep instead of spinning.
# On a busy machine spinning threads made two-thread runs up to 60x slower than one thread.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

import invariant.notes.jacobian as J
from invariant.errors import InvariantError
from invariant.files import write_atomic
from invariant.notes.runtime import (
    Check,
    Nullable,
    Optional,
    experiment_main,
    experiment_parser,
    load_run,
    plural,
    progress,
    save_figure,
    start_run,
)

SPECTRA = (("linear", "gaussian"), ("relu", "orthogonal"), ("hard_tanh", "orthogonal"), ("erf", "orthogonal"))
TABLE = tuple((a, w) for a in ("linear", "relu", "hard_tanh", "erf") for w in ("gaussian", "orthogonal"))


def critical(act: str, q_star: float) -> tuple[float, float, float]:
    """(σ_w, σ_b, q*) on the critical line; linear and ReLU have σ_b = 0 and any q*."""
    if act == "linear":
        return 1.0, 0.0, q_star
    if act == "relu":
        return math.sqrt(2.0), 0.0, q_star
    sw, sb = J.critical_point(act, q_star)
    return sw, sb, q_star


def fixed_point_input(act, width, q_star, gen, device):
    """x = φ(h⁰) with ‖h⁰‖²/N = q* exactly."""
    phi, _ = J.torch_activation(act)
    h0 = torch.randn(width, generator=gen, dtype=torch.float64)
    return phi(h0 * math.sqrt(q_star * width) / h0.norm()).to(device)


def measure(act, weights, width, depths, q_star, networks, inputs, gen, device, keep_spectra=False):
    sw, sb, q = critical(act, q_star)
    return sw, sb, q, measure_at(act, weights, width, depths, sw, sb, q, networks, inputs, gen, device, keep_spectra)


def measure_at(act, weights, width, depths, sw, sb, q, networks, inputs, gen, device, keep_spectra=False):
    """Per depth: the mean and variance of the JJᵀ eigenvalues per network (averaged over its inputs)."""
    per_depth = {L: {"mean": [], "variance": [], "eigenvalues": []} for L in depths}
    for _ in range(networks):
        measure_network(act, width, depths, q, J.random_layers(weights, width, max(depths), sw, sb, gen, device),
                        inputs, gen, device, per_depth, keep_spectra)
    return per_depth


def measure_network(act, width, depths, q, layers, inputs, gen, device, per_depth, keep_spectra=False):
    """Append one network's mean and variance of the JJᵀ eigenvalues, averaged over ``inputs`` inputs at q*."""
    draws = {L: [] for L in depths}
    for _ in range(inputs):
        for L, jac in J.jacobians(layers, fixed_point_input(act, width, q, gen, device), act, set(depths)).items():
            gram = jac @ jac.T
            mean = float(torch.trace(gram)) / width
            draws[L].append((mean, float((gram * gram).sum()) / width - mean**2))
            if keep_spectra:
                per_depth[L]["eigenvalues"].append(torch.linalg.svdvals(jac).cpu().numpy() ** 2)
    for L, pairs in draws.items():
        per_depth[L]["mean"].append(float(np.mean([m for m, _ in pairs])))
        per_depth[L]["variance"].append(float(np.mean([v for _, v in pairs])))


def measure_table(width, depths, q_star, networks, inputs, gen, device):
    """Every (φ, W) row of TABLE, each network drawn once per weight kind and rescaled for every φ.

    One standard draw (G or Haar Q, and b⁰) serves all activations: W = σ_w G, b = σ_b b⁰ at
    each φ's critical point, which is how the cost of the orthogonal samples is shared.
    Returns {(φ, W): (σ_w, σ_b, q*, per_depth)}.
    """
    rows = {(a, w): (*critical(a, q_star if a in ("hard_tanh", "erf") else 1.0),
                     {L: {"mean": [], "variance": [], "eigenvalues": []} for L in depths}) for a, w in TABLE}
    for _ in progress(range(networks), desc="table (networks)"):
        for weights in ("gaussian", "orthogonal"):
            base = J.random_layers(weights, width, max(depths), 1.0, 1.0, gen, device)
            for (act, kind), (sw, sb, q, per_depth) in rows.items():
                if kind == weights:
                    layers = [(sw * w, sb * b) for w, b in base]
                    measure_network(act, width, depths, q, layers, inputs, gen, device, per_depth)
    return rows


def table_rows(act, weights, width, sw, sb, q, per_depth):
    """Table entries: measured mean and variance beside the prediction; standard errors over networks."""
    rows = []
    for L, per in per_depth.items():
        pm, pv = J.predicted_moments(act, weights, sw, q, L)
        networks = len(per["mean"])
        rows.append({"activation": act, "weights": weights, "L": L, "N": width,
                     "mean": float(np.mean(per["mean"])), "variance": float(np.mean(per["variance"])),
                     "predicted_mean": pm, "predicted_variance": pv,
                     "mean_se": float(np.std(per["mean"]) / math.sqrt(networks)),
                     "variance_se": float(np.std(per["variance"]) / math.sqrt(networks)),
                     "sigma_w": sw, "sigma_b": sb, "q_star": q, "networks": networks})
    return rows


def width_scan(widths, depth, networks, gen, device):
    """ReLU at criticality, both weight kinds, fixed depth: table rows at each width (finite-N bias vs L/N)."""
    sw, sb, q = critical("relu", 1.0)
    rows = []
    for width in progress(widths, desc="width scan"):
        for weights in ("gaussian", "orthogonal"):
            per = measure_at("relu", weights, width, [depth], sw, sb, q, networks, 1, gen, device)
            rows += table_rows("relu", weights, width, sw, sb, q, per)
    return rows


def phase_diagram(out_points=(36, 26)):
    sws = np.linspace(0.6, 4.0, out_points[0])
    sbs = np.linspace(0.0, 2.0, out_points[1])
    q = np.array([[J.fixed_point("tanh", sw, sb) if sb > 0 or sw > 1.0 else 0.0 for sw in sws] for sb in sbs])
    chi = np.array([[J.chi_of("tanh", sw, q[i, j]) for j, sw in enumerate(sws)] for i in range(len(sbs))])
    line_sb = np.linspace(0.05, 2.0, 14)
    line_sw = [J.critical_sigma_w("tanh", sb, bracket=(0.5, 6.0)) for sb in line_sb]
    return {"sigma_w": sws.tolist(), "sigma_b": sbs.tolist(), "q_star": q.tolist(), "chi": chi.tolist(),
            "critical_line": [{"sigma_b": float(b), "sigma_w": float(w),
                               "q_star": J.fixed_point("tanh", w, b)} for b, w in zip(line_sb, line_sw)]}


def equivariant_section(n, depth, gen):
    """Deep linear / tanh networks of the S_n-equivariant layers derived by invariant."""
    import invariant

    spec = invariant.LayerSpec.build(layer="linear", n=n, group="symmetric")
    sol = invariant.derive(spec)
    dense = torch.from_numpy(sol.basis())  # W = B θ, weights W[k,i] in row-major order
    basis = [dense[:, p].reshape(n, n) for p in range(sol.num_free)]
    eye, ones = torch.eye(n, dtype=torch.float64), torch.ones(n, n, dtype=torch.float64)
    # Which basis vector is I and which is 11ᵀ - I (the derived classes: diagonal, off-diagonal)
    diag = [float(b.diagonal().sum()) > 0 for b in basis]
    module_class = invariant.compile(spec)
    rows = []
    cases = {"module default init": None, "critical: α = 1, β = -2/n (Householder)": (1.0, -2.0 / n),
             "critical in mean square: α ~ ±1, α + nβ ~ ±1 at random": "signs"}
    for label, choice in cases.items():
        for act in ("linear", "tanh"):
            mats, alphas, betas = [], [], []
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (), generator=gen)))
            for _ in range(depth):
                if choice is None:
                    w = module_class(dtype=torch.float64).weight().detach()
                elif choice == "signs":
                    a = float(torch.randint(0, 2, (), generator=gen)) * 2 - 1
                    c = float(torch.randint(0, 2, (), generator=gen)) * 2 - 1
                    w = a * eye + (c - a) / n * ones
                else:
                    w = choice[0] * eye + choice[1] * ones
                # α, β from the derived classes: w = θ_diag B_diag + θ_off B_off, B_off = 11ᵀ - I
                theta = {d: float((w * b).sum() / (b * b).sum()) for b, d in zip(basis, diag)}
                alpha, beta = theta[True] - theta[False], theta[False]
                assert torch.allclose(w, alpha * eye + beta * ones, atol=1e-12)
                mats.append(w)
                alphas.append(alpha)
                betas.append(beta)
            c = 0.3
            x = torch.full((n,), c, dtype=torch.float64)  # a symmetric input: D^ℓ = φ'(h^ℓ) I
            phi, dphi = J.torch_activation(act)
            measured = torch.linalg.svdvals(
                torch.func.jacrev(J.network([(w, torch.zeros(n, dtype=torch.float64)) for w in mats], act))(x))
            h, perp, mean_dir = x, 1.0, 1.0
            for w, a, b in zip(mats, alphas, betas):
                pre = w @ h
                d = float(dphi(pre)[0])
                perp *= abs(d * a)
                mean_dir *= abs(d * (a + n * b))
                h = phi(pre)
            predicted = torch.tensor(sorted([perp] * (n - 1) + [mean_dir], reverse=True), dtype=torch.float64)
            err = float((measured - predicted).abs().max() / predicted.max())
            rows.append({"init": label, "activation": act, "n": n, "L": depth,
                         "sigma_perp": perp, "sigma_ones": mean_dir, "max_relative_error": err,
                         "chi_perp": float(np.mean(np.square(alphas))),
                         "chi_ones": float(np.mean(np.square(np.add(alphas, n * np.array(betas)))))})
    return {"classes": sol.num_free, "rows": rows}


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_phase_diagram(out, res):
    """fig1: tanh's q* over (σ_w, σ_b) with the critical line χ = 1 (from results.json alone)."""
    plt = pyplot()
    pd = res["phase_diagram"]
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    im = ax.pcolormesh(pd["sigma_w"], pd["sigma_b"], np.array(pd["q_star"]), shading="auto", cmap="viridis")
    ax.contour(pd["sigma_w"], pd["sigma_b"], np.array(pd["chi"]), levels=[1.0], colors="white")
    line = pd["critical_line"]
    ax.plot([p["sigma_w"] for p in line], [p["sigma_b"] for p in line], "r.", label="χ = 1 (brentq)")
    ax.set_xlabel("σ_w")
    ax.set_ylabel("σ_b")
    ax.set_title("tanh: q* (colour), χ = 1 (white contour); left: ordered, right: chaotic")
    ax.legend(loc="upper left")
    fig.colorbar(im, label="q*")
    save_figure(fig, out / "fig1_phase_diagram.png", dpi=100, bbox_inches="tight")


def figure_spectra(out, res, spectra, densities):
    """fig2: singular-value histograms against the free-probability density. Needs the eigenvalues
    themselves (``spectra``), which results.json does not keep: --replot leaves this figure as it is."""
    plt = pyplot()
    depths = res["config"]["spectrum_depths"]
    fig, axes = plt.subplots(1, len(SPECTRA), figsize=(4.2 * len(SPECTRA), 3.8))
    for ax, (act, weights) in zip(axes, SPECTRA):
        for k, L in enumerate(depths):
            colour = plt.cm.plasma(k / max(1, len(depths)))
            sv = np.sqrt(np.concatenate(spectra[(act, weights)][L]))
            sv = sv[sv > 1e-8]
            ax.hist(np.log10(sv), bins=60, density=True, histtype="step", color=colour, label=f"L = {L}")
            lam, rho = densities[(act, weights, L)]
            # density of log10 σ with σ = √λ: ρ_λ(λ) · dλ/dlog10σ = ρ_λ · 2λ ln 10
            ax.plot(np.log10(np.sqrt(lam)), rho * 2 * lam * math.log(10), "--", color=colour, lw=1)
        ax.set_title(f"{act}, {weights}")
        ax.set_xlabel("log10 singular value of J")
    axes[0].legend(fontsize=7)
    axes[0].set_ylabel("density (histogram: measured; dashed: theory)")
    fig.tight_layout()
    save_figure(fig, out / "fig2_spectra.png", dpi=100)


def figure_phi_prime(out, res):
    """fig3: φ and the distribution of φ'(h), h ~ N(0, q*) (from results.json's config alone)."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(15, 6))
    gen = np.random.default_rng(0)
    for col, act in enumerate(("linear", "relu", "hard_tanh", "erf")):
        a = J.activation(act)
        h = np.linspace(-3, 3, 400)
        axes[0, col].plot(h, a.phi(h), "k")
        for q in res["config"]["phi_prime_q"]:
            z = gen.standard_normal(100_000) * math.sqrt(q)
            axes[0, col].plot(h, np.exp(-h * h / (2 * q)) / math.sqrt(2 * math.pi * q), lw=0.8, label=f"q* = {q}")
            axes[1, col].hist(a.dphi(z), bins=50, range=(0, 1.05), density=True, histtype="step", label=f"q* = {q}")
        axes[0, col].set_title(act)
        axes[0, col].set_xlabel("h")
        axes[1, col].set_xlabel("φ'(h)")
    axes[0, 0].set_ylabel("φ(h) (black); density of h ~ N(0, q*)")
    axes[1, 0].set_ylabel("density of φ'(h), h ~ N(0, q*)")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / "fig3_phi_prime.png", dpi=100)


def figure_equivariant(out, res):
    """fig4: the two singular values of each S_n-equivariant network (horizontal bars, labelled),
    from results.json's ``equivariant`` rows alone."""
    plt = pyplot()
    rows = res["equivariant"]["rows"]
    short = {"module default init": "module's default init",
             "critical: α = 1, β = -2/n (Householder)": "Householder: α = 1, β = -2/n",
             "critical in mean square: α ~ ±1, α + nβ ~ ±1 at random": "α, α + nβ = ±1 at random"}
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    positions = np.arange(len(rows))
    values = []
    for offset, key, label in ((-0.2, "sigma_perp", "σ on 1⊥ (n-1 times)"), (0.2, "sigma_ones", "σ on 1")):
        values += [math.log10(max(r[key], 1e-300)) for r in rows]
        bars = ax.barh(positions + offset, values[-len(rows):], 0.4, label=label)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=2)  # a bar of length 0 (σ = 1) shows its value
    lo, hi = min(values + [0.0]), max(values + [0.0])
    ax.set_xlim(lo - 0.12 * (hi - lo or 1), hi + 0.12 * (hi - lo or 1))  # room for the labels on both sides
    ax.set_yticks(positions, [f"{short.get(r['init'], r['init'])}, {r['activation']}" for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("log10 singular value of J")
    ax.set_ylabel("initialization, activation")
    ax.set_title(f"S_n-equivariant nets, L = {rows[0]['L']}, n = {rows[0]['n']} (symmetric input)", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    save_figure(fig, out / "fig4_equivariant.png", dpi=100, bbox_inches="tight")


def figure_width_scan(out, res):
    """fig5: measured / predicted mean and variance against L / N for ReLU (from results.json alone)."""
    from matplotlib.ticker import NullFormatter

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ticks = sorted({r["L"] / r["N"] for w in ("gaussian", "orthogonal") for r in scan_rows(res, w)})
    for weights, marker in (("gaussian", "o"), ("orthogonal", "s")):
        rows = scan_rows(res, weights)
        x = [r["L"] / r["N"] for r in rows]
        for ax, key in zip(axes, ("mean", "variance")):
            ax.errorbar(x, [r[key] / r[f"predicted_{key}"] - 1 for r in rows],
                        [r[f"{key}_se"] / r[f"predicted_{key}"] for r in rows], fmt=marker + "-", capsize=3,
                        label=f"ReLU, {weights}")
    for ax, key in zip(axes, ("mean", "variance")):
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("L / N")
        ax.set_ylabel(f"measured / predicted {key} - 1")
        ax.set_title(f"{key} of JJᵀ eigenvalues, L = {res['config']['scan_depth']}, ± SE", fontsize=10)
        ax.set_xticks(ticks, [f"{t:.3g}" for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / "fig5_width_scan.png", dpi=100)


FIGURES = ("fig1_phase_diagram.png", "fig2_spectra.png", "fig3_phi_prime.png", "fig4_equivariant.png",
           "fig5_width_scan.png")
# The figures that results.json alone determines: what --replot redraws (all but fig2).
FROM_RESULTS = (figure_phase_diagram, figure_phi_prime, figure_equivariant, figure_width_scan)


def figures(out, res, spectra, densities) -> list[str]:
    """Draw fig1 to fig5 into ``out``; returns their file names."""
    figure_phase_diagram(out, res)
    figure_spectra(out, res, spectra, densities)
    figure_phi_prime(out, res)
    figure_equivariant(out, res)
    figure_width_scan(out, res)
    return list(FIGURES)


def scan_rows(res, weights):
    """Width-scan rows of one weight kind plus the main table's row at the same depth, by width."""
    depth = res["config"]["scan_depth"]
    rows = [r for r in res["width_scan"] + res["table"] if r["activation"] == "relu" and r["weights"] == weights
            and r["L"] == depth and not r.get("extra")]
    return sorted(rows, key=lambda r: r["N"])


def run_time(timings) -> str:
    """``2214 s with 1 thread``; threads is null in the timings of runs from before it was recorded."""
    threads = timings["threads"]
    return f"{timings['seconds']:.0f} s with " + (plural(threads, "thread") if threads is not None
                                                 else "an unrecorded number of threads")


def report(res, timings) -> str:
    cfg = res["config"]
    lines = [
        "# Jacobian spectra (note 004)", "",
        (f"Run: {'quick' if res['quick'] else 'full'}, seed {res['seed']}, {run_time(timings)} on {res['device']}. "
        f"Width N = {cfg['width']}; table: {cfg['table_networks']} networks × {cfg['table_inputs']} inputs per row "
        "(one standard draw per network and weight kind, rescaled to each φ's critical point, so rows share their "
        "draws; ± is the standard error over networks), "
        f"q* = {cfg['q_star']} for hard tanh and erf (σ_w, σ_b from χ = 1), q* = 1 for linear and ReLU."), "",
        "## Table 1: mean and variance of the JJᵀ eigenvalues at criticality", "",
        "| φ | W | L | N | measured mean ± SE | χ^L | rel. err. | measured variance ± SE | predicted | rel. err. |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["table"]:
        em = abs(r["mean"] / r["predicted_mean"] - 1)
        ev = (f"{abs(r['variance'] / r['predicted_variance'] - 1):.1%}" if r["predicted_variance"] > 0
              else "— (isometry)")
        lines.append(f"| {r['activation']} | {r['weights']} | {r['L']} | {r['N']} | "
                     f"{r['mean']:.4f} ± {r['mean_se']:.4f} | "
                     f"{r['predicted_mean']:.4f} | {em:.1%} | {r['variance']:.4f} ± {r['variance_se']:.4f} | "
                     f"{r['predicted_variance']:.4f} | {ev} |")
    targets = [r for r in res["table"] if r["L"] <= 32 and (r["activation"], r["weights"]) in
               (("relu", "gaussian"), ("relu", "orthogonal"), ("linear", "gaussian"))]
    ok_mean = all(abs(r["mean"] / r["predicted_mean"] - 1) <= 0.05 for r in targets)
    ok_var = all(abs(r["variance"] / r["predicted_variance"] - 1) <= 0.15 for r in targets)
    lines += [
        "", (f"Targets (ReLU both kinds and linear Gaussian, L ≤ 32, N = {cfg['width']}): mean within 5% of χ^L: "
        f"**{'met' if ok_mean else 'not met'}**; variance within 15%: **{'met' if ok_var else 'not met'}**."), "",
        "## The note's claims", "", "| note's claim | our measurement |", "|---|---|",
    ]
    line = res["phase_diagram"]["critical_line"]
    lines.append(f"| tanh has an order–chaos transition along χ = 1 in (σ_w, σ_b) | traced by brentq: σ_b = "
                 f"{line[0]['sigma_b']:.2f} → σ_w = {line[0]['sigma_w']:.3f} (q* = {line[0]['q_star']:.3f}); σ_b = "
                 f"{line[-1]['sigma_b']:.2f} → σ_w = {line[-1]['sigma_w']:.3f} (q* = {line[-1]['q_star']:.3f}); fig1 |")
    for d in res["density_checks"]:
        lines.append(f"| the master equation S_JJᵀ = S_D²^L S_WᵀW^L gives the spectrum "
                     f"({d['activation']}, {d['weights']}, L = {d['L']}) | density + atoms: mean {d['mean']:.4f} "
                     f"(χ^L = {d['predicted_mean']:.4f}), variance "
                     f"{d['variance']:.4f} (predicted {d['predicted_variance']:.4f}) |")
    lines += [
        ("| linear Gaussian and ReLU spectra spread with depth; erf and hard tanh stay better conditioned | fig2; "
        "variances in the table grow like L(μ₂/μ₁² - 1 - s₁) |"),
        "| for ReLU the distribution of φ'(h) does not depend on q* | fig3: φ' ∈ {0, 1} with P = 1/2 at every q* |", "",
        "## Where finite width shows", "",
        ("The free-probability prediction is an N → ∞ statement at fixed L; at fixed N the corrections grow with L/N. "
        "For ReLU with σ_b = 0 the mean is exact in expectation at any width, for both weight kinds: a layer's gain "
        "‖D W v‖²/‖v‖² has conditional mean 1 given the past (Gaussian W: W v is Gaussian; Haar W: W x̂ is uniform on "
        "the sphere and W maps x̂⊥ onto its complement at random), so a ReLU mean off χ^L is sampling error. Each "
        "network's mean carries a random scale whose log has variance of order L/N, so the spread over networks grows "
        "with depth. For erf and hard tanh with Gaussian weights q^ℓ also wanders around q* (‖W x‖² fluctuates by "
        "O(N^-1/2) a layer, where orthogonal W keeps it), and χ(q^ℓ) is biased at second order, so their means drift "
        "by O(L/N): the erf-Gaussian rows at L = 32 above. The variance is a fourth moment of J and its finite-width "
        "correction is an upward bias growing with L/N. Width scan at "
        f"L = {cfg['scan_depth']} ({cfg['scan_networks']} networks per width; "
        f"the last row of each kind is the table's, with {cfg['table_networks']} networks), fig5:"), "",
        "| W | N | L/N | networks | measured mean ± SE | χ^L | measured variance ± SE | predicted | variance excess |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for weights in ("gaussian", "orthogonal"):
        for r in scan_rows(res, weights):
            lines.append(f"| {weights} | {r['N']} | {r['L'] / r['N']:.3f} | {r['networks']} | {r['mean']:.4f} ± "
                         f"{r['mean_se']:.4f} | {r['predicted_mean']:.4f} | "
                         f"{r['variance']:.2f} ± {r['variance_se']:.2f} | "
                         f"{r['predicted_variance']:.2f} | {r['variance'] / r['predicted_variance'] - 1:+.1%} |")
    lines += [
        "", (f"Moments of the spectra of fig2 ({cfg['width']} wide, one network, two inputs each, so noisy), up to the "
             "deepest L:"), "",
        "| φ | W | L | measured mean | χ^L | measured variance | predicted | variance ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in res["spectra_moments"]:
        ratio = r["variance"] / r["predicted_variance"] if r["predicted_variance"] > 0 else float("nan")
        lines.append(f"| {r['activation']} | {r['weights']} | {r['L']} | {r['mean']:.4f} | {r['predicted_mean']:.4f} | "
                     f"{r['variance']:.4g} | {r['predicted_variance']:.4g} | {ratio:.3f} |")
    lines += [
        "",
        "## Beyond the note: S_n-equivariant layers", "",
        (f"invariant derives {res['equivariant']['classes']} weight classes for the S_n-equivariant linear layer, i.e. "
        "W = αI + β11ᵀ. Such W commute with the projector onto 1, so J = Π D^ℓ W^ℓ splits whenever D^ℓ is scalar "
        "(a symmetric input, or a linear network): singular value Π|d_ℓ α_ℓ| on 1⊥ (n - 1 times) and "
        "Π|d_ℓ(α_ℓ + nβ_ℓ)| on 1. The mean squared singular values per layer are χ_⊥ = E[α²] and "
        "χ_1 = E[(α + nβ)²] (times E d²), so "
        "criticality needs both equal to 1; the isometric choices are α = ±1 with β = 0 or β = -2α/n "
        "(the Householder reflection I - (2/n)11ᵀ)."), "",
        "| init | φ | σ on 1⊥ | σ on 1 | χ_⊥ | χ_1 | max |measured - derived| / largest σ |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["equivariant"]["rows"]:
        lines.append(f"| {r['init']} | {r['activation']} | {r['sigma_perp']:.3e} | {r['sigma_ones']:.3e} | "
                     f"{r['chi_perp']:.3f} | {r['chi_ones']:.3f} | {r['max_relative_error']:.1e} |")
    lines += ["", "Figures: " + ", ".join(res["figures"]) + "."]
    return "\n".join(lines) + "\n"


def grid_fits(diagram: dict) -> bool:
    """q* and χ of the phase diagram have one row per σ_b and one column per σ_w."""
    rows, columns = len(diagram["sigma_b"]), len(diagram["sigma_w"])
    return all(len(grid) == rows and all(len(row) == columns for row in grid)
               for grid in (diagram["q_star"], diagram["chi"]))


def nonempty(shape, what: str) -> Check:
    return Check(shape, lambda value: len(value) > 0, f"a non-empty list of {what}")


# What --replot reads from results.json (load_run checks it; the script writes more). Measured
# means are divided by their prediction, and so are the variances of the target rows and of
# fig5 (ReLU, linear Gaussian); fig5 needs ReLU rows of both kinds at the scan depth.
VARIANCE_DIVIDED = (("relu", "gaussian"), ("relu", "orthogonal"), ("linear", "gaussian"))
MOMENTS = {"activation": str, "weights": str, "L": Check(int, lambda L: L >= 1, "a positive depth"), "mean": float,
           "variance": float, "predicted_mean": float, "predicted_variance": float}
ROW = Check({**MOMENTS, "N": Check(int, lambda n: n >= 1, "a positive width"), "mean_se": float, "variance_se": float,
             "networks": int, "predicted_mean": Check(float, lambda m: m != 0, "a non-zero prediction"),
             "extra": Optional(bool)},
            lambda r: (r["activation"], r["weights"]) not in VARIANCE_DIVIDED or r["predicted_variance"] != 0,
            "a row with a non-zero variance prediction (ReLU, linear Gaussian)")
RESULTS = Check({
    "config": {"width": int, "table_networks": int, "table_inputs": int, "q_star": float, "scan_depth": int,
               "scan_networks": int, "phi_prime_q": Check([float], lambda qs: len(qs) <= 10 and min(qs, default=1) > 0,
                                                          "at most 10 positive numbers")},
    "quick": bool, "seed": int, "device": str,
    "phase_diagram": Check({"sigma_w": Check([float], lambda ws: len(ws) >= 2, "a list of at least 2 σ_w"),
                            "sigma_b": Check([float], lambda bs: len(bs) >= 2, "a list of at least 2 σ_b"),
                            "q_star": [[float]], "chi": [[float]],
                            "critical_line": nonempty([{"sigma_b": float, "sigma_w": float, "q_star": float}],
                                                      "points")},
                           grid_fits, "a phase diagram with one row of q* and of χ per σ_b, one column per σ_w"),
    "table": [ROW], "width_scan": [ROW], "density_checks": [MOMENTS], "spectra_moments": [MOMENTS],
    "equivariant": {"classes": int, "rows": nonempty([{
        "init": str, "activation": str, "n": int, "L": int,
        **{key: float for key in ("sigma_perp", "sigma_ones", "chi_perp", "chi_ones", "max_relative_error")},
    }], "rows")},
    "figures": [str],
}, lambda res: all(scan_rows(res, weights) for weights in ("gaussian", "orthogonal")),
    "a run with ReLU rows of both weight kinds at the scan depth")
TIMINGS = {"seconds": float, "threads": Nullable(int)}


def replot(directory: Path) -> int:
    """--replot: the figures that results.json determines, and report.md, drawn again into ``directory``."""
    res, timings = load_run(directory, "jacobian.py", RESULTS, TIMINGS)
    for draw in FROM_RESULTS:
        draw(directory, res)
    write_atomic(directory / "report.md", report(res, timings))
    print(f"redrew {directory / 'report.md'} and {len(FROM_RESULTS)} figures from {directory / 'results.json'} "
          f"(fig2_spectra.png kept: it needs the eigenvalues, which results.json does not keep)")
    return 0


def main(argv=None) -> int:
    parser = experiment_parser("jacobian", __doc__, "N = 200, depths up to 32 (under 3 minutes on CPU)",
                               replot="redraw fig1, fig3, fig4, fig5 and report.md of an existing run from "
                                      "DIR/results.json and DIR/timings.json, without computing; results.json and fig2 "
                                      "(which needs the eigenvalues themselves) are left as they are; the run options "
                                      "are ignored")
    parser.add_argument("--width", type=int, default=None, help="width N (default: 1000, quick 200)")
    parser.add_argument("--depth", type=int, default=None, help="largest depth of the spectra (default: 128, quick 32)")
    parser.add_argument("--q-star", type=float, default=0.5, help="q* for hard tanh and erf (default: %(default)s)")
    parser.add_argument("--activation", default=None,
                        help=f"extra table rows at a point of your choice: one of {', '.join(J.ACTIVATIONS)} "
                             "(default: none)")
    parser.add_argument("--sigma-w", type=float, default=None, help="σ_w of the extra rows (default: critical)")
    parser.add_argument("--sigma-b", type=float, default=None, help="σ_b of the extra rows (default: critical)")
    return experiment_main(parser, run, argv)


def run(args) -> int:
    if args.replot is not None:
        return replot(Path(args.replot))
    width = args.width if args.width is not None else (200 if args.quick else 1000)
    top = args.depth if args.depth is not None else (32 if args.quick else 128)
    if width < 2:
        raise InvariantError(f"--width must be at least 2, got {width}")
    if top < 1:
        raise InvariantError(f"--depth must be at least 1, got {top}")
    if not (args.q_star > 0 and math.isfinite(args.q_star)):
        raise InvariantError(f"--q-star must be positive, got {args.q_star}")
    for act in ("hard_tanh", "erf"):
        J.critical_point(act, args.q_star)
    extra = None
    if args.activation is not None or args.sigma_w is not None or args.sigma_b is not None:
        act = J.activation(args.activation or "tanh").name
        if act == "tanh" or args.sigma_w is not None or args.sigma_b is not None:
            sw, sb = (args.sigma_w or 1.0, args.sigma_b or 0.0) if act == "tanh" else critical(act, args.q_star)[:2]
            sw = args.sigma_w if args.sigma_w is not None else sw
            sb = args.sigma_b if args.sigma_b is not None else sb
        else:
            sw, sb = critical(act, args.q_star)[:2]
        q = J.fixed_point(act, sw, sb)  # validates σ_w, σ_b and that the length map converges
        extra = (act, sw, sb, q)
    device, out, threads = start_run(args)
    gen = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    spectrum_depths = [L for L in (2, 8, 32, 128) if top >= L] or [top]
    table_depths = [L for L in (2, 8, 32) if top >= L] or [top]
    networks, inputs = (6, 1) if args.quick else (96, 1)
    scan_widths, scan_networks = ((25, 50), 40) if args.quick else ((50, 100, 200, 400), 400)
    scan_widths = tuple(n for n in scan_widths if n < width)
    res = {"quick": args.quick, "seed": args.seed, "device": device,
           "config": {"width": width, "spectrum_depths": spectrum_depths, "table_depths": table_depths,
                      "table_networks": networks, "table_inputs": inputs, "q_star": args.q_star,
                      "scan_widths": list(scan_widths), "scan_depth": max(table_depths), "scan_networks": scan_networks,
                      "phi_prime_q": [0.1, 0.5, 1.0, 4.0]}}
    res["phase_diagram"] = phase_diagram((24, 16) if args.quick else (48, 32))
    table, spectra, densities, checks, deep = [], {}, {}, [], []
    for (act, weights), (sw, sb, q, per) in measure_table(width, table_depths, args.q_star, networks, inputs, gen,
                                                          device).items():
        table += table_rows(act, weights, width, sw, sb, q, per)
    for act, weights in progress(SPECTRA, desc="spectra"):
        q0 = args.q_star if act in ("hard_tanh", "erf") else 1.0
        sw, sb, q, per = measure(act, weights, width, spectrum_depths, q0, 1, 2, gen, device, keep_spectra=True)
        spectra[(act, weights)] = {L: per[L]["eigenvalues"] for L in spectrum_depths}
        for L in spectrum_depths:
            lam = np.geomspace(1e-12, 1e5, 300 if act == "erf" else 1500)
            rho = J.spectral_density(act, weights, sw, q, L, lam, eta=1e-12)
            densities[(act, weights, L)] = (lam, rho)
            atoms = J.spectral_atoms(act, weights, sw, q, L)
            _, m1, m2 = J.density_moments(act, weights, sw, q, L)
            pm, pv = J.predicted_moments(act, weights, sw, q, L)
            measured = [(float(ev.mean()), float(ev.var())) for ev in spectra[(act, weights)][L]]
            deep.append({"activation": act, "weights": weights, "L": L, "N": width,
                         "mean": float(np.mean([m for m, _ in measured])),
                         "variance": float(np.mean([v for _, v in measured])),
                         "predicted_mean": pm, "predicted_variance": pv, "draws": len(measured)})
            checks.append({"activation": act, "weights": weights, "L": L, "mean": m1, "variance": m2 - m1**2,
                           "predicted_mean": pm, "predicted_variance": pv, "atoms": atoms})
    if extra is not None:
        act, sw, sb, q = extra
        for weights in ("gaussian", "orthogonal"):
            per = measure_at(act, weights, width, table_depths, sw, sb, q, networks, inputs, gen, device)
            table += [dict(row, extra=True) for row in table_rows(act, weights, width, sw, sb, q, per)]
    res["table"] = table
    res["width_scan"] = width_scan(scan_widths, max(table_depths), scan_networks, gen, device)
    res["density_checks"] = checks
    res["spectra_moments"] = deep
    res["spectra_summary"] = [{"activation": a, "weights": w, "L": L,
                               "median_singular_value": float(np.median(np.sqrt(np.concatenate(spectra[(a, w)][L])))),
                               "max_singular_value": float(np.sqrt(np.concatenate(spectra[(a, w)][L]).max()))}
                              for a, w in SPECTRA for L in spectrum_depths]
    res["equivariant"] = equivariant_section(8, 16, gen)
    timings = {"seconds": time.perf_counter() - start, "threads": threads}
    res["figures"] = figures(out, res, spectra, densities)
    write_atomic(out / "report.md", report(res, timings))
    write_atomic(out / "results.json", json.dumps(res, indent=1))
    write_atomic(out / "timings.json", json.dumps(timings, indent=1))
    print(f"wrote {out / 'results.json'}, {out / 'timings.json'}, {out / 'report.md'} "
          f"and {len(res['figures'])} figures in {timings['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
