"""Splitting positions into batches of whole vessels without sorting them.

A radix partition: one pass counts the rows of each batch, then each column is copied row by
row to the next free slot of its batch. The input is read in file order and every batch is
written front to back. Picking each batch's rows out of the whole input instead (NumPy fancy
indexing, one batch at a time) touched a cache line per value and was the slowest step of
detection on 100M positions (6.3 s a column against 0.5 s here). Compiled (numba): the
scatter is a loop over rows that NumPy has no single call for.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


@numba.njit(cache=True, nogil=True)
def _offsets(bucket: npt.NDArray[np.int16], n_buckets: int) -> I64:
    counts = np.zeros(n_buckets + 1, dtype=np.int64)
    for i in range(bucket.size):
        counts[bucket[i] + 1] += 1
    for b in range(n_buckets):
        counts[b + 1] += counts[b]
    return counts


@numba.njit(cache=True, nogil=True)
def _scatter(
    values: npt.NDArray, bucket: npt.NDArray[np.int16], offsets: I64, out: npt.NDArray
) -> None:
    cursor = offsets[:-1].copy()
    for i in range(values.size):
        b = bucket[i]
        out[cursor[b]] = values[i]
        cursor[b] += 1


def partition(
    columns: dict[str, npt.NDArray], bucket: npt.NDArray[np.int16], n_buckets: int
) -> tuple[dict[str, npt.NDArray], I64]:
    """Columns reordered so that each bucket's rows are contiguous, in their original order,
    and the bucket boundaries. Each input column is released as soon as it is copied, so the
    extra memory is one column, not the whole input."""
    offsets = _offsets(bucket, n_buckets)
    out: dict[str, npt.NDArray] = {}
    for name in list(columns):
        values = columns.pop(name)
        target = np.empty_like(values)
        _scatter(values, bucket, offsets, target)
        out[name] = target
        del values
    return out, offsets
