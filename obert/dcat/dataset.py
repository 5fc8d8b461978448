"""One dcat:Dataset with its distributions, publisher and linked concepts, in either profile."""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef

from obert.catalog.models import Dataset, Resource
from obert.catalog.vocabulary import file_type_for, vocabulary
from obert.dcat.context import DistributionLink, GraphContext
from obert.dcat.services import POSITION_SERVICES, TABLE_SERVICES, add_service, mark_hvd
from obert.dcat.terms import (
    ADMS,
    CROISSANT,
    DCAT,
    DCT,
    DQV,
    FOAF,
    GSP,
    IANA_MEDIA,
    RDF,
    RDFS,
    SPDX,
    TABULAR_DATA_PACKAGE,
    VCARD,
    XSD,
    Profile,
    Triples,
    concept,
    date_literal,
    labelled_node,
    localized,
    text_literal,
    typed,
)

# The DCAT-AP 3.0.1 vocabulary shapes want the algorithm under https://spdx.org/rdf/terms (although the
# SPDX namespace itself is http://), typed spdx:ChecksumAlgorithm; DCAT-AP-ES accepts only SHA-1, which
# obert does not compute, so the Spanish profile leaves the optional checksum out.
_SPDX_HTTPS = "https://spdx.org/rdf/terms#checksumAlgorithm_"
_CHECKSUM_ALGORITHMS = ("sha256", "sha1")


def add_dataset(graph: Triples, dataset: Dataset, *, context: GraphContext, profile: Profile) -> URIRef:
    """Add `dataset` to `graph` and return its IRI."""
    node = add_dataset_fields(graph, dataset, context=context, profile=profile)
    add_distributions(graph, node, dataset, context=context, profile=profile)
    return node


# What the distributions' statements read of their dataset besides its id and resources: the SPARQL graph
# keeps them while these stay the same (obert.sparql.derive.KnownDistributions).
def distribution_inputs(dataset: Dataset) -> tuple[object, ...]:
    return (dataset.name, dataset.license, dataset.extras.get("rights"), tuple(dataset.hvd_categories))


def add_dataset_fields(
    graph: Triples,
    dataset: Dataset,
    *,
    context: GraphContext,
    profile: Profile,
    has_distributions: bool | None = None,
) -> URIRef:
    """Add `dataset`'s own statements, its distributions left out, and return its IRI. Whether it has
    any (`has_distributions`, else whether `dataset.resources` holds any) decides its tools' pages."""
    info = context.catalog
    node = URIRef(info.dataset_uri(dataset.id))
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCT.identifier, text_literal(str(node))))
    localized(graph, node, DCT.title, dataset.title)
    localized(graph, node, DCT.description, dataset.description)
    for lang, words in sorted(dataset.keywords.items()):
        for word in words:
            graph.add((node, DCAT.keyword, Literal(word, lang=lang)))
    for code in dataset.themes:
        if theme := concept(graph, "data-theme", code):
            graph.add((node, DCAT.theme, theme))
    if profile is Profile.DCAT_AP_ES:
        for code in dataset.sectors:
            if sector := concept(graph, "sector", code):
                graph.add((node, DCAT.theme, sector))
    graph.add((node, DCT.publisher, _publisher(graph, dataset, context, profile)))
    _dates(graph, node, dataset)
    if dataset.access_rights and (
        rights := concept(graph, "access-right", dataset.access_rights, DCT.RightsStatement)
    ):
        graph.add((node, DCT.accessRights, rights))
    if dataset.frequency and (freq := concept(graph, "frequency", dataset.frequency, DCT.Frequency)):
        graph.add((node, DCT.accrualPeriodicity, freq))
    for code in _languages(dataset.languages, profile):
        if language := concept(graph, "language", code, DCT.LinguisticSystem):
            graph.add((node, DCT.language, language))
    _temporal(graph, node, dataset)
    _spatial(graph, node, dataset, profile)
    if dataset.landing_page:
        graph.add((node, DCAT.landingPage, typed(graph, dataset.landing_page, FOAF.Document)))
    if bool(dataset.resources) if has_distributions is None else has_distributions:
        _described_for_tools(graph, node, dataset, context)
    _contact(graph, node, dataset, profile)
    for standard in dataset.conforms_to:
        graph.add((node, DCT.conformsTo, typed(graph, standard, DCT.Standard)))
    if dataset.version:
        graph.add((node, DCAT.version, Literal(dataset.version)))
    localized(graph, node, ADMS.versionNotes, dataset.version_notes)
    if dataset.provenance:
        graph.add((node, DCT.provenance, labelled_node(graph, DCT.ProvenanceStatement, dataset.provenance)))
    mark_hvd(graph, node, dataset.hvd_categories)
    for measurement in context.measurements.get(dataset.id, ()):
        m = BNode()
        graph.add((node, DQV.hasQualityMeasurement, m))
        graph.add((m, RDF.type, DQV.QualityMeasurement))
        graph.add((m, DQV.computedOn, node))
        graph.add((m, DQV.isMeasurementOf, URIRef(measurement.metric)))
        graph.add((m, DQV.value, Literal(measurement.value)))
    return node


