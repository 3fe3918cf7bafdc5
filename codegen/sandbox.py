"""The process a checked file runs in, and the end of every process it starts.

``invariant check`` never imports the file it checks: it starts a *sandbox*, a fresh
interpreter that receives its program over a pipe (the command line is a few lines that
read it, and name nothing), and talks to it by length-prefixed messages on two pipes. This
module holds both ends; the child's end runs from this module's source, sent down the pipe,
so it imports only the standard library.

**Containment.** Every process the file starts is gone when the check returns, however it
ends (success, failure, timeout, an exception such as Ctrl-C's KeyboardInterrupt):

- on Linux the sandbox's first process (the *keeper*) moves into a new user and PID
  namespace (``unshare(CLONE_NEWUSER | CLONE_NEWPID)`` by ctypes; failing that, with
  CAP_SYS_ADMIN, a PID namespace alone) and forks the *worker*, process 1 of the namespace.
  The worker cannot see or signal any process outside it (its parent is pid 0 to it), and
  when it dies the kernel kills every process in the namespace, daemons included;
- the checker is a child subreaper while the check runs (``PR_SET_CHILD_SUBREAPER``), so
  whatever escapes a dying parent (a ``setsid`` double fork where namespaces are not
  available) is re-parented to it, and :meth:`Sandbox.close` kills every process below it
  that it did not have before (walking ``/proc`` for parent ids), until none is left;
- the keeper and the worker die with their parent (``PR_SET_PDEATHSIG``), so a checker
  killed by SIGKILL takes the namespace with it;
- the checker is not dumpable while the check runs (``PR_SET_DUMPABLE`` 0): a process of
  the same user without privileges cannot read or write its memory or file descriptors
  through ``/proc``.

What no sandbox of this kind stops: without namespaces (kernels or containers that forbid
them) the worker runs as an ordinary process of yours and may signal the checker itself (a
checker killed so leaves the file's own children running); in any case the file runs with
your rights on your files and network (it is not a security sandbox, see the README's trust
section). Where there is no ``prctl`` or ``/proc`` (not Linux), only the keeper is killed.

**Messages.** Each message is a 12-byte prefix (header length, payload length: big-endian
4 and 8 bytes), a JSON header (a dict) and a raw payload. The checker reads a header of at
most :data:`MAX_HEADER` bytes, then exactly the payload it expects, under one deadline.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import struct
import subprocess
import sys
import time

PREFIX = struct.Struct(">IQ")
#: The largest header the checker reads (a header is a short dict: shapes, dtypes, a name).
MAX_HEADER = 1 << 20
#: Seconds the checker keeps killing and reaping before it gives up (a process stuck in the kernel).
STOP_SECONDS = 10.0

_PR_SET_PDEATHSIG, _PR_GET_DUMPABLE, _PR_SET_DUMPABLE = 1, 3, 4
_PR_SET_CHILD_SUBREAPER, _PR_GET_CHILD_SUBREAPER = 36, 37
_CLONE_NEWUSER, _CLONE_NEWPID = 0x10000000, 0x20000000

#: The sandbox's command line: read a length-prefixed JSON program from stdin and run it.
BOOTSTRAP = """import json, os
def read(k):
    data = b""
    while len(data) < k:
        chunk = os.read(0, k - len(data))
        if not chunk:
            raise SystemExit(1)
        data += chunk
    return data
program = json.loads(read(int(read(16))))
for source in program["sources"]:
    exec(compile(source, "<string>", "exec"))
