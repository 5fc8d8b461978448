"""Attacks through the documents a DCAT source serves: JSON-LD contexts that point at internal addresses
or local files (the parser must not fetch them behind the SSRF guard's back), and XML built to keep the
parser busy for minutes (it must fail alone, promptly, and leave the job thread free).

The source is served as `source.test`, the only host the allowlist lets through; the "internal" listener
is another server on 127.0.0.1, which the guard refuses, and which records every request it gets.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from obert.auth import SYSTEM
from obert.catalog.datasets import list_datasets
from obert.harvest.fetch import Fetcher
from obert.harvest.jobs import enqueue_run
from obert.harvest.models import RunReport
from obert.harvest.runner import HarvestContext, run_harvest
from obert.harvest.sources import get_source
from obert.http import Allowlist, HttpClient, IPAddress
from obert.jobs import JobState, get_job
from obert.portal import Portal, build_portal
from obert.settings import Settings
from tests.harvest.conftest import DATA, add_source
from tests.harvest.servers import Route, Server, serve

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0  # seconds; the unguarded parser needs minutes for each bomb below
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"


def _resolve(host: str, port: int) -> list[IPAddress]:
    return [ipaddress.ip_address("127.0.0.1")] if host in ("source.test", "127.0.0.1") else []


@pytest.fixture
def guarded(hctx: HarvestContext) -> Iterator[HarvestContext]:
    """A harvest context whose guard allows `source.test` only (it is 127.0.0.1 too, by name)."""
    client = HttpClient(allowlist=Allowlist.parse("source.test"), timeout=2.0, resolver=_resolve)
    fetcher = Fetcher(client, per_second=1000, retries=0, backoff=0.0, sleep=lambda _s: None)
    yield replace(hctx, fetcher=fetcher)
    client.close()


@pytest.fixture
def internal() -> Iterator[Server]:
    """A service on an internal address: answers a usable JSON-LD context, and remembers who asked."""
    context = {"@context": {"title": f"{DCT}title", "Dataset": f"{DCAT}Dataset"}}
    with serve(
        lambda path, query: (200, {"Content-Type": "application/ld+json"}, json.dumps(context).encode())
    ) as srv:
        yield srv


def _document(context: object) -> bytes:
    return json.dumps(
        {
            "@context": context,
            "@id": "https://source.test/dataset/1",
            "@type": "Dataset",
            "title": "A dataset whose terms come from the context",
        }
    ).encode()


def _harvest(portal: Portal, ctx: HarvestContext, route: Route, name: str = "catalog.jsonld") -> RunReport:
    with serve(route, host="source.test") as source:
        add_source(portal, type="dcat", url=f"{source.url}/{name}")
        return run_harvest(ctx=ctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))


def _answer(body: bytes, content_type: str = "application/ld+json") -> Route:
    return lambda path, query: (200, {"Content-Type": content_type}, body)


ATTACKS: dict[str, Callable[[str], object]] = {
    "@import": lambda url: {"@import": f"{url}/import.jsonld", "dct": DCT},
    "scoped term context": lambda url: {
        "dct": DCT,
        "Dataset": {"@id": f"{DCAT}Dataset", "@context": f"{url}/scoped.jsonld"},
    },
    "remote top-level context": lambda url: f"{url}/top.jsonld",
    "remote context in a list": lambda url: [{"dct": DCT}, f"{url}/listed.jsonld"],
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_json_ld_contexts_never_reach_an_internal_address(
    portal: Portal, guarded: HarvestContext, internal: Server, attack: str
) -> None:
    report = _harvest(portal, guarded, _answer(_document(ATTACKS[attack](internal.url))))
    assert internal.hits == []  # not one request reached the internal service
    assert report.state == "failed"
    assert "JSON-LD context" in (report.error or "") and "OBERT_HTTP_ALLOWLIST" in (report.error or "")
    assert list_datasets(store=portal.store, actor=SYSTEM).count == 0


def test_a_json_ld_context_is_never_read_from_a_local_file(
    portal: Portal, guarded: HarvestContext, tmp_path: Path
) -> None:
    local = tmp_path / "context.jsonld"
    local.write_text(json.dumps({"@context": {"title": f"{DCT}title", "Dataset": f"{DCAT}Dataset"}}))
    report = _harvest(portal, guarded, _answer(_document({"@import": local.as_uri()})))
    assert report.state == "failed"
    assert local.as_uri() in (report.error or "") and "http" in (report.error or "")
    assert list_datasets(store=portal.store, actor=SYSTEM).count == 0  # the file's terms were not used


def test_a_remote_context_of_an_allowed_host_is_fetched_through_the_guard(
    portal: Portal, guarded: HarvestContext
) -> None:
    context = {"@context": {"title": f"{DCT}title", "Dataset": f"{DCAT}Dataset"}}

    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path == "/context.jsonld":
            return 200, {"Content-Type": "application/ld+json"}, json.dumps(context).encode()
        return 200, {"Content-Type": "application/ld+json"}, _document("context.jsonld")

    report = _harvest(portal, guarded, route)
    assert report.state == "done", report.error
    assert report.counts == {"created": 1}
    assert guarded.fetcher.requests == 2  # the document, then its context: both through the fetcher


def _laughs() -> bytes:
    """A 'billion laughs': ten nested entities, each ten times the one before (about 1.3 KB)."""
    entities = '<!ENTITY l0 "ha! ">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [{entities}]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="{DCAT}" xmlns:dct="{DCT}">
  <dcat:Dataset rdf:about="https://source.test/dataset/laughs">
    <dct:title>Laughs</dct:title>
    <dct:description>&l9;</dct:description>
  </dcat:Dataset>
</rdf:RDF>""".encode()


