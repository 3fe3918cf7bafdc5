"""The source note's folded layer (note 001, section 6.1), checked on numbers.

The note folds 6 inputs onto 3 outputs (output i ~ input i and i + 3) and lets a
transposition (a b) act on the outputs as (a mod 3, b mod 3). Its code produced the pattern
"5 1 1 2 3 4"; the note then found that pattern is not equivariant. This script:

1. reproduces the note's pattern with invariant's ``naive`` mode;
2. evaluates a layer with that pattern on numbers and shows it is not equivariant;
3. shows what S_6 forces under the stated rule (it is not an action: witness), and
4. derives the classes under the hyperoctahedral group, where folding is a real action,
   and verifies them numerically.

    python examples/folded.py [--seed 0]
"""

from __future__ import annotations

import sys
from functools import partial

import numpy as np

from invariant import LayerSpec, derive
from invariant.equivariance import equivariance_error, sampler
from invariant.notes.runtime import experiment_main, experiment_parser
from invariant.numeric import evaluate
from invariant.report import class_grid


def main(argv=None) -> int:
    return experiment_main(experiment_parser("folded", __doc__, seed_help="random seed for weights and inputs"),
                           run, argv)


def run(args) -> int:
    rng = np.random.default_rng(args.seed)

    naive = derive(LayerSpec.build(layer="folded-linear", n=6, naive=True))
    print("1. The note's procedure (naive mode): classes of W (rows: outputs 0..2, columns: inputs 0..5)")
    for row in [class_grid(naive, k)[0] for k in range(3)]:
        print("   " + " ".join(f"{c:>2}" for c in row))
    w = (naive.basis() @ rng.standard_normal(naive.num_free)).reshape(3, 6)
    x = rng.standard_normal(6)
    swapped = x[[3, 1, 2, 0, 4, 5]]  # the transposition (0 3), which the rule maps to the identity
    print("\n2. That pattern on numbers: swap x_0 and x_3; the folded rule says y must not change.")
    print(f"   y(x)        = {np.round(w @ x, 6)}")
    print(f"   y((0 3)·x)  = {np.round(w @ swapped, 6)}")
    for group in ("symmetric", "hyperoctahedral"):
        spec = LayerSpec.build(layer="folded-linear", n=6, group=group)
        err = equivariance_error(partial(evaluate, spec, w.reshape(-1)), sampler(spec), rng, trials=10).error
        print(f"   max equivariance error of the note's pattern under the {group} group: {err:.3f}")

    forced = derive(LayerSpec.build(layer="folded-linear", n=6))
    print("\n3. Under S_6 and the stated rule:")
    print(f"   is a representation: {forced.action.is_representation}; witness: {forced.action.witness}")
    print(f"   what the rule forces anyway: {forced.num_classes} class (W = c·11ᵀ), "
          f"character formula over ⟨(g, ρ(g))⟩: {forced.dimension.character_formula}")
    wf = forced.basis() @ rng.standard_normal(forced.num_free)
    err = equivariance_error(partial(evaluate, forced.spec, wf), sampler(forced.spec), rng, trials=10).error
    print(f"   numeric check of that answer: {err:.1e}")

    good = derive(LayerSpec.build(layer="folded-linear", n=6, group="hyperoctahedral"))
    print(f"\n4. Under the hyperoctahedral group (order {good.group_order}), folding is an action "
          f"({good.action.proof}):")
    for k in range(3):
        print("   " + " ".join(f"{c:>2}" for c in class_grid(good, k)[0]))
    wg = good.basis() @ rng.standard_normal(good.num_free)
    tied = equivariance_error(partial(evaluate, good.spec, wg), sampler(good.spec), rng, trials=10).error
    untied = equivariance_error(partial(evaluate, good.spec, rng.standard_normal(18)), sampler(good.spec), rng,
                                trials=10).error
    print(f"   {good.num_free} free parameters, character formula {good.dimension.character_formula}; "
          f"equivariance error of random tied weights: {tied:.1e}, of untied random weights: {untied:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
