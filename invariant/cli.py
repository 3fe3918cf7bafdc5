"""The ``invariant`` command line: thin wrappers over the library.

Every subcommand parses options into a :class:`~invariant.spec.LayerSpec`, calls one
library function and prints. Bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from .errors import InvariantError
from .groups import GROUP_NAMES
from .spec import LAYERS, OUTPUTS, PARAMS, LayerSpec


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # noqa: D401
        raise InvariantError(message)


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _add_spec_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layer", required=True, choices=LAYERS, help="layer family")
    p.add_argument("--n", type=_integer, default=4, help="number of inputs")
    p.add_argument("--group", choices=GROUP_NAMES, default=None,
                   help="input group (default: symmetric, unless --generators is given)")
    p.add_argument("--generators", default=None,
                   help='custom input group, 0-based cycles separated by ";", e.g. "(0 1); (0 1 2 3)"')
    p.add_argument("--output", choices=OUTPUTS, default=None,
                   help="output action (default: permutation; folded for folded layers)")
    p.add_argument("--output-generators", default=None,
                   help="output action by hand: the image of each input generator, same order and notation")
    p.add_argument("--outputs", type=_integer, default=None,
                   help="number of outputs M for trivial, sign or hand-given actions (default: 1)")
    p.add_argument("--param", choices=PARAMS, default="triangular",
                   help="quadratic parametrization: one weight per monomial, or all n² entries")
    p.add_argument("--with-linear", action="store_true", help="add the linear term B x")
    p.add_argument("--with-bias", action="store_true", help="add the constant term C")
    p.add_argument("--naive", action="store_true",
                   help="folded layers only: apply the source note's procedure literally (not equivariant)")
    p.add_argument("--method", choices=("auto", "symbolic", "orbit"), default="auto",
                   help="solver path: SymPy coefficient matching, or combinatorial orbits")


def _spec(args: argparse.Namespace) -> LayerSpec:
    return LayerSpec.build(
        layer=args.layer, n=args.n, group=args.group, generators=args.generators,
        output=args.output, output_generators=args.output_generators, outputs=args.outputs,
        param=args.param, with_linear=args.with_linear, with_bias=args.with_bias, naive=args.naive,
    )


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = _Parser(prog="invariant", description="Derive, emit and check group-equivariant layers.",
                     formatter_class=fmt)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    d = sub.add_parser("derive", help="derive weight classes and constraints", formatter_class=fmt)
    _add_spec_options(d)
    d.add_argument("--format", choices=("text", "json", "latex"), default="text", help="report format")
    d.add_argument("--graph", metavar="FILE", default=None,
                   help="also write the equality graph (.graphml or .dot)")
    d.add_argument("--plot", metavar="FILE", default=None, help="also write the colored blocks (.png)")

    e = sub.add_parser("emit", help="write a PyTorch module for the spec", formatter_class=fmt)
    _add_spec_options(e)
    e.add_argument("-o", "--out", required=True, metavar="FILE", help="the .py file to write")

    c = sub.add_parser(
        "check", help="run a generated module (executes it) and measure its equivariance error", formatter_class=fmt,
        description="Check executes FILE: it is imported as a Python module, so trust it as you would any Python "
                    "module. It runs in a subprocess stopped after --timeout seconds. The group comes from the "
                    "file's SPEC (verified against its SHA256), never from the file's own generator list; every "
                    "forward the module offers is measured and compared. Exit 0: all errors within tolerance; "
                    "1: an error above tolerance, forwards that disagree, or NaN/inf output; 2: the file could "
                    "not be imported, constructed or run, or bad options.")
    c.add_argument("file", help="a module written by invariant emit (it is executed: trust it as Python code)")
    c.add_argument("--trials", type=_integer, default=20, help="random group elements to try (at least 1)")
    c.add_argument("--tol", type=float, default=1e-10,
                   help="largest acceptable error in float64, relative to max(1, max |f(x)|)")
    c.add_argument("--seed", type=_integer, default=0, help="random seed, 0 to 2**32 - 1")
    c.add_argument("--timeout", type=float, default=60.0, help="seconds before the run is stopped (exit 2)")
    c.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the module runs (auto: cuda if available)")
    return parser


def _derive(args) -> int:
    from . import report
    from .api import derive

    sol = derive(_spec(args), method=args.method)
    if args.graph:
        report.write_graph(sol, args.graph)
    if args.plot:
        report.write_plot(sol, args.plot)
    render = {"text": report.to_text, "json": report.to_json, "latex": report.to_latex}[args.format]
    sys.stdout.write(render(sol).rstrip("\n") + "\n")
    return 0


def _emit(args) -> int:
    from codegen import emit_file

    path = emit_file(_spec(args), args.out, method=args.method)
    print(f"wrote {path}")
    return 0


def _check(args) -> int:
    from codegen.check import check_file

    result = check_file(args.file, trials=args.trials, seed=args.seed, tol=args.tol, timeout=args.timeout,
                        device=args.device)
    print(result.report())
    return 0 if result.ok else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``invariant`` console script."""
    if sys.version_info >= (3, 10, 7):  # the limit (and its setter) arrived in 3.10.7
        sys.set_int_max_str_digits(0)  # group orders such as 4096! are printed exactly in JSON
    try:
        args = build_parser().parse_args(argv)
        return {"derive": _derive, "emit": _emit, "check": _check}[args.command](args)
    except InvariantError as exc:
        print(f"invariant: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
