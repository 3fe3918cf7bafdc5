"""What the experiments share: options, device, output directory, threads, progress, figures,
reading past runs, C++ kernels.

Every example builds its parser with :func:`experiment_parser` and its ``main`` is
:func:`experiment_main` (bad input: one line and exit code 2; Ctrl-C: one line and exit code
130), calls :func:`start_run` once (its ``--threads``, ``--device`` and ``--out``), reports
progress through :func:`progress` (a tqdm bar on a terminal, a line every few seconds
otherwise), writes figures with :func:`save_figure` (atomically, so a full disk is a one-line
error) and loads its C++ kernel with :func:`cpp_extension` (one line on stderr when a build
starts and one when it ends).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from invariant.errors import InvariantError
from invariant.files import write_atomic

#: A C++ build is announced once loading has taken this long (a cached load takes well under it).
BUILD_NOTICE_AFTER = 1.0

#: Seconds between two progress lines when stderr is not a terminal.
PROGRESS_INTERVAL = 10.0

THREADS_HELP = ("threads for torch, BLAS and the C++ kernels, at most the cores this process may use "
                "(default: all cores this process may use, capped by OMP_NUM_THREADS)")


def resolve_device(name: str) -> str:
    """``auto`` -> cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    import torch

    if name not in ("auto", "cpu", "cuda"):
        raise InvariantError(f"unknown device {name!r}; choose auto, cpu or cuda")
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise InvariantError("--device cuda: no CUDA device is available")
    return name


def prepare_directory(path: str | os.PathLike) -> Path:
    """Create the output directory (and parents); a clear error if that is impossible."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvariantError(f"cannot create {out}: {exc.strerror}") from None
    return out


def plural(count: int, noun: str) -> str:
    """``1 thread``, ``2 threads``: a count with its noun, for one-line reports."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


#: ``--seed`` takes 0 <= seed < SEED_LIMIT in every example. numpy's generators take any
#: non-negative integer and torch's any below 2**64, but the scripts seed further generators
#: with ``seed * 7919 + k`` and the like, which this limit keeps below 2**64.
SEED_LIMIT = 2**32


class ExperimentParser(argparse.ArgumentParser):
    """argparse for the experiments: a usage error is an :class:`InvariantError` (one line, exit
    code 2 through :func:`experiment_main`), and :meth:`parse_args` also checks the options every
    experiment shares, before any work starts:

    * ``--seed`` is an integer from 0 to ``SEED_LIMIT - 1``;
    * ``--threads`` is from 1 to the cores this process may use (:func:`available_cores`);
    * ``--out`` is not empty (``Path("")`` is the current directory); with ``--replot`` exactly
      one of the two is given.

    >>> parser = experiment_parser("demo", "A demo.", "a short run")
    >>> parser.parse_args(["--seed", "-1", "--out", "o"])
    Traceback (most recent call last):
    ...
    invariant.errors.InvariantError: --seed must be an integer from 0 to 4294967295, got -1
    >>> parser.parse_args(["--out", ""])
    Traceback (most recent call last):
    ...
    invariant.errors.InvariantError: --out must name a directory, got an empty path
    >>> parser.parse_args(["--seed", "7", "--out", "o"]).seed
    7
    """

    def __init__(self, name: str, replot: bool, **kwargs):
        super().__init__(prog=f"{name}.py", **kwargs)
        self.name, self.replot = name, replot

    def error(self, message: str):
        raise InvariantError(message)

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        if not 0 <= parsed.seed < SEED_LIMIT:
            raise InvariantError(f"--seed must be an integer from 0 to {SEED_LIMIT - 1}, got {parsed.seed}")
        if parsed.threads is not None:
            check_threads(parsed.threads)
        for option, value in (("--out", parsed.out), ("--replot", parsed.replot)):
            if value == "":
                raise InvariantError(f"{option} must name a directory, got an empty path")
        if self.replot and (parsed.out is None) == (parsed.replot is None):
            raise InvariantError("give either --out DIR (a new run) or --replot DIR (redraw an existing run)")
        return parsed


