"""Files on disk, written atomically and read without surprises.

Writes go to a temporary file in the same folder (``.<name>.<pid>.<hex>.tmp``, the name
cut short to fit the file system's limit), flushed to disk, then moved onto the target
with ``os.replace`` (or, when no file may be replaced, hard-linked to the free name): a
crash or ``kill -9`` never leaves half a file behind, and the next run in a run folder
removes the temporary files a killed process left (:mod:`autograd_flow.learn.runfolder`).

Archives (models, checkpoints: :func:`write_archive` / :func:`read_archive`) are ``.npz``
files of plain numeric arrays plus a JSON document (the array ``__meta__``). They are
read with ``allow_pickle=False``, so loading never runs code, and before numpy reads one
the header of every array in it is checked (:func:`check_npz`): it must be a ``.npy``
array of numbers or text, hold as many bytes as its shape declares, and all of them
must fit in memory. :func:`read_archive` then reads the metadata alone and checks each
array's declared size against what the file should hold (a model's architecture, a
checkpoint's parameters) before it unpacks any: a file of a few MiB whose zeros unpack
to gigabytes is refused unread. A file that carries a pickle, declares 2**40 rows, or
is truncated or tampered with raises a one-line error naming the file. JSON nested too
deeply to read is an error too, not a RecursionError.
"""
from __future__ import annotations

import json
import math
import os
import re
import secrets
import tokenize
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import ModelFileError
from .memory import check_fits, format_bytes

META = "__meta__"
META_LIMIT = 64 * 2 ** 20  # the most bytes of metadata text an archive may declare

# what the zip and npy readers raise on a truncated or damaged file (numpy's header
# parser may fail in tokenize)
CORRUPT_ERRORS = (EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error,
                  NotImplementedError, tokenize.TokenError)
# the temporary files of the atomic writes: .<name>.<pid>.<8 hex digits>.tmp
TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")
_NPY_MAGIC = b"\x93NUMPY"
_PICKLE_HINT = ("Python objects whose loading can run code; autograd_flow files hold only "
                "numeric arrays and JSON")


def write_archive(path: str | Path, arrays: Mapping[str, np.ndarray],
                  meta: Mapping[str, Any]) -> Path:
    """Write ``arrays`` and the JSON ``meta`` to ``path`` atomically."""
    path = Path(path)
    if META in arrays:
        raise ValueError(f"{META!r} is reserved for the JSON metadata")
    content: dict[str, Any] = {name: np.asarray(a) for name, a in arrays.items()}
    content[META] = np.array(json.dumps(meta))
    with atomic_file(path, "wb") as file:
        np.savez(file, **content)
    return path


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", *, exclusive: bool = False,
                **options: Any) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path`` for writing; when the block ends without
    an error, flush it to disk and move it onto ``path`` in one step (``os.replace``).
    On an error the temporary file is removed and ``path`` is unchanged.

    ``exclusive``: never replace a file: if ``path`` exists when the file is moved in
    (even one made after the block began), raise FileExistsError and leave it as it is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(path)
    try:
        with open(temporary, mode.replace("w", "x"), **options) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        if exclusive:
            _move_to_new(temporary, path)
        else:
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _move_to_new(temporary: Path, path: Path) -> None:
    """Move ``temporary`` to ``path`` in one step unless ``path`` exists: a hard link is
    made only if the name is free (os.replace would write over the file), then the
    temporary name goes. A file system without hard links gets a check, then
    os.replace."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise FileExistsError(f"{path} exists (made while it was being written): it is "
                              "left as it was; choose another name") from None
    except OSError:  # no hard links here (FAT, some network file systems)
        if os.path.lexists(path):
            raise FileExistsError(f"{path} exists: it is left as it was; choose another "
                                  "name") from None
        os.replace(temporary, path)
        return
    temporary.unlink()


def save_figure(figure: Any, path: str | Path, **options: Any) -> Path:
    """Save a matplotlib figure atomically, in the format of the suffix of ``path``."""
    path = Path(path)
    with atomic_file(path, "wb") as file:
        figure.savefig(file, format=path.suffix.lstrip(".").lower() or "png", **options)
    return path


def write_json(path: str | Path, content: Any) -> None:
    """Write JSON atomically (temporary file in the same folder, then os.replace)."""
    with atomic_file(path, "w") as file:
        json.dump(content, file, indent=2)
        file.write("\n")


def parse_json(text: str | bytes, what: str) -> Any:
    """``json.loads(text)``, with a one-line ValueError naming ``what`` when the text is
    not JSON or is nested too deeply to read (a RecursionError otherwise)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{what}: the JSON is nested too deeply to read") from None
    except ValueError as error:
        raise ValueError(f"{what} is not valid JSON ({error})") from None


