"""The MQA metrics: dimension, points, the metric's IRI in data.europa.eu's DQV vocabulary, and advice.

Weights follow the data.europa.eu methodology (405 points in all). `advice` strings are gettext message
ids, translated by the face that shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PV = "https://piveau.eu/ns/voc#"
SCORE_METRIC = PV + "score"  # the total, as data.europa.eu publishes it next to the metrics


def _(message: str) -> str:
    """Marks `message` for translation (gettext extracts `_`); the face that shows it translates it."""
    return message


class Dimension(StrEnum):
    FINDABILITY = "findability"
    ACCESSIBILITY = "accessibility"
    INTEROPERABILITY = "interoperability"
    REUSABILITY = "reusability"
    CONTEXTUALITY = "contextuality"


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    dimension: Dimension
    points: int
    distribution: bool  # measured per distribution; the dataset takes its best distribution's points
    advice: str

    @property
    def iri(self) -> str:
        return PV + self.key


METRICS: tuple[Metric, ...] = (
    Metric("keywordAvailability", Dimension.FINDABILITY, 30, False, _("Add keywords")),
    Metric("categoryAvailability", Dimension.FINDABILITY, 30, False, _("Add at least one EU data theme")),
    Metric("spatialAvailability", Dimension.FINDABILITY, 20, False, _("Say which area the data covers")),
    Metric("temporalAvailability", Dimension.FINDABILITY, 20, False, _("Say which period the data covers")),
    Metric(
        "accessUrlStatusCode",
        Dimension.ACCESSIBILITY,
        50,
        True,
        _("Make the access URL answer (it failed or was not checked yet)"),
    ),
    Metric(
        "downloadUrlAvailability",
        Dimension.ACCESSIBILITY,
        20,
        True,
        _("Give a direct download URL, or upload the file"),
    ),
    Metric(
        "downloadUrlStatusCode",
        Dimension.ACCESSIBILITY,
        30,
        True,
        _("Make the download URL answer (it failed or was not checked yet)"),
    ),
    Metric("formatAvailability", Dimension.INTEROPERABILITY, 20, True, _("State the file format")),
    Metric("mediaTypeAvailability", Dimension.INTEROPERABILITY, 10, True, _("State the media type")),
    Metric(
        "formatMediaTypeVocabularyAlignment",
        Dimension.INTEROPERABILITY,
        10,
        True,
        _("Use a format from the EU file type vocabulary"),
    ),
    Metric(
        "formatMediaTypeNonProprietary",
        Dimension.INTEROPERABILITY,
        20,
        True,
        _("Offer the data in a non-proprietary format (e.g. CSV instead of XLSX)"),
    ),
    Metric(
        "formatMediaTypeMachineInterpretable",
        Dimension.INTEROPERABILITY,
        20,
        True,
        _("Offer the data in a machine-readable format (e.g. CSV or JSON instead of PDF)"),
    ),
    Metric(
        "dcatApCompliance",
        Dimension.INTEROPERABILITY,
        30,
        False,
        _("Fill in the fields DCAT-AP requires (title and description)"),
    ),
    Metric("licenceAvailability", Dimension.REUSABILITY, 20, True, _("Choose a licence")),
    Metric(
        "knownLicence", Dimension.REUSABILITY, 10, True, _("Choose a licence from the EU licence vocabulary")
    ),
    Metric("accessRightsAvailability", Dimension.REUSABILITY, 10, False, _("State the access rights")),
    Metric(
        "accessRightsVocabularyAlignment",
        Dimension.REUSABILITY,
        5,
        False,
        _("Use an access right from the EU vocabulary (public, restricted, non-public)"),
    ),
    Metric("contactPointAvailability", Dimension.REUSABILITY, 20, False, _("Add a contact point")),
    Metric("publisherAvailability", Dimension.REUSABILITY, 10, False, _("Assign a publisher")),
    Metric(
        "rightsAvailability",
        Dimension.CONTEXTUALITY,
        5,
        True,
        _("Add a rights statement (the dataset's 'rights' extra)"),
    ),
    Metric("byteSizeAvailability", Dimension.CONTEXTUALITY, 5, True, _("State the file size")),
    Metric("dateIssuedAvailability", Dimension.CONTEXTUALITY, 5, False, _("State when it was first issued")),
    Metric(
        "dateModifiedAvailability", Dimension.CONTEXTUALITY, 5, False, _("State when it was last modified")
    ),
)
BY_KEY = {m.key: m for m in METRICS}
MAX_POINTS = sum(m.points for m in METRICS)
MAX_BY_DIMENSION = {d: sum(m.points for m in METRICS if m.dimension is d) for d in Dimension}


class Rating(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    SUFFICIENT = "sufficient"
    BAD = "bad"


def rating(points: float) -> Rating:
    """data.europa.eu's bands: Excellent 351–405, Good 221–350, Sufficient 121–220, Bad 0–120."""
    if points >= 351:
        return Rating.EXCELLENT
    if points >= 221:
        return Rating.GOOD
    if points >= 121:
        return Rating.SUFFICIENT
    return Rating.BAD
