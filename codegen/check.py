"""``invariant check FILE.py``: run a generated module in a subprocess and measure every forward.

**Trust boundary.** Checking executes the file: it is imported as a Python module (in a
separate process, under a timeout), so trust it as you would any Python module. What the
check guarantees is that the *file cannot fool the verdict*:

- the file's ``SPEC`` must hash to its ``SHA256`` and re-parse, canonically, with
  :meth:`invariant.LayerSpec.parse`; the group elements come from that spec through the
  library (:func:`invariant.equivariance.sampler`), never from the file's ``GENERATOR_PAIRS``;
- every forward the module offers is measured: for vector layers the default (structured
  where the module has one), ``forward_impl="dense"``, ``backward="explicit"``,
  ``mode="projected"``, and the weights from ``weights()`` evaluated by the checker's own
  formula y_k = Σ W[k, i, j, ...] x_i x_j ... + Σ_i B[k, i] x_i + C[k]; for tensor-template
  layers (tensor orders or channels, any n) the structured and dense forwards at the spec's
  n and at n + 1. Forwards at the same n must agree;
- NaN or inf in any output fails;
- a file that cannot be imported, constructed or run (an exception, ``SystemExit`` or
  ``KeyboardInterrupt`` at import, a raising constructor or forward, a wrong output shape or
  dtype, ``Layer`` not a module class, exiting or hanging) is an error, not a verdict.

Verdicts: :class:`CheckResult` (its ``ok`` says whether every error is within
tol · max(1, max |f(x)|)); errors: :class:`~invariant.errors.InvariantError` with one line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from invariant.errors import InvariantError

#: Seconds a check may run (import, construction and every forward) before it is stopped.
DEFAULT_TIMEOUT = 60.0
#: Seeds are 32-bit: numpy and torch both take them unchanged.
MAX_SEED = 2**32 - 1
DEVICES = ("auto", "cpu", "cuda")
_BATCH = 8


@dataclass(frozen=True)
class Forward:
    """One forward of the module: its name, equivariance error, output scale, finiteness."""

    name: str
    error: float
    scale: float
    finite: bool


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a file that ran: every forward's error and how far the forwards disagree."""

    path: str
    spec: str
    trials: int
    tol: float
    forwards: tuple[Forward, ...]
    disagreement: float

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
        """Two lines: the spec checked, then the errors and the verdict."""
        bound = self.tol * max(1.0, self.scale)
        nonfinite = [f.name for f in self.forwards if not f.finite]
        parts = ", ".join(f"{f.name} {f.error:.1e}" for f in self.forwards if f.finite)
        verdict = "ok" if self.ok else "FAIL"
        head = f"{self.path}: max |f(g·x) - ρ(g) f(x)| = {self.max_error:.3e} over {self.trials} random group elements"
        if nonfinite:
            head += f"; non-finite output (NaN or inf) from {', '.join(nonfinite)}"
        disagree = "disagree" if not self.disagreement <= bound else "agree"
        return (f"checked spec: {self.spec} (sha256 verified; group elements from the spec)\n"
                f"{head} [{parts}]; the forwards {disagree} to {self.disagreement:.1e} "
                f"({verdict}, tol {self.tol:g} relative to max(1, |f(x)|) = {max(1.0, self.scale):.3g})")


def torch_available() -> bool:
    """Whether ``import torch`` can succeed in this interpreter (without importing it)."""
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None
    return importlib.util.find_spec("torch") is not None


