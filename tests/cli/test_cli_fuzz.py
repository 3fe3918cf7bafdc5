"""Fuzzing the command line: random option combinations, random strings for every value.

Whatever the arguments, ``invariant`` exits 0 or 2; never a traceback (an exception out of
``main`` fails the test); on exit 2 exactly one line on stderr; and a failed command leaves
no file behind. Every example must finish within :data:`SECONDS` (a size that is neither
answered nor refused at once is a failure too).
"""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invariant import InvariantError, LayerSpec
from invariant.cli import main
from invariant.report import PLOT_MAX_CELLS

SECONDS = 10

_text = st.text(max_size=12)
_small = st.integers(-3, 9).map(str)
_path = st.one_of(
    st.sampled_from(["out.py", "g.graphml", "g.dot", "p.png", "x.txt", "newdir/", "absent/x.py", "", ".",
                     "n" * 250 + ".py", "n" * 300]),
    _text.filter(lambda t: "/" not in t and "\x00" not in t),
).map(lambda name: "{root}/" + name)


def _choice(*values):
    return st.one_of(st.sampled_from(values), _text, _small)


VALUES = {
    "--layer": _choice("linear", "quadratic", "cubic", "folded-linear", "folded-quadratic"),
    "--n": st.one_of(_small, _text, st.sampled_from(["6", "8", "1000000", "0x10", "1e3", "٣", "-0"])),
    "--group": _choice("symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral"),
    "--generators": _choice("(0 1); (0 1 2 3)", "(0 1)(2 3)", "()", "(0 1", "(0 0)", ";", "(0 9)"),
    "--output": _choice("permutation", "trivial", "sign", "folded"),
    "--output-generators": _choice("(0 1); ()", "()", "(0 1)", "(0 1); (0 1); (0 1)"),
    "--outputs": _choice("1", "2", "3"),
    "--param": _choice("triangular", "full"),
    "--method": _choice("auto", "symbolic", "orbit", "pattern"),
    "--format": _choice("text", "json", "latex"),
    "--input-order": _choice("0", "1", "2"),
    "--output-order": _choice("0", "1", "2"),
    "--in-channels": _choice("1", "2"),
    "--out-channels": _choice("1", "2"),
    "--graph": _path,
    "--plot": _path,
    "-o": _path,
    "--trials": _choice("1", "0", "-1", "3"),
    "--seed": _choice("0", "-1", str(2**70), "4294967295"),
    "--tol": _choice("1e-10", "nan", "inf", "-1", "0"),
    "--timeout": _choice("1", "0", "-5", "inf", "1e300"),
    "--device": _choice("auto", "cpu", "cuda"),
}
FLAGS = ("--with-linear", "--with-bias", "--naive", "--members")


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(["derive", "derive", "emit", "check", "variety"]) | _text)
    argv = [command]
    if command == "check":
        argv.append(draw(_path))
    elif draw(st.integers(0, 4)):
        argv += ["--layer", draw(VALUES["--layer"])]
    for name in draw(st.lists(st.sampled_from(sorted(VALUES) + list(FLAGS)), unique=True, max_size=6)):
        argv += [name] if name in FLAGS else [name, draw(VALUES[name])]
    return argv


def _timeout(signum, frame):
    raise TimeoutError(f"the command used more than {SECONDS} s of CPU time")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # capsys is read and cleared per example
@given(argv=command_lines())
def test_any_command_line_exits_0_or_2_in_one_line_and_leaves_nothing_on_failure(argv, capsys):
    capsys.readouterr()
    with tempfile.TemporaryDirectory() as root:
        argv = [a.replace("{root}", root) for a in argv]
        before = sorted(Path(root).iterdir())
        previous = signal.signal(signal.SIGPROF, _timeout)
        signal.setitimer(signal.ITIMER_PROF, SECONDS)  # CPU time: a loaded machine does not make it fail
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's --help; nothing else may end main this way
            code = exc.code
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
        after = sorted(Path(root).iterdir())
    err = capsys.readouterr().err
    assert code in (0, 2), (code, argv, err)
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("invariant: error: "), (argv, err)
        assert after == before, f"a failed command left {after} behind: {argv}"


# -- limits at the boundary the README states ----------------------------------------------------------


def _plot_cells(spec):
    from invariant import derive
    from invariant.report import plot_blocks

    return sum(len(grid) * len(grid[0]) for _, grid, _, _ in plot_blocks(derive(spec)))


@pytest.mark.parametrize("spec, cells", [
    (LayerSpec(layer="linear", n=64), 64 * 64),  # exactly the limit: one 64×64 block
    (LayerSpec(layer="quadratic", n=16), 16 * 16 * 16),  # exactly the limit: sixteen 16×16 blocks
    (LayerSpec(layer="linear", n=5, with_bias=True), 5 * 5 + 5),
])
def test_plot_draws_up_to_4096_cells(spec, cells):
    assert _plot_cells(spec) == cells and cells <= PLOT_MAX_CELLS == 4096


@pytest.mark.parametrize("spec, cells", [
    (LayerSpec(layer="linear", n=64, with_bias=True), 64 * 64 + 64),
    (LayerSpec(layer="quadratic", n=17), 17 * 17 * 17),
])
def test_plot_refuses_more_than_4096_cells_naming_them(spec, cells):
    with pytest.raises(InvariantError, match=f"a plot of {cells} cells .*limit 4096"):
        _plot_cells(spec)


@pytest.mark.slow  # about a second: two derivations with SymPy and a module emitted
def test_dense_channel_modules_above_2_25_entries_are_refused_by_emit_before_derivation_not_by_derive(
        tmp_path, capsys, monkeypatch):
    """16 weights (linear, n = 4, cyclic) times 2048 × D channel blocks: 2^25 entries exactly at D = 1024."""
    import codegen.channels

    spec = ["--layer", "linear", "--n", "4", "--group", "cyclic", "--in-channels", "2048", "--out-channels"]
    assert main(["derive", *spec, "1025"]) == 0  # derive builds no module: it answers
    assert "classes: 4" in capsys.readouterr().out  # the four classes of the cyclic group's 16 weights
    assert main(["emit", *spec, "1024", "-o", str(tmp_path / "at.py")]) == 0 and (tmp_path / "at.py").is_file()

    def no_derivation(*args, **kwargs):
        raise AssertionError("derived before refusing")

    monkeypatch.setattr(codegen.channels, "derive", no_derivation)
    capsys.readouterr()
    assert main(["emit", *spec, "1025", "-o", str(tmp_path / "above.py")]) == 2
    assert capsys.readouterr().err.startswith("invariant: error: the dense module would hold 33587200 weight entries")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["at.py"]


@pytest.mark.parametrize("value", ["٣", "４", "²", "1_0", "--4", "+-4", "0x10", "1e3", "4.0", ""])
def test_integer_options_take_ascii_digits_only(value, capsys):
    assert main(["derive", "--layer", "linear", f"--n={value}"]) == 2
    assert capsys.readouterr().err == f"invariant: error: argument --n: expected an integer, got {value!r}\n"
