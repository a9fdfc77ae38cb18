"""Run folders of ``autograd-flow train`` and ``search``: one run at a time, nothing of
the user's lost, nothing of a killed run left behind.

- **A lock.** A run holds an exclusive ``flock`` on ``.autograd-flow.lock`` in its folder
  for as long as it lives; a second run into the same folder is refused with the first
  one's pid. The kernel releases the lock when the process ends in any way (``kill -9``
  included), so a killed run never leaves the folder locked, and there is no "is that
  pid still ours?" guess to get wrong (a pid file with O_EXCL needs one: a stale file
  must be told from a live run, and pids are reused). The file holds the holder's pid
  for the message and is removed when the run ends (a run that finds the file it locked
  unlinked locks the new one instead). Windows uses ``msvcrt.locking`` (not tested here).
- **No links.** Nothing is written through a symbolic link: a lock file that is one (or
  is no regular file, or has another name), a staging folder or a file of the run that
  is one makes the run refuse before it writes anything; what the link points to is
  left as it is.
- **Ownership.** The run's settings file (``run.json``, ``search.json``) lists the files
  the run writes (``"files"``). Only those are ever replaced or removed: a file of the
  user's with the name of an artefact (a ``graph.svg`` drawn by ``autograd-flow viz``,
  their own ``results.csv``) makes the run refuse before it writes anything.
- **Replacing a run** (``--overwrite``): the new run is built in the staging folder
  ``.autograd-flow-new`` inside the run folder and moved in only when it has something
  to put in place (it finished, or was interrupted after a checkpoint). The move writes
  a ``.ready`` note first (which files come, which of the old run's go), so a move that
  a kill cuts short is completed by the next run; a staging folder without the note
  (the new run was killed) is removed by the next run, and the old run stays whole.
- **Leftovers.** Temporary files of atomic writes (``.<name>.<pid>.<hex>.tmp``) that a
  killed process left are removed by the next run in the folder.
- **Default names** (``runs/digits-20261126-101502``) are created exclusively: a second
  run started in the same second gets ``...-101502-2``.
"""
from __future__ import annotations

import itertools
import os
import shutil
import stat
import sys
import time
from collections.abc import Collection, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import FolderBusyError, RunFolderError
from .files import TEMPORARY, parse_json, write_json

LOCK = ".autograd-flow.lock"
STAGING = ".autograd-flow-new"
READY = ".ready"


def new_run_dir(base: Path) -> Path:
    """Create the folder ``base``, or ``base-2``, ``base-3``, ... when it exists (each
    ``mkdir`` is exclusive, so two runs started together get two folders)."""
    base.parent.mkdir(parents=True, exist_ok=True)
    for k in itertools.count(1):
        candidate = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise AssertionError("unreachable")  # pragma: no cover