def read_json(path: str | Path, what: str | None = None) -> Any:
    """The JSON document in the file at ``path`` (errors name ``what``, default the
    path)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {what or path}: {error}") from None
    return parse_json(text, what or str(path))


def temporary_name(path: Path) -> Path:
    """A fresh name next to ``path`` (same folder, so os.replace is atomic), matching
    :data:`TEMPORARY`: ``.<name>.<pid>.<hex>.tmp``, with ``name`` cut short when the
    whole would pass the file system's limit on the length of a name (255 bytes)."""
    suffix = f".{os.getpid()}.{secrets.token_hex(4)}.tmp"
    room = _name_max(path.parent) - len(f".{suffix}")
    name = path.name
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return path.with_name(f".{name}{suffix}")


def _name_max(folder: Path) -> int:
    """The longest file name (in bytes) the file system of ``folder`` takes."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no answer
        return 255
    return limit if limit > 0 else 255  # -1: no limit


def check_npz(path: str | Path, description: str, error: type[ValueError] = ModelFileError,
              text_hint: str = "") -> dict[str, tuple[int, ...]]:
    """Check the ``.npz`` file at ``path`` before numpy loads it, reading only the array
    headers: it must be a zip archive of ``.npy`` arrays of numbers or text (no object
    arrays: those are pickles), each holding the bytes its shape declares, all together
    fitting in memory. Returns {array name: shape}; raises ``error`` (a one-line message
    starting with ``description``, e.g. "model file m.npz"; ``text_hint`` is added when
    the file is something else, e.g. text) otherwise."""
    entries = _npz_entries(Path(path), description, error, text_hint)
    check_fits(_bytes(entries.values()), f"loading {description}")
    return {name: shape for name, (shape, _) in entries.items()}


def _npz_entries(path: Path, description: str, error: type[ValueError] = ModelFileError,
                 text_hint: str = "") -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """{array name: (shape, dtype)} of the ``.npz`` file at ``path``, checked as
    :func:`check_npz` says (but for the memory they need)."""
    try:
        with open(path, "rb") as file:
            head = file.read(64)
    except FileNotFoundError:
        raise error(f"{description} does not exist") from None
    except OSError as problem:
        raise error(f"cannot read {description}: {problem.strerror or problem}") from None
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, *CORRUPT_ERRORS) as problem:
        raise error(_not_an_archive(description, head, problem, text_hint)) from None
    entries: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    with archive:
        for info in archive.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            try:
                with archive.open(info) as member:
                    shape, dtype = _npy_header(member)
            except (ValueError, OSError, *CORRUPT_ERRORS) as problem:
                raise error(f"{description}: its entry {name!r} is not a numpy array "
                            f"({one_line(problem)}); was the file written by numpy.savez?") \
                    from None
            if dtype.hasobject:
                raise error(f"refusing to load {description}: it carries a pickle (its entry "
                            f"{name!r} is an array of {_PICKLE_HINT}), so it was not written "
                            "by autograd_flow or by numpy.savez of plain arrays, or it was "
                            "tampered with")
            needed = math.prod(shape) * dtype.itemsize
            if any(size < 0 for size in shape) or needed > info.file_size:
                raise error(f"{description}: its entry {name!r} declares shape {shape} "
                            f"{dtype} ({format_bytes(needed)}) but holds "
                            f"{format_bytes(info.file_size)}: the file is truncated or "
                            "damaged")
            entries[name] = shape, dtype
    return entries


def _bytes(entries: Iterable[tuple[tuple[int, ...], np.dtype]]) -> int:
    """The bytes arrays of these (shape, dtype) take."""
    return sum(math.prod(shape) * dtype.itemsize for shape, dtype in entries)


def _npy_header(member: IO[bytes]) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from the header of a .npy stream (ValueError if it is none)."""
    from numpy.lib import format as npy

    if member.read(6) != _NPY_MAGIC:
        raise ValueError("it does not start like a .npy array; a raw pickle?")
    version = (member.read(1)[0], member.read(1)[0])
    if version == (1, 0):
        shape, _, dtype = npy.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, _, dtype = npy.read_array_header_2_0(member)
    else:
        raise ValueError(f".npy format version {version} is not supported")
    return tuple(int(s) for s in shape), np.dtype(dtype)


def _not_an_archive(description: str, head: bytes, problem: BaseException,
                    text_hint: str) -> str:
    """Why a file that should be an .npz archive is not one, in one line."""
    if head.startswith(_NPY_MAGIC):
        return (f"{description} is a single .npy array, not an .npz archive of named "
                "arrays (save it with numpy.savez(path, X=X, y=y))")
    if head[:1] == b"\x80":
        return (f"refusing to load {description}: it carries a pickle (the whole file is "
                f"one: {_PICKLE_HINT})")
    if not head:
        return f"cannot read {description}: it is truncated or corrupted (the file is empty)"
    if head.startswith(b"PK"):
        return (f"cannot read {description}: it is truncated or corrupted "
                f"({one_line(problem)})")
    text = head[:24].decode("utf-8", "replace")
    return (f"cannot read {description}: it is not an .npz archive (a zip file of .npy "
            f"arrays) but begins with {text!r}: another kind of file{text_hint}, or a "
            "truncated or corrupted one")


