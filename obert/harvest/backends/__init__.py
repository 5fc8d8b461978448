"""Harvest backends, one per kind of source. Each lists a source's datasets as mapped records."""

from __future__ import annotations

from obert.harvest.backends.base import Backend, FetchContext
from obert.harvest.backends.ckan import harvest_ckan
from obert.harvest.backends.dcat import harvest_dcat
from obert.harvest.backends.files import harvest_urls
from obert.harvest.backends.ods import harvest_ods
from obert.harvest.backends.socrata import harvest_socrata
from obert.harvest.backends.sql import harvest_sql
from obert.harvest.models import SourceType

BACKENDS: dict[SourceType, Backend] = {
    SourceType.CKAN: harvest_ckan,
    SourceType.DCAT: harvest_dcat,
    SourceType.SOCRATA: harvest_socrata,
    SourceType.ODS: harvest_ods,
    SourceType.URLS: harvest_urls,
    SourceType.SQL: harvest_sql,
}


def backend_for(kind: SourceType) -> Backend:
    return BACKENDS[kind]


__all__ = ["BACKENDS", "Backend", "FetchContext", "backend_for"]
