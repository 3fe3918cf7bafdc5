"""The layer specification: what to derive, as a frozen, validated, canonical record.

A :class:`LayerSpec` names the layer family, the number n of inputs, the input group and
the output action. Its string form is canonical and round-trips:

>>> s = LayerSpec.build(layer="quadratic", n=4)
>>> str(s)
'layer=quadratic, n=4, group=symmetric, output=permutation, outputs=4, param=triangular, with_linear=false, with_bias=false'
>>> LayerSpec.parse(str(s)) == s
True
>>> import hashlib; s.sha256 == hashlib.sha256(str(s).encode()).hexdigest()
True
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from .errors import InvariantError
from .groups import GROUP_NAMES, Group, custom, named
from .perms import Perm, format_generators, parse_generators

LAYERS = ("linear", "quadratic", "cubic", "folded-linear", "folded-quadratic")
OUTPUTS = ("permutation", "trivial", "sign", "folded")
PARAMS = ("triangular", "full")

#: Above this many weights the symbolic path is refused (the orbit path has no such limit).
MAX_SYMBOLIC_WEIGHTS = 4_096


@dataclass(frozen=True)
class LayerSpec:
    """A layer, a finite group acting on its n inputs, and an action on its outputs.

    ``output`` is ``"custom"`` when ``output_generators`` gives the output image of each
    input generator by hand; ``group`` is ``"custom"`` when ``generators`` are given.
    ``naive`` applies the source note's folded procedure literally (for demonstration).
    """

    layer: str
    n: int
    group: str = "symmetric"
    output: str = "permutation"
    outputs: int = 0
    param: str = "triangular"
    with_linear: bool = False
    with_bias: bool = False
    generators: tuple[Perm, ...] = field(default=())
    output_generators: tuple[Perm, ...] = field(default=())
    naive: bool = False

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise InvariantError(f"unknown layer {self.layer!r}; choose one of {', '.join(LAYERS)}")
        if isinstance(self.n, bool) or not isinstance(self.n, int):
            raise InvariantError(f"n must be an integer, got {self.n!r}")
        if self.n <= 0:
            raise InvariantError(f"n must be positive, got {self.n}")
        if self.group != "custom" and self.group not in GROUP_NAMES:
            raise InvariantError(f"unknown group {self.group!r}; choose one of {', '.join(GROUP_NAMES)}")
        if (self.group == "custom") != bool(self.generators):
            raise InvariantError("a custom group needs generators, and only a custom group takes them")
        if self.output != "custom" and self.output not in OUTPUTS:
            raise InvariantError(f"unknown output action {self.output!r}; choose one of {', '.join(OUTPUTS)}")
        if (self.output == "custom") != bool(self.output_generators):
            raise InvariantError("a custom output action needs output generators, and only it takes them")
        if self.param not in PARAMS:
            raise InvariantError(f"unknown parametrization {self.param!r}; choose triangular or full")
        folded = self.layer.startswith("folded")
        if folded and self.output != "folded":
            raise InvariantError(f"layer {self.layer} has the folded output action, not {self.output!r}")
        if self.output == "folded" and not folded:
            raise InvariantError("the folded output goes with --layer folded-linear or folded-quadratic")
        if folded and self.n % 2:
            raise InvariantError(f"folded layers need an even n, got {self.n}")
        if self.degree == 1 and self.param == "full":
            raise InvariantError("--param full applies to quadratic and cubic layers")
        if self.degree == 1 and self.with_linear:
            raise InvariantError("--with-linear applies to quadratic and cubic layers (a linear layer is already linear)")
        if self.naive and not (folded and self.group == "symmetric"):
            raise InvariantError("--naive reproduces the note's folded procedure: it needs a folded layer and the symmetric group")
        expected = {"permutation": self.n, "folded": self.n // 2}.get(self.output)
        if expected is not None and self.outputs != expected:
            raise InvariantError(f"the {self.output} output action has {expected} outputs, not {self.outputs}")
        if self.outputs <= 0:
            raise InvariantError(f"the number of outputs must be positive, got {self.outputs}")
        for g in self.output_generators:
            if len(g) != self.outputs:
                raise InvariantError(f"output generator of size {len(g)} does not act on {self.outputs} outputs")
        group = self.input_group
        if self.output == "custom" and len(self.output_generators) != len(group.generators):
            raise InvariantError(
                f"{len(self.output_generators)} output generators given for "
                f"{len(group.generators)} input generators; give one per input generator, in order"
            )

    @classmethod
    def build(
        cls,
        layer: str,
        n: int = 4,
        group: str | None = None,
        generators: str | tuple[Perm, ...] | None = None,
        output: str | None = None,
        output_generators: str | tuple[Perm, ...] | None = None,
        outputs: int | None = None,
        param: str = "triangular",
        with_linear: bool = False,
        with_bias: bool = False,
        naive: bool = False,
    ) -> "LayerSpec":
        """Normalize user-facing options (strings of cycles, implied defaults) into a spec."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise InvariantError(f"n must be an integer, got {n!r}")
        if n <= 0:
            raise InvariantError(f"n must be positive, got {n}")
        if generators is not None and group not in (None, "custom"):
            raise InvariantError("give --group or --generators, not both")
        gens = parse_generators(generators, n) if isinstance(generators, str) else tuple(generators or ())
        group_name = "custom" if gens else (group or "symmetric")
        if output_generators is not None and output not in (None, "custom"):
            raise InvariantError("give --output or --output-generators, not both")
        folded = layer.startswith("folded")
        out = "custom" if output_generators is not None else (output or ("folded" if folded else "permutation"))
        if out == "permutation":
            size = n
        elif out == "folded":
            size = n // 2
        elif out == "custom":
            if outputs is None:
                raise InvariantError("--output-generators needs --outputs M (the number of outputs they act on)")
            size = outputs
        else:
            size = 1 if outputs is None else outputs
        if outputs is not None and out in ("permutation", "folded") and outputs != size:
            raise InvariantError(f"the {out} output action has {size} outputs; --outputs {outputs} does not fit")
        if isinstance(output_generators, str):
            if size <= 0:
                raise InvariantError(f"the number of outputs must be positive, got {size}")
            out_gens = parse_generators(output_generators, size)
        else:
            out_gens = tuple(output_generators or ())
        return cls(
            layer=layer, n=n, group=group_name, output=out, outputs=size, param=param,
            with_linear=with_linear, with_bias=with_bias, generators=gens,
            output_generators=out_gens, naive=naive,
        )

    @property
    def degree(self) -> int:
        """Degree of the main term: 1 for linear, 2 for quadratic, 3 for cubic layers."""
        return 1 if self.layer.endswith("linear") else 3 if self.layer == "cubic" else 2

    @property
    def input_group(self) -> Group:
        """The group acting on the inputs."""
        if self.group == "custom":
            return custom(self.n, self.generators)
        return named(self.group, self.n)

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
        return ", ".join(parts)

    @classmethod
    def parse(cls, text: str) -> "LayerSpec":
        """Inverse of ``str``: parse a canonical spec string."""
        fields: dict[str, str] = {}
        for part in text.split(", "):
            key, sep, value = part.partition("=")
            if not sep or key in fields:
                raise InvariantError(f"malformed spec string near {part!r}")
            fields[key] = value
        required = ("layer", "n", "group", "output", "outputs", "param", "with_linear", "with_bias")
        missing = [k for k in required if k not in fields]
        unknown = set(fields) - set(required) - {"generators", "output_generators", "naive"}
        if missing or unknown:
            raise InvariantError(f"malformed spec string: missing {missing}, unknown {sorted(unknown)}")
        try:
            n, outputs = int(fields["n"]), int(fields["outputs"])
        except ValueError:
            raise InvariantError("malformed spec string: n and outputs must be integers") from None
        return cls(
            layer=fields["layer"], n=n, group=fields["group"], output=fields["output"],
            outputs=outputs, param=fields["param"],
            with_linear=_parse_bool(fields["with_linear"]), with_bias=_parse_bool(fields["with_bias"]),
            generators=parse_generators(fields["generators"], n) if "generators" in fields else (),
            output_generators=(
                parse_generators(fields["output_generators"], outputs) if "output_generators" in fields else ()
            ),
            naive=_parse_bool(fields.get("naive", "false")),
        )

    @property
    def sha256(self) -> str:
        """sha256 of the canonical string (stable across runs and machines)."""
        return hashlib.sha256(str(self).encode()).hexdigest()

    def with_group(self, group: str) -> "LayerSpec":
        """The same spec under another named group (used to suggest a group that acts)."""
        return replace(self, group=group, generators=(), naive=False)


def _parse_bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise InvariantError(f"malformed spec string: expected true or false, got {text!r}")
    return text == "true"
