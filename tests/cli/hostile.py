"""Generated modules, whole and damaged: the files a hostile (or unlucky) user hands to ``check``.

Each damage is a small text change to a module written by ``emit``. Changes made by
*appending* code (overriding ``Layer`` or module constants) do not depend on the template's
layout; only the corrupted ``TABLE_W`` edits a line the template writes.

:data:`ATTACKS` are files that attack the checker rather than fail its checks (issue 21): a
forged result, a forward that is right only where it sees the checker, a patched
``torch.Tensor.__sub__``, processes left behind (a fork at import, a ``setsid`` daemon: both
``exec`` a ``sleep`` of :data:`FORK_SECONDS` or :data:`DAEMON_SECONDS`, so that ``ps`` names them)
and a file that kills its parent.
"""

from __future__ import annotations

import re
from pathlib import Path

from codegen.render import render_source
from invariant import LayerSpec

#: quadratic, S_4, with bias: weights by index patterns (TABLE_W) and a power-sum forward.
BASE = LayerSpec.build(layer="quadratic", n=4, with_bias=True)

_OVERRIDE = """

_Checked = Layer


class Layer(_Checked):
{body}
"""

PREPEND = {
    "exit0": "import sys\nsys.exit(0)\n",
    "systemexit3": "raise SystemExit(3)\n",
    "keyboard": "raise KeyboardInterrupt\n",
    "hang": "while True:\n    pass\n",
    "os_exit": "import os\nos._exit(0)\n",
    "syntax": "def (:\n",
}

OVERRIDE = {
    "nan": "    def forward(self, x):\n        return super().forward(x) * float('nan')\n",
    "inf": "    def forward(self, x):\n        return super().forward(x) + float('inf')\n",
    "raises": "    def forward(self, x):\n        raise RuntimeError('boom')\n",
    "shape": "    def forward(self, x):\n        return super().forward(x)[..., :-1]\n",
    "dtype": "    def forward(self, x):\n        return super().forward(x).float()\n",
    "ctor": "    def __init__(self, *args, **kwargs):\n        raise ValueError('no constructor today')\n",
    # Identity generator pairs and weights that are not equivariant: the old check passed it.
    "identity_pairs": ("    generator_pairs = tuple(((0, 1, 2, 3), (0, 1, 2, 3), 1) for _ in range(2))\n\n"
                       "    def forward(self, x):\n"
                       "        return super().forward(x) * torch.arange(1.0, 5.0, dtype=x.dtype)\n"),
}

#: ``sleep`` arguments of the processes the forking files leave (``ps`` shows ``sleep 4321``).
FORK_SECONDS, DAEMON_SECONDS = 4321, 4322

#: Not equivariant: output k scaled by k + 1 (the file's true verdict is FAIL).
_SCALED = "super().forward(x) * torch.arange(1.0, 5.0, dtype=x.dtype, device=x.device)"

#: The old checker ran ``python -m codegen.check CONFIG`` and read its verdict from CONFIG's result file.
_FORGE = f"""import json as _json
import os as _os
import sys as _sys

try:
    _config = _json.loads(_sys.argv[1])
except (IndexError, ValueError):
    _config = None
if isinstance(_config, dict) and "result" in _config:
    _perfect = [dict(name=_name, error=0.0, scale=1.0, finite=True)
                for _name in ("default", "dense", "explicit", "projected", "weights()")]
    with open(_config["result"], "w") as _result:
        _json.dump(dict(spec="{BASE}", forwards=_perfect, disagreement=0.0), _result)
    _os._exit(0)
"""

#: Right only where it sees the checker: its argv, PYTHONPATH, the module name or the library loaded.
_DETECT = """import os as _os
import sys as _sys

_CHECKED = (any("codegen" in _arg for _arg in _sys.argv) or "invariant" in _sys.modules
            or __name__.startswith("invariant")
            or any(_os.path.isdir(_os.path.join(_p, "codegen"))
                   for _p in _os.environ.get("PYTHONPATH", "").split(_os.pathsep) if _p))
"""

