"""The experiments in examples/: artifacts, byte-identical results by seed, bad input, full disks.

Tests that run whole ``--quick`` examples or start an example's process are marked slow
(``pytest -m "not slow"`` leaves them out; CI runs them).
"""

import errno
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("antisymmetric.py", "localization.py", "parity.py", "jacobian.py")


def run(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], capture_output=True, text=True)


def two_quick_runs(factory, script, seed):
    """Run ``script --quick`` twice with the same seed into two fresh directories."""
    outs = factory.mktemp("a"), factory.mktemp("b")
    for out in outs:
        result = run(script, "--quick", "--seed", str(seed), "--out", str(out))
        assert result.returncode == 0, result.stderr
    return outs


def load_example(name, monkeypatch):
    """Import examples/<name>.py as a fresh module (to call its main in-process); it is
    registered in sys.modules for the test's duration, as dataclasses need."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    return two_quick_runs(tmp_path_factory, "antisymmetric.py", 3)


@pytest.mark.slow
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


@pytest.mark.slow  # one example process per case (imports torch)
def test_bad_output_directory_is_one_line_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("antisymmetric.py", "--quick", "--out", str(blocker / "sub"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "cannot create" in result.stderr


@pytest.fixture(scope="module")
def localization_runs(tmp_path_factory):
    return two_quick_runs(tmp_path_factory, "localization.py", 1)


@pytest.mark.slow
def test_localization_quick_writes_everything_and_localizes(localization_runs):
    out, _ = localization_runs
    data = json.loads((out / "results.json").read_text())
    assert set(data) >= {"runs", "properties", "bumps"}
    assert set(data["runs"][0]) >= {"g", "xi0", "xi1", "n", "ipr", "excess_kurtosis"}
    erf_big = [r["ipr"] for r in data["runs"] if r["model"] == "erf" and r["g"] >= 10]
    gauss_big = [r["ipr"] for r in data["runs"] if r["model"] == "gaussian_matched" and r["g"] >= 10]
    assert min(erf_big) > 2 * max(gauss_big)
    assert sorted(p.name for p in out.glob("*.png")) == ["ipr.png", "receptive_fields.png"]


@pytest.mark.parametrize("args, message", [(["--xi0", "0"], "positive"), (["--n", "1"], "at least 2"),
                                           (["--lr", "-1"], "positive"), (["--lr", "1e4"], "unstable step size")])
@pytest.mark.slow  # one example process per case (imports torch)
def test_localization_bad_input(tmp_path, args, message):
    result = run("localization.py", "--quick", "--out", str(tmp_path / "o"), *args)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o" / "results.json").exists()


@pytest.fixture(scope="module")
def parity_runs(tmp_path_factory):
    return two_quick_runs(tmp_path_factory, "parity.py", 2)


@pytest.mark.slow
def test_parity_quick_writes_everything(parity_runs):
    out, _ = parity_runs
    data = json.loads((out / "results.json").read_text())
    figures = {f"fig{k}.png" for k in range(2, 10)}
    assert {p.name for p in out.glob("*.png")} == figures and set(data["figures"]) == figures
    for run in data["runs"]:
        assert set(run) >= {"name", "n", "target", "init", "sample_size", "final_train_error", "final_true_error",
                            "curve", "seeds", "final_true_error_std"}
        assert len(run["final_true_error_seeds"]) == len(run["seeds"]) == 2
        assert run["curve"][0]["epoch"] == 0 and run["curve"][-1]["epoch"] == run["epochs"]
    report = (out / "report.md").read_text()
    assert "| figure | note's claim | measured (train / true error) | agreement |" in report
    claims_table = report.split("| figure | note's claim |")[1].split("\n\n")[0]
    claim_rows = claims_table.splitlines()[2:]  # after the header's rest and the |---| line
    assert [row.split(" | ")[0] for row in claim_rows] == [f"| fig{k}" for k in range(2, 10)]  # each claim once
    assert all(row.split(" | ")[-1].rstrip(" |").startswith(("agrees", "differs", "partly", "— (no claim)"))
               for row in claim_rows)
    # With h = n^-6 the hidden layer barely moves: frozen and trained runs see the same data and agree.
    fig2 = {(r["n"], r["target"], r["hidden"]): r for r in data["runs"] if r["figure"] == "fig2"}
    for (n, target, hidden), r in fig2.items():
        if hidden == "frozen":
            assert r["final_train_error_seeds"] == fig2[(n, target, "trained")]["final_train_error_seeds"]


@pytest.mark.parametrize("args, message", [
    (["--n", "0"], "--n must be at least 1"), (["--sample-size", "0"], "--sample-size must be at least 1"),
    (["--step-size", "0"], "--step-size must be positive"), (["--step-size", "-0.1"], "--step-size must be positive"),
    (["--target", "xor"], "unknown target 'xor'"), (["--init", "zeros"], "unknown init 'zeros'"),
    (["--seeds", "0"], "at least 1"), (["--min-epochs", "-1"], "--min-epochs at least 0")])
@pytest.mark.slow  # one example process per case (imports torch)
def test_parity_bad_input(tmp_path, args, message):
    result = run("parity.py", "--out", str(tmp_path / "o"), *args)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_parity_custom_run(tmp_path):
    result = run("parity.py", "--n", "6", "--target", "majority", "--init", "random", "--sample-size", "30",
                 "--step-size", "0.05", "--seeds", "1", "--max-steps", "3000", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "results.json").read_text())
    assert [(r["hidden"], r["step_size"], r["sample_size"]) for r in data["runs"]] == [
        ("frozen", 0.05, 30), ("trained", 0.05, 30)]
    assert data["runs"][0]["epochs"] == 100
    longer = run("parity.py", "--n", "6", "--sample-size", "30", "--seeds", "1", "--max-steps", "3000",
                 "--min-epochs", "150", "--out", str(tmp_path / "longer"))
    assert longer.returncode == 0, longer.stderr
    assert json.loads((tmp_path / "longer" / "results.json").read_text())["runs"][0]["epochs"] == 150


@pytest.fixture(scope="module")
def jacobian_runs(tmp_path_factory):
    return two_quick_runs(tmp_path_factory, "jacobian.py", 4)


@pytest.mark.slow
def test_jacobian_quick_writes_everything(jacobian_runs):
    out, _ = jacobian_runs
    data = json.loads((out / "results.json").read_text())
    assert {p.name for p in out.glob("*.png")} == set(data["figures"]) == {
        "fig1_phase_diagram.png", "fig2_spectra.png", "fig3_phi_prime.png", "fig4_equivariant.png",
        "fig5_width_scan.png"}
    rows = data["table"]
    assert {(r["activation"], r["weights"]) for r in rows} == {
        (a, w) for a in ("linear", "relu", "hard_tanh", "erf") for w in ("gaussian", "orthogonal")}
    for r in rows:
        assert set(r) >= {"activation", "weights", "L", "N", "mean", "variance", "predicted_mean", "predicted_variance"}
        if r["L"] == 2:  # shallow: the measured mean is near χ^L = 1 even at N = 200
            assert abs(r["mean"] - r["predicted_mean"]) < 0.1
        assert r["networks"] == data["config"]["table_networks"] and r["mean_se"] >= 0 and r["variance_se"] >= 0
        if (r["activation"], r["weights"]) == ("linear", "orthogonal"):  # an isometry at every depth
            assert abs(r["mean"] - 1) < 1e-12 and abs(r["variance"]) < 1e-10
    assert {(r["activation"], r["weights"], r["L"]) for r in data["spectra_moments"]} == {
        (a, w, L) for a, w in (("linear", "gaussian"), ("relu", "orthogonal"), ("hard_tanh", "orthogonal"),
                               ("erf", "orthogonal")) for L in data["config"]["spectrum_depths"]}
    # The density found from the master equation carries the closed-form moments (Table 1).
    for d in data["density_checks"]:
        assert d["mean"] == pytest.approx(d["predicted_mean"], rel=1e-3)
        assert d["variance"] == pytest.approx(d["predicted_variance"], rel=1e-3)
    cfg = data["config"]
    assert sorted((r["N"], r["weights"]) for r in data["width_scan"]) == sorted(
        (n, w) for n in cfg["scan_widths"] for w in ("gaussian", "orthogonal"))
    assert all(r["L"] == cfg["scan_depth"] and r["networks"] == cfg["scan_networks"] for r in data["width_scan"])
    # The derived split of S_n-equivariant Jacobians matches jacrev.
    assert all(row["max_relative_error"] < 1e-8 for row in data["equivariant"]["rows"])
    assert "## Table 1" in (out / "report.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--sigma-w", "0"], "σ_w must be positive"), (["--sigma-b", "-1"], "σ_b must be non-negative"),
    (["--activation", "softsign"], "unknown activation 'softsign'"), (["--width", "1"], "--width must be at least 2"),
    (["--depth", "0"], "--depth must be at least 1"), (["--sigma-w", "3", "--activation", "linear"], "diverges")])
@pytest.mark.slow  # one example process per case (imports torch)
def test_jacobian_bad_input(tmp_path, args, message):
    result = run("jacobian.py", "--quick", "--out", str(tmp_path / "o"), *args)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["quick_runs", "localization_runs", "parity_runs", "jacobian_runs"])
def test_same_seed_byte_identical_results_and_the_clock_apart(fixture, request):
    a, b = request.getfixturevalue(fixture)
    assert (a / "results.json").read_bytes() == (b / "results.json").read_bytes()
    assert "seconds" not in (a / "results.json").read_text()
    timings = json.loads((a / "timings.json").read_text())
    assert timings["seconds"] > 0 and timings["threads"] >= 1
    assert f"with {timings['threads']} thread" in (a / "report.md").read_text()


@pytest.mark.parametrize("script", EXAMPLES)
def test_threads_option_is_documented_and_validated(script, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    example = load_example(script.removesuffix(".py"), monkeypatch)
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"  # set on import, before OpenMP starts in a fresh process
    with pytest.raises(SystemExit):
        example.main(["--help"])
    assert "all cores this process may use, capped by OMP_NUM_THREADS" in " ".join(capsys.readouterr().out.split())
    assert example.main(["--quick", "--threads", "0", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    cores = len(os.sched_getaffinity(0))
    assert err == (f"{script.removesuffix('.py')}: error: --threads must be an integer from 1 to {cores} "
                   "(the cores this process may use), got 0\n")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # a parity run with figures (about 2 s)
def test_a_full_disk_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    import invariant.notes.runtime as R

    def full_disk(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    parity = load_example("parity", monkeypatch)
    monkeypatch.setattr(R, "write_atomic", full_disk)  # the figures
    monkeypatch.setattr(parity, "write_atomic", full_disk)  # report and results
    code = parity.main(["--n", "4", "--seeds", "1", "--max-steps", "100", "--backend", "torch", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("parity: error:") and "No space left on device" in err and ".png" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a parity run with figures (about 2 s)
def test_parity_custom_run_report_names_the_configuration(tmp_path, monkeypatch):
    parity = load_example("parity", monkeypatch)
    assert parity.main(["--n", "4", "--seeds", "1", "--max-steps", "200", "--backend", "torch",
                        "--out", str(tmp_path)]) == 0
    text = (tmp_path / "report.md").read_text()
    assert "Run: custom configuration (n = 4, target parity, symmetric init, sample 40" in text
    assert "Run: full" not in text and "0 of 0" not in text
    assert json.loads((tmp_path / "results.json").read_text())["run"] == "custom"


@pytest.mark.parametrize("seed", ["-1", "-5"])
def test_folded_refuses_a_negative_seed_in_one_line(seed):
    result = run("folded.py", "--seed", seed)
    assert result.returncode == 2
    assert result.stderr == f"folded: error: --seed must be an integer from 0 to 4294967295, got {seed}\n"
