"""Helpers every catalogue service uses: validation errors, merge patches, cursors and the activity log."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Connection

from obert.auth import Actor
from obert.errors import FieldError, Invalid, msg
from obert.i18n.validation import validation_message
from obert.storage.tables.catalog import activity

M = TypeVar("M", bound=BaseModel)
MAX_PAGE = 1000


def validated(model: type[M], data: Any) -> M:
    """Validate `data` as `model`, turning pydantic's errors into one `Invalid` with a FieldError each."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(msg("the data is not valid"), errors=field_errors(exc)) from exc


def field_errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "body"
        out.append(FieldError(path, validation_message(err)))
    return out


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, null removes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid(
            msg("bad cursor"), errors=[FieldError("cursor", msg("use the `next` value of a previous page"))]
        ) from None


def offset_from_cursor(cursor: str | None) -> int:
    """Where a list that pages by position starts: 0, or the offset a previous page's `next` encodes."""
    if cursor is None:
        return 0
    text = decode_cursor(cursor)
    if not text.isdigit():
        raise Invalid(
            msg("bad cursor"), errors=[FieldError("cursor", msg("use the `next` value of a previous page"))]
        )
    return int(text)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(
            msg("bad page size"),
            errors=[FieldError("limit", msg("must be between 1 and {max}", max=MAX_PAGE))],
        )
    return limit


def now() -> datetime:
    return datetime.now(UTC)


def record_many(
    conn: Connection, *, actor: Actor, action: str, object_type: str, objects: Sequence[BaseModel]
) -> None:
    """Append one activity row per created object with a single statement."""
    stamp = now()
    conn.execute(
        sa.insert(activity),
        [
            {
                "at": stamp,
                "actor_id": actor.user_id,
                "action": action,
                "object_type": object_type,
                "object_id": str(getattr(obj, "id")),  # noqa: B009
                "before": None,
                "after": obj.model_dump(mode="json"),
            }
            for obj in objects
        ],
    )


def record(
    conn: Connection,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    before: BaseModel | None,
    after: BaseModel | None,
) -> None:
    """Append one row to the activity log, in the same transaction as the change it describes."""
    conn.execute(
        sa.insert(activity).values(
            at=now(),
            actor_id=actor.user_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before.model_dump(mode="json") if before else None,
            after=after.model_dump(mode="json") if after else None,
        )
    )