globals()[program["main"]](program["config"])
"""


class SandboxError(Exception):
    """The sandbox could not be talked to: it ended, broke the protocol or ran out of time (one line)."""


class Timeout(SandboxError):
    """The deadline passed while the checker waited for the sandbox."""


class Ended(SandboxError):
    """The sandbox ended (its worker exited or was killed) while the checker waited for it."""


def _libc():
    """The C library (Linux: prctl and unshare), or None where there is none to load."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _prctl(libc, option: int, value: int = 0) -> int:
    """prctl(option, value), or -1 where it does not exist (not Linux)."""
    if libc is None or not hasattr(libc, "prctl"):
        return -1
    return libc.prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def _subreaper(libc) -> int:
    """Whether this process is a child subreaper now (0 or 1; 0 where prctl is missing)."""
    flag = ctypes.c_int(0)
    if libc is None or not hasattr(libc, "prctl"):
        return 0
    libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), ctypes.c_ulong(0), ctypes.c_ulong(0),
               ctypes.c_ulong(0))
    return flag.value


# --- messages (both ends) ---------------------------------------------------------------------


def encode(header: dict, payload: bytes = b"") -> bytes:
    """One message: the prefix, the JSON header and the payload.

    >>> message = encode({"op": "load"}, b"xy")
    >>> PREFIX.unpack(message[:PREFIX.size]), message[PREFIX.size:]
    ((14, 2), b'{"op": "load"}xy')
    """
    head = json.dumps(header).encode()
    return PREFIX.pack(len(head), len(payload)) + head + payload


def _read_blocking(fd: int, size: int) -> bytes | None:
    """Exactly ``size`` bytes from ``fd`` (the sandbox's end: no deadline); None at end of file."""
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = os.readv(fd, [view[got:]])
        if count == 0:
            return None
        got += count
    return bytes(buffer)


def _write_blocking(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# --- the sandbox's end ------------------------------------------------------------------------


def _unshare(libc, uid: int, gid: int) -> bool:
    """Move into new user and PID namespaces (or a PID namespace alone, as root); False where refused.

    The user namespace maps the caller's uid and gid to themselves, so files and ``id`` look
    as outside. The PID namespace takes effect for the next child, which becomes its process 1.
    """
    if libc is None or not hasattr(libc, "unshare"):
        return False
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWPID) == 0:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
        return True
    return libc.unshare(_CLONE_NEWPID) == 0


