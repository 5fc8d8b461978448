"""Quality scores of the datasets an actor may see: one, a publisher's, or the whole catalogue's."""

from __future__ import annotations

from dataclasses import dataclass

from obert.auth import Actor
from obert.catalog import datasets
from obert.catalog.common import MAX_PAGE
from obert.catalog.listing import BrowseQuery, browse_datasets
from obert.catalog.organizations import get_organization
from obert.quality.links import LinkStatus
from obert.quality.score import DatasetScore, Summary, score_dataset, summarize
from obert.storage import Store


def dataset_quality(
    *, store: Store, actor: Actor, ref: str, base_url: str, links: LinkStatus
) -> DatasetScore:
    dataset = datasets.get_dataset(store=store, actor=actor, ref=ref)
    return score_dataset(dataset, base_url=base_url, links=links)


@dataclass(frozen=True, slots=True)
class QualityReport:
    summary: Summary
    datasets: list[DatasetScore]


def catalog_quality(
    *, store: Store, actor: Actor, base_url: str, links: LinkStatus, publisher: str | None = None
) -> QualityReport:
    """Scores of every published dataset (of one publisher, by id or name, when given), worst first."""
    filters = {}
    if publisher:
        filters["organization"] = (get_organization(store=store, ref=publisher).name,)
    scores: list[DatasetScore] = []
    offset = 0
    while True:
        page = browse_datasets(
            store=store,
            actor=actor,
            query=BrowseQuery(filters=filters, offset=offset, limit=MAX_PAGE),  # type: ignore[arg-type]
        )
        scores.extend(score_dataset(d, base_url=base_url, links=links) for d in page.items)
        offset += MAX_PAGE
        if offset >= page.count:
            break
    scores.sort(key=lambda s: (s.points, s.dataset_name))
    return QualityReport(summary=summarize(scores), datasets=scores)
