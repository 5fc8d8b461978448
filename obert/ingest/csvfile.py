"""Delimited text → typed Parquet, with DuckDB doing all the reading, checking and casting.

Types are guessed on the first rows; the full file is then read once with those types, DuckDB's
parser casting as it goes. Any value the guess does not fit lands in DuckDB's rejects table with its
line number, and the file is read again in the exact (slower) mode, where every value of every
column was checked before choosing. Small files, which fit in the sample, take the exact mode
directly.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from obert.datastore.engine import quote_ident, quote_literal
from obert.errors import FieldError, Invalid, TooLarge, msg
from obert.ingest.infer import PLACEHOLDERS, Inferred, convert_expr, infer, placeholder_counts, units
from obert.ingest.names import clean_names
from obert.ingest.numbers import ERROR_MARK, check_exact_sql, reading
from obert.ingest.result import LeftOut
from obert.ingest.sniff import Dialect, sniff
from obert.ingest.stage import Staged, copy_select

SAMPLE_ROWS = 20_000
# A column with at most this many distinct values in the sample is profiled as one with few values.
FEW_VALUES = 2_000
# Share of malformed rows (too short or too long) tolerated before the whole file is refused.
MAX_BAD_ROW_SHARE = 0.01
# Rejected values DuckDB records per read (past them it reads on without recording).
REJECTS_LIMIT = 1000
_STRUCTURAL = {"MISSING COLUMNS", "TOO MANY COLUMNS", "UNQUOTED VALUE", "INVALID STATE"}
# Types DuckDB's CSV parser can cast to on its own, faster than a SQL expression over VARCHAR.
_PARSER_TYPES = {"integer": "BIGINT", "decimal": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMP"}


@dataclass(frozen=True, slots=True)
class _Reject:
    line: int
    column: str | None
    kind: str
    message: str


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    tmp: Path,
    workdir: Path,
    max_columns: int,
    max_cell_bytes: int,
    progress: Callable[[int], None] | None = None,
) -> Staged:
    """Write `path` as typed Parquet at `tmp`; the caller profiles and publishes it.

    `progress` is told, while the file is read, about how many rows were read so far.
    """
    dialect = sniff(path, max_columns=max_columns)
    if dialect.duckdb_encoding is None:
        path = transcode(path, dialect.encoding, workdir / "utf8.csv")
    names = clean_names(dialect.header)
    reader = CsvReader(path, dialect, names, max_line_size=max_cell_bytes + 65536)
    sample = f"(SELECT * FROM {reader.sql(None, pad=True, rejects='sample_rejects')} LIMIT {SAMPLE_ROWS})"
    sample_rows, inferred = infer(con, sample, names, grouped=True)
    exact = sample_rows < SAMPLE_ROWS
    pad = False
    warnings: list[str] = []
    left_out: tuple[LeftOut, ...] = ()
    rows_at = _rows_estimate(path, sample_rows) if progress is not None else None
    for attempt in range(3):
        table = f"rejects_{attempt}"
        parse = None if exact else _parse_types(inferred)
        select = _select(names, inferred, parse)
        try:
            stats = copy_select(
                con,
                f"SELECT {select} FROM {reader.sql(parse, pad=pad, rejects=table, marks=parse is not None)}",
                tmp=tmp,
                names=names,
                types=[i.type for i in inferred],
                units=units(names, inferred),
                progress=None if rows_at is None or progress is None else lambda s: progress(rows_at(s)),
            )
        except duckdb.Error as exc:
            if exact or ERROR_MARK not in str(exc):
                raise
            # A number further down that the sample's format does not read: check every value.
            exact = True
            _, inferred = infer(con, reader.sql(None, pad=True, rejects=f"exact_{attempt}"), names)
            continue
        rejects = _rejects(con, table)
        _raise_fatal(rejects)
        cast_errors = [r for r in rejects if r.kind == "CAST"]
        if cast_errors:
            if exact:
                raise Invalid(msg("a value does not fit its column"), errors=[_field(cast_errors[0])])
            # The sample's guess was wrong somewhere further down: check every value this time.
            exact = True
            _, inferred = infer(con, reader.sql(None, pad=True, rejects=f"exact_{attempt}"), names)
            continue
        bad_lines = sorted({r.line for r in rejects if r.kind in _STRUCTURAL})
        if bad_lines and not pad:
            rows = stats.rows
            if len(bad_lines) > MAX_BAD_ROW_SHARE * (rows + len(bad_lines)):
                raise Invalid(
                    msg(
                        "{bad} of {rows} rows do not have {fields} fields",
                        bad=len(bad_lines),
                        rows=rows + len(bad_lines),
                        fields=len(names),
                    ),
                    errors=[_field(r) for r in _first_per_line(rejects, bad_lines[:5])],
                )
            short = sorted({r.line for r in rejects if r.kind == "MISSING COLUMNS"})
            if short:
                shown = {"count": len(short), "fields": len(names), "lines": _lines(short)}
                warnings.append(
                    msg(
                        "{count} rows had fewer than {fields} fields and were padded with empty values "
                        "({lines})",
                        **shown,
                    )
                    if len(short) > 1
                    else msg(
                        "{count} row had fewer than {fields} fields and was padded with empty values "
                        "({lines})",
                        **shown,
                    )
                )
            pad = True  # few enough: read again, padding short rows with NULL
            continue
        if bad_lines:
            shown = {"count": len(bad_lines), "fields": len(names), "lines": _lines(bad_lines)}
            warnings.append(
                msg("{count} rows with more than {fields} fields were left out ({lines})", **shown)
                if len(bad_lines) > 1
                else msg("{count} row with more than {fields} fields was left out ({lines})", **shown)
            )
            left_out = (_left_out(con, table, bad_lines, names, dialect.delimiter),)
        break
    counts = [i.placeholders for i in inferred]
    if not exact and any(counts):
        counts = placeholder_counts(con, reader.sql(None, pad=True, rejects="ph_rejects"), names)
    return Staged(
        row_count=stats.rows,
        names=names,
        original_names=dialect.header,
        types=[i.type for i in inferred],
        placeholders=counts,
        encoding=dialect.encoding,
        delimiter=dialect.delimiter,
        warnings=warnings,
        left_out=left_out,
        stats=stats,
        readings=[reading(i.number) for i in inferred],
        units=units(names, inferred),
        few_values=frozenset(
            n
            for n, i in zip(names, inferred, strict=True)
            if i.distinct is not None and i.distinct <= FEW_VALUES
        ),
    )


def _rows_estimate(path: Path, sample_rows: int) -> Callable[[float], int]:
    """Rows read by the time a share of the file is read, from the length of the first megabyte's lines."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(1 << 20)
    lines = max(1, head.count(b"\n"))
    total = sample_rows if len(head) >= size else round(size * lines / len(head))
    return lambda share: min(total, round(share * total))


