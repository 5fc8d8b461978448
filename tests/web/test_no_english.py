"""No English on Catalan and Spanish pages: every text of the interface a reader sees on a ca or es page
(navigation, headings, errors, validation messages) is in that page's language. The data itself (titles,
cells, keywords) may be in any language; it is left out by comparing against the English catalogue's
messages, and a message marked as English where the site shows its errors fails too."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from functools import cache

import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from obert.auth.users import create_user
from obert.i18n import LOCALE_DIR
from tests.security.world import csrf_of, login
from tests.web.demo_site import DemoSite

PASSWORD = "correct horse battery"
# English that comes from outside the catalogue (pydantic, libraries) or that the issue saw on ca/es pages.
STRAY = re.compile(
    r"wrong user name or password|should have at least|Field required|Input should|Value error|"
    r"give the text in at least one language|no dataset '|nothing at /|unknown column|is not a valid",
    re.I,
)


@cache
def _english_patterns(lang: str) -> list[tuple[str, re.Pattern[str]]]:
    """The English messages whose translation differs, as patterns of a whole text (parameters: anything)."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    patterns = []
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            words = re.findall(r"[A-Za-z]{3,}", re.sub(r"%\(\w+\)[sd]|\{\w+\}", "", english))
            if len(words) < 2 or english in strings or not english.strip():
                continue  # "API", "CSV": the same in every language
            parts = re.split(r"%\(\w+\)[sd]|\{\w+\}", english.strip())
            pattern = r"\s*".join(r"\s+".join(map(re.escape, p.split())) for p in parts[:1])
            pattern += "".join(".+?" + r"\s+".join(map(re.escape, p.split())) for p in parts[1:])
            patterns.append((english, re.compile(rf"(?:^|[\s(:·—]){pattern}(?:$|[\s.,;:)])", re.S)))
    return patterns


