"""Record an example of every native API operation from a real portal loaded with the Barcelona demo.

    PYTHONPATH=. python scripts/openapi_examples.py   # rewrites obert/api/openapi_examples.json

Each operation is called once, in an order that makes it meaningful (an organisation exists before its
members change); its path and query values, request body and (shortened) answer become the example that
obert/api/openapi.py puts in the OpenAPI document. Run it again when an answer's shape changes.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.api.openapi import EXAMPLES, OPERATION_IDS
from obert.app import create_app
from obert.auth.users import create_token, create_user
from obert.demo import catalog_settings, load_demo
from obert.portal import build_portal
from obert.settings import Settings
from obert.storage import Store
from obert.storage.tables.jobs import ACTIVE_STATES, jobs

BASE = "https://opendata.example.barcelona"
LIST_KEPT = 2
TEXT_KEPT = 240


def shorten(value: Any, depth: int = 0) -> Any:
    """An answer cut to a readable example: lists of two, long strings cut, nothing deeper than six."""
    if isinstance(value, dict):
        if depth > 6:
            return {}
        return {k: shorten(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten(v, depth + 1) for v in value[:LIST_KEPT]]
    if isinstance(value, str) and len(value) > TEXT_KEPT:
        return value[:TEXT_KEPT] + "…"
    return value


class Recorder:
    def __init__(self, client: TestClient, admin: dict[str, str]) -> None:
        self.client = client
        self.admin = admin
        self.examples: dict[str, dict[str, Any]] = {}

    def call(
        self,
        method: str,
        template: str,
        *,
        path: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
        files: dict[str, Any] | None = None,
        auth: bool = True,
        expect: int | None = None,
    ) -> Any:
        operation = OPERATION_IDS[f"{method} {template}"]
        url = re.sub(r"{(\w+)}", lambda m: str((path or {})[m.group(1)]), template)
        response = self.client.request(
            method,
            url,
            params=query,
            json=body,
            files=files,
            headers=self.admin if auth else {},
        )
        if (expect is not None and response.status_code != expect) or response.status_code >= 400:
            raise SystemExit(f"{method} {url}: {response.status_code} {response.text[:400]}")
        example: dict[str, Any] = {"status": response.status_code}
        params = {**(path or {}), **(query or {})}
        if params:
            example["params"] = params
        if body is not None:
            example["request"] = body
        media = response.headers.get("content-type", "").split(";")[0]
        answer: Any = None
        if media in ("application/json", "application/geo+json") and response.content:
            answer = response.json()
            example["response"] = shorten(answer)
        elif response.content:
            lines = [shorten(line) for line in response.text.splitlines()[:2]]
            example["response"] = "\n".join(lines) + "\n"
            example["media"] = media
        self.examples[operation] = example
        return answer


def record(rec: Recorder, portal_url: str, settle: Callable[[], None]) -> None:
    c = rec.call
    c("GET", "/api/v1", auth=False)
    c("GET", "/api/v1/search", query={"q": "accidents", "lang": "en", "limit": 2}, auth=False)
    c("GET", "/api/v1/search/suggest", query={"q": "acc", "lang": "ca"}, auth=False)
    c("GET", "/api/v1/datasets", query={"limit": 2}, auth=False)
    c("GET", "/api/v1/datasets/{ref}", path={"ref": "accidents-gu-bcn"}, auth=False)
    c("GET", "/api/v1/datasets/{ref}/transitions", path={"ref": "accidents-gu-bcn"})
    c("GET", "/api/v1/resources", query={"limit": 2}, auth=False)
    c("GET", "/api/v1/datasets/{ref}/resources", path={"ref": "qualitat-aire-estacions-bcn"}, auth=False)
    c("GET", "/api/v1/resources/{ref}", path={"ref": "qualitat-aire-estacions"}, auth=False)
    c("GET", "/api/v1/organizations", query={"limit": 2}, auth=False)
    c("GET", "/api/v1/organizations/{ref}", path={"ref": "guardia-urbana"}, auth=False)
    table = {"resource": "accidents-gu-bcn-2018"}
    c("GET", "/api/v1/datastore/{resource}", path=table, auth=False)
    c(
        "GET",
        "/api/v1/datastore/{resource}/rows",
        path=table,
        query={"Nom_districte": "Gràcia", "limit": 2, "sort": "-Hora_dia"},
        auth=False,
    )
    c(
        "GET",
        "/api/v1/datastore/{resource}/aggregate",
        path=table,
        query={"group_by": "Nom_districte", "metrics": "count", "limit": 2},
        auth=False,
    )
    c(
        "GET",
        "/api/v1/datastore/{resource}/export.{fmt}",
        path={**table, "fmt": "csv"},
        query={"limit": 2},
        auth=False,
    )
    c(
        "GET",
        "/api/v1/datastore/{resource}/features",
        path={"resource": "bicing-estacions-geojson"},
        query={"limit": 2},
        auth=False,
    )
    c("GET", "/api/v1/map/boundaries", auth=False)
    sql = (
        'SELECT "Nom_districte", count(*) AS accidents FROM accidents_gu_bcn_2018 '
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 2"
    )
    c("GET", "/api/v1/datastore/sql", query={"sql": sql}, auth=False)
    c("POST", "/api/v1/datastore/sql", body={"sql": sql}, auth=False)
    c("GET", "/api/v1/datastore/{resource}/versions", path=table, auth=False)
    c("GET", "/api/v1/quality", query={"limit": 2}, auth=False)
    c("GET", "/api/v1/datasets/{ref}/quality", path={"ref": "accidents-gu-bcn"}, auth=False)
    c("GET", "/api/v1/freshness", query={"limit": 2}, auth=False)
    c("GET", "/api/v1/datasets/{ref}/freshness", path={"ref": "accidents-gu-bcn"}, auth=False)
    c("GET", "/api/v1/datasets/{ref}/links", path={"ref": "accidents-gu-bcn"}, auth=False)
    c("GET", "/api/v1/stats", auth=False)
    c("GET", "/api/v1/datasets/{ref}/stats", path={"ref": "accidents-gu-bcn"}, auth=False)
    c("GET", "/catalog.{suffix}", path={"suffix": "ttl"}, query={"page": 1}, auth=False)
    c("GET", "/health", auth=False)
    c("GET", "/health/live", auth=False)
    c("GET", "/health/ready", auth=False)

    # Publishing: an organisation, a dataset, a resource with a file, and a fresh ingest of it.
    org = {
        "name": "mobilitat",
        "title": {"ca": "Mobilitat", "es": "Movilidad", "en": "Mobility"},
        "homepage": "https://ajuntament.barcelona.cat/mobilitat/ca",
    }
    c("POST", "/api/v1/organizations", body=org)
    c(
        "PUT",
        "/api/v1/organizations/{ref}",
        path={"ref": "mobilitat"},
        body={**org, "email": "mobilitat@example.barcelona"},
    )
    c(
        "PATCH",
        "/api/v1/organizations/{ref}",
        path={"ref": "mobilitat"},
        body={"description": {"en": "Streets, transport and traffic."}},
    )
    c("GET", "/api/v1/organizations/{ref}/policy", path={"ref": "mobilitat"})
    c("PUT", "/api/v1/organizations/{ref}/policy", path={"ref": "mobilitat"}, body={"review_required": True})
    c(
        "POST",
        "/api/v1/users",
        body={
            "name": "marta",
            "password": "correct horse battery staple",
            "email": "marta@example.barcelona",
        },
    )
    c("GET", "/api/v1/users")
    c("PATCH", "/api/v1/users/{ref}", path={"ref": "marta"}, body={"sysadmin": False})
    c(
        "PUT",
        "/api/v1/organizations/{ref}/members/{user}",
        path={"ref": "mobilitat", "user": "marta"},
        body={"role": "editor"},
    )
    c("GET", "/api/v1/organizations/{ref}/members", path={"ref": "mobilitat"})
    dataset = {
        "name": "aparcaments",
        "title": {"ca": "Aparcaments", "es": "Aparcamientos", "en": "Car parks"},
        "description": {"ca": "Places d'aparcament públic.", "en": "Public car parks and their spaces."},
        "organization": "mobilitat",
        "state": "draft",
        "keywords": {"ca": ["aparcament"], "en": ["parking"]},
        "themes": ["TRAN"],
        "license": "CC_BY_4_0",
    }
    c("POST", "/api/v1/datasets", body=dataset)
    c("PUT", "/api/v1/datasets/{ref}", path={"ref": "aparcaments"}, body={**dataset, "frequency": "MONTHLY"})
    c(
        "PATCH",
        "/api/v1/datasets/{ref}",
        path={"ref": "aparcaments"},
        body={"keywords": {"es": ["aparcamiento"]}},
    )
    c("POST", "/api/v1/datasets/{ref}/transitions", path={"ref": "aparcaments"}, body={"action": "submit"})
    c(
        "POST",
        "/api/v1/datasets/{ref}/transitions",
        path={"ref": "aparcaments"},
        body={"action": "approve", "comment": "Checked with the mobility office."},
    )
    group = {
        "name": "transport",
        "title": {"ca": "Transport", "es": "Transporte", "en": "Transport"},
    }
    c("POST", "/api/v1/groups", body=group)
    c(
        "PUT",
        "/api/v1/groups/{ref}",
        path={"ref": "transport"},
        body={**group, "description": {"ca": "Com es mou la ciutat."}},
    )
    c(
        "PATCH",
        "/api/v1/groups/{ref}",
        path={"ref": "transport"},
        body={"description": {"en": "How the city moves."}},
    )
    in_group = {"ref": "transport", "dataset": "aparcaments"}
    c("PUT", "/api/v1/groups/{ref}/datasets/{dataset}", path=in_group)
    c("PUT", "/api/v1/groups/{ref}/datasets/{dataset}", path={**in_group, "dataset": "bicing-estacions"})
    c("GET", "/api/v1/groups", auth=False)
    c("GET", "/api/v1/groups/{ref}", path={"ref": "transport"}, auth=False)
    c("GET", "/api/v1/groups/{ref}/datasets", path={"ref": "transport"}, auth=False)
    c(
        "POST",
        "/api/v1/datasets/{ref}/resources",
        path={"ref": "aparcaments"},
        body={"name": "aparcaments-csv", "title": {"ca": "Aparcaments (CSV)"}, "format": "CSV"},
    )
    c(
        "PUT",
        "/api/v1/resources/{ref}",
        path={"ref": "aparcaments-csv"},
        body={
            "name": "aparcaments-csv",
            "title": {"ca": "Aparcaments (CSV)", "en": "Car parks (CSV)"},
            "format": "CSV",
        },
    )
    c(
        "PATCH",
        "/api/v1/resources/{ref}",
        path={"ref": "aparcaments-csv"},
        body={"description": {"en": "One row per car park."}},
    )
    # Version 1 names people's e-mail addresses: held back by the personal-data gate, then published
    # without them (version 2); version 3 renames a column (held until accepted); version 4 brings the
    # e-mail addresses back, published with a justification.
    people = "nom,districte,places,correu\n" + "".join(
        f"Aparcament {n},Sant Martí,{400 + n},gestor{n}@example.barcelona\n" for n in range(12)
    )
    rec.call(
        "POST",
        "/api/v1/resources/{ref}/upload",
        path={"ref": "aparcaments-csv"},
        files={"file": ("aparcaments.csv", people.encode(), "text/csv")},
    )
    rec.examples["resources_upload"]["request"] = {"file": "(aparcaments.csv, multipart/form-data)"}
    settle()
    v1 = {"resource": "aparcaments-csv", "number": 1}
    c("GET", "/api/v1/datastore/{resource}/versions/{number}/privacy", path=v1)
    c(
        "POST",
        "/api/v1/datastore/{resource}/versions/{number}/transform",
        path=v1,
        body={"plan": [{"op": "drop", "column": "correu"}]},
    )
    renamed = "nom,districte,capacitat\n" + "".join(
        f"Aparcament {n},Sant Martí,{400 + n}\n" for n in range(12)
    )
    rec.client.post(
        "/api/v1/resources/aparcaments-csv/upload",
        headers=rec.admin,
        files={"file": ("aparcaments.csv", renamed.encode(), "text/csv")},
    )
    settle()
    v3 = {"resource": "aparcaments-csv", "number": 3}
    c("GET", "/api/v1/datastore/{resource}/versions/{number}/schema", path=v3)
    c(
        "POST",
        "/api/v1/datastore/{resource}/versions/{number}/accept-schema",
        path=v3,
        body={"comment": "The mobility office now calls it capacitat."},
    )
    c(
        "GET",
        "/api/v1/datastore/{resource}/diff",
        path={"resource": "aparcaments-csv"},
        query={"from": 2, "to": 3, "key": "nom"},
    )
    queued = c(
        "POST",
        "/api/v1/datastore/{resource}/ingest",
        path={"resource": "aparcaments-csv"},
        body={"source": "upload"},
    )
    settle()
    c("GET", "/api/v1/jobs/{job_id}", path={"job_id": queued["job"]})
    contacts = "nom,districte,capacitat,correu\n" + "".join(
        f"Aparcament {n},Sant Martí,{400 + n},aparcament{n}@example.barcelona\n" for n in range(12)
    )
    rec.client.post(
        "/api/v1/resources/aparcaments-csv/upload",
        headers=rec.admin,
        files={"file": ("aparcaments.csv", contacts.encode(), "text/csv")},
    )
    settle()
    held = rec.client.get("/api/v1/datastore/aparcaments-csv/versions", headers=rec.admin).json()["data"][0]
    why = "Service addresses of the city's car parks, published by the city; they name no person."
    findings = rec.client.get(
        f"/api/v1/datastore/aparcaments-csv/versions/{held['number']}/privacy", headers=rec.admin
    ).json()["decision"]["blocking"]
    c(
        "POST",
        "/api/v1/datastore/{resource}/versions/{number}/override",
        path={"resource": "aparcaments-csv", "number": held["number"]},
        body={
            "overrides": [{"column": f["column"], "kind": f["kind"], "justification": why} for f in findings]
        },
    )
    c(
        "PATCH",
        "/api/v1/datastore/{resource}",
        path={"resource": "aparcaments-csv"},
        body={"statistics_about_people": False},
    )
    c("POST", "/api/v1/datasets/{ref}/links/check", path={"ref": "aparcaments"})
    c("POST", "/api/v1/quality/link-checks")

    # Machines: tokens, webhooks, the change feed, harvesting.
    c("POST", "/api/v1/tokens", body={"name": "nightly export", "scope": "read", "expires_in_days": 30})
    tokens = c("GET", "/api/v1/tokens")
    hook = {"url": "http://127.0.0.1:8080/hooks/obert", "dataset": "aparcaments"}  # in the allowlist
    made = c("POST", "/api/v1/subscriptions", body=hook)
    sid = {"subscription_id": made["id"]}
    c("GET", "/api/v1/subscriptions")
    c("GET", "/api/v1/subscriptions/{subscription_id}", path=sid)
    c("PATCH", "/api/v1/subscriptions/{subscription_id}", path=sid, body={"active": False})
    c("GET", "/api/v1/subscriptions/{subscription_id}/deliveries", path=sid)
    c("GET", "/api/v1/events", query={"limit": 2}, auth=False)
    source = {
        "name": "amb",
        "title": "Aparcaments de l'AMB",
        "type": "sql",
        "url": portal_url,
        "organization": "mobilitat",
        "every": "1d",
        "config": {"tables": ["aparcaments_amb"]},
    }
    c("POST", "/api/v1/harvest/sources", body=source)
    c("GET", "/api/v1/harvest/sources")
    c("GET", "/api/v1/harvest/sources/{ref}", path={"ref": "amb"})
    c("PATCH", "/api/v1/harvest/sources/{ref}", path={"ref": "amb"}, body={"every": "12h"})
    run = c("POST", "/api/v1/harvest/sources/{ref}/run", path={"ref": "amb"})
    settle()
    runs = c("GET", "/api/v1/harvest/sources/{ref}/runs", path={"ref": "amb"})
    run_id = runs[0]["id"] if runs else run.get("run")
    c("GET", "/api/v1/harvest/sources/{ref}/runs/{run_id}", path={"ref": "amb", "run_id": run_id})
    c("GET", "/api/v1/datasets/{ref}/harvest", path={"ref": "aparcaments"})
    c("GET", "/api/v1/audit", query={"limit": 2})
    c("GET", "/api/v1/audit/export.csv")
    c("GET", "/api/v1/audit/export.jsonl")

    # And away again.
    c("DELETE", "/api/v1/subscriptions/{subscription_id}", path=sid)
    c("DELETE", "/api/v1/tokens/{token_id}", path={"token_id": tokens[0]["id"]})
    c("DELETE", "/api/v1/harvest/sources/{ref}", path={"ref": "amb"})
    c("DELETE", "/api/v1/organizations/{ref}/members/{user}", path={"ref": "mobilitat", "user": "marta"})
    c("DELETE", "/api/v1/groups/{ref}/datasets/{dataset}", path=in_group)
    c("DELETE", "/api/v1/groups/{ref}", path={"ref": "transport"})
    c("DELETE", "/api/v1/resources/{ref}", path={"ref": "aparcaments-csv"})
    c("DELETE", "/api/v1/datasets/{ref}", path={"ref": "aparcaments"})
    for harvested in rec.client.get("/api/v1/datasets?organization=mobilitat", headers=rec.admin).json()[
        "data"
    ]:
        rec.client.delete(f"/api/v1/datasets/{harvested['name']}", headers=rec.admin)
    c("DELETE", "/api/v1/organizations/{ref}", path={"ref": "mobilitat"})


def _settle(store: Store) -> None:
    """Wait for the background jobs (ingests) to finish."""
    for _ in range(600):
        with store.read() as conn:
            active = conn.execute(sa.select(sa.func.count()).where(jobs.c.state.in_(ACTIVE_STATES))).scalar()
        if not active:
            return
        time.sleep(0.1)
    raise SystemExit("background jobs did not finish within a minute")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            mode="demo",
            data_dir=Path(tmp),
            base_url=BASE,
            rate_limits_enabled=False,
            http_allowlist="127.0.0.1",
            **catalog_settings(),
        )
        portal = build_portal(settings)
        load_demo(portal)
        create_user(store=portal.store, name="admin", password="correct horse battery", sysadmin=True)
        admin = {
            "Authorization": "Bearer "
            + create_token(store=portal.store, user_ref="admin", name="docs").secret
        }
        source_db = Path(tmp) / "amb.db"
        with sa.create_engine(f"sqlite:///{source_db}").begin() as conn:
            conn.execute(sa.text("CREATE TABLE aparcaments_amb (nom TEXT, municipi TEXT, places INTEGER)"))
            conn.execute(
                sa.text(
                    "INSERT INTO aparcaments_amb VALUES ('Can Zam', 'Santa Coloma', 350), "
                    "('Fondo', 'Santa Coloma', 210)"
                )
            )
        with TestClient(create_app(settings, portal=portal), base_url=BASE) as client:
            rec = Recorder(client, admin)
            record(rec, f"sqlite:///{source_db}", lambda: _settle(portal.store))
        portal.close()
        missing = sorted(set(OPERATION_IDS.values()) - set(rec.examples))
        # The temporary folder's name changes at every run; examples show a stable one.
        text = json.dumps(dict(sorted(rec.examples.items())), ensure_ascii=False, indent=1) + "\n"
        EXAMPLES.write_text(text.replace(tmp, "/srv/obert"), encoding="utf-8")
    print(f"{len(rec.examples)} examples written to {EXAMPLES}; without one: {', '.join(missing) or 'none'}")


if __name__ == "__main__":
    main()
