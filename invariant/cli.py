"""The ``invariant`` command line: thin wrappers over the library.

Every subcommand parses options into a :class:`~invariant.spec.LayerSpec`, calls one library
function and prints. Bad input is one line on stderr and exit code 2; the library's messages
name spec fields, and this module names them as flags. Nothing heavy is imported before a
subcommand needs it (``invariant --help`` loads no SymPy, numpy or torch).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import sys
import threading
from typing import Any, NoReturn

from . import __version__
from .errors import InvariantError
from .files import remove_unfinished
from .paths import METHODS
from .spec import GROUP_NAMES, LAYERS, MAX_N_DIGITS, OUTPUTS, PARAMS, LayerSpec

#: Spec field names as they appear at the start of library messages, and their flags.
_FLAGS = {
    "n": "--n", "outputs": "--outputs", "input_order": "--input-order", "output_order": "--output-order",
    "in_channels": "--in-channels", "out_channels": "--out-channels", "generators": "--generators",
    "output generators": "--output-generators", "with_linear": "--with-linear", "with_bias": "--with-bias",
}
_FLAG_PATTERN = re.compile(r"^(" + "|".join(sorted(map(re.escape, _FLAGS), key=len, reverse=True)) + r")\b")


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:  # noqa: D401
        raise InvariantError(message)


def _one_line(message: str) -> str:
    """An error message on one line: line breaks (an argument can hold them) shown escaped."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def _integer(text: str) -> int:
    """An integer option: ASCII digits with an optional sign (no other script's digits, no underscores)."""
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in ("+", "-") else stripped
    if not (digits.isascii() and digits.isdecimal()):
        raise argparse.ArgumentTypeError(f"expected an integer, got {text[:20]!r}")
    if len(digits) > MAX_N_DIGITS:
        raise argparse.ArgumentTypeError(f"{len(stripped)} digits is beyond every size limit")
    return int(stripped)


def _add_action_options(p: argparse.ArgumentParser, outputs: tuple[str, ...], output_default: str) -> None:
    """The input group and the output action (derive, emit and variety take them alike)."""
    p.add_argument("--group", choices=GROUP_NAMES, default=None,
                   help="input group (default: symmetric; see `invariant groups`)")
    p.add_argument("--generators", default=None,
                   help='a custom input group: 0-based cycles separated by ";", e.g. "(0 1); (0 1 2 3)"')
    p.add_argument("--output", choices=outputs, default=None, help=f"output action (default: {output_default})")
    p.add_argument("--output-generators", default=None,
                   help="the output action by hand: the image of each input generator, same order and notation")


def _add_spec_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layer", required=True, choices=LAYERS, help="layer family (required)")
    p.add_argument("--n", type=_integer, default=4, help="number of points n (default: 4)")
    _add_action_options(p, OUTPUTS, "permutation; folded for folded layers")
    p.add_argument("--outputs", type=_integer, default=None,
                   help="number of outputs M for trivial, sign or hand-given actions (default: 1)")
    p.add_argument("--param", choices=PARAMS, default="triangular",
                   help="parametrization: one weight per monomial, or all ordered index tuples (default: triangular)")
    p.add_argument("--with-linear", action="store_true", help="add the linear term B x (quadratic and cubic layers)")
    p.add_argument("--with-bias", action="store_true", help="add the constant term C")
    p.add_argument("--naive", action="store_true",
                   help="folded layers only: apply the source note's procedure literally (not equivariant)")
    p.add_argument("--input-order", type=_integer, default=1,
                   help="tensor order k of the input: 0 scalar, 1 set, 2 graph, ... (default: 1)")
    p.add_argument("--output-order", type=_integer, default=None,
                   help="tensor order l of the output (default: 1; 0 means invariant outputs)")
    p.add_argument("--in-channels", type=_integer, default=1, help="input channels C (default: 1)")
    p.add_argument("--out-channels", type=_integer, default=1, help="output channels D (default: 1)")
    p.add_argument("--method", choices=METHODS, default="auto",
                   help="solver path (default: auto = pattern where exact, orbit for large layers, else symbolic)")


