"""Delimited text → typed Parquet with the types a publisher declared (a Table Schema), not inferred ones.

A data package says what each column is; obert takes its word, checks every value against it and writes
the table with those types. :func:`mismatches` lists the cells that break the declaration (row, field,
value) so that a publisher can fix them before anything is created; :func:`stage_declared_csv` writes the
table once the check passed. Rows are numbered as in the file, the header being row 1 (as Frictionless
numbers them).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from obert.datastore.engine import connect, quote_ident, quote_literal
from obert.datastore.schema import ColumnType
from obert.errors import FieldError, Invalid, msg
from obert.ingest.csvfile import CsvReader, transcode
from obert.ingest.names import clean_names
from obert.ingest.sniff import Dialect, sniff
from obert.ingest.stage import Staged, copy_select

MAX_MISMATCHES = 50
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
_INTEGER = r"^[+-]?\d+$"
_NUMBER = r"^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|NaN|[+-]?INF)$"


@dataclass(frozen=True, slots=True)
class DeclaredField:
    """One declared column: its name, obert's type, how its text is read, and its declared type's name."""

    name: str
    type: ColumnType
    declared: str  # the Table Schema type, as the publisher wrote it (for messages)
    format: str = "default"  # a date/datetime pattern (strftime), "default" (ISO 8601) or "any"
    true_values: tuple[str, ...] = ("true", "True", "TRUE", "1")
    false_values: tuple[str, ...] = ("false", "False", "FALSE", "0")
    required: bool = False
    unique: bool = False
    decimal_char: str = "."  # how a number writes its decimal point, and its thousands (Table Schema)
    group_char: str = ""
    enum: tuple[str, ...] = ()  # the allowed values, as text (constraints.enum)
    minimum: str | None = None  # bounds, as text in the field's own type (constraints.minimum/maximum)
    maximum: str | None = None
    pattern: str | None = None  # a regular expression the whole text must match (constraints.pattern)
    # The field's own missing values (Data Package v2), which replace the resource's; None: the resource's.
    missing_values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Declared:
    fields: tuple[DeclaredField, ...]
    missing_values: tuple[str, ...] = ("",)
    delimiter: str | None = None  # the package's dialect; sniffed when not given
    primary_key: tuple[str, ...] = ()

    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def missing_of(self, f: DeclaredField) -> tuple[str, ...]:
        """The texts that are a missing value in field `f`: its own list, else the resource's."""
        return f.missing_values if f.missing_values is not None else self.missing_values


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A cell that breaks its field's declaration (`value` None: a required value is missing)."""

    row: int
    field: str
    value: str | None
    expected: str  # the declared type, or the broken rule: "required", "unique", "primaryKey", "enum",
    # "minimum", "maximum", "pattern"


@dataclass(frozen=True, slots=True)
class CheckResult:
    rows: int
    mismatches: list[Mismatch] = field(default_factory=list)
    total: int = 0  # every mismatch, of which `mismatches` holds the first MAX_MISMATCHES


def _value_sql(f: DeclaredField, col: str, missing: tuple[str, ...]) -> str:
    """The raw text of `col`, NULL where it is one of the missing values."""
    raw = quote_ident(col)
    marks = ", ".join(quote_literal(m) for m in missing if m != "")
    return f"CASE WHEN {raw} IN ({marks}) THEN NULL ELSE {raw} END" if marks else raw


def _number_text(f: DeclaredField, v: str) -> str:
    """The text `v` of a number with its group characters dropped and its decimal mark a point."""
    if f.group_char:
        v = f"replace({v}, {quote_literal(f.group_char)}, '')"
    if f.decimal_char != ".":
        v = f"replace({v}, {quote_literal(f.decimal_char)}, '.')"
    return v


