"""The computer algebra system: Singular, run as a subprocess with a hard time budget.

Gröbner bases and primary decomposition come from Singular (``pip install -e ".[algebra]"``
installs it as ``passagemath-singular``; a system ``Singular`` on the PATH, e.g. Debian's
``singular`` package, works too). Each computation is one Singular process killed when the
budget runs out, so a request never hangs.
"""

from __future__ import annotations

import contextlib
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


class CASError(InvariantError):
    """Singular could not be started, failed, or printed what this module cannot read."""


#: A Singular fault shows at most this much of what Singular printed.
SHOWN = 160


def _last_line(*texts: str) -> str:
    """The last non-empty line Singular printed (stderr first), shortened: the fault in one line."""
    for text in texts:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines:
            return lines[-1][:SHOWN]
    return "(nothing printed)"


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
            'the exact path needs Singular: pip install -e ".[algebra]" (passagemath-singular) '
            "or apt-get install singular"
        )
    return path


def run(script: str, budget: float) -> tuple[str, float]:
    """Run a Singular script; (stdout, seconds).

    Raises CASTimeout after ``budget`` seconds (Singular and its workers killed), CASError
    when Singular cannot be started, exits with a non-zero status or reports an error.
    """
    binary = require_singular()
    with tempfile.NamedTemporaryFile("w", suffix=".sing", delete=False) as fh:
        fh.write(script + "\nquit;\n")
        path = fh.name
    start = time.perf_counter()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    # Singular forks workers (e.g. in minAssGTZ): run it in its own process group and kill the
    # whole group when the budget runs out; PDEATHSIG ends it if this process dies first.
    try:
        proc = subprocess.Popen([binary, "-q", "--no-rc", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", env=env, start_new_session=True,
                                preexec_fn=_die_with_parent)  # noqa: PLW1509 - PDEATHSIG must be set in the child
    except (OSError, subprocess.SubprocessError) as exc:
        os.unlink(path)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CASError(f"Singular could not be started ({binary[-SHOWN:]}): {reason[:SHOWN]}") from None
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
    elapsed = time.perf_counter() - start
    if proc.returncode < 0:
        raise CASError(f"Singular was killed by signal {-proc.returncode}: {_last_line(stderr, stdout)}")
    if proc.returncode != 0:
        raise CASError(f"Singular failed with exit status {proc.returncode}: {_last_line(stderr, stdout)}")
    if "? " in stdout or "error" in stderr.lower():  # Singular reports errors as "   ? ..." lines
        errors = "\n".join(line for line in stdout.splitlines() if "? " in line)
        raise CASError(f"Singular reported an error: {_last_line(errors, stderr)}")
    return stdout, elapsed


def read_int(out: str, key: str) -> int:
    """The integer after the first ``key=`` in Singular's output; CASError if there is none.

    >>> read_int("DIM=3", "DIM")
    3
    """
    found = re.search(rf"\b{re.escape(key)}=(-?\d+)\b", out)
    if found is None:
        raise CASError(f"Singular gave unexpected output (no {key}= value): {_last_line(out)}")
    return int(found.group(1))


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
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
    return read_int(out, "DIM"), seconds


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
    ended = False
    for line in out.splitlines():
        if line.startswith("PRIME DIM="):
            if dim is not None:
                primes.append(Prime(dim, tuple(gens)))
            dim, gens = read_int(line, "DIM"), []
        elif line.startswith("GEN "):
            if dim is None or not _GENERATOR.fullmatch(line[4:].strip()):
                raise CASError(f"Singular gave unexpected output (a generator): {_last_line(line)}")
            gens.append(line[4:].strip())
        elif line.startswith("END"):
            ended = True
            if dim is not None:
                primes.append(Prime(dim, tuple(gens)))
    if not ended:
        raise CASError(f"Singular gave unexpected output (no list of primes): {_last_line(out)}")
    return sorted(primes, key=lambda p: -p.dimension), seconds


#: A polynomial as Singular prints it in the ring w0, w1, ...: what :func:`evaluate` reads.
_GENERATOR = re.compile(r"[-+*^()0-9w /]+")


def evaluate(generator: str, w) -> float:
    """A Singular polynomial string (in w0, w1, ...) at a float point."""
    expr = re.sub(r"\bw(\d+)\b", r"w[\1]", generator.replace("^", "**"))
    # Singular's own output, read only as arithmetic in w0, w1, ... (minimal_primes checks each generator).
    return float(eval(expr, {"__builtins__": {}}, {"w": [float(v) for v in w]}))
