"""The parse step of the public SQL endpoint: what it lets through runs, what it refuses says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from obert.datastore.sql import parse_query, run_sql
from obert.datastore.sqlcheck import MAX_BUILT_BYTES, MAX_SQL_CHARS
from obert.errors import Invalid, ObertError, TooLarge
from tests.datastore.conftest import make_version

TYPED = (
    "n,i,s,d,ts\n"
    "1.5,2,abc,2020-01-02,2020-01-02 03:04:05\n"
    "-2.25,7,Xyz-1,2021-12-31,2021-12-31 23:59:59\n"
    "0,12,àèò ç,2019-06-15,2019-06-15 12:00:00\n"
)

# Every allowed function in an ordinary use, grouped; each group must pass the checks and run in DuckDB,
# so a sqlglot upgrade that writes one of them differently fails here and not in front of a user.
ORDINARY = {
    "numbers": "abs(n), acos(0.5), asin(0.5), atan(n), atan2(n, 1), cos(n), sin(n), tan(n), cot(1), cbrt(n), "
    "ceil(n), ceiling(n), floor(n), round(n, 1), trunc(n), sign(n), sqrt(abs(n)), exp(1), ln(2), log(2), "
    "log(10, 100), log10(100), log2(8), pow(n, 2), power(i, 2), mod(i, 5), i % 5, i // 5, pi(), "
    "degrees(1), radians(90), greatest(n, 1), least(i, 3), isnan(n), isinf(n), isfinite(n), even(n), "
    "gcd(i, 4), lcm(i, 4), factorial(3), random() < 2, round_even(n, 0), fmod(n, 2), bit_count(i)",
    "text": "length(s), len(s), char_length(s), strlen(s), lower(s), lcase(s), upper(s), ucase(s), trim(s), "
    "ltrim(s), rtrim(s), trim(s, 'a'), substr(s, 1, 2), substring(s, 1, 2), left(s, 2), right(s, 2), "
    "reverse(s), concat(s, '-', i), concat_ws(',', s, s), s || 'x', contains(s, 'b'), starts_with(s, 'a'), "
    "ends_with(s, 'c'), strpos(s, 'b'), instr(s, 'b'), position('b' IN s), split_part(s, '-', 1), "
    "string_split(s, '-'), str_split(s, '-'), string_to_array(s, '-'), strip_accents(s), md5(s), "
    "sha1(s), sha256(s), hash(s), ascii(s), chr(65), unicode(s), translate(s, 'a', 'b'), "
    "regexp_matches(s, 'b'), regexp_full_match(s, 'a.c'), regexp_extract(s, '(\\w)', 1), "
    "regexp_extract_all(s, '\\w'), regexp_split_to_array(s, '-'), "
    "regexp_replace(s, '(\\w+)-(\\d)', '\\2:\\1'), "
    "replace(s, '-', ' '), repeat('ab', 3), repeat('█', i), lpad(s, 8, '0'), rpad(s, i::INTEGER, '.'), "
    "nfc_normalize(s), prefix(s, 'a'), suffix(s, 'c'), url_decode('a%20b'), s LIKE 'a%', s ILIKE 'A%', "
    "s SIMILAR TO 'a.*', s GLOB 'a*', s ~ 'b', s COLLATE nocase = 'ABC', typeof(s), "
    "gen_random_uuid() IS NULL",
    "dates": "year(d), month(d), day(d), dayofmonth(d), dayofweek(d), dayofyear(d), weekday(d), week(d), "
    "weekofyear(d), quarter(d), hour(ts), minute(ts), second(ts), millisecond(ts), isodow(d), isoyear(d), "
    "yearweek(d), decade(d), century(d), era(d), epoch(ts), epoch_ms(ts), date_part('year', d), "
    "datepart('month', d), extract(year FROM d), date_trunc('month', d), datetrunc('year', d), "
    "date_diff('day', d, DATE '2022-01-01'), datediff('day', d, d), date_sub('day', d, d), "
    "date_add(d, INTERVAL 1 DAY), d + INTERVAL 2 MONTH, age(ts, ts), strftime(d, '%Y-%m'), "
    "strptime('2020-01-01', '%Y-%m-%d'), try_strptime(s, '%Y'), make_date(2020, 1, 1), "
    "make_time(1, 2, 3.0), make_timestamp(2020, 1, 1, 0, 0, 0), to_timestamp(0), last_day(d), dayname(d), "
    "monthname(d), time_bucket(INTERVAL 1 DAY, ts), current_date <= today(), now() > ts, "
    "to_days(1), to_months(1), to_years(1), to_hours(1), to_minutes(1), to_seconds(1), to_weeks(1), "
    "julian(d)",
    "logic and lists": "coalesce(n, 1), nullif(i, 2), ifnull(n, 0), if(n > 0, 'y', 'n'), "
    "CASE WHEN n > 0 THEN 1 ELSE 0 END, cast(i AS VARCHAR), try_cast(s AS INTEGER), s::VARCHAR, "
    "n BETWEEN 0 AND 2, i IN (2, 7), [1, 2, 3], [1, 2][1], len([1, 2]), array_length([1]), "
    "list_contains([1], i), list_has([1], 1), list_extract([1, 2], 1), list_element([1], 1), "
    "list_value(1, 2), list_sort([2, 1]), list_distinct([1, 1]), list_unique([1, 1]), list_sum([1, 2]), "
    "list_slice([1, 2], 1, 1), "
    "list_concat([1], [2]), list_cat([1], [2]), flatten([[1], [2]]), range(3), range(1, 10, 3), "
    "generate_series(1, 3), {'a': i}, {'a': i}.a, map {'k': 1}, cardinality(map {'k': 1}), unnest([1]) AS u",
}
AGGREGATES = (
    "count(*), count(n), count(DISTINCT s), sum(n), avg(n), mean(n), min(s), max(d), median(n), mode(i), "
    "any_value(s), arbitrary(s), first(s), last(s), arg_max(s, n), arg_min(s, n), max_by(s, n), "
    "min_by(s, n), "
    "stddev(n), stddev_pop(n), stddev_samp(n), variance(n), var_pop(n), var_samp(n), corr(n, i), "
    "covar_pop(n, i), covar_samp(n, i), regr_slope(n, i), regr_intercept(n, i), regr_r2(n, i), "
    "quantile_cont(n, 0.5), quantile_disc(n, 0.5), quantile(n, 0.5), approx_quantile(n, 0.5), "
    "approx_count_distinct(s), count_if(n > 0), countif(n > 0), bool_and(n > 0), bool_or(n > 0), "
    "bit_and(i), bit_or(i), bit_xor(i), product(n), fsum(n), sumkahan(n), kahan_sum(n), entropy(i), "
    "kurtosis(n), skewness(n), mad(n), sem(n), string_agg(s, ',' ORDER BY s), group_concat(s), "
    "listagg(s, ','), list(s), array_agg(s), histogram(i), weighted_avg(n, i), geomean(i), favg(n), "
    "sum(n) FILTER (WHERE i > 2)"
)
WINDOWS = (
    "row_number() OVER w, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w, "
    "ntile(2) OVER w, lag(n) OVER w, lead(n, 1, 0) OVER w, first_value(n) OVER w, last_value(n) OVER w, "
    "nth_value(n, 2) OVER w, sum(n) OVER (PARTITION BY s), list(i) OVER w"
)


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"t": make_version(tmp_path_factory.mktemp("typed"), "typed", TYPED)}


@pytest.mark.parametrize("group", list(ORDINARY))
def test_every_allowed_function_passes_and_runs(typed: dict[str, Path], group: str) -> None:
    page = run_sql(f"SELECT {ORDINARY[group]} FROM t", tables=typed)
    assert len(page.rows) == 3


def test_aggregates_windows_and_query_shapes_pass_and_run(typed: dict[str, Path]) -> None:
    assert len(run_sql(f"SELECT {AGGREGATES} FROM t", tables=typed).rows) == 1
    assert len(run_sql(f"SELECT {WINDOWS} FROM t WINDOW w AS (ORDER BY i)", tables=typed).rows) == 3
    for sql in [
        "FROM t",
        "SELECT * EXCLUDE (ts) REPLACE (n * 2 AS n) FROM t ORDER BY ALL",
        "SELECT s, count(*) FROM t GROUP BY ALL HAVING count(*) > 0 ORDER BY 1 LIMIT 2 OFFSET 1",
        "SELECT s, grouping(s), sum(n) FROM t GROUP BY ROLLUP (s)",
        "SELECT row(i, s), current_time IS NULL, localtimestamp IS NULL FROM t",
        "SELECT COLUMNS('^[ns]$') FROM t",
        "SELECT DISTINCT ON (s) s, i FROM t ORDER BY s, i",
        "SELECT i FROM t QUALIFY row_number() OVER (ORDER BY i) = 1",
        "WITH a AS (SELECT i FROM t), b AS MATERIALIZED (SELECT i + 1 AS i FROM a) SELECT * FROM b",
        "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 3) SELECT x FROM r, t",
        "SELECT a.i FROM t a JOIN t b USING (i) LEFT JOIN t c ON c.i = a.i ASOF JOIN t e ON e.i >= a.i",
        "SELECT i FROM t UNION BY NAME SELECT i FROM t EXCEPT SELECT 7 INTERSECT SELECT 2",
        "SELECT * FROM t, LATERAL (SELECT t.i * 2 AS j)",
        "SELECT * FROM t WHERE i IN (SELECT i FROM t WHERE n > 0) AND EXISTS (SELECT 1 FROM t)",
        "SELECT * FROM t PIVOT (sum(n) FOR s IN ('abc', 'Xyz-1'))",
        "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) v(k, l), t",
        "SELECT x FROM range(3) r(x), t",
        "SELECT * FROM unnest([1, 2]) u(x), t",
        "SELECT * FROM t USING SAMPLE 2 ROWS",
        "SELECT * FROM t TABLESAMPLE 50%",
        "SELECT /* a comment */ i -- and another\nFROM t;",
    ]:
        assert run_sql(sql, tables=typed).fields, sql


REFUSED = [
    ("SELECT current_setting('allowed_paths') FROM t", "function current_setting"),
    ("SELECT * FROM duckdb_settings()", "function duckdb_settings"),
    ("SELECT getenv('HOME') FROM t", "function getenv"),
    ("SELECT version() FROM t", "function version"),
    ("SELECT current_user FROM t", "function current_user"),
    ("SELECT * FROM query('SELECT 1')", "function query"),
    ("SELECT * FROM read_text('/etc/passwd')", "function read_text"),
    ("SELECT * FROM information_schema.tables", "without a schema"),
    ("SELECT * FROM abs(1)", "table function abs"),
    ("SELECT printf('%1000000000d', 1) FROM t", "function printf"),
    ("SELECT bar(1, 0, 10, 100000000) FROM t", "function bar"),
    ("SELECT list_resize([1], 1000000000) FROM t", "function list_resize"),
    ("SELECT levenshtein(s, s) FROM t", "function levenshtein"),
    ("SELECT list_transform([1], x -> x + 1) FROM t", "function"),
    ("SELECT [x FOR x IN [1]] FROM t", "comprehension"),
    ("SELECT s.repeat(1000000000) FROM t", "instead of"),
    ("SELECT repeat('x', 2000000000) FROM t", "repeat: 2e+09 is too many"),
    ("SELECT repeat(s, 3) FROM t", "repeat: the text to repeat must be written in the query"),
    ("SELECT lpad(s, 1000000, 'x') FROM t", "lpad: 1e+06 is too many"),
    ("SELECT range(100000) FROM t", "range: 100000 values are too many"),
    ("SELECT * FROM range(1e9) r(x)", "values are too many"),
    ("SELECT range(i) FROM t", "must be numbers written in the query"),
    ("SELECT replace(s, 'a', s) FROM t", "replacement must be a text"),
    (
        "SELECT replace(replace(s, 'a', 'aaaa'), 'a', 'aaaa') FROM t",
        "replace cannot take the result of replace",
    ),
    ("SELECT repeat(lpad('x', 10, 'y'), 3) FROM t", "text to repeat"),
    ("SELECT strftime(d, s) FROM t", "strftime: the format must be a text"),
    ("SELECT ? FROM t", "parameters"),
    ("SELECT 1 INTO x", "INTO"),
    ("SELECT * FROM (DESCRIBE t)", "only SELECT"),
    ("SELECT 1; SELECT 2", "found 2 statements"),
    ("DROP TABLE t", "DROP statements are not allowed"),
    ("PRAGMA version", "PRAGMA statements"),
    ("SELEC nonsense", "starts with SELECT"),
    ("SELECT (1", "a parenthesis is not closed, near “1”, line 1, column 9"),
    ("SELECT * FROM WHERE", "a table name is missing, near “WHERE”, line 1, column 19"),
    ("SELECT a b c FROM t", "unexpected word, near “c”, line 1, column 12"),
    ("SELECT * FROM t WHERE s = 'x", "a quoted text or name is not closed"),
]


@pytest.mark.parametrize(("sql", "why"), REFUSED)
def test_refusals_name_what_is_wrong(sql: str, why: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_query(sql)
    assert info.value.errors[0].field == "sql"
    assert why in info.value.errors[0].message
    # The parser's own words (its classes and tokens) are not the reader's.
    assert "<" not in info.value.errors[0].message and "Token" not in info.value.errors[0].message


def test_counts_computed_from_the_data_are_bounded(typed: dict[str, Path]) -> None:
    sql = (
        "SELECT strlen(repeat('ab', i * 1000000000)) AS r, "
        "length(lpad(s, 2000000000 + i::INTEGER, '.')) AS p FROM t"
    )
    rows = run_sql(sql, tables=typed).rows
    assert rows and all(r["r"] == MAX_BUILT_BYTES and r["p"] == MAX_BUILT_BYTES for r in rows)
    nulls = run_sql("SELECT repeat('x', CAST(NULL AS INTEGER)) AS r FROM t", tables=typed).rows
    assert nulls[0]["r"] is None  # bounding keeps NULL's meaning


def test_tables_are_the_names_read_not_the_common_table_expressions() -> None:
    checked = parse_query("WITH a AS (SELECT * FROM t) SELECT * FROM a JOIN U ON TRUE, t AS x")
    assert checked.tables == frozenset({"t", "u"})
    assert parse_query("SELECT * FROM '/etc/passwd'").tables == frozenset({"/etc/passwd"})


def test_what_runs_is_the_checked_text() -> None:
    checked = parse_query("SELECT /* */ 'a\\', 1 -- SELECT current_setting('x')")
    assert checked.sql == "SELECT 'a\\', 1"


def test_the_dialect_is_a_parameter_for_translating_faces() -> None:
    # Computed columns are named as PostgreSQL names them, for clients that read them by name.
    written = parse_query("SELECT s::text, count(*) FROM t", dialect="postgres").sql
    assert written == 'SELECT CAST(s AS TEXT) AS "s", COUNT(*) AS "count" FROM t'


def test_size_and_depth_limits_are_clear_refusals() -> None:
    with pytest.raises(TooLarge):
        parse_query("SELECT 1" + " " * MAX_SQL_CHARS)
    with pytest.raises(ObertError) as info:
        parse_query("SELECT " + "(" * 3000 + "1" + ")" * 3000)
    assert 400 <= info.value.status < 500


def test_an_incomplete_expression_is_said_without_the_parsers_words() -> None:
    # PostgreSQL's dialect (the CKAN face's) reads GLOB as an operator that lacks its left side.
    with pytest.raises(Invalid) as info:
        parse_query("SELECT * FROM t JOIN glob('/*') ON true", dialect="postgres")
    said = info.value.errors[0].message
    assert said == "an expression is incomplete, near “)”, line 1, column 31", said
