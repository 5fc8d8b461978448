"""The places of the city a publisher picks as the area a dataset covers: the city, its districts and its
neighbourhoods, each with its bounding box (built from the city's boundary files by
scripts/build_places.py). Names are proper names, in Catalan in every language."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: dict[str, str]
    level: str  # "city", "district" or "neighbourhood"
    bbox: tuple[float, float, float, float]  # west, south, east, north in WGS84

    def name_in(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("ca") or self.code


@cache
def places() -> tuple[Place, ...]:
    data = json.loads(resources.files("obert.catalog").joinpath("places.json").read_text(encoding="utf-8"))
    return tuple(
        Place(
            c["code"], dict(c["label"]), c["level"], (c["bbox"][0], c["bbox"][1], c["bbox"][2], c["bbox"][3])
        )
        for c in data["concepts"]
    )


def place(code: str) -> Place | None:
    return next((p for p in places() if p.code == code), None)


def place_of(label: dict[str, str] | None, bbox: tuple[float, ...] | None) -> Place | None:
    """The place a stored spatial coverage was picked as (matched by its bounding box, else its name)."""
    for candidate in places():
        if bbox is not None and tuple(bbox) == candidate.bbox:
            return candidate
    names = set((label or {}).values())
    return next((p for p in places() if names & set(p.name.values())), None)
