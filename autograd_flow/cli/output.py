"""The files a command writes where the user names them (``predict --out``, ``viz -o``).

They are written atomically (a temporary file moved into place: an error or a kill
leaves the earlier file, or none, never half of one) and only where nothing is lost: a
file that exists is replaced only with ``--overwrite``, and never one that a run wrote
in its run folder (``model.npz``, ``checkpoint.npz``, ``run.json``, ... of ``train``;
``best_model.npz``, ``search.json``, ... of ``search``: ``--overwrite`` would break the
run) or one the command reads. A folder that does not exist is an error, not made.
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path

from ..learn.runfolder import RunFolder
from . import search_command, train_command

#: each kind of run folder, as RunFolder takes it
RUN_KINDS = (train_command.RUN_KIND, search_command.RUN_KIND)


def add_overwrite_argument(parser: argparse.ArgumentParser, option: str) -> None:
    """--overwrite: let ``option``'s file replace one that exists."""
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace the file of {option} if it exists (never a file a "
                             "run wrote in its run folder, nor one this command reads)")


def check_output(path: Path, option: str, overwrite: bool, reads: Iterable[Path] = ()) -> None:
    """Raise ValueError (one line: what is wrong and what to do) unless the command may
    write the file ``path`` given as ``option``: its folder exists, it is no folder, no
    file of a run in its run folder, none of the files ``reads``, and it does not exist
    or ``overwrite`` is given."""
    where = f"{option} {path}"
    if path.is_dir():
        raise ValueError(f"{where} is a folder: give the name of a file to write")
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{where}: {folder} is a file, not a folder: choose another file")
    if not folder.is_dir():
        raise ValueError(f"{where}: the folder {folder} does not exist: create it first, or "
                         "choose another file")
    command = run_owning(path)
    if command is not None:
        raise ValueError(f"{where} is a file of the run in {folder} ({command} wrote it, "
                         "and --overwrite never replaces a run's files): choose another "
                         "file")
    exists = os.path.lexists(path)
    if exists and any(_same(path, read) for read in reads):
        raise ValueError(f"{where} is a file this command reads: choose another file")
    if exists and not overwrite:
        raise ValueError(f"{where} exists: add --overwrite to replace it, or choose "
                         "another file")


def run_owning(path: Path) -> str | None:
    """The command whose run wrote (or will write) ``path`` in its run folder, or None
    when no run claims the file (see :meth:`autograd_flow.learn.runfolder.RunFolder.owned`)."""
    folder = path.parent.resolve()
    for kind in RUN_KINDS:
        run = RunFolder(folder, *kind)
        if path.name in run.owned():
            return run.command
    return None


def _same(path: Path, other: Path) -> bool:
    try:
        return path.samefile(other)
    except OSError:  # one of them does not exist (or is a broken link)
        return False
