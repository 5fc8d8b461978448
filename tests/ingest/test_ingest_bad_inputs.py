"""Bad uploads get a 4xx error saying where, and never leave a file behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from obert.errors import Invalid, ObertError, TooLarge
from obert.ingest import ingest_file

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


def _ingest(src: Path, tmp_path: Path, **kw: object) -> None:
    ingest_file(src, dest=tmp_path / "out" / "v.parquet", max_bytes=kw.pop("max_bytes", 5_000_000), **kw)  # type: ignore[arg-type]


def _fails(src: Path, tmp_path: Path, exc: type[ObertError], **kw: object) -> ObertError:
    with pytest.raises(exc) as info:
        _ingest(src, tmp_path, **kw)
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []  # no half file, no temp folder
    assert info.value.status < 500
    return info.value


def test_empty_file(tmp_path: Path) -> None:
    src = tmp_path / "empty.csv"
    src.write_bytes(b"")
    assert _fails(src, tmp_path, Invalid).message == "the file is empty"


def test_too_big(tmp_path: Path) -> None:
    _fails(DATA / "wide_header.csv", tmp_path, TooLarge, max_bytes=1000)


def test_header_only_is_an_empty_table(tmp_path: Path) -> None:
    result = ingest_file(DATA / "header_only.csv", dest=tmp_path / "v.parquet", max_bytes=1000)
    assert result.row_count == 0
    assert [c.name for c in result.columns] == ["a", "b", "c"]
    assert all(c.type == "text" for c in result.columns)


def test_binary_junk(tmp_path: Path) -> None:
    err = _fails(DATA / "binary.csv", tmp_path, Invalid)
    assert err.errors[0].field == "file"


def test_too_many_columns(tmp_path: Path) -> None:
    err = _fails(DATA / "wide_header.csv", tmp_path, Invalid, max_columns=2000)
    assert err.errors[0].field == "line 1" and "3000" in err.errors[0].message


def test_ragged_rows_over_one_percent_are_refused_with_line_numbers(tmp_path: Path) -> None:
    err = _fails(DATA / "ragged_many.csv", tmp_path, Invalid)
    assert [e.field.split(",")[0] for e in err.errors] == ["line 11", "line 21", "line 31"]


def test_a_few_short_rows_are_padded(tmp_path: Path) -> None:
    src = tmp_path / "few.csv"
    lines = ["a,b,c"] + [f"{i},{i},{i}" for i in range(300)]
    lines[100] = "99,99"
    src.write_text("\n".join(lines) + "\n")
    result = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=100_000)
    assert result.row_count == 300
    assert result.column("c").nulls == 1
    assert any("fewer than 3 fields" in w and "line 101" in w for w in result.warnings)


def test_a_few_long_rows_are_dropped_and_reported(tmp_path: Path) -> None:
    src = tmp_path / "long.csv"
    lines = ["a,b"] + [f"{i},{i}" for i in range(300)]
    lines[50] = "1,2,3"
    src.write_text("\n".join(lines) + "\n")
    result = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=100_000)
    assert result.row_count == 299
    assert any("line 51" in w for w in result.warnings)


def test_huge_cell(tmp_path: Path) -> None:
    src = tmp_path / "cell.csv"
    src.write_text("a,b\n1,x\n2," + "y" * 200_000 + "\n3,z\n")
    err = _fails(src, tmp_path, TooLarge, max_cell_bytes=10_000)
    assert err.errors[0].field.startswith("line 3")


def test_undecodable_bytes_after_the_sample(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    body = "".join(f"{i},text {i}\n" for i in range(150_000))  # > 1 MB: the bad byte is past the sample
    src.write_bytes(b"a,b\n" + body.encode() + b"7,\xff\xfe broken\n")
    err = _fails(src, tmp_path, Invalid, max_bytes=10_000_000)
    assert err.errors[0].field.startswith("line 150002")


def test_gzip_bomb(tmp_path: Path) -> None:
    _fails(DATA / "bomb.csv.gz", tmp_path, TooLarge, max_bytes=1_000_000)


def test_zip_bomb(tmp_path: Path) -> None:
    _fails(DATA / "bomb.zip", tmp_path, TooLarge, max_bytes=1_000_000)


def test_small_gzip_is_expanded(tmp_path: Path) -> None:
    result = ingest_file(DATA / "small.csv.gz", dest=tmp_path / "v.parquet", max_bytes=1000)
    assert result.row_count == 2 and result.format == "csv"


def test_invalid_json_says_line_and_column(tmp_path: Path) -> None:
    err = _fails(DATA / "invalid.json", tmp_path, Invalid)
    assert err.errors[0].field == "line 2, column 10"


def test_invalid_geojson_names_the_feature(tmp_path: Path) -> None:
    err = _fails(DATA / "bad_geometry.geojson", tmp_path, Invalid)
    assert err.errors[0].field == "$.features[1].geometry"


def test_failed_ingest_keeps_the_previous_version(tmp_path: Path) -> None:
    dest = tmp_path / "v.parquet"
    ingest_file(DATA / "small.csv.gz", dest=dest, max_bytes=1000)
    before = dest.read_bytes()
    with pytest.raises(Invalid):
        ingest_file(DATA / "invalid.json", dest=dest, max_bytes=1000)
    assert dest.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["v.parquet"]
