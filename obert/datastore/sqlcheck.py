"""Parse and check a public SQL query before DuckDB sees it.

`parse_query` reads the text with sqlglot, refuses anything that is not one plain SELECT over named
tables with allowed functions, bounds the functions that build large values, and writes the checked
tree back out as DuckDB SQL. That text, not the caller's, is what runs: DuckDB executes exactly what was
checked, with no room for the two parsers to disagree about where a string or a comment ends. A caller
that speaks another dialect (CKAN's PostgreSQL) passes `dialect=` and gets the same checks, since they
run on sqlglot's dialect-neutral tree.

These checks refuse the obvious abuses early with a clear message. They cannot bound every query's
memory (a value can double once per subquery), so the sandbox's process limits remain the guarantee.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, TokenError

from obert.datastore.sqlfuncs import function_name, is_allowed
from obert.errors import FieldError, Invalid, Message, TooLarge, msg

MAX_SQL_CHARS = 100_000
# One value built by repeat/lpad/rpad: enough for any bar, padding or separator.
MAX_BUILT_BYTES = 10_000
# range/generate_series: elements of one list value, rows of one series in FROM.
MAX_LIST_VALUES = 10_000
MAX_SERIES_ROWS = 1_000_000
# replace/regexp_replace: the replacement text, which may be copied once per match.
MAX_REPLACEMENT_BYTES = 64
MAX_BUILDERS = 16

_REFUSED_NODES: dict[type[exp.Expression], Message] = {
    exp.Lambda: msg("lambda functions are not allowed"),
    exp.Comprehension: msg("list comprehensions are not allowed"),
    exp.Placeholder: msg("parameters are not allowed: write the values into the query"),
    exp.Parameter: msg("parameters are not allowed: write the values into the query"),
    exp.Into: msg("SELECT … INTO is not allowed"),
}
# Statements sqlglot can find inside a query (`FROM (DESCRIBE t)`) or on their own.
_STATEMENTS: tuple[type, ...] = (
    exp.DDL,
    exp.DML,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Grant,
    exp.Revoke,
    exp.Comment,
    exp.Refresh,
    exp.LoadData,
    exp.Export,
    exp.Command,
    exp.Describe,
    exp.Summarize,
    exp.Show,
    exp.Pragma,
    exp.Set,
    exp.Use,
    exp.Copy,
    exp.Attach,
    exp.Detach,
    exp.Install,
    exp.Analyze,
    exp.Kill,
    exp.Execute,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Pivot,
    exp.Values,
)


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    """A query that passed the checks: its tree, the tables it reads and the DuckDB text to run."""

    tree: exp.Query
    tables: frozenset[str]  # names as written (lower case), common table expressions left out
    sql: str


def parse_query(sql: str, *, dialect: str = "duckdb") -> CheckedQuery:
    """Parse one SELECT written in `dialect` and check it; Invalid (or TooLarge) names what is wrong."""
    if len(sql) > MAX_SQL_CHARS:
        raise TooLarge(
            msg("the query is too long"),
            errors=[_error(msg("at most {num} characters are allowed", num=MAX_SQL_CHARS))],
        )
    try:
        tree = _parse_one(sql, dialect)
        rewrites = _check(tree)
        for old, new in rewrites:
            old.replace(new)
        tables = _tables(tree)
        if dialect == "postgres":
            _name_like_postgres(tree)
        text = tree.sql(dialect="duckdb", comments=False, unsupported_level=ErrorLevel.RAISE)
    except RecursionError as exc:
        raise Invalid(
            msg("the query is nested too deeply"), errors=[_error("nest fewer expressions")]
        ) from exc
    except SqlglotError as exc:
        raise Invalid(msg("the query cannot be run here"), errors=[_error(str(exc).splitlines()[0])]) from exc
    return CheckedQuery(tree=tree, tables=tables, sql=text)


def _name_like_postgres(tree: exp.Query) -> None:
    """Name unnamed computed columns as PostgreSQL does (`count(*)` is "count", `x::int` is "x"), not
    as DuckDB would ("count_star()"): clients written for PostgreSQL read them by those names."""
    first: exp.Expression | exp.Query = tree
    while isinstance(first, exp.SetOperation):
        first = first.args["this"]  # a union's columns are named by its first query
    if not isinstance(first, exp.Select):
        return
    for node in list(first.expressions):
        if isinstance(node, exp.Alias | exp.Column | exp.Star):
            continue
        node.replace(exp.alias_(node.copy(), _postgres_name(node), quoted=True))


def _postgres_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Cast | exp.Paren):
        return _postgres_name(node.this)
    if isinstance(node, exp.Func):
        # The function as PostgreSQL spells it (sqlglot may know date_trunc as TimestampTrunc).
        head = node.sql(dialect="postgres").split("(", 1)[0].strip().lower()
        return head if head.replace("_", "").isalnum() else "?column?"
    if isinstance(node, exp.Case):
        return "case"
    return "?column?"


def _error(message: str) -> FieldError:
    return FieldError("sql", message)


# sqlglot's descriptions of what it could not parse (English, naming its own classes), as the reader is
# told them; any other says only where.
_PARSE_PROBLEMS = (
    ("Expecting )", msg("a parenthesis is not closed")),
    ("Expected table name", msg("a table name is missing")),
    ("Required keyword", msg("an expression is incomplete")),
    ("Invalid expression / Unexpected token", msg("unexpected word")),
)


def _where(exc: ParseError) -> Message:
    """What the parser stumbled on and where, in words the reader's language has."""
    first = exc.errors[0] if exc.errors else {}
    description = str(first.get("description") or "")
    what = next((said for start, said in _PARSE_PROBLEMS if description.startswith(start)), None)
    text = str(first.get("highlight") or "")[:40]
    line, column = first.get("line", "?"), first.get("col", "?")
    if what is None:
        return msg("near “{text}”, line {line}, column {column}", text=text, line=line, column=column)
    return msg(
        "{what}, near “{text}”, line {line}, column {column}", what=what, text=text, line=line, column=column
    )


