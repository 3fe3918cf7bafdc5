"""Symmetry and initialization (source note 003): learning symmetric Boolean functions.

A one-hidden-layer ReLU network (width 4n + 3) is trained by SGD with batch size 1 on the
hinge loss max{0, β - f(x) N(x)}, β = n³h, from the note's symmetric initialization or from
a random one (see :mod:`invariant.notes.parity`). Train error is measured on the sample, true error
on 10^4 fresh uniform points of {0,1}^n. float64 throughout. Each configuration runs for
several seeds (each seed draws its own target, sample, test set and initialization).

Figures (the note's numbering; the note gives no axis ranges, we run until the SGD reaches a
fixed point or a budget of SGD steps):
  fig2  symmetric init, hidden layer frozen vs trained, h = n^-6, sample n, n = 20 and 30
  fig3  three step sizes h = n^-6, n^-3, n^-1 (n = 30, sample n)
  fig4  β = 0 vs β = n³h (n = 30, sample n)
  fig5  parity, random vs symmetric init, samples n and 10n (n = 20; symmetric also n = 30, 10n)
  fig6  the same for a random symmetric function
  fig7  labels flipped with probability 0.1 (n = 30, sample 10n)
  fig8  inputs shifted by ε ~ U[-0.1, 0.1]^n (n = 30, sample 10n)
  fig9  the compiler's version: the hidden layer is the S_n-invariant linear layer derived by
        invariant (unit k computes ReLU(θ_k |x| + c_k)), from its own random initialization

    python examples/parity.py [--quick] [--seed 0] [--device auto] [--threads N] --out DIR
    python examples/parity.py --n 12 --target parity --init random --sample-size 120 --out DIR
    python examples/parity.py --replot DIR

Giving any of --n, --target, --init, --sample-size or --step-size runs that one configuration
(both hidden-layer modes) instead of the figures. DIR/results.json depends only on the seed and
the options (byte for byte); wall-clock times go to DIR/timings.json. --replot DIR redraws the
figures and report.md of an existing run from DIR/results.json and DIR/timings.json, without
training, and leaves results.json as it is.
"""

from __future__ import annotations

import os

# Before numpy and torch load their OpenMP runtime: idle OpenMP threads sleep instead of spinning.
# On a busy machine spinning threads made two-thread runs up to 60x slower than one thread.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

import invariant.notes.parity as P
from invariant.errors import InvariantError
from invariant.files import write_atomic
from invariant.notes.runtime import (
    Check,
    Nullable,
    OneOf,
    experiment_main,
    experiment_parser,
    load_run,
    plural,
    progress,
    save_figure,
    start_run,
)

RANDOM_STEP = 0.01  # step size for random initializations (a common SGD default, not tuned)


@dataclass(frozen=True)
class Config:
    name: str
    figure: str
    n: int
    target: str
    init: str
    sample_size: int
    step_size: float
    beta: float
    hidden: str = "trained"  # trained, frozen or tied
    noise: str = "none"  # none, labels (p = 0.1) or inputs (ε ~ U[-0.1, 0.1]^n)


def config(figure, n, target, init, m, h=None, beta=None, hidden="trained", noise="none", label=None):
    h = (n**-6.0 if init == "symmetric" else RANDOM_STEP) if h is None else h
    beta = n**3 * h if beta is None else beta
    name = label or f"{figure}: n={n} {target} {init} m={m} h={h:.3g} {hidden}"
    return Config(name, figure, n, target, init, m, h, beta, hidden, noise)


def plan(quick: bool) -> list[Config]:
    small, big = (8, 10) if quick else (20, 30)
    runs = []
    for n in (small, big):
        for target in ("parity", "random"):
            for hidden in ("frozen", "trained"):
                runs.append(config("fig2", n, target, "symmetric", n, hidden=hidden))
    for h in (big**-6.0, big**-3.0, big**-1.0):
        runs.append(config("fig3", big, "random", "symmetric", big, h=h))
    for beta in (0.0, None):
        runs.append(config("fig4", big, "random", "symmetric", big, beta=beta,
                           label=f"fig4: n={big} random symmetric m={big} beta={'0' if beta == 0 else 'n^3 h'}"))
    for fig, target in (("fig5", "parity"), ("fig6", "random")):
        for init in ("random", "symmetric"):
            for m in (small, 10 * small):
                runs.append(config(fig, small, target, init, m))
        runs.append(config(fig, big, target, "symmetric", 10 * big))  # the larger n with a sample that covers it
    if not quick:  # random initialization is not held to one step size
        for h in (1e-3, 1e-1):
            runs.append(config("fig5", small, "parity", "random", 10 * small, h=h))
    for fig, noise in (("fig7", "labels"), ("fig8", "inputs")):
        runs.append(config(fig, big, "random", "symmetric", 10 * big, noise=noise))
    for target in ("parity", "random"):
        for m in (small, 10 * small):
            runs.append(config("fig9", small, target, "random", m, hidden="tied"))
        runs.append(config("fig9", small, target, "symmetric", 10 * small, hidden="tied"))
    return runs


