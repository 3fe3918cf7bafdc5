"""Bad input to the examples: one line on stderr, exit code 2, nothing left behind; Ctrl-C: one line, 130.

Every script in examples/ parses its options with invariant.notes.runtime's experiment_parser and
runs through its experiment_main; --replot reads with load_run. These tests call each script's
``main`` in-process with options it must refuse before any work starts (so a regression that
let one through would start a run: the options are the cheapest the script has), and the
loader with files that are not what the script wrote. Two tests start a process (slow).
"""

import functools
import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import invariant.notes.runtime as R
from invariant.errors import InvariantError

ROOT = Path(__file__).resolve().parents[2]
FOLDED = "folded"
RUNS = ("antisymmetric", "localization", "parity", "jacobian", "sets", "graphs", "variety")
CHEAPEST = {"parity": ["--n", "4", "--seeds", "1", "--max-steps", "100", "--backend", "torch"]}
REPLOT = ("parity", "jacobian")
FULL_RUN = {"parity": "parity_full", "jacobian": "jacobian_full"}


@functools.cache
def example(name):
    """examples/<name>.py imported once (graphs.py imports sets.py from its own directory)."""
    if str(ROOT / "examples") not in sys.path:
        sys.path.append(str(ROOT / "examples"))
    spec = importlib.util.spec_from_file_location(f"example_args_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run_args(name, out, *args):
    return [*CHEAPEST.get(name, ["--quick"]), *args, "--out", str(out)]


@pytest.mark.parametrize("seed", ["-1", str(2**32), str(2**70)])
@pytest.mark.parametrize("name", (FOLDED, *RUNS))
def test_every_example_takes_the_same_seeds(name, seed, tmp_path, capsys):
    """0 <= seed < 2**32 everywhere: parity and jacobian took -1, graphs.py --seed 2**70 was a traceback."""
    args = ["--seed", seed] if name == FOLDED else run_args(name, tmp_path / "o", "--seed", seed, "--threads", "1")
    assert example(name).main(args) == 2
    out, err = capsys.readouterr()
    assert err == f"{name}: error: --seed must be an integer from 0 to 4294967295, got {seed}\n" and out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("threads", [0, -2, "cores + 1", 100000])
@pytest.mark.parametrize("name", RUNS)
def test_every_example_takes_from_one_thread_to_its_cores(name, threads, tmp_path, capsys):
    cores = len(os.sched_getaffinity(0))
    threads = cores + 1 if threads == "cores + 1" else threads
    assert example(name).main(run_args(name, tmp_path / "o", "--threads", str(threads))) == 2
    assert capsys.readouterr().err == (f"{name}: error: --threads must be an integer from 1 to {cores} "
                                       f"(the cores this process may use), got {threads}\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", RUNS)
def test_an_empty_output_directory_is_refused_not_the_current_one(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert example(name).main(run_args(name, "", "--threads", "1")) == 2
    assert capsys.readouterr().err == f"{name}: error: --out must name a directory, got an empty path\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", RUNS)
def test_a_usage_error_is_one_line_and_exit_2(name, tmp_path, capsys):
    assert example(name).main(["--quick", "--no-such-option", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == f"{name}: error: unrecognized arguments: --no-such-option\n"
    assert list(tmp_path.iterdir()) == []


def test_the_common_options_are_checked_by_the_parser():
    parser = R.experiment_parser("demo", "A demo.", "a short run")
    cores = len(os.sched_getaffinity(0))
    args = parser.parse_args(["--seed", str(2**32 - 1), "--threads", str(cores), "--out", "o"])
    assert (args.seed, args.threads, args.out, args.replot, args.quick) == (2**32 - 1, cores, "o", None, False)
    for argv, message in ((["--out", "o", "--seed", "x"], "argument --seed: invalid int value: 'x'"),
                          (["--out", "o", "--threads", "1.5"], "argument --threads: invalid int value: '1.5'"),
                          ([], "the following arguments are required: --out")):
        with pytest.raises(InvariantError) as error:
            parser.parse_args(argv)
        assert str(error.value) == message
    replot = R.experiment_parser("demo", "A demo.", "a short run", replot="redraw DIR")
    assert replot.parse_args(["--replot", "d"]).replot == "d"
    for argv in (["--replot", "d", "--out", "o"], []):
        with pytest.raises(InvariantError, match=r"^give either --out DIR \(a new run\) or --replot DIR"):
            replot.parse_args(argv)
    with pytest.raises(InvariantError, match=r"^--replot must name a directory, got an empty path$"):
        replot.parse_args(["--replot", ""])


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def refuse(*args, **kwargs):
    raise InvariantError("refused halfway")


@pytest.mark.parametrize("name, step", [("parity", "simulate"), ("graphs", "make_graphs")])
@pytest.mark.parametrize("stop, code, line", [(interrupt, 130, "interrupted"), (refuse, 2, "error: refused halfway")])
def test_a_run_stopped_halfway_is_one_line_and_leaves_no_empty_directory(name, step, stop, code, line, tmp_path,
                                                                          monkeypatch, capsys):
    monkeypatch.setattr(example(name), step, stop)
    out = tmp_path / "new" / "run"
    try:
        result = example(name).main(run_args(name, out, "--threads", "1"))
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped main as a traceback")
    assert result == code and capsys.readouterr().err == f"{name}: {line}\n"
    assert list(tmp_path.iterdir()) == []  # the directories the run created, removed again
    (tmp_path / "kept").mkdir()
    assert example(name).main(run_args(name, tmp_path / "kept", "--threads", "1")) == code
    assert (tmp_path / "kept").is_dir()  # a directory that was there before stays


def write_run(directory, results, timings='{"seconds": 1.0, "threads": 1}'):
    directory.mkdir()
    for name, text in (("results.json", results), ("timings.json", timings)):
        if text is not None:
            (directory / name).write_text(text)


def full_run(name):
    return json.loads((ROOT / "examples" / "results" / FULL_RUN[name] / "results.json").read_text())


def without(value, key):
    return {k: v for k, v in value.items() if k != key}


def nan_in_first_run(name):
    res = full_run(name)
    rows = res["runs"] if name == "parity" else res["table"]
    rows[0]["mean" if name == "jacobian" else "final_true_error"] = math.nan
    return json.dumps(res)


CORRUPT = {  # results.json -> what the one line says, after "DIR/results.json is not a results file of X.py: "
    "a list": (lambda name: "[1, 2]", "it is a list, not an object"),
    "runs: 5": (lambda name: '{"runs": 5}', {"parity": "runs is 5, not a list",
                                             "jacobian": 'it has no key "config"'}),
    "NaN": (lambda name: "NaN", "it is NaN, not an object"),
    "a NaN inside": (nan_in_first_run, {"parity": "runs[0].final_true_error is NaN, not a finite number",
                                        "jacobian": "table[0].mean is NaN, not a finite number"}),
    "deep nesting": (lambda name: "[" * 100_000 + "]" * 100_000, "its JSON is nested too deeply"),
    "a missing key": (lambda name: json.dumps(without(full_run(name), "figures")), 'it has no key "figures"'),
    "not JSON": (lambda name: '{"runs": [', "it is not JSON: Expecting value: line 1 column 11 (char 10)"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
@pytest.mark.parametrize("name", REPLOT)
def test_replot_of_a_file_the_script_did_not_write_is_one_line(name, case, tmp_path, capsys):
    text, reason = CORRUPT[case]
    write_run(tmp_path / "run", text(name))
    before = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert example(name).main(["--replot", str(tmp_path / "run")]) == 2
    reason = reason if isinstance(reason, str) else reason[name]
    assert capsys.readouterr().err == (f"{name}: error: {tmp_path / 'run' / 'results.json'} is not a results file "
                                       f"of {name}.py: {reason}\n")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == before  # no figure, no report.md


def test_replot_checks_timings_json_too(tmp_path, capsys):
    write_run(tmp_path / "run", json.dumps(full_run("parity")), '{"seconds": "soon", "threads": 1}')
    assert example("parity").main(["--replot", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == (f"parity: error: {tmp_path / 'run' / 'timings.json'} is not a timings file of "
                                       f'parity.py: seconds is "soon", not a finite number\n')


def special_file(kind, path):
    if kind == "a character device":
        path.symlink_to("/dev/zero")
    elif kind == "a pipe":
        os.mkfifo(path)
    elif kind == "a directory":
        path.mkdir()
    else:  # a sparse file one byte over the limit: refused without reading 8 MiB
        with open(path, "wb") as stream:
            stream.truncate(R.MAX_RUN_FILE_BYTES + 1)


@pytest.mark.parametrize("kind, reason", [
    ("a character device", "it is a character device, not a regular file"),  # was read without bound: /dev/zero
    ("a pipe", "it is a pipe, not a regular file"),  # was waited on forever
    ("a directory", "it is a directory, not a regular file"),
    ("a large file", "it is larger than 8 MiB")])
def test_replot_reads_only_regular_files_of_bounded_size(kind, reason, tmp_path, capsys):
    write_run(tmp_path / "run", None)
    special_file(kind, tmp_path / "run" / "results.json")
    assert example("parity").main(["--replot", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == (f"parity: error: {tmp_path / 'run' / 'results.json'} is not a results file of "
                                       f"parity.py: {reason}\n")


def test_a_missing_results_file_is_one_line(tmp_path, capsys):
    assert example("jacobian").main(["--replot", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"jacobian: error: cannot read {tmp_path / 'results.json'}: No such file or directory\n")


def strip(value, shape):
    """Only the parts of ``value`` that ``shape`` names."""
    if isinstance(shape, (R.Nullable, R.Optional, R.Check)):
        return value if value is None else strip(value, shape.shape)
    if isinstance(shape, list):
        return [strip(item, shape[0]) for item in value]
    if isinstance(shape, dict):
        return {k: strip(value[k], s) for k, s in shape.items() if k in value}
    return value


@pytest.mark.parametrize("name", REPLOT)
def test_the_committed_full_run_fits_its_shape_and_the_report_reads_nothing_else(name):
    module = example(name)
    directory = ROOT / "examples" / "results" / FULL_RUN[name]
    res, timings = R.load_run(directory, f"{name}.py", module.RESULTS, module.TIMINGS)
    assert res == full_run(name)
    assert module.report(strip(res, module.RESULTS), strip(timings, module.TIMINGS)) == \
        (directory / "report.md").read_text()


@pytest.mark.slow  # an example process importing torch, interrupted once it has started
def test_ctrl_c_during_a_run_is_one_line_and_exit_130(tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, str(ROOT / "examples" / "parity.py"), "--n", "10", "--seeds", "1",
                                "--max-steps", str(10**9), "--backend", "torch", "--threads", "1", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not out.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # into the training loop
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and stderr == "parity: interrupted\n" and stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # an example process: 100000 threads had failed to start and crashed it (exit code 139)
def test_a_hundred_thousand_threads_are_refused_before_any_start(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "variety.py"), "--quick", "--threads", "100000",
                             "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=300, check=False)
    cores = len(os.sched_getaffinity(0))
    assert result.returncode == 2 and result.stderr == (
        f"variety: error: --threads must be an integer from 1 to {cores} (the cores this process may use), "
        "got 100000\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("change, reason", [
    (lambda res: res["table"][0].update(predicted_variance=0.0),  # linear Gaussian: its variance is divided by it
     "table[0] is an object, not a row with a non-zero variance prediction (ReLU, linear Gaussian)"),
    (lambda res: res.update(table=[], width_scan=[]),  # fig5 on a log axis with no rows
     "it is an object, not a run with ReLU rows of both weight kinds at the scan depth")])
def test_jacobian_replot_refuses_runs_its_report_and_fig5_cannot_draw(change, reason, tmp_path, capsys):
    """Both had passed the shape check and then failed drawing (ZeroDivisionError, matplotlib's ValueError)."""
    res = full_run("jacobian")
    change(res)
    write_run(tmp_path / "run", json.dumps(res))
    assert example("jacobian").main(["--replot", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == (f"jacobian: error: {tmp_path / 'run' / 'results.json'} is not a results file "
                                       f"of jacobian.py: {reason}\n")
