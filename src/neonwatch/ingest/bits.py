"""Vectorised primitives over byte buffers: the building blocks of the NMEA decoder.

Every function works on whole arrays of records at once (NumPy), never one record at a time in
Python; loops run over a record's *width* (a few bytes or 6-bit characters), not over records.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

IntArray = npt.NDArray[np.int64]
ByteArray = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]
WideArray = npt.NDArray[np.uint64]

INVALID = np.uint8(255)


def _sixbit_table() -> ByteArray:
    """ASCII armouring of AIS payloads (ITU-R M.1371 / IEC 61162-1): '0'..'W' and '`'..'w'."""
    table = np.full(256, INVALID, dtype=np.uint8)
    for code in range(48, 88):
        table[code] = code - 48
    for code in range(96, 120):
        table[code] = code - 56
    return table


def _hex_table() -> ByteArray:
    table = np.full(256, INVALID, dtype=np.uint8)
    for i, ch in enumerate(b"0123456789ABCDEF"):
        table[ch] = i
    for i, ch in enumerate(b"abcdef"):
        table[ch] = 10 + i
    return table


SIXBIT = _sixbit_table()
HEX = _hex_table()
# 6-bit text alphabet of AIS strings: values 0..31 are '@'..'_', 32..63 are ' '..'?'.
SIXBIT_ASCII = np.array([v + 64 if v < 32 else v for v in range(64)], dtype=np.uint8)


def ragged_index(starts: IntArray, lengths: IntArray) -> IntArray:
    """Flat indices of the concatenation of the ranges [start, start + length)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def window(buf: ByteArray, starts: IntArray, width: int) -> ByteArray:
    """An (n, width) matrix of the bytes from each start; ``buf`` must be padded by ``width``."""
    return buf[starts[:, None] + np.arange(width, dtype=np.int64)]


def parse_uint(
    buf: ByteArray, starts: IntArray, lengths: IntArray, width: int = 19
) -> tuple[IntArray, BoolArray]:
    """Parse decimal integers of 1..``width`` digits; returns (values, ok)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if starts.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    width = max(1, min(width, int(lengths.max(initial=1))))
    digits = window(buf, starts, width).astype(np.int64) - 48
    inside = np.arange(width) < lengths[:, None]
    ok = (lengths > 0) & (lengths <= width) & np.all(~inside | ((digits >= 0) & (digits <= 9)), 1)
    value = np.zeros(starts.size, dtype=np.int64)
    for col in range(width):
        use = inside[:, col]
        value = np.where(use, value * 10 + digits[:, col], value)
    return value, ok


def segment_xor(buf: ByteArray, starts: IntArray, stops: IntArray) -> ByteArray:
    """XOR of the bytes in each [start, stop): the NMEA checksum. Segments must be non-empty."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.uint8)
    idx = np.empty(starts.size * 2, dtype=np.int64)
    idx[0::2] = starts
    idx[1::2] = stops
    return np.bitwise_xor.reduceat(buf, idx)[0::2]


def bit_field(matrix: WideArray, start: int, length: int, signed: bool = False) -> IntArray:
    """Extract an ITU-R M.1371 field (bit ``start``, ``length`` bits) from a 6-bit matrix.

    ``matrix`` (uint64, for speed) has one message per row and one 6-bit character per
    column.
    """
    first, last = start // 6, (start + length - 1) // 6
    acc = matrix[:, first].astype(np.uint64)
    for col in range(first + 1, last + 1):
        acc = (acc << np.uint64(6)) | matrix[:, col]
    acc >>= np.uint64((last + 1) * 6 - (start + length))
    acc &= np.uint64((1 << length) - 1)
    value = acc.astype(np.int64)
    if signed:
        value = np.where(value >= (1 << (length - 1)), value - (1 << length), value)
    return value


def text_field(matrix: WideArray, start: int, chars: int) -> npt.NDArray[np.bytes_]:
    """Decode a 6-bit AIS text field to fixed-width bytes, cut at the first '@' (padding)."""
    codes = np.stack([bit_field(matrix, start + 6 * i, 6) for i in range(chars)], axis=1)
    ascii_ = SIXBIT_ASCII[codes]
    after_at = np.cumsum(ascii_ == ord("@"), axis=1) > 0
    ascii_[after_at] = 0
    return np.ascontiguousarray(ascii_).view(f"S{chars}").ravel()


def payload_hash(values: ByteArray, offsets: IntArray) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each ragged segment of 6-bit values (for de-duplication).

    The segments are handed to Polars zero-copy as an Arrow binary column and hashed natively.
    """
    n = offsets.size - 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    arrow = pa.Array.from_buffers(
        pa.large_binary(),
        n,
        [None, pa.py_buffer(np.ascontiguousarray(offsets, dtype=np.int64)), pa.py_buffer(values)],
    )
    return pl.Series(arrow).hash(seed=20180401).to_numpy()


def factorize(values: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """(uniques, codes, one index of each unique): ``np.unique`` with inverse, but about three
    times faster because it needs only one unstable argsort."""
    if values.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return values[:0], empty, empty
    order = np.argsort(values)
    ordered = values[order]
    new = np.empty(values.size, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    codes = np.empty(values.size, dtype=np.int64)
    codes[order] = np.cumsum(new) - 1
    return ordered[new], codes, order[new]