def _typed_sql(f: DeclaredField, v: str) -> str:
    """SQL reading the text `v` as the field's type; NULL where the text does not fit."""
    t = f.type
    if t == "integer":
        v = _number_text(f, v) if f.group_char else v
        return f"CASE WHEN regexp_full_match({v}, '{_INTEGER}') THEN TRY_CAST({v} AS BIGINT) END"
    if t == "decimal":
        v = _number_text(f, v)
        return f"CASE WHEN regexp_full_match({v}, '{_NUMBER}') THEN TRY_CAST({v} AS DOUBLE) END"
    if t == "boolean":
        trues = ", ".join(quote_literal(x) for x in f.true_values)
        falses = ", ".join(quote_literal(x) for x in f.false_values)
        return f"CASE WHEN {v} IN ({trues}) THEN true WHEN {v} IN ({falses}) THEN false END"
    if t == "date":
        if f.format == "default":
            return f"CASE WHEN regexp_full_match({v}, '{_ISO_DATE}') THEN TRY_CAST({v} AS DATE) END"
        if f.format == "any":
            return f"TRY_CAST({v} AS DATE)"
        return f"CAST(try_strptime({v}, {quote_literal(f.format)}) AS DATE)"
    if t == "datetime":
        tz = f"timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ))"
        if f.format == "default":
            return f"CASE WHEN regexp_full_match({v}, '{_ISO_DATETIME}') THEN {tz} END"
        if f.format == "any":
            return tz
        return f"try_strptime({v}, {quote_literal(f.format)})"
    return v


def _reader(
    path: Path, declared: Declared, *, workdir: Path, max_columns: int, max_line_size: int
) -> tuple[str, list[str], Dialect]:
    """The SQL table of the file's text cells (all VARCHAR), its column names, and its dialect."""
    dialect = sniff(path, max_columns=max_columns)
    if dialect.duckdb_encoding is None:
        path = transcode(path, dialect.encoding, workdir / "utf8-declared.csv")
    if declared.delimiter and declared.delimiter != dialect.delimiter:
        first = next(csv.reader(io.StringIO(dialect.sample), delimiter=declared.delimiter), [])
        dialect = dataclasses.replace(dialect, delimiter=declared.delimiter, header=first)
    header = [h.replace("\ufeff", "").strip() for h in dialect.header]
    if header != declared.names():
        raise Invalid(
            msg("the file's header does not match its schema's fields"),
            errors=[FieldError("row 1", f"header {header}, schema {declared.names()}")],
        )
    names = clean_names(declared.names())
    reader = CsvReader(path, dialect, names, max_line_size=max_line_size)
    return reader.sql(None, pad=False, rejects="declared_rejects"), names, dialect


def mismatches(
    path: Path, declared: Declared, *, workdir: Path, max_columns: int = 2000, max_cell_bytes: int = 1_000_000
) -> CheckResult:
    """Every cell of the CSV file `path` that breaks `declared` (the first MAX_MISMATCHES, and how many)."""
    # One thread reads the file in order, so that row_number() is the row's position in the file.
    con = connect(threads=1, memory_limit="512MB")
    try:
        source, names, _ = _reader(
            path,
            declared,
            workdir=workdir,
            max_columns=max_columns,
            max_line_size=max_cell_bytes + 65536,
        )
        numbered = f"(SELECT row_number() OVER () + 1 AS pos, * FROM {source})"
        body = " UNION ALL ".join(_checks(declared, names))
        try:
            rows = con.execute(f"WITH src AS MATERIALIZED {numbered} SELECT count(*) FROM src").fetchone()
            found = con.execute(
                f"WITH src AS MATERIALIZED {numbered}, bad AS ({body}) "
                f"SELECT pos, fi, value, kind, count(*) OVER () FROM bad ORDER BY pos, fi "
                f"LIMIT {MAX_MISMATCHES}"
            ).fetchall()
        except duckdb.Error as exc:
            raise Invalid(
                msg("the file cannot be read"), errors=[FieldError("file", str(exc).splitlines()[0])]
            ) from exc
    finally:
        con.close()
    listed = [
        Mismatch(
            int(pos),
            declared.fields[int(fi)].name,
            None if kind == "required" else str(value),
            declared.fields[int(fi)].declared if kind == "type" else str(kind),
        )
        for pos, fi, value, kind, _ in found
    ]
    total = int(found[0][4]) if found else 0
    return CheckResult(int(rows[0]) if rows else 0, listed, total)


