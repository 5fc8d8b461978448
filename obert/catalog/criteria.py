"""Boolean conditions on datasets: words, field values, date ranges, joined with and, or and not.

A face that speaks a query language (CKAN's Solr syntax for `q` and `fq`) parses it into these and the
listing turns them into one SQL condition on the catalogue and the search index, so every combination
is filtered, counted and paged in the database. Words are matched by the search index with the site's
own analysis (case, accents, stems in ca, es and en), every word of a `Words` having to match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from obert.auth import Actor
from obert.i18n.text import words
from obert.search import Viewer, matching
from obert.storage.tables.catalog import dataset_groups, datasets, groups, organizations
from obert.storage.tables.search import search_documents, search_facets

# Fields of the search index text (obert.search.backends.FIELDS).
TextField = Literal["title", "keywords", "description", "other"]
# Fields with values, named as the listings' facets are, plus the dataset's own id and name.
ValueField = Literal[
    "id", "name", "organization", "organization_id", "tags", "res_format", "license_id", "groups", "theme"
]
DateField = Literal["modified", "created"]
VALUE_FIELDS: tuple[ValueField, ...] = (
    "id", "name", "organization", "organization_id", "tags", "res_format", "license_id", "groups", "theme",
)  # fmt: skip

# Facets kept as rows of the search index, under their names there.
_INDEXED = {"tags": "keyword", "res_format": "format", "theme": "theme"}


@dataclass(frozen=True, slots=True)
class Words:
    """Datasets whose text has every word of `text` (the last one as a prefix with `prefix`; all in a
    row with `phrase`), in `fields` only when given."""

    text: str
    fields: tuple[TextField, ...] = ()
    prefix: bool = False
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Value:
    """Datasets with `value` in `field`, in any letter case; with `pattern`, `*` stands for any run of
    characters and `?` for one."""

    field: ValueField
    value: str
    pattern: bool = False


@dataclass(frozen=True, slots=True)
class Dates:
    """Datasets whose date `field` lies between `start` and `end` (None: unbounded)."""

    field: DateField
    start: datetime | None = None
    end: datetime | None = None
    include_start: bool = True
    include_end: bool = True


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Criterion


@dataclass(frozen=True, slots=True)
class Everything:
    pass


Criterion: TypeAlias = Words | Value | Dates | AllOf | AnyOf | Not | Everything


def condition(conn: Connection, actor: Actor, criterion: Criterion) -> ColumnElement[bool]:
    """One SQL condition on `datasets` rows for `criterion` (words are looked up in the search index
    among the datasets `actor` may see)."""
    if isinstance(criterion, Everything):
        return sa.true()
    if isinstance(criterion, AllOf):
        return sa.and_(sa.true(), *(condition(conn, actor, part) for part in criterion.parts))
    if isinstance(criterion, AnyOf):
        return sa.or_(sa.false(), *(condition(conn, actor, part) for part in criterion.parts))
    if isinstance(criterion, Not):
        return sa.not_(condition(conn, actor, criterion.part))
    if isinstance(criterion, Dates):
        return _between(criterion)
    if isinstance(criterion, Value):
        return has_value(criterion.field, criterion.value, pattern=criterion.pattern)
    if not words(criterion.text):
        return sa.true()  # only stop words ("the"): they are in no index, and rule nothing out
    viewer = Viewer(sysadmin=actor.sysadmin, organization_ids=actor.visible_organizations)
    found = matching(
        conn,
        viewer=viewer,
        text=criterion.text,
        prefix_last=criterion.prefix,
        fields=criterion.fields,
        phrase=criterion.phrase,
    )
    return datasets.c.id.in_(found)


def positive_words(criterion: Criterion | None) -> list[str]:
    """The words a dataset is looked for by (not those it must lack): what relevance ranks on."""
    if isinstance(criterion, Words):
        return [criterion.text]
    if isinstance(criterion, AllOf | AnyOf):
        return [w for part in criterion.parts for w in positive_words(part)]
    return []


def has_value(field: ValueField, value: str, *, pattern: bool = False) -> ColumnElement[bool]:
    """SQL condition: the dataset has `value` in `field`, in any letter case (CKAN's are exact, but
    people type "csv" for "CSV")."""
    folded = value.lower()

    def same(column: sa.ColumnElement[str]) -> ColumnElement[bool]:
        if pattern:
            return sa.func.lower(column).like(_like(folded), escape="\\")
        return sa.func.lower(column) == folded

    if field == "id":
        return same(datasets.c.id)
    if field == "name":
        return same(datasets.c.name)
    if field == "organization_id":
        return same(datasets.c.organization_id)
    if field == "organization":
        return datasets.c.organization_id.in_(sa.select(organizations.c.id).where(same(organizations.c.name)))
    if field == "license_id":
        return same(datasets.c.license)
    if field == "groups":
        return datasets.c.id.in_(
            sa.select(dataset_groups.c.dataset_id)
            .select_from(dataset_groups.join(groups, groups.c.id == dataset_groups.c.group_id))
            .where(same(groups.c.name))
        )
    return datasets.c.id.in_(
        sa.select(search_documents.c.dataset_id)
        .select_from(
            search_documents.join(search_facets, search_facets.c.doc_id == search_documents.c.doc_id)
        )
        .where(search_facets.c.facet == _INDEXED[field], same(search_facets.c.value))
    )


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _between(dates: Dates) -> ColumnElement[bool]:
    column = datasets.c.updated_at if dates.field == "modified" else datasets.c.created_at
    where: list[ColumnElement[bool]] = []
    if dates.start is not None:
        where.append(column >= dates.start if dates.include_start else column > dates.start)
    if dates.end is not None:
        where.append(column <= dates.end if dates.include_end else column < dates.end)
    return sa.and_(sa.true(), *where)
