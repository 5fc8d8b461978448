"""Small shared types and the Protocols through which low layers call up into higher ones."""

from __future__ import annotations

from typing import Literal, TypeAlias

Lang: TypeAlias = Literal["ca", "es", "en"]
LANGS: tuple[Lang, ...] = ("ca", "es", "en")

# Multilingual human-readable text: language code -> text. Languages beyond ca/es/en are kept as they
# come (harvested metadata may carry eu, gl, de...).
LocalizedText: TypeAlias = dict[str, str]
LocalizedList: TypeAlias = dict[str, list[str]]

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
JSONDict: TypeAlias = dict[str, JSONValue]
