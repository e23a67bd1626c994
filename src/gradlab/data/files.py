"""Tasks from the user's own files: CSV, NPY, NPZ and MNIST-format IDX.

    gradlab train --task "csv(path='data.csv', target='label')"
    gradlab train --task "idx(images='train-images-idx3-ubyte.gz', labels='train-labels-idx1-ubyte.gz')"

The kind is inferred from the targets unless given: labels {0, 1} are binary, a few non-negative
integers are classes, anything else is regression. Rows are shuffled with the task's seed, then
split train/dev/test (fractions or sizes).

A NaN or an infinity in the data is refused with its row and column (it would train to NaN, and
a NaN label would turn a 0/1 task into regression); ``non_finite="drop"`` drops such rows instead,
with a warning that counts them. Error messages name places in a file, never its contents.
"""

from __future__ import annotations

import csv
import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from gradlab.data.idx import read_idx
from gradlab.data.task import TASKS, Task, finish_task, make_generator
from gradlab.errors import ConfigError

DEFAULT_SPLIT = (0.64, 0.16, 0.2)
NON_FINITE = ("error", "drop")
MAX_CLASSES = 100  # more distinct integer targets than this reads as regression


def infer_kind(y: np.ndarray) -> str:
    """``"binary"`` for labels in {0, 1}, ``"multiclass"`` for a few non-negative integers, else ``"regression"``."""
    if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
        flat = y.reshape(-1)
        if np.all(np.isfinite(flat)) and np.all(flat == np.round(flat)):
            values = np.unique(flat)
            if set(values.tolist()) <= {0, 1}:
                return "binary"
            if values.min() >= 0 and len(values) <= MAX_CLASSES:
                return "multiclass"
    return "regression"


def _bad_rows(array: np.ndarray) -> np.ndarray:
    """Per row: whether it holds a NaN or an infinity (integer arrays never do)."""
    if not np.issubdtype(array.dtype, np.floating) and not np.issubdtype(array.dtype, np.complexfloating):
        return np.zeros(array.shape[0], dtype=bool)
    return ~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1)


def keep_finite_rows(name: str, arrays: dict[str, np.ndarray], non_finite: str,
                     first_line: int = 1) -> np.ndarray:
    """The rows to keep: all, or (``non_finite="drop"``) those without NaN or inf.

    Args:
        name: the source, for messages (``csv 'data.csv'``).
        arrays: what a row is made of, by the name a message uses (``{"X": X, "y": y}``).
        non_finite: "error" (the default: refuse, naming the first bad row and column) or "drop".
        first_line: the number the first row is shown with (a CSV's header shifts it).

    Raises:
        ConfigError: a non-finite value with ``non_finite="error"``, or a bad ``non_finite``.
    """
    if non_finite not in NON_FINITE:
        raise ConfigError(f"{name}: non_finite must be 'error' or 'drop', got {non_finite!r}")
    n = next(iter(arrays.values())).shape[0]
    bad = np.zeros(n, dtype=bool)
    for array in arrays.values():
        bad |= _bad_rows(array)
    if not bad.any():
        return np.ones(n, dtype=bool)
    if non_finite == "drop":
        warnings.warn(f"{name}: dropped {int(bad.sum()):,} of {n:,} rows holding NaN or inf",
                      stacklevel=3)
        return ~bad
    row = int(np.argmax(bad))
    for label, array in arrays.items():
        flat = array.reshape(n, -1)[row]
        cols: Any = np.flatnonzero(~np.isfinite(flat)) if _bad_rows(array)[row] else []
        if len(cols):
            where = f"{label} column {int(cols[0]) + 1}" if label else f"column {int(cols[0]) + 1}"
            what = "NaN" if np.isnan(flat[cols[0]]) else "an infinity"
            raise ConfigError(
                f"{name} row {row + first_line}, {where}: {what} ({int(bad.sum()):,} rows hold NaN "
                "or inf); clean the data, or drop those rows with non_finite='drop'"
            )
    raise AssertionError("unreachable: a bad row has a bad value")  # pragma: no cover