class RunFolder:
    """A run folder, locked while the ``with`` block runs (see the module doc).

    ``manifest``: the run's settings file, which lists its files under ``"files"``;
    ``artefacts``: every name a run of this kind may write; ``legacy_key``: a key the
    manifest of a run made before manifests listed files always has (then all
    ``artefacts`` are the run's)."""

    def __init__(self, path: str | Path, manifest: str, artefacts: Collection[str],
                 legacy_key: str, command: str = "autograd-flow") -> None:
        self.path = Path(path)
        self.manifest = manifest
        self.artefacts = frozenset(artefacts) | {manifest}
        self.legacy_key = legacy_key
        self.command = command
        self._lock: int | None = None

    # -- the lock ------------------------------------------------------------------------

    def __enter__(self) -> RunFolder:
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"{self.path} is a file, not a folder: choose another --out")
        self.path.mkdir(parents=True, exist_ok=True)
        lock = self.path / LOCK
        while True:
            fd = _open_lock(lock)
            if not _try_lock(fd):
                holder = os.read(fd, 200).decode("utf-8", "replace").strip()
                os.close(fd)
                raise FolderBusyError(
                    f"{self.path} is in use by another run ({holder or 'pid unknown'}): "
                    "wait until it ends, or choose another --out")
            try:  # the holder before us may have removed the file we locked
                current = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(fd)
        self._lock = fd
        try:
            _check_names(self.path, self.artefacts)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, {self.command}, since "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._lock is not None:
            if os.name == "posix":  # removed while still locked (see __enter__)
                (self.path / LOCK).unlink(missing_ok=True)
            os.close(self._lock)
            self._lock = None

    # -- what is in the folder -----------------------------------------------------------

    def owned(self) -> set[str]:
        """The names the run in this folder wrote (or will write): its manifest's
        ``"files"`` (only names of artefacts count), all artefacts for a manifest made
        before manifests listed files, nothing without a readable manifest of ours."""
        try:
            document = parse_json((self.path / self.manifest).read_bytes(), self.manifest)
        except (OSError, ValueError):
            return set()
        if not isinstance(document, dict):
            return set()
        files = document.get("files")
        if isinstance(files, list):
            return {self.manifest} | (self.artefacts & {f for f in files if isinstance(f, str)})
        return set(self.artefacts) if self.legacy_key in document else set()

    def present(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` that exist in the folder, sorted."""
        return sorted(name for name in names if (self.path / name).exists())

    def holds_run(self) -> bool:
        """Whether files of a run are in the folder."""
        return bool(self.present(self.owned()))

    def check_no_foreign(self, planned: Iterable[str]) -> None:
        """Refuse (RunFolderError) when a file the run would write exists and no run
        wrote it: the user's file is never replaced."""
        foreign = self.present(set(planned) - self.owned())
        if foreign:
            raise RunFolderError(
                f"{self.path} holds {', '.join(foreign)}, which no autograd-flow run wrote "
                f"there and this run would replace: move {'it' if len(foreign) == 1 else 'them'}"
                " away, or choose another --out")

    # -- leftovers of killed runs --------------------------------------------------------

    def clean_leftovers(self) -> list[str]:
        """Complete a replacement a kill cut short, remove an unfinished one and the
        temporary files killed processes left (only names of this run's kind, only of
        processes that ended). Returns what was done, for a note."""
        done = []
        staging = self.path / STAGING
        if (staging / READY).exists():
            self._move_in(staging)
            done.append(f"completed the replacement of the run in {self.path} that was "
                        "interrupted while it was moved in")
        elif staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
            done.append(f"removed an unfinished replacement run (killed?) from {staging}")
        stale = [entry for entry in self.path.iterdir() if _stale_temporary(entry.name,
                                                                            self.artefacts)]
        for entry in stale:
            entry.unlink(missing_ok=True)
        if stale:
            done.append(f"removed {len(stale)} temporary file(s) a killed run left in "
                        f"{self.path}")
        return done

    # -- replacing a run -----------------------------------------------------------------

    def staging(self) -> Path:
        """A new, empty staging folder for a run that will replace this one."""
        staging = self.path / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        return staging

    def replace_with(self, staging: Path) -> None:
        """Move the run built in ``staging`` into the folder in place of the old run:
        the old run's files that the new one has not are removed (only those)."""
        arriving = [entry.name for entry in staging.iterdir() if entry.name in self.artefacts]
        leaving = sorted(self.owned() - set(arriving))
        write_json(staging / READY, {"files": arriving, "remove": leaving})
        self._move_in(staging)

    def discard(self, staging: Path) -> None:
        """Remove a staging folder whose run is not kept."""
        shutil.rmtree(staging, ignore_errors=True)

    def _move_in(self, staging: Path) -> None:
        """Carry out the ``.ready`` note of ``staging`` (again, if a kill cut it short)."""
        note = parse_json((staging / READY).read_bytes(), str(staging / READY))
        arriving = [n for n in note.get("files", []) if n in self.artefacts]
        arriving.sort(key=lambda name: name == self.manifest)  # the manifest last
        for name in arriving:
            if (staging / name).exists():
                os.replace(staging / name, self.path / name)
        for name in note.get("remove", []):
            if name in self.artefacts:
                (self.path / name).unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def _open_lock(lock: Path) -> int:
    """Open (or create) the lock file ``lock`` for reading and writing, never through a
    symbolic link, and only if it is a regular file with no other name (a hard link):
    what the run writes into it must land nowhere else."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(lock, flags, 0o644)
    except OSError as error:
        if os.path.islink(lock):  # O_NOFOLLOW: ELOOP on Linux, EMLINK on FreeBSD
            raise RunFolderError(_link_message(lock)) from None
        if os.path.lexists(lock) and not os.path.isfile(lock):
            raise RunFolderError(_not_a_file_message(lock)) from None
        raise RunFolderError(f"cannot open the lock file {lock}: "
                             f"{error.strerror or error}") from None
    status = os.fstat(fd)
    if stat.S_ISREG(status.st_mode) and status.st_nlink == 1:
        return fd
    os.close(fd)
    if not stat.S_ISREG(status.st_mode):
        raise RunFolderError(_not_a_file_message(lock))
    raise RunFolderError(f"{lock} has other names (hard links), so writing the lock would "
                         "change another file: remove it (autograd-flow makes its own), or "
                         "choose another --out")


def _not_a_file_message(lock: Path) -> str:
    return (f"{lock} is not a regular file (autograd-flow keeps its lock there): remove "
            "it, or choose another --out")


def _link_message(path: Path) -> str:
    return (f"{path} is a symbolic link (to {os.readlink(path)}); autograd-flow never writes "
            "through one (what it points to is left as it is): remove the link, or choose "
            "another --out")


def _check_names(folder: Path, artefacts: Iterable[str]) -> None:
    """Raise RunFolderError if the staging folder or one of the ``artefacts`` in
    ``folder`` is a symbolic link (a run writes its files itself, never through one), or
    the staging folder is something else than a folder."""
    for name in [STAGING, *sorted(artefacts)]:
        if (folder / name).is_symlink():
            raise RunFolderError(_link_message(folder / name))
    staging = folder / STAGING
    if staging.exists() and not staging.is_dir():
        raise RunFolderError(f"{staging} is not a folder (autograd-flow stages a new run "
                             "there): remove it, or choose another --out")


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting: False if held."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _stale_temporary(name: str, artefacts: Collection[str]) -> bool:
    """Whether ``name`` is the temporary file of an artefact written by a process that
    has ended."""
    match = TEMPORARY.match(name)
    return bool(match and match["name"] in artefacts and not _alive(int(match["pid"])))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # the folder is locked: no live run of ours writes here
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def note(lines: Iterable[str], stream: Any = None) -> None:
    """Print each line as a note (on standard output)."""
    for line in lines:
        print(f"note: {line}", file=stream or sys.stdout)
