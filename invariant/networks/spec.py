"""The network specification: widths, input group and output action, as a canonical record.

A :class:`VarietySpec` describes a network of the source note's quadratic neurons,

    o^l_k = Σ_{i≤j} W^l[k,i,j] o^{l-1}_i o^{l-1}_j  (+ Σ_i B^l[k,i] o^{l-1}_i)  (+ C^l[k]),

with widths (n, h_1, ..., out): o^0 = x has n entries, the last layer has ``out``. The
input group and the output action are those of ``derive`` (``--group``/``--generators``,
``--output``/``--output-generators``); hidden layers carry no given action. The string form
is canonical and round-trips:

>>> s = VarietySpec.build(widths=(3, 2, 1), output="trivial")
>>> str(s)
'widths=3,2,1, group=symmetric, output=trivial, with_linear=false, with_bias=false'
>>> VarietySpec.parse(str(s)) == s
True
>>> import hashlib; s.sha256 == hashlib.sha256(str(s).encode()).hexdigest()
True
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from math import comb

from ..errors import InvariantError
from ..groups.permutations import Perm, format_generators
from ..spec import LayerSpec

#: Network outputs the variety accepts (folded is a one-layer device of note 001, section 6).
OUTPUTS = ("permutation", "trivial", "sign")

#: At most this many layers (the end-to-end degree is 2^layers).
MAX_LAYERS = 3
#: At most this many weights in all layers (numerical path: Jacobians are dense).
MAX_WEIGHTS = 400
#: At most this many output-polynomial coefficients (outputs × monomials of the network's degrees).
MAX_COEFFICIENTS = 4_000
#: Three-layer networks (degree 8) above this many weights are refused: their exact expansion
#: alone takes over 60 s here (bench/variety_cpu.md: (3,3,3,1), 42 weights, 11 s; (3,4,4,1), 74, 91 s).
MAX_DEEP_WEIGHTS = 50
#: Widths above this are refused (hidden units are generic; wider layers add nothing testable here).
MAX_WIDTH = 16


@dataclass(frozen=True)
class VarietySpec:
    """A multi-layer quadratic network and the group action its end-to-end map must respect.

    One validating constructor, as :class:`~invariant.spec.LayerSpec`: ``widths`` as
    ``"3,2,1"`` or a sequence of ints; the group and the output action as for ``derive``
    (``group="custom"`` when ``generators`` are given, ``output="custom"`` when
    ``output_generators`` are; cycle strings or image tuples); every value's type checked
    strictly (bools must be bools, ints ints) and its range checked, so that every accepted
    spec round-trips through its canonical string.
    """

    widths: tuple[int, ...]
    group: str | None = None
    output: str | None = None
    with_linear: bool = False
    with_bias: bool = False
    generators: tuple[Perm, ...] | str | None = field(default=None)
    output_generators: tuple[Perm, ...] | str | None = field(default=None)

    def __post_init__(self) -> None:
        widths = _widths(self.widths)
        object.__setattr__(self, "widths", widths)
        for name in ("with_linear", "with_bias"):
            if not isinstance(getattr(self, name), bool):
                raise InvariantError(f"{name} must be a bool (True or False), got {getattr(self, name)!r:.60}")
        if self.output is not None and not isinstance(self.output, str):
            raise InvariantError(f"output must be a string, got {self.output!r:.60}")
        if self.output not in (None, "custom") and self.output not in OUTPUTS:
            raise InvariantError(f"unknown output action {self.output!r:.60} for a network; "
                                 f"choose one of {', '.join(OUTPUTS)}")
        if len(widths) - 1 > MAX_LAYERS:
            raise InvariantError(f"{len(widths) - 1} layers given; the limit is {MAX_LAYERS} (degree 2^{MAX_LAYERS})")
        # The input group and the output action: the compiler's one-layer spec validates and
        # normalizes them (n inputs → out outputs); this spec keeps its normalized fields.
        custom_output = self.output_generators not in (None, ())
        if self.output == "custom" and not custom_output:
            raise InvariantError("a custom output action needs output generators")
        base = LayerSpec(
            layer="linear", n=widths[0], group=self.group, generators=self.generators,
            output="trivial" if self.output is None and not custom_output else self.output,
            output_generators=self.output_generators, outputs=widths[-1],
        )
        for name in ("group", "output", "generators", "output_generators"):
            object.__setattr__(self, name, getattr(base, name))
        if self.num_weights > MAX_WEIGHTS:
            raise InvariantError(f"{self.num_weights} weights is beyond the limit {MAX_WEIGHTS}; use smaller widths")
        if self.num_layers >= 3 and self.num_weights > MAX_DEEP_WEIGHTS:
            raise InvariantError(
                f"{self.num_weights} weights in a {self.num_layers}-layer network is beyond the limit "
                f"{MAX_DEEP_WEIGHTS} "
                "(the exact degree-8 expansion alone exceeds 60 s)"
            )
        if self.num_coefficients > MAX_COEFFICIENTS:
            raise InvariantError(
                f"the output polynomial has {self.num_coefficients} coefficients, beyond the limit {MAX_COEFFICIENTS}; "
                "use fewer layers or a smaller n"
            )

    @classmethod
    def build(
        cls,
        widths,
        group: str | None = None,
        generators: str | tuple[Perm, ...] | None = None,
        output: str | None = None,
        output_generators: str | tuple[Perm, ...] | None = None,
        with_linear: bool = False,
        with_bias: bool = False,
    ) -> VarietySpec:
        """The same as the constructor (kept for callers that spell it this way)."""
        return cls(widths=widths, group=group, output=output, with_linear=with_linear, with_bias=with_bias,
                   generators=generators, output_generators=output_generators)

    @property
    def n(self) -> int:
        """Number of inputs."""
        return self.widths[0]

    @property
    def outputs(self) -> int:
        """Number of outputs."""
        return self.widths[-1]

    @property
    def num_layers(self) -> int:
        return len(self.widths) - 1

    @property
    def hidden(self) -> tuple[int, ...]:
        """The hidden widths h_1, ..., h_{L-1}."""
        return self.widths[1:-1]

    @property
    def layer_spec(self) -> LayerSpec:
        """The input group and output action, as the compiler's one-layer spec (n inputs → out outputs)."""
        return LayerSpec(
            layer="linear", n=self.n, group=self.group, output=self.output, outputs=self.outputs,
            generators=self.generators, output_generators=self.output_generators,
        )

    def layer_weights(self, l: int) -> int:
        """Number of weights of layer l (0-based): quadratic, then linear, then bias terms."""
        a, b = self.widths[l], self.widths[l + 1]
        return b * (comb(a + 1, 2) + (a if self.with_linear else 0) + (1 if self.with_bias else 0))

    @property
    def num_weights(self) -> int:
        return sum(self.layer_weights(l) for l in range(self.num_layers))

    @property
    def degrees(self) -> tuple[int, ...]:
        """The degrees in x that the end-to-end polynomial can have, ascending."""
        return layer_degrees(self)[-1]

    @property
    def num_coefficients(self) -> int:
        return self.outputs * sum(comb(self.n + d - 1, d) for d in self.degrees)

    def __str__(self) -> str:
        parts = [
            f"widths={','.join(map(str, self.widths))}", f"group={self.group}", f"output={self.output}",
            f"with_linear={str(self.with_linear).lower()}", f"with_bias={str(self.with_bias).lower()}",
        ]
        if self.generators:
            parts.append(f"generators={format_generators(self.generators)}")
        if self.output_generators:
            parts.append(f"output_generators={format_generators(self.output_generators)}")
        return ", ".join(parts)

    @classmethod
    def parse(cls, text: str) -> VarietySpec:
        """Inverse of ``str``: parse a canonical variety spec string (anything else is refused)."""
        if not isinstance(text, str):
            raise InvariantError(f"a variety spec string must be a str, got {type(text).__name__}")
        values: dict[str, str] = {}
        for part in text.split(", "):
            key, sep, value = part.partition("=")
            if not sep or key in values:
                raise InvariantError(f"malformed variety spec string near {part[:40]!r}")
            values[key] = value
        required = ("widths", "group", "output", "with_linear", "with_bias")
        missing = [k for k in required if k not in values]
        unknown = sorted(set(values) - set(required) - {"generators", "output_generators"})
        if missing or unknown:
            raise InvariantError(f"malformed variety spec string: missing {missing}, unknown {unknown}")
        spec = cls(
            widths=values["widths"],
            group=None if "generators" in values else values["group"],
            output=None if "output_generators" in values else values["output"],
            with_linear=_parse_bool(values["with_linear"]), with_bias=_parse_bool(values["with_bias"]),
            generators=values.get("generators"), output_generators=values.get("output_generators"),
        )
        if str(spec) != text:
            raise InvariantError("malformed variety spec string: not in canonical form")
        return spec

    @property
    def sha256(self) -> str:
        """sha256 of the canonical string."""
        return hashlib.sha256(str(self).encode()).hexdigest()


