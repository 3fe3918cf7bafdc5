"""The checked file's side of ``invariant check``: import it, build its forwards, run them on given inputs.

This code runs beside the file, in the sandbox (:mod:`codegen.sandbox`), never in the
checker's process: the checker sends its source down a pipe, so it imports only the
standard library, numpy and torch (the ``invariant`` library is not loaded there). It
computes nothing about equivariance: the checker chooses every input, receives the raw
outputs and computes every error and the verdict itself. The file's code runs in this
process, so it may change anything here (torch included); that can make its outputs wrong,
never the comparison.

:class:`Session` answers two requests (a JSON header and a raw payload each):

- ``{"op": "load", "path", "name", "seed", "device", "kind", "n", "n_next"}``: import the file as
  module ``name``, construct the forwards of its kind with standard normal parameters from
  ``seed`` (``vector``: the default forward, ``forward_impl="dense"``, ``backward="explicit"``,
  ``mode="projected"`` loaded from ``weights()``; ``tensor``: the default and dense forwards
  at the spec's n and at ``n_next``; ``dense``: the default forward). The kind is
  :func:`invariant.channels.module_form`'s. The answer lists
  the tensors of ``weights()`` (vector and dense kinds; their float64 bytes are the
  payload), for the checker's own evaluation;
- ``{"op": "forward", "index", "name", "shape"}`` with a float64 input as payload: the
  output of forward ``index`` (its shape and dtype; its bytes when it is float64).

Anything the file's code raises (even ``SystemExit``) becomes ``{"failure": one line}``.
"""

from __future__ import annotations

import importlib.util
import sys


class _Failure(Exception):
    """The file could not be imported, constructed or run: one line for the user."""


def _guard(what: str, fn, *args, **kwargs):
    """Call into the file's code; anything it raises (even SystemExit) becomes one line."""
    try:
        return fn(*args, **kwargs)
    except _Failure:
        raise
    except BaseException as exc:  # noqa: BLE001 - the file is untrusted code: nothing may escape
        detail = (str(exc).strip().splitlines() or [""])[0][:200]
        raise _Failure(f"{what} failed: {type(exc).__name__}" + (f": {detail}" if detail else "")) from None


def _described(t) -> dict:
    """A tensor's shape and dtype (``{"type": name}`` for anything else)."""
    import torch

    if not isinstance(t, torch.Tensor):
        return {"type": type(t).__name__}
    return {"shape": list(t.shape), "dtype": str(t.dtype)}


class Session:
    """The requests of one check, answered in order (see the module docstring)."""

    def __init__(self) -> None:
        self.forwards: list = []

    def __call__(self, request: dict, payload: bytes) -> tuple[dict, bytes]:
        try:
            return _guard("the check", self._answer, request, payload)
        except _Failure as exc:
            return {"failure": str(exc)}, b""

    def _answer(self, request: dict, payload: bytes) -> tuple[dict, bytes]:
        if request["op"] == "load":
            return self._load(**{k: v for k, v in request.items() if k != "op"})
        return self._forward(request["index"], request["name"], request["shape"], payload)

    def _load(self, path: str, name: str, seed: int, device: str, kind: str, n: int, n_next: int) -> tuple[dict, bytes]:
        import torch

        if device == "cuda" and not torch.cuda.is_available():
            raise _Failure("device cuda was asked for, but CUDA is not available here")
        self.device = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                                   device.replace("auto", "cpu"))
        module = _import(path, name)
        layer = getattr(module, "Layer", None)
        if not (isinstance(layer, type) and issubclass(layer, torch.nn.Module)):
            raise _Failure(f"Layer is {type(layer).__name__}, not a torch.nn.Module class")
        options = {"dtype": torch.float64, "device": self.device}
        torch.manual_seed(seed)
        tied = _guard("the constructor", layer, **options)
        with torch.no_grad():
            for p in tied.parameters():
                p.copy_(torch.randn_like(p))
        weights: tuple = ()
        if kind == "tensor":
            self.forwards = [tied, _tied(layer, tied, "dense", forward_impl="dense", n=n, **options)]
            self.forwards += [tied, _tied(layer, tied, f"dense at n={n_next}", forward_impl="dense", n=n_next,
                                          **options)]
        elif kind == "dense":
            weights = _guard("weights()", tied.weights)
            self.forwards = [tied]
        else:
            self.forwards = [tied] + [_tied(layer, tied, name, **kwargs, **options) for name, kwargs in
                                      (("dense", {"forward_impl": "dense"}), ("explicit", {"backward": "explicit"}))]
            weights = _guard("weights()", tied.weights)
            projected = _guard("the constructor (projected)", layer, mode="projected", **options)
            if not isinstance(weights, tuple) or not all(isinstance(t, torch.Tensor) for t in weights):
                raise _Failure(f"weights() gave {type(weights).__name__}, not a tuple of tensors")
            flat = torch.cat([t.detach().reshape(-1) for t in weights])
            with torch.no_grad():
                _guard("the projected parameters", lambda: projected.flat.copy_(flat))
            _guard("project_()", projected.project_)
            self.forwards.append(projected)
        if not isinstance(weights, tuple):
            return {"weights": {"type": type(weights).__name__}}, b""
        tensors = [t.detach().to("cpu", torch.float64) if isinstance(t, torch.Tensor) else t for t in weights]
        return ({"weights": [_described(t) for t in tensors]},
                b"".join(t.numpy().tobytes() for t in tensors if isinstance(t, torch.Tensor)))

    def _forward(self, index: int, name: str, shape: list[int], payload: bytes) -> tuple[dict, bytes]:
        import numpy as np
        import torch

        x = torch.from_numpy(np.frombuffer(payload, dtype="<f8").reshape(shape).copy()).to(self.device)
        with torch.no_grad():
            y = _guard(f"the {name} forward", self.forwards[index], x)
        answer = _described(y)
        if answer.get("dtype") != "torch.float64":
            return answer, b""
        return answer, y.detach().to("cpu").numpy().astype("<f8", copy=False).tobytes()


def _import(path: str, name: str):
    """The file, imported from ``path`` as module ``name`` (a name already taken gets underscores)."""
    while name in sys.modules:
        name += "_"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise _Failure("not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    _guard("import", spec.loader.exec_module, module)
    return module


def _tied(layer, tied, name: str, **kwargs):
    """Another instance of ``layer`` (constructed with ``kwargs``) holding ``tied``'s parameters."""
    other = _guard(f"the constructor ({name})", layer, **kwargs)
    _guard(f"load_state_dict ({name})", other.load_state_dict, tied.state_dict())
    return other