class CsvReader:
    """Builds DuckDB ``read_csv`` calls for one file with the sniffed dialect."""

    def __init__(self, path: Path, dialect: Dialect, names: list[str], *, max_line_size: int) -> None:
        self.path = path
        self.dialect = dialect
        self.names = names
        self.max_line_size = max_line_size

    def sql(self, types: list[str] | None, *, pad: bool, rejects: str, marks: bool = False) -> str:
        """`marks`: the parser itself reads suppression marks (``..``) as NULL, as it does empty fields,
        which spares a SQL expression over every text value (a tenth of the whole ingest)."""
        types = types or ["VARCHAR"] * len(self.names)
        columns = ", ".join(f"{quote_literal(n)}: '{t}'" for n, t in zip(self.names, types, strict=True))
        encoding = self.dialect.duckdb_encoding or "utf-8"
        nulls = ", ".join(quote_literal(v) for v in ("", *PLACEHOLDERS)) if marks else "''"
        return (
            f"read_csv({quote_literal(str(self.path))}, header = true, auto_detect = false, "
            f"delim = {quote_literal(self.dialect.delimiter)}, quote = '\"', escape = '\"', "
            f"encoding = '{encoding}', columns = {{{columns}}}, nullstr = [{nulls}], "
            f"null_padding = {str(pad).lower()}, "
            f"max_line_size = {self.max_line_size}, store_rejects = true, "
            f"rejects_table = '{rejects}', rejects_scan = '{rejects}_scan', rejects_limit = {REJECTS_LIMIT})"
        )


def _parse_types(inferred: list[Inferred]) -> list[str]:
    """The parser-side type of each column in the fast mode: native casts where DuckDB's parser can."""
    return [
        "VARCHAR"
        if i.placeholders or (i.number is not None and not i.number.plain)
        else _PARSER_TYPES.get(i.conversion, "VARCHAR")
        for i in inferred
    ]


