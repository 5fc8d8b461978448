"""/api/v1/datasets/{ref}/quality and /api/v1/quality: MQA scores with advice on what to fix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from obert.api.face import NATIVE
from obert.catalog.common import MAX_PAGE, encode_cursor, offset_from_cursor
from obert.deps import ActorDep, PortalDep, WriterDep
from obert.i18n import translations
from obert.quality.linkcheck import request_link_checks, stored_statuses
from obert.quality.links import LinkStatus
from obert.quality.metrics import BY_KEY, MAX_BY_DIMENSION, MAX_POINTS
from obert.quality.score import DatasetScore
from obert.quality.service import catalog_quality, dataset_quality
from obert.types import Lang

router = NATIVE.router(prefix="/api/v1", tags=["quality"])
LangParam = Query(default=None, description="language of the advice: ca, es or en (default: the site's)")


@router.get("/datasets/{ref}/quality")
def get_dataset_quality(
    portal: PortalDep, actor: ActorDep, ref: str, lang: Lang | None = LangParam
) -> dict[str, Any]:
    """The dataset's metadata quality, scored as data.europa.eu's MQA does, with what to fix first."""
    score = dataset_quality(
        store=portal.store, actor=actor, ref=ref, base_url=portal.settings.base_url, links=_links(portal)
    )
    return score_out(score, lang or portal.settings.default_lang)


@router.get("/quality")
def get_catalog_quality(
    portal: PortalDep,
    actor: ActorDep,
    publisher: str | None = Query(default=None, description="id or name of one publisher"),
    lang: Lang | None = LangParam,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Average scores of the catalogue's (or one publisher's) datasets, and each dataset's, worst first,
    a page at a time (`next` is the cursor of the following page; `count` the datasets scored)."""
    start = offset_from_cursor(cursor)
    report = catalog_quality(
        store=portal.store,
        actor=actor,
        base_url=portal.settings.base_url,
        publisher=publisher,
        offset=start,
        limit=limit,
    )
    summary = report.summary
    lang = lang or portal.settings.default_lang
    return {
        "publisher": publisher,
        "datasets": summary.datasets,
        "points": summary.points,
        "max_points": summary.max_points,
        "rating": summary.rating.value,
        "dimensions": {
            d.value: {"points": round(p, 1), "max_points": MAX_BY_DIMENSION[d]}
            for d, p in summary.by_dimension.items()
        },
        "ratings": {r.value: n for r, n in summary.by_rating.items()},
        "data": [
            {
                "dataset": s.dataset_name,
                "points": s.points,
                "rating": s.rating.value,
                "top_advice": _advice(s, lang)[:3],
            }
            for s in report.datasets
        ],
        "count": report.count,
        "next": encode_cursor(str(start + limit)) if start + limit < report.count else None,
    }


@router.post("/quality/link-checks", status_code=202)
def start_link_checks(portal: PortalDep, actor: WriterDep) -> dict[str, bool]:
    """Queue a check of every external access and download URL (site administrators); the scores use
    the answers once the jobs have run."""
    request_link_checks(store=portal.store, actor=actor)
    return {"queued": True}


def score_out(score: DatasetScore, lang: Lang) -> dict[str, Any]:
    gettext = translations(lang).gettext
    return {
        "dataset": score.dataset_name,
        "points": score.points,
        "max_points": MAX_POINTS,
        "rating": score.rating.value,
        "dimensions": {
            d.value: {"points": p, "max_points": MAX_BY_DIMENSION[d]} for d, p in score.by_dimension.items()
        },
        "best_distribution": score.best_distribution,
        "metrics": [
            {
                "metric": r.key,
                "iri": BY_KEY[r.key].iri,
                "dimension": r.dimension.value,
                "passed": r.passed,
                "points": r.points,
                "max_points": r.max_points,
                "advice": gettext(r.advice) if r.advice else None,
            }
            for r in score.metrics
        ],
        "advice": _advice(score, lang),
    }


def _advice(score: DatasetScore, lang: Lang) -> list[dict[str, Any]]:
    gettext = translations(lang).gettext
    missed = sorted((r for r in score.metrics if not r.passed), key=lambda r: -r.max_points)
    return [{"metric": r.key, "gain": r.max_points, "message": gettext(r.advice or "")} for r in missed]


def _links(portal: Any) -> LinkStatus:
    return stored_statuses(store=portal.store)
