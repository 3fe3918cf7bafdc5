"""``invariant check FILE.py``: measure every forward of a generated module; the file never runs here.

**Who computes what.** This process (the checker) never imports the file. It reads the
file as text: the last top-level ``SPEC = "..."`` and ``SHA256 = "..."`` string assignments
must hash and re-parse canonically with :meth:`invariant.LayerSpec.parse`. From that spec,
through the library, it draws the group elements (:func:`invariant.equivariance.sampler`,
never the file's ``GENERATOR_PAIRS``) and the inputs (from ``seed``), sends the inputs in
shuffled order to the file's process (a sandbox: :mod:`codegen.sandbox`, which runs
:mod:`codegen.probe`), receives the raw float64 outputs and computes every error, the
disagreement and the verdict itself, in numpy. The file's process is not told which input
is a transformed copy of which, and sees a plain ``python -c`` command line and your
environment (nothing added). Whatever the file's code does in its process (write files,
patch torch, exit early) can only make its outputs wrong or missing, never the verdict.

**What is measured.** For vector layers the default forward (structured where the module has
one), ``forward_impl="dense"``, ``backward="explicit"``, ``mode="projected"``, and the weights
from ``weights()`` evaluated here by the checker's own formula y_k = Σ W[k, i, j, ...] x_i x_j
... + Σ_i B[k, i] x_i + C[k]; for channel layers the default forward and the checker's own
contraction of ``weights()``; for tensor-template layers (tensor orders or channels, any n)
the structured and dense forwards at the spec's n and at n + 1. Forwards at the same n must
agree on every input; NaN or inf in any output fails.

**What the file is.** The checker renders its spec with :func:`codegen.render.render_source`
and compares bytes: the report says whether the file is identical to what ``invariant emit``
writes for its SPEC, or edited (the first line that differs).

**Errors.** A file that cannot be imported, constructed or run (an exception, ``SystemExit``
or ``KeyboardInterrupt`` at import, a raising constructor or forward, a wrong output shape or
dtype, ``Layer`` not a module class, exiting or hanging past the timeout) is an
:class:`~invariant.errors.InvariantError` with one line, not a verdict. Verdicts are
:class:`CheckResult` (its ``ok`` says whether every error is within tol · max(1, max |f(x)|)).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import math
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from invariant.errors import InvariantError

from . import probe, sandbox

#: Seconds a check may run (import, construction and every forward) before it is stopped.
DEFAULT_TIMEOUT = 60.0
#: Seeds are 32-bit: numpy and torch both take them unchanged.
MAX_SEED = 2**32 - 1
DEVICES = ("auto", "cpu", "cuda")
_BATCH = 8
#: What the report says about a file that runs without a PID namespace of its own.
_EXPOSED = {"none": "; it ran without a PID namespace (none could be made here), so it could signal your processes",
            "in process": "; it ran in this process"}


@dataclass(frozen=True)
class Forward:
    """One forward of the module: its name, equivariance error, output scale, finiteness."""

    name: str
    error: float
    scale: float
    finite: bool


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a file that ran: every forward's error, how far the forwards disagree, what the file is."""

    path: str
    spec: str
    trials: int
    tol: float
    forwards: tuple[Forward, ...]
    disagreement: float
    #: Whether the file is what ``invariant emit`` writes for its spec (see :func:`provenance`).
    source: str = ""
    #: How the file's process was isolated: ``pid namespace``, ``none`` or ``in process``.
    isolation: str = "pid namespace"

    @property
    def scale(self) -> float:
        """max |f(x)| over every forward (the tolerance is relative to max(1, scale))."""
        return max(f.scale for f in self.forwards)

    @property
    def max_error(self) -> float:
        """The largest equivariance error over the forwards (NaN if any output was not finite)."""
        return math.nan if not all(f.finite for f in self.forwards) else max(f.error for f in self.forwards)

    @property
    def ok(self) -> bool:
        """All outputs finite, every error and the disagreement within tol · max(1, scale)."""
        bound = self.tol * max(1.0, self.scale)
        return all(f.finite and f.error <= bound for f in self.forwards) and self.disagreement <= bound

    def report(self) -> str:
        """Three lines: the spec checked, what the file is, then the errors and the verdict."""
        bound = self.tol * max(1.0, self.scale)
        nonfinite = [f.name for f in self.forwards if not f.finite]
        parts = ", ".join(f"{f.name} {f.error:.1e}" for f in self.forwards if f.finite)
        verdict = "ok" if self.ok else "FAIL"
        head = f"{self.path}: max |f(g·x) - ρ(g) f(x)| = {self.max_error:.3e} over {self.trials} random group elements"
        if nonfinite:
            head += f"; non-finite output (NaN or inf) from {', '.join(nonfinite)}"
        disagree = "disagree" if not self.disagreement <= bound else "agree"
        return (f"checked spec: {self.spec} (sha256 verified; group elements from the spec)\n"
                f"file: {self.source}{_EXPOSED.get(self.isolation, '')}\n"
                f"{head} [{parts}]; the forwards {disagree} to {self.disagreement:.1e} "
                f"({verdict}, tol {self.tol:g} relative to max(1, |f(x)|) = {max(1.0, self.scale):.3g})")