def keeper(config: dict) -> None:
    """The sandbox's first process: isolate, fork the worker, wait for it, end as it ended.

    The worker (process 1 of the new PID namespace where there is one) starts a session of
    its own, takes the two pipes to descriptors of its own (its stdin becomes /dev/null, its
    stdout goes to stderr, so a ``print`` cannot break a message), tells the checker how it
    is isolated, and answers requests with ``config["handler"]`` (a callable taking a header
    and a payload and returning both) until the checker closes its pipe.
    """
    libc = _libc()
    _prctl(libc, _PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != config["parent"]:
        os._exit(1)  # the checker ended before the line above
    isolated = config["namespaces"] and _unshare(libc, os.getuid(), os.getgid())
    alive_read, alive_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(alive_write)
        _prctl(libc, _PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([alive_read], [], [], 0)[0]:
            os._exit(1)  # the keeper ended before the line above
        os.close(alive_read)
        os.setsid()
        reader, writer = os.dup(0), os.dup(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(2, 1)
        os.close(null)
        _serve(reader, writer, globals()[config["handler"]](), isolated)
        os._exit(0)
    os.close(alive_read)
    os.close(0)
    os.close(1)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)
    os._exit(os.waitstatus_to_exitcode(status))


def _serve(reader: int, writer: int, handler, isolated: bool) -> None:
    """Answer every request with ``handler`` until the checker's pipe ends."""
    _write_blocking(writer, encode({"isolation": "pid namespace" if isolated else "none"}))
    while True:
        prefix = _read_blocking(reader, PREFIX.size)
        if prefix is None:
            return
        head_size, payload_size = PREFIX.unpack(prefix)
        header = json.loads(_read_blocking(reader, head_size) or b"null")
        payload = _read_blocking(reader, payload_size) if payload_size else b""
        _write_blocking(writer, encode(*handler(header, payload)))


# --- the checker's end ------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, state)} of every process in /proc (empty where there is no /proc)."""
    table: dict[int, tuple[int, str]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        table[int(name)] = (int(fields[1]), fields[0].decode())
    return table


def descendants(table: dict[int, tuple[int, str]], root: int, exclude: frozenset[int] = frozenset()) -> list[int]:
    """Every process below ``root`` in ``table`` ({pid: (ppid, state)}), not through ``exclude``.

    >>> table = {10: (1, "S"), 11: (10, "S"), 12: (11, "Z"), 13: (10, "S"), 14: (13, "R")}
    >>> descendants(table, 10), descendants(table, 10, frozenset({13}))
    ([11, 13, 12, 14], [11, 12])
    """
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in sorted(table.items()):
        children.setdefault(ppid, []).append(pid)
    found, frontier = [], [p for p in children.get(root, []) if p not in exclude]
    while frontier:
        found.extend(frontier)
        frontier = [c for p in frontier for c in children.get(p, [])]
    return found


class Sandbox:
    """A running sandbox: :meth:`request` a header and payload, :meth:`close` to end it and all below it.

    ``sources`` are module sources run in the sandbox in order (this module's first, for
    :func:`keeper`); ``handler`` names the callable that answers requests there; ``stderr``
    is a binary file that takes the sandbox's stdout and stderr; ``deadline`` is a
    ``time.monotonic()`` time after which every wait raises :class:`Timeout`;
    ``namespaces=False`` skips the namespaces (the containment left is the subreaper's).
    The constructor only starts the process; every wait (its program is written with the
    first request) is under the deadline. Close it in a ``finally``: that ends it however
    the check ends.
    """

    def __init__(self, sources: list[str], handler: str, stderr, deadline: float, *, namespaces: bool = True,
                 env: dict[str, str] | None = None) -> None:
        self.deadline = deadline
        self._libc = _libc()
        self._me = os.getpid()
        self._restore = (_subreaper(self._libc), _prctl(self._libc, _PR_GET_DUMPABLE))
        self._before = frozenset(descendants(_processes(), self._me))
        _prctl(self._libc, _PR_SET_CHILD_SUBREAPER, 1)
        _prctl(self._libc, _PR_SET_DUMPABLE, 0)
        self._reader = self._writer = -1
        self._process = self._pidfd = None
        try:
            to_child, self._writer = os.pipe()
            self._reader, from_child = os.pipe()
            try:
                self._process = subprocess.Popen([sys.executable, "-c", BOOTSTRAP], stdin=to_child, stdout=from_child,
                                                 stderr=stderr, env=env, start_new_session=True)
            finally:
                os.close(to_child)
                os.close(from_child)
            try:
                self._pidfd = os.pidfd_open(self._process.pid)
            except (AttributeError, OSError):  # not Linux 5.3 or later: exit_code() is polled instead
                self._pidfd = None
            os.set_blocking(self._reader, False)
            os.set_blocking(self._writer, False)
        except BaseException:
            self.close()
            raise
        config = {"parent": self._me, "namespaces": namespaces, "handler": handler}
        program = json.dumps({"sources": sources, "main": "keeper", "config": config}).encode()
        self._program = b"%16d" % len(program) + program  # written with the first request (under the deadline)

    def _wait(self, fd: int, write: bool) -> None:
        """Until ``fd`` is ready; SandboxError once the sandbox has ended, Timeout after the deadline.

        The keeper ends when the worker does, even where a process the file forked still holds
        the pipe open; its end is seen through a pidfd (or, without one, every 0.1 s).
        """
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout("the deadline passed")
            watch = [self._pidfd] if self._pidfd is not None else []
            readable, writable, _ = select.select(watch + ([] if write else [fd]), [fd] if write else [], [],
                                                  remaining if watch else min(remaining, 0.1))
            if fd in readable or fd in writable:
                return
            if self.exit_code(wait=False) is not None:
                raise Ended("ended")

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._wait(self._writer, write=True)
            try:
                view = view[os.write(self._writer, view):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise Ended("ended") from None

    def _read(self, size: int) -> bytes:
        buffer = bytearray(size)
        view, got = memoryview(buffer), 0
        while got < size:
            self._wait(self._reader, write=False)
            try:
                count = os.readv(self._reader, [view[got:]])
            except BlockingIOError:
                continue
            if count == 0:
                raise Ended("ended")
            got += count
        return bytes(buffer)

    def _start(self) -> None:
        """Send the sandbox its program, once."""
        if self._program:
            program, self._program = self._program, b""
            self._write(program)

    def send(self, header: dict, payload: bytes = b"") -> None:
        """Send one request."""
        self._start()
        self._write(encode(header, payload))

    def receive(self, payload_size) -> tuple[dict, bytes]:
        """One answer: its header (a dict) and the payload whose size ``payload_size(header)`` gives.

        ``payload_size`` checks the header and raises to refuse it; the payload the sandbox
        announces must be exactly that size.
        """
        self._start()
        head_size, size = PREFIX.unpack(self._read(PREFIX.size))
        if head_size > MAX_HEADER:
            raise SandboxError(f"sent a header of {head_size} bytes")
        try:
            header = json.loads(self._read(head_size))
        except (ValueError, RecursionError):
            raise SandboxError("sent a header that is not JSON") from None
        if not isinstance(header, dict):
            raise SandboxError("sent a header that is not a dict")
        expected = payload_size(header)
        if size != expected:
            raise SandboxError(f"sent {size} bytes where {expected} were due")
        return header, self._read(size)

    def request(self, header: dict, payload: bytes, payload_size) -> tuple[dict, bytes]:
        """:meth:`send`, then :meth:`receive`."""
        self.send(header, payload)
        return self.receive(payload_size)

    def exit_code(self, wait: bool = True) -> int | None:
        """How the sandbox ended (an exit code, or −signal), or None while it runs; ``wait``: until the deadline."""
        while self._process is not None and self._process.returncode is None:
            try:
                pid, status = os.waitpid(self._process.pid, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid:
                self._process.returncode = os.waitstatus_to_exitcode(status)
            elif not wait or time.monotonic() > self.deadline:
                return None
            else:
                time.sleep(0.01)
        return None if self._process is None else self._process.returncode

    def close(self) -> None:
        """Kill the sandbox and every process below this one that was not there before, wait until none is left.

        The keeper is killed first (the worker dies with it). Then processes are found by
        walking /proc for parent ids (this process is a subreaper, so orphans of the sandbox
        come back to it) and killed with SIGKILL, and its own dead children are reaped, until
        none is left. A process that another thread of this process starts meanwhile counts
        as the sandbox's too. Safe to call twice.
        """
        for fd in (self._reader, self._writer):
            if fd >= 0:
                os.close(fd)
        self._reader = self._writer = -1
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(OSError):  # it may have ended already
                os.kill(self._process.pid, signal.SIGKILL)
        give_up = time.monotonic() + STOP_SECONDS
        while True:
            table = _processes()
            tree = descendants(table, self._me, self._before)
            if not tree or time.monotonic() > give_up:
                break
            for pid in tree:
                if table[pid][1] != "Z":
                    with contextlib.suppress(OSError):  # it may have ended already
                        os.kill(pid, signal.SIGKILL)
            for pid in tree:
                if table[pid][0] == self._me:
                    try:
                        reaped, status = os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        continue
                    if reaped and self._process is not None and pid == self._process.pid:
                        self._process.returncode = os.waitstatus_to_exitcode(status)
            time.sleep(0.002)
        if self._process is not None and self._process.returncode is None:  # no /proc to walk
            try:
                self._process.returncode = os.waitstatus_to_exitcode(os.waitpid(self._process.pid, 0)[1])
            except ChildProcessError:
                self._process.returncode = -signal.SIGKILL
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        subreaper, dumpable = self._restore
        _prctl(self._libc, _PR_SET_CHILD_SUBREAPER, subreaper)
        if dumpable >= 0:
            _prctl(self._libc, _PR_SET_DUMPABLE, dumpable)
