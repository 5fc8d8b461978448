"""A Catalan or Spanish reader never meets English interface text, on error and validation paths too.

Each journey is walked as a reader would (wrong password, a too-short title, an unknown page, a page past
the end, a wrong current password, a token without a name, an unknown member); the visible text of every
answer, less what is marked as being in another language (metadata in its own language), must hold none
of the English words that only interface text would bring."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.security.world import World, csrf_of, login

ENGLISH = re.compile(
    r"\b(the|should|must|wrong|nothing|least|unknown|please|cannot|your|already|field|required|"
    r"characters|valid|string|password|allowed|give|send)\b",
    re.IGNORECASE,
)


def english_in(html: str, lang: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "template", "code", "pre"]):
        tag.decompose()
    other = [t for t in soup.select("[lang]") if t.name != "html" and t.get("lang") != lang]
    for tag in other:
        if not tag.decomposed:
            tag.decompose()
    main = soup.find("main") or soup
    found = []
    for text in main.stripped_strings:
        if ENGLISH.search(text):
            found.append(text)
    return found


def _post(client: TestClient, path: str, data: dict[str, str]) -> str:
    form = client.get(path)
    response = client.post(path, data={**data, "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert response.status_code < 500, response.text
    return response.text


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_no_english_on_error_and_validation_paths(world: World, lang: str) -> None:
    anonymous = TestClient(world.client.app)
    pages: dict[str, str] = {}
    pages["wrong password"] = _post(anonymous, f"/{lang}/login", {"name": "editor", "password": "nope-nope"})
    for path in ("/dataset/no-such-dataset", "/nopage", "/organization/nobody", "/theme/NOPE"):
        response = anonymous.get(f"/{lang}{path}")
        assert response.status_code == 404
        pages[path] = response.text
    past_the_end = anonymous.get(f"/{lang}/datasets?page=999")
    assert past_the_end.status_code == 200, "a page past the end is an empty page, not an error"
    pages["page 999"] = past_the_end.text
    pages["bad parameter"] = anonymous.get(f"/{lang}/datasets?page=abc").text

    editor = login(TestClient(world.client.app), "editor")
    pages["short title"] = _post(
        editor, f"/{lang}/publish/new", {"name": "x", "title_ca": "a", "organization": "guardia-urbana"}
    )
    pages["wrong current password"] = _post(
        editor, f"/{lang}/account/password", {"current_password": "wrong-one", "new_password": "short"}
    )
    pages["token without a name"] = _post(
        editor, f"/{lang}/account/tokens", {"name": "", "scope": "read", "expires_in_days": "abc"}
    )
    admin = login(TestClient(world.client.app), "org-admin")
    members = "/publish/organization/guardia-urbana/members"
    pages["unknown member"] = _post(admin, f"/{lang}{members}", {"user": "nobody-here", "role": "editor"})

    said = {"ca": "el nom d'usuari o la contrasenya no són correctes", "es": "no son correctos"}[lang]
    assert said in pages["wrong password"].replace("&#39;", "'")
    minimum = {"ca": "escriviu almenys 2 caràcters", "es": "escriba al menos 2 caracteres"}[lang]
    assert minimum in pages["short title"], "pydantic's own messages are translated too"
    english = {name: found for name, html in pages.items() if (found := english_in(html, lang))}
    assert not english, f"English interface text on {lang} pages: {english}"
