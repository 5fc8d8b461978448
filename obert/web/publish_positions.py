"""Which columns place a table's rows on its map, chosen by its publisher beside the file.

The choice is kept per resource (it names columns, so later versions that keep them keep it) and used by
the resource page's map, the features API and the OGC API alike (tableservice.map_positions.locate).
"""

from __future__ import annotations

from dataclasses import dataclass

from obert.auth import Actor
from obert.errors import NotFound
from obert.portal import Portal
from obert.tableservice import published
from obert.tableservice.map_positions import (
    CHOSEN_SYSTEMS,
    MapSetup,
    PositionChoice,
    locate,
    position_choice,
)
from obert.tableservice.published import TableStatus

_SYSTEMS = {
    25831: "ETRS89 / UTM 31N (EPSG:25831)",
    23031: "ED50 / UTM 31N (EPSG:23031)",
    32631: "WGS 84 / UTM 31N (EPSG:32631)",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PositionForm:
    columns: list[tuple[str, str]]  # (name, name) options of the table's columns
    systems: list[tuple[str, str]]
    values: dict[str, str]
    found: list[tuple[str, str]]  # what the map uses now: (what, column)
    chosen: bool


def position_form(
    *,
    portal: Portal,
    actor: Actor,
    resource_id: str,
    table: TableStatus | None,
    values: dict[str, str] | None = None,
) -> PositionForm | None:
    """The form's columns and current state, for a resource whose table has a current version."""
    if table is None or table.state.current is None:
        return None
    try:
        ref = published.open_version(store=portal.store, actor=actor, tables=portal.tables, ref=resource_id)
    except NotFound:
        return None
    setup = MapSetup.of(portal.settings)
    geo = locate(ref, store=portal.store, tables=portal.tables, setup=setup).geo
    choice = position_choice(store=portal.store, resource_id=resource_id)
    found = [
        (what, column)
        for what, column in (
            ("wkt", geo.geometry if geo else None),
            ("lon", geo.lon if geo else None),
            ("lat", geo.lat if geo else None),
            ("x", geo.utm_x if geo else None),
            ("y", geo.utm_y if geo else None),
        )
        if column
    ]
    current = {
        "position_kind": choice.kind if choice else "auto",
        "position_first": choice.first if choice else "",
        "position_second": (choice.second or "") if choice else "",
        "position_epsg": str(choice.epsg or 25831) if choice else "25831",
    }
    columns = [(str(c["name"]), str(c["name"])) for c in table.state.current.report.get("columns", [])]
    return PositionForm(
        columns=columns,
        systems=[(str(code), _SYSTEMS[code]) for code in CHOSEN_SYSTEMS],
        values=values or current,
        found=found,
        chosen=choice is not None,
    )


def read_choice(form: dict[str, str]) -> PositionChoice | None:
    """The choice a submitted form makes; None for "found by names and values"."""
    kind = form.get("position_kind") or "auto"
    if kind == "auto":
        return None
    epsg = form.get("position_epsg", "")
    return PositionChoice(
        kind,  # type: ignore[arg-type]  # set_position_choice refuses a kind it does not know
        form.get("position_first", ""),
        form.get("position_second") or None,
        int(epsg) if epsg.isdigit() else None,
    )


__all__ = ["PositionForm", "position_form", "read_choice"]
