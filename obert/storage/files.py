"""Uploaded files under the data directory, written completely before anything points at them."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from obert.errors import FieldError, Invalid, NotFound, TooLarge, Unavailable

_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class StoredFile:
    name: str
    path: Path
    byte_size: int
    sha256: str


def safe_filename(name: str) -> str:
    """A file name that is safe in a path and a URL, keeping its extension ('../x y.csv' -> 'x_y.csv')."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._")
    if not base:
        raise Invalid("bad file name", errors=[FieldError("file", "the upload needs a file name")])
    return base[:200]


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, *, owner_id: str, filename: str, stream: BinaryIO, max_bytes: int) -> StoredFile:
        """Copy `stream` to <root>/<owner_id>/<filename>, refusing it past `max_bytes`; atomic."""
        name = safe_filename(filename)
        folder = self.root / owner_id
        target = folder / name
        temp = folder / f".{name}.{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with temp.open("wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"the file is larger than the limit of {max_bytes:,} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            temp.replace(target)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # the upload is fine; the server is out of room
                raise Unavailable("the data disk is full: the file was not kept; try again later") from exc
            raise
        finally:
            temp.unlink(missing_ok=True)
        return StoredFile(name, target, size, digest.hexdigest())

    def delete(self, *, owner_id: str, filename: str) -> None:
        """Remove a kept file (nothing happens when it is already gone)."""
        (self.root / owner_id / safe_filename(filename)).unlink(missing_ok=True)

    def path(self, *, owner_id: str, filename: str) -> Path:
        path = self.root / owner_id / safe_filename(filename)
        if not path.is_file():
            raise NotFound(f"no file '{filename}'")
        return path
