"""Regenerate tests/golden/*.py after an intended change to the generator (review the diff).

Run from the repository root: ``python tests/update_golden.py``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "codegen")]

from test_channel_layers import GOLDEN as CHANNEL_GOLDEN  # noqa: E402
from test_channel_layers import GOLDEN_SPEC as CHANNEL_SPEC  # noqa: E402
from test_codegen import GOLDEN  # noqa: E402
from test_tensor_layers import GOLDEN as TENSOR_GOLDEN  # noqa: E402
from test_tensor_layers import GOLDEN_SPEC  # noqa: E402

from codegen import render_source  # noqa: E402
from invariant import LayerSpec  # noqa: E402

for path, kwargs in [(HERE / "golden" / name, kwargs) for name, kwargs in GOLDEN.items()] + [
    (TENSOR_GOLDEN, GOLDEN_SPEC), (CHANNEL_GOLDEN, CHANNEL_SPEC)
]:
    path.write_text(render_source(LayerSpec(**kwargs)))
    print(f"wrote {path}")