def _select(names: list[str], inferred: list[Inferred], parse: list[str] | None) -> str:
    exprs = []
    for i, (name, inf) in enumerate(zip(names, inferred, strict=True)):
        if parse is not None and parse[i] != "VARCHAR":
            if inf.number is not None and inf.number.scale is not None:
                # The parser read it as DOUBLE; DECIMAL(18, s) keeps it exact, checking no value had more.
                exprs.append(f"{check_exact_sql(quote_ident(name), inf.number)} AS {quote_ident(name)}")
            else:
                exprs.append(quote_ident(name))
        elif parse is not None and inf.conversion == "text" and not inf.padded:
            # The parser already read empty fields and suppression marks as NULL (see CsvReader.sql).
            exprs.append(quote_ident(name))
        else:
            # Trimming every text value costs a fifth of the whole ingest, so the fast mode trims
            # only columns whose sample showed padding; the exact mode trims everything.
            exprs.append(
                convert_expr(
                    name,
                    inf.conversion,
                    trim=parse is None or inf.padded or inf.type != "text",
                    number=inf.number,
                )
            )
    return ", ".join(exprs)


def _rejects(con: duckdb.DuckDBPyConnection, table: str) -> list[_Reject]:
    rows = con.execute(
        f"SELECT line, column_name, error_type, error_message FROM {table} ORDER BY line"
    ).fetchall()
    return [_Reject(int(r[0]), r[1], str(r[2]), str(r[3]).splitlines()[0]) for r in rows]


def _left_out(
    con: duckdb.DuckDBPyConnection, table: str, lines: list[int], names: list[str], delimiter: str
) -> LeftOut:
    """The rows left out of the table, split into their fields as written: they stay in the file."""
    found = con.execute(
        f"SELECT line, any_value(csv_line) FROM {table} WHERE list_contains(?, line) "
        "GROUP BY line ORDER BY line",
        [lines],
    ).fetchall()
    rows: list[list[str | None]] = [
        [*next(csv.reader([text or ""], delimiter=delimiter), [])] for _, text in found
    ]
    width = max((len(r) for r in rows), default=0)
    header = [*names, *(f"column_{i + 1}" for i in range(len(names), width))]
    # DuckDB records REJECTS_LIMIT rejects at most: past them, rows were left out unseen.
    recorded = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    complete = len(found) == len(lines) and recorded is not None and recorded[0] < REJECTS_LIMIT
    return LeftOut(_lines(lines), header, rows, complete=complete)


def _raise_fatal(rejects: list[_Reject]) -> None:
    for r in rejects:
        if r.kind == "LINE SIZE OVER MAXIMUM":
            raise TooLarge(
                msg("line {line} is too long (a value over the size limit)", line=r.line), errors=[_field(r)]
            )
        if r.kind in ("INVALID ENCODING", "INVALID UNICODE"):
            raise Invalid(msg("the file has bytes that are not valid text"), errors=[_field(r)])


def _first_per_line(rejects: list[_Reject], lines: list[int]) -> list[_Reject]:
    seen: dict[int, _Reject] = {}
    for r in rejects:
        if r.line in lines and r.line not in seen:
            seen[r.line] = r
    return [seen[line] for line in lines]


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:10]) + (", …" if len(lines) > 10 else "")
    return msg("line {numbers}", numbers=shown) if len(lines) == 1 else msg("lines {numbers}", numbers=shown)


def _field(r: _Reject) -> FieldError:
    if r.column:
        where = msg("line {line}, column {column}", line=r.line, column=r.column)
    else:
        where = msg("line {line}", line=r.line)
    return FieldError(where, _PROBLEMS.get(r.kind, r.message))


# The commonest of DuckDB's rejects, said in the reader's language rather than in DuckDB's words.
_PROBLEMS = {
    "MISSING COLUMNS": msg("fewer fields than the header"),
    "TOO MANY COLUMNS": msg("more fields than the header"),
    "UNQUOTED VALUE": msg("a quote inside a value that is not quoted"),
}


def transcode(path: Path, encoding: str, target: Path) -> Path:
    """Re-encode to UTF-8 in 1 MB steps, for encodings DuckDB cannot read itself."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        while True:
            chunk = src.read(1 << 20)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                where = line + chunk[: exc.start].count(b"\n")
                raise Invalid(
                    msg("the file is not valid {encoding} text", encoding=encoding),
                    errors=[FieldError(msg("line {line}", line=where), str(exc.reason))],
                ) from exc
            out.write(text)
            line += chunk.count(b"\n")
            if not chunk:
                return target