def check_file(path: str, trials: int = 20, seed: int = 0, tol: float = 1e-10,
               timeout: float = DEFAULT_TIMEOUT, device: str = "auto") -> CheckResult:
    """Run the checks on ``path`` in a subprocess (see the module docstring); raise InvariantError when it cannot run."""
    _validate(trials, seed, tol, timeout, device)
    if not torch_available():
        raise InvariantError("invariant check needs torch, which is not installed: "
                             "pip install torch (or pip install 'invariant[torch]')")
    file = Path(path)
    if not file.is_file():
        raise InvariantError(f"{path}: no such file")
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    with tempfile.TemporaryDirectory(prefix="invariant-check-") as tmp:
        result_path, log_path = Path(tmp, "result.json"), Path(tmp, "stderr.txt")
        config = dict(path=str(file.resolve()), trials=trials, seed=seed, device=device, result=str(result_path))
        with open(log_path, "wb") as log:
            child = subprocess.Popen([sys.executable, "-m", "codegen.check", json.dumps(config)], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                     start_new_session=True)
            try:
                code = child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                raise InvariantError(f"{path}: did not finish within {timeout:g} s (the timeout can be raised)") from None
        if not result_path.is_file():
            last = (log_path.read_text(errors="replace").strip().splitlines() or [""])[-1][:200]
            raise InvariantError(f"{path}: the checking process ended with exit code {code} before reporting"
                                 + (f" ({last})" if last else ""))
        report = json.loads(result_path.read_text())
    return verdict(path, report, trials, tol)


def verdict(path: str, report: dict, trials: int, tol: float) -> CheckResult:
    """The :class:`CheckResult` of an :func:`inspect_file` report; InvariantError if the file could not run."""
    if "failure" in report:
        raise InvariantError(f"{path}: {report['failure']}")
    forwards = tuple(Forward(**f) for f in report["forwards"])
    return CheckResult(path, report["spec"], trials, tol, forwards, report["disagreement"])


def _validate(trials, seed, tol, timeout, device) -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InvariantError(f"trials must be a positive integer (a check that checks nothing proves nothing), got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvariantError(f"seed must be an integer from 0 to 2**32 - 1, got {seed!r}")
    if not (isinstance(tol, (int, float)) and 0 < tol < math.inf):
        raise InvariantError(f"tol must be a positive finite number, got {tol!r}")
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 1e6):
        raise InvariantError(f"timeout must be a positive number of seconds up to 1e6, got {timeout!r}")
    if device not in DEVICES:
        raise InvariantError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")


# --- the checking process -------------------------------------------------------------------


class _Failure(Exception):
    """The file could not be imported, constructed or run: one line for the user."""


def _guard(what: str, fn, *args, **kwargs):
    """Call into the file's code; anything it raises (even SystemExit) becomes one line."""
    try:
        return fn(*args, **kwargs)
    except _Failure:
        raise
    except BaseException as exc:  # noqa: B036 - the file is untrusted code: nothing may escape
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        raise _Failure(f"{what} failed: {type(exc).__name__}" + (f": {detail}" if detail else "")) from None


