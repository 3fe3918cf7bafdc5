"""invariant.notes.runtime: thread count, progress lines, atomic figures, the C++ build notice."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import invariant.notes.runtime as R
from invariant.errors import InvariantError


def run_python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env})


@pytest.mark.parametrize("omp, expected", [("1", 1), ("64", None), ("", None), ("zero", None)])
def test_default_threads_follow_affinity_capped_by_omp_num_threads(monkeypatch, omp, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    cores = len(os.sched_getaffinity(0))
    assert R.default_threads() == (expected if expected is not None else cores)


@pytest.mark.slow  # two fresh interpreters importing torch
def test_configure_threads_sets_torch_and_blas_pools():
    code = ("import numpy, torch, threadpoolctl; from invariant.notes.runtime import configure_threads; "
            "print(configure_threads(1), torch.get_num_threads(), torch.get_num_interop_threads(), "
            "sorted({p['num_threads'] for p in threadpoolctl.threadpool_info()}))")
    result = run_python(code, OMP_NUM_THREADS="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1", "1", "[1]"]
    default = run_python("from invariant.notes.runtime import configure_threads; import torch; "
                         "print(configure_threads(None), torch.get_num_threads())", OMP_NUM_THREADS="1")
    assert default.stdout.split() == ["1", "1"]


@pytest.mark.parametrize("bad", [0, -3, True, 2.5, "cores + 1", 100000])
def test_configure_threads_refuses_counts_beyond_one_to_the_cores(bad):
    """100000 threads failed to start (variety.py crashed after a one-line error); more than the
    cores only slows a run down."""
    cores = len(os.sched_getaffinity(0))
    bad = cores + 1 if bad == "cores + 1" else bad
    before = torch.get_num_threads()
    with pytest.raises(InvariantError, match=rf"^--threads must be an integer from 1 to {cores} \(the cores this "
                                             rf"process may use\), got {bad!r}$"):
        R.configure_threads(bad)
    assert torch.get_num_threads() == before


def test_progress_prints_lines_when_not_a_terminal():
    stream = io.StringIO()
    bar = R.Progress(total=4, desc="work", interval=0.0, stream=stream)
    for _ in range(4):
        bar.update()
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("work: progress 1/4 (25%)") and "s left" in lines[0]
    assert lines[-1].startswith("work: progress 4/4 (100%) after")
    assert len(lines) == 4  # no "done" line repeating the last count
    stream = io.StringIO()
    with R.Progress(total=10, desc="later", interval=0.0, stream=stream) as bar:
        bar.update(3)
        bar.interval = 60.0
        bar.update(7)
    assert stream.getvalue().splitlines()[-1].startswith("later: done 10/10 (100%) after")


def test_progress_is_quiet_for_short_runs_and_when_disabled():
    stream = io.StringIO()
    assert list(R.Progress(range(3), desc="short", interval=60.0, stream=stream)) == [0, 1, 2]
    assert list(R.Progress(range(3), desc="off", interval=0.0, stream=stream, enabled=False)) == [0, 1, 2]
    assert stream.getvalue() == ""


def test_save_figure_writes_a_png_and_a_failed_write_is_one_invariant_error(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    R.save_figure(fig, tmp_path / "f.png", dpi=50)
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.get_fignums()  # closed
    fig, _ = plt.subplots()
    with pytest.raises(InvariantError, match="cannot write"):
        R.save_figure(fig, tmp_path / "missing" / "f.png")
    assert not plt.get_fignums()


def test_a_slow_extension_load_is_announced_with_its_duration(monkeypatch, capsys, tmp_path):
    import torch.utils.cpp_extension

    def slow_load(name, sources, extra_cflags, build_directory):
        time.sleep(0.3)
        return name

    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    monkeypatch.setattr(torch.utils.cpp_extension, "load", slow_load)
    monkeypatch.setattr(R, "BUILD_NOTICE_AFTER", 0.05)
    R.cpp_extension.cache_clear()
    try:
        assert R.cpp_extension("slow_kernel") == "invariant_slow_kernel"
    finally:
        R.cpp_extension.cache_clear()
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("building C++ extension invariant_slow_kernel from slow_kernel.cpp")
    assert err[1].startswith("C++ extension invariant_slow_kernel: build ended after") and err[1].endswith(" s")
    assert len(err) == 2


def test_a_fast_extension_load_prints_nothing(monkeypatch, capsys, tmp_path):
    import torch.utils.cpp_extension

    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    monkeypatch.setattr(torch.utils.cpp_extension, "load", lambda name, sources, extra_cflags, build_directory: name)
    R.cpp_extension.cache_clear()
    try:
        R.cpp_extension("fast_kernel")
    finally:
        R.cpp_extension.cache_clear()
    assert capsys.readouterr().err == ""


def test_each_python_environment_builds_the_kernels_in_its_own_directory(monkeypatch, tmp_path):
    """Environments sharing one build directory rebuilt each other's kernels (their build commands
    name their own torch and Python headers, and ninja versions differ): the directory depends on
    the interpreter prefix and on the ninja that runs the build."""
    import torch.utils.cpp_extension

    seen = []
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    monkeypatch.setattr(torch.utils.cpp_extension, "load",
                        lambda name, sources, extra_cflags, build_directory: seen.append(build_directory) or name)
    import shutil

    for prefix, ninja in (("/envs/a", "/usr/bin/ninja"), ("/envs/b", "/usr/bin/ninja"), ("/envs/a", "/usr/bin/ninja"),
                          ("/envs/a", "/envs/a/bin/ninja")):
        monkeypatch.setattr(sys, "prefix", prefix)
        monkeypatch.setattr(shutil, "which", lambda name, ninja=ninja: ninja if name == "ninja" else None)
        R.cpp_extension.cache_clear()
        try:
            R.cpp_extension("kernel")
        finally:
            R.cpp_extension.cache_clear()
    paths = [Path(p) for p in seen]
    assert paths[0] == paths[2] and len({paths[0], paths[1], paths[3]}) == 3
    for path in paths:
        assert path.is_dir() and path.name == "invariant_kernel" and path.parent.parent == tmp_path
        assert path.parent.name.startswith("invariant-") and len(path.parent.name) == len("invariant-") + 12

