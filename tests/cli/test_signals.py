"""Signals end every command cleanly: one line on stderr, exit 128 + the signal, nothing left behind.

``invariant.cli.main`` turns SIGINT, SIGTERM and SIGHUP into an exception (a KeyboardInterrupt)
for as long as a command runs, so the file writer's cleanup and every ``finally`` on the way out
run. The in-process tests deliver the signal from inside each subcommand (a patched library call
signals this process and waits for the handler), so the moment is exact; the subprocess tests
(slow) send it from outside while the child is provably inside the writer's window between its
temporary file and the rename (a patched ``os.fsync`` announces the window and waits there).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest

import codegen.check
import invariant.api
import invariant.groups.permutation_groups
import invariant.networks.api
from invariant.cli import main

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


class Unhandled(Exception):
    """Raised by the stand-in handlers of :func:`guard`: the signal reached the test, not main()."""


@pytest.fixture
def guard():
    """Stand-in handlers while a test signals itself: without main()'s own, the test fails instead of dying."""
    def handler(signum, frame):
        raise Unhandled(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    yield handler
    for s, old in previous.items():
        signal.signal(s, old)


def signal_here(signum):
    """A stand-in for a library call that delivers ``signum`` to this process where it is called."""
    def call(*args, **kwargs):
        os.kill(os.getpid(), signum)
        time.sleep(30)  # the handler's exception interrupts this at once
        raise AssertionError("the signal was not handled")

    return call


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


COMMANDS = {  # subcommand: (arguments, the calls patched to deliver the signal while it runs)
    "derive": (["derive", "--layer", "quadratic", "--n", "5"], [(invariant.api, "derive")]),
    "emit": (["emit", "--layer", "quadratic", "-o", "{dir}/out.py"], [(os, "fsync")]),  # in the writer's window
    "derive --graph": (["derive", "--layer", "linear", "--graph", "{dir}/g.dot"], [(os, "fsync")]),
    "check": (["check", "{dir}/old.txt"], [(codegen.check, "check_file")]),
    # invariant.networks resolves its names lazily and keeps them: patch the package's name too.
    "variety": (["variety", "--widths", "2,1,1", "--no-exact"],
                [(invariant.networks.api, "variety"), (invariant.networks, "variety")]),
    "groups": (["groups", "--n", "6"], [(invariant.groups.permutation_groups, "named")]),
}


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_signal_in_any_subcommand_is_one_line_and_its_exit_code_and_leaves_nothing(
        command, signum, guard, tmp_path, monkeypatch, capsys):
    argv, patches = COMMANDS[command]
    (tmp_path / "old.txt").write_text("old\n")
    for module, name in patches:
        monkeypatch.setattr(module, name, signal_here(signum), raising=False)
    code = main([a.replace("{dir}", str(tmp_path)) for a in argv])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert (code, err) == (128 + signum, f"invariant: interrupted ({signum.name})\n")
    assert leftovers(tmp_path) == ["old.txt"] and (tmp_path / "old.txt").read_text() == "old\n"
    assert all(signal.getsignal(s) is guard for s in SIGNALS)  # main() put the handlers back


def test_a_signal_just_after_the_temporary_file_is_made_leaves_nothing(guard, tmp_path, monkeypatch, capsys):
    """Between the temporary file's creation and the writer's cleanup: main() removes it."""
    real_open = os.open

    def open_then_signal(path, flags, mode=0o777):
        fd = real_open(path, flags, mode)
        if str(path).endswith(".tmp"):
            os.close(fd)
            signal_here(signal.SIGTERM)()
        return fd

    monkeypatch.setattr(os, "open", open_then_signal)
    code = main(["emit", "--layer", "linear", "-o", str(tmp_path / "out.py")])
    monkeypatch.undo()
    assert (code, capsys.readouterr().err) == (143, "invariant: interrupted (SIGTERM)\n")
    assert leftovers(tmp_path) == []


def test_a_second_signal_during_the_cleanup_is_ignored(guard, tmp_path, monkeypatch, capsys):
    """Ctrl-C pressed twice: the second one, while the writer removes its temporary file, changes nothing."""
    real_unlink = type(tmp_path).unlink

    def unlink_after_another_signal(path, missing_ok=False):
        os.kill(os.getpid(), signal.SIGINT)
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(os, "fsync", signal_here(signal.SIGTERM))
    monkeypatch.setattr(type(tmp_path), "unlink", unlink_after_another_signal)
    code = main(["emit", "--layer", "linear", "-o", str(tmp_path / "out.py")])
    monkeypatch.undo()
    assert (code, capsys.readouterr().err) == (143, "invariant: interrupted (SIGTERM)\n")
    assert leftovers(tmp_path) == []


def test_a_signal_ignored_when_the_command_starts_stays_ignored(guard, monkeypatch, capsys):
    """Under nohup SIGHUP is ignored: the command runs to its end."""
    real_named = invariant.groups.permutation_groups.named

    def named_after_a_hangup(*args):
        os.kill(os.getpid(), signal.SIGHUP)
        return real_named(*args)

    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    monkeypatch.setattr(invariant.groups.permutation_groups, "named", named_after_a_hangup)
    assert main(["groups", "--n", "4"]) == 0
    assert "cyclic" in capsys.readouterr().out and signal.getsignal(signal.SIGHUP) == signal.SIG_IGN


CHILD = """\
import os, sys, time
real_fsync = os.fsync
def fsync_and_wait(fd):  # the temporary file is written and synced; the rename has not happened
    real_fsync(fd)
    print("in the window", flush=True)
    time.sleep(60)
os.fsync = fsync_and_wait
from invariant.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_and_signal(argv, signum, group=False):
    """Start ``invariant argv`` (fsync patched), wait until it is inside the writer's window, signal it."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        assert child.stdout.readline() == "in the window\n"
        if group:  # Ctrl-C in a terminal: the whole foreground process group
            os.killpg(child.pid, signum)
        else:
            child.send_signal(signum)
        err = child.communicate(timeout=600)[1]
    finally:
        child.kill()
        child.wait()
    return child.returncode, err


@pytest.mark.slow  # a subprocess
def test_sigterm_in_the_writers_window_leaves_the_target_untouched_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.py"
    target.write_text("old\n")
    code, err = run_and_signal(["emit", "--layer", "linear", "-o", str(target)], signal.SIGTERM)
    assert (code, err) == (143, "invariant: interrupted (SIGTERM)\n")
    assert leftovers(tmp_path) == ["out.py"] and target.read_text() == "old\n"


@pytest.mark.slow  # a subprocess
def test_ctrl_c_in_the_writers_window_of_derive_graph_leaves_nothing(tmp_path):
    code, err = run_and_signal(["derive", "--layer", "linear", "--graph", str(tmp_path / "g.dot")], signal.SIGINT,
                               group=True)
    assert (code, err) == (130, "invariant: interrupted (SIGINT)\n")
    assert leftovers(tmp_path) == []


@pytest.mark.slow  # two subprocesses
def test_ctrl_c_in_check_stops_its_sandboxed_process_too(tmp_path):
    """The checked file runs apart from the terminal's Ctrl-C (its own session): check must stop it.

    The file holds a lock while it sleeps; the lock is free again only once its process is gone.
    """
    from invariant import LayerSpec

    spec = LayerSpec(layer="linear", n=3)
    lock, ready = tmp_path / "lock", tmp_path / "ready"
    hanging = tmp_path / "hangs.py"
    hanging.write_text(f'SPEC = "{spec}"\nSHA256 = "{spec.sha256}"\nimport fcntl, time\n'
                       f"held = open({str(lock)!r}, 'w')\nfcntl.flock(held, fcntl.LOCK_EX)\n"
                       f"open({str(ready)!r}, 'w').close()\ntime.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-m", "invariant", "check", str(hanging), "--timeout", "300"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120  # a safety net only: the file runs within seconds
        while not ready.exists() and parent.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), parent.stderr.read() if parent.poll() is not None else "the file did not run"
        os.killpg(parent.pid, signal.SIGINT)
        err = parent.communicate(timeout=600)[1]
        assert (parent.returncode, err) == (130, "invariant: interrupted (SIGINT)\n")
        with open(lock) as fh:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError while the file's process lives
    finally:
        parent.kill()
        parent.wait()