def torch_available() -> bool:
    """Whether ``import torch`` can succeed in this interpreter (without importing it)."""
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None
    return importlib.util.find_spec("torch") is not None


def check_file(path: str, trials: int = 20, seed: int = 0, tol: float = 1e-10,
               timeout: float = DEFAULT_TIMEOUT, device: str = "auto") -> CheckResult:
    """Check ``path`` with its code in a sandbox (see the module docstring); InvariantError when it cannot run.

    Every process the file starts is gone when this returns or raises (Ctrl-C included).
    """
    _validate(trials, seed, tol, timeout, device)
    if not torch_available():
        raise InvariantError("invariant check needs torch, which is not installed: "
                             "pip install torch (or pip install 'invariant[torch]')")
    text, spec = _read(path)
    sources = [inspect.getsource(module) for module in (sandbox, probe)]
    env = {k: v for k, v in os.environ.items() if k != "_"}  # the shell's "_" names the command that ran
    with tempfile.TemporaryFile() as log:
        try:
            box = sandbox.Sandbox(sources, "Session", log, time.monotonic() + timeout, env=env)
        except OSError as exc:
            raise InvariantError(f"{path}: cannot start the checking process: {exc.strerror or exc}") from None
        try:
            return measure(path, text, spec, box, trials, seed, tol, device)
        except sandbox.Timeout:
            raise InvariantError(f"{path}: did not finish within {timeout:g} s (the timeout can be raised)") from None
        except sandbox.Ended:
            code = box.exit_code()
            box.close()
            log.seek(max(0, log.seek(0, os.SEEK_END) - 4096))
            last = (log.read().decode(errors="replace").strip().splitlines() or [""])[-1][:200]
            how = (f"ended with exit code {code}" if code is None or code >= 0 else
                   f"was killed by {signal.Signals(-code).name}" if -code in signal.valid_signals() else
                   f"was killed by signal {-code}")
            raise InvariantError(f"{path}: the checking process {how} before reporting"
                                 + (f" ({last})" if last else "")) from None
        except sandbox.SandboxError as exc:
            raise InvariantError(f"{path}: the checking process broke the protocol: it {exc}") from None
        finally:
            box.close()


def inspect_file(path: str, trials: int = 20, seed: int = 0, tol: float = 1e-10, device: str = "cpu") -> CheckResult:
    """The same check with the file imported into *this* process: only for files you trust (the tests' own).

    No sandbox, so no timeout and no containment: the probe answers requests here.
    """
    _validate(trials, seed, tol, 1.0, device)
    text, spec = _read(path)
    return measure(path, text, spec, InProcess(probe.Session()), trials, seed, tol, device)


class InProcess:
    """A :class:`codegen.sandbox.Sandbox` stand-in: ``session(header, payload)`` answers each request in this process.

    ``session`` is a :class:`codegen.probe.Session` (:func:`inspect_file`) or anything that
    answers as one does.
    """

    def __init__(self, session) -> None:
        self.session = session
        self.answers = [({"isolation": "in process"}, b"")]

    def send(self, header: dict, payload: bytes = b"") -> None:
        self.answers.append(self.session(header, payload))

    def receive(self, payload_size) -> tuple[dict, bytes]:
        header, payload = self.answers.pop(0)
        expected = payload_size(header)
        if expected != len(payload):
            raise sandbox.SandboxError(f"sent {len(payload)} bytes where {expected} were due")
        return header, payload

    def request(self, header: dict, payload: bytes, payload_size) -> tuple[dict, bytes]:
        self.send(header, payload)
        return self.receive(payload_size)


def _validate(trials, seed, tol, timeout, device) -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InvariantError("trials must be a positive integer (a check that checks nothing proves nothing), "
                             f"got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvariantError(f"seed must be an integer from 0 to 2**32 - 1, got {seed!r}")
    if not (isinstance(tol, (int, float)) and 0 < tol < math.inf):
        raise InvariantError(f"tol must be a positive finite number, got {tol!r}")
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 1e6):
        raise InvariantError(f"timeout must be a positive number of seconds up to 1e6, got {timeout!r}")
    if device not in DEVICES:
        raise InvariantError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")