def experiment_parser(name: str, description: str, quick: str | None = None, replot: str | None = None,
                      seed_help: str = "random seed") -> ExperimentParser:
    """The :class:`ExperimentParser` of the script ``examples/<name>.py``.

    Every experiment takes ``--seed``; one that trains (``quick`` gives its ``--quick`` help)
    also takes ``--quick``, ``--threads``, ``--device`` and ``--out``; one that redraws past runs
    (``replot`` gives its ``--replot`` help) takes ``--replot DIR`` instead of ``--out DIR``.
    Options a script does not take have their defaults in its namespace (no ``--quick``, auto
    device, no ``--threads``, ``--out`` or ``--replot``).
    """
    parser = ExperimentParser(name, replot is not None, description=description,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help=f"{seed_help}, 0 to {SEED_LIMIT - 1} (default: 0)")
    parser.set_defaults(quick=False, threads=None, device="auto", out=None, replot=None)
    if quick is None:
        return parser
    parser.add_argument("--quick", action="store_true", help=f"{quick} (default: the full run)")
    parser.add_argument("--threads", type=int, default=None, help=THREADS_HELP)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                        help="where to train (default: auto = cuda if available)")
    if replot is None:
        parser.add_argument("--out", required=True, help="output directory (required)")
    else:
        parser.add_argument("--out", default=None, help="output directory (required unless --replot)")
        parser.add_argument("--replot", metavar="DIR", default=None, help=replot)
    return parser


def experiment_main(parser: ExperimentParser, run: Callable[[argparse.Namespace], int], argv=None) -> int:
    """Parse ``argv`` and return ``run(args)``: what every example's ``main`` does.

    Bad input (an :class:`InvariantError`) or a failed read or write (``OSError``) is one line
    ``<name>: error: ...`` on stderr and exit code 2; Ctrl-C is one line ``<name>: interrupted``
    and exit code 130 (the shell's code for SIGINT). Either way the output directory, and the
    parents the run created for it, are removed again if nothing was written into them.
    """
    created: list[Path] = []
    try:
        args = parser.parse_args(argv)
        if args.out is not None:
            created = missing_directories(Path(args.out))
        return run(args)
    except (InvariantError, OSError) as exc:
        message, code = f"error: {exc}", 2
    except KeyboardInterrupt:
        message, code = "interrupted", 130
    print(f"{parser.name}: {message}".replace("\r", "\\r").replace("\n", "\\n"), file=sys.stderr, flush=True)
    for directory in created:  # the deepest first
        try:
            directory.rmdir()
        except OSError:  # not empty (or already gone): leave it and its parents
            break
    return code


def missing_directories(path: Path) -> list[Path]:
    """``path`` and its ancestors that do not exist yet, the deepest first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def start_run(args: argparse.Namespace) -> tuple[str, Path, int]:
    """Set the threads, choose the device, create the output directory: (device, directory,
    threads). Call it after the script's own checks of its options, before any work."""
    threads = configure_threads(args.threads)
    return resolve_device(args.device), prepare_directory(args.out), threads


#: The most bytes :func:`load_run` reads from a results.json or timings.json (the largest
#: committed run, parity's full run, wrote 0.6 MB).
MAX_RUN_FILE_BYTES = 8 * 2**20


def load_run(directory: Path, script: str, results_shape, timings_shape) -> tuple[dict, dict]:
    """``results.json`` and ``timings.json`` of the run of ``script`` written to ``directory``
    (what ``--replot`` redraws from), each checked against its shape (:func:`conform`).

    Each must be a regular file of at most :data:`MAX_RUN_FILE_BYTES` holding JSON of that
    shape; anything else is an :class:`InvariantError` naming the file: ``DIR/results.json is
    not a results file of parity.py: runs[0].curve is 5, not a list``. A device, a pipe or a
    directory is refused before anything is read from it.
    """
    loaded = []
    for kind, shape in (("results", results_shape), ("timings", timings_shape)):
        path = directory / f"{kind}.json"
        try:
            value = read_json(path)
            conform(value, shape)
        except Misfit as exc:
            raise InvariantError(f"{path} is not a {kind} file of {script}: {exc}") from None
        loaded.append(value)
    return loaded[0], loaded[1]


