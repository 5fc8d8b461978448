"""Ways into the catalogue for people browsing it: by EU data theme, and what changed last; and the
light reads that let a service keep something per dataset (a sitemap, scores) without loading them all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from obert.auth import ANONYMOUS, Actor
from obert.catalog.access import prepared_for_viewer, visible_to
from obert.catalog.common import check_limit
from obert.catalog.discovery import viewer_for
from obert.catalog.models import Dataset, DatasetCard
from obert.catalog.rows import CARD_COLUMNS, cards_from_rows, datasets_from_rows
from obert.catalog.vocabulary import vocabulary
from obert.errors import NotFound
from obert.search import SearchQuery, find
from obert.search.model import MAX_FACET_VALUES
from obert.storage import Store
from obert.storage.tables.catalog import datasets


def theme_code(ref: str) -> str:
    """The EU data theme code for a code in any case or its IRI; NotFound names the known codes."""
    concept = vocabulary("data-theme").get(ref)
    if concept is None:
        known = ", ".join(c.code for c in vocabulary("data-theme"))
        raise NotFound(f"no data theme '{ref}' (known: {known})")
    return concept.code


def has_theme(ref: str) -> ColumnElement[bool]:
    """SQL condition: the dataset lists this EU data theme.

    Themes are stored as a JSON list of validated codes (four capital letters), so matching the quoted code
    in the column's text is exact, and works alike on SQLite's JSON text and PostgreSQL's jsonb.
    """
    return sa.cast(datasets.c.themes, sa.Text).contains(f'"{theme_code(ref)}"')


def theme_counts(*, store: Store, actor: Actor) -> dict[str, int]:
    """How many datasets `actor` may see under each EU data theme (themes with none are left out).

    Counted by the search index's theme facet, as the search page counts it (kept per index version),
    not by reading every dataset's themes at each visit of the home page."""
    query = SearchQuery(facets=("theme",), facet_limit=MAX_FACET_VALUES, limit=1)
    with store.read() as conn:
        hits = find(conn, viewer=viewer_for(actor), query=query)
    return dict(hits.facets.get("theme", []))


def latest_dataset_cards(*, store: Store, actor: Actor, limit: int = 6) -> list[DatasetCard]:
    """The datasets `actor` may see, most recently changed first, as the home page shows them: cards, without
    the metadata and resources a card does not show."""
    check_limit(limit)

    def latest(visible: ColumnElement[bool]) -> sa.Select[Any]:
        order = (datasets.c.updated_at.desc(), datasets.c.name)
        return CARD_COLUMNS.where(visible).order_by(*order).limit(sa.bindparam("limit", type_=sa.Integer()))

    # The public's (or every sysadmin's) statement is prepared once: the home page asks it.
    prepared = prepared_for_viewer(store, actor, "latest_cards", latest)
    with store.read() as conn:
        if prepared is None:
            rows: Sequence[Any] = conn.execute(latest(visible_to(actor)), {"limit": limit}).all()
        else:
            rows = prepared.rows(conn, limit=limit)
        return cards_from_rows(conn, rows)


def public_dataset_stamps(*, store: Store, offset: int, limit: int) -> list[tuple[str, datetime]]:
    """The names of the datasets anyone may see and when each last changed, by name: what a sitemap lists
    (a read of two columns, where a page of whole datasets would load every dataset's metadata)."""
    query = (
        sa.select(datasets.c.name, datasets.c.updated_at)
        .where(visible_to(ANONYMOUS))
        .order_by(datasets.c.name)
        .offset(offset)
        .limit(limit)
    )
    with store.read() as conn:
        return [(row.name, row.updated_at) for row in conn.execute(query)]


def dataset_stamps(
    conn: Connection, actor: Actor, *, organization_id: str | None = None
) -> list[tuple[str, Any]]:
    """The ids of the datasets `actor` may see (of one organisation, when given), each with a mark of
    when it last changed: every change to a dataset or its resources moves its mark. The mark is the
    stored time as the driver gives it, unconverted (a 100k catalogue reads in a third of the time), to
    compare with another mark only."""
    condition = visible_to(actor)
    if organization_id is not None:
        condition = sa.and_(condition, datasets.c.organization_id == organization_id)
    changed = sa.type_coerce(datasets.c.updated_at, sa.String())
    return [
        (row[0], row[1]) for row in conn.execute(sa.select(datasets.c.id, changed).where(condition)).all()
    ]


def datasets_by_id(conn: Connection, ids: Sequence[str]) -> list[Dataset]:
    """These datasets whole, with their live resources, in no particular order (the caller has checked
    who may see them)."""
    return datasets_from_rows(conn, conn.execute(sa.select(datasets).where(datasets.c.id.in_(ids))).all())
