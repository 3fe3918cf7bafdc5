"""examples/sets.py and examples/graphs.py: artifacts of a --quick run, determinism by seed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def quick_run(script, out, seed=0):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--quick", "--seed", str(seed),
                             "--threads", "1", "--device", "cpu", "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("script, figures, models", [
    ("sets.py", ["fig1_sets_metrics.png", "fig2_sets_training.png", "fig3_depth.png"],
     {"invariant-linear", "invariant-quadratic", "deepsets"}),
    ("graphs.py", ["fig1_graphs_metrics.png", "fig2_graphs_by_size.png"], {"invariant", "ign"}),
])
def test_quick_run_writes_everything_and_is_deterministic(tmp_path, script, figures, models):
    first = quick_run(script, tmp_path / "a")
    second = quick_run(script, tmp_path / "b")
    assert first == second  # results.json depends only on the seed (timings are apart)
    out = tmp_path / "a"
    assert sorted(p.name for p in out.glob("*.png")) == sorted(figures)
    assert {"seconds_per_epoch", "threads"} <= set(json.loads((out / "timings.json").read_text()))
    assert "invariance error (float64)" in (out / "report.md").read_text()
    for task in first["tasks"].values():
        assert set(task) == models
        for row in task.values():
            assert row["parameters"] > 0 and len(row["in_range"]) == len(first["seeds"])
            assert max(row["invariance_error"]) < 1e-9  # trained models stay invariant in float64


@pytest.mark.slow  # an example process importing torch
def test_bad_output_directory_is_one_line_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for script in ("sets.py", "graphs.py"):
        result = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--quick", "--out",
                                 str(blocker / "sub")], capture_output=True, text=True)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
