"""Saved searches for feeds and webhooks, answered from the catalogue until the search service exists.

`matching_dataset_ids` is the one call the search service replaces: it takes the saved search and answers
the ids of the datasets it matches. Here, `q` matches words of the title, description and keywords in any
language (accents and case folded), and the facets map to catalogue fields.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.catalog.vocabulary import vocabulary
from obert.errors import FieldError, Invalid
from obert.storage.tables.catalog import datasets, organizations

MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class SavedSearch:
    q: str = ""
    theme: str | None = None
    organization: str | None = None  # id or name

    @classmethod
    def parse(cls, *, q: str | None, theme: str | None, organization: str | None) -> SavedSearch:
        """Validate the parameters of a saved search; `Invalid` names the bad one."""
        q = (q or "").strip()
        if len(q) > MAX_QUERY:
            raise Invalid(
                "the search is too long", errors=[FieldError("q", f"at most {MAX_QUERY} characters")]
            )
        concept = vocabulary("data-theme").get(theme) if theme else None
        if theme and concept is None:
            raise Invalid("unknown theme", errors=[FieldError("theme", f"'{theme}' is not an EU data theme")])
        return cls(q=q, theme=concept.code if concept else None, organization=organization or None)

    def as_json(self) -> dict[str, Any]:
        return {"q": self.q, "theme": self.theme, "organization": self.organization}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SavedSearch:
        return cls(q=data.get("q") or "", theme=data.get("theme"), organization=data.get("organization"))


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matching_dataset_ids(conn: Connection, search: SavedSearch) -> set[str]:
    """Ids of the datasets (in any state: callers decide what a reader may see) the search matches."""
    query = sa.select(
        datasets.c.id, datasets.c.title, datasets.c.description, datasets.c.keywords, datasets.c.themes
    )
    if search.organization:
        org = sa.select(organizations.c.id).where(
            sa.or_(organizations.c.id == search.organization, organizations.c.name == search.organization)
        )
        query = query.where(datasets.c.organization_id.in_(org.scalar_subquery()))
    words = fold(search.q).split()
    out = set()
    for row in conn.execute(query):
        if search.theme and search.theme not in row.themes:
            continue
        if words:
            texts = [*row.title.values(), *row.description.values()]
            texts += [word for values in row.keywords.values() for word in values]
            haystack = fold(" ".join(texts))
            if not all(word in haystack for word in words):
                continue
        out.add(row.id)
    return out