def one_line(problem: object) -> str:
    """A message (an exception's, say) on one line: its lines joined with spaces; an
    exception without a message gives its type's name."""
    text = " ".join(str(problem).split())
    return text or (type(problem).__name__ if isinstance(problem, BaseException) else "")


def read_archive(path: str | Path, kind: str = "file",
                 expected: Callable[[dict[str, Any]], Mapping[str, tuple[int, ...]]]
                 | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`write_archive`: (arrays, meta). ``kind`` names the file
    in messages ("model", "checkpoint").

    Nothing is unpacked before it is checked (a file of a few MiB can unpack to
    gigabytes): first the header of every entry (:func:`check_npz`), then the metadata,
    if it declares at most :data:`META_LIMIT` bytes; then ``expected``, given the
    metadata, checks it and returns the shape of every array the file should hold (a
    model's follow from its architecture): an entry it does not name, or one that
    declares more bytes than that shape of float64 numbers, is refused unread."""
    path = Path(path)
    description = f"{kind} file {path}"
    entries = _npz_entries(path, description)
    if META not in entries:
        raise ModelFileError(f"{path} is not an autograd_flow {kind} file: it has no "
                             f"{META!r} entry (arrays: {', '.join(entries) or 'none'})")
    meta = _metadata(path, description, *entries.pop(META))
    if expected is not None:
        shapes = expected(meta)
        for name, (shape, dtype) in entries.items():
            _check_entry(description, kind, name, shape, dtype, shapes.get(name))
    check_fits(_bytes(entries.values()), f"loading {description}")
    return _unpack(path, list(entries), description), meta


def _metadata(path: Path, description: str, shape: tuple[int, ...],
              dtype: np.dtype) -> dict[str, Any]:
    """The JSON object in the entry ``__meta__`` (of ``shape`` and ``dtype``) of the
    archive at ``path``, read only if it is one text of at most META_LIMIT bytes."""
    if dtype.kind != "U" or shape != ():
        raise ModelFileError(f"{description}: its {META!r} entry is not a JSON text")
    if dtype.itemsize > META_LIMIT:
        raise ModelFileError(f"{description}: its {META!r} entry declares "
                             f"{format_bytes(dtype.itemsize)} of text, more than the "
                             f"{format_bytes(META_LIMIT)} of metadata any autograd_flow file "
                             "holds: the file is damaged or tampered with")
    text = str(_unpack(path, [META], description)[META])
    try:
        meta = parse_json(text, f"{description}: its metadata")
    except ValueError as error:
        raise ModelFileError(f"{error} (the file is damaged)") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{description}: its JSON metadata is not an object")
    return meta


def _check_entry(description: str, kind: str, name: str, shape: tuple[int, ...],
                 dtype: np.dtype, expected: tuple[int, ...] | None) -> None:
    """Refuse the entry ``name`` (declaring ``shape`` and ``dtype``) when the file should
    not hold it (``expected`` None) or it declares more bytes than ``expected`` float64
    numbers take."""
    if expected is None:
        raise ModelFileError(f"{description}: its entry {name!r} is not part of a {kind} "
                             "file: the file is damaged or tampered with (refused before "
                             "unpacking it)")
    declared = math.prod(shape) * dtype.itemsize
    if declared > math.prod(expected) * np.dtype(np.float64).itemsize:
        raise ModelFileError(f"{description}: its entry {name!r} declares shape {shape} "
                             f"{dtype} ({format_bytes(declared)}) but should hold shape "
                             f"{tuple(expected)}: the file is damaged or tampered with "
                             "(refused before unpacking it)")


def _unpack(path: Path, names: list[str], description: str) -> dict[str, np.ndarray]:
    """The arrays ``names`` of the archive at ``path`` (its headers checked first)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in names}
    except ValueError as error:  # check_npz refused pickles and missing files first
        raise ModelFileError(f"cannot read {description}: it is truncated or corrupted "
                             f"({one_line(error)})") from None
    except CORRUPT_ERRORS as error:
        raise ModelFileError(f"cannot read {description}: it is truncated or corrupted "
                             f"({type(error).__name__}: {one_line(error)})") from None
    except OSError as error:
        raise ModelFileError(f"cannot read {description}: {error}") from None


def read_run_settings(run_dir: Path | None, name: str) -> Any:
    """The JSON document a run saved in its folder (for ``--resume``); the caller checks
    its content."""
    if run_dir is None:
        raise ValueError("--resume needs --out, the run folder to continue")
    path = Path(run_dir) / name
    if not path.exists():
        raise ValueError(f"cannot resume {run_dir}: it holds no {name} (is it a run "
                         "folder?)")
    try:
        return read_json(path)
    except ValueError as error:
        raise ValueError(f"cannot resume {run_dir}: {error}") from None
