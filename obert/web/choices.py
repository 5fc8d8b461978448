"""The choices of the publisher's metadata form, in the order a city publisher needs them: the licences
recommended for open data first (CC BY 4.0, CC0, ODbL…), software licences apart; the common update
frequencies first; the city, its districts and its neighbourhoods for the area covered."""

from __future__ import annotations

from obert.catalog.places import places
from obert.catalog.vocabulary import vocabulary
from obert.i18n import translations
from obert.types import Lang

Option = tuple[str, str, str | None]  # code, label, language of the label
Groups = list[tuple[str, list[Option]]]

# In the order the EU's and Spain's open-data guidance recommends them for government data.
RECOMMENDED_LICENCES = ("CC_BY_4_0", "CC0", "CC_BYSA_4_0", "ODC_BY", "ODC_PDDL", "ODC_BL")
# Licences written for software: rarely right for data, so they come last.
SOFTWARE_LICENCES = {
    "EUPL_1_2", "EUPL_1_1", "GPL_3_0", "AGPL_3_0", "LGPL_3_0", "MIT", "APACHE_2_0", "BSD_3_CLAUSE",
    "BSD_2_CLAUSE", "MPL_2_0",
}  # fmt: skip
COMMON_FREQUENCIES = (
    "DAILY",
    "WEEKLY",
    "MONTHLY",
    "QUARTERLY",
    "ANNUAL",
    "IRREG",
    "CONT",
    "NEVER",
    "UNKNOWN",
)


def options(name: str, lang: Lang) -> list[Option]:
    """Every concept of vocabulary `name`, by label."""
    found = ((c.code, c.label_in(lang), c.label_lang(lang)) for c in vocabulary(name))
    return sorted(found, key=lambda option: option[1].casefold())


def licence_groups(lang: Lang) -> Groups:
    _ = translations(lang).gettext
    every = {option[0]: option for option in options("licence", lang)}
    recommended = [every[c] for c in RECOMMENDED_LICENCES if c in every]
    software = [o for c, o in every.items() if c in SOFTWARE_LICENCES]
    other = [o for c, o in every.items() if c not in SOFTWARE_LICENCES and c not in RECOMMENDED_LICENCES]
    return [
        (_("Recommended for open data"), recommended),
        (_("Other data licences"), other),
        (_("Software licences (rarely right for data)"), software),
    ]


def frequency_groups(lang: Lang) -> Groups:
    _ = translations(lang).gettext
    every = {option[0]: option for option in options("frequency", lang)}
    common = [every[c] for c in COMMON_FREQUENCIES if c in every]
    rest = [o for c, o in every.items() if c not in COMMON_FREQUENCIES]
    return [(_("Common"), common), (_("Other frequencies"), rest)]


def place_groups(lang: Lang) -> Groups:
    _ = translations(lang).gettext
    names = {"city": _("The city"), "district": _("Districts"), "neighbourhood": _("Neighbourhoods")}
    groups: Groups = []
    for level, title in names.items():
        found: list[Option] = [
            (p.code, p.name_in(lang), lang if lang in p.name else "ca") for p in places() if p.level == level
        ]
        if level != "city":
            found.sort(key=lambda option: option[1].casefold())
        groups.append((title, found))
    return groups
