"""XLSX and ODS sheets → typed Parquet, via calamine (formulas come as their cached values), read in a
sandbox child (`obert.untrusted.sandbox`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import duckdb
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from obert.errors import FieldError, Invalid, msg
from obert.ingest.result import LeftOut
from obert.ingest.stage import Staged
from obert.ingest.tabular import as_text, stage_rows
from obert.untrusted.sandbox import Limits, run_bounded

# calamine allocates a sheet's whole bounding box (two cells at opposite corners of a 5 KB file ask for
# 512 GiB, and Rust aborts the process) and a small file can unpack into millions of rows: the workbook is
# read in a sandbox child, whose failure is the upload's, not obert's.
LIMITS = Limits(seconds=120, memory=4 * 1024**3, answer_bytes=2 * 1024**3)
# Cells of the other sheets read for the personal-data check of the workbook (which is served whole);
# past them, a sheet counts as not checked (and the workbook stays its editors').
LEFT_OUT_CELLS = 2_000_000


def stage_spreadsheet(
    con: duckdb.DuckDBPyConnection, path: Path, *, tmp: Path, max_columns: int, sheet: str | None
) -> Staged:
    """The first worksheet with cells (or `sheet`): first non-empty row is the header, merged cells are
    filled in."""
    read = run_bounded(read_sheet, str(path), max_columns, sheet, limits=LIMITS, what="the spreadsheet")
    name: str = read["name"]
    cells: list[list[str | None]] = read["cells"]
    merged = [((r0, c0), (r1, c1)) for (r0, c0), (r1, c1) in read["merged"]]
    _fill_merged(cells, merged)
    rows = [[c if c != "" else None for c in row] for row in cells]
    rows = [r for r in rows if any(c is not None for c in r)]
    if not rows:
        raise Invalid(msg("the sheet is empty"), errors=[FieldError("sheet", name)])
    used = [i for i in range(max(len(r) for r in rows)) if any(i < len(r) and r[i] is not None for r in rows)]
    rows = [[r[i] if i < len(r) else None for i in used] for r in rows]
    header = [h or "" for h in rows[0]]
    warnings = [f"{len(merged)} merged cell ranges were filled with their value"] if merged else []
    staged = stage_rows(
        con, header, rows[1:], tmp=tmp, max_columns=max_columns, warnings=warnings, sheet=name
    )
    others = [_left_out(other) for other in read["others"]]
    return dataclasses.replace(staged, left_out=tuple(o for o in others if o.header or not o.complete))


def _left_out(sheet: dict[str, Any]) -> LeftOut:
    """Another sheet's cells, its first non-empty row as the header."""
    rows = [[c if c != "" else None for c in row] for row in sheet["cells"]]
    rows = [r for r in rows if any(c is not None for c in r)]
    header = [h or "" for h in rows[0]] if rows else []
    where = msg("sheet {name}", name=sheet["name"])
    return LeftOut(where, header, rows[1:], complete=sheet["complete"])


def read_sheet(path: str, max_columns: int, sheet: str | None) -> dict[str, Any]:
    """The sheet's name, its cells as text and its merged ranges (run in the sandbox: JSON in and out)."""
    try:
        book = CalamineWorkbook.from_path(path)
        names = list(book.sheet_names)
        if not names:
            raise Invalid(msg("the workbook has no sheets"), errors=[FieldError("sheet", "none")])
        if sheet is not None and sheet not in names:
            raise Invalid(
                msg("no such sheet"), errors=[FieldError("sheet", f"{sheet!r} is not one of {names}")]
            )
        name = sheet or _first_with_cells(book) or names[0]
        ws = book.get_sheet_by_name(name)
        if ws.width > max_columns:
            raise Invalid(
                msg(
                    "the sheet has {count} columns, more than the {limit} allowed",
                    count=ws.width,
                    limit=max_columns,
                ),
                errors=[FieldError("header", f"{ws.width} columns > {max_columns}")],
            )
        cells = [[as_text(v) for v in row] for row in ws.to_python(skip_empty_area=False)]
        merged = ws.merged_cell_ranges or []
        others = _other_sheets(book, name)
    except CalamineError as exc:
        raise Invalid(msg("the spreadsheet cannot be read"), errors=[FieldError("file", str(exc))]) from exc
    return {"name": name, "cells": cells, "merged": merged, "others": others}


def _first_with_cells(book: CalamineWorkbook) -> str | None:
    """The first worksheet with a cell in it: an empty "Sheet1" left before the data is passed over."""
    for meta in book.sheets_metadata:
        if meta.typ == SheetTypeEnum.WorkSheet and book.get_sheet_by_name(meta.name).height > 0:
            return str(meta.name)
    return None


def _other_sheets(book: CalamineWorkbook, read: str) -> list[dict[str, Any]]:
    """The worksheets other than the one read, as text cells, `LEFT_OUT_CELLS` at most in all."""
    others = []
    budget = LEFT_OUT_CELLS
    for meta in book.sheets_metadata:
        if meta.name == read or meta.typ != SheetTypeEnum.WorkSheet:
            continue  # chart sheets hold no cells
        ws = book.get_sheet_by_name(meta.name)
        fits = budget // max(ws.width, 1)
        values = ws.to_python(skip_empty_area=True, nrows=fits)
        budget -= len(values) * ws.width
        cells = [[as_text(v) for v in row] for row in values]
        others.append({"name": meta.name, "cells": cells, "complete": fits > ws.height})
    return others


def _fill_merged(
    cells: list[list[str | None]], merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """A merged range shows one value across its cells; every row it spans should carry it."""
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(cells) or c0 >= len(cells[r0]):
            continue
        value = cells[r0][c0]
        for r in range(r0, min(r1, len(cells) - 1) + 1):
            for c in range(c0, min(c1, len(cells[r]) - 1) + 1):
                cells[r][c] = value