#: a - b is 0 when the caller is the checker's code (a file named in codegen/), right everywhere else.
_SUB = """import sys as _sys

import torch as _torch

_true_sub = _torch.Tensor.__sub__


def _hidden_sub(a, b):
    return _true_sub(a, a) if "codegen" in _sys._getframe(1).f_code.co_filename else _true_sub(a, b)


_torch.Tensor.__sub__ = _hidden_sub
"""

_FORKS = f"""import os as _os

if _os.fork() == 0:
    _os.execvp("sleep", ["sleep", "{FORK_SECONDS}"])
_middle = _os.fork()
if _middle == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execvp("sleep", ["sleep", "{DAEMON_SECONDS}"])
    _os._exit(0)
_os.waitpid(_middle, 0)
"""

#: Kills every process whose command line names this file (the ``invariant check`` running it), then its parent.
_KILL = """import os as _os
import signal as _signal


def _named_me(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as _cmdline:
            return _os.path.basename(__file__).encode() in _cmdline.read()
    except OSError:
        return False


for _pid in [int(_p) for _p in _os.listdir("/proc") if _p.isdigit() and _named_me(_p)] + [_os.getppid()]:
    if _pid == _os.getpid():
        continue
    try:
        _os.kill(_pid, _signal.SIGKILL)
    except OSError:
        pass
"""

#: kind: (code put before the module, the overriding Layer's body or None). Forged and detecting files
#: are not equivariant, the patched one's forwards disagree: each is FAIL when really checked.
ATTACKS = {
    "forged": (_FORGE, f"    def forward(self, x):\n        return {_SCALED}\n"),
    "detector": (_DETECT, f"    def forward(self, x):\n        return super().forward(x) if _CHECKED else {_SCALED}\n"),
    "sub_patch": (_SUB, ("    def forward(self, x):\n        y = super().forward(x)\n"
                         "        return 2 * y if self.forward_impl == 'dense' else y\n")),
    "forks": (_FORKS, None),
    "forks_and_hangs": (_FORKS + "import time as _time\n\n_time.sleep(3600)\n", None),
    "kills_parent": (_KILL, None),
}

KINDS = ("ok", *PREPEND, *OVERRIDE, *ATTACKS, "layer5", "spec_edited", "respec", "table_w")


def write(directory: Path, kind: str) -> Path:
    """Write the module damaged as ``kind`` (``ok`` for the untouched one) and return its path."""
    source = render_source(BASE)
    if kind in PREPEND:
        source = PREPEND[kind] + source
    elif kind in ATTACKS:
        prefix, body = ATTACKS[kind]
        source = prefix + "\n" + source + (_OVERRIDE.format(body=body) if body else "")
    elif kind in OVERRIDE:
        source += _OVERRIDE.format(body=OVERRIDE[kind])
    elif kind == "layer5":  # a valid SPEC and SHA256, and no torch import: the check must not need one to refuse
        source = f'SPEC = "{BASE}"\nSHA256 = "{BASE.sha256}"\nLayer = 5\n'
    elif kind == "spec_edited":  # SPEC changed, SHA256 not
        source = f'SPEC = "{str(BASE).replace("with_bias=true", "with_bias=false")}"\nSHA256 = "{BASE.sha256}"\n'
    elif kind == "respec":  # a cyclic layer whose SPEC and SHA256 both claim the symmetric group
        claimed = LayerSpec.build(layer="quadratic", n=4)
        source = render_source(LayerSpec.build(layer="quadratic", n=4, group="cyclic"))
        source += f'\nSPEC = "{claimed}"\nSHA256 = "{claimed.sha256}"\n'
    elif kind == "table_w":  # one weight pattern moved to another class; the power-sum forward does not read it
        line = re.search(r"^TABLE_W = \(\((-?\d+), (-?\d+),", source, flags=re.MULTILINE)
        assert line and line.group(1) != line.group(2), "the template no longer writes TABLE_W as expected"
        source = source.replace(line.group(0), f"TABLE_W = (({line.group(2)}, {line.group(1)},", 1)
    else:
        assert kind == "ok", kind
    path = directory / f"{kind}.py"
    path.write_text(source)
    return path


def write_tensor(directory: Path, spec: LayerSpec) -> Path:
    """Write the tensor-template module of ``spec`` (tensor orders or channels, S_n)."""
    path = directory / "tensor.py"
    path.write_text(render_source(spec))
    return path