#: Digits a width may have before anything else is looked at.
_MAX_WIDTH_DIGITS = 6


def parse_widths(text: str) -> tuple[int, ...]:
    """``"3,2,1"`` → (3, 2, 1): integers separated by commas; one-line errors for anything else.

    >>> parse_widths("3, 2,1")
    (3, 2, 1)
    """
    pieces = [p.strip() for p in text.split(",")]
    if not all(re.fullmatch(r"[+-]?[0-9]+", p) for p in pieces):
        raise InvariantError(f"widths: malformed {text[:40]!r}: expected integers separated by commas, e.g. 3,2,1")
    return _widths(tuple(_width(p) for p in pieces))


def _width(piece: str) -> int:
    digits = len(piece.lstrip("+-"))
    if digits > _MAX_WIDTH_DIGITS:
        raise InvariantError(f"widths: a width of {digits} digits is beyond the limit {MAX_WIDTH}")
    return int(piece)


def _widths(value) -> tuple[int, ...]:
    """Widths as a tuple of positive ints within the limits (from a string or a sequence of ints)."""
    if isinstance(value, str):
        return parse_widths(value)
    if not isinstance(value, (tuple, list)) or any(isinstance(w, bool) or not isinstance(w, int) for w in value):
        raise InvariantError(f"widths must be a string like 3,2,1 or a sequence of integers, got {value!r:.60}")
    widths = tuple(value)
    if len(widths) < 2:
        raise InvariantError(f"widths: give at least two (inputs and outputs), got {len(widths)}")
    if any(w <= 0 for w in widths):
        raise InvariantError(f"widths must be positive, got {','.join(map(str, widths))[:60]}")
    if max(widths) > MAX_WIDTH:
        raise InvariantError(f"widths: {max(widths)} is beyond the limit {MAX_WIDTH}")
    return widths


def layer_degrees(spec: VarietySpec) -> list[tuple[int, ...]]:
    """For each l = 0..L, the degrees in x that the units of layer l can have."""
    degs = [frozenset({1})]
    for _ in range(spec.num_layers):
        prev = degs[-1]
        nxt = {a + b for a in prev for b in prev}
        if spec.with_linear:
            nxt |= prev
        if spec.with_bias:
            nxt.add(0)
        degs.append(frozenset(nxt))
    return [tuple(sorted(d)) for d in degs]


def _parse_bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise InvariantError(f"malformed variety spec string: expected true or false, got {text!r}")
    return text == "true"
