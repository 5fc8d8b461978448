"""Quality scores of the datasets an actor may see: one, a publisher's, or the whole catalogue's."""

from __future__ import annotations

from dataclasses import dataclass

from obert.auth import Actor
from obert.catalog import datasets
from obert.catalog.browse import dataset_stamps
from obert.catalog.common import MAX_PAGE
from obert.catalog.organizations import get_organization
from obert.quality.kept import kept_scores
from obert.quality.links import LinkStatus
from obert.quality.score import DatasetScore, Summary, score_dataset
from obert.storage import Store


def dataset_quality(
    *, store: Store, actor: Actor, ref: str, base_url: str, links: LinkStatus
) -> DatasetScore:
    dataset = datasets.get_dataset(store=store, actor=actor, ref=ref)
    return score_dataset(dataset, base_url=base_url, links=links)


@dataclass(frozen=True, slots=True)
class QualityReport:
    summary: Summary  # of every dataset scored
    datasets: list[DatasetScore]  # the page asked for, worst first
    count: int  # datasets scored


def catalog_quality(
    *,
    store: Store,
    actor: Actor,
    base_url: str,
    publisher: str | None = None,
    offset: int = 0,
    limit: int = MAX_PAGE,
) -> QualityReport:
    """The average score of every dataset `actor` may see (of one publisher, by id or name, when given),
    and a page of the datasets' own scores, worst first."""
    organization_id = get_organization(store=store, ref=publisher).id if publisher else None
    with store.read() as conn:
        stamps = dataset_stamps(conn, actor, organization_id=organization_id)
        scored = kept_scores(store.engine).scored(conn, stamps, base_url=base_url)
    page = scored.scores[offset : offset + limit]
    return QualityReport(scored.summary, page, len(scored.scores))
