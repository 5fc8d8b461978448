"""The authorisation matrix: every surface × every role.

Private and draft data is neither listed nor readable by those who may not see it, and writes are refused
to those who may not make them. One surface is one line in SURFACES; a face that merges later (search,
datastore, CKAN, DCAT, feeds, sitemap) adds its lines here. Path templates take the world's values:
`{file_private}` (download path of the private dataset's upload), `{res_draft}` (resource id),
`{token_editor}`, `{user_member}` (ids); dataset names are ds-public, ds-private, ds-draft, ds-review and
ds-b-draft (organisation B); organisations are guardia-urbana (A) and medi-ambient (B).

Kinds:
  LIST   the response must not contain `marker` for roles outside `allowed`, and must (with a 200) for
         roles inside it.
  READ   200 for roles in `allowed`; for the others a refusal that does not confirm the object exists to
         those who cannot see it (404), or asks to sign in / says no (401, 403, 303 to the sign-in page).
  WRITE  refused (401/403/404) for every role outside `allowed`; then accepted (2xx or a 303 after a form)
         for the weakest role inside it (a write changes the world, so one acceptance per test).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import dataset_payload
from tests.security.world import ROLES, World

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
WRITERS = SIGNED_IN - {"read_token"}
A_SEE = frozenset({"member", "editor", "org_admin", "site_admin"})
A_EDIT = frozenset({"editor", "org_admin", "site_admin"})
A_ADMIN = frozenset({"org_admin", "site_admin"})
B_SEE = frozenset({"other_admin", "site_admin"})
SITE = frozenset({"site_admin"})
NOBODY: frozenset[str] = frozenset()
CKAN_ALL = "/api/3/action/package_search?rows=100&include_private=true&include_drafts=true"
# Weakest first: a write's acceptance is checked with the first allowed role in this order.
ORDER = ("anonymous", "read_token", "member", "other_admin", "editor", "org_admin", "site_admin")
REFUSED = {401, 403, 404}


@dataclass(frozen=True)
class Surface:
    kind: str
    name: str
    path: str
    allowed: frozenset[str]
    method: str = "GET"
    marker: str = ""
    body: dict[str, Any] | None = None
    files: bool = False  # send a small CSV as multipart field `file`
    extra: dict[str, str] = field(default_factory=dict)


def LIST(name: str, path: str, marker: str, allowed: frozenset[str]) -> Surface:
    return Surface("list", name, path, allowed, marker=marker)


def READ(name: str, path: str, allowed: frozenset[str]) -> Surface:
    return Surface("read", name, path, allowed)


def WRITE(name: str, method: str, path: str, allowed: frozenset[str], **kw: Any) -> Surface:
    return Surface("write", name, path, allowed, method=method, **kw)


SURFACES = [
    # ---- lists: hidden datasets never show up for those who may not see them
    LIST("api datasets: private", "/api/v1/datasets?limit=1000", "ds-private", A_SEE),
    LIST("api datasets: draft", "/api/v1/datasets?limit=1000", "ds-draft", A_SEE),
    LIST("api datasets: review", "/api/v1/datasets?limit=1000", "ds-review", A_SEE),
    LIST("api datasets: B draft", "/api/v1/datasets?limit=1000", "ds-b-draft", B_SEE),
    LIST("api datasets by org: draft", "/api/v1/datasets?organization=guardia-urbana", "ds-draft", A_SEE),
    LIST("api resources: private", "/api/v1/resources?limit=1000", "res-private", A_SEE),
    LIST("api resources: draft", "/api/v1/resources?limit=1000", "res-draft", A_SEE),
    LIST("page home: private", "/en/", "ds-private", A_SEE),
    LIST("page datasets: draft", "/en/datasets", "ds-draft", A_SEE),
    LIST("page organisation: review", "/en/organization/guardia-urbana", "ds-review", A_SEE),
    LIST("page publish dashboard: draft", "/en/publish", "ds-draft", A_SEE),
    LIST("page publish dashboard: B draft", "/en/publish", "ds-b-draft", B_SEE),
    LIST("api members of A", "/api/v1/organizations/guardia-urbana/members", '"editor"', A_ADMIN),
    LIST("api users", "/api/v1/users", '"org-admin"', SITE),
    LIST("api tokens: the editor's", "/api/v1/tokens", "{token_editor}", frozenset({"editor"})),
    LIST("api audit", "/api/v1/audit?limit=1000", "ds-private", SITE),
    LIST("api audit csv", "/api/v1/audit/export.csv", "ds-private", SITE),
    LIST("api audit jsonl", "/api/v1/audit/export.jsonl", "ds-private", SITE),
    LIST("page audit", "/en/admin/audit", "token-create", SITE),
    # search, feeds, sitemap, DCAT, CKAN, statistics and freshness (facet counts: test_search_facets)
    LIST("api search: private", "/api/v1/search?q=accidents&limit=100", "ds-private", A_SEE),
    LIST("api search: draft", "/api/v1/search?limit=100", "ds-draft", A_SEE),
    LIST("api search: review", "/api/v1/search?q=accidents&limit=100", "ds-review", A_SEE),
    LIST("api search: B draft", "/api/v1/search?limit=100", "ds-b-draft", B_SEE),
    LIST("api suggest: private", "/api/v1/search/suggest?q=acc&limit=20", "ds-private", A_SEE),
    LIST("api suggest: B draft", "/api/v1/search/suggest?q=acc&limit=20", "ds-b-draft", B_SEE),
    LIST("page search: private", "/en/datasets?q=accidents", "ds-private", A_SEE),
    LIST("page search: B draft", "/en/datasets?q=accidents", "ds-b-draft", B_SEE),
    # Feeds, the sitemap and the DCAT catalogue are public documents: only public, published data.
    LIST("feed datasets: public", "/feeds/datasets.atom", "ds-public", EVERYONE),
    LIST("feed datasets: private", "/feeds/datasets.atom", "ds-private", NOBODY),
    LIST("feed datasets: draft", "/feeds/datasets.atom", "ds-draft", NOBODY),
    LIST("feed organisation: private", "/feeds/organization/guardia-urbana.atom", "ds-private", NOBODY),
    LIST("feed organisation: review", "/feeds/organization/guardia-urbana.atom", "ds-review", NOBODY),
    LIST("feed theme: draft", "/feeds/theme/TRAN.atom", "ds-draft", NOBODY),
    LIST("feed search: private", "/feeds/search.atom?q=accidents", "ds-private", NOBODY),
    LIST("feed search: B draft", "/feeds/search.atom?q=accidents", "ds-b-draft", NOBODY),
    LIST("sitemap: public", "/sitemap.xml", "ds-public", EVERYONE),
    LIST("sitemap: private", "/sitemap.xml", "ds-private", NOBODY),
    LIST("sitemap: draft", "/sitemap.xml", "ds-draft", NOBODY),
    LIST("dcat catalogue: public", "/catalog.ttl", "ds-public", EVERYONE),
    LIST("dcat catalogue: private", "/catalog.ttl", "ds-private", NOBODY),
    LIST("dcat catalogue: draft", "/catalog.ttl", "ds-draft", NOBODY),
    LIST("ckan package_search: private", "/api/3/action/package_search?rows=100", "ds-private", NOBODY),
    LIST("ckan package_search: draft", "/api/3/action/package_search?rows=100", "ds-draft", NOBODY),
    LIST("ckan package_search include: private", CKAN_ALL, "ds-private", A_SEE),
    LIST("ckan package_search include: draft", CKAN_ALL, "ds-draft", A_SEE),
    LIST("ckan package_search include: B draft", CKAN_ALL, "ds-b-draft", B_SEE),
    LIST("api stats: public", "/api/v1/stats", "ds-public", EVERYONE),
    # The site's usage statistics are published figures: public datasets only, whoever asks.
    LIST("api stats: private", "/api/v1/stats", "ds-private", NOBODY),
    LIST("api stats: draft", "/api/v1/stats", "ds-draft", NOBODY),
    LIST("api stats: B draft", "/api/v1/stats", "ds-b-draft", NOBODY),
    LIST("page stats: public", "/en/stats", "ds-public", EVERYONE),
    LIST("page stats: private", "/en/stats", "ds-private", NOBODY),
    LIST("api freshness: private", "/api/v1/freshness", "ds-private", A_SEE),
    LIST("api freshness: draft", "/api/v1/freshness", "ds-draft", A_SEE),
    LIST("api freshness: B draft", "/api/v1/freshness", "ds-b-draft", B_SEE),
    # ---- reads of one object
    READ("api dataset public", "/api/v1/datasets/ds-public", EVERYONE),
    READ("api dataset private", "/api/v1/datasets/ds-private", A_SEE),
    READ("api dataset draft", "/api/v1/datasets/ds-draft", A_SEE),
    READ("api dataset review", "/api/v1/datasets/ds-review", A_SEE),
    READ("api dataset B draft", "/api/v1/datasets/ds-b-draft", B_SEE),
    READ("api dataset resources: draft", "/api/v1/datasets/ds-draft/resources", A_SEE),
    READ("api resource private", "/api/v1/resources/{res_private}", A_SEE),
    READ("api resource draft", "/api/v1/resources/{res_draft}", A_SEE),
    READ("api workflow history: draft", "/api/v1/datasets/ds-draft/transitions", A_SEE),
    READ("page dataset private", "/en/dataset/ds-private", A_SEE),
    READ("page dataset draft", "/en/dataset/ds-draft", A_SEE),
    READ("download public", "{file_public}", EVERYONE),
    READ("download private", "{file_private}", A_SEE),
    READ("download draft", "{file_draft}", A_SEE),
    READ("download B draft", "{file_b_draft}", B_SEE),
    READ("page publish form: draft", "/en/publish/dataset/ds-draft", A_SEE),
    READ("page members of A", "/en/publish/organization/guardia-urbana/members", A_ADMIN),
    READ("feed dataset: private", "/feeds/dataset/ds-private.atom", NOBODY),
    READ("feed dataset: draft", "/feeds/dataset/ds-draft.atom", NOBODY),
    READ("api dataset stats: private", "/api/v1/datasets/ds-private/stats", A_SEE),
    READ("api dataset stats: B draft", "/api/v1/datasets/ds-b-draft/stats", B_SEE),
    READ("api dataset freshness: draft", "/api/v1/datasets/ds-draft/freshness", A_SEE),
    READ("api policy of A", "/api/v1/organizations/guardia-urbana/policy", EVERYONE),
    # ---- writes
    WRITE(
        "create dataset in A",
        "POST",
        "/api/v1/datasets",
        A_EDIT,
        body=dataset_payload(name="brand-new", state="draft"),
    ),
    WRITE(
        "replace private",
        "PUT",
        "/api/v1/datasets/ds-private",
        A_EDIT,
        body=dataset_payload(name="ds-private", visibility="private"),
    ),
    WRITE("patch draft", "PATCH", "/api/v1/datasets/ds-draft", A_EDIT, body={"title": {"ca": "Nou"}}),
    WRITE("patch B draft", "PATCH", "/api/v1/datasets/ds-b-draft", B_SEE, body={"title": {"ca": "Nou"}}),
    WRITE("patch public", "PATCH", "/api/v1/datasets/ds-public", A_EDIT, body={"title": {"ca": "Nou"}}),
    WRITE("delete draft", "DELETE", "/api/v1/datasets/ds-draft", A_EDIT),
    WRITE(
        "add resource to draft",
        "POST",
        "/api/v1/datasets/ds-draft/resources",
        A_EDIT,
        body={"title": {"ca": "r"}},
    ),
    WRITE(
        "patch resource private",
        "PATCH",
        "/api/v1/resources/{res_private}",
        A_EDIT,
        body={"title": {"ca": "r"}},
    ),
    WRITE("delete resource public", "DELETE", "/api/v1/resources/{res_public}", A_EDIT),
    WRITE("upload to private", "POST", "/api/v1/resources/{res_private}/upload", A_EDIT, files=True),
    WRITE(
        "patch organisation A",
        "PATCH",
        "/api/v1/organizations/guardia-urbana",
        A_ADMIN,
        body={"email": "nou@bcn.cat"},
    ),
    WRITE(
        "patch organisation B",
        "PATCH",
        "/api/v1/organizations/medi-ambient",
        B_SEE,
        body={"email": "nou@bcn.cat"},
    ),
    WRITE(
        "create organisation",
        "POST",
        "/api/v1/organizations",
        SITE,
        body={"name": "nova", "title": {"ca": "Nova"}},
    ),
    WRITE("submit draft", "POST", "/api/v1/datasets/ds-draft/transitions", A_EDIT, body={"action": "submit"}),
    WRITE(
        "approve review",
        "POST",
        "/api/v1/datasets/ds-review/transitions",
        A_ADMIN,
        body={"action": "approve"},
    ),
    WRITE(
        "reject review",
        "POST",
        "/api/v1/datasets/ds-review/transitions",
        A_ADMIN,
        body={"action": "reject", "comment": "falten dades"},
    ),
    WRITE(
        "withdraw public",
        "POST",
        "/api/v1/datasets/ds-public/transitions",
        A_EDIT,
        body={"action": "withdraw"},
    ),
    WRITE(
        "set member of A",
        "PUT",
        "/api/v1/organizations/guardia-urbana/members/reader",
        A_ADMIN,
        body={"role": "editor"},
    ),
    WRITE("remove member of A", "DELETE", "/api/v1/organizations/guardia-urbana/members/member", A_ADMIN),
    WRITE(
        "set member of B",
        "PUT",
        "/api/v1/organizations/medi-ambient/members/editor",
        B_SEE,
        body={"role": "editor"},
    ),
    WRITE(
        "review rule of A",
        "PUT",
        "/api/v1/organizations/guardia-urbana/policy",
        A_ADMIN,
        body={"review_required": True},
    ),
    WRITE("create token", "POST", "/api/v1/tokens", WRITERS, body={"name": "new"}),
    WRITE(
        "revoke the editor's token",
        "DELETE",
        "/api/v1/tokens/{token_editor}",
        frozenset({"editor", "site_admin"}),
    ),
    WRITE("create account", "POST", "/api/v1/users", SITE, body={"name": "nou", "password": "x" * 12}),
    WRITE("grant site admin", "PATCH", "/api/v1/users/editor", SITE, body={"sysadmin": True}),
]


@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES])
def test_surface(world: World, surface: Surface) -> None:
    path = world.fill(surface.path)
    if surface.kind == "list":
        marker = world.fill(surface.marker)
        for role in ORDER:
            response = world.client.get(path, headers=world.headers[role], follow_redirects=False)
            if role in surface.allowed:
                assert response.status_code == 200, (role, response.text[:300])
                assert marker in response.text, f"{role} should see {marker} at {path}"
            else:
                assert marker not in response.text, f"{role} must not see {marker} at {path}"
    elif surface.kind == "read":
        for role in ORDER:
            response = world.client.get(path, headers=world.headers[role], follow_redirects=False)
            if role in surface.allowed:
                assert response.status_code == 200, (role, response.text[:300])
            else:
                assert response.status_code in {303, *REFUSED}, (role, response.status_code)
                assert "Accidents de tr" not in response.text, (role, "leaked the dataset")
    else:
        accepted = False
        for role in ORDER:
            if role in surface.allowed and accepted:
                continue
            files = {"file": ("x.csv", io.BytesIO(b"a\n1\n"), "text/csv")} if surface.files else None
            response = world.client.request(
                surface.method,
                path,
                json=surface.body,
                files=files,
                headers=world.headers[role],
                follow_redirects=False,
            )
            if role in surface.allowed:
                assert response.status_code < 300 or response.status_code == 303, (role, response.text[:300])
                accepted = True
            else:
                assert response.status_code in REFUSED, (role, response.status_code, response.text[:300])


def test_search_facets_count_only_what_the_caller_may_see(world: World) -> None:
    """Facet counts are lists too: a count of 4 where one dataset shows would confirm three hidden ones."""
    visible = {"anonymous": 1, "read_token": 1, "member": 4, "other_admin": 2, "site_admin": 5}
    for role, expected in visible.items():
        body = world.client.get("/api/v1/search?q=accidents&limit=100", headers=world.headers[role]).json()
        assert body["count"] == len(body["data"]) == expected, role
        for name, values in body["facets"].items():
            assert all(v["count"] <= expected for v in values), (role, name, values)
            if name in ("theme", "themes", "license"):
                assert sum(v["count"] for v in values if v["value"] in ("TRAN", "CC_BY_4_0")) == expected
