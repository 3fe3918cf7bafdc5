"""The layer specification: a request, frozen and validated, with a canonical string.

A :class:`LayerSpec` names the layer family, the number n of points, the input group, the
output action, the tensor orders of input and output and the channels. It is only a request:
:func:`invariant.problem.lower` turns it, once, into the typed values every stage takes.
Its string form is canonical and round-trips; the sha256 of that string is its identity.

>>> s = LayerSpec(layer="quadratic", n=4)
>>> print(s)  # doctest: +NORMALIZE_WHITESPACE
layer=quadratic, n=4, group=symmetric, output=permutation, outputs=4,
param=triangular, with_linear=false, with_bias=false
>>> LayerSpec.parse(str(s)) == s
True
>>> import hashlib; s.sha256 == hashlib.sha256(str(s).encode()).hexdigest()
True
>>> str(LayerSpec(layer="linear", n=12, input_order=2, output_order=2, in_channels=16)).split(", ")[-3:]
['input_order=2', 'output_order=2', 'in_channels=16']
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

from .errors import InvariantError
from .groups.permutation_groups import GROUP_NAMES, named
from .groups.permutations import Perm, format_generators, is_permutation, parse_generators

Layer = Literal["linear", "quadratic", "cubic", "folded-linear", "folded-quadratic"]
GroupName = Literal["symmetric", "alternating", "cyclic", "dihedral", "hyperoctahedral"]
Output = Literal["permutation", "trivial", "sign", "folded"]
Param = Literal["triangular", "full"]

LAYERS: tuple[str, ...] = get_args(Layer)
OUTPUTS: tuple[str, ...] = get_args(Output)
PARAMS: tuple[str, ...] = get_args(Param)

#: Tensor orders up to this are accepted (the number of index slots grows as (k + l)·degree).
MAX_ORDER = 4
#: Digits of n accepted before anything else is looked at (n itself is limited later, by size).
MAX_N_DIGITS = 12
#: Custom generators are given as image lists, so their n is bounded by this.
MAX_CUSTOM_N = 1 << 16
#: At most this many generators (before the redundant ones are dropped).
MAX_GENERATORS = 10_000

# Fields printed only when they differ from their default (so older canonical strings stay valid).
_OPTIONAL_DEFAULTS = {"input_order": 1, "output_order": 1, "in_channels": 1, "out_channels": 1}

#: The default of a field that ``__post_init__`` fills in (None: "implied by the other fields").
#: Typed Any so that the field can carry the type it has after construction.
_FILLED_IN: Any = None


@dataclass(frozen=True)
class LayerSpec:
    """A layer, a finite group acting on its n points, and an action on its outputs.

    One validating constructor: every field is checked for its type and range, and implied
    values are filled in (``outputs`` from the output action, ``group="custom"`` when
    ``generators`` are given, ``output="custom"`` when ``output_generators`` are). Generators
    may be given as 0-based cycle strings (``"(0 1); (0 1 2 3)"``) or as image tuples.

    ``input_order`` k and ``output_order`` l make the layer map tensors of order k on the n
    points (n^k entries; the group acts on every index) to tensors of order l; order 0 is a
    scalar. ``in_channels``/``out_channels`` multiply every class by a block of parameters;
    the constraints do not change. ``naive`` applies the source note's folded procedure
    literally (for demonstration).
    """

    # The fields have the types __post_init__ leaves them with; the request types the constructor
    # accepts (None for "implied", cycle strings for generators) are in the __init__ below.
    layer: Layer
    n: int = 4
    group: GroupName | Literal["custom"] = _FILLED_IN
    output: Output | Literal["custom"] = _FILLED_IN
    outputs: int = _FILLED_IN
    param: Param = "triangular"
    with_linear: bool = False
    with_bias: bool = False
    generators: tuple[Perm, ...] = _FILLED_IN
    output_generators: tuple[Perm, ...] = _FILLED_IN
    naive: bool = False
    input_order: int = 1
    output_order: int = _FILLED_IN
    in_channels: int = 1
    out_channels: int = 1

    if TYPE_CHECKING:  # the signature of the __init__ that @dataclass writes (same names, order, defaults)

        def __init__(
            self,
            layer: Layer,
            n: int = 4,
            group: GroupName | Literal["custom"] | None = None,
            output: Output | Literal["custom"] | None = None,
            outputs: int | None = None,
            param: Param = "triangular",
            with_linear: bool = False,
            with_bias: bool = False,
            generators: tuple[Perm, ...] | str | None = None,
            output_generators: tuple[Perm, ...] | str | None = None,
            naive: bool = False,
            input_order: int = 1,
            output_order: int | None = None,
            in_channels: int = 1,
            out_channels: int = 1,
        ) -> None: ...

    def __post_init__(self) -> None:
        _check_type("layer", self.layer, str)
        if self.layer not in LAYERS:
            raise InvariantError(f"unknown layer {self.layer!r}; choose one of {', '.join(LAYERS)}")
        _check_int("n", self.n, low=1)
        for name in ("input_order", "in_channels", "out_channels"):
            _check_int(name, getattr(self, name), low=0 if name == "input_order" else 1)
        for name in ("with_linear", "with_bias", "naive"):
            _check_type(name, getattr(self, name), bool)
        _check_type("param", self.param, str)
        if self.param not in PARAMS:
            raise InvariantError(f"unknown parametrization {self.param!r}; choose triangular or full")
        self._normalize_group()
        self._normalize_output()
        self._check_combinations()

    # -- normalization -------------------------------------------------------------------------

    def _set(self, name: str, value) -> None:
        object.__setattr__(self, name, value)

    def _normalize_group(self) -> None:
        # The fields as requested (the constructor's types), before they are filled in.
        gens: tuple[Perm, ...] | str | None = self.generators
        requested: GroupName | Literal["custom"] | None = self.group
        if gens is not None and gens != () and requested not in (None, "custom"):
            raise InvariantError("give a named group or generators, not both")
        if gens is None or gens == ():
            if requested == "custom":
                raise InvariantError("a custom group needs generators")
            group = "symmetric" if requested is None else requested
            _check_type("group", group, str)
            if group not in GROUP_NAMES:
                raise InvariantError(f"unknown group {group!r}; choose one of {', '.join(GROUP_NAMES)}")
            self._set("group", group)
            self._set("generators", ())
            named(group, self.n)  # the family's own conditions on n (dihedral n >= 3, ...)
            return
        if self.n > MAX_CUSTOM_N:
            raise InvariantError(f"generators given by hand act on at most {MAX_CUSTOM_N} points, not n = {self.n}")
        self._set("generators", _generators("generators", gens, self.n))
        self._set("group", "custom")

    def _normalize_output(self) -> None:
        folded = self.layer.startswith("folded")
        # The fields as requested (the constructor's types), before they are filled in.
        out_gens: tuple[Perm, ...] | str | None = self.output_generators
        requested: Output | Literal["custom"] | None = self.output
        requested_order: int | None = self.output_order
        requested_outputs: int | None = self.outputs
        if out_gens is not None and out_gens != () and requested not in (None, "custom"):
            raise InvariantError("give an output action or output generators, not both")
        if requested_order is not None:
            _check_int("output_order", requested_order, low=0)
        if out_gens is not None and out_gens != ():
            output = "custom"
            count = len(self.generators) if self.group == "custom" else named(self.group, self.n).num_generators
            given = len(out_gens) if not isinstance(out_gens, str) else len(out_gens.split(";"))
            if given != count:
                raise InvariantError(
                    f"{given} output generators given for {count} input generators; "
                    "give one per input generator, in order"
                )
        elif requested is None:
            output = "folded" if folded else ("trivial" if requested_order == 0 else "permutation")
        else:
            output = requested
            _check_type("output", output, str)
            if output not in OUTPUTS:
                raise InvariantError(f"unknown output action {output!r}; choose one of {', '.join(OUTPUTS)}")
        self._set("output", output)
        order = requested_order if requested_order is not None else (1 if output == "permutation" else 0)
        if output == "permutation" and order == 0:
            raise InvariantError("the permutation output action needs an output order of at least 1")
        if output != "permutation" and order != 0:
            raise InvariantError(f"the {output} output action has no point indices: its output order is 0")
        if order > MAX_ORDER or self.input_order > MAX_ORDER:
            raise InvariantError(f"tensor orders are limited to {MAX_ORDER}")
        self._set("output_order", order)
        implied = {"permutation": self.n**order, "folded": self.n // 2}.get(output)
        if requested_outputs is not None:
            _check_type("outputs", requested_outputs, int)
            if requested_outputs != implied:  # the implied n^l may have more digits than a count given by hand
                _check_int("outputs", requested_outputs, low=1)
            if output in ("permutation", "folded") and requested_outputs != implied:
                raise InvariantError(f"the {output} output action has {implied} outputs, not {requested_outputs}")
            outputs = requested_outputs
        elif output == "custom":
            raise InvariantError("output generators need the number of outputs M they act on")
        else:
            outputs = implied if implied is not None else 1
        self._set("outputs", outputs)
        if output == "custom":
            if outputs > MAX_CUSTOM_N:
                raise InvariantError(f"output generators act on at most {MAX_CUSTOM_N} outputs, not {outputs}")
            self._set("output_generators", _generators("output generators", out_gens, outputs))
        else:
            self._set("output_generators", ())

    def _check_combinations(self) -> None:
        folded = self.layer.startswith("folded")
        if folded and self.output != "folded":
            raise InvariantError(f"layer {self.layer} has the folded output action, not {self.output!r}")
        if self.output == "folded" and not folded:
            raise InvariantError("the folded output action goes with the folded-linear and folded-quadratic layers")
        if folded and self.n % 2:
            raise InvariantError(f"folded layers need an even n, got {self.n}")
        if folded and self.input_order != 1:
            raise InvariantError("folded layers act on vectors (input order 1)")
        if self.degree == 1 and self.param == "full":
            raise InvariantError("the full parametrization applies to quadratic and cubic layers")
        if self.degree == 1 and self.with_linear:
            raise InvariantError(
                "an extra linear term applies to quadratic and cubic layers (a linear layer is already linear)"
            )
        if self.naive and not (folded and self.group == "symmetric"):
            raise InvariantError(
                "naive mode reproduces the note's folded procedure: it needs a folded layer and the symmetric group"
            )

    # -- derived facts ---------------------------------------------------------------------------

    @property
    def degree(self) -> int:
        """Degree of the main term: 1 for linear, 2 for quadratic, 3 for cubic layers."""
        return 1 if self.layer.endswith("linear") else 3 if self.layer == "cubic" else 2

    @classmethod
    def build(cls, layer: Layer, n: int = 4, **options: Any) -> LayerSpec:
        """The same as the constructor (kept for callers that spell it this way)."""
        return cls(layer=layer, n=n, **options)

    def __str__(self) -> str:
        parts = [
            f"layer={self.layer}", f"n={self.n}", f"group={self.group}", f"output={self.output}",
            f"outputs={self.outputs}", f"param={self.param}",
            f"with_linear={str(self.with_linear).lower()}", f"with_bias={str(self.with_bias).lower()}",
        ]
        if self.generators:
            parts.append(f"generators={format_generators(self.generators)}")
        if self.output_generators:
            parts.append(f"output_generators={format_generators(self.output_generators)}")
        if self.naive:
            parts.append("naive=true")
        for name, default in _OPTIONAL_DEFAULTS.items():
            value = getattr(self, name)
            if name == "output_order" and self.output != "permutation":
                continue  # implied by the output action
            if value != default:
                parts.append(f"{name}={value}")
        return ", ".join(parts)

    @classmethod
    def parse(cls, text: str) -> LayerSpec:
        """Inverse of ``str``: parse a canonical spec string."""
        if not isinstance(text, str):
            raise InvariantError(f"a spec string must be a str, got {type(text).__name__}")
        values: dict[str, str] = {}
        for part in text.split(", "):
            key, sep, value = part.partition("=")
            if not sep or key in values:
                raise InvariantError(f"malformed spec string near {part[:40]!r}")
            values[key] = value
        required = ("layer", "n", "group", "output", "outputs", "param", "with_linear", "with_bias")
        known = set(required) | {"generators", "output_generators", "naive"} | set(_OPTIONAL_DEFAULTS)
        missing = [k for k in required if k not in values]
        unknown = sorted(set(values) - known)
        if missing or unknown:
            raise InvariantError(f"malformed spec string: missing {missing}, unknown {unknown}")
        kwargs: dict = {"layer": values["layer"], "param": values["param"]}
        for key in ("n", "outputs", *_OPTIONAL_DEFAULTS):
            if key in values:
                kwargs[key] = _parse_int(values[key], key)
        for key in ("with_linear", "with_bias", "naive"):
            if key in values:
                kwargs[key] = _parse_bool(values[key])
        if "generators" in values:
            kwargs["generators"] = values["generators"]
        else:
            kwargs["group"] = values["group"]
        if "output_generators" in values:
            kwargs["output_generators"] = values["output_generators"]
        else:
            kwargs["output"] = values["output"]
        spec = cls(**kwargs)
        if str(spec) != text:
            raise InvariantError("malformed spec string: not in canonical form")
        return spec

    @property
    def sha256(self) -> str:
        """sha256 of the canonical string (stable across runs and machines)."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    def with_group(self, group: str) -> LayerSpec:
        """The same spec under another named group (used to suggest a group that acts)."""
        return self.replace(group=group, generators=None, naive=False)

    def at_n(self, n: int) -> LayerSpec:
        """The same request at another number of points (named groups and standard outputs)."""
        outputs = self.outputs if self.output in ("trivial", "sign") else None
        return self.replace(n=n, outputs=outputs)

    def replace(self, **changes: Any) -> LayerSpec:
        """A copy with some fields changed, validated again."""
        names = {f.name for f in fields(self)}
        bad = sorted(set(changes) - names)
        if bad:
            raise InvariantError(f"unknown spec fields {bad}")
        return replace(self, **changes)


