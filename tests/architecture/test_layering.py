"""Architecture rules, per package: imports point downward; the compiler stays free of torch, codegen and notes.

Every package declares its layers in :data:`LAYERS` (its modules and subpackages, bottom up).
The rules are derived from the package tree, not from a list of files:

* every module and subpackage of every package is in its package's layers (a new module without
  a layer fails);
* an import points downward: between two modules, compare the two children of the deepest
  package that holds both (``invariant.groups.actions`` importing ``invariant.errors`` compares
  ``groups`` with ``errors`` in ``invariant``'s layers; ``invariant.solvers.orbits`` importing
  ``invariant.solvers.tying`` compares ``orbits`` with ``tying``). ``codegen`` is its own
  top-level package but takes its place in ``invariant``'s layers (above the API, below the CLI);
* a package's ``__init__`` is its facade (top of its package). Importing a facade that imports
  nothing of the project (``invariant``, ``invariant.networks``: constants and lazy exports) is
  free; a name it exports lazily counts as an import of the module that defines it;
* the compiler (``invariant`` without its CLI, facade, ``testing``, ``networks`` and ``notes``)
  imports neither ``codegen`` nor ``invariant.notes`` nor torch; in ``networks`` only
  ``training`` imports torch;
* the notes use only the public API, and nothing outside them imports them.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("invariant", "codegen")

#: Each package's modules and subpackages from the bottom up; a module may import only what lies below it.
LAYERS = {
    "invariant": [
        ["errors"],
        ["files"],
        ["groups"],
        ["spec"],
        ["layout"],
        ["problem"],
        ["solvers"],
        ["proofs"],
        ["paths"],
        ["solution"],
        ["api"],
        ["channels"],
        ["numeric", "equivariance", "report"],
        ["networks", "codegen"],
        ["testing", "cli"],
        ["__main__", "__init__"],
        ["notes"],
    ],
    "invariant.groups": [
        ["permutations", "expressions", "lie_groups"], ["linear"], ["matrix_groups", "permutation_groups"],
        ["representations"], ["actions"], ["__init__"],
    ],
    "invariant.solvers": [
        ["partitions", "tying", "components"],
        ["polynomials", "rref"],
        ["matching", "orbits", "patterns"],
        ["lift", "choice", "nullspace"],
        ["__init__"],
    ],
    "invariant.proofs": [
        ["dimension", "representation", "matrix_characters", "weyl"], ["characters"], ["__init__"],
    ],
    "invariant.networks": [
        ["spec", "dimension", "gauge", "cas"],
        ["polynomial", "action", "latent"],
        ["equations"],
        ["exact", "function_space", "sampling"],
        ["training", "api"],
        ["report"],
        ["__init__"],
    ],
    "invariant.notes": [["runtime"], ["antisym", "parity", "jacobian", "localization"], ["__init__"]],
    "codegen": [
        ["powersums", "probe", "sandbox", "nets", "identity"],
        ["realize", "tensor"],
        ["record"],
        ["channels"],
        ["render"],
        ["generated", "check"],
        ["__init__"],
    ],
    "codegen.generated": [["__init__"]],
}
#: Where a top-level package other than ``invariant`` sits in the layers.
PLACED = {"codegen": ("invariant", "codegen")}
RANK = {(pkg, name): r for pkg, layers in LAYERS.items() for r, names in enumerate(layers) for name in names}

COMPILER_OUTSIDE = ("invariant.cli", "invariant.__main__", "invariant.__init__", "invariant.testing")
NOTES_MAY_IMPORT = {"invariant", "invariant.errors", "invariant.files"}


def module_name(path: Path) -> str:
    """``invariant/groups/actions.py`` -> ``invariant.groups.actions`` (a package's own file: ``.__init__``)."""
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def library_files() -> list[Path]:
    return sorted(p for top in PROJECT for p in (ROOT / top).rglob("*.py"))


def packages() -> list[str]:
    return sorted(module_name(p)[: -len(".__init__")] for p in library_files() if p.name == "__init__.py")


def is_package(name: str) -> bool:
    return (ROOT / name.replace(".", "/") / "__init__.py").is_file()


def is_module(name: str) -> bool:
    return is_package(name) or (ROOT / (name.replace(".", "/") + ".py")).is_file()


def file_of(name: str) -> str:
    """The module a dotted name executes: a package's ``__init__``, else the module itself."""
    return f"{name}.__init__" if is_package(name) else name


def tree(name: str) -> ast.Module:
    return ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text())


