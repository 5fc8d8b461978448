"""Charts of one table or of several tables that share columns (the years of a dataset published one
resource each), computed through each table's handle, so visibility, holds and small-count protection
apply as they do to the rows.

Columns of different tables are the same column when their names are the same words once accents, case,
spaces, underscores and small words ("de", "of") are folded ("Número de víctimes", "Numero_victimes"),
or when each table has exactly one column of that meaning among years and months ("NK Any", "Any").
Where their types differ (the weekday is a number in 2010 and 2014 and a name in 2018) their values are
compared as text.
Measures are counts of rows, and sums and means of quantities only (obert.datastore.meaning): never of
codes, years, identifiers or coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from obert.auth import Actor
from obert.catalog.models import Dataset
from obert.datastore.meaning import TIME, Meaning, meaning_of, words
from obert.errors import FieldError, Invalid, NotFound, msg
from obert.storage import Store
from obert.storage.tablestore import TableStore
from obert.tableservice import published
from obert.tableservice.handle import Filters, JSONScalar, TableRef

Kind = Literal["bar", "line"]
MAX_BARS = 30
MAX_SERIES = 8  # the largest series; the rest are added up as "others"
MAX_GROUPS = 10_000
# A dataset's chart reads at most this many tables (a query each): the yearly files of a decade or two.
# The chart names the tables it read, so a reader sees when some were left out.
MAX_TABLES = 24
_SMALL_WORDS = {"de", "d", "del", "dels", "la", "el", "les", "els", "l", "of", "the", "y", "i", "and"}
_BY_MEANING: tuple[Meaning, ...] = ("year", "month")  # one such column per table is the same column
_NUMERIC = ("integer", "decimal")
_NO_AXIS: tuple[Meaning, ...] = ("coordinate", "identifier")  # a group per row says nothing
YEAR_MONTH = "+"  # joins a year column's key and a month column's into the key of the pair


@dataclass(frozen=True, slots=True)
class Column:
    """A column shared by every table of a chart: its key (the name in a single table), the name shown,
    what it means, and its name in each table (by resource id)."""

    key: str
    label: str
    meaning: Meaning
    type: str
    names: dict[str, str]


@dataclass(frozen=True, slots=True)
class Axis:
    """What the chart groups by: one column, or a year column and a month column read as one date."""

    key: str
    label: str
    columns: tuple[Column, ...]

    @property
    def kind(self) -> Kind:
        return "line" if len(self.columns) == 2 or self.columns[0].meaning in TIME else "bar"


@dataclass(frozen=True, slots=True)
class Measure:
    key: str  # "count", "sum:<column key>", "avg:<column key>"
    func: str  # count, sum, avg
    column: Column | None


@dataclass(frozen=True, slots=True)
class Choices:
    """What a chart of these tables may group by, split into series by, and measure."""

    axes: list[Axis]
    series: list[Column]
    measures: list[Measure]

    def axis(self, key: str) -> Axis:
        found = next((a for a in self.axes if a.key == key), None)
        if found is None:
            raise Invalid(
                msg("unknown chart column"),
                errors=[FieldError("chart_by", msg("no column {name}", name=repr(key)))],
            )
        return found

    def measure(self, key: str) -> Measure:
        found = next((m for m in self.measures if m.key == key), None)
        if found is None:
            raise Invalid(
                msg("unknown chart metric"),
                errors=[FieldError("chart_metric", msg("no measure {name}", name=repr(key)))],
            )
        return found

    def series_column(self, key: str) -> Column:
        found = next((c for c in self.series if c.key == key), None)
        if found is None:
            raise Invalid(
                msg("unknown chart column"),
                errors=[FieldError("chart_series", msg("no column {name}", name=repr(key)))],
            )
        return found


@dataclass(frozen=True, slots=True)
class Series:
    name: JSONScalar  # the series column's value; None with no series column
    values: list[float | int | None]  # one per label
    others: bool = False  # the series beyond MAX_SERIES, added up


@dataclass(frozen=True, slots=True)
class ChartData:
    kind: Kind
    axis: Axis
    measure: Measure
    series_by: Column | None
    labels: list[JSONScalar]  # the groups shown, in order (oldest first on a line chart)
    series: list[Series]
    groups: int  # groups in all (a bar chart shows the MAX_BARS largest)
    hidden: int = 0  # cells of a protected count column not published, over every group
    empty: list[int] = field(default_factory=list)  # those cells, per label
    totals: list[float | int | None] = field(default_factory=list)  # per label, over every series
    min_count: int | None = None
    tables: list[str] = field(default_factory=list)  # resource names charted

    def rows(self) -> list[list[JSONScalar]]:
        """The chart as a table: a row per group, a column per series."""
        return [[label, *(s.values[i] for s in self.series)] for i, label in enumerate(self.labels)]


@lru_cache(maxsize=8192)
def fold(name: str) -> str:
    """The name two tables' columns share when they are the same: "numero victimes"."""
    return " ".join(w for w in words(name) if w not in _SMALL_WORDS)