def record_epochs(epochs: int) -> list[int]:
    """Every epoch up to 10, then about 12 per decade."""
    marks = {round(10 ** (k / 12)) for k in range(0, 12 * (int(math.log10(max(epochs, 1))) + 2))}
    return sorted(e for e in marks if e <= epochs) + [epochs]


def tied_layer(n: int, width: int):
    """The S_n-invariant hidden layer from invariant: its expansion E and a factory of random θ."""
    import invariant

    spec = invariant.LayerSpec.build(layer="linear", n=n, group="symmetric", output="trivial", outputs=width,
                                      with_bias=True)
    sol = invariant.derive(spec)
    module_class = invariant.compile(spec)

    def thetas(seeds):
        rows = []
        for s in seeds:
            torch.manual_seed(s)
            rows.append(module_class(dtype=torch.float64).theta.detach())
        return torch.stack(rows)

    return P.tie_from_expansion(sol.expansion()), thetas


def seed_of(*parts) -> int:
    """A 63-bit seed from the sha256 of the parts' canonical string."""
    return int(hashlib.sha256(repr(parts).encode()).hexdigest()[:15], 16)


def budget(m: int, max_steps: int, min_epochs: int) -> int:
    """Epochs of a run on a sample of size m: max_steps / m, but at least min_epochs (and 1)."""
    return max(1, max_steps // m, min_epochs)


def unseen_mass(x: torch.Tensor, x_test: torch.Tensor) -> tuple[float, float]:
    """Hamming weights absent from the sample x: their uniform mass Σ C(n, w) / 2^n and their share of x_test."""
    n = x.shape[-1]
    seen = set(x.round().sum(-1).long().tolist())
    test = x_test.round().sum(-1).long()
    share = float(sum(int((test == w).sum()) for w in range(n + 1) if w not in seen)) / test.numel()
    return sum(math.comb(n, w) for w in range(n + 1) if w not in seen) / 2**n, share


def simulate(group: list[Config], seeds: list[int], base_seed: int, device: str, epochs: int, test_size: int,
             backend: str, bar) -> list[dict]:
    """Train every (config, seed) of a group sharing n, sample size and tying, as one batch of runs."""
    n, m, tied = group[0].n, group[0].sample_size, group[0].hidden == "tied"
    width = 4 * n + 3
    cells = [(c, s) for c in group for s in seeds]
    xs, ys, xts, yts, init_gens, init_seeds, unseen = [], [], [], [], [], [], []
    for c, s in cells:
        # Configurations that differ only in init, hidden mode, h or β share target and data.
        gen = torch.Generator().manual_seed(seed_of(base_seed, s, n, m, c.target, c.noise))
        table = P.target_table(c.target, n, gen)
        x = P.sample_cube((m,), n, gen)
        xt = P.sample_cube((test_size,), n, gen)
        y, yt = P.labels(table, x), P.labels(table, xt)
        if c.noise == "labels":
            y = torch.where(torch.rand(m, generator=gen, dtype=torch.float64) < 0.1, -y, y)
        elif c.noise == "inputs":
            x = x + (torch.rand(m, n, generator=gen, dtype=torch.float64) * 0.2 - 0.1)
            xt = xt + (torch.rand(test_size, n, generator=gen, dtype=torch.float64) * 0.2 - 0.1)
        unseen.append(unseen_mass(x, xt))
        xs.append(x)
        ys.append(y)
        xts.append(xt)
        yts.append(yt)
        init_seeds.append(seed_of(base_seed, s, n, m, c.target, c.noise, "init"))
        init_gens.append(torch.Generator().manual_seed(init_seeds[-1]))
    inits = [c.init for c, _ in cells]
    if tied:
        tie, thetas = tied_layer(n, width)
        runs = P.init_runs(n, width, inits, init_gens, device, tie=tie, thetas=thetas(init_seeds))
    else:
        runs = P.init_runs(n, width, inits, init_gens, device)
    gen = torch.Generator().manual_seed(seed_of(base_seed, n, m, tied, "orders"))

    def column(values):
        return torch.tensor(values, dtype=torch.float64, device=device)

    curve = P.train(runs, torch.stack(xs).to(device), torch.stack(ys).to(device), torch.stack(xts).to(device),
                    torch.stack(yts).to(device), epochs, column([c.step_size for c, _ in cells]),
                    column([c.beta for c, _ in cells]),
                    torch.tensor([c.hidden == "frozen" for c, _ in cells], device=device),
                    gen, record_epochs(epochs), backend, progress=lambda k: bar.update(k * len(cells)))
    results = []
    for i, c in enumerate(group):
        cols = [i * len(seeds) + j for j in range(len(seeds))]
        train_final = [curve[-1]["train_error"][k] for k in cols]
        true_final = [curve[-1]["true_error"][k] for k in cols]
        converged = [next((p["epoch"] for p in curve[1:] if p["updates"][k] == 0), None) for k in cols]
        results.append({**asdict(c), "width": width, "seeds": seeds, "epochs": epochs,
                        "final_train_error": float(np.mean(train_final)),
                        "final_true_error": float(np.mean(true_final)),
                        "final_train_error_std": float(np.std(train_final)),
                        "final_true_error_std": float(np.std(true_final)),
                        "final_train_error_seeds": train_final, "final_true_error_seeds": true_final,
                        "fixed_point_epoch_seeds": converged, "unseen_mass_seeds": [unseen[k][0] for k in cols],
                        "unseen_test_share_seeds": [unseen[k][1] for k in cols],
                        "curve": [{"epoch": p["epoch"],
                                   "train_error": float(np.mean([p["train_error"][k] for k in cols])),
                                   "true_error": float(np.mean([p["true_error"][k] for k in cols])),
                                   "train_error_seeds": [p["train_error"][k] for k in cols],
                                   "true_error_seeds": [p["true_error"][k] for k in cols]} for p in curve]})
    return results


def figures(out, runs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = {"fig2": "Fig. 2: symmetric init, frozen vs trained hidden layer",
              "fig3": "Fig. 3: step sizes (random symmetric function)",
              "fig4": "Fig. 4: β = 0 vs β = n³h", "fig5": "Fig. 5: parity, random vs symmetric init",
              "fig6": "Fig. 6: random symmetric function, random vs symmetric init",
              "fig7": "Fig. 7: labels flipped with p = 0.1 (sample 10n)",
              "fig8": "Fig. 8: inputs shifted by ε ~ U[-0.1, 0.1]^n (sample 10n)",
              "fig9": "Fig. 9: hidden layer tied by invariant (S_n-invariant)",
              "custom": "custom configuration"}
    names = []
    for fig in sorted({r["figure"] for r in runs}):
        rows = [r for r in runs if r["figure"] == fig]
        fig_, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
        for r in rows:
            e = np.array([max(p["epoch"], 0.8) for p in r["curve"]])
            for ax, key in zip(axes, ("train_error", "true_error")):
                seeds = np.array([p[f"{key}_seeds"] for p in r["curve"]])
                line = ax.semilogx(e, seeds.mean(1), label=r["name"].split(": ", 1)[1])[0]
                ax.fill_between(e, seeds.min(1), seeds.max(1), color=line.get_color(), alpha=0.15)
        for ax, key in zip(axes, ("train error", "true error (10^4 fresh points)")):
            ax.set_xlabel("epoch (0 plotted at 0.8)")
            ax.set_title(key)
            ax.axhline(0.5, color="gray", lw=0.6, ls=":")
        axes[0].set_ylabel(f"error (mean over {len(rows[0]['seeds'])} seeds, band: min-max)")
        axes[1].legend(fontsize=7)
        fig_.suptitle(titles.get(fig, fig))
        fig_.tight_layout()
        name = f"{fig}.png"
        save_figure(fig_, out / name, dpi=100)
        names.append(name)
    return names


CLAIMS = {"fig2": "symmetric init reaches zero training error and small true error; frozen ≈ trained",
          "fig3": "larger steps fit faster but generalize worse", "fig4": "β = 0 works as well as β = n³h",
          "fig5": "parity: random init fails (true error ≈ 1/2), symmetric init succeeds",
          "fig6": "random symmetric function: the same", "fig7": "robust to 10% label noise",
          "fig8": "robust to input shifts", "fig9": "(ours, no claim in the note) does tying alone make parity "
          "learnable from a random start?", "custom": "(custom configuration, no claim)"}

CRITERIA = ("fig2: zero training error in every run and |true error frozen - trained| ≤ 0.02 per (n, target); "
            "fig3: the fixed point comes no later and the true error is higher for the largest h than for the "
            "smallest; fig4: true errors within 0.02; fig5, fig6: random init true error ≥ 0.4 and symmetric init "
            "with sample 10n true error ≤ 0.05; fig7, fig8: true error ≤ 0.05 (against the clean target). "
            "Errors are means over seeds.")

SLACK = 0.02  # "as well as", "frozen ≈ trained": true errors this close


def agreement(figure: str, rows: list[dict]) -> str:
    """The note's claim for ``figure`` against its rows, by the criteria in :data:`CRITERIA`."""
    true = {r["name"]: r["final_true_error"] for r in rows}
    if figure == "fig2":
        pairs = {}
        for r in rows:
            pairs.setdefault((r["n"], r["target"]), {})[r["hidden"]] = r["final_true_error"]
        ok = (all(r["final_train_error"] == 0 for r in rows)
              and all(abs(p["frozen"] - p["trained"]) <= SLACK
                      for p in pairs.values() if {"frozen", "trained"} <= set(p)))
    elif figure == "fig3":
        by_h = sorted(rows, key=lambda r: r["step_size"])
        def fixed(r):
            epochs = [e if e is not None else math.inf for e in r["fixed_point_epoch_seeds"]]
            return float(np.median(epochs))
        faster = fixed(by_h[-1]) <= fixed(by_h[0])
        worse = by_h[-1]["final_true_error"] > by_h[0]["final_true_error"]
        return "agrees" if faster and worse else ("partly (fits faster only)" if faster else
                                                 "partly (generalizes worse only)" if worse else "differs")
    elif figure == "fig4":
        ok = max(true.values()) - min(true.values()) <= SLACK
    elif figure in ("fig5", "fig6"):
        random = [r for r in rows if r["init"] == "random"]
        symmetric = [r for r in rows if r["init"] == "symmetric" and r["sample_size"] == 10 * r["n"]]
        ok = all(r["final_true_error"] >= 0.4 for r in random) and all(r["final_true_error"] <= 0.05 for r in symmetric)
    elif figure in ("fig7", "fig8"):
        ok = all(v <= 0.05 for v in true.values())
    else:
        return "— (no claim)"
    return "agrees" if ok else "differs"


def run_time(timings) -> str:
    """``3841 s with 1 thread``; threads is null in the timings of runs from before it was recorded."""
    threads = timings["threads"]
    return f"{timings['seconds']:.0f} s with " + (plural(threads, "thread") if threads is not None
                                                 else "an unrecorded number of threads")


def report(res, timings) -> str:
    runs = res["runs"]
    cfg = res["config"]

    def pick(**kw):
        return [r for r in runs if all(r[k] == v for k, v in kw.items())]

    def fmt(r):
        return (f"train {r['final_train_error']:.3f} ± {r['final_train_error_std']:.3f}, "
                f"true {r['final_true_error']:.3f} ± {r['final_true_error_std']:.3f}")

    if res["run"] == "custom":
        c = runs[0]
        what = (f"custom configuration (n = {c['n']}, target {c['target']}, {c['init']} init, "
                f"sample {c['sample_size']}, h = {c['step_size']:.3g}, β = {c['beta']:.3g}; "
                "frozen and trained hidden layer)")
    else:
        what = res["run"]
    lines = [
        "# Parity and symmetric initialization (note 003)", "",
        f"Run: {what}, seed {res['seed']}, seeds per configuration {cfg['seeds']}, budget {cfg['max_steps']:,} SGD "
        f"steps per run but at least {cfg['min_epochs']:,} epochs, true error on {cfg['test_size']:,} fresh points, "
        f"{run_time(timings)} on {res['device']} ({res['backend']} backend). "
        f"Width 4n + 3, β = n³h, h = n^-6 for the symmetric initialization and h = {RANDOM_STEP} for random ones "
        "unless given. Errors are mean ± standard deviation over seeds at the end of the run; 'fixed point' is the "
        "epoch after which the SGD makes no more updates.", "",
    ]
    figures_run = sorted({r["figure"] for r in runs}, key=lambda f: list(CLAIMS).index(f))
    if res["run"] != "custom":
        lines += ["| figure | note's claim | measured (train / true error) | agreement |", "|---|---|---|---|"]
        for fig in figures_run:
            rows = [r for r in runs if r["figure"] == fig]
            measured = "; ".join(f"{r['name'].split(': ', 1)[1]}: {r['final_train_error']:.3f} / "
                                 f"{r['final_true_error']:.3f}" for r in rows)
            lines.append(f"| {fig} | {CLAIMS[fig]} | {measured} | {agreement(fig, rows)} |")
        lines += ["", f"Agreement criteria: {CRITERIA}", ""]
    lines += ["| configuration | train error | true error | fixed point |", "|---|---|---|---|"]
    for r in runs:
        fixed = [e for e in r["fixed_point_epoch_seeds"] if e is not None]
        fp = f"{len(fixed)}/{len(r['seeds'])} seeds" + (f" (median epoch {int(np.median(fixed))})" if fixed else "")
        lines.append(f"| {r['name']} | {r['final_train_error']:.3f} ± {r['final_train_error_std']:.3f} | "
                     f"{r['final_true_error']:.3f} ± {r['final_true_error_std']:.3f} | {fp} |")
    lines += ["", "## Reading the measurements", ""]
    sym = [r for r in runs if r["init"] == "symmetric" and r["noise"] == "none" and r["hidden"] != "tied"
           and r["step_size"] == r["n"] ** -6.0 and r["beta"] > 0]
    for label, rows in (("sample n", [r for r in sym if r["sample_size"] == r["n"]]),
                        ("sample 10n", [r for r in sym if r["sample_size"] == 10 * r["n"]])):
        if not rows:
            continue
        ok = [r for r in rows if r["final_train_error"] == 0 and r["final_true_error"] < 0.05]
        lines.append(f"- Symmetric initialization, h = n^-6, {label}: {len(ok)} of {len(rows)} configurations "
                     "reach zero training error with true error below 5% (mean over seeds).")
        for r in rows:
            lines.append(f"  - {'met' if r in ok else 'not met'}: {r['name']}: {fmt(r)}; "
                         "mass of Hamming weights absent from the sample "
                         f"{np.mean(r['unseen_mass_seeds']):.3f} (seeds: "
                         + ", ".join(f"{u:.3f}" for u in r["unseen_mass_seeds"]) + ").")
    frozen = [r for r in runs if r["hidden"] == "frozen" and r["noise"] == "none"]
    pairs = [(t, u) for r in frozen for t, u, e in zip(r["final_true_error_seeds"], r["unseen_test_share_seeds"],
                                                       r["final_train_error_seeds"]) if e == 0]
    if pairs:
        lines.append(f"- Frozen hidden layer at zero training error, the network is a function of |x| that is right on "
                     f"every weight in the sample, so its true error is at most the test points' share of unseen "
                     f"weights: {sum(t <= u for t, u in pairs)} of {len(pairs)} runs satisfy it "
                     "(true error / unseen share: "
                     + ", ".join(f"{t:.3f}/{u:.3f}" for t, u in pairs) + ").")
    for r in pick(init="random", target="parity", hidden="trained"):
        lines.append(f"- Random initialization: {r['name']}: {fmt(r)}.")
    if res["run"] != "custom":
        lines += [
            "- With a frozen hidden layer the output layer is exactly the modified perceptron on the n + 1 distinct "
            "embedded points; with h = n^-6 the hidden layer moves by O(h²) per update, so frozen and trained runs "
            "follow each other closely, as the note says.",
            "- A sample of size n leaves Hamming weights unseen; the symmetric network depends (almost) on |x| only, "
            "so it guesses them, and the true error is at most about the unseen mass (the guesses are partly right). "
            "The theorem asks for m ≥ c(n + log 1/δ)/ε with c > 1, i.e. more than 20n points for ε = 5%: a sample of "
            "n is below it, so errors above 5% at m = n do not contradict the theory; the 10n samples cover nearly "
            "all the mass.",
            "- The number of SGD epochs is large: the perceptron bound (2βh + R²h²)/(γh)² is O(n⁴) updates with a big "
            "constant (R² ≈ n³/3 for the ramp features), and parity, whose separator alternates on every weight, needs "
            "the most. The note gives no epoch counts; ours are in results.json (fixed_point_epoch_seeds).",
            "- The 3n extra hidden units of the 4n + 3 network continue the ladder b_i = -i + 2: they are inert on the "
            "clean cube (pre-activation ≤ -2 for i ≥ n + 4), so that network computes what the n + 3 network of the "
            "theory computes; with shifted inputs (fig8) the top units can fire.",
            "- Label noise: the training labels are flipped, the true error is measured against the clean target; "
            "identical Hamming weights with conflicting labels make zero training error impossible.",
            "- fig9 (tied): a tied hidden layer makes the network a function of |x| alone, so it generalizes to "
            "every Hamming weight present in the sample; whether it fits them from a random start is what the figure "
            "measures.",
        ]
    lines += ["", "Figures: " + ", ".join(res["figures"]) + "."]
    return "\n".join(lines) + "\n"


def curves_cover_the_seeds(run: dict) -> bool:
    """Every curve point has one train and one true error per seed of the run."""
    return all(len(p[key]) == len(run["seeds"])
               for p in run["curve"] for key in ("train_error_seeds", "true_error_seeds"))


# What --replot reads from results.json (load_run checks it; the script writes more).
RUN = Check({
    "name": Check(str, lambda name: ": " in name, 'a name "figure: configuration"'), "figure": OneOf(tuple(CLAIMS)),
    "n": Check(int, lambda n: n >= 1, "a positive integer"), "target": str, "init": str, "sample_size": int,
    "step_size": float, "beta": float, "hidden": OneOf(("frozen", "trained", "tied")), "noise": str,
    "seeds": Check([int], bool, "a non-empty list of seeds"), "fixed_point_epoch_seeds": [Nullable(int)],
    **{key: float for key in ("final_train_error", "final_true_error",
                              "final_train_error_std", "final_true_error_std")},
    **{key: [float] for key in ("final_train_error_seeds", "final_true_error_seeds", "unseen_mass_seeds",
                                "unseen_test_share_seeds")},
    "curve": Check([{"epoch": float, "train_error_seeds": [float], "true_error_seeds": [float]}], bool,
                   "a non-empty list of points"),
}, curves_cover_the_seeds, "a run whose curve points have one error per seed")
RESULTS = {"runs": Check([RUN], bool, "a non-empty list of runs"), "run": OneOf(("full", "quick", "custom")),
           "seed": int, "device": str, "backend": str,
           "config": {"seeds": int, "max_steps": int, "min_epochs": int, "test_size": int}, "figures": [str]}
TIMINGS = {"seconds": float, "threads": Nullable(int)}


def replot(directory: Path) -> int:
    """--replot: the figures and report.md of the run in ``directory`` drawn again from its JSON files."""
    res, timings = load_run(directory, "parity.py", RESULTS, TIMINGS)
    names = figures(directory, res["runs"])
    if names != res["figures"]:
        raise InvariantError(f"redrew {', '.join(names)} but {directory / 'results.json'} lists "
                             f"{', '.join(res['figures'])}")
    write_atomic(directory / "report.md", report(res, timings))
    print(f"redrew {directory / 'report.md'} and {plural(len(names), 'figure')} from {directory / 'results.json'}")
    return 0


def main(argv=None) -> int:
    parser = experiment_parser("parity", __doc__, "n = 8 and 10 instead of 20 and 30, 2 seeds (under 3 minutes)",
                               replot="redraw the figures and report.md of an existing run from DIR/results.json and "
                                      "DIR/timings.json, without training; results.json is left as it is and the run "
                                      "options are ignored", seed_help="master random seed")
    parser.add_argument("--backend", default="auto", choices=["auto", "cpp", "torch"],
                        help="SGD loop: C++ (CPU) or torch (any device) (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per configuration (default: 3, quick 2)")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="SGD steps per run before stopping (default: 2e7, quick 2e5)")
    parser.add_argument("--min-epochs", type=int, default=None,
                        help="epochs per run at least, whatever --max-steps gives (default: 4e5 for the figures, "
                             "0 for --quick and custom runs)")
    parser.add_argument("--n", type=int, default=None, help="custom run: input dimension")
    parser.add_argument("--target", default=None, help=f"custom run: one of {', '.join(P.TARGETS)} (default: parity)")
    parser.add_argument("--init", default=None, help=f"custom run: one of {', '.join(P.INITS)} (default: symmetric)")
    parser.add_argument("--sample-size", type=int, default=None, help="custom run: sample size (default: 10n)")
    parser.add_argument("--step-size", type=float, default=None,
                        help=f"custom run: SGD step h (default: n^-6 symmetric, {RANDOM_STEP} random)")
    return experiment_main(parser, run, argv)


def run(args) -> int:
    if args.replot is not None:
        return replot(Path(args.replot))
    custom = any(v is not None for v in (args.n, args.target, args.init, args.sample_size, args.step_size))
    if custom:
        n = 12 if args.n is None else args.n
        if n < 1:
            raise InvariantError(f"--n must be at least 1, got {n}")
        target, init = args.target or "parity", args.init or "symmetric"
        if target not in P.TARGETS:
            raise InvariantError(f"unknown target {target!r}; choose one of {', '.join(P.TARGETS)}")
        if init not in P.INITS:
            raise InvariantError(f"unknown init {init!r}; choose one of {', '.join(P.INITS)}")
        m = 10 * n if args.sample_size is None else args.sample_size
        if m < 1:
            raise InvariantError(f"--sample-size must be at least 1, got {m}")
        if args.step_size is not None and not (args.step_size > 0 and math.isfinite(args.step_size)):
            raise InvariantError(f"--step-size must be positive, got {args.step_size}")
        configs = [config("custom", n, target, init, m, h=args.step_size, hidden=hd) for hd in ("frozen", "trained")]
    else:
        configs = plan(args.quick)
    seeds = list(range(args.seeds if args.seeds is not None else (2 if args.quick else 3)))
    max_steps = args.max_steps if args.max_steps is not None else (200_000 if args.quick else 20_000_000)
    min_epochs = args.min_epochs if args.min_epochs is not None else (0 if args.quick or custom else 400_000)
    if not seeds or max_steps < 1 or min_epochs < 0:
        raise InvariantError("--seeds and --max-steps must be at least 1, --min-epochs at least 0")
    device, out, threads = start_run(args)
    backend = P.choose_backend(torch.device(device), args.backend)
    test_size = 10_000
    start = time.perf_counter()
    groups: dict[tuple, list[Config]] = {}
    for c in configs:
        groups.setdefault((c.n, c.sample_size, c.hidden == "tied"), []).append(c)
    total = sum(len(g) * len(seeds) * budget(key[1], max_steps, min_epochs) for key, g in groups.items())
    runs = []
    with progress(total=total, desc="epochs (runs x epochs)") as bar:
        for key in sorted(groups):
            runs += simulate(groups[key], seeds, args.seed, device, budget(key[1], max_steps, min_epochs), test_size,
                             backend, bar)
    order = {c.name: i for i, c in enumerate(configs)}
    runs.sort(key=lambda r: order[r["name"]])
    results = {"run": "custom" if custom else ("quick" if args.quick else "full"), "quick": args.quick,
               "seed": args.seed, "device": device, "backend": backend,
               "config": {"seeds": len(seeds), "max_steps": max_steps, "min_epochs": min_epochs, "test_size": test_size,
                          "random_step_size": RANDOM_STEP}, "runs": runs}
    timings = {"seconds": time.perf_counter() - start, "threads": threads}
    results["figures"] = figures(out, runs)
    write_atomic(out / "report.md", report(results, timings))
    write_atomic(out / "results.json", json.dumps(results, indent=1))
    write_atomic(out / "timings.json", json.dumps(timings, indent=1))
    print(f"wrote {out / 'results.json'}, {out / 'timings.json'}, {out / 'report.md'} and "
          f"{plural(len(results['figures']), 'figure')} in {timings['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
