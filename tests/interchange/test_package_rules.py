"""Data Package in, further: number formats (decimalChar, groupChar), booleans and missing values as the
package writes them, the common constraints (enum, minimum, maximum, pattern) reported cell by cell in the
reader's language, and a package added to an existing dataset as new versions of its tables."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import httpx

from tests.interchange.conftest import Live


def _zip(descriptor: dict[str, Any], files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("datapackage.json", json.dumps(descriptor))
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _upload(live: Live, body: bytes, lang: str = "en", **data: str) -> httpx.Response:
    return httpx.post(
        f"{live.url}/api/v1/datapackages/upload",
        files={"file": ("package.zip", body, "application/zip")},
        data=data,
        headers={**live.admin, "Accept-Language": lang},
        timeout=60,
    )


SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "codi", "type": "string", "constraints": {"required": True, "pattern": "[A-Z]{2}[0-9]{2}"}},
        {"name": "districte", "type": "string", "constraints": {"enum": ["Gràcia", "Sants-Montjuïc"]}},
        {"name": "import", "type": "number", "decimalChar": ",", "groupChar": ".",
         "constraints": {"minimum": 0, "maximum": 10000}},
        {"name": "persones", "type": "integer", "groupChar": " ", "constraints": {"minimum": 1}},
        {"name": "obert", "type": "boolean", "trueValues": ["sí"], "falseValues": ["no"]},
        {"name": "dia", "type": "date", "constraints": {"minimum": "2018-01-01"}},
    ],
    "missingValues": ["", "-"],
    "primaryKey": ["codi"],
}  # fmt: skip


def _package(name: str, csv: bytes, schema: dict[str, Any] | None = None) -> bytes:
    resource = {"name": name, "path": "t.csv", "schema": schema or SCHEMA, "dialect": {"delimiter": ";"}}
    return _zip({"name": name, "resources": [resource]}, {"t.csv": csv})


def test_numbers_booleans_and_missing_values_as_the_package_writes_them(live: Live) -> None:
    csv = (
        "codi;districte;import;persones;obert;dia\n"
        "AB01;Gràcia;1.234,5;1 200;sí;2018-03-01\n"
        "AB02;Sants-Montjuïc;-;7;no;-\n"
    ).encode()
    response = _upload(live, _package("formats-declarats", csv), name="formats-declarats")
    assert response.status_code == 201, response.text
    rows = live.get("/api/v1/datastore/formats-declarats/rows").json()["data"]
    assert rows[0] == {
        "codi": "AB01", "districte": "Gràcia", "import": 1234.5, "persones": 1200, "obert": True,
        "dia": "2018-03-01",
    }  # fmt: skip
    assert rows[1]["import"] is None and rows[1]["dia"] is None and rows[1]["obert"] is False


def test_a_fields_own_missing_values_replace_the_resources(live: Live) -> None:
    schema = {
        "fields": [
            {"name": "codi", "type": "string"},
            {"name": "import", "type": "number", "missingValues": ["", "n/d"]},  # Data Package v2
            {"name": "nota", "type": "string"},
        ],
        "missingValues": ["", "-"],
    }
    csv = b"codi;import;nota\nAB01;n/d;-\nAB02;7;n/d\n"
    response = _upload(live, _package("buits-propis", csv, schema), name="buits-propis")
    assert response.status_code == 201, response.text
    rows = live.get("/api/v1/datastore/buits-propis/rows").json()["data"]
    assert [(r["import"], r["nota"]) for r in rows] == [(None, None), (7, "n/d")]
    # "-" is missing for the resource's other fields, not in `import`, whose list replaces the resource's.
    broken = b"codi;import;nota\nAB01;-;x\n"
    refused = _upload(live, _package("buits-trencats", broken, schema), name="buits-trencats")
    assert refused.status_code == 422 and "import" in refused.json()["errors"][0]["field"]


def test_constraints_are_reported_cell_by_cell_in_the_readers_language(live: Live) -> None:
    csv = (
        "codi;districte;import;persones;obert;dia\n"
        "AB01;Gràcia;10,5;3;sí;2018-03-01\n"
        "ab02;Gràcia;1,0;3;sí;2018-03-01\n"
        "AB03;Horta;1,0;3;sí;2018-03-01\n"
        "AB04;Gràcia;-3,0;3;sí;2018-03-01\n"
        "AB05;Gràcia;20.000,0;0;sí;2017-12-31\n"
    ).encode()
    response = _upload(live, _package("regles-trencades", csv), lang="es", name="regles-trencades")
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "regles-trencades, fila 3, campo codi",
         "message": "'ab02' no coincide con el patrón [A-Z]{2}[0-9]{2}"},
        {"field": "regles-trencades, fila 4, campo districte",
         "message": "'Horta' no es uno de los valores permitidos (Gràcia, Sants-Montjuïc)"},
        {"field": "regles-trencades, fila 5, campo import",
         "message": "'-3,0' está por debajo del mínimo, 0"},
        {"field": "regles-trencades, fila 6, campo import",
         "message": "'20.000,0' está por encima del máximo, 10000"},
        {"field": "regles-trencades, fila 6, campo persones", "message": "'0' está por debajo del mínimo, 1"},
        {"field": "regles-trencades, fila 6, campo dia",
         "message": "'2017-12-31' está por debajo del mínimo, 2018-01-01"},
    ]  # fmt: skip
    assert live.get("/api/v1/datasets/regles-trencades").status_code == 404


def test_rules_that_make_no_sense_are_refused(live: Live) -> None:
    for field, where in (
        ({"name": "x", "type": "integer", "constraints": {"minimum": "molts"}}, "constraints.minimum"),
        ({"name": "x", "type": "string", "constraints": {"pattern": "(["}}, "constraints.pattern"),
        ({"name": "x", "type": "number", "decimalChar": ",", "groupChar": ","}, "groupChar"),
    ):
        body = _package("sense-sentit", b"x\n1\n", {"fields": [field]})
        response = _upload(live, body, name="sense-sentit")
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"].endswith(where)


def test_a_package_added_to_an_existing_dataset_makes_new_versions(live: Live) -> None:
    first = "codi;districte;import;persones;obert;dia\nAB01;Gràcia;1,5;2;sí;2018-03-01\n".encode()
    created = _upload(live, _package("versions-paquet", first), name="versions-paquet")
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    second = (
        "codi;districte;import;persones;obert;dia\n"
        "AB01;Gràcia;1,5;2;sí;2018-03-01\nAB02;Gràcia;2,5;4;no;2018-03-02\n"
    ).encode()
    extra = {
        "name": "versions-paquet-nova",
        "path": "n.csv",
        "schema": {"fields": [{"name": "a", "type": "string"}]},
    }
    descriptor = {
        "name": "versions-paquet",
        "resources": [
            {"name": "versions-paquet", "path": "t.csv", "schema": SCHEMA, "dialect": {"delimiter": ";"}},
            extra,
        ],
    }
    added = _upload(live, _zip(descriptor, {"t.csv": second, "n.csv": b"a\n01\n"}), dataset="versions-paquet")
    assert added.status_code == 200, added.text
    body = added.json()
    assert body["id"] == dataset_id
    assert [(t["resource"], t["version"], t["rows"], t["created"]) for t in body["tables"]] == [
        ("versions-paquet", 2, 2, False),
        ("versions-paquet-nova", 1, 1, True),
    ]
    versions = live.get("/api/v1/datastore/versions-paquet/versions").json()["data"]
    assert [v["number"] for v in versions] == [2, 1]
    resources = live.get("/api/v1/datasets/versions-paquet").json()["resources"]
    assert [r["name"] for r in resources] == ["versions-paquet", "versions-paquet-nova"]
    # Data that breaks the schema changes nothing, and an unknown dataset is a 404.
    broken = "codi;districte;import;persones;obert;dia\nab;Gràcia;1;1;sí;2018-03-01\n".encode()
    refused = _upload(live, _package("versions-paquet", broken), dataset="versions-paquet")
    assert refused.status_code == 422
    assert [v["number"] for v in live.get("/api/v1/datastore/versions-paquet/versions").json()["data"]] == [
        2,
        1,
    ]
    assert _upload(live, _package("x", first), dataset="no-existeix").status_code == 404
    by_url = httpx.post(
        f"{live.url}/api/v1/datapackages",
        json={"url": f"{live.url}/dataset/versions-paquet/datapackage.json", "dataset": "versions-paquet"},
        headers=live.admin,
        timeout=60,
    )
    assert by_url.status_code == 200, by_url.text
    assert {t["created"] for t in by_url.json()["tables"]} == {False}
