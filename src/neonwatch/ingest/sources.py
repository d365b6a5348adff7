"""Opening inputs: plain, gzip or zstd, told apart by their first bytes rather than their names
(Marine Cadastre publishes ``.csv.zst``, the DMA and NAIS logs come gzipped or plain)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass
class Input:
    """A decompressed byte stream and how many bytes of the file it has consumed so far
    (compressed bytes, which is what a progress bar over file sizes needs)."""

    read: Callable[[int], bytes]
    consumed: Callable[[], int]


@contextmanager
def open_input(path: Path | str) -> Iterator[Input]:
    with open(path, "rb") as probe:
        magic = probe.read(4)
    if magic.startswith(GZIP_MAGIC):
        with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield Input(unzipped.read, raw.tell)
    elif magic == ZSTD_MAGIC:
        with pa.OSFile(str(path)) as raw, pa.CompressedInputStream(raw, "zstd") as stream:
            yield Input(stream.read, raw.tell)
    else:
        with open(path, "rb") as plain:
            yield Input(plain.read, plain.tell)
