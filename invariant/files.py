"""The one writer of output files: whole or not at all, and never damaging what is there.

- A regular file, or a path that does not exist yet, is written **atomically**: a
  temporary file with a short name in the same directory, then a rename. A new file gets
  the mode a plain ``open()`` would give (0666 minus the umask); an overwritten file keeps
  its mode (and, when root writes, its owner). A file with several hard links is replaced
  under the name written; its other names keep the old content.
- A **symlink** is followed: the file it points to is written, the link stays a link.
- A **character device or a pipe** (``/dev/null``, a terminal), and anything reached through
  an open descriptor (``/dev/stdout``, ``/dev/fd/N``), is written directly, as a plain
  ``open()`` would, never replaced by a regular file: even as root ``-o /dev/null`` leaves
  ``/dev/null`` a device. A pipe nobody reads from is refused instead of waited on.
- Directories, block devices and sockets are refused, and so is a path ending in a
  separator (``-o newdir/`` names a directory, not a file).
- An **interrupted** atomic write (an exception, Ctrl-C, or a signal the command line turns into
  an exception) leaves the file untouched or complete, and no temporary file behind.

:func:`check_writable` validates a whole set of outputs before any is written, so a
command that writes several files fails before the first one when any is unwritable.

>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> write_atomic(os.path.join(d, "a.txt"), "hello\\n")
>>> open(os.path.join(d, "a.txt")).read()
'hello\\n'
>>> check_writable([os.path.join(d, "b.txt"), os.path.join(d, "no", "c.txt")])
Traceback (most recent call last):
...
invariant.errors.InvariantError: cannot write ...c.txt: no such directory ...no
>>> write_atomic(os.devnull, "gone")   # written to the device, which stays a device
>>> import stat; stat.S_ISCHR(os.stat(os.devnull).st_mode)
True
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import InvariantError


@dataclass(frozen=True)
class _Plan:
    """Where and how one output is written: atomically (with the mode to keep) or directly."""

    shown: str
    target: Path
    direct: bool
    mode: int | None
    descriptor: int | None = None
    owner: tuple[int, int] | None = None


#: Temporary files of the writes under way (see :func:`remove_unfinished`).
_UNFINISHED: set[Path] = set()


def _error(shown: str, reason: str) -> InvariantError:
    return InvariantError(f"cannot write {shown}: {reason}")


def _reason(exc: OSError) -> str:
    """What went wrong: the system's message (an OSError raised without an errno has none)."""
    return exc.strerror or str(exc)


def _plan(path: str | os.PathLike) -> _Plan:
    shown = os.fspath(path)
    if not shown:
        raise InvariantError("cannot write an empty path")
    if shown.endswith(os.sep) or (os.altsep and shown.endswith(os.altsep)):
        raise _error(shown, "the path ends in a separator, so it names a directory, not a file")
    try:
        st = os.stat(shown)  # follows symlinks, including /dev/stdout's
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _error(shown, _reason(exc)) from None
    except ValueError as exc:  # an embedded NUL, or a name the file system encoding cannot hold
        raise _error(repr(shown), str(exc)) from None
    # /dev/stdout, /proc/self/fd/N: an open file, whatever it is
    if st is not None and (descriptor := _descriptor(shown)) is not None:
        if stat.S_ISDIR(st.st_mode) or not os.access(shown, os.W_OK):
            raise _error(shown, "not writable")
        return _Plan(shown, Path(shown), True, None, descriptor)
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise _error(shown, "it is a directory")
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise _error(shown, "not a regular file, character device or pipe")
        if not os.access(shown, os.W_OK):
            raise _error(shown, "permission denied")
        return _Plan(shown, Path(shown), True, None)
    target = Path(os.path.realpath(shown))  # a symlink (even dangling) is followed; the link is kept
    if not target.parent.is_dir():
        raise _error(shown, f"no such directory {target.parent}")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise _error(shown, f"permission denied in {target.parent}")
    if st is not None and not os.access(target, os.W_OK):
        raise _error(shown, "permission denied")
    if len(os.fsencode(target.name)) > os.pathconf(target.parent, "PC_NAME_MAX"):
        raise _error(shown, "file name too long")
    if st is None:
        return _Plan(shown, target, False, None)
    return _Plan(shown, target, False, stat.S_IMODE(st.st_mode), owner=(st.st_uid, st.st_gid))


