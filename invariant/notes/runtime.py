"""Shared set-up for the experiments: device choice and the output directory."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from invariant.errors import InvariantError


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


@cache
def cpp_extension(stem: str):
    """The C++ kernel ``csrc/<stem>.cpp``, compiled on first use (cached by torch on disk)."""
    from torch.utils.cpp_extension import load

    source = Path(__file__).with_name("csrc") / f"{stem}.cpp"
    return load(name=f"invariant_{stem}", sources=[str(source)], extra_cflags=["-O3", "-march=native"])
