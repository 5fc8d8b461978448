"""The uploaded file as bytes: size limits, checksum, decompression and format detection."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from pathlib import Path
from typing import Protocol

from obert.errors import FieldError, Invalid, TooLarge, msg

FORMATS = ("csv", "xlsx", "ods", "json", "geojson", "parquet")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".ods": "ods",
    ".json": "json",
    ".geojson": "geojson",
    ".parquet": "parquet",
}
_CHUNK = 1 << 20


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def check_size(path: Path, *, max_bytes: int) -> int:
    """The file's size, refusing empty files and files over `max_bytes`."""
    if not path.is_file():
        raise Invalid(msg("no such file"), errors=[FieldError("file", str(path.name))])
    size = path.stat().st_size
    if size == 0:
        raise Invalid(msg("the file is empty"), errors=[FieldError("file", "0 bytes")])
    if size > max_bytes:
        raise TooLarge(
            msg("the file is {size} bytes, over the limit of {limit}", size=size, limit=max_bytes),
            errors=[FieldError("file", f"{size} bytes > {max_bytes}")],
        )
    return size


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_head(path: Path, size: int = 65536) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def is_compressed(head: bytes, path: Path) -> bool:
    """A gzip stream, or a zip archive that is not an office document."""
    if head[:2] == b"\x1f\x8b":
        return True
    return head[:4] == b"PK\x03\x04" and _office_format(path) is None


def decompress(path: Path, *, workdir: Path, max_bytes: int) -> tuple[Path, str]:
    """Expand a .gz or single-file .zip into `workdir`, stopping as soon as it passes `max_bytes`.

    Declared sizes in archives can lie (that is what a zip bomb does), so bytes are counted while
    they are written. Returns the expanded file and the name it had inside the archive.
    """
    head = read_head(path, 4)
    target = workdir / "expanded"
    try:
        if head[:2] == b"\x1f\x8b":
            inner = path.name[:-3] if path.name.endswith(".gz") else path.stem
            with gzip.open(path, "rb") as src:
                _copy_limited(src, target, max_bytes)
            return target, inner
        with zipfile.ZipFile(path) as archive:
            members = [
                m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")
            ]
            if len(members) != 1:
                raise Invalid(
                    msg("a zip upload must contain exactly one file"),
                    errors=[FieldError("file", f"{len(members)} files in the archive")],
                )
            member = members[0]
            if member.file_size > max_bytes:
                raise _too_large(max_bytes)
            with archive.open(member) as src:
                _copy_limited(src, target, max_bytes)
            return target, Path(member.filename).name
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        target.unlink(missing_ok=True)
        raise Invalid(msg("the compressed file is damaged"), errors=[FieldError("file", str(exc))]) from exc
    except (Invalid, TooLarge):
        target.unlink(missing_ok=True)
        raise


def detect_format(path: Path, *, name: str, hint: str | None) -> str:
    """The format named by the caller, else told by magic bytes, else by the extension."""
    if hint is not None:
        fmt = hint.lower().lstrip(".")
        fmt = {"tsv": "csv", "txt": "csv", "xlsm": "xlsx"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise Invalid(
                msg("unsupported format"), errors=[FieldError("format", f"{hint!r} is not one of {FORMATS}")]
            )
        return fmt
    head = read_head(path, 4096)
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:4] == b"PK\x03\x04":
        office = _office_format(path)
        if office is not None:
            return office
    by_ext = _EXTENSIONS.get(Path(name).suffix.lower())
    if by_ext is not None:
        if by_ext == "json" and b"FeatureCollection" in head:
            return "geojson"
        return by_ext
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "geojson" if b"FeatureCollection" in head else "json"
    return "csv"


def _office_format(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return "xlsx"
            if "mimetype" in names:
                with archive.open("mimetype") as member:  # a few bytes; never unpack a bomb whole
                    if b"opendocument.spreadsheet" in member.read(200):
                        return "ods"
    except (OSError, zipfile.BadZipFile, zlib.error):
        return None
    return None


def _copy_limited(src: _Readable, target: Path, max_bytes: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise _too_large(max_bytes)
            out.write(chunk)
    if written == 0:
        raise Invalid(
            msg("the compressed file is empty"), errors=[FieldError("file", "0 bytes after expanding")]
        )


def _too_large(max_bytes: int) -> TooLarge:
    return TooLarge(
        f"the file expands to more than {max_bytes} bytes",
        errors=[FieldError("file", f"expanded size over {max_bytes} bytes")],
    )
