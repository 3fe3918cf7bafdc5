"""Atomic file writes: a file appears whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InvariantError


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write a file all at once (temp file in the same folder, then rename)."""
    target = Path(path)
    payload = data.encode() if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.")
    except OSError as exc:
        raise InvariantError(f"cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, target)
    except OSError as exc:
        os.unlink(tmp)
        raise InvariantError(f"cannot write {target}: {exc.strerror}") from None
