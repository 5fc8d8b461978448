"""Build obert/catalog/vocabularies/*.json from third-party vocabulary files. Run once, by hand.

    .venv/bin/python scripts/build_vocabularies.py /path/to/shared/data/vocabularies

Neither obert nor its tests run this script or read its inputs. The inputs are the EU Publications Office
authority tables (2022 snapshot, reusable under CC BY 4.0), the data.europa.eu MQA format lists, the
NTI-RISP sector and territory taxonomies of datos.gob.es (CC BY 4.0) and the IANA media-types registry.
Catalan labels, the sector to EU theme mapping, ISO 8601 durations and the media types the EU table lacks
are written here by hand; the sector mapping and Catalan sector names restate datos.gob.es' published ones.

The Publications Office puts an ``OP_DATPRO`` ("provisional data") placeholder in every table; it is not a
value a dataset can meaningfully carry, so it is left out of every vocabulary.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

AT = Namespace("http://publications.europa.eu/ontology/authority/")
DC = Namespace("http://purl.org/dc/elements/1.1/")
EU = "http://publications.europa.eu/resource/authority/"
OUT = Path(__file__).resolve().parent.parent / "obert" / "catalog" / "vocabularies"
SKIP = {"OP_DATPRO"}

THEME_CA = {
    "AGRI": "Agricultura, pesca, silvicultura i alimentació",
    "ECON": "Economia i finances",
    "EDUC": "Educació, cultura i esport",
    "ENER": "Energia",
    "ENVI": "Medi ambient",
    "GOVE": "Govern i sector públic",
    "HEAL": "Salut",
    "INTR": "Assumptes internacionals",
    "JUST": "Justícia, sistema jurídic i seguretat pública",
    "REGI": "Regions i ciutats",
    "SOCI": "Població i societat",
    "TECH": "Ciència i tecnologia",
    "TRAN": "Transport",
}

# code: (ca, en, EU data theme), as published by datos.gob.es for its sector taxonomy.
SECTORS = {
    "ciencia-tecnologia": ("Ciència i tecnologia", "Science and technology", "TECH"),
    "comercio": ("Comerç", "Commerce", "ECON"),
    "cultura-ocio": ("Cultura i lleure", "Culture and leisure", "EDUC"),
    "demografia": ("Demografia", "Demography", "SOCI"),
    "deporte": ("Esport", "Sport", "EDUC"),
    "economia": ("Economia", "Economy", "ECON"),
    "educacion": ("Educació", "Education", "EDUC"),
    "empleo": ("Ocupació", "Employment", "ECON"),
    "energia": ("Energia", "Energy", "ENER"),
    "hacienda": ("Hisenda", "Treasury", "GOVE"),
    "industria": ("Indústria", "Industry", "ECON"),
    "legislacion-justicia": ("Legislació i justícia", "Legislation and justice", "JUST"),
    "medio-ambiente": ("Medi ambient", "Environment", "ENVI"),
    "medio-rural-pesca": ("Medi rural", "Rural environment", "AGRI"),
    "salud": ("Salut", "Health", "HEAL"),
    "sector-publico": ("Sector públic", "Public sector", "GOVE"),
    "seguridad": ("Seguretat", "Security", "JUST"),
    "sociedad-bienestar": ("Societat i benestar", "Society and welfare", "SOCI"),
    "transporte": ("Transport", "Transport", "TRAN"),
    "turismo": ("Turisme", "Tourism", "ECON"),
    "urbanismo-infraestructuras": (
        "Urbanisme i infraestructures",
        "Town planning and infrastructures",
        "REGI",
    ),
    "vivienda": ("Habitatge", "Housing", "REGI"),
}

# code: (ca, ISO 8601 duration or None). Months have no fixed length, so "twice/three times a month" get none.
FREQUENCIES = {
    "ANNUAL": ("anual", "P1Y"),
    "ANNUAL_2": ("semestral", "P6M"),
    "ANNUAL_3": ("quadrimestral", "P4M"),
    "BIDECENNIAL": ("cada vint anys", "P20Y"),
    "BIENNIAL": ("biennal", "P2Y"),
    "BIHOURLY": ("cada dues hores", "PT2H"),
    "BIMONTHLY": ("bimestral", "P2M"),
    "BIWEEKLY": ("quinzenal", "P2W"),
    "CONT": ("continu", None),
    "DAILY": ("diari", "P1D"),
    "DAILY_2": ("dues vegades al dia", "PT12H"),
    "DECENNIAL": ("decennal", "P10Y"),
    "HOURLY": ("cada hora", "PT1H"),
    "IRREG": ("irregular", None),
    "MONTHLY": ("mensual", "P1M"),
    "MONTHLY_2": ("dues vegades al mes", None),
    "MONTHLY_3": ("tres vegades al mes", None),
    "NEVER": ("mai", None),
    "OTHER": ("altre", None),
    "QUADRENNIAL": ("quadriennal", "P4Y"),
    "QUARTERLY": ("trimestral", "P3M"),
    "QUINQUENNIAL": ("quinquennal", "P5Y"),
    "TRIDECENNIAL": ("cada trenta anys", "P30Y"),
    "TRIENNIAL": ("triennal", "P3Y"),
    "TRIHOURLY": ("cada tres hores", "PT3H"),
    "UNKNOWN": ("desconegut", None),
    "UPDATE_CONT": ("actualització contínua", None),
    "WEEKLY": ("setmanal", "P1W"),
    "WEEKLY_2": ("dues vegades per setmana", "PT84H"),
    "WEEKLY_3": ("tres vegades per setmana", "PT56H"),
}

ACCESS_CA = {
    "PUBLIC": "públic",
    "RESTRICTED": "restringit",
    "NON_PUBLIC": "no públic",
    "CONFIDENTIAL": "confidencial",
    "SENSITIVE": "sensible",
}

LANGUAGES_CA = {
    "CAT": "català",
    "SPA": "castellà",
    "ENG": "anglès",
    "EUS": "basc",
    "GLG": "gallec",
    "FRA": "francès",
    "DEU": "alemany",
    "ITA": "italià",
    "POR": "portuguès",
    "OCI": "occità",
    "MUL": "diverses llengües",
}

LICENCES = [
    "CC0",
    "CC_PDM_1_0",
    "CC_BY_4_0",
    "CC_BYSA_4_0",
    "CC_BYND_4_0",
    "CC_BYNC_4_0",
    "CC_BYNCSA_4_0",
    "CC_BYNCND_4_0",
    "CC_BY_3_0",
    "CC_BYSA_3_0",
    "CC_BYND_3_0",
    "CC_BYNC_3_0",
    "CC_BYNCSA_3_0",
    "CC_BYNCND_3_0",
    "CC_BY_2_5",
    "CC_BY_2_0",
    "ODC_BY",
    "ODC_BL",
    "ODC_PDDL",
    "OGL_3_0",
    "OGL_2_0",
    "OGL_1_0",
    "OGL_NC",
    "ETALAB_2_0",
    "IODL_2_0",
    "IODL_1_0",
    "DLDE_BY_2_0",
    "DLDE_ZERO_2_0",
    "NLOD_2_0",
    "HROD",
    "COM_REUSE",
    "EUPL_1_2",
    "EUPL_1_1",
    "ISA_OML_1_1",
    "GPL_3_0",
    "AGPL_3_0",
    "LGPL_3_0",
    "MIT",
    "APACHE_2_0",
    "BSD_3_CLAUSE",
    "BSD_2_CLAUSE",
    "MPL_2_0",
]
LICENCE_CA = {
    "CC0": "Creative Commons CC0 1.0 Universal",
    "CC_PDM_1_0": "Marca de domini públic 1.0",
    "COM_REUSE": "Avís de reutilització de la Comissió Europea",
    "EUPL_1_2": "Llicència Pública de la Unió Europea v1.2",
    "EUPL_1_1": "Llicència Pública de la Unió Europea v1.1",
    "OGL_NC": "Llicència governamental no comercial (Regne Unit)",
}
CC_PARTS = {
    "BY": "Reconeixement",
    "BYSA": "Reconeixement-CompartirIgual",
    "BYND": "Reconeixement-SenseObraDerivada",
    "BYNC": "Reconeixement-NoComercial",
    "BYNCSA": "Reconeixement-NoComercial-CompartirIgual",
    "BYNCND": "Reconeixement-NoComercial-SenseObraDerivada",
}
CC_PORTS = {
    "4_0": "4.0 Internacional",
    "3_0": "3.0 No adaptada",
    "2_5": "2.5 Genèrica",
    "2_0": "2.0 Genèrica",
}
# The 2022 table points DLDE_ZERO_2_0 at the by-2-0 licence page; this is its own page.
LICENCE_URL_FIX = {"DLDE_ZERO_2_0": ["https://www.govdata.de/dl-de/zero-2-0"]}

# Media types for file types whose EU entry has none: the datos.gob.es / IANA one. Checked against the
# IANA registry below, except x- types and RSS, which everyone uses and IANA never registered.
MEDIA_TYPES = {
    "7Z": "application/x-7z-compressed",
    "ATOM": "application/atom+xml",
    "BZIP2": "application/x-bzip2",
    "DWG": "image/vnd.dwg",
    "DXF": "image/vnd.dxf",
    "GEOTIFF": "image/tiff",
    "GML": "application/gml+xml",
    "ICS": "text/calendar",
    "JPEG2000": "image/jp2",
    "JSON": "application/json",
    "JSON_LD": "application/ld+json",
    "KML": "application/vnd.google-earth.kml+xml",
    "KMZ": "application/vnd.google-earth.kmz",
    "MBOX": "application/mbox",
    "MPEG4": "video/mp4",
    "N3": "text/n3",
    "ODB": "application/vnd.oasis.opendocument.base",
    "ODC": "application/vnd.oasis.opendocument.chart",
    "ODF": "application/vnd.oasis.opendocument.formula",
    "ODG": "application/vnd.oasis.opendocument.graphics",
    "ODP": "application/vnd.oasis.opendocument.presentation",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "PS": "application/postscript",
    "RAR": "application/vnd.rar",
    "RDF_N_QUADS": "application/n-quads",
    "RDF_TRIG": "application/trig",
    "RSS": "application/rss+xml",
    "SHP": "application/x-zipped-shp",
    "SQL": "application/sql",
    "SVG": "image/svg+xml",
    "TSV": "text/tab-separated-values",
    "XLIFF": "application/xliff+xml",
    "XLSB": "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
    "XLSM": "application/vnd.ms-excel.sheet.macroEnabled.12",
    "XZ": "application/x-xz",
    "YAML": "application/yaml",
}
# Which format a media type claimed by several formats stands for.
MEDIA_TYPE_OWNER = {
    "application/xml": "XML",
    "application/pdf": "PDF",
    "application/octet-stream": "OCTET",
    "application/vnd.ms-powerpoint": "PPT",
    "image/tiff": "TIFF",
    "application/postscript": "PS",
    "application/zip": "ZIP",
    "text/html": "HTML",
    "application/rdf+xml": "RDF_XML",
    "application/xhtml+xml": "XHTML",
}
# Other spellings seen in the wild (datos.gob.es' format list, CKAN portals) for the same format.
MEDIA_TYPE_ALIASES = {
    "CSV": ["application/csv", "text/x-csv"],
    "GEOJSON": ["application/vnd.geo+json"],
    "JSON": ["application/x-json", "text/json"],
    "N3": ["text/rdf+n3"],
    "RDF_TURTLE": ["application/x-turtle"],
    "XML": ["text/xml"],
    "ZIP": ["application/x-zip-compressed"],
}
PARQUET = {
    "code": "PARQUET",
    "uri": EU + "file-type/PARQUET",
    "label": {"ca": "Parquet", "es": "Parquet", "en": "Parquet"},
    "media_type": "application/vnd.apache.parquet",
    "media_type_aliases": [],
    "extensions": ["parquet"],
    "machine_readable": False,
    "non_proprietary": False,
    "deprecated": False,
    "media_type_primary": True,
}

TERRITORY_LABELS = {
    "Pais/España": {"ca": "Espanya", "es": "España", "en": "Spain"},
    "Autonomia/Cataluna": {"ca": "Catalunya", "es": "Cataluña", "en": "Catalonia"},
    "Provincia/Barcelona": {"ca": "Barcelona", "es": "Barcelona", "en": "Barcelona"},
}


def load(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path)
    return graph


def label(graph: Graph, node: URIRef, lang: str) -> str | None:
    for value in graph.objects(node, SKOS.prefLabel):
        if getattr(value, "language", None) == lang:
            return str(value)
    return None


def mapped(graph: Graph, node: URIRef) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code in graph.objects(node, AT["op-mapped-code"]):
        out.setdefault(str(graph.value(code, DC.source)), []).append(
            str(graph.value(code, AT["legacy-code"]))
        )
    return out


def eu_concepts(graph: Graph, *, keep_deprecated: bool = False) -> list[tuple[str, URIRef]]:
    found = []
    for node in graph.subjects(RDF.type, SKOS.Concept):
        code = str(node).rsplit("/", 1)[-1]
        if code in SKIP or (not keep_deprecated and str(graph.value(node, AT.deprecated)) == "true"):
            continue
        found.append((code, node))
    return sorted(found)


def write(name: str, scheme: str, title: dict[str, str], concepts: list[dict[str, Any]]) -> None:
    head = json.dumps({"scheme": scheme, "title": title}, ensure_ascii=False)[:-1]
    lines = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in concepts]
    (OUT / f"{name}.json").write_text(
        head + ',"concepts":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8"
    )
    print(f"{name}: {len(concepts)}")


def data_themes(src: Path) -> None:
    graph = load(src / "eu/data-theme.ttl")
    concepts = [
        {
            "code": code,
            "uri": str(node),
            "label": {"ca": THEME_CA[code], "es": label(graph, node, "es"), "en": label(graph, node, "en")},
        }
        for code, node in eu_concepts(graph)
    ]
    write(
        "data-theme",
        EU + "data-theme",
        {"ca": "Temes de dades", "es": "Temas de datos", "en": "Data themes"},
        concepts,
    )


def sectors(src: Path) -> None:
    graph = load(src / "es/nti-risp_vocab_sector.ttl")
    scheme = "http://datos.gob.es/kos/sector-publico/sector"
    concepts = []
    for node in sorted(graph.subjects(RDF.type, SKOS.Concept)):
        code = str(node).rsplit("/", 1)[-1]
        ca, en, theme = SECTORS[code]
        concepts.append(
            {
                "code": code,
                "uri": str(node),
                "label": {"ca": ca, "es": label(graph, node, "es"), "en": en},
                "eu_theme": theme,
            }
        )
    assert len(concepts) == len(SECTORS)
    write(
        "sector",
        scheme,
        {"ca": "Sectors primaris", "es": "Sectores primarios", "en": "Primary sectors"},
        concepts,
    )


def frequencies(src: Path) -> None:
    graph = load(src / "eu/frequency.ttl")
    concepts = []
    for code, node in eu_concepts(graph):
        ca, duration = FREQUENCIES[code]
        concepts.append(
            {
                "code": code,
                "uri": str(node),
                "label": {"ca": ca, "es": label(graph, node, "es"), "en": label(graph, node, "en")},
                "iso8601": duration,
            }
        )
    assert len(concepts) == len(FREQUENCIES)
    write(
        "frequency",
        EU + "frequency",
        {"ca": "Freqüències", "es": "Frecuencias", "en": "Frequencies"},
        concepts,
    )


def access_rights(src: Path) -> None:
    graph = load(src / "eu/access-right.ttl")
    concepts = [
        {
            "code": code,
            "uri": str(node),
            "label": {"ca": ACCESS_CA[code], "es": label(graph, node, "es"), "en": label(graph, node, "en")},
        }
        for code, node in eu_concepts(graph)
    ]
    write(
        "access-right",
        EU + "access-right",
        {"ca": "Drets d'accés", "es": "Derechos de acceso", "en": "Access rights"},
        concepts,
    )


def languages(src: Path) -> None:
    graph = load(src / "eu/language-filtered.ttl")
    concepts = []
    for code, ca in LANGUAGES_CA.items():
        node = URIRef(EU + "language/" + code)
        iso = mapped(graph, node).get("iso-639-1", [None])[0]
        concepts.append(
            {
                "code": code,
                "uri": str(node),
                "label": {"ca": ca, "es": label(graph, node, "es"), "en": label(graph, node, "en")},
                "iso639_1": iso,
            }
        )
    write("language", EU + "language", {"ca": "Llengües", "es": "Lenguas", "en": "Languages"}, concepts)


def cc_catalan(code: str) -> str | None:
    parts = code.split("_", 2)
    if len(parts) == 3 and parts[0] == "CC" and parts[1] in CC_PARTS and parts[2] in CC_PORTS:
        return f"Creative Commons {CC_PARTS[parts[1]]} {CC_PORTS[parts[2]]}"
    return None


def licences(src: Path) -> None:
    graph = load(src / "eu/licence.ttl")
    concepts = []
    for code in LICENCES:
        node = URIRef(EU + "licence/" + code)
        en = label(graph, node, "en")
        assert en, code
        assert str(graph.value(node, AT.deprecated)) == "false", code
        es = label(graph, node, "es") or en
        ca = LICENCE_CA.get(code) or cc_catalan(code) or en
        urls = LICENCE_URL_FIX.get(code) or sorted(str(o) for o in graph.objects(node, SKOS.exactMatch))
        # Both schemes are in use for the same Creative Commons / Open Data Commons page.
        for url in list(urls):
            if url.startswith("http://") and ("creativecommons.org" in url or "opendatacommons.org" in url):
                urls.append("https://" + url[len("http://") :])
        concepts.append(
            {"code": code, "uri": str(node), "label": {"ca": ca, "es": es, "en": en}, "exact_match": urls}
        )
    write("licence", EU + "licence", {"ca": "Llicències", "es": "Licencias", "en": "Licences"}, concepts)


def edp_list(path: Path) -> set[str]:
    graph = load(path)
    return {str(s).rsplit("/", 1)[-1] for s in graph.subjects() if isinstance(s, URIRef)}


def iana_types(src: Path) -> set[str]:
    with (src / "iana/iana-media-types.csv").open(encoding="utf-8", newline="") as handle:
        return {row["template"].lower() for row in csv.DictReader(handle)}


def file_types(src: Path) -> None:
    graph = load(src / "eu/file-type.ttl")
    readable = edp_list(src / "mqa/edp-machine-readable-format.rdf")
    open_formats = edp_list(src / "mqa/edp-non-proprietary-format.rdf")
    registered = iana_types(src)
    for media_type in MEDIA_TYPES.values():
        assert media_type.lower() in registered or "/x-" in media_type or "rss" in media_type, media_type
    concepts: list[dict[str, Any]] = []
    for code, node in eu_concepts(graph, keep_deprecated=True):
        codes = mapped(graph, node)
        # Some EU entries carry only a parameterised type (application/pdf;type=pdf1x); a download's
        # Content-Type carries the bare one.
        bare = sorted({t.split(";")[0].strip().lower() for t in codes.get("mime-type-cellar", [])})
        media_type = MEDIA_TYPES.get(code) or next(
            (t for t in bare if t in registered), bare[0] if bare else None
        )
        extensions = sorted(
            {e.lstrip(".").lower() for x in codes.get("file-extension", []) for e in x.split()}
        )
        en = label(graph, node, "en") or code
        es = label(graph, node, "es") or en
        concepts.append(
            {
                "code": code,
                "uri": str(node),
                "label": {"ca": en, "es": es, "en": en},
                "media_type": media_type,
                "media_type_aliases": MEDIA_TYPE_ALIASES.get(code, []),
                "extensions": extensions,
                "machine_readable": code in readable,
                "non_proprietary": code in open_formats,
                "deprecated": str(graph.value(node, AT.deprecated)) == "true",
            }
        )
    concepts.append(dict(PARQUET))
    concepts.sort(key=lambda c: str(c["code"]))
    claimants: dict[str, list[str]] = {}
    for concept in concepts:
        if concept["media_type"] and not concept["deprecated"]:
            claimants.setdefault(concept["media_type"], []).append(concept["code"])
    shared = {t: c for t, c in claimants.items() if len(c) > 1 and t not in MEDIA_TYPE_OWNER}
    assert not shared, shared
    for concept in concepts:
        owners = claimants.get(concept["media_type"] or "", [])
        if len(owners) > 1:
            assert concept["media_type"] in MEDIA_TYPE_OWNER, (concept["media_type"], owners)
        # Several formats share a media type (TMX and XML are both application/xml); the one a bare
        # media type should resolve to is marked, so lookups need no guessing at run time.
        concept["media_type_primary"] = concept["code"] in owners and (
            len(owners) == 1 or MEDIA_TYPE_OWNER.get(concept["media_type"]) == concept["code"]
        )
    write(
        "file-type",
        EU + "file-type",
        {"ca": "Tipus de fitxer", "es": "Tipos de archivo", "en": "File types"},
        concepts,
    )


def territories(src: Path) -> None:
    graph = load(src / "es/nti-risp_vocab_territorio.ttl")
    scheme = "http://datos.gob.es/kos/sector-publico/territorio"
    concepts = []
    for node in graph.subjects(RDF.type, SKOS.Concept):
        # Autonomia/Cantabria and Provincia/Cantabria share a last segment, so the code keeps the level.
        level, name = str(node).rsplit("/", 2)[-2:]
        code = f"{level}/{name}"
        es = label(graph, node, "es")
        assert es, code
        broader = graph.value(node, SKOS.broader)
        concepts.append(
            {
                "code": code,
                "uri": str(node),
                "label": TERRITORY_LABELS.get(code, {"ca": es, "es": es, "en": es}),
                "level": level,
                "broader": "/".join(str(broader).rsplit("/", 2)[-2:]) if broader else None,
            }
        )
    order = {"Pais": 0, "Autonomia": 1, "Provincia": 2}
    concepts.sort(key=lambda c: (order[c["level"]], c["code"]))
    write("territory", scheme, {"ca": "Territoris", "es": "Territorios", "en": "Territories"}, concepts)


def main(src: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for build in (
        data_themes,
        sectors,
        frequencies,
        access_rights,
        languages,
        licences,
        file_types,
        territories,
    ):
        build(src)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
