"""Which SQL functions the public SQL endpoint may call: an allowlist over sqlglot's parsed query.

A function is allowed by its sqlglot expression class (sqlglot maps DuckDB's aliases, such as `len` and
`char_length`, onto one class) or, for functions sqlglot does not model, by its lower-case name. Anything
else is refused, so DuckDB's system functions (`current_setting`, `duckdb_*()`, `getenv`, `version`), its
file readers (`read_*`, `glob`, `query`) and every function added by a later DuckDB are out until someone
adds them here on purpose.

Left out on purpose: functions whose result can be much larger than their arguments and that nobody
needs for open data (`printf`/`format` and `bar` take a width, `list_resize`, `hex`, `bin`, `to_base64`,
`to_json`), lambdas and list comprehensions (they compose builders), and the quadratic string distances
(`levenshtein`, `damerau_levenshtein`, `jaro_*`), which one call on two long strings keeps busy past any
interrupt.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import SqlglotError

_CALL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")

ALLOWED_CLASSES: frozenset[type[exp.Func]] = frozenset(
    {
        # logic, conditionals, casts
        exp.And,
        exp.Or,
        exp.Xor,
        exp.Case,
        exp.If,
        exp.Coalesce,
        exp.Nullif,
        exp.Greatest,
        exp.Least,
        exp.Cast,
        exp.TryCast,
        exp.Collate,
        exp.Columns,
        exp.Exists,
        exp.Grouping,
        # numbers
        exp.Abs,
        exp.Acos,
        exp.Asin,
        exp.Atan,
        exp.Atan2,
        exp.Cos,
        exp.Sin,
        exp.Tan,
        exp.Cot,
        exp.Cbrt,
        exp.Ceil,
        exp.Floor,
        exp.Round,
        exp.Trunc,
        exp.Sign,
        exp.Sqrt,
        exp.Exp,
        exp.Ln,
        exp.Log,
        exp.Pow,
        exp.Pi,
        exp.Degrees,
        exp.Radians,
        exp.IsNan,
        exp.IsInf,
        exp.Factorial,
        exp.Rand,
        # text
        exp.Length,
        exp.BitLength,
        exp.Lower,
        exp.Upper,
        exp.Trim,
        exp.Substring,
        exp.Left,
        exp.Right,
        exp.Reverse,
        exp.Concat,
        exp.ConcatWs,
        exp.Contains,
        exp.StartsWith,
        exp.EndsWith,
        exp.StrPosition,
        exp.SplitPart,
        exp.Split,
        exp.Translate,
        exp.MD5,
        exp.SHA,
        exp.SHA2,
        exp.Ascii,
        exp.Chr,
        exp.Unicode,
        exp.RegexpLike,
        exp.RegexpFullMatch,
        exp.RegexpExtract,
        exp.RegexpExtractAll,
        exp.JSONExtract,
        exp.JSONExtractScalar,
        exp.Typeof,
        exp.Uuid,
        # builders: allowed with the bounds in sqlcheck
        exp.Repeat,
        exp.Pad,
        exp.Replace,
        exp.RegexpReplace,
        exp.GenerateSeries,
        exp.TimeToStr,
        # lists, structs and maps (literals and reading them)
        exp.Array,
        exp.ArraySize,
        exp.ArrayContains,
        exp.ArraySort,
        exp.ArrayDistinct,
        exp.ArrayConcat,
        exp.Flatten,
        exp.Struct,
        exp.ToMap,
        exp.Map,
        exp.Explode,
        exp.Unnest,
        # dates and times
        exp.Year,
        exp.Month,
        exp.Day,
        exp.DayOfMonth,
        exp.DayOfWeek,
        exp.DayOfWeekIso,
        exp.DayOfYear,
        exp.Week,
        exp.WeekOfYear,
        exp.Quarter,
        exp.Hour,
        exp.Minute,
        exp.Second,
        exp.Extract,
        exp.TimestampTrunc,
        exp.DateTrunc,
        exp.DateDiff,
        exp.DateAdd,
        exp.DateBin,
        exp.TimeToUnix,
        exp.UnixToTime,
        exp.StrToTime,
        exp.DateFromParts,
        exp.TimeFromParts,
        exp.TimestampFromParts,
        exp.LastDay,
        exp.Dayname,
        exp.Monthname,
        exp.CurrentDate,
        exp.CurrentTime,
        exp.CurrentTimestamp,
        exp.Localtimestamp,
        exp.ToDays,
        # aggregates (DuckDB counts the memory of their states against its limit)
        exp.Count,
        exp.CountIf,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.Median,
        exp.Mode,
        exp.AnyValue,
        exp.First,
        exp.Last,
        exp.ArgMax,
        exp.ArgMin,
        exp.Stddev,
        exp.StddevPop,
        exp.StddevSamp,
        exp.Variance,
        exp.VariancePop,
        exp.Corr,
        exp.CovarPop,
        exp.CovarSamp,
        exp.RegrSlope,
        exp.RegrIntercept,
        exp.RegrR2,
        exp.PercentileCont,
        exp.PercentileDisc,
        exp.Quantile,
        exp.ApproxQuantile,
        exp.ApproxDistinct,
        exp.LogicalAnd,
        exp.LogicalOr,
        exp.BitwiseAndAgg,
        exp.BitwiseOrAgg,
        exp.BitwiseXorAgg,
        exp.Kurtosis,
        exp.Skewness,
        exp.GroupConcat,
        exp.ArrayAgg,
        # window functions
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.PercentRank,
        exp.CumeDist,
        exp.Ntile,
        exp.Lag,
        exp.Lead,
        exp.FirstValue,
        exp.LastValue,
        exp.NthValue,
    }
)

# DuckDB functions sqlglot keeps as plain calls (exp.Anonymous), by name.
ALLOWED_NAMES: frozenset[str] = frozenset(
    {
        # numbers
        "isfinite",
        "even",
        "gcd",
        "lcm",
        "round_even",
        "fmod",
        "bit_count",
        # text
        "strlen",
        "octet_length",
        "strip_accents",
        "nfc_normalize",
        "hash",
        "prefix",
        "suffix",
        "url_decode",
        "like_escape",
        "ilike_escape",
        "regexp_split_to_array",
        "string_split_regex",
        "str_split_regex",
        # lists
        "list_extract",
        "list_element",
        "list_position",
        "array_position",
        "list_has_any",
        "list_has_all",
        "list_unique",
        "list_slice",
        "list_cat",
        "list_reverse",
        "list_sum",
        "list_min",
        "list_max",
        "list_avg",
        "array_to_string",
        "cardinality",
        "row",
        # dates and times
        "date_part",
        "datepart",
        "date_sub",
        "datesub",
        "age",
        "try_strptime",
        "now",
        "get_current_timestamp",
        "weekday",
        "millisecond",
        "microsecond",
        "isoyear",
        "yearweek",
        "decade",
        "century",
        "era",
        "julian",
        "epoch_ms",
        "to_years",
        "to_months",
        "to_weeks",
        "to_hours",
        "to_minutes",
        "to_seconds",
        # aggregates
        "mean",
        "arbitrary",
        "product",
        "fsum",
        "sumkahan",
        "kahan_sum",
        "entropy",
        "mad",
        "sem",
        "histogram",
        "weighted_avg",
        "wavg",
        "geomean",
        "favg",
    }
)


def function_name(node: exp.Func) -> str:
    """The name a user would recognise in an error message: DuckDB's, as the checked query is written."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    try:
        written = _CALL.match(node.sql(dialect="duckdb"))
    except SqlglotError:
        written = None
    return written.group(1).lower() if written else node.sql_name().lower()


def is_allowed(node: exp.Func) -> bool:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower() in ALLOWED_NAMES
    return type(node) in ALLOWED_CLASSES
