"""The notes' subpackage stays outside the compiler: public API only, and no sympy on import."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

NOTES = Path(__file__).resolve().parents[2] / "invariant" / "notes"
MODULES = sorted(p.stem for p in NOTES.glob("*.py") if p.stem != "__init__")

#: What the notes may import from the compiler (its public API).
PUBLIC = {"invariant", "invariant.errors", "invariant.files"}


def test_the_subpackage_holds_the_notes_modules():
    assert MODULES == ["antisym", "jacobian", "localization", "parity", "runtime"]


@pytest.mark.parametrize("module", MODULES)
def test_notes_import_only_the_public_api_of_the_compiler(module):
    tree = ast.parse((NOTES / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module)
    compiler = {name for name in imported
                if name.split(".")[0] == "invariant" and not name.startswith("invariant.notes")}
    assert compiler <= PUBLIC, compiler - PUBLIC
    assert "codegen" not in {name.split(".")[0] for name in imported}


#: The modules that import torch: a fresh interpreter each, a second or more (marked slow).
TORCH_ON_IMPORT = {"antisym", "jacobian", "localization", "parity"}


@pytest.mark.parametrize("module", [pytest.param(m, marks=pytest.mark.slow) if m in TORCH_ON_IMPORT else m
                                    for m in MODULES])
def test_importing_a_notes_module_does_not_import_sympy(module):
    code = f"import sys, invariant.notes.{module}; print(sorted(m for m in ('sympy', 'networkx') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
