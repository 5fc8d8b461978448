"""Which media types an uploaded file may be served with: the portal serves uploads as data only.

An upload lives on the portal's origin. Served as `text/javascript` it is a script that `<script src>`
loads under the portal's `script-src 'self'`; served as HTML or SVG it is a page of the portal. So only
inert data types (an allowlist) are served as declared, everything else as `application/octet-stream`,
and declaring an active type for an uploaded file is refused when it is written.
"""

from __future__ import annotations

from obert.errors import FieldError, Invalid

OCTET_STREAM = "application/octet-stream"

# Data a browser neither runs nor renders as a document of the origin that serves it.
INERT = frozenset(
    {
        # tables and text
        "text/csv",
        "text/tab-separated-values",
        "text/plain",
        "application/json",
        "application/x-ndjson",
        "application/ld+json",
        "application/vnd.apache.parquet",
        "application/x-parquet",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
        # XML, RDF and maps: never rendered as a page, since downloads are attachments in a sandbox
        "application/xml",
        "text/xml",
        "application/rdf+xml",
        "text/turtle",
        "application/n-triples",
        "application/geo+json",
        "application/vnd.geo+json",
        "application/vnd.google-earth.kml+xml",
        "application/vnd.google-earth.kmz",
        "application/gpx+xml",
        "application/geopackage+sqlite3",
        # documents and images (SVG is not: it runs scripts)
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/tiff",
        "image/avif",
        # archives
        "application/zip",
        "application/gzip",
        "application/x-7z-compressed",
        "application/x-tar",
    }
)

# Types a browser runs or renders as a document of the serving origin (or that style its pages).
_ACTIVE_MARKS = ("javascript", "ecmascript", "jscript", "html", "svg", "xsl", "css", "wasm", "x-shockwave")


def essence(media_type: str | None) -> str:
    """`type/subtype` in lower case, without parameters (' Text/CSV; charset=utf-8' -> 'text/csv')."""
    return (media_type or "").split(";", 1)[0].strip().lower()


def served_media_type(declared: str | None) -> str:
    """The media type an uploaded file is served with: the declared one's essence when it is inert data,
    else application/octet-stream."""
    kind = essence(declared)
    return kind if kind in INERT else OCTET_STREAM


def is_active(media_type: str | None) -> bool:
    """Whether a browser would run or render content of this type (scripts, HTML, SVG, CSS…)."""
    kind = essence(media_type)
    return any(mark in kind for mark in _ACTIVE_MARKS)


def check_upload_media_type(media_type: str | None) -> None:
    """Invalid (naming `media_type`) when an uploaded file is declared as script, HTML, SVG or CSS."""
    if is_active(media_type):
        raise Invalid(
            "the media type cannot describe an uploaded file",
            errors=[
                FieldError(
                    "media_type",
                    f"{essence(media_type)} is run or shown as a page by browsers; an uploaded file is "
                    "served as data only: declare a data type (e.g. text/plain, text/csv) or none",
                )
            ],
        )
