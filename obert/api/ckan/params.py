"""Reading an action's parameters the ways CKAN accepts them: a query string, a JSON body, a form, or a
multipart form carrying a file upload."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, BinaryIO

from fastapi import Depends, Request
from starlette.datastructures import UploadFile

from obert.api.ckan.envelope import missing
from obert.errors import BadRequest, FieldError, Invalid, msg

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass
class Upload:
    filename: str
    stream: BinaryIO


@dataclass
class Params:
    data: dict[str, Any]
    upload: Upload | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def required(self, key: str) -> Any:
        value = self.data.get(key)
        if value is None or value == "":
            raise missing(key)
        return value

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        return None if value is None else str(value)

    def integer(self, key: str, default: int, *, minimum: int | None = None) -> int:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Invalid(
                f"{key} must be a whole number", errors=[FieldError(key, "Invalid integer")]
            ) from None
        if minimum is not None and number < minimum:
            raise Invalid(
                msg("{key} is too small", key=key), errors=[FieldError(key, f"Must be at least {minimum}")]
            )
        return number

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise Invalid(
            msg("{key} must be true or false", key=key), errors=[FieldError(key, "Invalid boolean")]
        )

    def string_list(self, key: str) -> list[str]:
        """A list sent as a JSON list, a JSON-encoded list in a string (CKAN's facet.field), or one value."""
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str) and value.strip().startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                raise Invalid(
                    f"{key} is not a JSON list", errors=[FieldError(key, "Invalid JSON list")]
                ) from None
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise Invalid(
            msg("{key} must be a list of strings", key=key), errors=[FieldError(key, "Not a list of strings")]
        )


async def read_params(request: Request) -> Params:
    data: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return Params(data)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        upload = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                upload = Upload(filename=value.filename or key, stream=value.file)
            else:
                data[key] = value
        return Params(data, upload)
    body = await request.body()
    if not body.strip():
        return Params(data)
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"JSON Error: {exc}") from None
    if not isinstance(parsed, dict):
        raise BadRequest("JSON Error: the body must be a JSON object")
    data.update(parsed)
    return Params(data)


ParamsDep = Annotated[Params, Depends(read_params)]