class Misfit(Exception):
    """A file or JSON value that is not what the reader expects; :func:`load_run` names the file."""


def read_json(path: Path):
    """The JSON in the regular file ``path``, read only if it is at most :data:`MAX_RUN_FILE_BYTES`.

    :class:`Misfit` when it is not a regular file, too large, not UTF-8, not JSON or nested
    too deeply for the parser; :class:`InvariantError` when it cannot be opened or read.
    The file is opened without blocking, so a pipe is refused rather than waited on.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InvariantError(f"cannot read {path}: {exc.strerror}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise Misfit(f"it is {_FILE_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not a regular file")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(MAX_RUN_FILE_BYTES + 1)
    except OSError as exc:
        raise InvariantError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_RUN_FILE_BYTES:
        raise Misfit(f"it is larger than {MAX_RUN_FILE_BYTES // 2**20} MiB")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Misfit(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise Misfit(f"it is not JSON: {exc}") from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise Misfit("its JSON is nested too deeply") from None


_FILE_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
               stat.S_IFIFO: "a pipe", stat.S_IFSOCK: "a socket"}


@dataclass(frozen=True)
class Nullable:
    """A shape for :func:`conform`: ``shape``, or null."""

    shape: object


@dataclass(frozen=True)
class Optional:
    """A shape for :func:`conform`, as an object's member: ``shape``, or no such key."""

    shape: object


@dataclass(frozen=True)
class OneOf:
    """A shape for :func:`conform`: one of these values."""

    values: tuple


@dataclass(frozen=True)
class Check:
    """A shape for :func:`conform`: ``shape``, and ``test(value)`` is true; ``says`` what that means."""

    shape: object
    test: Callable[[object], bool]
    says: str


#: The integers :func:`conform` accepts as ``int``: those a 64-bit integer holds.
INT_LIMIT = 2**63


def conform(value, shape, where: str = "it") -> None:
    """Check the JSON ``value`` against ``shape``; :class:`Misfit` says where it differs.

    A shape is ``int`` (an integer of magnitude below 2**63), ``float`` (a finite number),
    ``str`` or ``bool``; ``[item]``, a list of items; ``{key: shape}``, an object with at least
    these keys (others are ignored), where an :class:`Optional` member may be missing; or a
    :class:`Nullable`, :class:`OneOf` or :class:`Check`.

    >>> conform({"runs": [{"n": 3}]}, {"runs": [{"n": int}]})
    >>> conform({"runs": 5}, {"runs": [{"n": int}]})
    Traceback (most recent call last):
    ...
    invariant.notes.runtime.Misfit: runs is 5, not a list
    >>> conform([1, 2], {"runs": [{"n": int}]})
    Traceback (most recent call last):
    ...
    invariant.notes.runtime.Misfit: it is a list, not an object
    >>> conform({"runs": [{"n": float("nan")}]}, {"runs": [{"n": float}]})
    Traceback (most recent call last):
    ...
    invariant.notes.runtime.Misfit: runs[0].n is NaN, not a finite number
    """
    if isinstance(shape, Nullable):
        if value is None:
            return
        shape = shape.shape
    if isinstance(shape, Check):
        conform(value, shape.shape, where)
        if not shape.test(value):
            raise Misfit(f"{where} is {_describe(value)}, not {shape.says}")
    elif isinstance(shape, OneOf):
        if value not in shape.values or isinstance(value, bool) != any(isinstance(v, bool) for v in shape.values):
            raise Misfit(f"{where} is {_describe(value)}, not one of {', '.join(map(json.dumps, shape.values))}")
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise Misfit(f"{where} is {_describe(value)}, not a list")
        for i, item in enumerate(value):
            conform(item, shape[0], f"{where}[{i}]")
    elif isinstance(shape, dict):
        if not isinstance(value, dict):
            raise Misfit(f"{where} is {_describe(value)}, not an object")
        for key, member in shape.items():
            inner = key if where == "it" else f"{where}.{key}"
            if key in value:
                conform(value[key], member.shape if isinstance(member, Optional) else member, inner)
            elif not isinstance(member, Optional):
                raise Misfit(f"{where} has no key {json.dumps(key)}")
    elif not _SCALARS[shape][0](value):
        raise Misfit(f"{where} is {_describe(value)}, not {_SCALARS[shape][1]}")


