"""The computer algebra system: Singular, run as a subprocess with a hard time budget.

Gröbner bases and primary decomposition come from Singular (``pip install -e ".[algebra]"``
installs it as ``passagemath-singular``; a system ``Singular`` on the PATH, e.g. Debian's
``singular`` package, works too). Each computation is one Singular process killed when the
budget runs out, so a request never hangs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvariantError


class CASUnavailable(InvariantError):
    """No Singular binary: install the ``algebra`` extra."""


class CASTimeout(InvariantError):
    """Singular did not finish within the budget (it was killed)."""


def singular_binary() -> str | None:
    """The Singular executable: passagemath-singular's, else one on the PATH."""
    spec = importlib.util.find_spec("sage_wheels")
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            path = Path(root) / "bin" / "Singular"
            if path.exists():
                return str(path)
    return shutil.which("Singular")


def require_singular() -> str:
    path = singular_binary()
    if path is None:
        raise CASUnavailable(
            'the exact path needs Singular: pip install -e ".[algebra]" (passagemath-singular) or apt-get install singular'
        )
    return path


def run(script: str, budget: float) -> tuple[str, float]:
    """Run a Singular script; (stdout, seconds). Raises CASTimeout after ``budget`` seconds."""
    binary = require_singular()
    with tempfile.NamedTemporaryFile("w", suffix=".sing", delete=False) as fh:
        fh.write(script + "\nquit;\n")
        path = fh.name
    start = time.perf_counter()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # Singular forks workers (e.g. in minAssGTZ): run it in its own process group and kill the
    # whole group when the budget runs out; PDEATHSIG ends it if this process dies first.
    proc = subprocess.Popen([binary, "-q", "--no-rc", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True, preexec_fn=_die_with_parent)
    try:
        stdout, stderr = proc.communicate(timeout=max(budget, 0.01))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise CASTimeout(f"Singular did not finish within {budget:g} s") from None
    except BaseException:
        _kill_group(proc)
        raise
    finally:
        os.unlink(path)
    proc = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or "? " in proc.stdout or "error" in proc.stderr.lower():
        raise RuntimeError(f"Singular failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    return proc.stdout, elapsed


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _ring(num_vars: int) -> str:
    names = ",".join(f"w{i}" for i in range(num_vars))
    return f"ring r = 0, ({names}), dp;"


def _ideal(polys: list[str]) -> str:
    return "ideal I = " + (",\n  ".join(polys) if polys else "0") + ";"


@dataclass(frozen=True)
class Prime:
    """A minimal associated prime: its dimension and generators (Singular syntax in w0, w1, ...)."""

    dimension: int
    generators: tuple[str, ...]


def dimension(polys: list[str], num_vars: int, budget: float) -> tuple[int, float]:
    """Krull dimension of V(I) over Q (Gröbner basis, degree reverse lexicographic); (dim, seconds)."""
    script = "\n".join([_ring(num_vars), "option(redSB);", _ideal(polys), 'print("DIM=" + string(dim(std(I))));'])
    out, seconds = run(script, budget)
    return int(re.search(r"DIM=(-?\d+)", out).group(1)), seconds


def minimal_primes(polys: list[str], num_vars: int, budget: float) -> tuple[list[Prime], float]:
    """The minimal associated primes of I (Gianni–Trager–Zacharias), each with its dimension."""
    script = "\n".join([
        'LIB "primdec.lib";', _ring(num_vars), _ideal(polys),
        "list L = minAssGTZ(I);",
        "int k; int j;",
        "for (k = 1; k <= size(L); k++) {",
        '  print("PRIME DIM=" + string(dim(std(L[k]))));',
        "  for (j = 1; j <= ncols(L[k]); j++) { print(\"GEN \" + string(L[k][j])); }",
        "}",
        'print("END");',
    ])
    out, seconds = run(script, budget)
    primes: list[Prime] = []
    gens: list[str] = []
    dim = None
    for line in out.splitlines():
        if line.startswith("PRIME DIM="):
            if dim is not None:
                primes.append(Prime(dim, tuple(gens)))
            dim, gens = int(line.split("=")[1]), []
        elif line.startswith("GEN "):
            gens.append(line[4:].strip())
        elif line.startswith("END") and dim is not None:
            primes.append(Prime(dim, tuple(gens)))
    return sorted(primes, key=lambda p: -p.dimension), seconds


def evaluate(generator: str, w) -> float:
    """A Singular polynomial string (in w0, w1, ...) at a float point."""
    expr = re.sub(r"\bw(\d+)\b", r"w[\1]", generator.replace("^", "**"))
    return float(eval(expr, {"__builtins__": {}}, {"w": [float(v) for v in w]}))  # noqa: S307 - our own output