def _parse_one(sql: str, dialect: str) -> exp.Query:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect, error_level=ErrorLevel.RAISE) if s]
    except ParseError as exc:
        raise Invalid(msg("the query is not valid SQL"), errors=[_error(_where(exc))]) from exc
    except TokenError as exc:
        raise Invalid(
            msg("the query is not valid SQL"),
            errors=[_error(msg("a quoted text or name is not closed, or a character is not allowed"))],
        ) from exc
    if len(statements) != 1:
        raise Invalid(
            msg("exactly one SQL statement is allowed"),
            errors=[_error(msg("found {num} statements", num=len(statements)))],
        )
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation):
        word = sql.split(None, 1)[0].upper() if sql.strip() else ""
        message = (
            msg("{word} statements are not allowed", word=word)
            if isinstance(tree, _STATEMENTS) and word.isalpha()
            else msg("a query starts with SELECT, WITH or FROM")
        )
        raise Invalid(msg("only SELECT queries are allowed"), errors=[_error(message)])
    return tree


def _check(tree: exp.Query) -> list[tuple[exp.Expression, exp.Expression]]:
    """Refuse what is not allowed; return the rewrites that bound computed sizes."""
    rewrites: list[tuple[exp.Expression, exp.Expression]] = []
    builders: list[exp.Func] = []
    for node in tree.walk():
        refused = next((m for cls, m in _REFUSED_NODES.items() if isinstance(node, cls)), None)
        if refused is None and isinstance(node, _STATEMENTS) and not isinstance(node, exp.Pivot | exp.Values):
            refused = msg("only SELECT queries are allowed")
        if refused:
            raise Invalid(msg("the query uses something not allowed"), errors=[_error(refused)])
        method = node.expression if isinstance(node, exp.Dot) else None
        if isinstance(method, exp.Func):
            name = function_name(method)
            raise Invalid(
                msg("the query uses something not allowed"),
                errors=[_error(msg("write {name}(x, …) instead of x.{name}(…)", name=name))],
            )
        if isinstance(node, exp.Func):
            if not is_allowed(node):
                raise Invalid(
                    msg("the query uses a function that is not allowed"),
                    errors=[_error(msg("function {name} is not allowed", name=function_name(node)))],
                )
            if _is_builder(node, rewrites):
                builders.append(node)
    if len(builders) > MAX_BUILDERS:
        raise Invalid(
            msg("the query builds too many values"),
            errors=[
                _error(msg("at most {num} calls of repeat, lpad, rpad, range and the like", num=MAX_BUILDERS))
            ],
        )
    built = {id(b): b for b in builders}
    for builder in builders:
        outer = builder.parent
        while outer is not None and id(outer) not in built:
            outer = outer.parent
        if outer is not None:
            taker, taken = function_name(built[id(outer)]), function_name(builder)
            raise Invalid(
                msg("the query builds a value from a built value"),
                errors=[_error(f"{taker} cannot take the result of {taken}")],
            )
    return rewrites


