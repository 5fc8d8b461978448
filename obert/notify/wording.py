"""What changed, in Catalan, Spanish and English: field names and one sentence per kind of event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from obert.i18n import pick
from obert.types import LANGS, Lang

FIELD_LABELS: dict[str, dict[Lang, str]] = {
    "name": {"ca": "nom", "es": "nombre", "en": "name"},
    "title": {"ca": "títol", "es": "título", "en": "title"},
    "description": {"ca": "descripció", "es": "descripción", "en": "description"},
    "organization": {"ca": "publicador", "es": "publicador", "en": "publisher"},
    "state": {"ca": "estat", "es": "estado", "en": "state"},
    "visibility": {"ca": "visibilitat", "es": "visibilidad", "en": "visibility"},
    "keywords": {"ca": "paraules clau", "es": "palabras clave", "en": "keywords"},
    "themes": {"ca": "temes", "es": "temas", "en": "themes"},
    "sectors": {"ca": "sectors", "es": "sectores", "en": "sectors"},
    "license": {"ca": "llicència", "es": "licencia", "en": "licence"},
    "access_rights": {"ca": "drets d'accés", "es": "derechos de acceso", "en": "access rights"},
    "frequency": {"ca": "freqüència", "es": "frecuencia", "en": "update frequency"},
    "temporal": {"ca": "període cobert", "es": "periodo cubierto", "en": "period covered"},
    "spatial": {"ca": "àmbit geogràfic", "es": "ámbito geográfico", "en": "area covered"},
    "languages": {"ca": "idiomes", "es": "idiomas", "en": "languages"},
    "language": {"ca": "idioma", "es": "idioma", "en": "language"},
    "issued": {"ca": "data de publicació", "es": "fecha de publicación", "en": "publication date"},
    "modified": {"ca": "data d'actualització", "es": "fecha de actualización", "en": "modification date"},
    "landing_page": {"ca": "pàgina web", "es": "página web", "en": "landing page"},
    "contact_point": {"ca": "contacte", "es": "contacto", "en": "contact"},
    "conforms_to": {"ca": "normes", "es": "normas", "en": "standards"},
    "version": {"ca": "versió", "es": "versión", "en": "version"},
    "version_notes": {"ca": "notes de versió", "es": "notas de versión", "en": "version notes"},
    "provenance": {"ca": "procedència", "es": "procedencia", "en": "provenance"},
    "extras": {"ca": "camps addicionals", "es": "campos adicionales", "en": "extra fields"},
    "format": {"ca": "format", "es": "formato", "en": "format"},
    "media_type": {"ca": "tipus de contingut", "es": "tipo de contenido", "en": "media type"},
    "access_url": {"ca": "URL d'accés", "es": "URL de acceso", "en": "access URL"},
    "download_url": {"ca": "URL de descàrrega", "es": "URL de descarga", "en": "download URL"},
    "byte_size": {"ca": "mida", "es": "tamaño", "en": "size"},
    "checksum": {"ca": "suma de control", "es": "suma de verificación", "en": "checksum"},
    "upload": {"ca": "fitxer", "es": "fichero", "en": "file"},
}

# {title} is the dataset's title, {resource} the resource's, {fields} the changed fields' labels.
SENTENCES: dict[str, dict[Lang, str]] = {
    "dataset.created": {
        "ca": "Nou conjunt de dades: {title}",
        "es": "Nuevo conjunto de datos: {title}",
        "en": "New dataset: {title}",
    },
    "dataset.updated": {
        "ca": "{title}: canvis a {fields}",
        "es": "{title}: cambios en {fields}",
        "en": "{title}: changed {fields}",
    },
    "dataset.published": {
        "ca": "{title} s'ha publicat",
        "es": "{title} se ha publicado",
        "en": "{title} has been published",
    },
    "dataset.withdrawn": {
        "ca": "{title} s'ha retirat",
        "es": "{title} se ha retirado",
        "en": "{title} has been withdrawn",
    },
    "dataset.deleted": {
        "ca": "{title} s'ha esborrat",
        "es": "{title} se ha eliminado",
        "en": "{title} has been deleted",
    },
    "resource.added": {
        "ca": "{title}: nou recurs {resource}",
        "es": "{title}: nuevo recurso {resource}",
        "en": "{title}: new resource {resource}",
    },
    "resource.changed": {
        "ca": "{title}: canvis al recurs {resource} ({fields})",
        "es": "{title}: cambios en el recurso {resource} ({fields})",
        "en": "{title}: resource {resource} changed ({fields})",
    },
    "resource.removed": {
        "ca": "{title}: s'ha tret el recurs {resource}",
        "es": "{title}: se ha quitado el recurso {resource}",
        "en": "{title}: resource {resource} removed",
    },
    "resource.uploaded": {
        "ca": "{title}: nou fitxer per a {resource}",
        "es": "{title}: nuevo fichero para {resource}",
        "en": "{title}: new file uploaded for {resource}",
    },
    "resource.version": {
        "ca": "{title}: nova versió de les dades de {resource}",
        "es": "{title}: nueva versión de los datos de {resource}",
        "en": "{title}: new version of the data in {resource}",
    },
}

SCHEMA_CHANGED: dict[Lang, str] = {
    "ca": "columnes canviades: {columns}",
    "es": "columnas cambiadas: {columns}",
    "en": "columns changed: {columns}",
}


# How a column changed, after its name in a version's summary: "zqa (removed)".
CHANGE_LABELS: dict[str, dict[Lang, str]] = {
    "added": {"ca": "afegida", "es": "añadida", "en": "added"},
    "dropped": {"ca": "suprimida", "es": "suprimida", "en": "removed"},
    "renamed": {"ca": "reanomenada", "es": "renombrada", "en": "renamed"},
    "retyped": {"ca": "canvi de tipus", "es": "cambio de tipo", "en": "type changed"},
}


def column_changes(changes: Sequence[Mapping[str, Any]], lang: Lang) -> str:
    """A version's column changes as a readable list ("zqa (removed), Nom_barri → Barri (renamed)")."""
    out = []
    for change in changes:
        name = str(change.get("column"))
        if change.get("change") == "renamed" and change.get("new_name"):
            name = f"{name} → {change['new_name']}"
        label = CHANGE_LABELS.get(str(change.get("change")), {}).get(lang)
        out.append(f"{name} ({label})" if label else name)
    return ", ".join(out)