def add_distributions(
    graph: Triples, node: URIRef, dataset: Dataset, *, context: GraphContext, profile: Profile
) -> None:
    """Add the distributions of `dataset` (whose IRI is `node`): what they say reads of the dataset only
    its id and `distribution_inputs`."""
    for resource in dataset.resources:
        distribution = _distribution(graph, dataset, resource, context, profile)
        graph.add((node, DCAT.distribution, distribution))
        mark_hvd(graph, distribution, dataset.hvd_categories)
        _access_services(graph, node, distribution, dataset, context.links.get(resource.id), context, profile)


def _described_for_tools(graph: Triples, node: URIRef, dataset: Dataset, context: GraphContext) -> None:
    """The dataset's Frictionless Data Package and Croissant descriptions, as pages about it (foaf:page),
    each saying which standard it follows (dct:conformsTo), as DCAT-AP describes a document.

    Not a dct:format: in the graph only distributions have one, so "distributions per format" is one
    pattern (`?distribution dct:format ?format`), which the SPARQL engine answers several times faster
    than the same pattern joined to the distributions' type."""
    base = f"{context.catalog.base_url}/dataset/{dataset.name}"
    for path, standard in (("datapackage.json", TABULAR_DATA_PACKAGE), ("croissant.json", CROISSANT)):
        page = typed(graph, f"{base}/{path}", FOAF.Document)
        graph.add((page, DCT.conformsTo, typed(graph, standard, DCT.Standard)))
        graph.add((node, FOAF.page, page))


def _access_services(
    graph: Triples,
    dataset_node: URIRef,
    distribution: URIRef,
    dataset: Dataset,
    link: DistributionLink | None,
    context: GraphContext,
    profile: Profile,
) -> None:
    """The services that reach a distribution's published table, each serving the dataset."""
    if link is None or not link.serves_table:
        return
    keys = TABLE_SERVICES + (POSITION_SERVICES if link.positions else ())
    for key in keys:
        service = add_service(graph, key, info=context.catalog, profile=profile)
        graph.add((distribution, DCAT.accessService, service))
        graph.add((service, DCAT.servesDataset, dataset_node))
        mark_hvd(graph, service, dataset.hvd_categories)


def _languages(codes: list[str], profile: Profile) -> list[str]:
    # datos.gob.es refuses a dataset whose stated languages leave out Spanish (DCAT-AP-ES convention 2).
    # Rather than claim a Spanish version that does not exist, its profile then states none.
    if profile is Profile.DCAT_AP_ES and "SPA" not in codes:
        return []
    return codes


