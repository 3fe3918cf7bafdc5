"""Redrawing runs from their JSON: parity.py and jacobian.py --replot, and the committed full runs.

The committed examples/results/*_full directories must be what the current scripts write: no
wall-clock time in results.json, a timings.json beside it, and a report.md that the script's own
report function gives back from those two files.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FULL_RUNS = {"antisymmetric": "antisymmetric_full", "localization": "localization_full", "parity": "parity_full",
             "jacobian": "jacobian_full"}


def run(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], capture_output=True, text=True)


def load_example(name, monkeypatch):
    """Import examples/<name>.py as a fresh module, registered in sys.modules for the test (dataclasses need it)."""
    spec = importlib.util.spec_from_file_location(f"example_replot_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


# Quick runs made cheaper still (one seed, fewer SGD steps; a narrow network): --replot only reads their JSON.
QUICK = {"parity.py": ("--quick", "--seeds", "1", "--max-steps", "2000"),
         "jacobian.py": ("--quick", "--width", "40", "--depth", "8")}
KEPT = {"parity.py": set(), "jacobian.py": {"fig2_spectra.png"}}  # fig2 needs the eigenvalues, not in results.json


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(QUICK))
def test_replot_redraws_figures_and_report_exactly_and_leaves_results_json_alone(script, tmp_path):
    out = tmp_path / "run"
    result = run(script, *QUICK[script], "--threads", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    stamps = {name: (out / name).stat().st_mtime_ns for name in ("results.json", "timings.json", *KEPT[script])}
    redrawn = {name for name in before if name.endswith(".png") and name not in KEPT[script]} | {"report.md"}
    assert len(redrawn) >= 5
    for name in redrawn:
        (out / name).unlink()
    result = run(script, "--replot", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"redrew {out / 'report.md'}")
    # Every deleted file is back with the bytes the run wrote; results.json and timings.json were not rewritten.
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert {name: (out / name).stat().st_mtime_ns for name in stamps} == stamps


@pytest.mark.parametrize("name", ["parity", "jacobian"])
def test_replot_needs_a_run_directory_and_excludes_out(name, tmp_path, monkeypatch, capsys):
    example = load_example(name, monkeypatch)
    assert example.main(["--replot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{name}: error:") and "results.json" in err
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "timings.json").write_text('{"seconds": 1.0, "threads": 1}')
    assert example.main(["--replot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{tmp_path / 'results.json'} is not a results file of {name}.py: it has no key" in err
    for args in (["--replot", str(tmp_path), "--out", str(tmp_path / "o")], []):
        assert example.main(args) == 2
        assert capsys.readouterr().err == (f"{name}: error: give either --out DIR (a new run) or --replot DIR "
                                           "(redraw an existing run)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json", "timings.json"]


@pytest.mark.parametrize("name", ["parity", "jacobian"])
def test_a_run_without_a_recorded_thread_count_says_so(name, monkeypatch):
    example = load_example(name, monkeypatch)
    assert example.run_time({"seconds": 3840.78, "threads": None}) == "3841 s with an unrecorded number of threads"
    assert example.run_time({"seconds": 12.4, "threads": 1}) == "12 s with 1 thread"


@pytest.mark.parametrize("name", sorted(FULL_RUNS))
def test_committed_full_run_is_what_the_current_script_writes(name, monkeypatch):
    directory = ROOT / "examples" / "results" / FULL_RUNS[name]
    text = (directory / "results.json").read_text()
    results, timings = json.loads(text), json.loads((directory / "timings.json").read_text())
    assert "seconds" not in text and results["quick"] is False and results["seed"] == 0
    assert set(timings) >= {"seconds", "threads"} and timings["seconds"] > 0
    example = load_example(name, monkeypatch)
    assert (directory / "report.md").read_text() == example.report(results, timings)
    figures = results.get("figures") or sorted(p.name for p in directory.glob("*.png"))
    assert all((directory / figure).is_file() for figure in figures)
