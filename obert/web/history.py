"""A table's version history on its resource page, and a form comparing two versions (no JavaScript: a
GET form whose answer is the same page with the differences).

The history comes from ``history.version_history`` and the differences from ``published.diff_versions``,
the services behind ``/api/v1/datastore/{resource}/versions`` and ``/diff``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from starlette.datastructures import QueryParams

from obert.auth import Actor
from obert.catalog.models import Dataset, Resource
from obert.errors import Invalid, NotFound
from obert.portal import Portal
from obert.tableservice import history, published
from obert.tableservice.history import VersionEntry
from obert.tableservice.published import DiffResult
from obert.tableservice.small_counts import protection_of

EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Examples:
    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True, slots=True)
class DiffView:
    result: DiffResult
    added: Examples
    removed: Examples
    changed: list[tuple[str, str, Any, Any]]  # (key, column, old, new), a few
    retyped: list[tuple[str, str, str]]  # (column, old type, new type)


@dataclass(frozen=True, slots=True)
class HistoryView:
    entries: list[VersionEntry]
    choices: list[int]  # versions that can be compared (published now or before), newest first
    old: int | None
    new: int | None
    key: str
    key_columns: list[str]
    protected: bool  # statistics about people: not diffed
    diff: DiffView | None = None
    error: str | None = None  # "number", "same" or "key": what was wrong with the form


def version_history(
    *, portal: Portal, actor: Actor, dataset: Dataset, resource: Resource, params: QueryParams
) -> HistoryView | None:
    """The history of `resource`'s table and, when the form asked for one, the differences between two
    of its versions; None when the resource has no version the caller may see. `dataset` and `resource`
    are as the page loaded them for `actor`."""
    found = history.history_of(store=portal.store, actor=actor, resource=resource, dataset=dataset)
    if not found.entries:
        return None
    choices = [e.version.number for e in found.entries if e.state != "held"]
    asked = "diff_from" in params or "diff_to" in params
    old = _number(params.get("diff_from")) if asked else (choices[1] if len(choices) > 1 else None)
    new = _number(params.get("diff_to")) if asked else (choices[0] if choices else None)
    key = (params.get("diff_key") or "").strip()
    newest = next((e for e in found.entries if e.version.number == new), found.entries[0])
    columns = [str(c["name"]) for c in newest.version.report.get("columns") or []]
    with portal.store.read() as conn:
        protected = protection_of(conn, resource.id)
    view = HistoryView(
        entries=found.entries,
        choices=choices,
        old=old,
        new=new,
        key=key,
        key_columns=columns,
        protected=protected.statistics_about_people,
    )
    if not asked or view.protected:
        return view
    if old is None or new is None or old not in choices or new not in choices:
        return replace(view, error="number")
    if old == new:
        return replace(view, error="same")
    try:
        result = published.diff_versions(
            store=portal.store,
            actor=actor,
            tables=portal.tables,
            ref=resource.id,
            old=old,
            new=new,
            key=[key] if key else None,
        )
    except NotFound:
        return replace(view, error="number")
    except Invalid:
        return replace(view, error="key")
    return replace(view, diff=_diff_view(result, key))


def _number(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _examples(rows: list[dict[str, object]]) -> Examples:
    shown = rows[:EXAMPLES]
    columns = list(shown[0]) if shown else []
    return Examples(columns, [[row.get(c) for c in columns] for row in shown])


def _diff_view(result: DiffResult, key: str) -> DiffView:
    changed: list[tuple[str, str, Any, Any]] = []
    for row in result.sample_changed[:EXAMPLES]:
        for column, value in row.items():
            if isinstance(value, dict) and set(value) == {"old", "new"}:
                changed.append((str(row.get(key)), column, value["old"], value["new"]))
    return DiffView(
        result=result,
        added=_examples(result.sample_added),
        removed=_examples(result.sample_removed),
        changed=changed,
        retyped=[(name, old, new) for name, (old, new) in result.columns_retyped.items()],
    )