def _descriptor(path: str) -> int | None:
    """The descriptor n when resolving ``path`` passes through /proc/<pid>/fd/n (as /dev/stdout and
    /dev/fd/n do): this process's own n, or -1 for another process's (opened by path)."""
    current = os.path.abspath(path)
    for _ in range(64):  # the kernel's own limit on nested links is 40
        current = os.path.join(os.path.realpath(os.path.dirname(current)), os.path.basename(current))
        parts = Path(current).parts
        if len(parts) == 5 and parts[1] == "proc" and parts[3] == "fd" and parts[4].isdigit():
            return int(parts[4]) if parts[2] == str(os.getpid()) else -1
        if not os.path.islink(current):
            return None
        current = os.path.abspath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return None


def check_writable(paths: Iterable[str | os.PathLike]) -> None:
    """Raise InvariantError unless every path can be written, and no two name the same file.

    Call it with every output of a command before computing or writing any of them.
    """
    seen: dict[Path, str] = {}
    for path in paths:
        plan = _plan(path)
        if plan.target in seen and not plan.direct:
            raise InvariantError(f"{seen[plan.target]} and {plan.shown} name the same file")
        seen[plan.target] = plan.shown


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` by the rules of the module docstring; InvariantError on any failure."""
    plan = _plan(path)
    payload = data.encode() if isinstance(data, str) else data
    if plan.descriptor is not None and plan.descriptor >= 0:  # our own stdout, say: write where it stands
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            with os.fdopen(os.dup(plan.descriptor), "wb") as fh:
                fh.write(payload)
        except OSError as exc:
            raise _error(plan.shown, _reason(exc)) from None
        return
    if plan.direct:
        try:
            # O_NONBLOCK: a reader-less pipe fails (ENXIO) instead of blocking; O_TRUNC acts on regular files only.
            fd = os.open(plan.target, os.O_WRONLY | os.O_NONBLOCK | os.O_TRUNC)
        except OSError as exc:
            reason = "no process reads from this pipe" if exc.errno == errno.ENXIO else _reason(exc)
            raise _error(plan.shown, reason) from None
        os.set_blocking(fd, True)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
        except OSError as exc:
            raise _error(plan.shown, _reason(exc)) from None
        return
    tmp = plan.target.parent / f".inv-{secrets.token_hex(4)}.tmp"
    _UNFINISHED.add(tmp)  # known before it exists: an interruption anywhere from here on cannot leave it
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    except OSError as exc:
        _UNFINISHED.discard(tmp)  # not made, or (a name taken) not ours
        raise _error(plan.shown, _reason(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if plan.owner is not None and os.geteuid() == 0:  # root keeps the file its owner's, as open() would
            os.chown(tmp, *plan.owner)
        if plan.mode is not None:
            os.chmod(tmp, plan.mode)
        os.replace(tmp, plan.target)
        _UNFINISHED.discard(tmp)
    except BaseException as exc:  # a KeyboardInterrupt (or the command line's SIGTERM) too
        tmp.unlink(missing_ok=True)
        _UNFINISHED.discard(tmp)  # only once it is gone: a second interruption still finds it registered
        if isinstance(exc, OSError):
            raise _error(plan.shown, _reason(exc)) from None
        raise


def remove_unfinished() -> None:
    """Delete the temporary file of every write still under way.

    :func:`write_atomic` removes its temporary file itself when an exception unwinds through
    it; the command line calls this as well when a signal ends a command, for a signal that
    lands between the temporary file's creation and that cleanup.

    >>> import tempfile; d = Path(tempfile.mkdtemp()); tmp = d / ".inv-0.tmp"; _ = tmp.write_text("half")
    >>> _UNFINISHED.add(tmp); remove_unfinished(); sorted(d.iterdir()), _UNFINISHED
    ([], set())
    """
    while _UNFINISHED:
        with contextlib.suppress(OSError):  # the directory became unwritable meanwhile: nothing more can be done
            _UNFINISHED.pop().unlink(missing_ok=True)


def write_stdout(text: str) -> None:
    """Write a command's report to standard output and flush it.

    A write error (``> /dev/full``) becomes an InvariantError; a closed pipe (``| head``)
    stays a BrokenPipeError. Either way standard output is then pointed at the null device,
    so the interpreter's final flush cannot print a second error.
    """
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
        if isinstance(exc, BrokenPipeError):
            raise
        raise InvariantError(f"cannot write to standard output: {exc.strerror}") from None