def _english_on(html: str, lang: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html is not None and soup.html["lang"] == lang
    for gone in soup(["script", "style", "template"]):
        gone.decompose()
    found = []
    # A message the site could not translate is marked lang="en" where it is shown (the error page's
    # details, a form's errors); vocabulary names (licences) marked so are data, not interface.
    marked = "main p > span[lang=en], [role=alert] [lang=en], [role=alert][lang=en], .field-error[lang=en]"
    for element in soup.select(marked):
        found.append(f"lang=en: {element.get_text(' ', strip=True)[:120]}")
    texts = [t.strip() for t in soup.find_all(string=True) if t.strip()]
    texts += [str(v) for tag in soup.find_all(True) for a in ("placeholder", "aria-label", "title", "alt")
              if (v := tag.get(a))]  # fmt: skip
    found += [f"stray English in {t[:120]!r}" for t in texts if STRAY.search(t)]
    for text in texts:
        for english, pattern in _english_patterns(lang):
            if pattern.search(f" {text} "):
                found.append(f"{english!r} in {text[:120]!r}")
                break
    return found


@pytest.fixture(scope="module")
def site(served: tuple[str, DemoSite]) -> DemoSite:
    return served[1]


@pytest.fixture(scope="module")
def visitor(site: DemoSite) -> TestClient:
    return TestClient(site.app, raise_server_exceptions=False)


@pytest.fixture
def staff(site: DemoSite, fast_password_hashing: None) -> Iterator[TestClient]:
    name = f"linguist-{uuid.uuid4().hex[:8]}"  # one account a test: the demo site is shared by the session
    create_user(store=site.portal.store, name=name, password=PASSWORD, sysadmin=True)
    yield login(TestClient(site.app, raise_server_exceptions=False), name, PASSWORD)


PUBLIC = [
    "/",
    "/datasets",
    "/datasets?q=bicing",
    "/datasets?q=zzzzqqq",
    "/datasets?page=999",
    "/datasets?page=abc",
    "/dataset/bicing-estacions",
    "/dataset/qualitat-aire-estacions-bcn?tab=chart",
    "/dataset/no-such-dataset",
    "/nopage",
    "/organizations",
    "/about",
    "/api/docs",
    "/login",
]


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_public_pages_have_no_english(site: DemoSite, visitor: TestClient, lang: str) -> None:
    paths = [
        *PUBLIC,
        site.csv,
        site.bicing,
        f"{site.csv}?sort=nope",
        f"{site.csv}?column=Longitud&op=gte&value=x",
    ]
    problems = []
    for path in paths:
        response = visitor.get(f"/{lang}{path}", headers={"Accept-Language": lang})
        assert response.status_code < 500, path
        problems += [f"{path}: {p}" for p in _english_on(response.text, lang)]
    page = visitor.get(f"/{lang}/login")
    wrong = visitor.post(
        f"/{lang}/login",
        data={"name": "nobody", "password": "wrong", "csrf_token": csrf_of(page.text), "next": "/publish"},
    )
    assert wrong.status_code in (400, 401, 422)
    problems += [f"bad login: {p}" for p in _english_on(wrong.text, lang)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_publisher_pages_and_their_refusals_have_no_english(staff: TestClient, lang: str) -> None:
    problems = []
    for path in (
        "/publish",
        "/publish/new",
        "/account/password",
        "/account/tokens",
        "/publish/organization/bsm/members",
    ):
        response = staff.get(f"/{lang}{path}")
        assert response.status_code == 200, path
        problems += [f"{path}: {p}" for p in _english_on(response.text, lang)]
    token = csrf_of(staff.get(f"/{lang}/publish/new").text)
    refused = [
        ("/publish/new", {"name": "x", "title_ca": "", "title_es": "", "title_en": ""}),
        ("/account/password", {"current_password": "wrong", "new_password": "a"}),
        ("/account/tokens", {"name": ""}),
        ("/publish/organization/bsm/members", {"user": "nobody-here", "role": "editor"}),
    ]
    for path, data in refused:
        response = staff.post(f"/{lang}{path}", data={**data, "csrf_token": token})
        assert 400 <= response.status_code < 500, (path, response.status_code)
        problems += [f"POST {path}: {p}" for p in _english_on(response.text, lang)]
    assert not problems, "\n".join(problems)


def test_the_check_finds_english_interface_text(visitor: TestClient) -> None:
    """The comparison has teeth: an English page passed off as a Catalan one is caught, its data is not."""
    english = visitor.get("/en/dataset/no-such-dataset").text.replace('<html lang="en">', '<html lang="ca">')
    found = _english_on(english, "ca")
    assert any("Page not found" in f for f in found), found
    assert any("lang=en" in f or "no dataset" in f for f in found) or len(found) >= 5, found


@pytest.mark.parametrize(
    ("lang", "missing", "select_only", "why"),
    [
        (
            "ca",
            "no hi ha cap conjunt de dades",
            "només es permeten consultes SELECT",
            "no es permeten instruccions DELETE",
        ),
        (
            "es",
            "no hay ningún conjunto de datos",
            "solo se permiten consultas SELECT",
            "no se permiten instrucciones DELETE",
        ),
        ("en", "no dataset", "only SELECT queries are allowed", "DELETE statements are not allowed"),
    ],
)
def test_ckan_and_sql_errors_speak_the_clients_language(
    visitor: TestClient, lang: str, missing: str, select_only: str, why: str
) -> None:
    headers = {"Accept-Language": lang}
    gone = visitor.get("/api/3/action/package_show", params={"id": "nope"}, headers=headers).json()
    # CKAN's own prefix stays, as ckanapi reads it; the message after it is in the client's language.
    assert gone["error"]["message"].startswith(f"Not found: {missing}"), gone
    sql = visitor.get(
        "/api/3/action/datastore_search_sql",
        params={"sql": "DELETE FROM qualitat_aire_estacions"},
        headers=headers,
    ).json()
    assert sql["success"] is False and sql["error"]["message"] == select_only, sql
    assert sql["error"]["sql"] == [why]  # the field's detail too
    plain = visitor.get("/api/3/action/package_show", params={"id": "nope"}).json()
    assert plain["error"]["message"] == "Not found: no dataset 'nope'"  # no header: CKAN's English


@pytest.mark.parametrize(
    ("lang", "why"),
    [
        ("ca", "falta tancar un parèntesi, a prop de «FROM», línia 1, columna 14"),
        ("es", "falta cerrar un paréntesis, cerca de «FROM», línea 1, columna 14"),
        ("en", "a parenthesis is not closed, near “FROM”, line 1, column 14"),
    ],
)
def test_sql_that_does_not_parse_is_told_in_the_clients_language(
    visitor: TestClient, lang: str, why: str
) -> None:
    answer = visitor.get(
        "/api/3/action/datastore_search_sql",
        params={"sql": "SELECT (1 FROM qualitat_aire_estacions"},
        headers={"Accept-Language": lang},
    ).json()
    assert answer["success"] is False and answer["error"]["sql"] == [why], answer
