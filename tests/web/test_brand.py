from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from obert.app import create_app
from obert.settings import Settings, contrast_ratio


def test_brand_colours_and_logo_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(
        mode="test",
        data_dir=tmp_path,
        site_name="Dades BCN",
        logo_url="/static/favicon.svg",
        brand_color="#005a8c",
        link_color="#1a1a80",
    )
    client = TestClient(create_app(settings))
    css = client.get("/brand.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "--brand: #005a8c;" in css.text and "--link: #1a1a80;" in css.text
    assert client.get("/brand.css", headers={"If-None-Match": css.headers["etag"]}).status_code == 304
    html = client.get("/en/about").text
    assert '<link rel="stylesheet" href="/brand.css">' in html
    assert '<img src="/static/favicon.svg" alt="" class="logo"><span>Dades BCN</span>' in html


def test_unreadable_brand_colours_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"BRAND_INK on OBERT_BRAND_COLOR has a contrast of 1\.51:1"):
        Settings(mode="test", data_dir=tmp_path, brand_color="#ffcc00", brand_ink="#ffffff")
    with pytest.raises(ValidationError, match="brand_color"):
        Settings(mode="test", data_dir=tmp_path, brand_color="red; } body { display: none")


def test_contrast_ratio_matches_wcag() -> None:
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54