# --- the file as text -------------------------------------------------------------------------


def _read(path: str):
    """The file's bytes and its verified spec, read without running it."""
    file = Path(path)
    if not file.is_file():
        raise InvariantError(f"{path}: no such file")
    try:
        text = file.read_bytes()
    except OSError as exc:
        raise InvariantError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    return text, read_spec(path, text)


def _strings(text: bytes) -> dict[str, str]:
    """The module's top-level assignments of a string literal to a bare name, the last of each name."""
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
            found[target.id] = value.value
    return found


def read_spec(path: str, text: bytes):
    """The file's ``SPEC``, verified against its ``SHA256``: read from its text, never by running it.

    >>> from invariant import LayerSpec
    >>> spec = LayerSpec(layer="linear", n=3)
    >>> read_spec("f.py", f'SPEC = "{spec}"\\nSHA256 = "{spec.sha256}"\\nimport os\\n'.encode()) == spec
    True
    >>> read_spec("f.py", f'SPEC = "{spec}"\\nSHA256 = "0"\\n'.encode())
    Traceback (most recent call last):
    ...
    invariant.errors.InvariantError: f.py: SPEC does not hash to SHA256: the file's spec was altered
    """
    from invariant import LayerSpec

    try:
        strings = _strings(text)
    except (SyntaxError, ValueError) as exc:  # ValueError: a null byte
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        raise InvariantError(f"{path}: import failed: {type(exc).__name__}: {detail}") from None
    spec_text, digest = strings.get("SPEC"), strings.get("SHA256")
    if spec_text is None or digest is None:
        raise InvariantError(f"{path}: not a module written by invariant emit (SPEC and SHA256 strings missing)")
    if hashlib.sha256(spec_text.encode()).hexdigest() != digest:
        raise InvariantError(f"{path}: SPEC does not hash to SHA256: the file's spec was altered")
    try:
        spec = LayerSpec.parse(spec_text)
    except InvariantError as exc:
        raise InvariantError(f"{path}: its SPEC does not parse: {exc}") from None
    if str(spec) != spec_text:
        raise InvariantError(f"{path}: its SPEC is not in canonical form")
    return spec


def provenance(text: bytes, spec) -> str:
    """Whether ``text`` is byte-identical to what ``invariant emit`` writes for ``spec``, else the first differing line.

    >>> from invariant import LayerSpec
    >>> from codegen.render import render_source
    >>> spec = LayerSpec(layer="linear", n=3)
    >>> provenance(render_source(spec).encode(), spec)
    'identical to what `invariant emit` writes for this spec'
    >>> provenance(b"import os\\n" + render_source(spec).encode(), spec)
    'edited (differs from what `invariant emit` writes for this spec from line 1)'
    """
    from .render import render_source

    try:
        expected = render_source(spec).encode()
    except InvariantError as exc:
        return f"not compared with emit, which refuses this spec ({exc})"
    if text == expected:
        return "identical to what `invariant emit` writes for this spec"
    ours, theirs = text.split(b"\n"), expected.split(b"\n")
    line = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
    return f"edited (differs from what `invariant emit` writes for this spec from line {line + 1})"


# --- the measurement --------------------------------------------------------------------------


def _actions(spec):
    """Input and output actions and the output's trailing shape, as the spec's template lays them out."""
    from invariant.channels import module_form
    from invariant.equivariance import VECTOR

    from .channels import actions, output_tail

    if module_form(spec).kind == "vector":
        return VECTOR, VECTOR, (spec.outputs,)
    return (*actions(spec), output_tail(spec))


def _inputs(spec, trials: int, seed: int) -> list:
    """The input batches the measurement at ``spec`` feeds a forward, in order: x, g·x for each trial.

    They are what :func:`invariant.equivariance.equivariance_error` draws from ``seed``
    (its draws do not depend on the outputs), recorded by a pass with zero outputs.
    """
    import numpy as np

    from invariant.equivariance import equivariance_error, sampler

    input_action, output_action, tail = _actions(spec)
    batches = []

    def record(x):
        batches.append(x)
        return np.zeros((x.shape[0],) + tail)

    equivariance_error(record, sampler(spec), np.random.default_rng(seed), trials=trials, batch=_BATCH,
                       input_action=input_action, output_action=output_action)
    return batches


