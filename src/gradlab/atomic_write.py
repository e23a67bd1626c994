"""Write a file all at once or not at all: a temporary file beside it, then ``os.replace``.

Every file gradlab writes whole (the HTML report, ``show --csv``, checkpoints, IDX exports) goes
through here, so a full disk, a Ctrl-C or a crash leaves the previous file (or none), never a
truncated one. Streams that grow while a run goes on (the watch's CSV/JSONL sinks, TensorBoard
event files) are appended to instead and are not atomic by nature.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, fsync: bool = True,
                **open_kw) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    Args:
        path: the file to write.
        mode: "w" (text) or "wb" (bytes).
        fsync: flush the data to the disk before the rename (so a power cut cannot leave an
            empty file under the new name); checkpoints written every epoch may skip it.
        **open_kw: passed to ``open`` (``encoding``, ``newline``).

    Raises:
        OSError: the write failed (disk full, no permission); ``path`` is then unchanged and the
            temporary file removed.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode 'w' or 'wb', got {mode!r}")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
        with os.fdopen(fd, mode, **open_kw) as handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | Path, data: str | bytes, *, encoding: str = "utf-8",
                 fsync: bool = True) -> Path:
    """Write ``data`` (text or bytes) to ``path`` atomically; returns the path."""
    if isinstance(data, bytes):
        with atomic_open(path, "wb", fsync=fsync) as handle:
            handle.write(data)
    else:
        with atomic_open(path, "w", fsync=fsync, encoding=encoding) as handle:
            handle.write(data)
    return Path(path)
