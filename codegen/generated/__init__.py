"""Importable names for modules compiled in memory, so models holding them can be pickled.

``invariant.compile(spec)`` builds its module under the name ``codegen.generated.s<token>``,
where the token (:func:`codegen.render.spec_token`) is the canonical spec string, compressed and
base32-encoded. Pickle (and so ``torch.save``) records that name; in a fresh process, importing
it lands here, and :class:`_SpecFinder` renders the same source from the spec again. A name
that does not decode to a valid spec fails to import with the spec's own error message.

>>> from codegen.render import spec_from_token, spec_token
>>> token = spec_token("layer=linear, n=3, group=symmetric, output=permutation, outputs=3, "
...                    "param=triangular, with_linear=false, with_bias=false")
>>> spec_from_token(token)[:21]
'layer=linear, n=3, gr'
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import linecache
import sys


class _SpecFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``codegen.generated.s<token>`` and executes the source rendered from its spec."""

    def find_spec(self, fullname, path, target=None):
        parent, _, token = fullname.rpartition(".")
        if parent != __name__ or not token.startswith("s"):
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        from invariant.spec import LayerSpec

        from ..render import render_source, spec_from_token

        spec = LayerSpec.parse(spec_from_token(module.__name__.rpartition(".")[2]))
        source = render_source(spec)
        filename = f"<invariant {spec.sha256[:16]}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        module.__file__ = filename
        exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - our own generated code


if not any(isinstance(f, _SpecFinder) for f in sys.meta_path):
    sys.meta_path.append(_SpecFinder())