def _load(path: str):
    name = "invariant_checked_" + hashlib.sha256(path.encode()).hexdigest()[:16]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise _Failure("not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    _guard("import", spec.loader.exec_module, module)
    return module


def _verified_spec(module):
    from invariant import LayerSpec

    text, digest = getattr(module, "SPEC", None), getattr(module, "SHA256", None)
    if not isinstance(text, str) or not isinstance(digest, str):
        raise _Failure("not a module written by invariant emit (SPEC and SHA256 strings missing)")
    if hashlib.sha256(text.encode()).hexdigest() != digest:
        raise _Failure("SPEC does not hash to SHA256: the file's spec was altered")
    try:
        spec = LayerSpec.parse(text)
    except InvariantError as exc:
        raise _Failure(f"its SPEC does not parse: {exc}") from None
    if str(spec) != text:
        raise _Failure("its SPEC is not in canonical form")
    return spec


def _dense(weights, spec):
    """The checker's own evaluation of (W, B, C): no code of the file runs in it."""
    import torch

    w, b, c = weights
    m, n, d = spec.outputs, spec.n, spec.degree
    shapes = {"W": (w, (m,) + (n,) * d, True), "B": (b, (m, n), spec.with_linear), "C": (c, (m,), spec.with_bias)}
    for name, (t, shape, present) in shapes.items():
        if not isinstance(t, torch.Tensor) or (tuple(t.shape) != shape if present else t.numel() != 0):
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise _Failure(f"weights() gave {name} of shape {got}, the spec needs {shape if present else 'none'}")
    letters = "abcdefgh"[:d]
    formula = f"k{letters}," + ",".join(f"z{a}" for a in letters) + "->zk"

    class Dense(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("w", w)
            self.register_buffer("b", b)
            self.register_buffer("c", c)

        def forward(self, x):
            y = torch.einsum(formula, self.w, *[x] * d)
            if spec.with_linear:
                y = y + x @ self.b.T
            return y + self.c if spec.with_bias else y

    return Dense()


def _randomized(module, seed: int, device):
    """(the Layer class, float64 options, an instance with standard normal parameters)."""
    import torch

    layer = module.Layer
    if not (isinstance(layer, type) and issubclass(layer, torch.nn.Module)):
        raise _Failure(f"Layer is {type(layer).__name__}, not a torch.nn.Module class")
    torch.manual_seed(seed)
    options = {"dtype": torch.float64, "device": device}
    instance = _guard("the constructor", layer, **options)
    with torch.no_grad():
        for p in instance.parameters():
            p.copy_(torch.randn_like(p))
    return layer, options, instance


def _forwards(module, spec, seed: int, device):
    """Every forward the module offers, sharing one set of random parameters."""
    import torch

    layer, options, tied = _randomized(module, seed, device)
    state = tied.state_dict()
    forwards = {"default": tied}
    for name, kwargs in (("dense", {"forward_impl": "dense"}), ("explicit", {"backward": "explicit"})):
        other = _guard(f"the constructor ({name})", layer, **kwargs, **options)
        _guard(f"load_state_dict ({name})", other.load_state_dict, state)
        forwards[name] = other
    weights = _guard("weights()", tied.weights)
    projected = _guard("the constructor (projected)", layer, mode="projected", **options)
    flat = torch.cat([t.detach().reshape(-1) for t in weights])
    with torch.no_grad():
        _guard("the projected parameters", lambda: projected.flat.copy_(flat))
    _guard("project_()", projected.project_)
    forwards["projected"] = projected
    forwards["weights()"] = _dense(tuple(t.detach() for t in weights), spec)
    return forwards


def _tensor_forwards(module, spec, seed: int, device):
    """The tensor template's forwards (structured, dense), at the spec's n and at n + 1 (they take any n)."""
    layer, options, structured = _randomized(module, seed, device)
    probes = {}
    for at in (spec, spec.at_n(spec.n + 1)):
        suffix = "" if at is spec else f" at n={at.n}"
        dense = _guard(f"the constructor (dense{suffix})", layer, forward_impl="dense", n=at.n, **options)
        _guard(f"load_state_dict (dense{suffix})", dense.load_state_dict, structured.state_dict())
        probes.update({"default" + suffix: (structured, at), "dense" + suffix: (dense, at)})
    return probes


def _channel_forwards(module, spec, seed: int, device):
    """The channel template's forward and the checker's own contraction of its ``weights()``."""
    import torch

    from .channels import output_tail

    _, _, layer = _randomized(module, seed, device)
    dense = _guard("weights()", layer.weights)
    degrees = [spec.degree] + [1] * spec.with_linear + [0] * spec.with_bias
    if not isinstance(dense, tuple) or len(dense) != len(degrees):
        raise _Failure(f"weights() gave {type(dense).__name__}, the spec needs a tuple of {len(degrees)} tensors")
    m, points = spec.outputs, spec.n**spec.input_order
    c, e = spec.in_channels, spec.out_channels
    for t, d in zip(dense, degrees):
        shape = (m,) + (points,) * d + (c,) * d + (e,)
        if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape:
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise _Failure(f"weights() gave a tensor of shape {got}, the spec needs {shape}")
    tail = output_tail(spec)

    class Own(torch.nn.Module):
        """y = Σ_families einsum(weight, x, ..., x): no code of the file runs in it."""

        def __init__(self):
            super().__init__()
            for i, t in enumerate(dense):
                self.register_buffer(f"w{i}", t.detach())

        def forward(self, x):
            flat = x.reshape(-1, points, c)
            y = 0
            for i, d in enumerate(degrees):
                weight = getattr(self, f"w{i}")
                if d == 0:
                    y = y + weight
                    continue
                point_letters, channel_letters = "abd"[:d], "pqr"[:d]
                inputs = "".join(f",z{a}{b}" for a, b in zip(point_letters, channel_letters))
                y = y + torch.einsum(f"m{point_letters}{channel_letters}e{inputs}->zme", weight, *[flat] * d)
            return y.reshape(tuple(x.shape[: x.dim() - spec.input_order - 1]) + tail)

    return {"default": (layer, spec), "weights()": (Own(), spec)}


def _actions(spec):
    """Input and output actions and the output's trailing shape, as the spec's template lays them out."""
    from invariant.equivariance import VECTOR

    from .channels import actions, output_tail, uses_channel_path
    from .tensor import uses_tensor_path

    if not (uses_tensor_path(spec) or uses_channel_path(spec)):
        return VECTOR, VECTOR, (spec.outputs,)
    return (*actions(spec), output_tail(spec))


def inspect_file(path: str, trials: int, seed: int, device: str) -> dict:
    """The checks themselves, run inside the checking process: a JSON-able report, or ``{"failure": line}``."""
    try:
        return _guard("the check", _inspect, path, trials, seed, device)
    except _Failure as exc:
        return {"failure": str(exc)}


def _inspect(path: str, trials: int, seed: int, device: str) -> dict:
    module = _load(path)
    spec = _verified_spec(module)
    if not isinstance(getattr(module, "Layer", None), type):
        raise _Failure(f"Layer is {type(getattr(module, 'Layer', None)).__name__}, not a torch.nn.Module class")
    import numpy as np
    import torch

    from invariant.testing import equivariance_error

    from .channels import uses_channel_path
    from .tensor import uses_tensor_path

    if device == "cuda" and not torch.cuda.is_available():
        raise _Failure("device cuda was asked for, but CUDA is not available here")
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else device.replace("auto", "cpu"))
    if uses_tensor_path(spec):
        probes = _tensor_forwards(module, spec, seed, dev)
    elif uses_channel_path(spec):
        probes = _channel_forwards(module, spec, seed, dev)
    else:
        probes = {name: (f, spec) for name, f in _forwards(module, spec, seed, dev).items()}
    disagreement, results, references = 0.0, [], {}
    for name, (f, at) in probes.items():
        input_action, output_action, tail = _actions(at)
        x = torch.from_numpy(np.random.default_rng(seed).standard_normal((_BATCH,) + input_action.shape(at.n))).to(dev)
        y = _guard(f"the {name} forward", f, x)
        expected = (_BATCH,) + tail
        if not isinstance(y, torch.Tensor) or tuple(y.shape) != expected or y.dtype != torch.float64:
            got = f"{tuple(y.shape)} {y.dtype}" if isinstance(y, torch.Tensor) else type(y).__name__
            raise _Failure(f"the {name} forward returned {got}; the spec needs shape {expected} float64")
        reference = references.setdefault(at.n, y.detach())
        gap = float((y.detach() - reference).abs().max())
        disagreement = math.nan if math.isnan(gap) or math.isnan(disagreement) else max(disagreement, gap)
        m = _guard(f"the {name} forward", equivariance_error, f, at, trials=trials, batch=_BATCH, seed=seed,
                   input_action=input_action, output_action=output_action)
        results.append(dict(name=name, error=m.error, scale=m.scale, finite=m.finite))
    return dict(spec=str(spec), forwards=results, disagreement=disagreement)


def _child(config_json: str) -> int:
    config = json.loads(config_json)
    report = inspect_file(config["path"], config["trials"], config["seed"], config["device"])
    Path(config["result"]).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
