"""Scoring one dataset, and summing scores over a publisher or the whole catalogue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from obert.catalog.models import Dataset, Resource
from obert.catalog.vocabulary import file_type_for, vocabulary
from obert.dcat import conformance
from obert.quality.links import LinkStatus, answers
from obert.quality.metrics import BY_KEY, MAX_POINTS, METRICS, Dimension, Rating, rating


@dataclass(frozen=True, slots=True)
class MetricResult:
    key: str
    dimension: Dimension
    passed: bool
    points: int  # earned
    max_points: int
    advice: str | None  # what to fix to earn the points, when they were not earned


@dataclass(frozen=True, slots=True)
class DatasetScore:
    dataset_id: str
    dataset_name: str
    points: int
    rating: Rating
    metrics: tuple[MetricResult, ...]
    best_distribution: str | None  # id of the resource whose points the dataset took
    by_dimension: dict[Dimension, int]  # points earned in each dimension


def score_dataset(dataset: Dataset, *, base_url: str, links: LinkStatus) -> DatasetScore:
    """The MQA score of `dataset` as obert publishes it in DCAT-AP."""
    checks = _dataset_checks(dataset)
    per_resource = [(r, _distribution_checks(dataset, r, base_url, links)) for r in dataset.resources]
    best: Resource | None = None
    best_checks: dict[str, bool] = {m.key: False for m in METRICS if m.distribution}
    if per_resource:
        best, best_checks = max(per_resource, key=lambda pair: (_points(pair[1]), -pair[0].position))
    checks.update(best_checks)
    results = tuple(
        MetricResult(
            key=m.key,
            dimension=m.dimension,
            passed=checks[m.key],
            points=m.points if checks[m.key] else 0,
            max_points=m.points,
            advice=None if checks[m.key] else m.advice,
        )
        for m in METRICS
    )
    total = sum(r.points for r in results)
    by_dimension = dict.fromkeys(Dimension, 0)
    for result in results:
        by_dimension[result.dimension] += result.points
    return DatasetScore(
        dataset_id=dataset.id,
        dataset_name=dataset.name,
        points=total,
        rating=rating(total),
        metrics=results,
        best_distribution=best.id if best else None,
        by_dimension=by_dimension,
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """The average score of several datasets (a publisher's, the catalogue's)."""

    datasets: int
    points: float
    max_points: int
    rating: Rating
    by_dimension: dict[Dimension, float]
    by_rating: dict[Rating, int]


def summarize(scores: Sequence[DatasetScore]) -> Summary:
    n = len(scores)
    average = sum(s.points for s in scores) / n if n else 0.0
    totals = dict.fromkeys(Dimension, 0)
    for score in scores:
        for dimension, points in score.by_dimension.items():
            totals[dimension] += points
    dims = {d: (totals[d] / n if n else 0.0) for d in Dimension}
    tally = Counter(s.rating for s in scores)
    counts = {r: tally[r] for r in Rating}
    return Summary(n, round(average, 1), MAX_POINTS, rating(average), dims, counts)


def _dataset_checks(dataset: Dataset) -> dict[str, bool]:
    access = vocabulary("access-right").get(dataset.access_rights) if dataset.access_rights else None
    contact = dataset.contact_point
    return {
        "keywordAvailability": any(dataset.keywords.values()),
        "categoryAvailability": bool(dataset.themes),
        "spatialAvailability": dataset.spatial is not None
        and bool(dataset.spatial.uri or dataset.spatial.bbox or dataset.spatial.label),
        "temporalAvailability": dataset.temporal is not None
        and bool(dataset.temporal.start or dataset.temporal.end),
        "dcatApCompliance": not conformance.problems(dataset),
        "accessRightsAvailability": dataset.access_rights is not None,
        "accessRightsVocabularyAlignment": access is not None,
        "contactPointAvailability": contact is not None
        and bool(contact.name or contact.email or contact.url),
        "publisherAvailability": dataset.organization is not None,
        # obert's DCAT output falls back to the record's creation and change times (see obert.dcat.dataset),
        # so both dates are always published.
        "dateIssuedAvailability": True,
        "dateModifiedAvailability": True,
    }


def consulted_urls(dataset: Dataset) -> tuple[str, ...]:
    """The URLs whose link checks `score_dataset` reads: those of the resources obert does not serve."""
    urls = {u for r in dataset.resources if not r.upload for u in (r.access_url, r.download_url) if u}
    return tuple(sorted(urls))


def _distribution_checks(
    dataset: Dataset, resource: Resource, base_url: str, links: LinkStatus
) -> dict[str, bool]:
    file_type = file_type_for(resource.format) if resource.format else None
    if file_type is None and resource.media_type:
        file_type = file_type_for(resource.media_type)
    licence = resource.license or dataset.license
    # Files obert serves itself answer by construction; other URLs answer if the last link check said so.
    access_ok = bool(resource.upload) or (
        resource.access_url is not None and answers(links.status(resource.access_url))
    )
    if not resource.upload and resource.access_url is None and resource.download_url:
        access_ok = answers(links.status(resource.download_url))  # the download URL doubles as access URL
    download_ok = bool(resource.upload) or (
        resource.download_url is not None and answers(links.status(resource.download_url))
    )
    return {
        "accessUrlStatusCode": access_ok,
        "downloadUrlAvailability": bool(resource.upload or resource.download_url),
        "downloadUrlStatusCode": download_ok,
        "formatAvailability": resource.format is not None,
        "mediaTypeAvailability": resource.media_type is not None,
        "formatMediaTypeVocabularyAlignment": file_type is not None,
        "formatMediaTypeNonProprietary": bool(file_type and file_type.extra.get("non_proprietary")),
        "formatMediaTypeMachineInterpretable": bool(file_type and file_type.extra.get("machine_readable")),
        "licenceAvailability": licence is not None,
        "knownLicence": licence is not None and vocabulary("licence").get(licence) is not None,
        "rightsAvailability": bool(dataset.extras.get("rights")),
        "byteSizeAvailability": resource.byte_size is not None,
    }


def _points(checks: dict[str, bool]) -> int:
    return sum(BY_KEY[key].points for key, passed in checks.items() if passed)
