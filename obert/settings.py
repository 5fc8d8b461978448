"""The one typed settings object. Built once by the CLI or `create_app` and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse as parse_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OBERT_", extra="ignore")

    mode: Literal["production", "demo", "test"] = "production"
    data_dir: Path = Path("./data")
    database_url: str | None = None  # defaults to SQLite inside data_dir
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)

    site_name: str = "obert"
    # The city's own look: a logo and brand colours, served as CSS custom properties by /theme.css (the
    # content security policy forbids inline styles, so they cannot go in the page itself).
    logo_url: str | None = None
    brand_color: str = Field(default="#b3001b", pattern=r"^#[0-9a-fA-F]{6}$")
    brand_ink: str = Field(default="#ffffff", pattern=r"^#[0-9a-fA-F]{6}$")  # text drawn on the brand colour
    link_color: str = Field(default="#0a4fa8", pattern=r"^#[0-9a-fA-F]{6}$")
    # Background map tiles, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png"; none by default, so maps
    # draw the data on a plain background and no page ever calls a third-party server.
    map_tile_url: str | None = None
    map_tile_attribution: str = ""
    map_tile_max_zoom: int = Field(default=19, ge=1, le=22)  # the deepest zoom level the tile server has
    # The city's own boundaries drawn beneath every map, from its catalogue: resource names (or ids) of
    # tables of polygons, comma-separated, coarsest first (districts, then neighbourhoods).
    map_boundaries: str = ""
    # The city's extent as "min lon,min lat,max lon,max lat" (WGS 84); empty: the box around the
    # boundaries. Coordinates whose names say nothing are recognised by falling inside it.
    map_extent: str = Field(default="", pattern=r"^$|^\s*-?[\d.]+(\s*,\s*-?[\d.]+){3}\s*$")
    # The most rows a table's map draws (a browser stays smooth with this many canvas points).
    map_max_points: int = Field(default=50_000, ge=1, le=1_000_000)
    # Which pages may show a chart's embeddable page (/…/chart/embed) in a frame: the CSP frame-ancestors
    # sources, e.g. "'self' https://ajuntament.barcelona.cat https://*.barcelona.cat". Any origin ("*") by
    # default: the embed shows only what an anonymous visitor may see (it never reads the session), holds
    # no form or button that acts, so a framing page can neither read it nor trick a reader into a change,
    # and newspapers and neighbourhood sites reusing the city's charts is what open data is for. Every
    # other page keeps frame-ancestors 'none'.
    embed_frame_ancestors: str = Field(default="*", pattern=r"^[^;,\r\n]+$")
    default_lang: Literal["ca", "es", "en"] = "ca"
    # The city's time zone (an IANA name): pages write version times, activity and metadata dates in it.
    timezone: str = "Europe/Madrid"
    max_upload_bytes: int = 2 * 1024**3
    page_size: int = Field(default=20, ge=1, le=1000)
    http_allowlist: str = ""  # comma-separated hosts or CIDR ranges outbound HTTP may reach
    workers: int = Field(default=1, ge=1, le=64)  # web processes of `obert serve`
    # A line per request on the console; a proxy in front that logs requests makes it redundant.
    access_log: bool = True
    # Logs: readable text, or one JSON object a line for a log pipeline (obert/observe/logs.py). The
    # client's address is personal data: it is logged only when asked.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_client_ip: bool = False
    # Background jobs: `obert serve` runs this many worker threads itself (0 leaves jobs to `obert worker`).
    job_threads: int = Field(default=1, ge=0, le=32)
    # Rebuilding the search index (`obert reindex`): processes that make and analyse documents while the
    # rebuilding process writes them (0: it does both). One keeps two cores busy; more help only when
    # writing is not the slower half.
    index_workers: int = Field(default=1, ge=0, le=32)
    job_lease_seconds: float = Field(default=60.0, gt=0)
    # On SIGTERM, jobs in hand get this long to finish; the rest go back to the queue for another worker.
    job_shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    # `obert worker` serves its own Prometheus /metrics (jobs, ingests, harvests) on this port, at OBERT_HOST;
    # none by default.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The personal-data gate scans tables longer than this on an even sample of this many rows.
    privacy_scan_rows: int = Field(default=200_000, ge=1000)
    # An original file held for personal data, once a transformed copy of it is published, stays with the
    # dataset's editors this many days and is then deleted (published versions are never deleted).
    held_original_retention_days: int = Field(default=30, ge=0, le=3650)
    # Whole-version exports are written once and kept under data_dir/exports up to this many bytes (0: no
    # limit); past it the least recently used go, and those of versions no longer served always go.
    export_cache_max_bytes: int = Field(default=10 * 1024**3, ge=0)
    # Datastore: the public SQL endpoint's limits, and the largest file an ingest reads (uploads or URLs).
    sql_timeout_seconds: float = Field(default=5.0, gt=0)
    sql_max_rows: int = Field(default=1000, ge=1, le=100_000)
    sql_max_bytes: int = Field(default=10_000_000, ge=1000)  # of an answer's rows as JSON
    ingest_max_bytes: int = 2 * 1024**3
    # SPARQL endpoint: each query runs in a child process stopped at the time budget, with this much memory
    # beyond the graph; answers carry at most this many solutions or triples and bytes; at most this many
    # queries run at once in one serving process (others wait up to a second, then get a 503).
    sparql_timeout_seconds: float = Field(default=10.0, gt=0)
    sparql_max_results: int = Field(default=10_000, ge=1, le=1_000_000)
    sparql_max_bytes: int = Field(default=50_000_000, ge=1000)
    sparql_memory_bytes: int = Field(default=1024**3, ge=64 * 1024**2)
    sparql_concurrency: int = Field(default=2, ge=1, le=64)
    # Memory each serving process may keep busy table versions in (whole, as Arrow), for pages of filtered
    # rows taken by row number instead of decoded from Parquet; 0 keeps none (obert.datastore.hot).
    datastore_memory_mb: int = Field(default=512, ge=0)

    # The catalogue as a whole, as DCAT-AP describes it (dcat:Catalog) and harvesters read it.
    catalog_title: dict[str, str] = {
        "ca": "Catàleg de dades obertes",
        "es": "Catálogo de datos abiertos",
        "en": "Open data catalogue",
    }
    catalog_description: dict[str, str] = {
        "ca": "Dades obertes publicades amb obert.",
        "es": "Datos abiertos publicados con obert.",
        "en": "Open data published with obert.",
    }
    catalog_homepage: str | None = None  # defaults to base_url
    catalog_publisher_uri: str | None = None  # e.g. the DIR3 IRI datos.gob.es knows the city by
    catalog_publisher_name: dict[str, str] = {}  # defaults to site_name
    catalog_license: str = "CC_BY_4_0"  # a code or IRI of the EU licence vocabulary
    catalog_languages: list[str] = ["CAT", "SPA", "ENG"]  # EU language codes
    catalog_theme_taxonomies: list[str] = [
        "http://publications.europa.eu/resource/authority/data-theme",
        "http://datos.gob.es/kos/sector-publico/sector",
    ]
    catalog_spatial_uri: str | None = None
    # Harvesting other portals politely: requests per second to any one host, and tries per request.
    harvest_requests_per_second: float = Field(default=2.0, gt=0)
    harvest_retries: int = Field(default=3, ge=0, le=10)
    # Transparency: webhooks, usage counts, link checks.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    webhook_disable_after: int = Field(default=20, ge=1)  # failed attempts in a row
    event_dispatch_seconds: float = Field(default=15.0, gt=0)
    usage_flush_seconds: float = Field(default=30.0, gt=0)
    linkcheck_timeout_seconds: float = Field(default=15.0, gt=0)
    linkcheck_every_hours: float = Field(default=24.0, gt=0)

    # Sign-in and publishing (obert/auth, obert/catalog/workflow.py).
    session_hours: float = Field(default=12.0, gt=0)
    login_failures: str = "5 per 15 minutes"  # failed sign-ins allowed per account and per address
    review_required: bool = False  # site-wide default; each organisation may override it
    sysadmin_may_approve_own: bool = True  # four eyes on approvals, except for site administrators
    # Request budgets per client (a token's account, else the address), in the `limits` notation
    # ("N per period").
    rate_limits_enabled: bool = True
    rate_limit_reads: str = "600 per minute"
    rate_limit_writes: str = "120 per minute"
    rate_limit_sql: str = "60 per minute"  # SQL queries and exports, the expensive reads
    rate_limit_login: str = "20 per minute"
    # Live (unrevoked, unexpired) API tokens one account may hold; all of them spend one request budget.
    max_tokens_per_user: int = Field(default=20, ge=1, le=1000)
    max_body_bytes: int = Field(default=2 * 1024**2, ge=1024)  # every request but uploads
    # The request line and headers together; `obert serve` answers 431 past it, before the app runs.
    max_header_bytes: int = Field(default=64 * 1024, ge=8 * 1024, le=16 * 1024**2)
    # How long proxies and CDNs may keep a public answer (anonymous reads) before asking again; answers
    # to a named caller are never kept by shared caches.
    http_max_age: int = Field(default=60, ge=0)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone: write it like 'Europe/Madrid'") from None
        return value

    @field_validator(
        "login_failures", "rate_limit_reads", "rate_limit_writes", "rate_limit_sql", "rate_limit_login"
    )
    @classmethod
    def _budget(cls, value: str) -> str:
        try:
            parse_limit(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a budget: write it like '600 per minute'") from None
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.mode == "production" and self.secret_key.get_secret_value() == DEFAULT_SECRET:
            raise ValueError(
                "OBERT_SECRET_KEY is unset: set it to a long random string (the default is only for "
                "`obert demo` and tests)"
            )
        return self

    @model_validator(mode="after")
    def _readable_colours(self) -> Settings:
        # WCAG 2.1 AA asks 4.5:1 for normal text: refuse a brand that would make the site unreadable.
        pairs = {
            "OBERT_BRAND_INK on OBERT_BRAND_COLOR": (self.brand_ink, self.brand_color),
            "OBERT_LINK_COLOR on white": (self.link_color, "#ffffff"),
            "OBERT_BRAND_COLOR on white": (self.brand_color, "#ffffff"),
        }
        for name, (fore, back) in pairs.items():
            ratio = contrast_ratio(fore, back)
            if ratio < 4.5:
                raise ValueError(f"{name} has a contrast of {ratio:.2f}:1; WCAG 2.1 AA needs at least 4.5:1")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'obert.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fore: str, back: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((_luminance(fore), _luminance(back)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
