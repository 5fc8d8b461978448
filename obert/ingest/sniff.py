"""Guess a delimited text file's encoding, delimiter and header from its first megabyte.

Only a sample is ever decoded in Python; the whole file is read by DuckDB with the options found
here (a 2 GB file must not pass through Python strings).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from obert.errors import FieldError, Invalid, msg

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
# Encodings DuckDB's CSV reader decodes itself; anything else is transcoded to UTF-8 first.
_WESTERN = {"latin_1", "iso8859_1", "iso8859_15", "cp1252", "windows_1252"}
# Windows-1252 puts letters (€, ’, “) where ISO-8859-1 has control codes; DuckDB reads only the latter.
_C1_CONTROL = re.compile(rb"[\x80-\x9f]")
_SCAN_BYTES = 1 << 24


@dataclass(frozen=True, slots=True)
class Dialect:
    encoding: str  # the Python codec name of the file's text
    duckdb_encoding: str | None  # what to tell DuckDB, or None when the file must be transcoded
    delimiter: str
    header: list[str]
    sample: str  # decoded sample, whole lines only, BOM removed


def sniff(path: Path, *, max_columns: int, sample_bytes: int = SAMPLE_BYTES) -> Dialect:
    with path.open("rb") as f:
        head = f.read(sample_bytes)
    truncated = len(head) == sample_bytes
    encoding, duck = _encoding(head)
    if duck == "latin-1" and truncated and _has_c1_controls(path):
        encoding, duck = "cp1252", None
    text = _decode(head, encoding)
    if truncated:
        cut = text.rfind("\n")
        if cut < 0:
            raise Invalid(
                msg("the header line is too long"),
                errors=[FieldError("line 1", f"no line end in the first {sample_bytes} bytes")],
            )
        text = text[: cut + 1]
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise Invalid(msg("the file has no header line"), errors=[FieldError("line 1", "empty")])
    delimiter = _delimiter(text)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise Invalid(msg("the header line cannot be read"), errors=[FieldError("line 1", str(exc))]) from exc
    if len(header) > max_columns:
        raise Invalid(
            msg(
                "the file has {count} columns, more than the {limit} allowed",
                count=len(header),
                limit=max_columns,
            ),
            errors=[FieldError("line 1", f"{len(header)} columns > {max_columns}")],
        )
    return Dialect(encoding=encoding, duckdb_encoding=duck, delimiter=delimiter, header=header, sample=text)


def _encoding(head: bytes) -> tuple[str, str | None]:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16"
    if b"\x00" in head:
        raise Invalid(
            msg("this is not a text file"), errors=[FieldError("file", "binary content (NUL bytes)")]
        )
    try:
        # final=False: the sample may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    found = from_bytes(head)
    best = found.best()
    if best is None:
        raise Invalid(
            msg("the file's text encoding cannot be recognised"), errors=[FieldError("file", "binary?")]
        )
    # The city writes Catalan and Spanish: where Windows-1252 reads the sample as well as the detector's
    # first choice (a few lines do not tell it from Windows-1250, which has ŕ for à), it is taken.
    western = next((m for m in found if _codec(m.encoding) in _WESTERN), None)
    if western is not None and western.chaos <= best.chaos and western.coherence >= best.coherence:
        best = western
    name = _codec(best.encoding)
    if name in _WESTERN:
        if _C1_CONTROL.search(head):
            return "cp1252", None
        return "latin-1", "latin-1"
    return name, None


def _codec(name: str) -> str:
    return codecs.lookup(name).name.replace("-", "_")


def _has_c1_controls(path: Path) -> bool:
    """Whether a byte of Windows-1252's own letters appears anywhere in the file, read in 16 MB steps."""
    with path.open("rb") as f:
        while chunk := f.read(_SCAN_BYTES):
            if _C1_CONTROL.search(chunk):
                return True
    return False


def _decode(head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise Invalid(
            msg("the file is not valid {encoding} text", encoding=encoding),
            errors=[FieldError(msg("line {line}", line=line), f"undecodable byte at offset {exc.start}")],
        ) from exc


def _delimiter(text: str) -> str:
    """The candidate giving the most rows as wide as the header; ties go to the wider header."""
    # Long lines are cut: the csv module refuses fields over 128 KB, and the delimiter shows early.
    lines = [
        line if len(line) < 65536 else line[:65536] + "\n" for line in text.splitlines(keepends=True)[:200]
    ]
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("".join(lines)), delimiter=delim))
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(1 for r in rows if len(r) == width), width)
        if score > best_score:
            best, best_score = delim, score
    return best
