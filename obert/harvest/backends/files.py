"""Plain files: a list of URLs (a dataset per URL, or one dataset grouping them) or a folder of data
files on the server (site administrators only), each file kept as its dataset's uploaded resource."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from obert.errors import FieldError, Invalid, msg
from obert.harvest.backends.base import FetchContext
from obert.harvest.mapping import file_format, file_sha256, slugify
from obert.harvest.models import Failure, LocalFile, Record, Source

SUFFIXES = frozenset({".csv", ".tsv", ".xlsx", ".xls", ".ods", ".json", ".geojson", ".parquet"})


def harvest_urls(source: Source, ctx: FetchContext) -> Iterator[Record | Failure]:
    lang = str(source.config.get("language", "ca"))
    if source.url.startswith(("http://", "https://")):
        urls = [source.url, *[str(u) for u in source.config.get("urls") or [] if str(u) != source.url]]
        if source.config.get("group"):
            yield _grouped(source, urls, lang)
        else:
            for url in urls:
                yield _one_url(url, lang)
        return
    yield from _folder(Path(source.url), lang)


def _label(url: str) -> str:
    last = PurePosixPath(unquote(urlsplit(url).path)).name
    return last.rsplit(".", 1)[0] if "." in last else (last or urlsplit(url).netloc)


def _resource(url: str, lang: str) -> dict[str, Any]:
    return {
        "title": {lang: PurePosixPath(unquote(urlsplit(url).path)).name or url},
        "format": file_format(url),
        "download_url": url,
        "access_url": url,
    }


def _one_url(url: str, lang: str) -> Record:
    label = _label(url)
    dataset = {
        "name": slugify(label),
        "title": {lang: label.replace("_", " ").replace("-", " ").strip() or url},
        "landing_page": url,
        "resources": [_resource(url, lang)],
    }
    return Record(remote_id=url, dataset=dataset, identifier=url)


def _grouped(source: Source, urls: list[str], lang: str) -> Record:
    dataset = {
        "name": slugify(source.name),
        "title": {lang: source.title},
        "description": {lang: str(source.config["description"])} if source.config.get("description") else {},
        "resources": [_resource(url, lang) for url in urls],
    }
    return Record(remote_id=source.url, dataset=dataset)


def _folder(root: Path, lang: str) -> Iterator[Record | Failure]:
    if not root.is_dir():
        raise Invalid(
            msg("no such folder"), errors=[FieldError("url", f"{root} is not a folder on the server")]
        )
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES):
        relative = path.relative_to(root).as_posix()
        try:
            digest = file_sha256(path)
        except OSError as exc:
            yield Failure(relative, msg("cannot read the file: {error}", error=str(exc.strerror)))
            continue
        label = path.stem.replace("_", " ").replace("-", " ").strip() or path.name
        dataset = {
            "name": slugify(path.stem),
            "title": {lang: label},
            "resources": [{"title": {lang: path.name}, "format": file_format(path.suffix)}],
            "extras": {"file": relative},
        }
        local = LocalFile(position=0, path=path, filename=path.name, sha256=digest)
        yield Record(remote_id=relative, dataset=dataset, files=(local,))
