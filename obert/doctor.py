"""`obert doctor`: check a configuration before starting obert, and say what to fix.

Every check reads what the settings point at and changes nothing: no database is created or migrated, no
folder made. A check ends `ok`, `warn` (works, but look at it) or `fail` (obert will not run properly);
the command exits non-zero when any check fails.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from obert.errors import ObertError
from obert.ratelimit import RateLimiter
from obert.settings import DEFAULT_SECRET, Settings
from obert.storage import migrate
from obert.storage.db import Store

MIN_FREE_BYTES = 100 * 1024**2  # the readiness check's own floor (api/system.py)
LOW_FREE_BYTES = 2 * 1024**3
MIN_SECRET_LENGTH = 32
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


class Outcome(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    outcome: Outcome
    message: str
    fix: str = ""


def settings_findings(error: ValidationError) -> list[Finding]:
    """Each setting the environment gets wrong, named as the variable an operator sets."""
    found = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"] if not str(part).isdigit()]
        message = str(problem["msg"]).removeprefix("Value error, ")
        if not location:  # a rule across settings: its message names them and says what to do
            found.append(Finding("settings", Outcome.FAIL, message))
            continue
        name = "OBERT_" + location[0].upper()
        found.append(Finding(name, Outcome.FAIL, message, f"set {name} to a valid value (see the README)"))
    return found


def diagnose(settings: Settings) -> list[Finding]:
    """Run every check on `settings`."""
    checks: tuple[Callable[[Settings], Finding], ...] = (
        _secret,
        _base_url,
        _data_dir,
        _disk,
        _database,
        _redis,
        _tiles,
        _allowlist,
    )
    return [check(settings) for check in checks]


def failed(findings: list[Finding]) -> bool:
    return any(f.outcome is Outcome.FAIL for f in findings)


def _secret(settings: Settings) -> Finding:
    secret = settings.secret_key.get_secret_value()
    if secret == DEFAULT_SECRET:  # only `demo` and `test` get this far with it
        return Finding(
            "secret key", Outcome.WARN, f"the default secret, accepted in {settings.mode} mode only"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        return Finding(
            "secret key",
            Outcome.FAIL,
            f"OBERT_SECRET_KEY has {len(secret)} characters: sessions and tokens are only as safe as it is",
            f"set it to at least {MIN_SECRET_LENGTH} random characters, e.g. `openssl rand -hex 32`",
        )
    return Finding("secret key", Outcome.OK, f"set ({len(secret)} characters)")


def _base_url(settings: Settings) -> Finding:
    url = urlsplit(settings.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        return Finding(
            "base URL",
            Outcome.FAIL,
            f"OBERT_BASE_URL {settings.base_url!r} is not an http(s) address",
            "set it to the public address, e.g. https://dades.example.cat",
        )
    if (
        url.scheme == "http"
        and settings.mode == "production"
        and url.hostname not in ("127.0.0.1", "localhost")
    ):
        return Finding(
            "base URL",
            Outcome.WARN,
            f"{settings.base_url} is plain http: sign-in cookies and tokens travel unencrypted",
            "serve obert behind HTTPS and set OBERT_BASE_URL to its https:// address",
        )
    return Finding("base URL", Outcome.OK, settings.base_url)


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _data_dir(settings: Settings) -> Finding:
    where = settings.data_dir.resolve()
    if where.exists() and not where.is_dir():
        return Finding(
            "data directory", Outcome.FAIL, f"{where} is a file", "point OBERT_DATA_DIR at a folder"
        )
    target = where if where.exists() else _existing(where)
    probe = target / f".doctor-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return Finding(
            "data directory",
            Outcome.FAIL,
            f"{target} cannot be written: {exc.strerror}",
            f"give the user that runs obert write access to {target}, or set OBERT_DATA_DIR elsewhere",
        )
    if not where.exists():
        return Finding("data directory", Outcome.OK, f"{where} will be created (in {target}, writable)")
    return Finding("data directory", Outcome.OK, f"{where} is writable")


def _disk(settings: Settings) -> Finding:
    where = _existing(settings.data_dir)
    free = shutil.disk_usage(where).free
    text = f"{free / 1024**3:.1f} GiB free at {where}"
    if free < MIN_FREE_BYTES:
        return Finding("disk space", Outcome.FAIL, text, "free some space: /health/ready fails below 100 MiB")
    if free < LOW_FREE_BYTES:
        return Finding("disk space", Outcome.WARN, text, "table versions and uploads need room to grow")
    return Finding("disk space", Outcome.OK, text)


def _database(settings: Settings) -> Finding:
    url = settings.sqlalchemy_url
    shown = url.split("@")[-1] if "@" in url else url  # never print a password
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return Finding(
                "database",
                Outcome.FAIL,
                f"no database yet at {path}",
                "run `obert migrate` (or start `obert serve`, which creates it)",
            )
    try:
        store = Store(url)
    except Exception as exc:  # a malformed URL or a missing driver: SQLAlchemy's own message says which
        return Finding("database", Outcome.FAIL, f"cannot use {shown}: {exc}", "correct OBERT_DATABASE_URL")
    try:
        store.ping()
        current = migrate.current_revision(store)
    except ObertError as exc:
        return Finding(
            "database", Outcome.FAIL, exc.message, "start the database server or correct OBERT_DATABASE_URL"
        )
    finally:
        store.dispose()
    head = migrate.head_revision()
    if current != head:
        return Finding(
            "database",
            Outcome.FAIL,
            f"{store.backend} at {shown} answers, but its schema is at {current or 'nothing'}, not {head}",
            "run `obert migrate` (with several web processes, before starting them)",
        )
    return Finding("database", Outcome.OK, f"{store.backend} at {shown} answers, schema at {head} (latest)")


def _redis(settings: Settings) -> Finding:
    if not settings.redis_url:
        return Finding("redis", Outcome.OK, "not configured: request budgets are counted in each process")
    shown = settings.redis_url.split("@")[-1]
    try:
        reachable = RateLimiter(settings.redis_url).reachable()
    except Exception as exc:  # a URL the limits library cannot read
        return Finding(
            "redis", Outcome.FAIL, f"OBERT_REDIS_URL cannot be used: {exc}", "correct OBERT_REDIS_URL"
        )
    if not reachable:
        return Finding(
            "redis", Outcome.FAIL, f"Redis does not answer at {shown}", "start Redis or unset OBERT_REDIS_URL"
        )
    return Finding("redis", Outcome.OK, f"answers at {shown}")


def _tiles(settings: Settings) -> Finding:
    template = settings.map_tile_url
    if not template:
        return Finding("map tiles", Outcome.OK, "none: maps draw the data on a plain background")
    url = urlsplit(template)
    missing = [p for p in ("{z}", "{x}", "{y}") if p not in template]
    if url.scheme not in ("http", "https") or not url.netloc or missing:
        why = f"lacks {', '.join(missing)}" if missing else "is not an http(s) address"
        return Finding(
            "map tiles",
            Outcome.FAIL,
            f"OBERT_MAP_TILE_URL {template!r} {why}",
            "write it like https://tile.example.org/{z}/{x}/{y}.png",
        )
    if not settings.map_tile_attribution:
        return Finding(
            "map tiles",
            Outcome.WARN,
            f"{url.netloc} serves tiles, with no credit shown",
            "set OBERT_MAP_TILE_ATTRIBUTION to the credit the tile provider asks for",
        )
    return Finding("map tiles", Outcome.OK, f"from {url.scheme}://{url.netloc}")


def _allowlist(settings: Settings) -> Finding:
    items = [item.strip() for item in settings.http_allowlist.split(",") if item.strip()]
    if not items:
        return Finding("HTTP allowlist", Outcome.OK, "empty: outbound requests reach public addresses only")
    bad, broad = [], []
    for item in items:
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            if not _HOSTNAME.fullmatch(item.lower()):
                bad.append(item)
            continue
        if network.prefixlen == 0:
            broad.append(item)
    if bad:
        return Finding(
            "HTTP allowlist",
            Outcome.FAIL,
            f"OBERT_HTTP_ALLOWLIST entries neither a host name nor an address range: {', '.join(bad)}",
            "list host names or CIDR ranges, comma-separated, e.g. `intranet.bcn.cat,10.20.0.0/16`",
        )
    if broad:
        return Finding(
            "HTTP allowlist",
            Outcome.WARN,
            f"{', '.join(broad)} lets harvests and webhooks reach every address, cloud metadata included",
            "list the hosts or ranges obert needs, not everything",
        )
    return Finding("HTTP allowlist", Outcome.OK, f"{len(items)} entries: {', '.join(items)}")
