"""Regenerate tests/golden/*.py after an intended change to the generator (review the diff)."""

from pathlib import Path

from codegen import render_source
from invariant import LayerSpec
from test_codegen import GOLDEN

for name, kwargs in GOLDEN.items():
    path = Path(__file__).parent / "golden" / name
    path.write_text(render_source(LayerSpec.build(**kwargs)))
    print(f"wrote {path}")