def _check_type(name: str, value, kind: type) -> None:
    ok = (isinstance(value, int) and not isinstance(value, bool)) if kind is int else isinstance(value, kind)
    if not ok:
        what = {int: "an integer", bool: "a bool (True or False)", str: "a string"}[kind]
        raise InvariantError(f"{name} must be {what}, got {value!r:.60}")


def _check_int(name: str, value, low: int) -> None:
    _check_type(name, value, int)
    if abs(value) >= 10**MAX_N_DIGITS:
        raise InvariantError(
            f"{name} has more than {MAX_N_DIGITS} digits; sizes are far smaller (see the README's limits)"
        )
    if value < low:
        raise InvariantError(f"{name} must be {'positive' if low == 1 else f'at least {low}'}, got {value}")


def _generators(what: str, value, points: int) -> tuple[Perm, ...]:
    if isinstance(value, str):
        gens = parse_generators(value, points)
    elif isinstance(value, (tuple, list)):
        gens = tuple(tuple(g) if isinstance(g, (tuple, list)) else g for g in value)
        for g in gens:
            if not isinstance(g, tuple) or not is_permutation(g, points):
                raise InvariantError(f"{what}: {str(g)[:60]} is not a permutation of 0..{points - 1}")
    else:
        raise InvariantError(f"{what} must be a cycle string or a tuple of image tuples, got {type(value).__name__}")
    if len(gens) > MAX_GENERATORS:
        raise InvariantError(f"{len(gens)} {what} given; at most {MAX_GENERATORS}")
    return gens


def _parse_int(text: str, key: str) -> int:
    """A canonical integer: ASCII digits only (no sign, space, underscore or other script's digits).

    An implied output count n^l may have up to ``MAX_ORDER * MAX_N_DIGITS`` digits; every other
    integer at most ``MAX_N_DIGITS``.

    >>> _parse_int("12", "n"), _parse_int("1" + "0" * 47, "outputs") == 10**47
    (12, True)
    >>> _parse_int("²", "n")
    Traceback (most recent call last):
    ...
    invariant.errors.InvariantError: malformed spec string: n must be an integer, got '²'
    """
    digits = MAX_ORDER * MAX_N_DIGITS if key == "outputs" else MAX_N_DIGITS
    if not (text.isascii() and text.isdecimal()) or len(text) > digits:
        raise InvariantError(f"malformed spec string: {key} must be an integer, got {text[:20]!r}")
    return int(text)


def _parse_bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise InvariantError(f"malformed spec string: expected true or false, got {text[:20]!r}")
    return text == "true"