def _character_references(megabytes: int = 8) -> bytes:
    refs = "&#65;" * (megabytes * 1024 * 1024 // 5)
    return f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="{DCAT}" xmlns:dct="{DCT}">
  <dcat:Dataset rdf:about="https://source.test/dataset/refs">
    <dct:title>Character references</dct:title>
    <dct:description>{refs}</dct:description>
  </dcat:Dataset>
</rdf:RDF>""".encode()


def _within(seconds: float, work: Callable[[], RunReport]) -> RunReport:
    """`work`'s result, failing the test (not hanging it) if it takes longer than `seconds`."""
    result: list[RunReport] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"still parsing after {seconds} s"
    return result[0]


def test_a_billion_laughs_fails_alone_and_at_once(portal: Portal, guarded: HarvestContext) -> None:
    bomb = _laughs()
    assert len(bomb) < 1500
    report = _within(
        DEADLINE, lambda: _harvest(portal, guarded, _answer(bomb, "application/rdf+xml"), "c.rdf")
    )
    assert report.state == "failed"
    assert "entit" in (report.error or "") and "c.rdf" in (report.error or "")


def test_megabytes_of_character_references_are_read_in_linear_time(
    portal: Portal, guarded: HarvestContext
) -> None:
    doc = _character_references()
    started = time.monotonic()
    report = _within(
        DEADLINE, lambda: _harvest(portal, guarded, _answer(doc, "application/rdf+xml"), "c.rdf")
    )
    assert time.monotonic() - started < DEADLINE
    assert report.state == "done", report.error
    assert report.counts == {"created": 1} or report.counts == {"failed": 1}  # a description too long


def _xml_literal_elements(count: int = 4000) -> bytes:
    """Well-formed RDF/XML, no entities, about 16 KB: rdflib re-parses an rdf:XMLLiteral each time an
    element is added to it, so reading this takes minutes. Only the time budget stops it."""
    return f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="{DCAT}" xmlns:dct="{DCT}">
  <dcat:Dataset rdf:about="https://source.test/dataset/literal">
    <dct:title>An XML literal</dct:title>
    <dct:description rdf:parseType="Literal">{"<b/>" * count}</dct:description>
  </dcat:Dataset>
</rdf:RDF>""".encode()


def test_a_document_that_outlasts_its_time_budget_is_stopped(portal: Portal, guarded: HarvestContext) -> None:
    ctx = replace(guarded, parse_seconds=0.5)
    started = time.monotonic()
    route = _answer(_xml_literal_elements(), "application/rdf+xml")
    report = _within(DEADLINE, lambda: _harvest(portal, ctx, route, "c.rdf"))
    assert time.monotonic() - started < 10
    assert report.state == "failed"
    assert "0.5 s" in (report.error or "") and "c.rdf" in (report.error or "")


@pytest.mark.settings(http_allowlist="127.0.0.1", harvest_requests_per_second=1000)
def test_a_bomb_harvest_leaves_the_job_thread_free_for_the_next_job(portal: Portal) -> None:
    def route(path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if path.endswith("bomb.rdf"):
            return 200, {"Content-Type": "application/rdf+xml"}, _laughs()
        return (
            200,
            {"Content-Type": "application/rdf+xml"},
            (DATA / "dcat" / "E_DCAT-AP-ES_minimal.rdf").read_bytes(),
        )

    with serve(route) as server:
        bomb = add_source(portal, name="bomb", type="dcat", url=f"{server.url}/bomb.rdf")
        fine = add_source(portal, name="fine", type="dcat", url=f"{server.url}/fine.rdf")
        with portal.store.begin() as conn:
            bomb_job = enqueue_run(conn, source_id=bomb.id)
        with portal.store.begin() as conn:
            fine_job = enqueue_run(conn, source_id=fine.id)
        runner = portal.job_runner(threads=1)
        runner.start()
        try:
            deadline = time.monotonic() + DEADLINE
            while time.monotonic() < deadline:
                states = {get_job(portal.store, job_id=j).state for j in (bomb_job, fine_job)}
                if states <= {JobState.DONE, JobState.FAILED}:
                    break
                time.sleep(0.05)
        finally:
            runner.stop(grace=0)
    finished = get_job(portal.store, job_id=fine_job)
    assert finished.state == JobState.DONE, "the ordinary harvest did not run after the bomb"
    assert finished.result and finished.result["counts"] == {"created": 1}
    blown = get_job(portal.store, job_id=bomb_job)
    assert blown.result and blown.result["state"] == "failed" and "entit" in blown.result["error"]


def _parsers_of(data_dir: Path) -> list[int]:
    """Processes of the sandbox (its worker and the child reading a document) started for `data_dir`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if b"obert.untrusted.worker" not in (entry / "cmdline").read_bytes():
                continue
            if f"OBERT_DATA_DIR={data_dir}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def _wait_for(check: Callable[[], object], seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds processes through /proc")
