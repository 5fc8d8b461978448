"""What the SQL endpoint's safety costs an ordinary query.

    PYTHONPATH=. .venv/bin/python bench/sql_check.py [--runs 2000]

Prints medians of: the parse/check step alone (`parse_query`: sqlglot parse, allowlist walk, DuckDB
text written back); the query run in-process as before (a fresh locked-down DuckDB connection, the
Parquet version as a view: `sql_worker.run_job` called directly); and the whole `run_sql` (check + a
sandboxed worker process + JSON back), over the bundled accidents table (9,936 rows).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from obert.datastore.sql import parse_query, run_sql
from obert.datastore.sql_worker import run_job
from obert.demo import FILES
from obert.ingest import ingest_file

QUERIES = {
    "readme": "SELECT Nom_districte, sum(Numero_victimes) AS v FROM acc GROUP BY 1",
    "wider": "WITH d AS (SELECT Nom_districte AS d, Mes_any AS m, count(*) AS n FROM acc "
    "WHERE Descripcio_dia_setmana NOT IN ('Dissabte', 'Diumenge') GROUP BY ALL) "
    "SELECT d, m, n, rank() OVER (PARTITION BY d ORDER BY n DESC) AS r, "
    "lpad(CAST(n AS VARCHAR), 5, '0') AS p FROM d QUALIFY r <= 3 ORDER BY d, r",
}


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm: imports, the worker's start, DuckDB's first plan
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "acc.parquet"
        ingest_file(FILES / "2018_accidents_gu_bcn.csv", dest=table, max_bytes=50_000_000)
        tables = {"acc": table}
        for label, sql in QUERIES.items():
            checked = parse_query(sql)
            job = {
                "sql": checked.sql,
                "tables": {"acc": str(table)},
                "timeout_s": 5.0,
                "max_rows": 1000,
                "max_bytes": 10_000_000,
                "memory_limit": "256MB",
                "threads": 2,
            }
            check = median_ms(lambda sql=sql: parse_query(sql), args.runs)
            inline = median_ms(lambda job=job: run_job(job), max(50, args.runs // 10))
            whole = median_ms(lambda sql=sql: run_sql(sql, tables=tables), max(50, args.runs // 10))
            print(
                f"{label:7} parse+check {check:6.2f} ms | query in-process {inline:6.2f} ms | "
                f"run_sql (check + sandbox) {whole:6.2f} ms | check = {check / whole:5.1%} of run_sql"
            )


if __name__ == "__main__":
    main()
