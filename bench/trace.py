"""Follow a spec field from the command line to the generated module: the files it passes through.

Runs one ``invariant`` command in this process under :func:`sys.settrace` and keeps every
executed line of the project (``invariant/``, ``codegen/``) whose text names the field (by
default ``in_channels``, and ``copies``, the name of the same number once it is lowered into
the input representation, :class:`invariant.groups.representations.Channels`). Consecutive
lines in one file are one visit; the report counts the moves between files and the
*returns*: moves into a file the path had already left (a block traded back and forth).
Measured, not a test.

    python bench/trace.py [--field in_channels --field copies] -- emit --layer quadratic --n 4 \\
        --group cyclic --in-channels 2 --out-channels 2 -o /tmp/m.py
"""

from __future__ import annotations

import argparse
import itertools
import linecache
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def trace_field(root: Path, fields: tuple[str, ...], argv: list[str]) -> list[tuple[str, int]]:
    """(project file, line) of every executed line naming one of ``fields``, in order.

    Module and class bodies (imports, dataclass field declarations) are not followed: only
    the code that runs on the request.
    """
    sys.path.insert(0, str(root))
    from invariant.cli import main

    hits: list[tuple[str, int]] = []
    roots = (str(root / "invariant"), str(root / "codegen"))

    def local(frame, event, arg):
        body = frame.f_code.co_name == "<module>" or "__qualname__" in frame.f_locals
        if event == "line" and not body:
            name = frame.f_code.co_filename
            text = linecache.getline(name, frame.f_lineno)
            if any(f in text for f in fields):
                hits.append((name, frame.f_lineno))
        return local

    def global_(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(roots) else None

    sys.settrace(global_)
    try:
        main(argv)
    except SystemExit:
        pass
    finally:
        sys.settrace(None)
    return hits


def visits(root: Path, hits: list[tuple[str, int]]) -> list[str]:
    """The files in order, consecutive lines of one file merged into one visit."""
    out: list[str] = []
    for name, _ in hits:
        rel = str(Path(name).relative_to(root))
        if not out or out[-1] != rel:
            out.append(rel)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--field", action="append", default=None,
                        help="a name whose lines are followed (repeatable; default: in_channels and copies)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout whose invariant/ and codegen/ are traced (default: this one)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the invariant command, after --")
    args = parser.parse_args()
    fields = tuple(args.field or ("in_channels", "copies"))
    argv = args.command[1:] if args.command[:1] == ["--"] else args.command
    root = args.root.resolve()
    path = visits(root, trace_field(root, fields, argv))
    left: set[str] = set()
    returns = 0
    for prev, nxt in itertools.pairwise(path):
        left.add(prev)
        returns += nxt in left
    print(f"fields: {', '.join(fields)}; command: invariant {' '.join(argv)}")
    print(f"visits: {len(path)}; files: {len(set(path))}; moves: {len(path) - 1}; returns: {returns}")
    print(" -> ".join(path))


if __name__ == "__main__":
    main()
