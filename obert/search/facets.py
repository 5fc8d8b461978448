"""Counting facet values: the one facet system of the search page, the native search API, CKAN's
package_search and the DCAT listings.

Callers find their matching documents their own way (the search page from its words and filters, a CKAN
listing from its criteria); this module counts the values of the facets they ask for among those
documents, over the index's integer value ids (obert.storage.tables.search), and names only the values it
counted. Keywords are counted either in one language (the search page: the same word in three languages
is three entries) or in any (CKAN's `tags`: a dataset counts once for a word, whichever languages have it).
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.selectable import CTE

from obert.search.model import ANY_LANGUAGE, INDEX_FACETS
from obert.storage.tables.search import CODE_SHIFT, facet_code
from obert.storage.tables.search import search_doc_values as doc_values
from obert.storage.tables.search import search_values as facet_values

Counts = dict[str, list[tuple[str, int]]]
KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class FacetRequest:
    """Which facets to count and how: `lang` None counts keywords in any language (once per dataset)."""

    names: Sequence[str]
    lang: str | None = None
    limit: int = 50
    mincount: int = 1

    @property
    def keyword_lang(self) -> str:
        """The language of the keyword values counted (ANY_LANGUAGE: each word once, whatever its)."""
        return self.lang if self.lang is not None else ANY_LANGUAGE

    def __post_init__(self) -> None:
        unknown = [name for name in self.names if name not in INDEX_FACETS]
        if unknown:
            raise ValueError(f"not facets of the index: {unknown}")  # a programming error, not input


def ids_of(row_ids: Any, names: Sequence[str]) -> Any:
    """The part of a search row's value ids (search_tsv.facet_ids, PostgreSQL: ascending, as every writer
    writes them) whose facet codes run from the lowest to the highest of the facets `names`: an SQL
    array expression. Two binary searches of the row's array (width_bucket) leave out the facets before
    and after, so that they are neither unnested nor counted; facets between them, and facets sharing a
    code, are still there for the caller to leave out by name. Counting every value of the rows cost half
    of package_search at 1,000,000 datasets."""
    codes = sorted({facet_code(name) for name in names})
    first = sa.literal((codes[0] << CODE_SHIFT) - 1, sa.BigInteger)
    last = sa.literal(((codes[-1] + 1) << CODE_SHIFT) - 1, sa.BigInteger)
    # width_bucket(x, ascending) is how many of them are ≤ x.
    return row_ids[sa.func.width_bucket(first, row_ids) + 1 : sa.func.width_bucket(last, row_ids)]


def count_listed(conn: Connection, request: FacetRequest, listed: str | None) -> Counts:
    """Counts per value among the documents whose value ids are `listed` (SQLite's
    search_documents.facet_ids, joined by spaces); only the values counted are named."""
    result: Counts = {name: [] for name in request.names}
    if not request.names or not listed:
        return result
    # numpy reads the numbers from the text at C speed; Arrow counts the wanted ones.
    ids = np.fromstring(listed, dtype=np.int64, sep=" ")
    codes = sorted({facet_code(name) for name in request.names})
    counted = pc.value_counts(pa.array(ids[np.isin(ids >> CODE_SHIFT, codes)]))
    return count_ids(conn, request, counted.field("values").to_numpy(), counted.field("counts").to_numpy())


def count_ids(
    conn: Connection,
    request: FacetRequest,
    values: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    *,
    one_language: bool = False,
) -> Counts:
    """The facets of `request` from counts per value id (`counts[i]` documents have `values[i]`; ids of
    other facets, or keywords of other languages, are left out here): only the values listed are named.
    With `one_language`, the keyword ids counted are all of the language asked for: the first `limit` of a
    facet (and its ties) are all it names, where keywords of every language need a few times as many."""
    result: Counts = {name: [] for name in request.names}
    known, lang = _dictionary(conn), request.keyword_lang
    kinds = values >> CODE_SHIFT
    for name in request.names:
        # This facet's values, most counted first: once it has its `limit` values and the counts fall
        # below the last of them, nothing further can be listed, and is not even named.
        mine = np.flatnonzero(kinds == facet_code(name))
        least, named = 0, 0
        ranked = mine[np.argsort(-counts[mine], kind="stable")]
        for i, position in enumerate(ranked.tolist()):
            n = int(counts[position])
            if n < max(request.mincount, least):
                break
            if i == named:  # named a batch at a time, as far as the walk goes
                named = i + (request.limit + 1 if one_language else max(4 * request.limit, 256))
                _name_all(conn, values[ranked[i:named]].tolist())
            entry = known.get(int(values[position]))
            if entry is None or entry[0] != name or (name == KEYWORD and entry[2] != lang):
                continue
            result[name].append((entry[1], n))
            if len(result[name]) == request.limit:
                least = n  # values counted as often are kept: ties go by name (see _top)
    return {name: _top(found, request) for name, found in result.items()}


def count_matching(conn: Connection, request: FacetRequest, matching: CTE) -> Counts:
    """Counts per value among the documents of `matching` (a CTE with a `doc_id` column), in SQL: one
    statement, which reads each matching document's value rows by its key."""
    result: Counts = {name: [] for name in request.names}
    if not request.names:
        return result
    codes = sorted({facet_code(name) for name in request.names})
    value_id = doc_values.c.value_id
    wanted = [value_id > codes[0] << CODE_SHIFT, value_id < (codes[-1] + 1) << CODE_SHIFT]
    if codes != list(range(codes[0], codes[-1] + 1)):
        wanted.append(value_id.op(">>")(sa.literal_column(str(CODE_SHIFT))).in_(codes))
    # A lateral subquery per match (OFFSET 0 keeps PostgreSQL from flattening it into a join): the
    # planner misjudges how many documents match and would otherwise hash every row of these facets.
    each = sa.select(value_id).where(doc_values.c.doc_id == matching.c.doc_id, *wanted)
    if conn.dialect.name == "postgresql":
        found: Any = each.offset(0).lateral("found")
        pairs = sa.select(matching.c.doc_id, found.c.value_id).select_from(matching.join(found, sa.true()))
    else:
        pairs = (
            sa.select(matching.c.doc_id, value_id)
            .select_from(matching.join(doc_values, matching.c.doc_id == doc_values.c.doc_id))
            .where(*wanted)
        )
    pair = pairs.subquery("pairs")
    # Counted by value id first (integers, hashed), then only the values counted are named: naming every
    # match's rows and grouping by name sorted ~90,000 rows for 7,500 matches (on disk, at work_mem's
    # default), a third of package_search's time. A value id is one (facet, value, language), so the
    # counts are the same. (Counts under `mincount` come last by count: _top drops them, after the first
    # `limit`, with the same outcome as before them. A filter on the count here made PostgreSQL expect one
    # value and compare every counted id with every name.)
    per_id = (
        sa.select(pair.c.value_id, sa.func.count().label("n")).group_by(pair.c.value_id).subquery("per_id")
    )
    # Each counted id named by its key (lateral, as above: PostgreSQL expects one counted id, and would
    # compare every id with every name of these facets).
    name = sa.select(facet_values.c.facet, facet_values.c.value).where(
        facet_values.c.value_id == per_id.c.value_id,
        facet_values.c.facet.in_(list(request.names)),
        sa.or_(facet_values.c.facet != KEYWORD, facet_values.c.lang == request.keyword_lang),
    )
    named = name.offset(0).lateral("named") if conn.dialect.name == "postgresql" else name.lateral("named")
    per_value = (
        sa.select(named.c.facet, named.c.value, per_id.c.n)
        .select_from(per_id.join(named, sa.true()))
        .subquery("per_value")
    )
    position = sa.func.row_number().over(
        partition_by=per_value.c.facet, order_by=(per_value.c.n.desc(), per_value.c.value)
    )
    ranked = sa.select(per_value, position.label("position")).subquery("ranked")
    top = sa.select(ranked.c.facet, ranked.c.value, ranked.c.n).where(ranked.c.position <= request.limit)
    for facet, value, n in conn.execute(top):
        result[facet].append((value, int(n)))
    return {name: _top(values, request) for name, values in result.items()}


