from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from obert.catalog.models import Dataset
from obert.web.freshness import freshness, parse_duration

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


@pytest.mark.parametrize(
    ("text", "days"),
    [("P1Y", 365.25), ("P6M", 6 * 30.44), ("P2W", 14), ("P1D", 1), ("PT12H", 0.5), ("P1DT12H", 1.5)],
)
def test_iso_durations(text: str, days: float) -> None:
    assert parse_duration(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["", "P", "PT", "1Y", "P1.5Y", "every day"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_daily_data_two_days_old_is_on_time_and_four_days_old_is_late() -> None:
    on_time = freshness(_dataset(frequency="DAILY", modified="2026-11-26T00:00:00+00:00"), now=NOW)
    assert on_time.status == "on-time"
    assert on_time.age == timedelta(hours=36)
    late = freshness(_dataset(frequency="DAILY", modified="2026-11-23"), now=NOW)
    assert late.status == "late"
    assert late.updated == datetime(2026, 11, 23, tzinfo=UTC)


def test_without_a_period_freshness_is_unknown() -> None:
    for frequency in (None, "IRREG", "UPDATE_CONT", "NEVER"):
        assert freshness(_dataset(frequency=frequency, modified="2020-01-01"), now=NOW).status == "unknown"


def test_annual_data_falls_back_to_publication_then_record_dates() -> None:
    issued = freshness(_dataset(frequency="ANNUAL", issued="2026-01-10"), now=NOW)
    assert issued.updated == datetime(2026, 1, 10, tzinfo=UTC)
    assert issued.status == "on-time"
    record = freshness(_dataset(frequency="ANNUAL"), now=NOW + timedelta(days=600))
    assert record.updated == NOW
    assert record.status == "late"
    assert not record.declared
    assert issued.declared
