"""Issue 21: ``invariant check`` computes its verdict itself and leaves no process of the file behind.

Three levels:

- the checker's computation (:func:`codegen.check.measure`) against a stand-in for the file's
  process that answers what the test chooses: the verdict follows the outputs, never a claim,
  and the file's process learns nothing but inputs in shuffled order (no subprocess);
- the sandbox (:class:`codegen.sandbox.Sandbox`) with a small handler that forks, daemonizes
  and hangs, with and without namespaces: nothing is left when it closes (cheap subprocesses,
  no torch);
- the command on the hostile files of :data:`hostile.ATTACKS` that fooled or outlived the old
  checker (each a check of some seconds: a torch import in the sandbox).

Leftover processes are found by a token in their environment: the test puts it in the
environment the check inherits, and every process the file starts inherits it in turn.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import hostile
import numpy as np
import pytest

import codegen.probe
import codegen.sandbox
from codegen.check import InProcess, inspect_file, measure, provenance, read_spec
from codegen.render import render_source
from invariant import InvariantError, LayerSpec
from invariant.cli import main

MARK = "INVARIANT_TRUST_TEST_TOKEN"


def marked(token: str) -> list[str]:
    """``pid command`` of every live process (not this one) whose environment holds ``MARK=token``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes()
            command = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"{MARK}={token}".encode() in environ.split(b"\0"):
            found.append(f"{name} {command.strip()}")
    return found


def sleepers(token: str, wait: int = 0) -> list[str]:
    """The ``sleep`` processes a forking hostile file (or the sandbox's handler below) started.

    With ``wait``, until there are that many (they exec a moment after their fork), for at most 300 s.
    """
    give_up = time.monotonic() + 300
    while True:
        found = [p for p in marked(token) if p.split()[1:2] == ["sleep"]]
        if len(found) >= wait or time.monotonic() > give_up:
            return found
        time.sleep(0.05)


@pytest.fixture
def token(monkeypatch):
    """A fresh token in the environment every process started from here inherits; none of them outlives the test."""
    value = uuid.uuid4().hex
    monkeypatch.setenv(MARK, value)
    monkeypatch.delenv("PYTHONPATH", raising=False)  # the detecting file looks for the library on it
    yield value
    left = marked(value)
    for line in left:  # a failing test leaves nothing behind either
        os.kill(int(line.split()[0]), signal.SIGKILL)
    assert not left, left


# --- the checker's own computation ----------------------------------------------------------

LINEAR = LayerSpec(layer="linear", n=4)  # W of shape (4, 4), no B or C: y = W x


class Answers:
    """Answers as a probe would for LINEAR: weights ``w`` and forward ``i`` computing ``forwards[i](x)``."""

    def __init__(self, w, forwards):
        self.w, self.forwards, self.requests = w, forwards, []

    def __call__(self, header, payload):
        self.requests.append((header, payload))
        if header["op"] == "load":
            return {"weights": [{"shape": [4, 4], "dtype": "torch.float64"}, {"shape": [0], "dtype": "torch.float64"},
                                {"shape": [0], "dtype": "torch.float64"}]}, self.w.tobytes()
        x = np.frombuffer(payload).reshape(header["shape"])
        answer = self.forwards[header["index"]](x)
        if isinstance(answer, dict):
            return answer, b""
        return {"shape": list(answer.shape), "dtype": "torch.float64"}, answer.tobytes()


def _measured(tmp_path, answers, trials=4):
    source = render_source(LINEAR).encode()
    return measure(str(tmp_path / "f.py"), source, LINEAR, InProcess(answers), trials, 0, 1e-10, "cpu")


def test_the_verdict_is_computed_from_the_outputs_on_the_checkers_inputs(tmp_path):
    """Outputs of y = x pass with error 0; one forward scaling output k by k + 1 fails, and the forwards disagree."""
    identity = [lambda x: x.copy()] * 4
    good = _measured(tmp_path, Answers(np.eye(4), identity))
    assert good.ok and good.max_error == 0.0 and good.disagreement == 0.0
    assert [f.name for f in good.forwards] == ["default", "dense", "explicit", "projected", "weights()"]
    scaled = _measured(tmp_path, Answers(np.eye(4), [identity[0], lambda x: x * np.arange(1.0, 5.0)] + identity[2:]))
    errors = {f.name: f.error for f in scaled.forwards}
    assert errors["dense"] > 0.1 and errors["default"] == errors["weights()"] == 0.0
    assert scaled.disagreement > 0.1 and not scaled.ok
    # the checker evaluates weights() itself: a W that is not equivariant fails though every forward is
    w = np.eye(4)
    w[0, 1] = 1.0
    own = _measured(tmp_path, Answers(w, identity))
    assert {f.name: f.error for f in own.forwards}["weights()"] > 0.1 and not own.ok