def test_stopping_obert_worker_leaves_no_parser_running(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OBERT_DATA_DIR": str(data_dir),
        "OBERT_SECRET_KEY": "a-test-secret-that-is-long-enough",
        "OBERT_HTTP_ALLOWLIST": "127.0.0.1",
        "OBERT_JOB_SHUTDOWN_GRACE_SECONDS": "1",
    }
    portal = build_portal(Settings(mode="test", data_dir=data_dir, http_allowlist="127.0.0.1"))
    try:
        with serve(_answer(_xml_literal_elements(), "application/rdf+xml")) as server:
            source = add_source(portal, type="dcat", url=f"{server.url}/slow.rdf")
            with portal.store.begin() as conn:
                enqueue_run(conn, source_id=source.id)
            worker = subprocess.Popen(
                [sys.executable, "-c", "from obert.cli import app; app()", "worker", "--threads", "1"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                _wait_for(lambda: server.hits and len(_parsers_of(data_dir)) >= 2)  # worker and child
                worker.send_signal(signal.SIGTERM)
                output, _ = worker.communicate(timeout=DEADLINE)
            finally:
                if worker.poll() is None:
                    worker.kill()
        assert worker.returncode == 0, output
        assert "handed 1 unfinished job(s) back" in " ".join(output.split())
        _wait_for(lambda: not _parsers_of(data_dir), seconds=5)  # the parser went with obert
    finally:
        portal.close()


def test_json_nested_too_deeply_fails_the_run_with_a_clear_message(
    portal: Portal, hctx: HarvestContext
) -> None:
    with serve(_answer(b"[" * 200_000, "application/json")) as server:
        add_source(portal, type="ckan", url=server.url)
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "failed"
    assert "did not answer JSON" in (report.error or "") and "nested too deeply" in (report.error or "")


LONE_SURROGATE = {
    "dcat": (
        "text/turtle",
        b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        b'<https://example.org/d1> a dcat:Dataset ; dct:title "broken \\uD800 title"@en .\n'
        b'<https://example.org/d2> a dcat:Dataset ; dct:title "fine title"@en .',
    ),
    "ckan": (
        "application/json",
        json.dumps(
            {
                "success": True,
                "result": {
                    "count": 2,
                    "results": [
                        {"id": "a", "name": "broken", "title": "broken \\ud800 title"},
                        {"id": "b", "name": "fine", "title": "fine title"},
                    ],
                },
            }
        )
        .replace("\\\\ud800", "\\ud800")
        .encode(),
    ),
}


@pytest.mark.parametrize("kind", LONE_SURROGATE)
def test_a_lone_surrogate_in_one_item_does_not_crash_the_run(
    portal: Portal, hctx: HarvestContext, kind: str
) -> None:
    content_type, body = LONE_SURROGATE[kind]
    with serve(_answer(body, content_type)) as server:
        add_source(portal, type=kind, url=f"{server.url}/c.ttl" if kind == "dcat" else server.url)
        report = run_harvest(ctx=hctx, source=get_source(store=portal.store, actor=SYSTEM, ref="src"))
    assert report.state == "done", report.error
    assert report.counts == {"created": 2}
    titles = {d.title["en"] for d in list_datasets(store=portal.store, actor=SYSTEM).items}
    assert titles == {"broken \ufffd title", "fine title"}