_SCALARS = {
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool) and abs(v) < INT_LIMIT, "an integer below 2**63"),
    float: (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), "a finite number"),
    str: (lambda v: isinstance(v, str), "a string"),
    bool: (lambda v: isinstance(v, bool), "true or false"),
}


def _describe(value) -> str:
    """A JSON value in a few words: ``5``, ``"abc"``, ``NaN``, ``a list``, ``an object``."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
def available_cores() -> int:
    """The cores this process may run on: its CPU affinity (every core where there is no
    affinity API, as on macOS and Windows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_threads() -> int:
    """:func:`available_cores`, capped by ``OMP_NUM_THREADS`` when that is set to a positive
    integer (other values are ignored, as OpenMP ignores them)."""
    cores = available_cores()
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        cores = min(cores, int(env))
    return max(1, cores)


def check_threads(requested) -> int:
    """``requested`` if it is an integer from 1 to :func:`available_cores`, else InvariantError:
    more threads than cores only slow a run down, and tens of thousands fail to start."""
    cores = available_cores()
    if not isinstance(requested, int) or isinstance(requested, bool) or not 1 <= requested <= cores:
        raise InvariantError(f"--threads must be an integer from 1 to {cores} (the cores this process may use), "
                             f"got {requested!r}")
    return requested


def configure_threads(requested: int | None = None) -> int:
    """Use ``requested`` threads (default :func:`default_threads`) everywhere; returns the count.

    ``requested`` must pass :func:`check_threads`. Sets torch's intra-op pool (which the C++
    kernels read through ``at::get_num_threads``), its inter-op pool where that is still possible
    (torch fixes it at the first parallel call), and the BLAS and OpenMP pools of every library
    already loaded (numpy's, scipy's) through threadpoolctl. More threads than cores only slows a
    shared machine down, which is why the default follows the CPU affinity rather than the
    machine's core count. How idle OpenMP threads wait can only be chosen before the runtime
    loads: the examples set ``OMP_WAIT_POLICY=PASSIVE`` before importing torch, as spinning
    threads on a busy machine made two-thread runs up to 60 times slower than one thread.
    """
    import torch
    from threadpoolctl import threadpool_limits

    threads = default_threads() if requested is None else check_threads(requested)
    torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != threads:
        # already started: torch allows setting it once, before any inter-op work
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(threads)
    threadpool_limits(limits=threads)
    return threads


class Progress:
    """Progress of a long loop: a tqdm bar when stderr is a terminal, else one line every
    ``interval`` seconds (and a "done" line at the end unless the last line was final), so
    runs under a pipe or CI show that they are alive; nothing at all when ``enabled`` is false.
    Use as an iterator wrapper or as a context manager calling :meth:`update`.
    """

    def __init__(self, iterable: Iterable | None = None, *, total: int | None = None, desc: str = "",
                 interval: float | None = None, stream=None, enabled: bool = True):
        from tqdm import tqdm

        self.iterable = iterable
        self.total = total if total is not None or iterable is None else len(iterable)
        self.desc = desc
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.stream = sys.stderr if stream is None else stream
        self.count = 0
        self.start = self.last = time.monotonic()
        self.printed, self.printed_count = False, 0
        self.enabled = enabled
        tty = enabled and self.stream.isatty()
        self.bar = tqdm(total=self.total, desc=desc, leave=False, file=self.stream) if tty else None

    def __iter__(self) -> Iterator:
        try:
            for item in self.iterable:
                yield item
                self.update()
        finally:
            self.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, k: int = 1) -> None:
        """Count ``k`` more steps; print a line if ``interval`` seconds passed since the last one."""
        self.count += k
        if self.bar is not None:
            self.bar.update(k)
            return
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._line(now)

    def close(self) -> None:
        """Close the bar, or print the final count if this run printed progress lines."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.printed and self.printed_count != self.count:
            self._line(time.monotonic(), done=True)
        self.printed = False

    def _line(self, now: float, done: bool = False) -> None:
        elapsed = now - self.start
        if self.total:
            text = f"{self.count:,}/{self.total:,} ({100 * self.count / self.total:.0f}%)"
            if 0 < self.count < self.total:
                text += f", about {elapsed * (self.total - self.count) / self.count:.0f} s left"
        else:
            text = f"{self.count:,}"
        state = "done" if done else "progress"
        print(f"{self.desc}: {state} {text} after {elapsed:.0f} s", file=self.stream, flush=True)
        self.printed, self.printed_count = True, self.count


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str = "",
             enabled: bool = True) -> Progress:
    """A :class:`Progress` over ``iterable`` (or with ``total`` steps, driven by ``update``)."""
    return Progress(iterable, total=total, desc=desc, enabled=enabled)


def save_figure(fig, path: str | os.PathLike, **savefig_kwargs) -> None:
    """Render a matplotlib figure to PNG bytes and write them atomically; closes the figure.

    A failing write (full disk, no permission) is an :class:`InvariantError` with one line,
    and no half-written PNG is left behind.
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", **savefig_kwargs)
    finally:
        plt.close(fig)
    write_atomic(path, buffer.getvalue())


