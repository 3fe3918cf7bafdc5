"""examples/variety.py --quick: files written, arm (b) stays on V, the beyond-layerwise target is fit."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # the whole --quick example (about 45 s)
def test_quick_example(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "variety.py"), "--quick", "--threads", "1",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    for name in ("results.json", "timings.json", "report.md", "fig1_loss.png", "fig2_equivariance.png"):
        assert (tmp_path / name).stat().st_size > 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["variety"]["numerical_dim"] == 12 and res["variety"]["num_weights"] == 15
    for target in res["targets"].values():
        assert target["arms"]["variety"]["max_equivariance_error"] <= 1e-10
        assert target["arms"]["unconstrained"]["final_equivariance_error"] > 1e-6  # augmentation is approximate
    beyond = res["targets"]["beyond_layerwise"]
    assert beyond["layerwise_fit_residual"] > 1e-3
    assert beyond["arms"]["variety_target_component"]["final_test"] < 1e-3 * beyond["arms"]["layerwise"]["final_test"]


@pytest.mark.slow  # the example in a subprocess (imports torch)
def test_bad_option_exits_2(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "variety.py"), "--threads", "0",
                             "--out", str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
