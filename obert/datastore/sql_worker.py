"""The SQL worker process: `python -m obert.datastore.sql_worker ADDRESS_SPACE_BYTES`.

Started by the sandbox, it caps its own address space, then runs one job per frame read from stdin,
each in a fresh DuckDB connection where the tables are views, external access is off and the
configuration locked, and answers on stdout. A query's error is an answer, never the worker's end.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import IO, Any

import duckdb

from obert.datastore.engine import connect, lock_down, quote_ident, quote_literal, read_schema, translated
from obert.datastore.query import dumps, json_value
from obert.datastore.sandbox import error_header, read_frame, write_frame
from obert.datastore.schema import row_id_column
from obert.errors import FieldError, Invalid, ObertError, TooLarge, Unavailable, msg

_BATCH = 64  # rows encoded at a time: the most a response can overshoot its byte cap before refusal
_RETIRE_ABOVE = 256 * 1024**2  # resident memory gained since start after which the worker leaves


def run_job(job: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The answer's header and rows' JSON for one job; ObertError for a refused or failed query."""
    tables = {str(k): Path(v) for k, v in job["tables"].items()}
    con = connect(threads=int(job["threads"]), memory_limit=str(job["memory_limit"]))
    try:
        with translated(field="sql"):
            for name, path in tables.items():
                schema = read_schema(con, path)  # NotFound for a missing file, before anything runs
                view = f"SELECT * FROM read_parquet({quote_literal(str(path))})"
                if job.get("row_ids") and row_id_column(schema.names()):
                    numbered = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
                    columns = f"{row_id_column(schema.names())}* EXCLUDE (file_row_number)"
                    view = f"SELECT {columns} FROM {numbered}"
                con.execute(f"CREATE VIEW {quote_ident(name)} AS {view}")
            lock_down(con, allowed_files=list(tables.values()), spill=False)
        sql = str(job["sql"])
        _check_statement(con, sql)
        return _execute(
            con,
            sql,
            timeout_s=float(job["timeout_s"]),
            max_rows=int(job["max_rows"]),
            max_bytes=int(job["max_bytes"]),
        )
    finally:
        con.close()


def _check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    # DuckDB's own parser must agree with sqlglot's: one SELECT (a second guard, should they differ).
    with translated(field="sql"):
        statements = con.extract_statements(sql)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise Invalid(
            msg("only SELECT queries are allowed"), errors=[FieldError("sql", "one SELECT statement")]
        )


def _execute(
    con: duckdb.DuckDBPyConnection, sql: str, *, timeout_s: float, max_rows: int, max_bytes: int
) -> tuple[dict[str, Any], bytes]:
    timed_out = [False]

    def stop() -> None:
        timed_out[0] = True
        con.interrupt()

    timer = threading.Timer(timeout_s, stop)
    timer.start()
    parts: list[bytes] = []
    size = 2  # the array's brackets
    count = 0
    truncated = False
    try:
        with translated(field="sql", timed_out=timed_out):
            cur = con.execute(sql)
            described = cur.description or []
            names = _unique([str(d[0]) for d in described])
            while not truncated:
                batch = cur.fetchmany(min(_BATCH, max_rows + 1 - count))
                if not batch:
                    break
                if count + len(batch) > max_rows:
                    truncated = True
                    batch = batch[: max_rows - count]
                if not batch:
                    break
                encoded = dumps([{n: json_value(v) for n, v in zip(names, r, strict=True)} for r in batch])
                size += len(encoded) - 1  # its brackets out, a comma in
                if size > max_bytes:
                    raise TooLarge(
                        "the answer is too large",
                        errors=[
                            FieldError(
                                "sql",
                                f"the rows come to more than {max_bytes} bytes; select fewer columns or rows",
                            )
                        ],
                    )
                parts.append(encoded[1:-1])
                count += len(batch)
    finally:
        timer.cancel()
    header = {
        "ok": True,
        "fields": [[n, str(d[1])] for n, d in zip(names, described, strict=True)],
        "count": count,
        "truncated": truncated,
    }
    return header, b"[" + b",".join(parts) + b"]"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}_{seen[n]}")
        else:
            seen[n] = 1
            out.append(n)
    return out


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _die_with_parent() -> None:
    # Not PR_SET_PDEATHSIG: that fires when the server's *thread* that started this worker ends, and
    # servers start workers from pooled threads. A worker whose server is gone leaves even mid-query.
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _answer(out: IO[bytes], job: dict[str, Any], base_resident: int) -> None:
    rows: bytes | None = None
    try:
        header, rows = run_job(job)
    except ObertError as exc:
        header = error_header(exc)
    except MemoryError:
        header = error_header(TooLarge(msg("the query needed more memory than allowed")))
    except Exception:  # one query never ends the worker; the details go to the server's log only
        traceback.print_exc(file=sys.stderr)
        header = error_header(Unavailable("the SQL engine failed"))
    header["retire"] = _resident_bytes() - base_resident > _RETIRE_ABOVE
    write_frame(out, json.dumps(header).encode())
    if rows is not None:
        write_frame(out, rows)


def main() -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever else writes to stdout must not corrupt the answers
    _die_with_parent()
    connect().close()  # load DuckDB's code before measuring the worker
    limit = _mapped_bytes() + int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    base_resident = _resident_bytes()
    source = sys.stdin.buffer
    while (frame := read_frame(source)) is not None:
        write_frame(out, b'{"started":true}')
        try:
            job = json.loads(frame)
        except ValueError:
            write_frame(out, json.dumps(error_header(Invalid("bad job"))).encode())
            continue
        _answer(out, job, base_resident)


if __name__ == "__main__":
    main()
