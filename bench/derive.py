"""Scale of ``derive``: the three solver paths, whole processes, memory, start-up.

Every figure is measured in this run, on this machine; nothing here is a test.

1. Pattern path (S_n, A_n): ``invariant derive`` as a whole process for every layer family
   and standard output at n = 1000 and n = 10^6: wall time and peak memory (which must not
   grow with n).
2. Orbit path: quadratic n = 256 under the cyclic, dihedral and hyperoctahedral groups and a
   custom 3-generator group (translations of a 16 × 16 torus and its transpose).
3. In-process ratios at small n against the symbolic path (SymPy coefficient matching and
   exact RREF, the baseline) measured in the same process; the answers are compared.
4. Start-up: ``invariant --help`` and ``invariant derive --layer quadratic``.

    python bench/derive.py [--threads 1] [--out bench/derive_cpu.md]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_process(args: list[str], env: dict) -> tuple[float, float, float]:
    """(wall seconds, peak resident MB, CPU seconds) of one ``python -m invariant`` process.

    CPU time (user + system) is what the process itself needed; wall time also counts the
    other work on a shared machine."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "invariant", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read().decode()[-300:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def torus_generators(side: int = 16) -> str:
    """Translations of a side × side torus and its transpose, as cycle notation."""
    from invariant.groups.permutations import format_generators

    n = side * side
    tx = tuple((i // side) * side + (i % side + 1) % side for i in range(n))
    ty = tuple(((i // side + 1) % side) * side + i % side for i in range(n))
    tr = tuple((i % side) * side + i // side for i in range(n))
    return format_generators((tx, ty, tr))


def pattern_table(env) -> list[str]:
    rows = ["| layer | output | group | n | classes | wall (s) | CPU (s) | peak memory (MB) |",
            "|---|---|---|---:|---:|---:|---:|---:|"]
    import json

    for layer in ("linear", "quadratic", "cubic"):
        for output in ("permutation", "trivial", "sign"):
            for group in ("symmetric", "alternating"):
                for n in (1000, 10**6):
                    args = ["derive", "--layer", layer, "--n", str(n), "--group", group, "--output", output]
                    wall, mem, cpu = run_process(args, env)
                    out = subprocess.run([sys.executable, "-m", "invariant", *args, "--format", "json"],
                                         capture_output=True, text=True, env=env, check=True).stdout
                    data = json.loads(out)
                    assert data["method"] == "pattern" and data["dimension_check"]["agree"], args
                    rows.append(f"| {layer} | {output} | {group} | {n} | {data['num_classes']} | "
                                f"{wall:.2f} | {cpu:.2f} | {mem:.0f} |")
    return rows


def orbit_table(env) -> list[str]:
    rows = ["| group | n | weights | classes | wall (s) | CPU (s) | peak memory (MB) | dimension check |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    import json

    cases = [("cyclic", ["--group", "cyclic"]), ("dihedral", ["--group", "dihedral"]),
             ("hyperoctahedral", ["--group", "hyperoctahedral"]),
             ("custom, 3 generators (16×16 torus + transpose)", ["--generators", torus_generators()])]
    for name, extra in cases:
        args = ["derive", "--layer", "quadratic", "--n", "256", *extra]
        wall, mem, cpu = run_process(args, env)
        data = json.loads(subprocess.run([sys.executable, "-m", "invariant", *args, "--format", "json"],
                                         capture_output=True, text=True, env=env, check=True).stdout)
        check = data["dimension_check"]
        rows.append(f"| {name} | 256 | {data['num_weights']} | {data['num_classes']} | "
                    f"{wall:.2f} | {cpu:.2f} | {mem:.0f} | "
                    f"{check['derived']} = {check['character_formula']}: {'agree' if check['agree'] else 'DISAGREE'} |")
    return rows


def ratio_table() -> list[str]:
    from invariant import LayerSpec
    from invariant.api import _derive

    _derive(LayerSpec(layer="linear", n=3), "symbolic")  # imports (SymPy, scipy) before any timing
    rows = ["| layer | group | n | weights | symbolic (s) | orbit (s) | pattern (s) | symbolic / orbit | "
            "symbolic / pattern | same classes |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for layer, group, n in (("quadratic", "symmetric", 8), ("quadratic", "symmetric", 12), ("linear", "symmetric", 40),
                            ("quadratic", "dihedral", 12), ("cubic", "symmetric", 7)):
        spec = LayerSpec(layer=layer, n=n, group=group)
        times, sols = {}, {}
        for method in ("symbolic", "orbit", "pattern"):
            if method == "pattern" and group != "symmetric":
                continue
            _derive.cache_clear()
            start = time.perf_counter()
            sols[method] = _derive(spec, method)
            times[method] = time.perf_counter() - start
        base = sols["symbolic"]
        same = all(
            [base.members(c) for c in range(base.num_classes)] == [s.members(c) for c in range(s.num_classes)]
            for s in sols.values()
        )
        sym, orb, pat = times["symbolic"], times["orbit"], times.get("pattern")
        pattern_time = "-" if pat is None else f"{pat:.4f}"
        pattern_ratio = "-" if pat is None else f"{sym / pat:.0f}x"
        rows.append(
            f"| {layer} | {group} | {n} | {base.num_weights} | {sym:.3f} | {orb:.3f} | {pattern_time} | "
            f"{sym / orb:.1f}x | {pattern_ratio} | {'yes' if same else 'NO'} |"
        )
    return rows


def startup_table(env) -> list[str]:
    rows = ["| command | best of 5 wall (s) | best of 5 CPU (s) | peak memory (MB) |", "|---|---:|---:|---:|"]
    for args in (["--help"], ["derive", "--layer", "quadratic"]):
        runs = [run_process(args, env) for _ in range(5)]
        rows.append(f"| invariant {' '.join(args)} | {min(r[0] for r in runs):.3f} | {min(r[2] for r in runs):.3f} | "
                    f"{min(r[1] for r in runs):.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads of the measured processes (default: 1)")
    parser.add_argument("--out", default=None, help="also write the tables to this markdown file (default: none)")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads))
    os.environ.update({k: env[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    text = [f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
            f"threads {args.threads}", ""]
    for title, table in (("Start-up (whole process)", startup_table(env)),
                         ("Pattern path, whole process", pattern_table(env)),
                         ("Orbit path, quadratic n = 256, whole process", orbit_table(env)),
                         ("In-process, against the symbolic path", ratio_table())):
        text += [f"### {title}", "", *table, ""]
        print("\n".join(text[-len(table) - 3:]), flush=True)
    text.append(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if args.out:
        Path(args.out).write_text("\n".join(text))


if __name__ == "__main__":
    main()
