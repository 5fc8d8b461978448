"""How an uploaded file goes out: as data to save, never as a script or a page of the portal's origin."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse

from obert.storage.media import served_media_type

# Even if a browser were to render the file, it would run nothing and reach nothing, in an origin of its
# own. Replaces the portal's page policy (the security-headers middleware keeps a route's own).
UPLOAD_CSP = "default-src 'none'; sandbox"


def upload_response(path: Path, *, filename: str, media_type: str | None) -> FileResponse:
    """The response for an uploaded file: its declared media type only when it is inert data
    (obert.storage.media), an attachment, no sniffing, and a sandboxing Content-Security-Policy."""
    return FileResponse(
        path,
        media_type=served_media_type(media_type),
        filename=filename,  # Content-Disposition: attachment
        headers={"Content-Security-Policy": UPLOAD_CSP, "X-Content-Type-Options": "nosniff"},
    )