def _name_all(conn: Connection, ids: Iterable[int]) -> None:
    """Make sure the process's dictionary names these value ids (those the database knows).

    A value's id never changes meaning (the dictionary only grows, see obert.storage.tables.search), so
    what has been read once is kept for the process, by database."""
    known = _dictionary(conn)
    missing = [i for i in ids if i not in known]
    if missing:
        known.update(_read_names(conn, missing))


def _read_names(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str, str]]:
    if conn.dialect.name == "postgresql":
        listed = sa.bindparam("value_ids", ids, type_=postgresql.ARRAY(sa.BigInteger))
        within = facet_values.c.value_id == sa.func.any(listed)
    else:
        # The ids as one JSON parameter: a portal may have more values than SQLite takes parameters.
        each = sa.func.json_each(json.dumps(ids)).table_valued("value")
        within = facet_values.c.value_id.in_(sa.select(each.c.value))
    columns = (facet_values.c.value_id, facet_values.c.facet, facet_values.c.value, facet_values.c.lang)
    return {
        int(i): (str(f), str(v), str(lg)) for i, f, v, lg in conn.execute(sa.select(*columns).where(within))
    }


_DICTIONARIES: weakref.WeakKeyDictionary[Engine, dict[int, tuple[str, str, str]]] = (
    weakref.WeakKeyDictionary()
)
_GUARD = threading.Lock()
_MAX_NAMES = 1_000_000  # a few hundred bytes each; past it the dictionary starts again


def _dictionary(conn: Connection) -> dict[int, tuple[str, str, str]]:
    with _GUARD:
        known = _DICTIONARIES.get(conn.engine)
        if known is None or len(known) > _MAX_NAMES:
            known = _DICTIONARIES[conn.engine] = {}
        return known


def _top(values: list[tuple[str, int]], request: FacetRequest) -> list[tuple[str, int]]:
    kept = [(value, n) for value, n in values if n >= request.mincount]
    kept.sort(key=lambda pair: (-pair[1], pair[0]))
    return kept[: request.limit]
