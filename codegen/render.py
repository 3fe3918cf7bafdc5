"""Render a record through its jinja2 template; emit it to a file or compile it in memory.

Vector layers (orders 1 → 1 or 1 → invariant, one channel) use ``layer.py.j2`` and the
record of :mod:`codegen.record`; tensor orders and channels of S_n and A_n use
``tensor_layer.py.j2`` and the record of :mod:`codegen.tensor` (any n); those of every
other group use ``channel_layer.py.j2`` and the record of :mod:`codegen.channels` (dense,
fixed n). The output is deterministic:
the same spec gives byte-identical source (no timestamp). Compiled modules are importable by
a name that encodes their spec (:mod:`codegen.generated`), so models holding them pickle, and
register their source with :mod:`linecache`, so tracebacks and ``inspect.getsource`` show it.
"""

from __future__ import annotations

import base64
import functools
import importlib
import zlib
from collections.abc import Callable

import jinja2

from invariant.api import derive
from invariant.channels import module_form
from invariant.errors import InvariantError
from invariant.files import write_atomic
from invariant.spec import LayerSpec

from .channels import ChannelRecord, channel_record
from .record import LayerRecord, build_record
from .tensor import TensorRecord, build_tensor_record

TEMPLATES = {TensorRecord: "tensor_layer.py.j2", ChannelRecord: "channel_layer.py.j2", LayerRecord: "layer.py.j2"}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_record(record: LayerRecord | TensorRecord | ChannelRecord) -> str:
    """Place a record's values in its template."""
    return _environment().get_template(TEMPLATES[type(record)]).render(r=record)


@functools.lru_cache(maxsize=64)
def render_source(spec: LayerSpec, method: str = "auto") -> str:
    """The generated module's source for ``spec`` (cached on the canonical spec): the record
    of its module kind (:func:`invariant.channels.module_form`) placed in its template."""
    return render_record(RECORDS[module_form(spec).kind](spec, method))


def _tensor_record(spec: LayerSpec, method: str) -> TensorRecord:
    """The tensor module's record: realized from the pattern classes, whichever path is asked for."""
    if method not in ("auto", "pattern"):
        derive(spec, method=method)  # the path asked for runs; the module is realized from the pattern classes
    return build_tensor_record(derive(spec, method="pattern"))


#: The record builder of each module kind.
RECORDS: dict[str, Callable[[LayerSpec, str], LayerRecord | TensorRecord | ChannelRecord]] = {
    "vector": build_record, "tensor": _tensor_record, "dense": channel_record,
}


def spec_token(spec_text: str) -> str:
    """The module-name token of a canonical spec string (an identifier: s + base32, no padding)."""
    return "s" + base64.b32encode(zlib.compress(spec_text.encode(), 9)).decode().rstrip("=").lower()


def spec_from_token(token: str) -> str:
    """Inverse of :func:`spec_token`."""
    body = token[1:].upper()
    return zlib.decompress(base64.b32decode(body + "=" * (-len(body) % 8))).decode()


def emit_file(spec: LayerSpec, path: str, method: str = "auto") -> str:
    """Write the generated module to ``path`` atomically; returns the path."""
    write_atomic(path, render_source(spec, method))
    return path


def compile_module(spec: LayerSpec, method: str = "auto") -> type:
    """The generated module class, compiled in-process from the same source (no file).

    The module is importable by name (``codegen.generated.s<token>``, the token encoding the
    canonical spec), so pickled models holding its layers load in a fresh process. Every
    solver path gives the same classes, so ``method`` only chooses how the first render derives.
    """
    if not isinstance(spec, LayerSpec):
        raise InvariantError(f"compile takes a LayerSpec, got {type(spec).__name__}")
    render_source(spec, method)  # validates and derives with the requested path, cached
    return importlib.import_module(f"codegen.generated.{spec_token(str(spec))}").Layer