def build_directory(name: str) -> Path:
    """``<torch extensions dir>/invariant-<environment>/<name>``, created if missing.

    The torch extensions directory is ``$TORCH_EXTENSIONS_DIR`` or ``~/.cache/torch_extensions``
    (torch's own default); the environment is a hash of the interpreter prefix, the torch
    version and the ``ninja`` on PATH, which runs the build: a venv's own ninja (1.13 here) and
    the system's (1.11) each found the other's build out of date, so one venv used with and
    without activation rebuilt its kernels every time it switched.
    """
    import hashlib
    import shutil

    import torch

    root = os.environ.get("TORCH_EXTENSIONS_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "torch_extensions")
    key = f"{sys.prefix}|{torch.__version__}|{shutil.which('ninja')}"
    environment = hashlib.sha256(key.encode()).hexdigest()[:12]
    path = Path(root, f"invariant-{environment}", name)
    path.mkdir(parents=True, exist_ok=True)
    return path


@cache
def cpp_extension(stem: str):
    """The C++ kernel ``csrc/<stem>.cpp``, compiled on first use (cached by torch on disk).

    A build (about a minute of CPU and 1.5 GB of memory) is announced on stderr when loading
    takes longer than :data:`BUILD_NOTICE_AFTER` seconds, and its end with the seconds it took.
    Each Python environment keeps its own build (:func:`build_directory`): the build commands
    name the environment's torch and Python headers, so environments sharing one directory
    would rebuild each other's kernels.
    """
    from torch.utils.cpp_extension import load

    name = f"invariant_{stem}"
    source = Path(__file__).with_name("csrc") / f"{stem}.cpp"
    start = time.monotonic()
    announced = threading.Event()

    def announce():
        announced.set()
        print(f"building C++ extension {name} from {source.name} (first use; cached afterwards) ...",
              file=sys.stderr, flush=True)

    timer = threading.Timer(BUILD_NOTICE_AFTER, announce)
    timer.daemon = True
    timer.start()
    try:
        module = load(name=name, sources=[str(source)], extra_cflags=["-O3", "-march=native"],
                      build_directory=str(build_directory(name)))
    finally:
        timer.cancel()
        if announced.is_set():
            print(f"C++ extension {name}: build ended after {time.monotonic() - start:.0f} s",
                  file=sys.stderr, flush=True)
    return module
