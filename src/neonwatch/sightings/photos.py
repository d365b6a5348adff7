"""Photos of sightings, stored by content.

A photo is stored once under its SHA-256 (``<folder>/<aa>/<sha256>.<ext>``, ``aa`` the first two
hex digits, so no folder grows past a few thousand files): the same photo uploaded by two
nodes or twice by one is one file, and the hash in a sighting names exactly the bytes seen.
Uploads are size-limited (10 MiB unless configured) and typed by their magic bytes, never by
their file name or a client's Content-Type: JPEG (``FF D8 FF``) and PNG (the 8-byte PNG
signature) only. Files are written to a temporary name and renamed, so a crash never leaves a
half photo under a valid hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from neonwatch.sightings.model import PhotoRef

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ENV_DIR = "NEONWATCH_PHOTOS"
DEFAULT_DIR = "neonwatch-photos"
_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
_EXT = {mime: ext for _, mime, ext in _TYPES}


class PhotoError(ValueError):
    """An upload refused: too large, empty, or not a JPEG/PNG."""


def sniff(head: bytes) -> str | None:
    """The MIME type told by the first bytes (JPEG or PNG), or None."""
    for magic, mime, _ in _TYPES:
        if head.startswith(magic):
            return mime
    return None


class PhotoStore:
    """A content-addressed photo folder (``directory``, else $NEONWATCH_PHOTOS, else
    ./neonwatch-photos) refusing files over ``max_bytes``."""

    def __init__(
        self, directory: Path | str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.directory = Path(directory or os.environ.get(ENV_DIR) or DEFAULT_DIR)
        self.max_bytes = max_bytes

    def path(self, sha256: str, mime: str) -> Path:
        """Where the photo with this hash and type lives."""
        return self.directory / sha256[:2] / f"{sha256}.{_EXT[mime]}"

    def put(self, data: bytes | BinaryIO, filename: str | None = None) -> PhotoRef:
        """Store a photo (bytes or a binary stream, read at most ``max_bytes + 1``); returns its
        reference. Storing the same bytes again writes nothing and returns the same hash."""
        where = f"{filename}: " if filename else ""
        raw = data if isinstance(data, bytes) else data.read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise PhotoError(
                f"{where}photo too large: over the limit of {self.max_bytes:,} bytes "
                f"({self.max_bytes / 2**20:.1f} MiB)"
            )
        if not raw:
            raise PhotoError(f"{where}photo is empty")
        mime = sniff(raw[:8])
        if mime is None:
            raise PhotoError(
                f"{where}not a JPEG or PNG photo (its first bytes are {raw[:8].hex(' ')}); "
                "only JPEG and PNG are accepted"
            )
        sha = hashlib.sha256(raw).hexdigest()
        target = self.path(sha, mime)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(raw)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return PhotoRef(sha256=sha, size=len(raw), mime=mime, filename=filename)  # type: ignore[arg-type]

    def put_file(self, path: Path | str) -> PhotoRef:
        """Store the photo at ``path`` (its size checked before reading it)."""
        p = Path(path)
        try:
            size = p.stat().st_size
        except OSError as exc:
            raise PhotoError(f"{p}: cannot read ({exc.strerror})") from None
        if size > self.max_bytes:
            raise PhotoError(
                f"{p.name}: photo too large: {size:,} bytes, over the limit of "
                f"{self.max_bytes:,} bytes ({self.max_bytes / 2**20:.1f} MiB)"
            )
        with p.open("rb") as fh:
            return self.put(fh, filename=p.name)

    def get(self, ref: PhotoRef) -> bytes:
        """The bytes of a stored photo, checked against its hash."""
        raw = self.path(ref.sha256, ref.mime).read_bytes()
        if hashlib.sha256(raw).hexdigest() != ref.sha256:
            raise PhotoError(f"photo {ref.sha256}: stored file does not match its hash")
        return raw
