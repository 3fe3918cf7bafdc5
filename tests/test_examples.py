"""The experiments in examples/: artifacts, determinism by seed, bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], capture_output=True, text=True)


def two_quick_runs(factory, script, seed):
    """Run ``script --quick`` twice with the same seed into two fresh directories."""
    outs = factory.mktemp("a"), factory.mktemp("b")
    for out in outs:
        result = run(script, "--quick", "--seed", str(seed), "--out", str(out))
        assert result.returncode == 0, result.stderr
    return outs


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    return two_quick_runs(tmp_path_factory, "antisymmetric.py", 3)


def test_antisymmetric_quick_writes_everything(quick_runs):
    out, _ = quick_runs
    data = json.loads((out / "results.json").read_text())
    for key in ("corr_delta2_Af2", "var_ratio_sin", "var_ratio_relu", "variance_vs_n", "determinant"):
        assert key in data
    row = data["variance_vs_n"][0]
    assert set(row) >= {"n", "var_f", "var_Af", "log_n_factorial", "input"}
    assert sorted(p.name for p in out.glob("*.png")) == [
        "fig1_delta2_vs_af2.png", "fig2_sin_af_vs_rs.png", "fig3_sin_f.png", "fig4_relu_f.png",
        "fig5_relu_af_vs_rs.png", "fig6_7_variance_vs_n.png"]
    assert "| note's claim | our measurement |" in (out / "report.md").read_text()
    # The exact sum really cancels for ReLU and not for the chaotic activation.
    assert data["var_ratio_relu"] < data["var_ratio_sin"]


def test_same_seed_same_results(quick_runs):
    a, b = quick_runs
    ra, rb = (json.loads((p / "results.json").read_text()) for p in (a, b))
    for r in (ra, rb):
        r.pop("seconds")
        for row in r["determinant"]:
            row.pop("seconds_per_input_det")
            row.pop("seconds_per_input_Af")
    assert ra == rb


def test_bad_output_directory_is_one_line_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("antisymmetric.py", "--quick", "--out", str(blocker / "sub"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "cannot create" in result.stderr


@pytest.fixture(scope="module")
def localization_runs(tmp_path_factory):
    return two_quick_runs(tmp_path_factory, "localization.py", 1)


def test_localization_quick_writes_everything_and_localizes(localization_runs):
    out, _ = localization_runs
    data = json.loads((out / "results.json").read_text())
    assert set(data) >= {"runs", "properties", "bumps"}
    assert set(data["runs"][0]) >= {"g", "xi0", "xi1", "n", "ipr", "excess_kurtosis"}
    erf_big = [r["ipr"] for r in data["runs"] if r["model"] == "erf" and r["g"] >= 10]
    gauss_big = [r["ipr"] for r in data["runs"] if r["model"] == "gaussian_matched" and r["g"] >= 10]
    assert min(erf_big) > 2 * max(gauss_big)
    assert sorted(p.name for p in out.glob("*.png")) == ["ipr.png", "receptive_fields.png"]


def test_localization_same_seed_same_results(localization_runs):
    ra, rb = (json.loads((p / "results.json").read_text()) for p in localization_runs)
    ra.pop("seconds")
    rb.pop("seconds")
    assert ra == rb


@pytest.mark.parametrize("args, message", [(["--xi0", "0"], "positive"), (["--n", "1"], "at least 2"),
                                           (["--lr", "-1"], "positive"), (["--lr", "1e4"], "unstable step size")])
def test_localization_bad_input(tmp_path, args, message):
    result = run("localization.py", "--quick", "--out", str(tmp_path / "o"), *args)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o" / "results.json").exists()
