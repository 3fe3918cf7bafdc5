"""Issue 14's hostile cases as a table: each row a command line, the exit code and a message fragment.

Three ways to run a row:

- ``main``: ``invariant.cli.main(argv)`` in this process (``check`` still runs the file in its
  own subprocess);
- ``measured`` / ``measured-orbit``: the CLI in a subprocess whose CPU time and peak memory
  are read from ``os.wait4``; it must answer (exit 0) within its :data:`BUDGETS` or refuse
  (exit 2, one line naming the limit) within the refusal budget, 1 s and 200 MB (expected
  code ``None``: either will do). The budget is CPU time, and so is the cap that stops a
  runaway child (``RLIMIT_CPU``, :func:`cpu_cap`); the wall clock is only a safety net
  (:func:`wall_net`) wide enough for a loaded machine;
- ``no_torch``: the CLI in a subprocess in which ``import torch`` fails.

Exit 2 always means one line on stderr and no traceback; exit 1 only "ran, error above
tolerance". No row stops a process on a tight wall clock: ``check`` rows that do not test the
timeout itself run with ``--timeout`` :data:`WALL_NET` (the default 60 s of wall time is
too little for a torch import on a two-core machine at load 25).
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys

import hostile
import pytest

from invariant.cli import main

#: (CPU seconds, peak MB) for a whole process: interpreter start, imports and the answer. A refusal
#: always fits the first budget; an answer by the pattern path (S_n, A_n) too, one by the orbit path
#: (every other group) the second (issue 13: quadratic n = 256 in under 10 s and 1 GB).
BUDGETS = {"measured": (1.0, 200), "measured-orbit": (10.0, 1024)}
REFUSAL = BUDGETS["measured"]
#: Wall seconds after which a subprocess that measures nothing is stopped (it hangs by then).
WALL_NET = 600


def cpu_cap(budget: float) -> int:
    """CPU seconds after which a measured child is stopped (SIGXCPU): it has failed its budget by then.

    >>> cpu_cap(1.0), cpu_cap(10.0)
    (5, 41)
    """
    return int(4 * budget) + 1


def wall_net(budget: float) -> float:
    """Wall seconds after which a measured child is stopped anyway (blocked, not computing).

    Twenty times the CPU budget, at least a minute: a process that keeps within its CPU budget
    on a machine whose two cores are shared by 25 runnable processes finishes well inside it.

    >>> wall_net(1.0), wall_net(10.0)
    (60.0, 200.0)
    """
    return max(60.0, 20 * budget)


def _generators(count: int, n: int, seed: int = 0) -> str:
    """``count`` random transpositions and 3-cycles of 0..n-1 (one argument well under 128 KiB)."""
    rng = random.Random(seed)
    return "; ".join("(" + " ".join(map(str, rng.sample(range(n), rng.choice((2, 3))))) + ")" for _ in range(count))


#: The library, not the CLI: invariant.compile at n = 512 under the cyclic group (a MemoryError before).
COMPILE_512 = """import sys
import invariant
from invariant import InvariantError, LayerSpec
try:
    invariant.compile(LayerSpec(layer="quadratic", n=512, group="cyclic"))
except InvariantError as exc:
    print(f"invariant: error: {exc}", file=sys.stderr)
    sys.exit(2)