def _written(names: Sequence[str]) -> str:
    # The name as a person writes it: accents and spaces rather than underscores, then the shortest.
    return min(names, key=lambda n: (-sum(not c.isascii() for c in n), n.count("_"), len(n), n))


def chart_choices(tables: Sequence[TableRef]) -> Choices:
    """The columns every table in `tables` shares, as axes, series and measures."""
    per_table = [_columns(t) for t in tables]
    single = len(tables) == 1
    shared: list[Column] = []
    if per_table:
        for name, (meaning, _type) in per_table[0].items():
            key = fold(name)
            found: dict[str, tuple[str, Meaning, str]] = {}
            for table, columns in zip(tables, per_table, strict=True):
                match = [n for n in columns if fold(n) == key]
                if not match and meaning in _BY_MEANING:
                    match = [n for n, (m, _t) in columns.items() if m == meaning]
                if len(match) == 1:
                    found[table.resource_id] = (match[0], *columns[match[0]])
            if len(found) != len(tables):
                continue
            meanings = {m for _n, m, _t in found.values()}
            types = {t for _n, _m, t in found.values()}
            if "geometry" in types and len(types) > 1:
                continue
            label = name if single else _written([n for n, _m, _t in found.values()])
            shared.append(
                Column(
                    key=name if single else label,
                    label=label,
                    meaning=meaning if len(meanings) == 1 else "text",
                    type=_common_type(types),
                    names={rid: n for rid, (n, _m, _t) in found.items()},
                )
            )
    axes = [Axis(c.key, c.label, (c,)) for c in shared if c.type != "geometry" and c.meaning not in _NO_AXIS]
    years = [c for c in shared if c.meaning == "year"]
    months = [c for c in shared if c.meaning == "month"]
    if years and months:
        y, m = years[0], months[0]
        axes.insert(0, Axis(f"{y.key}{YEAR_MONTH}{m.key}", f"{y.label} + {m.label}", (y, m)))
    series = [c for c in shared if c.meaning not in (*_NO_AXIS, "quantity", "date") and c.type != "geometry"]
    measures = [Measure("count", "count", None)]
    for c in shared:
        if c.meaning == "quantity" and c.type in _NUMERIC:
            measures += [Measure(f"sum:{c.key}", "sum", c), Measure(f"avg:{c.key}", "avg", c)]
    return Choices(axes=axes, series=series, measures=measures)


def _common_type(types: set[str]) -> str:
    # Numbers of two kinds are decimals; anything else that differs (a weekday numbered in one year and
    # named in another) is compared as text, as each table writes it.
    if len(types) == 1:
        return next(iter(types))
    return "decimal" if types <= set(_NUMERIC) else "text"


def _columns(table: TableRef) -> dict[str, tuple[Meaning, str]]:
    rows = table.version.row_count
    counts = set(table.protection.count_columns) if table.protection.statistics_about_people else set()
    out: dict[str, tuple[Meaning, str]] = {}
    for c in table.version.report.get("columns", []):
        name, type_ = c["name"], c["type"]
        role = "count" if name in counts else None
        out[name] = (meaning_of(name, type_, profile=c, rows=rows, role=role), type_)
    return out


def chart_data(
    *,
    tables: Sequence[TableRef],
    choices: Choices,
    by: str,
    measure: str,
    series: str | None = None,
    filters: Filters | None = None,
) -> ChartData:
    """The chart of `measure` by the axis `by` (split by the column `series`) over every table, each read
    through its handle. `filters` (column names of a single table) select the rows."""
    axis = choices.axis(by)
    chosen = choices.measure(measure)
    split = choices.series_column(series) if series else None
    cells: dict[tuple[JSONScalar, JSONScalar], list[float]] = {}  # (label, series) -> [value, weight]
    hidden: dict[JSONScalar, int] = {}
    min_count: int | None = None
    for table in tables:
        rid = table.resource_id
        keys = [c.names[rid] for c in axis.columns] + ([split.names[rid]] if split else [])
        column = chosen.column.names[rid] if chosen.column else "*"
        metrics = [(chosen.func, column)] + ([("count", column)] if chosen.func == "avg" else [])
        result = table.aggregate(
            group_by=list(dict.fromkeys(keys)), metrics=metrics, filters=filters, limit=MAX_GROUPS
        )
        value = result.fields[len(dict.fromkeys(keys))].name
        weight = result.fields[len(dict.fromkeys(keys)) + 1].name if chosen.func == "avg" else None
        empty = result.hidden_field(column)
        for row in result.rows:
            label = _label(axis, [_as(c, row[c.names[rid]]) for c in axis.columns])
            key = (label, _as(split, row[split.names[rid]]) if split else None)
            got = row[value]
            if empty:
                hidden[label] = hidden.get(label, 0) + int(row[empty] or 0)
            if not isinstance(got, int | float):
                cells.setdefault(key, [0, 0])
                continue
            w = float(row[weight] or 0) if weight else 1.0
            cell = cells.setdefault(key, [0, 0])
            cell[0] += got * w if weight else got
            cell[1] += w
        if empty and table.protection.statistics_about_people:
            min_count = table.protection.min_count
    names = [t.resource_name for t in tables]
    return _shape(axis, chosen, split, cells, hidden, min_count if any(hidden.values()) else None, names)


