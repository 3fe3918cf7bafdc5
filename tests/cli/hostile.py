"""Generated modules, whole and damaged: the files a hostile (or unlucky) user hands to ``check``.

Each damage is a small text change to a module written by ``emit``. Changes made by
*appending* code (overriding ``Layer`` or module constants) do not depend on the template's
layout; only the corrupted ``TABLE_W`` edits a line the template writes.
"""

from __future__ import annotations

import re
from pathlib import Path

from codegen.render import render_source
from invariant import LayerSpec

#: quadratic, S_4, with bias: weights by index patterns (TABLE_W) and a power-sum forward.
BASE = LayerSpec.build(layer="quadratic", n=4, with_bias=True)

_OVERRIDE = """

_Checked = Layer


class Layer(_Checked):
{body}
"""

PREPEND = {
    "exit0": "import sys\nsys.exit(0)\n",
    "systemexit3": "raise SystemExit(3)\n",
    "keyboard": "raise KeyboardInterrupt\n",
    "hang": "while True:\n    pass\n",
    "os_exit": "import os\nos._exit(0)\n",
    "syntax": "def (:\n",
}

OVERRIDE = {
    "nan": "    def forward(self, x):\n        return super().forward(x) * float('nan')\n",
    "inf": "    def forward(self, x):\n        return super().forward(x) + float('inf')\n",
    "raises": "    def forward(self, x):\n        raise RuntimeError('boom')\n",
    "shape": "    def forward(self, x):\n        return super().forward(x)[..., :-1]\n",
    "dtype": "    def forward(self, x):\n        return super().forward(x).float()\n",
    "ctor": "    def __init__(self, *args, **kwargs):\n        raise ValueError('no constructor today')\n",
    # Identity generator pairs and weights that are not equivariant: the old check passed it.
    "identity_pairs": ("    generator_pairs = tuple(((0, 1, 2, 3), (0, 1, 2, 3), 1) for _ in range(2))\n\n"
                       "    def forward(self, x):\n"
                       "        return super().forward(x) * torch.arange(1.0, 5.0, dtype=x.dtype)\n"),
}

KINDS = ("ok", *PREPEND, *OVERRIDE, "layer5", "spec_edited", "respec", "table_w")


def write(directory: Path, kind: str) -> Path:
    """Write the module damaged as ``kind`` (``ok`` for the untouched one) and return its path."""
    source = render_source(BASE)
    if kind in PREPEND:
        source = PREPEND[kind] + source
    elif kind in OVERRIDE:
        source += _OVERRIDE.format(body=OVERRIDE[kind])
    elif kind == "layer5":  # a valid SPEC and SHA256, and no torch import: the check must not need one to refuse
        source = f'SPEC = "{BASE}"\nSHA256 = "{BASE.sha256}"\nLayer = 5\n'
    elif kind == "spec_edited":  # SPEC changed, SHA256 not
        source = f'SPEC = "{str(BASE).replace("with_bias=true", "with_bias=false")}"\nSHA256 = "{BASE.sha256}"\n'
    elif kind == "respec":  # a cyclic layer whose SPEC and SHA256 both claim the symmetric group
        claimed = LayerSpec.build(layer="quadratic", n=4)
        source = render_source(LayerSpec.build(layer="quadratic", n=4, group="cyclic"))
        source += f'\nSPEC = "{claimed}"\nSHA256 = "{claimed.sha256}"\n'
    elif kind == "table_w":  # one weight pattern moved to another class; the power-sum forward does not read it
        line = re.search(r"^TABLE_W = \(\((-?\d+), (-?\d+),", source, flags=re.M)
        assert line and line.group(1) != line.group(2), "the template no longer writes TABLE_W as expected"
        source = source.replace(line.group(0), f"TABLE_W = (({line.group(2)}, {line.group(1)},", 1)
    else:
        assert kind == "ok", kind
    path = directory / f"{kind}.py"
    path.write_text(source)
    return path


def write_tensor(directory: Path, spec: LayerSpec) -> Path:
    """Write the tensor-template module of ``spec`` (tensor orders or channels, S_n)."""
    path = directory / "tensor.py"
    path.write_text(render_source(spec))
    return path
