"""Reading a data package someone sends: a zip (datapackage.json and its CSV files) or the URL of a
datapackage.json whose resources sit beside it or elsewhere on the web.

Nothing here trusts the package: names inside the zip are checked (no absolute paths, no `..`), bytes are
counted while they are expanded (declared sizes lie), and every URL, the descriptor's and each resource's,
is fetched through obert's HTTP client and its address guard.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

from obert.errors import FieldError, Invalid, TooLarge, Unavailable
from obert.http import HttpClient, Response
from obert.storage.files import safe_filename

DESCRIPTOR = "datapackage.json"
MAX_DESCRIPTOR_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 10_000
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class PackageResource:
    name: str
    path: Path  # the data, on this machine
    filename: str  # the name it had in the package
    descriptor: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Package:
    descriptor: dict[str, Any]
    resources: list[PackageResource]


def read_zip(path: Path, *, workdir: Path, max_bytes: int) -> Package:
    """The package in the zip file `path`, its resources expanded into `workdir`."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {m.filename: m for m in archive.infolist() if not m.is_dir()}
            if len(members) > MAX_MEMBERS:
                raise Invalid("the zip holds too many files", errors=[FieldError("file", f"{len(members)}")])
            root = _descriptor_root(members)
            with archive.open(members[root + DESCRIPTOR]) as f:
                descriptor = _parse_descriptor(f.read(MAX_DESCRIPTOR_BYTES + 1))
            budget = [max_bytes]
            resources = []
            for i, (name, item) in enumerate(_resources(descriptor)):
                inner = _inner_path(item, where=f"resources[{i}].path")
                member = members.get(root + inner)
                if member is None:
                    raise Invalid(
                        "a resource's file is not in the zip",
                        errors=[FieldError(f"resources[{i}].path", inner)],
                    )
                target = workdir / f"{i}-{safe_filename(PurePosixPath(inner).name)}"
                with archive.open(member) as src:
                    _copy_limited(src, target, budget)
                resources.append(PackageResource(name, target, PurePosixPath(inner).name, item))
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise Invalid("the zip file is damaged", errors=[FieldError("file", str(exc))]) from exc
    return Package(descriptor, resources)


def read_url(url: str, *, http: HttpClient, workdir: Path, max_bytes: int) -> Package:
    """The package whose datapackage.json is at `url`; its resources downloaded into `workdir`."""
    response = _fetch(partial(http.get, url, max_bytes=MAX_DESCRIPTOR_BYTES + 1), where="url")
    if response.status >= 400:
        raise Invalid(f"the package URL answered HTTP {response.status}", errors=[FieldError("url", url)])
    descriptor = _parse_descriptor(response.content[: MAX_DESCRIPTOR_BYTES + 1])
    resources = []
    for i, (name, item) in enumerate(_resources(descriptor)):
        where = f"resources[{i}].path"
        raw = item.get("path")
        if not isinstance(raw, str) or not raw:
            raise Invalid("a resource has no path", errors=[FieldError(where, "one path (a string)")])
        if not urlsplit(raw).scheme:
            _inner_path(item, where=where)  # relative: no escaping above the package
        target_url = urljoin(url, raw)
        target = workdir / f"{i}-{safe_filename(PurePosixPath(urlsplit(target_url).path).name or 'data')}"
        got = _fetch(partial(http.download, target_url, target, max_bytes=max_bytes), where=where)
        if got.status >= 400:
            raise Invalid(
                f"a resource's URL answered HTTP {got.status}", errors=[FieldError(where, target_url)]
            )
        resources.append(PackageResource(name, target, PurePosixPath(urlsplit(target_url).path).name, item))
    return Package(descriptor, resources)


def _fetch(call: Callable[[], Response], *, where: str) -> Response:
    # An address that does not answer is the sender's to fix: a 4xx naming it, not a 503 of ours.
    try:
        return call()
    except Unavailable as exc:
        raise Invalid("the package could not be fetched", errors=[FieldError(where, exc.message)]) from exc


def _descriptor_root(members: dict[str, zipfile.ZipInfo]) -> str:
    if DESCRIPTOR in members:
        return ""
    # A zip made by compressing a folder puts everything one level down.
    roots = [n[: -len(DESCRIPTOR)] for n in members if n.endswith("/" + DESCRIPTOR) and n.count("/") == 1]
    if len(roots) == 1:
        return roots[0]
    raise Invalid(
        "the zip has no datapackage.json", errors=[FieldError("file", "datapackage.json at its root")]
    )


def _parse_descriptor(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_DESCRIPTOR_BYTES:
        raise TooLarge(
            "datapackage.json is too large",
            errors=[FieldError(DESCRIPTOR, f"over {MAX_DESCRIPTOR_BYTES} bytes")],
        )
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(
            "datapackage.json is not valid JSON", errors=[FieldError(DESCRIPTOR, str(exc))]
        ) from exc
    if not isinstance(data, dict):
        raise Invalid("datapackage.json is not a JSON object", errors=[FieldError(DESCRIPTOR, "an object")])
    return data


def _resources(descriptor: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    items = descriptor.get("resources")
    if not isinstance(items, list) or not items:
        raise Invalid("the package has no resources", errors=[FieldError("resources", "at least one")])
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise Invalid("a resource is not an object", errors=[FieldError(f"resources[{i}]", "an object")])
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise Invalid("a resource has no name", errors=[FieldError(f"resources[{i}].name", "required")])
        if "data" in item and "path" not in item:
            raise Invalid(
                "inline data is not supported: give each resource a CSV file",
                errors=[FieldError(f"resources[{i}].data", "use path")],
            )
        out.append((name, item))
    return out


def _inner_path(item: dict[str, Any], *, where: str) -> str:
    raw = item.get("path")
    if isinstance(raw, list):
        raise Invalid(
            "a resource split over several files is not supported", errors=[FieldError(where, "one path")]
        )
    if not isinstance(raw, str) or not raw:
        raise Invalid("a resource has no path", errors=[FieldError(where, "one path (a string)")])
    pure = PurePosixPath(raw)
    if pure.is_absolute() or ".." in pure.parts or "\\" in raw or urlsplit(raw).scheme:
        raise Invalid("a resource's path must stay inside the package", errors=[FieldError(where, raw)])
    return str(pure)


def _copy_limited(src: Any, target: Path, budget: list[int]) -> None:
    with target.open("wb") as out:
        while chunk := src.read(_CHUNK):
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise TooLarge(
                    "the package expands to more than allowed", errors=[FieldError("file", "too large")]
                )
            out.write(chunk)