def _as(column: Column, value: Any) -> Any:
    """`value` as the chart's column holds it: text where the tables' types differ (5 and "Dv")."""
    if column.type != "text" or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _label(axis: Axis, values: list[Any]) -> JSONScalar:
    if len(axis.columns) == 2:
        year, month = (_whole(v) for v in values)
        return None if year is None or month is None else f"{year:04d}-{month:02d}"
    value = values[0]
    return int(value) if axis.columns[0].meaning == "year" and isinstance(value, float) else value


def _whole(value: Any) -> int | None:
    # A year or a month, as a number or as text where one table holds it as text.
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _shape(
    axis: Axis,
    measure: Measure,
    split: Column | None,
    cells: dict[tuple[JSONScalar, JSONScalar], list[float]],
    hidden: dict[JSONScalar, int],
    min_count: int | None,
    tables: list[str],
) -> ChartData:
    def final(cell: list[float]) -> float | int | None:
        if measure.func != "count" and not cell[1]:
            return None  # every cell of the group empty (or hidden): no sum, no mean
        if measure.func == "avg":
            return cell[0] / cell[1]
        return int(cell[0]) if float(cell[0]).is_integer() else cell[0]

    sums: dict[JSONScalar, list[float]] = {}
    by_series: dict[JSONScalar, float] = {}
    for (label, name), cell in cells.items():
        both = sums.setdefault(label, [0.0, 0.0])
        both[0] += cell[0]
        both[1] += cell[1]
        by_series[name] = by_series.get(name, 0) + cell[0]
    totals = {label: final(both) or 0 for label, both in sums.items()}
    labels = list(totals)
    kind = axis.kind
    if kind == "line":
        labels.sort(key=lambda v: (v is None, str(v) if not isinstance(v, int | float) else f"{v:020.6f}"))
        labels = [v for v in labels if v is not None] or labels
    else:
        labels.sort(key=lambda v: -totals[v])
    groups = len(labels)
    if kind == "bar":
        labels = labels[:MAX_BARS]
    names = sorted(by_series, key=lambda n: -by_series[n])
    top, rest = names[:MAX_SERIES], names[MAX_SERIES:]
    series = []
    for name in top:
        series.append(
            Series(
                name,
                [final(cells[label, name]) if (label, name) in cells else _none(measure) for label in labels],
            )
        )
    if rest:
        values: list[float | int | None] = []
        for label in labels:
            found = [cells[label, name] for name in rest if (label, name) in cells]
            merged = [sum(c[0] for c in found), sum(c[1] for c in found)]
            values.append(final(merged) if found else _none(measure))
        series.append(Series(None, values, others=True))
    return ChartData(
        kind=kind,
        axis=axis,
        measure=measure,
        series_by=split,
        labels=labels,
        series=series,
        groups=groups,
        hidden=sum(hidden.values()),
        empty=[hidden.get(label, 0) for label in labels],
        totals=[final(sums[label]) for label in labels],
        min_count=min_count,
        tables=tables,
    )


def _none(measure: Measure) -> int | None:
    # A group with no row in a series counts 0 rows; it has no sum or mean.
    return 0 if measure.func == "count" else None


def dataset_tables(*, store: Store, actor: Actor, tables: TableStore, dataset: Dataset) -> list[TableRef]:
    """The published table of each of `dataset`'s resources that `actor` may read (resources without a
    table, or whose table is held back, are left out), MAX_TABLES at most."""
    found: list[TableRef] = []
    for resource in dataset.resources:
        if len(found) == MAX_TABLES:
            break
        try:
            found.append(published.open_version(store=store, actor=actor, tables=tables, ref=resource.id))
        except NotFound:
            continue
    return found