def _spec(args: argparse.Namespace) -> LayerSpec:
    return LayerSpec(
        layer=args.layer, n=args.n, group=args.group, generators=args.generators,
        output=args.output, output_generators=args.output_generators, outputs=args.outputs,
        param=args.param, with_linear=args.with_linear, with_bias=args.with_bias, naive=args.naive,
        input_order=args.input_order, output_order=args.output_order,
        in_channels=args.in_channels, out_channels=args.out_channels,
    )


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="invariant", description="Derive, emit and check group-equivariant layers.",
                     formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"invariant {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    d = sub.add_parser("derive", help="derive weight classes and constraints, with both proofs", formatter_class=fmt)
    _add_spec_options(d)
    d.add_argument("--format", choices=("text", "json", "latex"), default="text", help="report format (default: text)")
    d.add_argument("--members", type=_integer, default=None, metavar="K",
                   help="list the first K members of every class (default: all for small layers, 12 in text)")
    d.add_argument("--graph", metavar="FILE", default=None,
                   help="also write the equality graph (.graphml or .dot) (default: none)")
    d.add_argument("--plot", metavar="FILE", default=None,
                   help="also write the coloured weight blocks (.png) (default: none)")

    e = sub.add_parser("emit", help="write a PyTorch module for the spec (needs no torch)", formatter_class=fmt)
    _add_spec_options(e)
    e.add_argument("-o", "--out", required=True, metavar="FILE", help="the .py file to write (required)")

    _add_variety_parser(sub)

    g = sub.add_parser("groups", help="list the named groups: what they are, their generators and orders",
                       formatter_class=fmt)
    g.add_argument("--n", type=_integer, default=4, help="number of points to show the generators for (default: 4)")

    c = sub.add_parser(
        "check", help="run a generated module (executes it) and measure its equivariance error", formatter_class=fmt,
        description="Check executes FILE: it is imported as a Python module, so trust it as you would any Python "
                    "module. It runs in a subprocess stopped after --timeout seconds. The group comes from the "
                    "file's SPEC (verified against its SHA256), never from the file's own generator list; every "
                    "forward the module offers is measured and compared. Exit 0: all errors within tolerance; "
                    "1: an error above tolerance, forwards that disagree, or NaN/inf output; 2: the file could "
                    "not be imported, constructed or run, or bad options.")
    c.add_argument("file", help="a module written by invariant emit (it is executed: trust it as Python code)")
    c.add_argument("--trials", type=_integer, default=20, help="random group elements to try, at least 1 (default: 20)")
    c.add_argument("--tol", type=float, default=1e-10,
                   help="largest acceptable error in float64, relative to max(1, max |f(x)|) (default: 1e-10)")
    c.add_argument("--seed", type=_integer, default=0, help="random seed, 0 to 2**32 - 1 (default: 0)")
    c.add_argument("--timeout", type=float, default=60.0,
                   help="seconds before the run is stopped, exit 2 (default: 60)")
    c.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the module runs (default: auto = cuda if available)")
    return parser


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text[:20]!r}") from None