def test_a_claimed_verdict_is_no_output(tmp_path):
    """An answer that claims a result instead of giving the output is an error, not a verdict."""
    def claim(x):
        return {"error": 0.0, "ok": True, "finite": True}

    def many_lines(x):
        return {"failure": "it\nis\nfine"}

    with pytest.raises(InvariantError, match=r"the default forward returned no output; the spec needs shape \(8, 4\)"):
        _measured(tmp_path, Answers(np.eye(4), [claim] * 4))
    with pytest.raises(InvariantError, match=r"f\.py: it is fine$"):
        _measured(tmp_path, Answers(np.eye(4), [many_lines] * 4))


def test_the_files_process_sees_inputs_in_shuffled_order_and_nothing_else(tmp_path):
    """Every forward gets the same batches (x and g·x per trial); after each forward's first, the order is shuffled."""
    answers = Answers(np.eye(4), [lambda x: x.copy()] * 4)
    _measured(tmp_path, answers, trials=10)
    forwards = [h for h, _ in answers.requests if h["op"] == "forward"]
    assert all(set(h) == {"op", "index", "name", "shape"} for h in forwards)
    batches = {i: sorted(p for h, p in answers.requests if h.get("index") == i) for i in range(4)}
    assert all(len(b) == 20 and b == batches[0] for b in batches.values())
    rest = [h["index"] for h in forwards[4:]]
    assert [h["index"] for h in forwards[:4]] == [0, 1, 2, 3] and rest != sorted(rest)


def test_the_spec_is_read_from_the_text_and_the_file_never_runs_here(tmp_path):
    """read_spec and provenance do not execute the file (it would write a marker); the last SPEC assignment counts."""
    marker = tmp_path / "ran"
    spec = LayerSpec(layer="linear", n=3)
    text = (f"open({str(marker)!r}, 'w').write('x')\nSPEC = 'layer=linear, n=9'\n"
            f"SPEC = {str(spec)!r}\nSHA256 = {spec.sha256!r}\n").encode()
    assert read_spec("f.py", text) == spec
    assert provenance(text, spec) == "edited (differs from what `invariant emit` writes for this spec from line 1)"
    assert not marker.exists()
    with pytest.raises(InvariantError, match="SPEC and SHA256 strings missing"):
        read_spec("f.py", f"SPEC = {str(spec)!r}.strip()\nSHA256 = {spec.sha256!r}\n".encode())


def test_an_emitted_file_is_identical_and_an_edited_one_names_its_first_changed_line(tmp_path):
    ok, table_w = (hostile.write(tmp_path, kind) for kind in ("ok", "table_w"))
    result = inspect_file(str(ok), trials=2)
    assert result.source == "identical to what `invariant emit` writes for this spec"
    assert result.report().splitlines()[1] == (
        "file: identical to what `invariant emit` writes for this spec; it ran in this process")
    line = next(i for i, text in enumerate(table_w.read_text().splitlines(), 1) if text.startswith("TABLE_W"))
    assert provenance(table_w.read_bytes(), hostile.BASE) == (
        f"edited (differs from what `invariant emit` writes for this spec from line {line})")


# --- the sandbox ----------------------------------------------------------------------------

#: A handler run in the sandbox: it forks a sleeper and a setsid daemon, says where it runs, then hangs if asked.
FORKER = """
import os, time

class Forker:
    def __call__(self, header, payload):
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "4323"])
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "4324"])
            os._exit(0)
        try:
            os.kill(header["checker"], 0)  # signal 0: only whether the checker can be reached
            reach = "reached"
        except ProcessLookupError:
            reach = "not found"
        if header["hang"]:
            time.sleep(3600)
        return {"pid": os.getpid(), "ppid": os.getppid(), "checker": reach}, b""
"""


def _sandbox(namespaces: bool, seconds: float, stderr):
    source = Path(codegen.sandbox.__file__).read_text()
    return codegen.sandbox.Sandbox([source, FORKER], "Forker", stderr, time.monotonic() + seconds,
                                   namespaces=namespaces)


@pytest.mark.slow  # two small subprocesses (no torch)
@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "subreaper only"])
def test_the_sandbox_leaves_no_process_of_the_file(namespaces, token):
    """Here (root in a container) and in CI the worker is process 1 of its own PID namespace and cannot reach the
    checker; without namespaces it can, and the subreaper still collects its double-forked daemon."""
    with tempfile.TemporaryFile() as stderr:
        box = _sandbox(namespaces, 60, stderr)
        try:
            hello, _ = box.receive(lambda h: 0)
            answer, _ = box.request({"checker": os.getpid(), "hang": False}, b"", lambda h: 0)
            assert len(sleepers(token, wait=2)) == 2
        finally:
            box.close()
    if namespaces:
        assert (hello, answer) == ({"isolation": "pid namespace"}, {"pid": 1, "ppid": 0, "checker": "not found"})
    else:
        assert hello == {"isolation": "none"} and answer["checker"] == "reached"
    assert marked(token) == []