def _checks(declared: Declared, names: list[str]) -> list[str]:
    """One query per rule, each answering (pos, field index, value, kind) for the rows that break it."""
    checks = []
    for i, (f, col) in enumerate(zip(declared.fields, names, strict=True)):
        v = _value_sql(f, col, declared.missing_of(f))
        bad = f"({v}) IS NOT NULL AND ({_typed_sql(f, f'({v})')}) IS NULL"
        checks.append(
            f"SELECT pos, {i} AS fi, {quote_ident(col)} AS value, 'type' AS kind FROM src WHERE {bad}"
        )
        if f.required:
            checks.append(f"SELECT pos, {i}, NULL, 'required' FROM src WHERE ({v}) IS NULL")
        for kind, test in _constraints(f, v):
            # Only values of the right type are held to the rules: a wrong type is reported once, above.
            checks.append(
                f"SELECT pos, {i}, {quote_ident(col)}, '{kind}' FROM src "
                f"WHERE ({_typed_sql(f, f'({v})')}) IS NOT NULL AND NOT ({test})"
            )
        if f.unique:
            checks.append(_repeats([i], [col], declared, "unique"))
    key = [declared.names().index(k) for k in declared.primary_key if k in declared.names()]
    if key:
        checks.append(_repeats(key, [names[i] for i in key], declared, "primaryKey"))
    return checks


def _constraints(f: DeclaredField, v: str) -> list[tuple[str, str]]:
    """(rule, SQL test that a typed value keeps it) for the field's enum, bounds and pattern."""
    typed = _typed_sql(f, f"({v})")
    # The rules' own values are written as JSON writes them (1234.5, "2018-01-01"), not as the file does.
    plain = dataclasses.replace(
        f, decimal_char=".", group_char="", format="any" if f.format == "any" else "default"
    )
    out = []
    if f.enum:
        allowed = ", ".join(_typed_sql(plain, quote_literal(e)) for e in f.enum)
        out.append(("enum", f"{typed} IN ({allowed})"))
    if f.minimum is not None:
        out.append(("minimum", f"{typed} >= {_typed_sql(plain, quote_literal(f.minimum))}"))
    if f.maximum is not None:
        out.append(("maximum", f"{typed} <= {_typed_sql(plain, quote_literal(f.maximum))}"))
    if f.pattern is not None:
        out.append(("pattern", f"regexp_full_match(({v}), {quote_literal(f.pattern)})"))
    return out


def _repeats(indexes: list[int], cols: list[str], declared: Declared, kind: str) -> str:
    """The rows whose values of `cols` an earlier row already had (missing values aside)."""
    keys = ", ".join(quote_ident(c) for c in cols)
    shown = " || ', ' || ".join(f"coalesce({quote_ident(c)}, '')" for c in cols)
    present = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in cols)
    return (
        f"SELECT pos, {indexes[0]}, {shown}, '{kind}' FROM (SELECT pos, {keys}, row_number() OVER "
        f"(PARTITION BY {keys} ORDER BY pos) AS nth FROM src WHERE {present}) WHERE nth > 1"
    )


def stage_declared_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    declared: Declared,
    *,
    tmp: Path,
    workdir: Path,
    max_columns: int,
    max_cell_bytes: int,
) -> Staged:
    """Write the CSV file `path` as Parquet at `tmp` with the declared types (check it first with
    :func:`mismatches`: a value that does not fit here is refused without saying where)."""
    source, names, dialect = _reader(
        path, declared, workdir=workdir, max_columns=max_columns, max_line_size=max_cell_bytes + 65536
    )
    exprs = []
    for f, col in zip(declared.fields, names, strict=True):
        v = f"({_value_sql(f, col, declared.missing_of(f))})"
        typed = _typed_sql(f, v)
        # A value that does not fit fails the whole write rather than becoming NULL unseen.
        exprs.append(
            f"CASE WHEN {v} IS NOT NULL AND ({typed}) IS NULL THEN error('a value does not fit its "
            f"declared type in column ' || {quote_literal(col)}) ELSE {typed} END AS {quote_ident(col)}"
        )
    stats = copy_select(
        con,
        f"SELECT {', '.join(exprs)} FROM {source}",
        tmp=tmp,
        names=names,
        types=[f.type for f in declared.fields],
    )
    return Staged(
        row_count=stats.rows,
        names=names,
        original_names=declared.names(),
        types=[f.type for f in declared.fields],
        placeholders=[0] * len(names),
        encoding=dialect.encoding,
        delimiter=dialect.delimiter,
        warnings=[],
        stats=stats,
    )
