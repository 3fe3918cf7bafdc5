"""Architecture rules: imports point downward; derive and emit stay free of torch."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

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


#: The compiler's modules from the bottom up; a module may import only modules below it.
LAYERS = [
    ["errors"],
    ["files"],
    ["groups"],
    ["spec"],
    ["layout"],
    ["problem"],
    ["solvers"],
    ["proofs"],
    ["solution"],
    ["api"],
    ["channels"],
    ["numeric", "equivariance", "report"],
    ["testing", "cli"],
    ["__main__", "__init__"],
]
RANK = {name: r for r, names in enumerate(LAYERS) for name in names}


def relative_imports(path: Path) -> set[str]:
    """The sibling modules a module imports (``from .x import``, ``from . import x``)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(a.name for a in node.names)
    return names


def test_the_spec_literal_names_the_group_families():
    from typing import get_args

    from invariant.groups.permutation_groups import GROUP_NAMES
    from invariant.spec import GroupName

    assert get_args(GroupName) == GROUP_NAMES


def test_every_compiler_module_has_a_layer():
    modules = {p.stem for p in (ROOT / "invariant").glob("*.py")} | {"groups", "solvers", "proofs"}
    assert modules == set(RANK), modules ^ set(RANK)


def test_imports_point_downward():
    for path in (ROOT / "invariant").glob("*.py"):
        here = RANK[path.stem]
        for name in relative_imports(path) - {"notes", "networks"}:
            if name == "__version__":
                continue
            assert RANK[name] < here or (path.stem == "__init__"), f"{path.stem} imports {name} (layer {RANK[name]} >= {here})"
        if path.stem not in ("cli", "__init__"):
            assert "codegen" not in imported_modules(path), path.name
        if path.stem != "testing":
            assert "torch" not in imported_modules(path), path.name


def test_the_notes_use_only_the_public_api():
    internals = {name for name in RANK if name not in ("errors", "files", "__init__")}
    for path in (ROOT / "invariant" / "notes").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("invariant."):
                part = node.module.split(".")[1]
                assert part not in internals, f"notes/{path.name} imports invariant.{part}"
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert (node.module or "").split(".")[0] not in internals, f"notes/{path.name} imports a compiler internal"
    for path in (ROOT / "invariant").glob("*.py"):
        assert "notes" not in relative_imports(path) and "invariant.notes" not in path.read_text(), path.name


def test_importing_the_package_and_the_cli_loads_nothing_heavy():
    code = (
        "import sys, invariant, invariant.cli; "
        "heavy = [m for m in ('sympy', 'numpy', 'scipy', 'networkx', 'matplotlib', 'torch') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # a fresh interpreter
def test_emit_does_not_import_torch(tmp_path):
    code = (
        "import sys; from invariant.cli import main; "
        f"main(['emit', '--layer', 'quadratic', '--n', '6', '-o', {str(tmp_path / 'q.py')!r}]); "
        "assert 'torch' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "q.py").exists()


@pytest.mark.slow  # the folded example in a subprocess
def test_folded_example_runs_and_shows_the_failure():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "folded.py")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "0  1  1  2  3  4" in result.stdout  # the note's "5 1 1 2 3 4", class 0 = the note's 5
    assert "is a representation: False" in result.stdout
    assert "2 free parameters, character formula 2" in result.stdout
