"""The README cannot go stale: its commands run and print what it shows, its code runs, its
benchmark tables are the ones the benchmark scripts wrote, and CI runs its test command."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
BLOCKS = [(m.group(1), m.group(2), README[: m.start()]) for m in FENCE.finditer(README)]


def _console_blocks():
    return [(body, i) for i, (lang, body, _) in enumerate(BLOCKS) if lang == "console"]


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; an expected line "..." stands for any run of lines (possibly none)."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(_matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and _matches(expected[1:], actual[1:])


def _run(command: str, tmp_path: Path) -> str:
    bin_dir = str(Path(sys.executable).parent)
    result = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "OMP_NUM_THREADS": "1", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    return result.stdout


#: Console blocks of some seconds each (SymPy's symbolic path; invariant check imports torch): slow.
SLOW_BLOCKS = ("$ invariant derive --layer quadratic --param full", "$ cd ~ && invariant emit")


@pytest.mark.parametrize("body, index",
                         [pytest.param(*block, marks=[pytest.mark.slow] if block[0].startswith(SLOW_BLOCKS) else [])
                          for block in _console_blocks()],
                         ids=lambda v: str(v)[:40] if isinstance(v, str) else str(v))
def test_console_blocks_print_what_the_readme_shows(body, index, tmp_path):
    first, *expected = body.rstrip("\n").split("\n")
    assert first.startswith("$ "), first
    command, _, comment = first[2:].partition("#")
    cut = re.search(r"lines cut at (\d+) characters", comment)
    actual = _run(command.strip(), tmp_path).rstrip("\n").split("\n")
    if cut:
        actual = [line[: int(cut.group(1))] for line in actual]
    assert _matches(expected, actual), "\n".join(actual)


@pytest.mark.slow  # runs the folded example in a subprocess
def test_example_output_shown_as_real_output_is_real(tmp_path):
    shown = [(body, before) for lang, body, before in BLOCKS
             if lang == "text" and before.rstrip().endswith("(real output):")]
    assert shown, "the README shows the folded example's real output"
    for body, before in shown:
        command = re.findall(r"`([^`]+)` prints \(real output\):", before)[-1]
        assert _run(command, tmp_path).rstrip("\n") == body.rstrip("\n")


def test_readme_python_example_runs():
    block = README.split("## Python API")[1].split("```python")[1].split("```")[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["sol"].dimension.agree and namespace["net"].outputs == 1


def test_the_two_opening_commands_and_ci():
    lang, body, before = BLOCKS[0]
    assert lang == "bash" and before.strip() == "# invariant"
    install, tests = body.strip().split("\n")
    assert install == "python -m pip install . && invariant derive --layer quadratic"
    assert tests == 'python -m pip install "torch==2.13.0" -e ".[test]" && python -m pytest'
    assert tests in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("table", sorted(p.name for p in (ROOT / "bench").glob("*_cpu.md")))
def test_benchmark_tables_in_the_readme_are_the_ones_the_scripts_wrote(table):
    text = (ROOT / "bench" / table).read_text()
    tables = re.findall(r"((?:^\|.*\|\n)+)", text if text.endswith("\n") else text + "\n", re.M)
    assert tables
    for found in tables:
        assert found in README, f"a table of bench/{table} is not in the README as written:\n{found}"