def lazy_exports(package: str) -> dict[str, str]:
    """A facade's ``_EXPORTS`` (public name -> defining module), resolved to absolute module names."""
    for node in tree(f"{package}.__init__").body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets):
            exports = ast.literal_eval(node.value)
            resolved = {}
            for public, target in exports.items():
                module = target[0] if isinstance(target, tuple) else target
                resolved[public] = package + module if module.startswith(".") else module
            return resolved
    return {}


def raw_imports(name: str) -> list[tuple[str, str | None]]:
    """(absolute module, imported name or None) for every import of the project, at any depth."""
    package = name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            found += [(a.name, None) for a in node.names if a.name.split(".")[0] in PROJECT]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] in PROJECT:
                found += [(module, a.name) for a in node.names]
    return found


def targets(name: str) -> set[str]:
    """The project modules ``name`` imports (module files; facades' lazy names resolved; import-free facades
    left out)."""
    result = set()
    for module, imported in raw_imports(name):
        if imported is not None and is_module(f"{module}.{imported}"):
            module, imported = f"{module}.{imported}", None
        if imported is not None and is_package(module) and imported in lazy_exports(module):
            module = lazy_exports(module)[imported]
        target = file_of(module)
        if target.endswith(".__init__") and not raw_imports(target):
            continue  # a facade that imports nothing of the project: constants and lazy names only
        result.add(target)
    return result - {name}


def chain(name: str) -> list[tuple[str, str]]:
    """(package, child) from the top down: ``codegen.record`` -> [(invariant, codegen), (codegen, record)]."""
    parts = name.split(".")
    steps = [(".".join(parts[:i]), parts[i]) for i in range(1, len(parts))]
    return ([PLACED[parts[0]]] if parts[0] in PLACED else []) + steps


def below(target: str, importer: str) -> bool:
    """Whether ``target`` lies below ``importer`` in the deepest package that holds both."""
    for a, b in zip(chain(importer), chain(target)):
        if a != b:
            assert a[0] == b[0], (a, b)
            return RANK[b] < RANK[a]
    raise AssertionError(f"{importer} and {target} are one module")


def top_level_imports(name: str) -> set[str]:
    names = set()
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_spec_literal_names_the_group_families():
    from typing import get_args

    from invariant.groups.permutation_groups import GROUP_NAMES
    from invariant.spec import GroupName

    assert get_args(GroupName) == GROUP_NAMES


def test_every_package_declares_its_layers():
    assert set(packages()) == set(LAYERS), set(packages()) ^ set(LAYERS)


def test_every_module_of_every_package_has_a_layer():
    for package in packages():
        directory = ROOT / package.replace(".", "/")
        children = {p.stem for p in directory.glob("*.py")} | {p.parent.name for p in directory.glob("*/__init__.py")}
        declared = {name for names in LAYERS[package] for name in names}
        if package == "invariant":
            children |= set(PLACED)
        assert children == declared, f"{package}: {children ^ declared}"


def test_imports_point_downward_across_and_within_packages():
    for path in library_files():
        name = module_name(path)
        for target in targets(name):
            assert below(target, name), f"{name} imports {target}, which is not below it"


def test_the_compiler_imports_no_codegen_notes_or_torch():
    compiler = [module_name(p) for p in (ROOT / "invariant").rglob("*.py")]
    outside = ("invariant.networks", "invariant.notes")
    compiler = [n for n in compiler if n not in COMPILER_OUTSIDE and not n.startswith(outside)]
    assert "invariant.solvers.orbits" in compiler and "invariant.proofs.characters" in compiler
    for name in compiler:
        assert not any(t.startswith(("codegen", "invariant.notes")) for t in targets(name)), name
        assert "torch" not in top_level_imports(name), name
    for path in (ROOT / "invariant" / "networks").glob("*.py"):
        name = module_name(path)
        assert ("torch" in top_level_imports(name)) == (name == "invariant.networks.training"), name


def test_the_notes_use_only_the_public_api():
    for path in (ROOT / "invariant" / "notes").glob("*.py"):
        name = module_name(path)
        for module, _ in raw_imports(name):
            assert module.startswith("invariant.notes") or module in NOTES_MAY_IMPORT, f"{name} imports {module}"
    for path in library_files():
        name = module_name(path)
        if not name.startswith("invariant.notes"):
            assert "invariant.notes" not in path.read_text(), name


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
