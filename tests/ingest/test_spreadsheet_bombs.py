"""Uploads built to exhaust a reader: a 5 KB XLSX whose two cells span the whole sheet (calamine
allocates every cell in between: 512 GiB, and aborts the process), a small file that unpacks into
millions of rows, JSON nested 100,000 deep, a zip whose "mimetype" member unpacks to 64 MB. Each must
fail alone with a clear error, never take obert down."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from obert.errors import Invalid, TooLarge
from obert.ingest import ingest_file, spreadsheet
from obert.ingest.source import detect_format
from obert.untrusted.sandbox import Limits

ROOT = Path(__file__).resolve().parents[2]


def _book(path: Path, sheet_xml: str | None = None) -> None:
    """A real XLSX (xlsxwriter), its first sheet's XML replaced by `sheet_xml` if given."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Dades")
    ws.write_row(0, 0, ["name", "n"])
    ws.write_row(1, 0, ["a", 1])
    book.close()
    if sheet_xml is None:
        return
    with zipfile.ZipFile(path) as original:
        parts = {name: original.read(name) for name in original.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as rebuilt:
        for name, data in parts.items():
            rebuilt.writestr(name, data)


def _sheet(rows: str, dimension: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def test_two_cells_at_opposite_corners_fail_alone(tmp_path: Path) -> None:
    src = tmp_path / "corners.xlsx"
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>z</t></is></c></row>'
    )
    _book(src, _sheet(cells, "A1:XFD1048576"))
    assert src.stat().st_size < 10_000
    # In a process of its own: before the fix the reader aborted the whole interpreter (SIGABRT).
    script = (
        "from pathlib import Path\n"
        "from obert.errors import ObertError\n"
        "from obert.ingest import ingest_file\n"
        "try:\n"
        f"    ingest_file(Path({str(src)!r}), dest=Path({str(tmp_path / 'v.parquet')!r}), max_bytes=10**6)\n"
        "except ObertError as exc:\n"
        "    print('refused:', exc.message)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused: the spreadsheet could not be read" in done.stdout
    assert not (tmp_path / "v.parquet").exists()


def test_rows_past_the_memory_limit_fail_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "rows.xlsx"
    rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 600_000
    _book(src, _sheet(rows, "A1:A600000"))
    assert src.stat().st_size < 100_000  # 600,000 rows in a small file
    monkeypatch.setattr(spreadsheet, "LIMITS", Limits(memory=32 * 1024**2))
    # TooLarge when Python runs out of memory first, Invalid ("stopped unexpectedly") when calamine does
    with pytest.raises((TooLarge, Invalid), match="the spreadsheet could not be read"):
        ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=10**6)


def test_an_ordinary_workbook_still_reads(tmp_path: Path) -> None:
    src = tmp_path / "ok.xlsx"
    _book(src)
    result = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=10**6)
    assert result.sheet == "Dades" and [c.name for c in result.columns] == ["name", "n"]


def test_json_nested_too_deeply_is_refused_clearly(tmp_path: Path) -> None:
    src = tmp_path / "deep.json"
    src.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(Invalid, match="the file is not valid JSON") as caught:
        ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=10**6)
    assert "nested too deeply" in caught.value.errors[0].message


def test_a_zip_member_named_mimetype_is_not_read_whole(tmp_path: Path) -> None:
    src = tmp_path / "bomb.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("mimetype", "w") as member:
        for _ in range(64):
            member.write(bytes(1024 * 1024))  # 64 MB of zeros, a few KB compressed
    tracemalloc.start()
    try:
        detect_format(src, name="bomb.zip", hint=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024**2