@pytest.mark.slow  # a small subprocess waits out a 3 s deadline
def test_a_sandbox_past_its_deadline_is_stopped_with_everything_it_started(token):
    with tempfile.TemporaryFile() as stderr:
        box = _sandbox(False, 120, stderr)  # starting may take long on a loaded machine: its own wide net
        try:
            box.receive(lambda h: 0)
            box.deadline = time.monotonic() + 3
            with pytest.raises(codegen.sandbox.Timeout):
                box.request({"checker": os.getpid(), "hang": True}, b"", lambda h: 0)
            assert len(sleepers(token, wait=2)) == 2
        finally:
            box.close()
    assert marked(token) == []


#: A handler that writes over the sandbox's pipes (every pipe it holds) before it answers, as a file's code could.
SCRIBBLER = """
import os, stat

class Scribbler:
    def __call__(self, header, payload):
        for name in os.listdir("/proc/self/fd"):
            try:
                if stat.S_ISFIFO(os.fstat(int(name)).st_mode):
                    os.write(int(name), b"\\xff" * 64)
            except OSError:
                pass
        return {"fine": True}, b""
"""


@pytest.mark.slow  # a small subprocess (no torch)
def test_a_file_writing_over_the_pipe_breaks_the_protocol_and_gets_no_verdict(token):
    with tempfile.TemporaryFile() as stderr:
        box = codegen.sandbox.Sandbox([Path(codegen.sandbox.__file__).read_text(), SCRIBBLER], "Scribbler", stderr,
                                      time.monotonic() + 60)
        try:
            box.receive(lambda h: 0)
            with pytest.raises(codegen.sandbox.SandboxError, match="sent a header of 4294967295 bytes"):
                box.request({}, b"", lambda h: 0)
        finally:
            box.close()


# --- the command on hostile files -----------------------------------------------------------


@pytest.mark.slow  # a check each (torch in the sandbox)
@pytest.mark.parametrize("kind, fragment", [
    ("forged", "the forwards disagree"),  # writes the old checker's result file and exits: not equivariant
    ("detector", "the forwards disagree"),  # right only where it sees the checker: it sees nothing
    ("sub_patch", "the forwards disagree"),  # a patched Tensor.__sub__ hid its dense forward's 2×
])
def test_a_file_cannot_write_or_fake_its_verdict(kind, fragment, tmp_path, token, capsys):
    path = str(hostile.write(tmp_path, kind))
    assert main(["check", path, "--trials", "3", "--timeout", "600"]) == 1
    out = capsys.readouterr().out
    assert "(FAIL" in out and fragment in out and "file: edited (differs" in out, out


@pytest.mark.slow  # a check (torch in the sandbox)
def test_a_file_that_forks_at_import_and_starts_a_daemon_leaves_nothing(tmp_path, token, capsys):
    assert main(["check", str(hostile.write(tmp_path, "forks")), "--trials", "3", "--timeout", "600"]) == 0
    assert "(ok, tol" in capsys.readouterr().out


def _cli(path: Path, *options: str):
    return subprocess.Popen([sys.executable, "-m", "invariant.cli", "check", str(path), "--timeout", "600", *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow  # a check (torch in the sandbox)
def test_a_file_cannot_kill_the_checker(tmp_path, token):
    """It kills its parent and every process naming it: in its own PID namespace it finds none of them."""
    child = _cli(hostile.write(tmp_path, "kills_parent"), "--trials", "3")
    out, err = child.communicate(timeout=600)
    assert child.returncode == 0 and "(ok, tol" in out, (child.returncode, out, err)


@pytest.mark.slow  # a check (torch in the sandbox), stopped once the file has forked
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_signal_to_check_ends_it_with_one_line_and_everything_the_file_started(signum, tmp_path, token):
    child = _cli(hostile.write(tmp_path, "forks_and_hangs"))
    try:
        assert len(sleepers(token, wait=2)) == 2  # the file has forked: the check is running
        child.send_signal(signum)
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert (child.returncode, out, err) == (128 + signum, "", f"invariant: interrupted ({signum.name})\n")


def test_the_probe_imports_nothing_of_the_library():
    """What runs beside the file (the sandbox's and the probe's source) imports only the standard library,
    numpy and torch."""
    for module in (codegen.sandbox, codegen.probe):
        source = Path(module.__file__).read_text()
        imports = [line.split()[1].split(".")[0] for line in source.splitlines()
                   if line.strip().startswith(("import ", "from ")) and not line.strip().startswith("from __future__")]
        assert set(imports) <= set(sys.stdlib_module_names) | {"numpy", "torch"}, (module.__name__, imports)
