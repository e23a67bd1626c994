"""The IDX file format of MNIST (LeCun et al.), read and written without any dependency.

Layout: a 4-byte magic number — two zero bytes, a dtype code, the number of dimensions — then
one big-endian uint32 per dimension, then the data in row-major order, big-endian. Files ending
in ``.gz`` (or starting with the gzip magic) are decompressed transparently.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from gradlab.atomic_write import atomic_write
from gradlab.errors import ConfigError

# dtype code -> big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),  # unsigned byte
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}


def _read_bytes(path: str | os.PathLike) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"IDX file not found: {str(p)!r}")
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ConfigError(f"{str(p)!r} looks gzipped but cannot be decompressed: {exc}") from None
    return raw


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a numpy array in native byte order.

    Raises:
        ConfigError: missing file, bad magic number, unknown dtype code, or a data size that does
            not match the header's dimensions.
    """
    raw = _read_bytes(path)
    name = str(path)
    if len(raw) < 4:
        raise ConfigError(f"{name!r} is not an IDX file: {len(raw)} bytes, too short for the magic number")
    zero0, zero1, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0:
        raise ConfigError(
            f"{name!r} is not an IDX file: bad magic number 0x{raw[:4].hex()} "
            "(expected two zero bytes, a dtype code and the number of dimensions)"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ConfigError(f"{name!r}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ConfigError(f"{name!r}: truncated header, {ndim} dimensions need {header} bytes, got {len(raw)}")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        raise ConfigError(
            f"{name!r}: size mismatch, dimensions {tuple(dims)} of {dtype.name} need {expected} data bytes, "
            f"the file has {got}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzipped when ``compress`` or the name ends in ``.gz``).

    Raises:
        ConfigError: a dtype IDX cannot hold (allowed: uint8, int8, int16, int32, float32, float64).
    """
    arr = np.asarray(array)
    native = arr.dtype.newbyteorder("=")
    if native not in _CODES:
        allowed = ", ".join(sorted(dt.name for dt in _CODES))
        raise ConfigError(f"IDX cannot store dtype {arr.dtype.name} (allowed: {allowed})")
    if arr.ndim > 255:
        raise ConfigError(f"IDX holds at most 255 dimensions, got {arr.ndim}")
    code = _CODES[native]
    payload = (
        bytes([0, 0, code, arr.ndim])
        + struct.pack(f">{arr.ndim}I", *arr.shape)
        + np.ascontiguousarray(arr, dtype=IDX_DTYPES[code]).tobytes()
    )
    p = Path(path)
    if compress or (compress is None and p.suffix == ".gz"):
        payload = gzip.compress(payload, mtime=0)
    atomic_write(p, payload)
    return p
