"""Render a :class:`~codegen.record.LayerRecord` through the jinja2 template.

The output is deterministic: the same spec gives byte-identical source (no timestamp).
"""

from __future__ import annotations

import functools
import sys
import types

import jinja2

from invariant.spec import LayerSpec
from invariant.files import write_atomic

from .record import build_record


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


@functools.cache
def render_source(spec: LayerSpec, method: str = "auto") -> str:
    """The generated module's source for ``spec``."""
    return _environment().get_template("layer.py.j2").render(r=build_record(spec, method))


def emit_file(spec: LayerSpec, path: str, method: str = "auto") -> str:
    """Write the generated module to ``path`` atomically; returns the path."""
    write_atomic(path, render_source(spec, method))
    return path


@functools.cache
def compile_module(spec: LayerSpec, method: str = "auto") -> type:
    """The generated module class, compiled in-process from the same source (no file)."""
    name = f"invariant_generated_{spec.sha256[:16]}"
    module = types.ModuleType(name)
    module.__file__ = f"<invariant {spec}>"
    source = render_source(spec, method)
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - our own generated code
    sys.modules[name] = module
    return module.Layer
