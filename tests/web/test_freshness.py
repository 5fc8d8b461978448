from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from obert.catalog.models import Dataset
from obert.watch.freshness import Dated, assess
from obert.web.freshness import Freshness, freshness

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _dataset(**fields: Any) -> Dataset:
    base: dict[str, Any] = {
        "id": "d1",
        "name": "d",
        "state": "published",
        "visibility": "public",
        "organization": None,
        "title": {"en": "D"},
        "description": {},
        "keywords": {},
        "themes": [],
        "sectors": [],
        "license": None,
        "access_rights": None,
        "frequency": None,
        "temporal": None,
        "spatial": None,
        "languages": [],
        "issued": None,
        "modified": None,
        "landing_page": None,
        "contact_point": None,
        "conforms_to": [],
        "version": None,
        "version_notes": {},
        "provenance": {},
        "extras": {},
        "resources": [],
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Dataset(**{**base, **fields})


def _page(dataset: Dataset, *, now: datetime = NOW, uploaded: datetime | None = None) -> Freshness:
    return freshness(assess(Dated.of(dataset), uploaded=uploaded, now=now), now=now)


def test_daily_data_two_days_old_is_on_time_and_four_days_old_is_late() -> None:
    on_time = _page(_dataset(frequency="DAILY", modified="2026-11-26T00:00:00+00:00"))
    assert on_time.status == "on-time"
    assert on_time.age == timedelta(hours=36)
    late = _page(_dataset(frequency="DAILY", modified="2026-11-23"))
    assert late.status == "late"
    assert late.updated == datetime(2026, 11, 23, tzinfo=UTC)


def test_without_a_period_freshness_is_unknown() -> None:
    for frequency in (None, "IRREG", "UPDATE_CONT", "NEVER"):
        assert _page(_dataset(frequency=frequency, modified="2020-01-01")).status == "unknown"


def test_annual_data_falls_back_to_publication_then_record_dates() -> None:
    issued = _page(_dataset(frequency="ANNUAL", issued="2026-01-10"))
    assert issued.updated == datetime(2026, 1, 10, tzinfo=UTC)
    assert issued.status == "on-time"
    record = _page(_dataset(frequency="ANNUAL"), now=NOW + timedelta(days=600))
    assert record.updated == NOW
    assert record.status == "late"
    assert not record.declared
    assert issued.declared


def test_a_file_uploaded_since_the_declared_date_counts_as_an_update() -> None:
    # The page judges by the same rule as the API: a fresh upload makes stale metadata on time.
    stale = _dataset(frequency="DAILY", modified="2026-11-01")
    assert _page(stale).status == "late"
    refreshed = _page(stale, uploaded=NOW - timedelta(hours=3))
    assert refreshed.status == "on-time" and refreshed.updated == NOW - timedelta(hours=3)
