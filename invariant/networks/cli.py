"""``invariant variety``: parser and runner, wired into :mod:`invariant.cli` by ``add_parser``.

    invariant variety --widths N,H1,...,OUT [--group G | --generators "..."]
                      [--output permutation|trivial|sign | --output-generators "..."]
                      [--with-linear] [--with-bias] [--format text|json|latex]
                      [--starts K] [--seed S] [--no-exact] [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InvariantError
from ..groups import GROUP_NAMES
from .spec import OUTPUTS


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError(f"the exact budget must be in (0, 60] seconds, got {text}")
    return value


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``variety`` subcommand to an argparse subparsers object."""
    v = subparsers.add_parser(
        "variety", help="the variety of end-to-end equivariant weights of a multi-layer quadratic network",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("--widths", required=True, help="N,H1,...,OUT: inputs, hidden widths, outputs, e.g. 3,2,1 (required)")
    v.add_argument("--group", choices=GROUP_NAMES, default=None, help="input group (default: symmetric)")
    v.add_argument("--generators", default=None, help='custom input group, 0-based cycles separated by ";" (default: none)')
    v.add_argument("--output", choices=OUTPUTS, default=None, help="output action (default: trivial)")
    v.add_argument("--output-generators", default=None, help="output action by hand, one image per input generator (default: none)")
    v.add_argument("--with-linear", action="store_true", help="add linear terms B o to every layer (default: off)")
    v.add_argument("--with-bias", action="store_true", help="add constant terms C to every layer (default: off)")
    v.add_argument("--format", choices=("text", "json", "latex"), default="text", help="report format (default: text)")
    v.add_argument("--starts", type=_integer, default=24, help="random starts of the numerical path (default: 24)")
    v.add_argument("--seed", type=_integer, default=0, help="random seed of the numerical path (default: 0)")
    v.add_argument("--no-exact", action="store_true", help="skip the exact (Singular) path (default: run it)")
    v.add_argument("--budget", type=_seconds, default=60.0, help="time budget of the exact path in seconds, at most 60 (default: 60)")
    return v


def run(args: argparse.Namespace) -> int:
    """Build the spec, compute the report, print it. Bad input raises InvariantError (exit 2 in the CLI)."""
    from . import report
    from .api import variety
    from .spec import VarietySpec

    if args.starts < 0 or args.starts > 500:
        raise InvariantError(f"--starts must be in 0..500, got {args.starts}")
    spec = VarietySpec.build(
        widths=args.widths, group=args.group, generators=args.generators, output=args.output,
        output_generators=args.output_generators, with_linear=args.with_linear, with_bias=args.with_bias,
    )
    rep = variety(spec, starts=args.starts, seed=args.seed, exact=not args.no_exact, budget=args.budget)
    render = {"text": report.to_text, "json": report.to_json, "latex": report.to_latex}[args.format]
    sys.stdout.write(render(rep).rstrip("\n") + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m invariant.networks.cli``) until the main CLI wires ``variety``."""
    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # noqa: D401
            raise InvariantError(message)

    parser = _Parser(prog="invariant")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_parser(sub)
    try:
        return run(parser.parse_args(argv))
    except InvariantError as exc:
        print(f"invariant: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
