"""Maps that orient, in a real browser: the city's districts and neighbourhoods beneath the data with no
third party contacted, the markets placed by their geo_epgs_* columns, points inside Barcelona, popups with
column titles and a title line, a keyboard path to every listed place, and a page that says why a table
has no map. In full in Catalan, lighter in Spanish and English; axe-core finds nothing at either width."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from obert.app import create_app
from tests.web.demo_site import DemoSite
from tests.web.test_browser import ARTIFACTS, _axe

pytestmark = pytest.mark.browser

# Barcelona's municipal term, with the port: every point of its demo tables lies inside.
LON = (2.05, 2.23)
LAT = (41.31, 41.47)


def _drawn(page: Page) -> tuple[int, int]:
    page.wait_for_selector("#map[data-features-drawn]", timeout=20_000)
    assert page.get_attribute("#map", "data-error") is None
    return (
        int(page.get_attribute("#map", "data-features-drawn") or 0),
        int(page.get_attribute("#map", "data-boundaries-drawn") or 0),
    )


def _points(page: Page, base: str) -> list[tuple[float, float]]:
    source = page.get_attribute("#map", "data-src") or ""
    data: dict[str, Any] = page.request.get(base + source).json()
    return [tuple(f["geometry"]["coordinates"][:2]) for f in data["features"]]  # type: ignore[misc]


def _outside_requests(page: Page, base: str) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if not r.url.startswith(base) else None)
    return seen


def test_the_markets_map_in_catalan_orients_and_is_reachable_by_keyboard(
    served: tuple[str, DemoSite], browser: Browser
) -> None:
    base, site = served
    for width in (390, 1366):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        outside = _outside_requests(page, base)
        page.goto(f"{base}/ca{site.markets}")
        features, boundaries = _drawn(page)
        assert features == 2  # both markets, placed by geo_epgs_4326 (.x is the latitude)
        assert boundaries == 10 + 73  # the city's districts and neighbourhoods beneath them
        for lon, lat in _points(page, base):
            assert LON[0] < lon < LON[1] and LAT[0] < lat < LAT[1]
        assert page.locator("#map canvas").count() == 1
        assert outside == []  # no tile server, no third party
        section = page.locator("section[aria-labelledby=map-title]")
        # The keyboard path: open the list, reach the first place, open its details.
        page.locator("#map-list summary").focus()
        page.keyboard.press("Enter")
        button = page.locator("#map-list button").first
        assert button.inner_text() == "Mercat de La Barceloneta"
        button.focus()
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup .map-popup")
        popup.wait_for(timeout=5_000)
        assert popup.locator(".map-popup-title").inner_text() == "Mercat de La Barceloneta"
        # Where it is, as hovering the boundaries tells a mouse user: its district, then its neighbourhood.
        assert popup.locator(".map-popup-where").inner_text() == "Ciutat Vella · la Barceloneta"
        assert page.evaluate("() => document.activeElement.classList.contains('map-popup')")
        titles = popup.locator("dt").all_inner_texts()
        assert titles and not any("_" in t for t in titles)  # column titles, not raw names
        assert "Random property" in titles and "Status name" in titles
        page.wait_for_timeout(400)  # the view settles on the place
        section.screenshot(path=str(ARTIFACTS / f"markets-map-ca-{width}.png"))
        context.close()


def test_the_bicing_map_draws_its_stations_over_the_boundaries_and_passes_axe(
    served: tuple[str, DemoSite], axe_page: Page
) -> None:
    base, site = served
    for width in (390, 1366):
        axe_page.set_viewport_size({"width": width, "height": 900})
        axe_page.goto(f"{base}/ca{site.bicing}")
        features, boundaries = _drawn(axe_page)
        assert (features, boundaries) == (465, 83)
        data: dict[str, Any] = axe_page.request.get(
            base + (axe_page.get_attribute("#map", "data-src") or "")
        ).json()
        for feature in data["features"]:
            lon, lat = feature["geometry"]["coordinates"][:2]
            assert LON[0] < lon < LON[1] and LAT[0] < lat < LAT[1]
        axe_page.locator("#map-list summary").click()
        axe_page.locator("section[aria-labelledby=map-title]").screenshot(
            path=str(ARTIFACTS / f"bicing-map-ca-{width}.png")
        )
        problems = [
            f"{v['id']} — {v['help']} — {[n['target'] for n in v['nodes'][:3]]}" for v in _axe(axe_page)
        ]
        assert problems == [], f"{width}px: {problems}"


def test_the_markets_map_passes_axe_and_a_table_without_positions_says_why(
    served: tuple[str, DemoSite], axe_page: Page
) -> None:
    base, site = served
    axe_page.goto(f"{base}/ca{site.markets}")
    _drawn(axe_page)
    axe_page.locator("#map-list summary").click()
    axe_page.locator("#map-list button").first.click()
    axe_page.locator(".leaflet-popup .map-popup").wait_for()
    # Leaflet fades a popup in: its colours are only its own once the fade is over.
    axe_page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    problems = [f"{v['id']} — {v['help']}" for v in _axe(axe_page)]
    assert problems == []
    axe_page.goto(f"{base}/ca{site.plain}")
    why = axe_page.locator("section[aria-labelledby=map-title]").inner_text()
    assert "Aquesta taula no té mapa" in why and "pàgina de publicació" in why
    assert axe_page.locator("#map").count() == 0
    assert [v["id"] for v in _axe(axe_page)] == []


@pytest.mark.parametrize(
    ("lang", "list_title", "no_map"),
    [
        ("es", "Lugares del mapa", "Esta tabla no tiene mapa"),
        ("en", "Places on the map", "This table has no map"),
    ],
)
def test_maps_speak_the_readers_language(
    served: tuple[str, DemoSite], page: Page, lang: str, list_title: str, no_map: str
) -> None:
    base, site = served
    page.goto(f"{base}/{lang}{site.markets}")
    assert _drawn(page) == (2, 83)
    assert page.locator("#map-list summary").inner_text().startswith(list_title)
    page.goto(f"{base}/{lang}{site.bicing}")
    assert _drawn(page) == (465, 83)
    page.goto(f"{base}/{lang}{site.plain}")
    assert no_map in page.locator("section[aria-labelledby=map-title]").inner_text()


def test_the_boundaries_are_served_simplified_from_the_catalogue(
    served: tuple[str, DemoSite], page: Page
) -> None:
    base, _ = served
    answer = page.request.get(f"{base}/api/v1/map/boundaries")
    assert answer.ok and answer.headers["content-type"] == "application/geo+json"
    data = json.loads(answer.body())
    names = {f["properties"]["name"] for f in data["features"] if f["properties"]["layer"] == 0}
    assert {"Gràcia", "Ciutat Vella", "Sant Martí"} <= names and len(names) == 10
    assert len(answer.body()) < 300_000  # the two files hold 2 MB
    barris = [f for f in data["features"] if f["properties"]["layer"] == 1]
    assert len(barris) == 73 and barris[0]["properties"]["title"]["ca"]


def test_crowded_points_are_counted_in_grid_cells_until_zoomed_in(
    served: tuple[str, DemoSite], page: Page
) -> None:
    """Past the threshold (10,000 points; lowered here to 100 so that Bicing's 465 stations cross it) nearby
    points are drawn as one counted circle per cell, still on the canvas, and the keyboard list stays."""
    base, site = served
    page.add_init_script(
        """new MutationObserver((_, observer) => {
             const box = document.getElementById('map');
             if (box) { box.dataset.clusterMin = '100'; observer.disconnect(); }
           }).observe(document, {childList: true, subtree: true});"""
    )
    page.goto(f"{base}/ca{site.bicing}")
    assert _drawn(page) == (465, 83)
    assert page.get_attribute("#map", "data-clustered") == "true"
    assert 5 < int(page.get_attribute("#map", "data-cluster-cells") or 0) < 465 / 2  # counted, not each
    assert "un cercle amb un número els representa" in page.locator("#map-help").inner_text()
    # No DOM marker: every counted circle is painted on the one canvas.
    assert page.locator("#map canvas").count() == 1 and page.locator(".leaflet-marker-icon").count() == 0
    page.locator("#map-list summary").click()
    assert page.locator("#map-list button").count() == 50
    page.locator("#map-list button").nth(2).click()
    page.locator(".leaflet-popup .map-popup-title").wait_for()
    assert (
        page.locator(".leaflet-popup .map-popup-title").inner_text()
        == page.locator("#map-list button").nth(2).inner_text()
    )


def test_tiles_only_when_the_city_opts_in_and_the_csp_widens_only_then(served: tuple[str, DemoSite]) -> None:
    _, site = served
    plain = TestClient(site.app).get(f"/ca{site.bicing}")
    assert "img-src 'self' data:;" in plain.headers["content-security-policy"]
    assert 'data-tiles=""' in plain.text and 'data-boundaries="/api/v1/map/boundaries"' in plain.text
    icgc = site.portal.settings.model_copy(
        update={
            "map_tile_url": "https://geoserveis.icgc.cat/styles/icgc_mapa_estandard/{z}/{x}/{y}.png",
            "map_tile_attribution": "© ICGC, CC BY 4.0",
            "map_tile_max_zoom": 18,
        }
    )
    tiled = TestClient(create_app(icgc, portal=replace(site.portal, settings=icgc))).get(f"/ca{site.bicing}")
    assert "img-src 'self' data: https://geoserveis.icgc.cat;" in tiled.headers["content-security-policy"]
    assert 'data-max-zoom="18"' in tiled.text and "© ICGC, CC BY 4.0" in tiled.text
