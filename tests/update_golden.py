"""Regenerate tests/golden/*.py after an intended change to the generator (review the diff).

Run from the repository root: ``python tests/update_golden.py``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "codegen")]

from codegen import render_source  # noqa: E402
from invariant import LayerSpec  # noqa: E402
from test_codegen import GOLDEN  # noqa: E402

for name, kwargs in GOLDEN.items():
    path = HERE / "golden" / name
    path.write_text(render_source(LayerSpec(**kwargs)))
    print(f"wrote {path}")
