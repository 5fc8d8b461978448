"""HTTP read semantics, driven by real clients against a live obert: curl (HEAD, ranges, conditional
requests, CORS, caching headers), GDAL's /vsicurl, DuckDB's HTTP reader in its own environment, and
ckanapi's error classes for 413 and 429 from the CKAN face."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ckanapi
import httpx
import pytest

from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.conftest import dataset_payload, organization_payload
from tests.live import free_port, serving

DEMO_FILES = Path(__file__).parents[2] / "obert" / "demo" / "files"
STATIONS = DEMO_FILES / "qualitat_aire_estacions.csv"  # 55 rows with Longitud/Latitud
BIG_CSV = DEMO_FILES / "2018_accidents_tipus_gu_bcn_.csv"  # 2.8 MB: past the 2 MiB body limit
DUCKDB_CLIENT = ("duckdb==1.4.4", "duckdb-ext-httpfs==1.4.4.20260205")


@dataclass(frozen=True)
class Live:
    url: str
    portal: Portal
    admin: str
    budget_user: str
    resource: str
    dataset: str
    download: str  # the path of the uploaded original

    def export(self, fmt: str) -> str:
        return f"{self.url}/api/v1/datastore/{self.resource}/export.{fmt}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        mode="test",
        data_dir=tmp_path_factory.mktemp("http") / "data",
        base_url=url,
        job_threads=0,  # the fixture runs the one ingest itself; uploads made by tests stay queued
        rate_limit_writes="10 per minute",
    )
    portal = build_portal(settings)
    create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
    create_user(store=portal.store, name="budget", password="correct horse battery")
    admin = create_token(store=portal.store, user_ref="admin", name="tests").secret
    budget_user = create_token(store=portal.store, user_ref="budget", name="tests").secret
    try:
        with serving(create_app(settings, portal=portal), port):
            auth = {"Authorization": f"Bearer {admin}"}
            with httpx.Client(base_url=url, headers=auth, timeout=60) as http:
                assert http.post("/api/v1/organizations", json=organization_payload()).status_code == 201
                payload = dataset_payload(name="estacions", resources=[{"name": "estacions-taula"}])
                created = http.post("/api/v1/datasets", json=payload)
                assert created.status_code == 201, created.text
                resource = created.json()["resources"][0]["id"]
                with STATIONS.open("rb") as f:
                    uploaded = http.post(
                        f"/api/v1/resources/{resource}/upload", files={"file": (STATIONS.name, f)}
                    )
                assert uploaded.status_code == 200, uploaded.text
            runner = portal.job_runner(1)
            while runner.run_once():
                pass
            download = f"/dataset/estacions/resource/{resource}/download/{STATIONS.name}"
            yield Live(url, portal, admin, budget_user, resource, "estacions", download)
    finally:
        portal.close()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def curl(*args: str) -> Answer:
    """Run curl and read its last response (after any redirect it followed)."""
    out = subprocess.run(["curl", "-sS", "--include", *args], capture_output=True, check=True, timeout=60)
    raw = out.stdout
    while True:  # one header block per response curl saw; the body follows the last one
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if rest.startswith(b"HTTP/"):
            raw = rest
            continue
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Answer(status, headers, rest)


def ckanapi_refusal(exc: ckanapi.CKANAPIError) -> tuple[int, dict[str, object]]:
    """The status and body of an error ckanapi did not recognise (its message is repr([url, status,
    response]))."""
    _, status, body = ast.literal_eval(str(exc))
    return int(status), json.loads(body)


def test_head_answers_wherever_get_does(live: Live) -> None:
    paths = [
        "/health",
        "/ca/datasets",
        "/catalog.ttl",
        "/api/v1/datasets",
        live.download,
        f"/api/v1/datastore/{live.resource}/export.csv",
        f"/api/v1/datastore/{live.resource}/export.csv?limit=3",
    ]
    for path in paths:
        head = curl("-I", live.url + path)
        assert head.status == 200, (path, head.status)
        assert head.body == b"", path
    whole = curl("-I", live.export("csv"))
    full = curl(live.export("csv"))
    assert int(whole.headers["content-length"]) == len(full.body) > 1000
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["etag"] == full.headers["etag"]


def test_ranges_on_files_and_whole_exports(live: Live) -> None:
    for url in (live.export("csv"), live.export("parquet"), live.export("geojson"), live.url + live.download):
        full = curl(url)
        part = curl("-r", "10-109", url)
        assert part.status == 206, url
        assert part.body == full.body[10:110]
        assert part.headers["content-range"] == f"bytes 10-109/{len(full.body)}"
        again = curl(url)
        assert again.body == full.body  # the bytes of a version's export never change
        beyond = curl("-r", f"{len(full.body) + 10}-", url)
        assert beyond.status == 416
        assert beyond.headers["content-range"] == f"bytes */{len(full.body)}"
    filtered = curl("-r", "0-9", live.export("csv") + "?limit=5")
    assert filtered.status == 200  # a query's answer is computed each time: no ranges promised
    assert "accept-ranges" not in filtered.headers
    assert filtered.body.count(b"\r\n") == 6


def test_validators_and_conditional_requests(live: Live) -> None:
    for url in (
        live.export("csv"),
        live.url + live.download,
        live.url + "/catalog.jsonld",
        live.url + "/api/v1/datasets/estacions",
        live.url + "/api/3/action/package_show?id=estacions",
    ):
        first = curl(url)
        assert first.status == 200 and first.headers.get("etag"), url
        unchanged = curl("-H", f"If-None-Match: {first.headers['etag']}", url)
        assert unchanged.status == 304, url
        assert unchanged.body == b""
        assert unchanged.headers["etag"] == first.headers["etag"]
        assert curl("-H", 'If-None-Match: "something-else"', url).status == 200
    export = curl("-I", live.export("csv"))
    since = curl("-H", f"If-Modified-Since: {export.headers['last-modified']}", live.export("csv"))
    assert since.status == 304
    catalog = curl("-I", live.url + "/catalog.ttl")
    assert (
        curl("-H", f"If-Modified-Since: {catalog.headers['last-modified']}", live.url + "/catalog.ttl").status
        == 304
    )


def test_cache_control_never_shares_what_depends_on_the_caller(live: Live) -> None:
    for url in (live.export("csv"), live.url + "/catalog.jsonld", live.url + "/api/v1/datasets/estacions"):
        public = curl("-I", url)
        assert public.headers["cache-control"].startswith("public, max-age="), url
        assert "Authorization" in public.headers["vary"]
        named = curl("-I", "-H", f"Authorization: Bearer {live.admin}", url)
        assert named.headers["cache-control"].startswith("private"), url
    page = curl("-I", live.url + "/ca/datasets")
    assert "Cookie" in page.headers["vary"]
    missing = curl("-I", live.url + "/api/v1/datasets/nothing-here")
    assert missing.status == 404
    assert missing.headers["cache-control"] == "no-store"
    health = curl("-I", live.url + "/health")
    assert health.headers["cache-control"] == "no-store"


def test_cors_for_every_public_format(live: Live) -> None:
    origin = ("-H", "Origin: https://example.org")
    for url in (
        live.url + "/catalog.jsonld",
        live.url + "/dataset/estacions.jsonld",
        live.url + "/api/3/action/package_show?id=estacions",
        live.url + "/api/v1/datasets/estacions",
        live.export("parquet"),
        live.url + live.download,
    ):
        answer = curl("-I", *origin, url)
        assert answer.headers.get("access-control-allow-origin") == "*", url
        assert "Content-Range" in answer.headers["access-control-expose-headers"]
    preflight = curl(
        "-X",
        "OPTIONS",
        *origin,
        "-H",
        "Access-Control-Request-Method: GET",
        "-H",
        "Access-Control-Request-Headers: range",
        live.export("parquet"),
    )
    assert preflight.status == 204
    assert "Range" in preflight.headers["access-control-allow-headers"]
    page = curl("-I", *origin, live.url + "/ca/datasets")
    assert "access-control-allow-origin" not in page.headers


def test_the_catalogue_iri_dereferences(live: Live) -> None:
    for accept, suffix in (("application/ld+json", "jsonld"), ("application/rdf+xml", "rdf"), ("*/*", "ttl")):
        answer = curl("-H", f"Accept: {accept}", live.url + "/catalog")
        assert answer.status == 303
        assert answer.headers["location"].endswith(f"/catalog.{suffix}")
    followed = curl("-L", "-H", "Accept: text/turtle", live.url + "/catalog")
    assert followed.status == 200 and b"dcat:Catalog" in followed.body
    assert curl("-H", "Accept: text/html", live.url + "/catalog").headers["location"] == "/datasets"
    xml = curl(live.url + "/catalog.xml")
    assert xml.headers["content-type"].startswith("application/rdf+xml") and b"rdf:RDF" in xml.body
    n3 = curl(live.url + "/catalog.n3")
    assert n3.headers["content-type"].startswith("text/n3") and b"dcat:Catalog" in n3.body


def test_gdal_reads_exports_over_vsicurl(live: Live) -> None:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("ogrinfo is not installed (.ci/run installs gdal-bin)")
    for fmt in ("geojson", "csv"):
        done = subprocess.run(
            [ogrinfo, "-ro", "-so", "-al", f"/vsicurl/{live.export(fmt)}"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "CPL_VSIL_CURL_USE_HEAD": "YES", "GDAL_HTTP_MAX_RETRY": "0"},
        )
        assert done.returncode == 0, done.stderr
        assert "Feature Count: 55" in done.stdout, done.stdout


@pytest.fixture(scope="module")
def duckdb_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with DuckDB 1.4.4 and its httpfs extension, apart from obert's own DuckDB; built once
    and kept in the user's cache directory."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "obert-tests" / "duckdb-1.4.4"
    python = cache / "bin" / "python"
    if not (cache / ".complete").exists():
        shutil.rmtree(cache, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(cache)], check=True, timeout=300)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *DUCKDB_CLIENT],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.skip(
                f"the package index is unreachable, DuckDB's client cannot be installed: {done.stderr}"
            )
        (cache / ".complete").write_text("ok")
    return python


DUCKDB_SCRIPT = """
import json, pathlib, sys
import duckdb, duckdb_ext
con = duckdb.connect()
con.execute("SET extension_directory = ?", [str(pathlib.Path(duckdb_ext.__path__[0]) / "extensions")])
con.execute("SET autoinstall_known_extensions = false")
con.execute("LOAD httpfs")
url = sys.argv[1]
row = con.execute(
    "SELECT count(*), round(min(Longitud), 4), max(Nom_districte) FROM read_parquet(?)", [url]
).fetchone()
print(json.dumps([duckdb.__version__, *row]))
"""


def test_duckdb_reads_columns_of_a_remote_parquet_export(live: Live, duckdb_client: Path) -> None:
    done = subprocess.run(
        [str(duckdb_client), "-c", DUCKDB_SCRIPT, live.export("parquet")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    version, count, west, district = json.loads(done.stdout)
    assert version == "1.4.4"
    assert count == 55
    assert 2.0 < west < 2.3
    assert isinstance(district, str) and district


def test_ckanapi_reads_spend_the_read_budget_and_refusals_keep_ckan_s_envelope(live: Live) -> None:
    reader = ckanapi.RemoteCKAN(live.url, apikey=live.budget_user)  # POSTs every call, reads included
    for _ in range(40):  # four times the write budget
        assert reader.action.package_show(id="estacions")["name"] == "estacions"
    refused = None
    for attempt in range(12):
        try:
            reader.action.organization_create(name=f"org-{attempt}")
        except (ckanapi.NotAuthorized, ckanapi.ValidationError):
            continue  # spends the write budget all the same
        except ckanapi.CKANAPIError as exc:
            refused = exc
            break
    assert refused is not None and not isinstance(refused, ckanapi.ServerIncompatibleError)
    status, body = ckanapi_refusal(refused)
    assert status == 429
    assert body["error"] == {"__type": "Rate Limit Error", "message": body["error"]["message"]}  # type: ignore[index]


def test_ckan_uploads_take_the_upload_limit_and_big_json_gets_a_ckan_413(live: Live) -> None:
    admin = ckanapi.RemoteCKAN(live.url, apikey=live.admin)
    with BIG_CSV.open("rb") as f:
        created = admin.action.resource_create(package_id="estacions", name="accidents", upload=f)
    assert created["name"] == "accidents"
    with pytest.raises(ckanapi.CKANAPIError) as caught:
        admin.action.package_patch(id="estacions", notes="x" * (3 * 1024 * 1024))
    assert not isinstance(caught.value, ckanapi.ServerIncompatibleError)
    status, body = ckanapi_refusal(caught.value)
    assert status == 413
    assert body["success"] is False
