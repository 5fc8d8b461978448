"""CKAN's licence ids and obert's licences (the EU licence vocabulary): one table, read by the CKAN
face (what clients send, license_list) and by the CKAN harvester (what other portals publish), so the
two can never disagree on what `uk-ogl` or `cc-nc` means.
"""

from __future__ import annotations

from dataclasses import dataclass

from obert.catalog.vocabulary import vocabulary


@dataclass(frozen=True, slots=True)
class CkanLicence:
    """One entry of CKAN's default licence list and the EU licence it is (None: none is)."""

    id: str
    code: str | None
    title: str
    url: str
    open_data: bool  # approved by the Open Definition (CKAN's od_conformance)


CKAN_LICENCES: tuple[CkanLicence, ...] = (
    CkanLicence("notspecified", None, "License not specified", "", False),
    CkanLicence("odc-pddl", "ODC_PDDL", "Open Data Commons Public Domain Dedication and License (PDDL)",
                "http://www.opendefinition.org/licenses/odc-pddl", True),
    CkanLicence("odc-odbl", "ODC_BL", "Open Data Commons Open Database License (ODbL)",
                "http://www.opendefinition.org/licenses/odc-odbl", True),
    CkanLicence("odc-by", "ODC_BY", "Open Data Commons Attribution License",
                "http://www.opendefinition.org/licenses/odc-by", True),
    CkanLicence("cc-zero", "CC0", "Creative Commons CCZero", "http://www.opendefinition.org/licenses/cc-zero",
                True),
    CkanLicence("cc-by", "CC_BY_4_0", "Creative Commons Attribution",
                "http://www.opendefinition.org/licenses/cc-by", True),
    CkanLicence("cc-by-sa", "CC_BYSA_4_0", "Creative Commons Attribution Share-Alike",
                "http://www.opendefinition.org/licenses/cc-by-sa", True),
    CkanLicence("gfdl", None, "GNU Free Documentation License", "http://www.opendefinition.org/licenses/gfdl",
                True),
    CkanLicence("other-open", None, "Other (Open)", "", True),
    CkanLicence("other-pd", None, "Other (Public Domain)", "", True),
    CkanLicence("other-at", None, "Other (Attribution)", "", True),
    CkanLicence("uk-ogl", "OGL_3_0", "UK Open Government Licence (OGL)",
                "http://reference.data.gov.uk/id/open-government-licence", True),
    CkanLicence("cc-nc", "CC_BYNC_4_0", "Creative Commons Non-Commercial (Any)",
                "http://creativecommons.org/licenses/by-nc/2.0/", False),
    CkanLicence("other-nc", None, "Other (Non-Commercial)", "", False),
    CkanLicence("other-closed", None, "Other (Not Open)", "", False),
)  # fmt: skip

# Other spellings portals use for the same licences (SPDX ids, CKAN 2.10's versioned ids, names).
ALIASES: dict[str, str] = {
    "cc-by-4.0": "CC_BY_4_0",
    "cc by 4.0": "CC_BY_4_0",
    "creative commons attribution 4.0": "CC_BY_4_0",
    "cc-by-sa-4.0": "CC_BYSA_4_0",
    "cc-by-nc-4.0": "CC_BYNC_4_0",
    "cc0": "CC0",
    "cc0-1.0": "CC0",
    "odc-by-1.0": "ODC_BY",
    "odbl": "ODC_BL",
    "odbl-1.0": "ODC_BL",
    "open database license (odbl)": "ODC_BL",
    "pddl-1.0": "ODC_PDDL",
    "ogl-uk-3.0": "OGL_3_0",
}
_BY_ID = {licence.id: licence for licence in CKAN_LICENCES}
_BY_CODE = {licence.code: licence for licence in CKAN_LICENCES if licence.code}


def licence_code(value: object) -> str | None:
    """obert's licence code for what a CKAN client or portal wrote: a CKAN id, an EU code or IRI, a
    title or another usual spelling; None when it is none of these."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    concept = vocabulary("licence").get(text)
    if concept is not None:
        return concept.code
    folded = text.casefold()
    known = _BY_ID.get(folded)
    if known is not None:
        return known.code
    for licence in CKAN_LICENCES:
        if licence.code and folded in (licence.title.casefold(), licence.url.casefold()):
            return licence.code
    return ALIASES.get(folded)


def ckan_licence(code: str | None) -> CkanLicence | None:
    """CKAN's default-list entry for obert's licence `code` (None when that list has none)."""
    return _BY_CODE.get(code) if code else None


def ckan_licence_id(code: str) -> str:
    """The license_id CKAN clients read for obert's licence `code`: CKAN's own id where its default list
    has the licence (cc-by, odc-odbl, cc-zero...), the EU code otherwise (which license_id accepts too)."""
    known = _BY_CODE.get(code)
    return known.id if known else code


def ckan_ids(code: str) -> list[str]:
    """The CKAN ids that stand for obert's licence `code`."""
    return [licence.id for licence in CKAN_LICENCES if licence.code == code]


def is_open(code: str) -> bool:
    """Whether the licence is open data (the Open Definition's approval, as CKAN's list says it)."""
    return any(licence.open_data for licence in CKAN_LICENCES if licence.code == code) or not (
        "NC" in code or "ND" in code
    )