def _is_builder(node: exp.Func, rewrites: list[tuple[exp.Expression, exp.Expression]]) -> bool:
    """Whether `node` can build a value much larger than its arguments, after checking its bounds."""
    if isinstance(node, exp.Repeat):
        text = _string(node.this)
        if text is None:
            raise _bound_error(node, "the text to repeat must be written in the query")
        size = max(1, len(text.encode()))
        why = f"a built value has at most {MAX_BUILT_BYTES} bytes"
        _bound_count(node, "times", cap=MAX_BUILT_BYTES // size, rewrites=rewrites, why=why)
        return True
    if isinstance(node, exp.Pad):
        why = f"a built value has at most {MAX_BUILT_BYTES} characters"
        _bound_count(node, "expression", cap=MAX_BUILT_BYTES, rewrites=rewrites, why=why)
        return True
    if isinstance(node, exp.GenerateSeries):
        in_from = isinstance(node.parent, exp.Table)
        _bound_series(node, cap=MAX_SERIES_ROWS if in_from else MAX_LIST_VALUES)
        return True
    if isinstance(node, exp.Replace | exp.RegexpReplace):
        replacement = _string(node.args.get("replacement"))
        if replacement is None:
            raise _bound_error(node, "the replacement must be a text written in the query")
        if len(replacement.encode()) > MAX_REPLACEMENT_BYTES:
            raise _bound_error(node, f"the replacement is longer than {MAX_REPLACEMENT_BYTES} bytes")
        if isinstance(node, exp.Replace):
            search = _string(node.expression)
            return len(replacement) > (len(search) if search else 1)
        return replacement != ""  # a pattern may match the empty string at every position
    if isinstance(node, exp.TimeToStr) and _string(node.args.get("format")) is None:
        raise _bound_error(node, "the format must be a text written in the query")
    return False


def _bound_error(node: exp.Func, message: str) -> Invalid:
    return Invalid(
        msg("the query builds a value that could be too large"),
        errors=[_error(f"{function_name(node)}: {message}")],
    )


def _bound_count(
    node: exp.Func,
    arg: str,
    *,
    cap: int,
    rewrites: list[tuple[exp.Expression, exp.Expression]],
    why: str,
) -> None:
    count = node.args.get(arg)
    if count is None:
        return
    value = _number(count)
    if value is None:
        # Computed from the data: bounded where it is computed.
        rewrites.append((count, exp.Least(this=count.copy(), expressions=[exp.Literal.number(cap)])))
    elif value > cap:
        raise _bound_error(node, f"{value:g} is too many, at most {cap}: {why}")


def _bound_series(node: exp.GenerateSeries, *, cap: int) -> None:
    start, end, step = (node.args.get(k) for k in ("start", "end", "step"))
    bounds = [_number(start) if start else 0.0, _number(end) if end else None, _number(step) if step else 1.0]
    if any(b is None for b in bounds):
        raise _bound_error(node, "its bounds and step must be numbers written in the query")
    first, last, by = (float(b) for b in bounds if b is not None)
    if by == 0:
        raise _bound_error(node, "its step cannot be 0")
    span = (last - first) / by
    count = 0 if span < 0 else math.floor(span) + (0 if node.args.get("is_end_exclusive") else 1)
    if count > cap:
        raise _bound_error(node, f"{count} values are too many: at most {cap} here")


def _string(node: exp.Expression | None) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    return None


def _number(node: exp.Expression) -> float | None:
    sign = 1.0
    while isinstance(node, exp.Neg | exp.Paren):
        if isinstance(node, exp.Neg):
            sign = -sign
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return sign * float(node.this)
        except ValueError:
            return None
    return None


def _tables(tree: exp.Query) -> frozenset[str]:
    ctes = {str(cte.alias_or_name).lower() for cte in tree.find_all(exp.CTE)}
    names: set[str] = set()
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            if not isinstance(table.this, exp.GenerateSeries | exp.Unnest):
                raise Invalid(
                    msg("the query uses a function that is not allowed"),
                    errors=[
                        _error(msg("table function {name} is not allowed", name=function_name(table.this)))
                    ],
                )
            continue
        if table.args.get("db") or table.args.get("catalog"):
            raise Invalid(
                msg("the query names a table that does not exist"),
                errors=[_error(f"no table {table.sql(dialect='duckdb')}; name tables without a schema")],
            )
        name = str(table.name).lower()
        if name not in ctes:
            names.add(name)
    return frozenset(names)