def publisher_uri(dataset: Dataset, context: GraphContext, profile: Profile) -> str:
    """The publisher's IRI: its declared identifier (a DIR3 IRI for Spanish bodies), else obert's page.

    datos.gob.es only accepts DIR3 organisms, so in its profile a department without one is published
    under the catalogue's publisher (the city), as the city's own portal does.
    """
    org = context.publishers.get(dataset.organization.id) if dataset.organization else None
    if org and org.identifier:
        return org.identifier
    if profile is Profile.DCAT_AP_ES or dataset.organization is None:
        return context.catalog.publisher_uri
    return f"{context.catalog.base_url}/organization/{dataset.organization.id}"


def _publisher(graph: Triples, dataset: Dataset, context: GraphContext, profile: Profile) -> URIRef:
    uri = publisher_uri(dataset, context, profile)
    node = typed(graph, uri, FOAF.Agent, FOAF.Organization)
    org = context.publishers.get(dataset.organization.id) if dataset.organization else None
    if uri == context.catalog.publisher_uri:
        localized(graph, node, FOAF.name, dict(context.catalog.publisher_name))
    elif org is not None:
        localized(graph, node, FOAF.name, org.title)
        if org.homepage:
            graph.add((node, FOAF.homepage, typed(graph, org.homepage, FOAF.Document)))
        if org.email:
            graph.add((node, FOAF.mbox, URIRef(f"mailto:{org.email}")))
    return node


def _dates(graph: Triples, node: URIRef, dataset: Dataset) -> None:
    # Without declared dates, the record's own creation and change times are the best knowledge there is
    # (CKAN reports metadata_created/metadata_modified the same way).
    issued = dataset.issued or dataset.created_at.isoformat()
    modified = dataset.modified or dataset.updated_at.isoformat()
    graph.add((node, DCT.issued, date_literal(issued)))
    graph.add((node, DCT.modified, date_literal(modified)))


def _temporal(graph: Triples, node: URIRef, dataset: Dataset) -> None:
    if not dataset.temporal or not (dataset.temporal.start or dataset.temporal.end):
        return
    period = BNode()
    graph.add((period, RDF.type, DCT.PeriodOfTime))
    if dataset.temporal.start:
        graph.add((period, DCAT.startDate, date_literal(dataset.temporal.start)))
    if dataset.temporal.end:
        graph.add((period, DCAT.endDate, date_literal(dataset.temporal.end)))
    graph.add((node, DCT.temporal, period))


def _spatial(graph: Triples, node: URIRef, dataset: Dataset, profile: Profile) -> None:
    spatial = dataset.spatial
    if not spatial:
        return
    if spatial.uri:
        place = location_iri(graph, spatial.uri, profile)
        if not spatial.bbox:
            localized(graph, place, RDFS.label, spatial.label)
        graph.add((node, DCT.spatial, place))
    if spatial.bbox:
        # A box of its own: datasets sharing a place IRI may each cover a slightly different box, and a
        # dct:Location takes one dcat:bbox at most.
        box = BNode()
        graph.add((box, RDF.type, DCT.Location))
        localized(graph, box, RDFS.label, spatial.label)
        west, south, east, north = spatial.bbox
        wkt = f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, {west} {south}))"
        graph.add((box, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))
        graph.add((node, DCT.spatial, box))
    elif not spatial.uri and spatial.label:
        graph.add((node, DCT.spatial, labelled_node(graph, DCT.Location, spatial.label)))


def location_iri(graph: Triples, iri: str, profile: Profile) -> URIRef:
    """A place named by an IRI. DCAT-AP wants it typed dct:Location; DCAT-AP-ES asks every dct:Location
    for a geometry and checks its own territory IRIs by their form instead, so there it stays untyped."""
    return typed(graph, iri) if profile is Profile.DCAT_AP_ES else typed(graph, iri, DCT.Location)


