"""Architecture rules: imports point downward; derive and emit stay free of torch."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FACADES = {"__init__.py", "cli.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_front_end_never_imports_codegen_and_only_testing_imports_torch():
    for path in (ROOT / "invariant").glob("*.py"):
        mods = imported_modules(path)
        if path.name not in FACADES:
            assert "codegen" not in mods, path.name
        if path.name not in ("testing.py", "antisym.py", "localization.py", "parity.py", "jacobian.py", "runtime.py"):
            assert "torch" not in mods, path.name


def test_emit_does_not_import_torch(tmp_path):
    code = (
        "import sys; from invariant.cli import main; "
        f"main(['emit', '--layer', 'quadratic', '--n', '6', '-o', {str(tmp_path / 'q.py')!r}]); "
        "assert 'torch' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "q.py").exists()


def test_folded_example_runs_and_shows_the_failure():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "folded.py")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "0  1  1  2  3  4" in result.stdout  # the note's "5 1 1 2 3 4", class 0 = the note's 5
    assert "is a representation: False" in result.stdout
    assert "2 free parameters, character formula 2" in result.stdout
