"""The one writer (invariant.files): what a plain open() would do, atomically, and never damaging targets."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from invariant import InvariantError
from invariant.cli import main
from invariant.files import check_writable, remove_unfinished, write_atomic


@pytest.fixture
def umask():
    """Set the process umask for one test (restored afterwards)."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


def device_copy(tmp_path, name, minor):
    """A character device like /dev/null (minor 3) or /dev/full (minor 7): a mknod copy as root, else a symlink."""
    path = tmp_path / name
    source = {3: "/dev/null", 7: "/dev/full"}[minor]
    if os.geteuid() == 0:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    else:
        path.symlink_to(source)
    return path


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".inv-"))


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_open_would_give(tmp_path, umask, mask, mode):
    umask(mask)
    write_atomic(tmp_path / "new.txt", "x")
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == mode


@pytest.mark.parametrize("mode", [0o664, 0o600, 0o755])
def test_an_overwritten_file_keeps_its_mode(tmp_path, umask, mode):
    umask(0o077)
    target = tmp_path / "old.txt"
    target.write_text("old")
    target.chmod(mode)
    write_atomic(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == mode


def test_an_overwritten_file_keeps_its_owner(tmp_path):
    target = tmp_path / "owned.txt"
    target.write_text("old")
    if os.geteuid() == 0:  # only root can give a file away; root's rewrite must not take it back
        os.chown(target, 1234, 4321)
    owner = (target.stat().st_uid, target.stat().st_gid)
    write_atomic(target, "new")
    assert (target.stat().st_uid, target.stat().st_gid) == owner and target.read_text() == "new"


def test_a_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    (tmp_path / "link.txt").symlink_to(real.name)
    (tmp_path / "dangling.txt").symlink_to("made.txt")
    write_atomic(tmp_path / "link.txt", "new")
    write_atomic(tmp_path / "dangling.txt", "made")
    assert (tmp_path / "link.txt").is_symlink() and real.read_text() == "new"
    assert (tmp_path / "dangling.txt").is_symlink() and (tmp_path / "made.txt").read_text() == "made"
    assert leftovers(tmp_path) == []


def test_a_character_device_is_written_not_replaced(tmp_path, capsys):
    null = device_copy(tmp_path, "null", 3)
    write_atomic(null, "gone")
    assert main(["emit", "--layer", "linear", "-o", str(null)]) == 0
    assert stat.S_ISCHR(os.stat(null).st_mode) and os.path.getsize(null) == 0
    full = device_copy(tmp_path, "full", 7)
    with pytest.raises(InvariantError, match="No space left on device"):
        write_atomic(full, "x")
    assert main(["emit", "--layer", "linear", "-o", str(full)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert stat.S_ISCHR(os.stat(full).st_mode) and leftovers(tmp_path) == []


def test_dev_null_itself_stays_a_device():
    write_atomic(os.devnull, "x")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_pipe_is_written_directly_and_a_pipe_without_reader_is_refused(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InvariantError, match="no process reads from this pipe"):
        write_atomic(fifo, "x")
    received = []

    def read_fifo():
        with open(fifo) as pipe:
            received.append(pipe.read())

    reader = threading.Thread(target=read_fifo)
    reader.start()
    for _ in range(500):  # the writer needs the reader's open(); retry until it has happened
        try:
            write_atomic(fifo, "through the pipe")
            break
        except InvariantError:
            time.sleep(0.01)
    reader.join(5)
    assert received == ["through the pipe"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dev_stdout_is_this_process_stdout_where_it_stands(tmp_path):
    """-o /dev/stdout (or a link to it) with stdout a regular file: written at its offset, not replacing it."""
    out = tmp_path / "out.txt"
    (tmp_path / "link").symlink_to("/dev/stdout")
    code = ("import sys; from invariant.files import write_atomic; print('a', flush=True); "
            f"write_atomic('/dev/stdout', 'b\\n'); write_atomic({str(tmp_path / 'link')!r}, 'c\\n'); print('d')")
    with open(out, "w") as fh:
        subprocess.run([sys.executable, "-c", code], stdout=fh, check=True, timeout=600)
    assert out.read_text() == "a\nb\nc\nd\n" and (tmp_path / "link").is_symlink()


@pytest.mark.parametrize("length", [250, 255])
def test_long_file_names_work(tmp_path, length):
    write_atomic(tmp_path / ("n" * length), "x")
    assert (tmp_path / ("n" * length)).read_text() == "x" and leftovers(tmp_path) == []


@pytest.mark.parametrize("name, message", [
    ("newdir/", "ends in a separator"),
    ("absent/x.txt", "no such directory"),
    (".", "is a directory"),
    ("n" * 256, "too long"),
])
def test_bad_targets_are_refused_and_nothing_is_created(tmp_path, name, message):
    before = sorted(tmp_path.iterdir())
    with pytest.raises(InvariantError, match=message):
        write_atomic(f"{tmp_path}/{name}", "x")
    with pytest.raises(InvariantError, match=message):
        check_writable([tmp_path / "fine.txt", f"{tmp_path}/{name}"])
    assert sorted(tmp_path.iterdir()) == before


def test_check_writable_refuses_two_outputs_naming_one_file(tmp_path):
    (tmp_path / "link").symlink_to("a.txt")
    with pytest.raises(InvariantError, match="name the same file"):
        check_writable([tmp_path / "a.txt", tmp_path / "link"])
    check_writable([tmp_path / "a.txt", tmp_path / "b.txt", os.devnull, os.devnull])
    assert list(tmp_path.iterdir()) == [tmp_path / "link"]


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path):
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "x.txt", 12345)
    assert list(tmp_path.iterdir()) == []


def test_an_interruption_just_after_the_temporary_file_is_made_is_cleaned_up_by_remove_unfinished(
        tmp_path, monkeypatch):
    """A signal can land before the writer's own cleanup is armed: the file is registered before it exists."""
    real_open = os.open

    def open_then_interrupted(path, flags, mode=0o777):
        os.close(real_open(path, flags, mode))
        raise KeyboardInterrupt

    (tmp_path / "x.txt").write_text("old")
    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "x.txt", "new")
    monkeypatch.undo()
    assert len(leftovers(tmp_path)) == 1  # what the command line's remove_unfinished() is for
    remove_unfinished()
    assert leftovers(tmp_path) == [] and (tmp_path / "x.txt").read_text() == "old"


def test_an_os_error_without_a_system_message_is_reported_by_its_own_text(tmp_path, monkeypatch):
    """An OSError raised without an errno (strerror None) still names what went wrong, never "None"."""
    def fsync_fails(fd):
        raise OSError("the disk went away")

    (tmp_path / "x.txt").write_text("old")
    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(InvariantError) as info:
        write_atomic(tmp_path / "x.txt", "new")
    assert str(info.value) == f"cannot write {tmp_path / 'x.txt'}: the disk went away"
    assert leftovers(tmp_path) == [] and (tmp_path / "x.txt").read_text() == "old"

def test_a_full_stdout_is_one_line_and_no_shutdown_noise():
    code = ("import sys\nfrom invariant.files import write_stdout\nfrom invariant import InvariantError\n"
            "try:\n    write_stdout('x' * 100000)\nexcept InvariantError as exc:\n"
            "    print(exc, file=sys.stderr)\n    sys.exit(2)\n")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-c", code], stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=600)
    assert result.returncode == 2 and result.stderr == "cannot write to standard output: No space left on device\n"
