"""check's inspection on damaged modules, in this process: :func:`codegen.check.inspect_file` runs the
checker's code and the probe's (what the sandbox runs) with the probe answering here.

Each row: a damaged module, the verdict (``ok``, ``fail``: ran and an error is above
tolerance, ``error``: could not be imported, constructed or run) and a message fragment.
The command-line rows in test_cli_table.py run a few of these through the sandbox too.
"""

from __future__ import annotations

import math

import hostile
import pytest

from codegen.check import inspect_file
from invariant import InvariantError, LayerSpec

ROWS = [
    ("ok", "ok", "(ok, tol 1e-10"),
    ("nan", "fail", "non-finite output (NaN or inf) from default, dense, explicit, projected"),
    ("inf", "fail", "non-finite output (NaN or inf)"),
    ("raises", "error", "the default forward failed: RuntimeError: boom"),
    ("shape", "error", "the default forward returned (8, 3) torch.float64; the spec needs shape (8, 4) float64"),
    ("dtype", "error", "returned (8, 4) torch.float32"),
    ("ctor", "error", "the constructor failed: ValueError: no constructor today"),
    ("layer5", "error", "Layer is int, not a torch.nn.Module class"),
    ("spec_edited", "error", "SPEC does not hash to SHA256"),
    ("identity_pairs", "fail", "the forwards disagree"),
    ("respec", "fail", "FAIL"),
    ("table_w", "fail", "the forwards disagree"),
]


@pytest.mark.parametrize("kind, expected, fragment", ROWS, ids=[r[0] for r in ROWS])
def test_inspection(kind, expected, fragment, tmp_path):
    path = str(hostile.write(tmp_path, kind))
    if expected == "error":
        with pytest.raises(InvariantError, match="^" + path) as info:
            inspect_file(path, trials=3, seed=0, device="cpu")
        assert fragment in str(info.value) and "\n" not in str(info.value)
        return
    result = inspect_file(path, trials=3, seed=0, device="cpu")
    assert result.ok is (expected == "ok"), result.report()
    assert fragment in result.report()


def test_a_corrupted_pattern_table_fails_every_forward_but_the_power_sums(tmp_path):
    """The issue's case: the default (power-sum) forward never reads TABLE_W, the others do."""
    path = str(hostile.write(tmp_path, "table_w"))
    result = inspect_file(path, trials=5, seed=1, device="cpu")
    errors = {f.name: f.error for f in result.forwards}
    assert errors["default"] < 1e-10
    assert min(errors[name] for name in ("dense", "explicit", "projected", "weights()")) > 1e-3
    assert result.disagreement > 1e-3 and not result.ok


def test_identity_generator_pairs_do_not_decide_the_group(tmp_path):
    """GENERATOR_PAIRS set to the identity: the group still comes from the verified spec."""
    path = str(hostile.write(tmp_path, "identity_pairs"))
    result = inspect_file(path, trials=3, seed=0, device="cpu")
    errors = {f.name: f.error for f in result.forwards}
    assert errors["default"] > 1e-3 and errors["weights()"] < 1e-10


def test_nan_is_never_a_small_error(tmp_path):
    path = str(hostile.write(tmp_path, "nan"))
    result = inspect_file(path, trials=3, seed=0, device="cpu")
    assert math.isnan(result.max_error) and not result.ok


TENSOR_SPECS = [
    {"layer": "linear", "n": 4, "input_order": 2, "output_order": 2, "in_channels": 2, "out_channels": 3},
    {"layer": "quadratic", "n": 4, "input_order": 2, "output": "trivial", "outputs": 1, "out_channels": 3},
    {"layer": "quadratic", "n": 4, "in_channels": 2, "with_bias": True},
]


@pytest.mark.parametrize("kwargs", TENSOR_SPECS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_tensor_template_files_are_checked_at_their_n_and_at_n_plus_1(kwargs, tmp_path):
    """Tensor layers (any n, channels last): structured and dense forwards at n and n + 1, group from the spec."""
    path = str(hostile.write_tensor(tmp_path, LayerSpec(**kwargs)))
    result = inspect_file(path, trials=3, seed=0, device="cpu")
    assert [f.name for f in result.forwards] == ["default", "dense", "default at n=5", "dense at n=5"]
    assert result.ok, result.report()
