"""What the experiments share: device, output directory, threads, progress, figures, C++ kernels.

Every example calls :func:`configure_threads` once (its ``--threads`` option), reports
progress through :func:`progress` (a tqdm bar on a terminal, a line every few seconds
otherwise), writes figures with :func:`save_figure` (atomically, so a full disk is a one-line
error) and loads its C++ kernel with :func:`cpp_extension` (one line on stderr when a build
starts and one when it ends).
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from invariant.errors import InvariantError
from invariant.files import write_atomic

#: A C++ build is announced once loading has taken this long (a cached load takes well under it).
BUILD_NOTICE_AFTER = 1.0

#: Seconds between two progress lines when stderr is not a terminal.
PROGRESS_INTERVAL = 10.0

THREADS_HELP = ("threads for torch, BLAS and the C++ kernels (default: all cores this process may use, "
                "capped by OMP_NUM_THREADS)")


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


def prepare_directory(path: str) -> Path:
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


def experiment_parser(description: str, quick: str):
    """The argparse parser of the options every experiment takes: --quick, --seed, --threads,
    --device, --out."""
    import argparse

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{quick} (default: the full run)")
    parser.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default: 0)")
    parser.add_argument("--threads", type=int, default=None, help=THREADS_HELP)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                        help="where to train (default: auto = cuda if available)")
    parser.add_argument("--out", required=True, help="output directory (required)")
    return parser


def start_run(args) -> tuple[str, Path, int]:
    """Validate the common options, set the threads: (device, output directory, threads)."""
    if args.seed < 0:
        raise InvariantError(f"--seed must be a non-negative integer, got {args.seed}")
    threads = configure_threads(args.threads)
    return resolve_device(args.device), prepare_directory(args.out), threads


def load_run(directory: Path) -> tuple[dict, dict]:
    """``results.json`` and ``timings.json`` of the experiment run written to ``directory``
    (what ``--replot`` redraws from); InvariantError when one is not JSON."""
    loaded = []
    for name in ("results.json", "timings.json"):
        try:
            loaded.append(json.loads((directory / name).read_text()))
        except ValueError as exc:
            raise InvariantError(f"{directory / name} is not JSON: {exc}") from None
    return loaded[0], loaded[1]


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity), capped by ``OMP_NUM_THREADS`` when
    that is set to a positive integer (other values are ignored, as OpenMP ignores them)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity API (macOS, Windows): every core counts
        cores = os.cpu_count() or 1
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        cores = min(cores, int(env))
    return max(1, cores)


def configure_threads(requested: int | None = None) -> int:
    """Use ``requested`` threads (default :func:`default_threads`) everywhere; returns the count.

    Sets torch's intra-op pool (which the C++ kernels read through ``at::get_num_threads``), its
    inter-op pool where that is still possible (torch fixes it at the first parallel call), and
    the BLAS and OpenMP pools of every library already loaded (numpy's, scipy's) through
    threadpoolctl. More threads than cores only slows a shared machine down, which is why the
    default follows the CPU affinity rather than the machine's core count. How idle OpenMP
    threads wait can only be chosen before the runtime loads: the examples set
    ``OMP_WAIT_POLICY=PASSIVE`` before importing torch, as spinning threads on a busy machine
    made two-thread runs up to 60 times slower than one thread.
    """
    import torch
    from threadpoolctl import threadpool_limits

    if requested is not None and (not isinstance(requested, int) or isinstance(requested, bool) or requested < 1):
        raise InvariantError(f"--threads must be a positive integer, got {requested!r}")
    threads = default_threads() if requested is None else requested
    torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != threads:
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:  # already started: torch allows setting it once, before any inter-op work
            pass
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