def field_list(fields: tuple[str, ...], lang: Lang) -> str:
    """The changed fields as a readable list ("title, licence"), in `lang`."""
    return ", ".join(FIELD_LABELS.get(f, {}).get(lang, f.replace("_", " ")) for f in fields)


def summarize(
    event_type: str,
    *,
    title: dict[str, str],
    resource: dict[str, str] | None,
    resource_name: str = "",
    fields: tuple[str, ...] = (),
    schema_changes: Sequence[Mapping[str, Any]] = (),
) -> dict[Lang, str]:
    """The event's one-line summary in every site language (titles picked in that language)."""
    out: dict[Lang, str] = {}
    for lang in LANGS:
        text = SENTENCES[event_type][lang].format(
            title=pick(title, lang)[0],
            resource=pick(resource, lang)[0] or resource_name,
            fields=field_list(fields, lang) or "—",
        )
        if schema_changes:
            text += "; " + SCHEMA_CHANGED[lang].format(columns=column_changes(schema_changes, lang))
        out[lang] = text
    return out


FEED_TITLES: dict[str, dict[Lang, str]] = {
    "portal": {
        "ca": "Canvis als conjunts de dades",
        "es": "Cambios en los conjuntos de datos",
        "en": "Dataset changes",
    },
    "organization": {"ca": "Canvis de {name}", "es": "Cambios de {name}", "en": "Changes by {name}"},
    "theme": {
        "ca": "Canvis en el tema {name}",
        "es": "Cambios en el tema {name}",
        "en": "Changes in the theme {name}",
    },
    "dataset": {"ca": "Canvis a {name}", "es": "Cambios en {name}", "en": "Changes to {name}"},
    "search": {
        "ca": "Canvis en la cerca «{name}»",
        "es": "Cambios en la búsqueda «{name}»",
        "en": "Changes matching “{name}”",
    },
}


def feed_title(kind: str, lang: Lang, name: str = "") -> str:
    return FEED_TITLES[kind][lang].format(name=name)
