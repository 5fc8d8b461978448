"""The native API's face and DCAT's: JSON errors in the native shape, readable from any site."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from obert.api.errors import api_lang, obert_error_response
from obert.errors import ObertError
from obert.faces import Face


def _render(request: Request, exc: ObertError) -> Response:
    return obert_error_response(exc, api_lang(request.headers.get("accept-language")))


NATIVE = Face("native", render=_render, cors=True, namespace=("/api/",))
# /dataset/<name>.ttl shares its prefix with the pages; its routes say that it is DCAT's, not the paths.
DCAT = Face("dcat", render=_render, cors=True, vary=("Authorization", "Accept", "Accept-Profile"))