def _add_variety_parser(sub) -> None:
    """``invariant variety``: the spec's options as :class:`~invariant.networks.VarietySpec` takes
    them, the run's as :func:`~invariant.networks.variety` takes them (which checks them)."""
    from .networks.spec import OUTPUTS as NETWORK_OUTPUTS

    v = sub.add_parser("variety",
                       help="the variety of end-to-end equivariant weights of a multi-layer quadratic network",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("--widths", required=True,
                   help="N,H1,...,OUT: inputs, hidden widths, outputs, e.g. 3,2,1 (required)")
    _add_action_options(v, NETWORK_OUTPUTS, "trivial")
    v.add_argument("--with-linear", action="store_true", help="add linear terms B o to every layer (default: off)")
    v.add_argument("--with-bias", action="store_true", help="add constant terms C to every layer (default: off)")
    v.add_argument("--format", choices=("text", "json", "latex"), default="text", help="report format (default: text)")
    v.add_argument("--starts", type=_integer, default=24,
                   help="random starts of the numerical path, 0 to 500 (default: 24)")
    v.add_argument("--seed", type=_integer, default=0,
                   help="random seed of the numerical path, 0 to 2**32 - 1 (default: 0)")
    v.add_argument("--no-exact", action="store_true", help="skip the exact (Singular) path (default: run it)")
    v.add_argument("--budget", type=_seconds, default=60.0,
                   help="time budget of the exact path in seconds, at most 60 (default: 60)")


#: variety's arguments as they start the library's messages, and their flags.
_VARIETY_FLAGS = {"widths": "--widths", "starts": "--starts", "seed": "--seed", "budget": "--budget"}
_VARIETY_PATTERN = re.compile(r"^(" + "|".join(_VARIETY_FLAGS) + r")\b")


def _variety(args) -> int:
    from .networks import VarietySpec, report, variety

    try:
        spec = VarietySpec(
            widths=args.widths, group=args.group, generators=args.generators, output=args.output,
            output_generators=args.output_generators, with_linear=args.with_linear, with_bias=args.with_bias,
        )
        rep = variety(spec, starts=args.starts, seed=args.seed, exact=not args.no_exact, budget=args.budget)
    except InvariantError as exc:  # the library names its arguments; name them as flags
        raise InvariantError(_VARIETY_PATTERN.sub(lambda m: _VARIETY_FLAGS[m.group(1)], str(exc), count=1)) from None
    render = {"text": report.to_text, "json": report.to_json, "latex": report.to_latex}[args.format]
    sys.stdout.write(render(rep).rstrip("\n") + "\n")
    return 0


def _derive(args) -> int:
    from . import report
    from .api import derive
    from .files import check_writable

    outputs = [p for p in (args.graph, args.plot) if p]
    if args.graph:
        report.check_output_name("graph", args.graph)
    if args.plot:
        report.check_output_name("plot", args.plot)
    if args.members is not None and args.members < 1:
        raise InvariantError("--members must be at least 1")
    check_writable(outputs)
    sol = derive(_spec(args), method=args.method)
    files = []
    if args.graph:
        files.append((args.graph, report.render_graph(sol, args.graph)))
    if args.plot:
        files.append((args.plot, report.render_plot(sol, args.plot)))
    render = {"text": report.to_text, "json": report.to_json, "latex": lambda s, m: report.to_latex(s)}[args.format]
    text = render(sol, args.members).rstrip("\n") + "\n"
    from .files import write_atomic

    for path, data in files:
        write_atomic(path, data)
    sys.stdout.write(text)
    return 0


def _emit(args) -> int:
    from codegen import emit_file

    from .files import check_writable

    check_writable([args.out])
    path = emit_file(_spec(args), args.out, method=args.method)
    print(f"wrote {path}")
    return 0


def _groups(args) -> int:
    from .groups.permutation_groups import DESCRIPTIONS, describe_order, named
    from .groups.permutations import format_generators

    n = args.n
    if n < 1:
        raise InvariantError("--n must be positive")
    for name in GROUP_NAMES:
        try:
            group = named(name, n)
        except InvariantError as exc:
            print(f"{name:16s} {DESCRIPTIONS[name]}\n{'':16s} not defined for n = {n}: {exc}")
            continue
        gens = format_generators(group.generators) if n <= 16 else f"({len(group.generators)} generators on {n} points)"
        print(f"{name:16s} {DESCRIPTIONS[name]}\n{'':16s} n = {n}: generators {gens or '(none: trivial group)'}; "
              f"order {describe_order(group)}")
    print("custom           any group given by --generators (0-based cycles, ';' between generators)")
    return 0


def _check(args) -> int:
    from codegen.check import check_file

    result = check_file(args.file, trials=args.trials, seed=args.seed, tol=args.tol, timeout=args.timeout,
                        device=args.device)
    print(result.report())
    return 0 if result.ok else 1


def _flag_message(message: str) -> str:
    """Name spec fields at the start of a library message as the flags that set them."""
    return _FLAG_PATTERN.sub(lambda m: _FLAGS[m.group(1)], message, count=1)


class Interrupted(KeyboardInterrupt):
    """A signal that ends the command: SIGINT, SIGTERM or SIGHUP, raised where the program stands.

    It is a KeyboardInterrupt, so everything on the way out runs as for Ctrl-C: the file
    writer removes its temporary file, ``invariant check`` stops its sandboxed process,
    temporary directories are deleted.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Signals:
    """While a command runs, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`, once.

    A second signal (during the cleanup that the first one started) is ignored, and so is a
    signal after :meth:`restore`, which puts the previous handlers back. A signal that was
    ignored when the command started (SIGHUP under ``nohup``) stays ignored. Only the main
    thread can set handlers; elsewhere nothing changes.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}  # handlers as signal.getsignal gives them
        self.caught = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in self.SIGNALS:
            old = signal.getsignal(signum)
            if old != signal.SIG_IGN:
                self.previous[signum] = old
                signal.signal(signum, self._raise)

    def _raise(self, signum: int, frame) -> None:
        if not self.caught:
            self.caught = True
            raise Interrupted(signum)

    def restore(self) -> None:
        self.caught = True
        for signum, old in self.previous.items():
            signal.signal(signum, signal.SIG_DFL if old is None else old)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``invariant`` console script.

    A signal (Ctrl-C, SIGTERM, SIGHUP) ends any command with one line on stderr and exit
    code 128 + the signal's number (130, 143, 129), after the cleanup its exception unwinds
    through: no temporary or partial file and no child process is left behind.
    """
    signals = _Signals()
    try:
        signals.install()
        return _run(argv)
    except KeyboardInterrupt as exc:  # Interrupted, or Ctrl-C where no handler could be set
        signals.caught = True
        remove_unfinished()
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        with contextlib.suppress(OSError, ValueError):  # stderr closed: the exit code still tells
            print(f"invariant: interrupted ({signal.Signals(signum).name})", file=sys.stderr, flush=True)
        return 128 + signum
    finally:
        signals.restore()


def _run(argv: list[str] | None) -> int:
    """Parse ``argv`` and run the subcommand; bad input is one line on stderr and exit code 2."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        commands = {"derive": _derive, "emit": _emit, "check": _check, "groups": _groups, "variety": _variety}
        code = commands[args.command](args)
        sys.stdout.flush()
        return code
    except InvariantError as exc:
        print(f"invariant: error: {_one_line(_flag_message(str(exc)))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stdout = None  # the reader went away: nothing more to print, and no error at exit
        return 0
    except OSError as exc:  # writing to stdout failed (a full disk, /dev/full)
        print(f"invariant: error: cannot write the output: {_one_line(str(exc.strerror or exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