def _one_line(text, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def _failed(path: str, header: dict):
    if "failure" in header:
        raise InvariantError(f"{path}: {_one_line(header['failure'])}")


def _shape_of(entry) -> tuple[int, ...] | None:
    """The shape an answer describes (a list of non-negative integers), or None."""
    shape = entry.get("shape") if isinstance(entry, dict) else None
    if isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        return tuple(shape)
    return None


def _described(entry) -> str:
    """How an answer describes a value: ``(8, 4) torch.float64``, a type name, or ``no output``.

    >>> _described({"shape": [8, 4], "dtype": "torch.float32"}), _described({"type": "int"}), _described({"ok": 1})
    ('(8, 4) torch.float32', 'int', 'no output')
    """
    shape = _shape_of(entry)
    if shape is not None:
        return _one_line(f"{shape} {entry.get('dtype')}", 80)
    if isinstance(entry, dict) and isinstance(entry.get("type"), str):
        return _one_line(entry["type"], 80)
    return "no output"


def measure(path: str, text: bytes, spec, box, trials: int, seed: int, tol: float, device: str) -> CheckResult:
    """The verdict on the file ``text`` (verified ``spec``), computed here from the answers of ``box``.

    ``box`` is a :class:`codegen.sandbox.Sandbox` running :class:`codegen.probe.Session`, or an
    :class:`InProcess`. It is sent the load request and then every (forward, input) pair,
    each forward's first input first and the rest in shuffled order; it returns nothing but
    weights and raw outputs, and every error, the disagreement and the verdict are computed
    from those and the checker's own inputs.
    """
    import numpy as np

    from invariant.channels import module_form
    from invariant.equivariance import equivariance_error, sampler

    kind = module_form(spec).kind
    hello, _ = box.receive(lambda header: 0)
    isolation = hello.get("isolation")
    if isolation not in ("pid namespace", "none", "in process"):
        raise sandbox.SandboxError("did not say how it is isolated")
    following = spec.at_n(spec.n + 1) if kind == "tensor" else spec
    stem = Path(path).stem
    box.send({"op": "load", "path": str(Path(path).resolve()), "name": stem if stem.isidentifier() else "module",
              "seed": seed, "device": device, "kind": kind, "n": spec.n,
              "n_next": following.n})
    source = provenance(text, spec)  # while the file's process starts
    families = _families(spec, kind)
    _, payload = box.receive(lambda h: _weights_size(path, h, families))
    weights = _split(payload, families) if families else ()

    names = {"vector": ["default", "dense", "explicit", "projected"], "dense": ["default"],
             "tensor": ["default", "dense", f"default at n={following.n}", f"dense at n={following.n}"]}[kind]
    at = [spec, spec, following, following] if kind == "tensor" else [spec] * len(names)
    inputs = {s.n: _inputs(s, trials, seed) for s in {spec, following}}
    outputs: list[list] = [[None] * len(inputs[s.n]) for s in at]
    # Each forward's first input first, in order (a forward that always fails is named the same on every run),
    # then the rest shuffled: the file's process cannot tell a copy g·x from its x by its place.
    rest = [(i, j) for i in range(len(names)) for j in range(1, len(inputs[at[i].n]))]
    random.SystemRandom().shuffle(rest)
    order = [(i, 0) for i in range(len(names))] + rest
    for i, j in order:
        x = inputs[at[i].n][j]
        expected = (x.shape[0],) + _actions(at[i])[2]
        _, data = box.request({"op": "forward", "index": i, "name": names[i], "shape": list(x.shape)},
                              np.ascontiguousarray(x, dtype="<f8").tobytes(),
                              lambda h, name=names[i], expected=expected: _output_size(path, h, name, expected))
        outputs[i][j] = np.frombuffer(data, dtype="<f8").reshape(expected)
    if kind != "tensor":  # the checker's own evaluation of weights(): no code of the file runs in it
        own = _dense if kind == "vector" else _contraction
        names.append("weights()")
        at.append(spec)
        outputs.append([own(spec, weights, x) for x in inputs[spec.n]])

    results, disagreement = [], 0.0
    references: dict[int, list] = {}  # {n: the outputs of the first forward at n}
    for name, s, ys in zip(names, at, outputs):
        input_action, output_action, _ = _actions(s)
        m = equivariance_error(_replay(ys), sampler(s), np.random.default_rng(seed), trials=trials, batch=_BATCH,
                               input_action=input_action, output_action=output_action)
        results.append(Forward(name, m.error, m.scale, m.finite))
        reference = references.setdefault(s.n, ys)
        with np.errstate(invalid="ignore"):  # inf - inf: a NaN gap, reported as such (np.max keeps NaN)
            gap = float(np.max([np.abs(y - r).max(initial=0.0) for y, r in zip(ys, reference)]))
        disagreement = math.nan if math.isnan(gap) or math.isnan(disagreement) else max(disagreement, gap)
    return CheckResult(path, str(spec), trials, tol, tuple(results), disagreement, source, isolation)


def _replay(outputs: list):
    """A function returning ``outputs`` one after the other: the answers to the inputs :func:`_inputs` recorded."""
    answers = iter(outputs)
    return lambda x: next(answers)


def _output_size(path: str, header: dict, name: str, expected: tuple[int, ...]) -> int:
    """The bytes of a forward's float64 output of shape ``expected``; InvariantError for anything else."""
    _failed(path, header)
    if _shape_of(header) != expected or header.get("dtype") != "torch.float64":
        raise InvariantError(f"{path}: the {name} forward returned {_described(header)}; "
                             f"the spec needs shape {expected} float64")
    return 8 * math.prod(expected)


def _families(spec, kind: str) -> list[tuple[str, tuple[int, ...], bool]]:
    """The tensors ``weights()`` must give: (name, shape, present) for vector layers, the families' for channels."""
    m, n, d = spec.outputs, spec.n, spec.degree
    if kind == "vector":
        return [("W", (m,) + (n,) * d, True), ("B", (m, n), spec.with_linear), ("C", (m,), spec.with_bias)]
    if kind == "tensor":
        return []
    points, c, e = n**spec.input_order, spec.in_channels, spec.out_channels
    degrees = [d] + [1] * spec.with_linear + [0] * spec.with_bias
    return [(f"family {i}", (m,) + (points,) * k + (c,) * k + (e,), True) for i, k in enumerate(degrees)]


def _weights_size(path: str, header: dict, families) -> int:
    """The bytes of the load answer's weights, checked against the spec's shapes."""
    _failed(path, header)
    if not families:
        return 0
    entries = header.get("weights")
    if not isinstance(entries, list) or len(entries) != len(families):
        count = f"{len(entries)} tensors" if isinstance(entries, list) else _described(entries)
        raise InvariantError(f"{path}: weights() gave {count}, the spec needs a tuple of {len(families)} tensors")
    size = 0
    for (name, shape, present), entry in zip(families, entries):
        got = _shape_of(entry)
        if got is None or entry.get("dtype") != "torch.float64" or (got != shape if present else math.prod(got) != 0):
            need = shape if present else "none"
            what = f"{name} of shape {got}" if got is not None else _described(entry)
            raise InvariantError(f"{path}: weights() gave {what}, the spec needs {need}")
        size += 8 * math.prod(got)
    return size


def _split(payload: bytes, families) -> tuple:
    """The weight arrays, in order, from the load answer's payload (absent families are empty)."""
    import numpy as np

    arrays, start = [], 0
    for _, shape, present in families:
        count = math.prod(shape) if present else 0
        array = np.frombuffer(payload, dtype="<f8", count=count, offset=start)
        arrays.append(array.reshape(shape if present else (0,)))
        start += 8 * count
    return tuple(arrays)


def _dense(spec, weights, x):
    """y_k = Σ W[k, i, j, ...] x_i x_j ... + Σ_i B[k, i] x_i + C[k], in float64."""
    import numpy as np

    w, b, c = weights
    letters = "abcdefgh"[: spec.degree]
    y = np.einsum(f"k{letters}," + ",".join(f"z{a}" for a in letters) + "->zk", w, *[x] * spec.degree, optimize=True)
    if spec.with_linear:
        y = y + x @ b.T
    return y + c if spec.with_bias else y


def _contraction(spec, weights, x):
    """The channel layer: y = Σ_families einsum(weight, x, ..., x) over flattened points and channels."""
    import numpy as np

    from .channels import output_tail

    points, c = spec.n**spec.input_order, spec.in_channels
    degrees = [spec.degree] + [1] * spec.with_linear + [0] * spec.with_bias
    flat = x.reshape(-1, points, c)
    y = 0
    for weight, d in zip(weights, degrees):
        if d == 0:
            y = y + weight
            continue
        point_letters, channel_letters = "abd"[:d], "pqr"[:d]
        inputs = "".join(f",z{a}{b}" for a, b in zip(point_letters, channel_letters))
        y = y + np.einsum(f"m{point_letters}{channel_letters}e{inputs}->zme", weight, *[flat] * d, optimize=True)
    return np.reshape(y, tuple(x.shape[: x.ndim - spec.input_order - 1]) + output_tail(spec))
