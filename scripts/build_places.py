"""Build obert/catalog/places.json, the places a publisher picks as a dataset's area: the city,
its districts and its neighbourhoods, each with its bounding box. Run once, by hand, from the city's
boundary files (for Barcelona, the demo's districtes.geojson and barris.geojson from Open Data BCN,
CC BY 4.0):

    .venv/bin/python scripts/build_places.py obert/demo/files/districtes.geojson \
        obert/demo/files/barris.geojson
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "obert" / "catalog" / "places.json"
CITY = {
    "ca": "Barcelona (tota la ciutat)",
    "es": "Barcelona (toda la ciudad)",
    "en": "Barcelona (whole city)",
}


def _points(geometry: dict[str, Any]) -> Iterable[tuple[float, float]]:
    def walk(value: Any) -> Iterable[tuple[float, float]]:
        if isinstance(value[0], int | float):
            yield float(value[0]), float(value[1])
        else:
            for item in value:
                yield from walk(item)

    return walk(geometry["coordinates"])


def _bbox(features: list[dict[str, Any]]) -> list[float]:
    xs, ys = zip(*(p for f in features for p in _points(f["geometry"])), strict=True)
    return [round(min(xs), 5), round(min(ys), 5), round(max(xs), 5), round(max(ys), 5)]


def main(districts_file: str, neighbourhoods_file: str) -> None:
    districts = json.loads(Path(districts_file).read_text(encoding="utf-8"))["features"]
    barris = json.loads(Path(neighbourhoods_file).read_text(encoding="utf-8"))["features"]
    concepts = [{"code": "city", "uri": "", "label": CITY, "level": "city", "bbox": _bbox(districts)}]
    for feature in sorted(districts, key=lambda f: f["properties"]["DISTRICTE"]):
        name = feature["properties"]["NOM"]
        concepts.append(
            {
                "code": f"district-{feature['properties']['DISTRICTE']}",
                "uri": "",
                "label": {"ca": name},  # proper names, in Catalan in every language
                "level": "district",
                "bbox": _bbox([feature]),
            }
        )
    for feature in sorted(barris, key=lambda f: f["properties"]["BARRI"]):
        name = feature["properties"]["NOM"]
        concepts.append(
            {
                "code": f"neighbourhood-{feature['properties']['BARRI']}",
                "uri": "",
                "label": {"ca": name},  # proper names, in Catalan in every language
                "level": "neighbourhood",
                "district": f"district-{feature['properties']['DISTRICTE']}",
                "bbox": _bbox([feature]),
            }
        )
    title = {"ca": "Llocs de la ciutat", "es": "Lugares de la ciudad", "en": "Places of the city"}
    lines = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in concepts]
    head = json.dumps({"scheme": "", "title": title}, ensure_ascii=False)[:-1]
    OUT.write_text(head + ', "concepts":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")
    print(f"{OUT}: {len(concepts)} places")


if __name__ == "__main__":
    main(*sys.argv[1:3])
