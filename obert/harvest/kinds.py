"""The kinds of harvest source, apart from the models so that the command line can name them cheaply."""

from __future__ import annotations

from enum import StrEnum


class SourceType(StrEnum):
    CKAN = "ckan"
    DCAT = "dcat"
    SOCRATA = "socrata"
    ODS = "ods"
    URLS = "urls"
    SQL = "sql"