def task_from_arrays(
    name: str, X: np.ndarray, y: np.ndarray, *, seed: int, kind: str = "auto",
    split: Sequence[float | int] = DEFAULT_SPLIT, shuffle: bool = True, normalize: bool = False,
    non_finite: str = "error",
) -> Task:
    """Wrap in-memory arrays as a :class:`Task` (the loaders all end here).

    Rows holding NaN or inf are refused (``non_finite="error"``) or dropped (``"drop"``) before
    the kind is inferred, so a NaN label never turns a classification task into regression.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.shape[0] != y.shape[0]:
        raise ConfigError(f"{name}: X has {X.shape[0]} rows but y has {y.shape[0]}")
    if X.ndim < 2:
        X = X.reshape(-1, 1)
    keep = keep_finite_rows(name, {"X": X, "y": y}, non_finite)
    if not keep.all():
        X, y = X[keep], y[keep]
    kind = infer_kind(y) if kind == "auto" else kind
    if kind not in ("binary", "multiclass", "regression"):
        raise ConfigError(f"{name}: kind must be auto, binary, multiclass or regression, got {kind!r}")
    n_outputs = None
    if kind == "multiclass":
        # labels must be 0..k-1 for cross-entropy: map the sorted distinct values onto them
        classes, y = np.unique(y.reshape(-1), return_inverse=True)
        n_outputs = len(classes)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float64 if kind != "multiclass" else np.int64))
    return finish_task(
        name, kind, Xt, yt, split, n_outputs=n_outputs, shuffle=shuffle, generator=make_generator(seed),
        normalize=normalize,
    )


def _existing(path: Any, what: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"{what} needs a file path, got {path!r}")
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{what}: file not found: {str(p)!r}")
    return p


def _load_numpy(path: Any, what: str, archive: bool) -> Any:
    """``np.load`` of a ``.npy`` (``archive=False``) or ``.npz`` file, with a clear error otherwise.

    numpy's own complaint for a file of the wrong kind is about pickles ("allow_pickle"), which
    sends the user the wrong way: this names the file and the format it should have.
    """
    p = _existing(path, what)
    expected = ".npz archive (np.savez)" if archive else ".npy array (np.save)"
    try:
        loaded = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        loaded = None
    if loaded is None or archive != hasattr(loaded, "files"):
        if hasattr(loaded, "close"):
            loaded.close()
        raise ConfigError(f"{what}: {str(p)!r} is not a {expected}")
    return loaded


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv(path: Any, *, header: bool | None = None, delimiter: str = ",") -> tuple[list[str] | None, np.ndarray]:
    """Read a numeric CSV; ``header=None`` detects a header row (any non-numeric cell)."""
    p = _existing(path, "csv")
    try:
        with p.open(newline="") as fh:
            rows = [r for r in csv.reader(fh, delimiter=delimiter) if r and any(c.strip() for c in r)]
    except UnicodeDecodeError:
        raise ConfigError(f"csv {str(p)!r} is not a text file; for NumPy arrays use npz(path=...) or "
                          "npy(x=..., y=...)") from None
    if not rows:
        raise ConfigError(f"csv {str(p)!r} is empty")
    if header is None:
        header = not all(_is_number(c) for c in rows[0])
    names = [c.strip() for c in rows[0]] if header else None
    body = rows[1:] if header else rows
    width = len(rows[0])
    values = np.empty((len(body), width), dtype=np.float64)
    for i, row in enumerate(body):
        if len(row) != width:
            raise ConfigError(f"csv {str(p)!r} line {i + 1 + bool(header)}: {len(row)} columns, expected {width}")
        for j, cell in enumerate(row):
            try:
                values[i, j] = float(cell)
            except ValueError:  # the cell itself is not quoted: it may be anything
                raise ConfigError(
                    f"csv {str(p)!r} line {i + 1 + bool(header)}, column {j + 1}: not a number"
                ) from None
    if values.shape[0] == 0:
        raise ConfigError(f"csv {str(p)!r} has a header but no data rows")
    return names, values


@TASKS.register("csv", help="a numeric CSV file: csv(path='data.csv', target=-1, header=None)")
def csv_task(
    path: Any = None, *, seed: int = 0, target: int | str = -1, header: bool | None = None,
    delimiter: str = ",", kind: str = "auto", split: Sequence[float | int] = DEFAULT_SPLIT,
    shuffle: bool = True, normalize: bool = False, non_finite: str = "error",
) -> Task:
    """A task from a CSV file; ``target`` is a column index (negative counts from the end) or name.

    ``non_finite="drop"`` drops rows holding NaN or inf (default: refuse them, naming the line).
    """
    names, values = read_csv(path, header=header, delimiter=delimiter)
    # checked on the whole table, so the message gives the file's own line and column
    values = values[keep_finite_rows(f"csv {str(path)!r}", {"": values}, non_finite,
                                     first_line=1 + bool(names))]
    width = values.shape[1]
    if isinstance(target, str):
        if names is None:
            raise ConfigError(f"csv target {target!r} is a name, but the file has no header row; give an index")
        if target not in names:
            raise ConfigError(f"csv target {target!r} is not a column (columns: {', '.join(names)})")
        col = names.index(target)
    elif isinstance(target, int) and not isinstance(target, bool) and -width <= target < width:
        col = target % width
    else:
        raise ConfigError(f"csv target must be a column name or an index in [-{width}, {width - 1}], got {target!r}")
    if width < 2:
        raise ConfigError("csv needs at least two columns: features and a target")
    X = np.delete(values, col, axis=1)
    return task_from_arrays("csv", X, values[:, col], seed=seed, kind=kind, split=split, shuffle=shuffle,
                            normalize=normalize)


@TASKS.register("npy", help="two .npy files: npy(x=path, y=path)")
def npy_task(
    x: Any = None, y: Any = None, *, seed: int = 0, kind: str = "auto",
    split: Sequence[float | int] = DEFAULT_SPLIT, shuffle: bool = True, normalize: bool = False,
    non_finite: str = "error",
) -> Task:
    """A task from ``X`` and ``y`` stored as two ``.npy`` files (``non_finite``: see csv)."""
    X = _load_numpy(x, "npy x", archive=False)
    Y = _load_numpy(y, "npy y", archive=False)
    return task_from_arrays("npy", X, Y, seed=seed, kind=kind, split=split, shuffle=shuffle, normalize=normalize,
                            non_finite=non_finite)


@TASKS.register("npz", help="one .npz archive holding X and y: npz(path='data.npz', x_key='X', y_key='y')")
def npz_task(
    path: Any = None, *, seed: int = 0, x_key: str = "X", y_key: str = "y", kind: str = "auto",
    split: Sequence[float | int] = DEFAULT_SPLIT, shuffle: bool = True, normalize: bool = False,
    non_finite: str = "error",
) -> Task:
    """A task from an ``.npz`` archive (keys ``X``/``x`` and ``y`` by default)."""
    with _load_numpy(path, "npz", archive=True) as archive:
        keys = list(archive.keys())
        xk = "x" if x_key == "X" and "X" not in keys and "x" in keys else x_key
        for key in (xk, y_key):
            if key not in keys:
                raise ConfigError(f"npz {str(path)!r} has no array {key!r} (arrays: {', '.join(keys)})")
        X, Y = archive[xk], archive[y_key]
    return task_from_arrays("npz", X, Y, seed=seed, kind=kind, split=split, shuffle=shuffle, normalize=normalize,
                            non_finite=non_finite)


@TASKS.register("idx", help="MNIST-format IDX images + labels: idx(images=path, labels=path)")
def idx_task(
    images: Any = None, labels: Any = None, *, seed: int = 0, scale: bool = True,
    split: Sequence[float | int] = DEFAULT_SPLIT, shuffle: bool = True, normalize: bool = False,
) -> Task:
    """Images (idx3: ``N×H×W``, stored as ``N×1×H×W``) and labels (idx1) as a classification task.

    ``scale`` maps unsigned-byte pixels to [0, 1].
    """
    X = read_idx(_existing(images, "idx images"))
    Y = read_idx(_existing(labels, "idx labels"))
    if Y.ndim != 1:
        raise ConfigError(f"idx labels must be 1-dimensional (idx1), got shape {Y.shape}")
    if X.shape[0] != Y.shape[0]:
        raise ConfigError(f"idx: {X.shape[0]} images but {Y.shape[0]} labels")
    if scale and X.dtype == np.uint8:
        X = X.astype(np.float32) / 255.0
    if X.ndim == 3:
        X = X[:, None]  # one channel, the layout convolutions expect
    return task_from_arrays("idx", X, Y, seed=seed, kind="multiclass", split=split, shuffle=shuffle,
                            normalize=normalize)