def _contact(graph: Triples, node: URIRef, dataset: Dataset, profile: Profile) -> None:
    contact = dataset.contact_point
    if not contact or not (contact.name or contact.email or contact.url):
        return
    card = BNode()
    graph.add((card, RDF.type, VCARD.Kind))
    graph.add((card, RDF.type, VCARD.Organization))
    if contact.name:
        # DCAT-AP-ES wants names as language-tagged text, at least in Spanish; a contact's name is a
        # proper name, the same in every language.
        lang = "es" if profile is Profile.DCAT_AP_ES else None
        graph.add((card, VCARD.fn, Literal(contact.name, lang=lang)))
    if contact.email:
        graph.add((card, VCARD.hasEmail, URIRef(f"mailto:{contact.email}")))
    if contact.url:
        graph.add((card, VCARD.hasURL, URIRef(contact.url)))
    graph.add((node, DCAT.contactPoint, card))


def _distribution(
    graph: Triples, dataset: Dataset, resource: Resource, context: GraphContext, profile: Profile
) -> URIRef:
    info = context.catalog
    node = URIRef(info.distribution_uri(dataset.id, resource.id))
    graph.add((node, RDF.type, DCAT.Distribution))
    localized(graph, node, DCT.title, resource.title or {"": resource.name})
    localized(graph, node, DCT.description, resource.description)
    # What the graph's reader may download is the table service's to say (see GraphContext.links).
    link = context.links.get(resource.id)
    href = link.url if link is not None else None
    original = link is None or link.original
    access = resource.access_url or href or info.dataset_uri(dataset.id)
    graph.add((node, DCAT.accessURL, URIRef(access)))
    if href and (not original or resource.upload or resource.download_url):
        graph.add((node, DCAT.downloadURL, URIRef(href)))
    format_code = resource.format if original else (link.format if link else None)
    file_type = file_type_for(format_code) if format_code else None
    if file_type and (fmt := concept(graph, "file-type", file_type.code, DCT.MediaTypeOrExtent)):
        graph.add((node, DCT["format"], fmt))
    media_type = (
        resource.media_type if original else (file_type.extra.get("media_type") if file_type else None)
    )
    if media_type:
        media = typed(graph, IANA_MEDIA + media_type.split(";")[0].strip(), DCT.MediaType)
        graph.add((node, DCAT.mediaType, media))
    if resource.byte_size is not None and original:
        graph.add((node, DCAT.byteSize, Literal(resource.byte_size, datatype=XSD.nonNegativeInteger)))
    if resource.checksum and original and profile is Profile.DCAT_AP:
        algorithm, _, value = resource.checksum.partition(":")
        if algorithm in _CHECKSUM_ALGORITHMS:
            checksum = BNode()
            graph.add((checksum, RDF.type, SPDX.Checksum))
            graph.add(
                (checksum, SPDX.algorithm, typed(graph, _SPDX_HTTPS + algorithm, SPDX.ChecksumAlgorithm))
            )
            graph.add((checksum, SPDX.checksumValue, Literal(value, datatype=XSD.hexBinary)))
            graph.add((node, SPDX.checksum, checksum))
    license_code = resource.license or dataset.license
    if license_code and (licence := vocabulary("licence").get(license_code)):
        graph.add((node, DCT.license, typed(graph, licence.uri, DCT.LicenseDocument)))
    if rights := dataset.extras.get("rights"):
        graph.add((node, DCT.rights, labelled_node(graph, DCT.RightsStatement, {"": rights})))
    for code in resource.language:
        if language := concept(graph, "language", code, DCT.LinguisticSystem):
            graph.add((node, DCT.language, language))
    for standard in resource.conforms_to:
        graph.add((node, DCT.conformsTo, typed(graph, standard, DCT.Standard)))
    if resource.issued:
        graph.add((node, DCT.issued, date_literal(resource.issued)))
    if resource.modified:
        graph.add((node, DCT.modified, date_literal(resource.modified)))
    return node