"""

ROWS = [
    # -- check: a checker that cannot be fooled -------------------------------------------
    ("check-trials-0", "main", ["check", "{ok}", "--trials", "0"], 2, "trials must be a positive integer"),
    ("check-trials-neg", "main", ["check", "{ok}", "--trials", "-1"], 2, "trials must be a positive integer"),
    ("check-seed-neg", "main", ["check", "{ok}", "--seed", "-1"], 2, "seed must be an integer from 0"),
    ("check-seed-2**70", "main", ["check", "{ok}", "--seed", str(2**70)], 2, "seed"),
    ("check-timeout-0", "main", ["check", "{ok}", "--timeout", "0"], 2, "timeout must be"),
    ("check-tol-nan", "main", ["check", "{ok}", "--tol", "nan"], 2, "tol must be"),
    ("check-device", "main", ["check", "{ok}", "--device", "tpu"], 2, "invalid choice"),
    ("check-missing", "main", ["check", "{tmp}/absent.py"], 2, "no such file"),
    ("check-exit0", "main", ["check", "{exit0}"], 2, "import failed: SystemExit"),
    ("check-systemexit3", "main", ["check", "{systemexit3}"], 2, "import failed: SystemExit: 3"),
    ("check-keyboard", "main", ["check", "{keyboard}"], 2, "import failed: KeyboardInterrupt"),
    ("check-syntax", "main", ["check", "{syntax}"], 2, "import failed: SyntaxError"),
    ("check-os-exit", "main", ["check", "{os_exit}"], 2, "ended with exit code 0 before reporting"),
    ("check-hang", "main", ["check", "{hang}", "--timeout", "3"], 2, "did not finish within 3 s"),
    ("check-layer-5", "main", ["check", "{layer5}"], 2, "Layer is int, not a torch.nn.Module class"),
    ("check-spec-edited", "main", ["check", "{spec_edited}"], 2, "SPEC does not hash to SHA256"),
    ("check-table-w", "main", ["check", "{table_w}", "--trials", "5"], 1, "FAIL"),
    ("check-nan", "main", ["check", "{nan}", "--trials", "5"], 1, "non-finite output (NaN or inf)"),
    ("check-no-torch", "no_torch", ["check", "{ok}"], 2, "needs torch"),
    # -- files ----------------------------------------------------------------------------
    ("emit-trailing-slash", "main", ["emit", "--layer", "linear", "-o", "{tmp}/newdir/"], 2, "names a directory"),
    ("emit-no-dir", "main", ["emit", "--layer", "linear", "-o", "{tmp}/no/x.py"], 2, "no such directory"),
    ("emit-250-chars", "main", ["emit", "--layer", "linear", "-o", "{tmp}/" + "e" * 247 + ".py"], 0, "wrote"),
    ("emit-dir", "main", ["emit", "--layer", "linear", "-o", "{tmp}"], 2, "is a directory"),
    ("derive-graph-then-bad-plot", "main",
     ["derive", "--layer", "quadratic", "--graph", "{tmp}/g.graphml", "--plot", "{tmp}/no/p.png"], 2,
     "no such directory"),
    ("derive-stdout-full", "stdout_full", ["derive", "--layer", "quadratic"], 2, "No space left on device"),
    # -- sizes: answered or refused at once ------------------------------------------------
    ("linear-n-1e9", "measured", ["derive", "--layer", "linear", "--n", "1000000000"], None, "limit"),
    ("quadratic-n-1024", "measured", ["derive", "--layer", "quadratic", "--n", "1024"], None, "limit"),
    ("trivial-outputs-1e9", "measured",
     ["derive", "--layer", "linear", "--output", "trivial", "--outputs", "1000000000"], None, "limit"),
    ("cubic-n-256", "measured", ["derive", "--layer", "cubic", "--n", "256"], None, "limit"),
    ("n-5000-digits", "measured", ["derive", "--layer", "linear", "--n", "9" * 5000], 2, "limit"),
    ("5000-generators-n-64", "measured-orbit", ["derive", "--layer", "quadratic", "--n", "64", "--generators",
                                          _generators(5000, 64)], None, "limit"),
    ("quadratic-256-alternating", "measured",
     ["derive", "--layer", "quadratic", "--n", "256", "--group", "alternating"], None, "limit"),
    ("quadratic-256-dihedral", "measured-orbit",
     ["derive", "--layer", "quadratic", "--n", "256", "--group", "dihedral"], None, "limit"),
    ("quadratic-256-hyperoctahedral", "measured-orbit",
     ["derive", "--layer", "quadratic", "--n", "256", "--group", "hyperoctahedral"], None, "limit"),
    ("emit-cyclic-256", "measured-orbit",
     ["emit", "--layer", "quadratic", "--group", "cyclic", "--n", "256", "-o", "{tmp}/c.py"], None, "limit"),
    ("compile-cyclic-512", "measured-orbit", ["-c", COMPILE_512], None, "limit"),
    ("emit-channels-dihedral-2to2-n-1000", "measured",
     ["emit", "--layer", "linear", "--group", "dihedral", "--n", "1000",
      "--input-order", "2", "--output-order", "2", "-o", "{tmp}/d.py"], 2, "limit"),
    ("emit-channels-cyclic-16", "measured", ["emit", "--layer", "quadratic", "--group", "cyclic", "--n", "9",
                                             "--input-order", "2", "--output-order", "2", "--in-channels", "16",
                                             "-o", "{tmp}/c.py"], 2, "limits"),
    ("plot-linear-400", "measured",
     ["derive", "--layer", "linear", "--n", "400", "--plot", "{tmp}/p.png"], None, "limit"),
]

class _Files(dict):
    """Hostile modules by kind, each written when a row first names it."""

    def __init__(self, directory):
        super().__init__()
        self.directory = directory

    def __missing__(self, kind):
        self[kind] = str(hostile.write(self.directory, kind))
        return self[kind]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return _Files(tmp_path_factory.mktemp("hostile"))


def _argv(template, tmp, files):
    """Fill ``{tmp}`` and ``{<hostile kind>}``; other braces (in Python code) stay."""
    def fill(match):
        name = match.group(1)
        return str(tmp) if name == "tmp" else files[name] if name in hostile.KINDS else match.group(0)

    return [re.sub(r"\{(\w+)\}", fill, a) for a in template]


#: Runs one command and prints its exit code, CPU seconds and peak RSS (KiB) as JSON. A small
#: process of its own starts the command: a child's ru_maxrss counts what its parent held at
#: fork time, and this test process holds torch. The child runs under RLIMIT_CPU (the kernel
#: stops it with SIGXCPU after ``cpu_cap`` CPU seconds, however loaded the machine); the wall
#: clock stops it only after ``wall_net`` seconds.
_MEASURE = """import json, os, resource, signal, subprocess, sys, time
command, cpu_cap, wall_net, out, err = json.loads(sys.argv[1])
start = time.monotonic()


