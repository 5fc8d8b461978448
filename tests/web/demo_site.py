"""The demo catalogue served by one app, shared by the page tests of a module (building it takes seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from obert.app import create_app
from obert.auth import SYSTEM
from obert.catalog import datasets
from obert.demo import load_demo
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.demo_copy import DemoTemplates


@dataclass(frozen=True)
class DemoSite:
    app: FastAPI
    portal: Portal
    bicing: str  # resource page path of the 465 Bicing stations
    barris: str  # resource page path of the 73 neighbourhoods
    csv: str  # resource page path of a CSV file (with longitude/latitude columns: it has a map)
    plain: str  # resource page path of a CSV table without positions
    accidents: str  # resource page path of the 2014 accidents, positioned by UTM x/y only
    accidents2018: str  # resource page path of the 2018 accidents (9,936 rows, 464 in Gràcia)
    markets: str  # resource page path of two municipal markets (JSON, positions in geo_epgs_* columns)

    def pages(self) -> dict[str, str]:
        """One page of each kind, by name."""
        return {
            "home": "/",
            "dataset": "/dataset/bicing-estacions",
            "map": self.bicing,
            "table": self.csv,  # a datastore table: rows, profile, downloads, and a map of its points
            "plain": self.plain,  # a table with nothing to map
            "publisher": "/organization/bsm",
            "publishers": "/organizations",
            "theme": "/theme/TRAN",
            "about": "/about",
            "features": "/api/ogc/collections/qualitat-aire-estacions/items?f=html&limit=20",  # OGC API page
            "queryables": "/api/ogc/collections/qualitat-aire-estacions/queryables?f=html",  # OGC API too
            "error": "/dataset/no-such-dataset",
        }


def build_demo_site(
    data_dir: Path, *, base_url: str = "http://testserver", templates: DemoTemplates | None = None
) -> DemoSite:
    """The demo served by one app; copied from `templates` when given (a second site costs no new load)."""
    settings = Settings(
        mode="test", data_dir=data_dir, base_url=base_url, map_boundaries="districtes-geojson,barris-geojson"
    )
    if templates is not None:
        templates.install(settings)
    portal = build_portal(settings)
    if templates is None:
        load_demo(portal)

    def resource_path(dataset: str, name: str) -> str:
        found = datasets.get_dataset(store=portal.store, actor=SYSTEM, ref=dataset)
        resource = next(r for r in found.resources if r.name == name)
        return f"/dataset/{dataset}/resource/{resource.id}"

    return DemoSite(
        app=create_app(settings, portal=portal),
        portal=portal,
        bicing=resource_path("bicing-estacions", "bicing-estacions-geojson"),
        barris=resource_path("20170706-districtes-barris", "barris-geojson"),
        csv=resource_path("qualitat-aire-estacions-bcn", "qualitat-aire-estacions"),
        plain=resource_path("qualitat-aire-detall-bcn", "qualitat-aire-contaminants"),
        accidents=resource_path("accidents-gu-bcn", "accidents-gu-bcn-2014"),
        accidents2018=resource_path("accidents-gu-bcn", "accidents-gu-bcn-2018"),
        markets=resource_path("mercats-municipals", "mercats-municipals-json"),
    )
