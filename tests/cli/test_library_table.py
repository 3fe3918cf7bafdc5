"""Issue 14's library cases as a table: each row a call, and the field its one-line InvariantError names.

Types are validated at construction (a string "false" is not False: the spec's identity and
its weights must not disagree), and a huge n is refused or held without allocating O(n).
"""

from __future__ import annotations

import importlib.util
import time
import tracemalloc
from pathlib import Path

import pytest

import invariant
from invariant import InvariantError, LayerSpec

ROWS = [
    ("with_linear-string", lambda: LayerSpec.build(layer="quadratic", n=4, with_linear="false"), "with_linear"),
    ("layer-none", lambda: LayerSpec(layer=None, n=4), "layer"),
    ("outputs-string", lambda: LayerSpec.build(layer="linear", output="trivial", outputs="2"), "outputs"),
    ("derive-a-string", lambda: invariant.derive("layer=linear, n=4"), "LayerSpec"),
    ("n-float", lambda: LayerSpec(layer="linear", n=4.0), "n"),
    ("n-bool", lambda: LayerSpec(layer="linear", n=True), "n"),
    ("n-5000-digits", lambda: LayerSpec(layer="linear", n=10**5000), "n"),
]


@pytest.mark.parametrize("name, call, field", ROWS, ids=[r[0] for r in ROWS])
def test_bad_values_are_one_line_invariant_errors(name, call, field):
    with pytest.raises(InvariantError) as info:
        call()
    message = str(info.value)
    assert field in message and "\n" not in message


def test_a_huge_n_allocates_nothing_before_validation():
    tracemalloc.start()
    start = time.process_time()
    spec = LayerSpec(layer="linear", n=10**9)
    seconds, peak = time.process_time() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert spec.n == 10**9 and seconds < 0.1 and peak < 1 << 20


def test_the_folded_example_refuses_a_negative_seed(capsys):
    path = Path(__file__).resolve().parents[2] / "examples" / "folded.py"
    spec = importlib.util.spec_from_file_location("folded_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--seed", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "seed" in err