def limit_cpu():
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_cap, cpu_cap + 5))


with open(out, "wb") as o, open(err, "wb") as e:
    child = subprocess.Popen(command, stdout=o, stderr=e, preexec_fn=limit_cpu)
while True:
    pid, status, usage = os.wait4(child.pid, os.WNOHANG)
    if pid:
        break
    if time.monotonic() - start > wall_net:
        os.kill(child.pid, signal.SIGKILL)
        _, status, usage = os.wait4(child.pid, 0)
        break
    time.sleep(0.05)
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps([child.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, time.monotonic() - start]))
"""


def _measured(argv, cwd, budget):
    """Run the CLI (or ``python -c``); return (exit code, stdout, stderr, CPU seconds, peak MB, wall seconds).

    The process is stopped after :func:`cpu_cap` CPU seconds (it has failed its CPU ``budget``
    by then) or, as a safety net only, after :func:`wall_net` wall seconds.
    """
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    command = [sys.executable, *(argv if argv[0] == "-c" else ["-m", "invariant.cli", *argv])]  # "-c": a library call
    config = json.dumps([command, cpu_cap(budget), wall_net(budget), str(out), str(err)])
    report = subprocess.run([sys.executable, "-c", _MEASURE, config], cwd=cwd, capture_output=True, text=True,
                            check=True, timeout=wall_net(budget) + WALL_NET)
    code, cpu, peak_kib, wall = json.loads(report.stdout)
    return code, out.read_text(errors="replace"), err.read_text(errors="replace"), cpu, peak_kib / 1024, wall


#: Rows that start a process of their own (a checked module or a measured CLI run): run in CI; the
#: development loop (``-m "not slow"``) keeps one refusal by size and three checks of a hostile file.
FAST_SUBPROCESS_ROWS = {"linear-n-1e9", "quadratic-n-1024", "check-exit0", "check-syntax", "check-no-torch"}
SLOW_ROWS = ({"check-hang", "check-table-w", "check-nan", "check-systemexit3", "check-keyboard", "check-os-exit",
              "check-layer-5", "check-spec-edited"}
             | {r[0] for r in ROWS if r[1] in BUDGETS}) - FAST_SUBPROCESS_ROWS


def _unhurried(argv):
    """``check`` argv with the wall-clock net :data:`WALL_NET` unless the row sets ``--timeout`` itself."""
    return argv + ["--timeout", str(WALL_NET)] if argv[:1] == ["check"] and "--timeout" not in argv else argv


@pytest.mark.parametrize("name, how, template, code, fragment",
                         [pytest.param(*r, id=r[0], marks=[pytest.mark.slow] if r[0] in SLOW_ROWS else [])
                          for r in ROWS])
def test_row(name, how, template, code, fragment, tmp_path, files, capsys):
    argv = _argv(template, tmp_path, files)
    before = set(tmp_path.iterdir())
    if how == "main":
        got = main(_unhurried(argv))
        out, err = capsys.readouterr()
    elif how in BUDGETS:
        got, out, err, cpu, peak, wall = _measured(argv, tmp_path, BUDGETS[how][0])
        stopped = {-signal.SIGXCPU: f" (stopped at the CPU cap of {cpu_cap(BUDGETS[how][0])} s)",
                   -signal.SIGKILL: f" (stopped by the wall-clock net of {wall_net(BUDGETS[how][0]):.0f} s)"}
        assert got in (0, 2), (f"exit {got}{stopped.get(got, '')} after {wall:.1f} s wall, {cpu:.1f} s CPU, "
                               f"{peak:.0f} MB: {err[-300:]}")
        seconds, megabytes = BUDGETS[how] if got == 0 else REFUSAL
        assert cpu <= seconds and peak <= megabytes, (
            f"{cpu:.2f} s CPU (limit {seconds}), {peak:.0f} MB peak (limit {megabytes}), {wall:.1f} s wall; "
            f"exit {got}: {err.strip()[-200:]}")
        code = code if code is not None else got  # None: answering and refusing are both fine
        fragment = fragment if got == 2 else ""  # a refusal names the limit
        before |= {tmp_path / "stdout.txt", tmp_path / "stderr.txt"}
    else:
        if how == "no_torch":
            command = ["-c", ("import sys; sys.modules['torch'] = None; from invariant.cli import main; "
                              f"sys.exit(main({argv!r}))")]
        else:
            command = ["-m", "invariant.cli", *argv]
        with open("/dev/full", "w") as full:  # stdout_full's stdout; no_torch's is captured
            result = subprocess.run([sys.executable, *command], stdout=subprocess.PIPE if how == "no_torch" else full,
                                    stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=WALL_NET, check=False)
        got, out, err = result.returncode, result.stdout or "", result.stderr
    assert got == code, f"exit {got}, expected {code}; stdout {out[-300:]!r}; stderr {err[-300:]!r}"
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("invariant: error:"), err[-500:]
        assert "Traceback" not in err
        assert set(tmp_path.iterdir()) == before, "a failed command left a file behind"
    assert fragment in (err if code == 2 else out), (out[-300:], err[-300:])


def test_check_help_says_it_executes_the_file(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "executes FILE" in text and "trust it as you would any Python module" in text
    assert "(default: 60)" in text


@pytest.mark.slow  # the check subprocess runs a module with torch
def test_the_checked_spec_is_printed_and_a_sound_file_passes(tmp_path, files, capsys):
    assert main(_unhurried(["check", files["ok"], "--trials", "3"])) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"checked spec: {hostile.BASE} (sha256 verified")
    assert "default" in out and "dense" in out and "projected" in out and "weights()" in out and "(ok, tol 1e-10" in out


@pytest.mark.slow  # waits 12 s of wall time
def test_a_measured_child_is_not_stopped_for_wall_time_it_does_not_compute(tmp_path):
    """A loaded machine stretches wall time, not CPU time: 12 s asleep (past the old 8 s wall kill) is measured."""
    code, _, err, cpu, _, wall = _measured(["-c", "import time; time.sleep(12)"], tmp_path, budget=1.0)
    assert (code, err) == (0, "") and wall >= 12 and cpu < 1.0, (code, err, cpu, wall)


@pytest.mark.slow  # spends two seconds of CPU time
def test_a_measured_child_is_stopped_at_its_cpu_cap(tmp_path):
    code, _, _, cpu, _, wall = _measured(["-c", "while True: pass"], tmp_path, budget=0.25)
    assert code == -signal.SIGXCPU and cpu >= cpu_cap(0.25) - 0.1, (code, cpu, wall)
