"""The open data catalog as DCAT-AP 3.0.1 RDF (JSON-LD, Turtle, RDF/XML) for harvesters.

What goes in: catalog resources opened to the public (`opening_type = open`, not withdrawn)
that have at least one published dataset version, each in its public view
(`ResourcePublicRead`). Non-public metadata (the contact person, sharing and security
classes, conditions) cannot reach the graph: the public view has no such fields. The contact
point is the owner department, reached through the dataset's public page.

Vocabularies: frequencies and access rights come from `govhub.data.catalog.dcat` (the EU
Publications Office tables), themes map to the EU data-theme table and also keep GovHub's own
theme concepts, formats use the EU file-type table and IANA media types. Divisions, themes
and departments, which have no public table, are URNs. Every node the DCAT-AP range shapes
constrain carries its class, so the graph validates against the SHACL shapes on its own.

Paging follows ckanext-dcat, which CKAN's DCAT harvester and most others read: the page's URL
is a `hydra:PagedCollection` with `hydra:totalItems`, `hydra:itemsPerPage` and the first,
last, next and previous page URLs under both the current (`hydra:next`) and the deprecated
(`hydra:nextPage`) names. Datasets are ordered by creation, so new ones land on the last page.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from urllib.parse import quote

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from govhub.core.errors import InvalidInput
from govhub.data.catalog.dcat import ACCESS_RIGHTS, ACCESS_RIGHTS_BASE, FREQUENCIES, FREQUENCY_BASE
from govhub.data.catalog.models import DatasetVersion, Resource, Theme
from govhub.data.catalog.schemas import ResourcePublicRead
from govhub.data.opendata import service as opendata
from govhub.identity.models import Division

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# DCAT 3 terms that rdflib's (DCAT 2) closed namespace lacks.
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
PAGE_SIZE = 100
MAX_PAGE = 1_000_000


class Syntax(StrEnum):
    """The RDF serializations offered, by file extension."""

    JSONLD = "jsonld"
    TURTLE = "ttl"
    RDFXML = "xml"


MEDIA_TYPES = {
    Syntax.JSONLD: "application/ld+json",
    Syntax.TURTLE: "text/turtle",
    Syntax.RDFXML: "application/rdf+xml",
}
RDFLIB_FORMATS = {Syntax.JSONLD: "json-ld", Syntax.TURTLE: "turtle", Syntax.RDFXML: "xml"}


class Format(StrEnum):
    """Download formats of an open dataset (one `dcat:Distribution` each)."""

    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"
    XLSX = "xlsx"


# Format -> (EU file-type code, IANA media type).
FORMATS = {
    Format.CSV: ("CSV", "text/csv"),
    Format.JSON: ("JSON", "application/json"),
    Format.PARQUET: ("PARQUET", "application/vnd.apache.parquet"),
    Format.XLSX: ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
EU_THEMES = {
    Theme.ECONOMY: "ECON",
    Theme.MARKET: "ECON",
    Theme.TAXATION: "ECON",
    Theme.POPULATION: "SOCI",
    Theme.SOCIAL_SECURITY: "SOCI",
    Theme.HEALTH: "HEAL",
    Theme.EDUCATION: "EDUC",
    Theme.TRANSPORT: "TRAN",
    Theme.ENVIRONMENT: "ENVI",
    Theme.CREDIT: "ECON",
    Theme.PUBLIC_SAFETY: "JUST",
    Theme.URBAN: "REGI",
    Theme.AGRICULTURE: "AGRI",
    Theme.GOVERNMENT: "GOVE",
}
EU_THEME_LABELS = {
    "ECON": "Economy and finance",
    "SOCI": "Population and society",
    "HEAL": "Health",
    "EDUC": "Education, culture and sport",
    "TRAN": "Transport",
    "ENVI": "Environment",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "AGRI": "Agriculture, fisheries, forestry and food",
    "GOVE": "Government and public sector",
}
# SPDX identifiers -> the EU licence table.
LICENCES = {"CC0-1.0": "CC0", "CC-BY-4.0": "CC_BY_4_0", "CC-BY-SA-4.0": "CC_BYSA_4_0"}

# Where the portal serves a dataset's page and downloads (the one place to change them).
DATASET_PATH = "/dataset/{id}"
DOWNLOAD_PATH = "/dataset/{id}/download/{format}"

CATALOG_TITLE = ("GovHub 开放数据目录", "GovHub open data catalog")
CATALOG_DESCRIPTION = (
    "各部门向社会开放的政府数据集，经脱敏审核后发布，可按主题、部门、格式和更新频率浏览与下载。",
    "Government datasets opened to the public by departments after de-identification review, "
    "by theme, department, format and update frequency.",
)
PUBLISHER_NAME = ("GovHub 开放数据平台", "GovHub open data platform")
THEME_SCHEME = URIRef("urn:govhub:theme")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class BadQuery(InvalidInput):
    """A catalog query parameter is malformed (answered 400, as ckanext-dcat does)."""

    status = 400
    slug = "bad-request"
    title = "Bad request"


@dataclass(frozen=True)
class PublicDataset:
    """An open dataset: its public metadata and when it was first and last published."""

    resource: ResourcePublicRead
    issued: datetime
    modified: datetime


@dataclass(frozen=True)
class CatalogPage:
    """One page of the public catalog."""

    datasets: list[PublicDataset]
    total: int
    page: int
    page_size: int
    modified: datetime | None

    @property
    def last_page(self) -> int:
        """The number of the last page (1 when the catalog is empty)."""
        return max(1, math.ceil(self.total / self.page_size))


# --- selection -------------------------------------------------------------------------------


def public_resources(
    modified_since: datetime | None = None,
) -> Select[Resource, datetime, datetime]:
    """Select the public resources (`opendata.service`), their first publication and last change."""
    mine = DatasetVersion.resource_id == Resource.id
    first = select(func.min(DatasetVersion.created_at)).where(mine).scalar_subquery()
    modified = opendata.modified_column()
    query = opendata.public_select(Resource, first.label("issued"), modified.label("modified"))
    if modified_since is not None:
        query = query.where(modified >= modified_since)
    return query.order_by(Resource.created_at, Resource.id)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dataset(row: Row[Resource, datetime, datetime]) -> PublicDataset:
    resource, issued, modified = row
    # The view an anonymous reader gets of an open resource (`scope.to_schema(resource, None)`).
    public = ResourcePublicRead.model_validate(resource)
    return PublicDataset(resource=public, issued=_aware(issued), modified=_aware(modified))


def catalog_page(
    session: Session,
    *,
    page: int = 1,
    modified_since: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> CatalogPage:
    """Return one page of the public catalog, optionally only datasets changed since a time."""
    query = public_resources(modified_since)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    everything = public_resources().order_by(None).subquery()
    modified = session.scalar(select(func.max(everything.c.modified)))
    rows = session.execute(query.offset((page - 1) * page_size).limit(page_size)).all()
    return CatalogPage(
        datasets=[_dataset(row) for row in rows],
        total=total or 0,
        page=page,
        page_size=page_size,
        modified=_aware(modified) if modified is not None else None,
    )


def find_dataset(session: Session, key: str) -> PublicDataset | None:
    """Return the open dataset whose id or identifier is `key` (None when not public)."""
    try:
        condition = Resource.id == uuid.UUID(key)
    except ValueError:
        condition = Resource.identifier == key[:64]
    row = session.execute(public_resources().where(condition)).first()
    return _dataset(row) if row is not None else None


def division_names(session: Session, datasets: Iterable[PublicDataset]) -> dict[str, Division]:
    """Return the divisions the datasets cover, by code (their names are public)."""
    codes = {code for d in datasets for code in d.resource.division_codes}
    if not codes:
        return {}
    return {d.code: d for d in session.scalars(select(Division).where(Division.code.in_(codes)))}


# --- parameters ------------------------------------------------------------------------------


def parse_page(value: str | None) -> int:
    """Read the `page` parameter: a positive integer, 1 when absent."""
    if value is None:
        return 1
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PAGE:
        raise BadQuery(f"page must be a whole number from 1 to {MAX_PAGE}", field="page")
    return int(value)


def parse_modified_since(value: str | None) -> datetime | None:
    """Read `modified_since`: an ISO 8601 date or date-time (UTC when it names no zone)."""
    if value is None:
        return None
    message = "modified_since must be an ISO 8601 date or date-time, e.g. 2026-01-31T08:00:00Z"
    text = value.strip()
    if not 10 <= len(text) <= 40:
        raise BadQuery(message, field="modified_since")
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        raise BadQuery(message, field="modified_since") from None


# --- graph -----------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Drop control characters, which XML (and so RDF/XML) cannot carry."""
    return _CONTROL.sub("", value)


def _texts(graph: Graph, node: URIRef, predicate: URIRef, zh: str, en: str) -> None:
    if zh:
        graph.add((node, predicate, Literal(_text(zh), lang="zh")))
    if en:
        graph.add((node, predicate, Literal(_text(en), lang="en")))


def _instant(value: datetime) -> Literal:
    return Literal(_aware(value).isoformat(), datatype=XSD.dateTime)


def _typed(graph: Graph, node: URIRef, *classes: URIRef) -> URIRef:
    for cls in classes:
        graph.add((node, RDF.type, cls))
    return node


def _urn(kind: str, value: str) -> URIRef:
    return URIRef(f"urn:govhub:{kind}:{quote(value, safe='')}")


def _licence(graph: Graph, value: str) -> URIRef | None:
    if not value:
        return None
    if value in LICENCES:
        node = URIRef(EU + "licence/" + LICENCES[value])
    elif value.startswith(("https://", "http://")) and " " not in value:
        node = URIRef(value)
    else:
        node = _urn("licence", value)
    _typed(graph, node, DCTERMS.LicenseDocument)
    graph.add((node, DCTERMS.identifier, Literal(_text(value))))
    return node


def _keyword_language(word: str) -> str:
    return "zh" if any("\u3400" <= ch <= "\u9fff" for ch in word) else "en"


def _publisher(graph: Graph, resource: ResourcePublicRead) -> URIRef:
    department = resource.department
    agent = _typed(graph, _urn("department", department.code), FOAF.Agent, FOAF.Organization)
    _texts(graph, agent, FOAF.name, department.name, department.name_en)
    graph.add((agent, DCTERMS.identifier, Literal(department.code)))
    return agent


def _themes(graph: Graph, node: URIRef, themes: Sequence[Theme]) -> None:
    scheme = URIRef(EU + "data-theme")
    for theme in themes:
        eu = _typed(graph, URIRef(f"{EU}data-theme/{EU_THEMES[theme]}"), SKOS.Concept)
        graph.add((eu, SKOS.prefLabel, Literal(EU_THEME_LABELS[EU_THEMES[theme]], lang="en")))
        graph.add((eu, SKOS.inScheme, scheme))
        own = _typed(graph, _urn("theme", theme.value), SKOS.Concept)
        graph.add((own, SKOS.prefLabel, Literal(theme.value.replace("_", " "), lang="en")))
        graph.add((own, SKOS.inScheme, THEME_SCHEME))
        graph.add((node, DCAT.theme, eu))
        graph.add((node, DCAT.theme, own))


def _distribution(
    graph: Graph, dataset: PublicDataset, fmt: Format, page: URIRef, licence: URIRef | None
) -> URIRef:
    resource = dataset.resource
    file_type, media_type = FORMATS[fmt]
    node = _typed(graph, URIRef(f"{page}#distribution-{fmt.value}"), DCAT.Distribution)
    graph.add((node, DCTERMS.title, Literal(f"{_text(resource.title)} ({file_type})", lang="zh")))
    if resource.title_en:
        title = f"{_text(resource.title_en)} ({file_type})"
        graph.add((node, DCTERMS.title, Literal(title, lang="en")))
    graph.add((node, DCAT.accessURL, page))
    base = str(page).removesuffix(DATASET_PATH.format(id=resource.id))
    download = base + DOWNLOAD_PATH.format(id=resource.id, format=fmt.value)
    graph.add((node, DCAT.downloadURL, URIRef(download)))
    file_node = _typed(graph, URIRef(f"{EU}file-type/{file_type}"), DCTERMS.MediaTypeOrExtent)
    graph.add((node, DCTERMS.format, file_node))
    graph.add((node, DCAT.mediaType, _typed(graph, URIRef(IANA + media_type), DCTERMS.MediaType)))
    graph.add((node, DCTERMS.modified, _instant(dataset.modified)))
    if licence is not None:
        graph.add((node, DCTERMS.license, licence))
    return node


def add_dataset(
    graph: Graph, dataset: PublicDataset, *, base_url: str, divisions: dict[str, Division]
) -> URIRef:
    """Add one open dataset, its distributions and the nodes they refer to; return its IRI."""
    resource = dataset.resource
    page = URIRef(base_url + DATASET_PATH.format(id=resource.id))
    node = _typed(graph, page, DCAT.Dataset)
    graph.add((node, DCTERMS.identifier, Literal(resource.identifier)))
    _texts(graph, node, DCTERMS.title, resource.title, resource.title_en)
    if resource.description or resource.description_en:
        _texts(graph, node, DCTERMS.description, resource.description, resource.description_en)
    else:  # DCAT-AP requires a description; the title is the best one there is
        _texts(graph, node, DCTERMS.description, resource.title, resource.title_en)
    publisher = _publisher(graph, resource)
    graph.add((node, DCTERMS.publisher, publisher))
    contact = _typed(graph, URIRef(f"{page}#contact"), VCARD.Kind, VCARD.Organization)
    _texts(graph, contact, VCARD.fn, resource.department.name, resource.department.name_en)
    graph.add((contact, VCARD.hasURL, page))
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((node, DCAT.landingPage, _typed(graph, page, FOAF.Document)))
    _themes(graph, node, resource.themes)
    for word in resource.keywords:
        graph.add((node, DCAT.keyword, Literal(_text(word), lang=_keyword_language(word))))
    for code in resource.division_codes:
        location = _typed(graph, _urn("division", code), DCTERMS.Location)
        graph.add((location, DCTERMS.identifier, Literal(code)))
        if code in divisions:
            division = divisions[code]
            _texts(graph, location, SKOS.prefLabel, division.name, division.name_en)
        graph.add((node, DCTERMS.spatial, location))
    if resource.temporal_start or resource.temporal_end:
        period = _typed(graph, URIRef(f"{page}#temporal"), DCTERMS.PeriodOfTime)
        if resource.temporal_start:
            start = Literal(resource.temporal_start.isoformat(), datatype=XSD.date)
            graph.add((period, DCAT.startDate, start))
        if resource.temporal_end:
            end = Literal(resource.temporal_end.isoformat(), datatype=XSD.date)
            graph.add((period, DCAT.endDate, end))
        graph.add((node, DCTERMS.temporal, period))
    frequency = URIRef(FREQUENCY_BASE + FREQUENCIES[resource.update_frequency])
    graph.add((node, DCTERMS.accrualPeriodicity, _typed(graph, frequency, DCTERMS.Frequency)))
    rights = URIRef(ACCESS_RIGHTS_BASE + ACCESS_RIGHTS[resource.opening_type])
    graph.add((node, DCTERMS.accessRights, _typed(graph, rights, DCTERMS.RightsStatement)))
    graph.add((node, DCTERMS.issued, _instant(dataset.issued)))
    graph.add((node, DCTERMS.modified, _instant(dataset.modified)))
    graph.add((node, DCAT_VERSION, Literal(str(resource.version))))
    for code in sorted({f.element_code for f in resource.fields if f.element_code}):
        standard = URIRef(f"{base_url}/api/v1/standards/elements/{quote(code, safe='')}")
        graph.add((node, DCTERMS.conformsTo, _typed(graph, standard, DCTERMS.Standard)))
        graph.add((standard, DCTERMS.identifier, Literal(code)))
    licence = _licence(graph, resource.license)
    for fmt in Format:
        graph.add((node, DCAT.distribution, _distribution(graph, dataset, fmt, page, licence)))
    return node


def new_graph() -> Graph:
    """Return an empty graph with the prefixes the serializations use."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in {
        "dcat": DCAT, "dct": DCTERMS, "foaf": FOAF, "skos": SKOS, "vcard": VCARD, "hydra": HYDRA,
    }.items():  # fmt: skip
        graph.bind(prefix, namespace)
    return graph


def dataset_graph(
    dataset: PublicDataset, *, base_url: str, divisions: dict[str, Division]
) -> Graph:
    """Return the graph of one open dataset (what `/dataset/{id}.ttl` answers)."""
    graph = new_graph()
    add_dataset(graph, dataset, base_url=base_url, divisions=divisions)
    return graph


def catalog_graph(
    page: CatalogPage,
    *,
    base_url: str,
    page_url: Callable[[int], str],
    divisions: dict[str, Division],
) -> Graph:
    """Return the `dcat:Catalog` with one page of datasets and its Hydra paging."""
    graph = new_graph()
    catalog = _typed(graph, URIRef(f"{base_url}/catalog"), DCAT.Catalog)
    _texts(graph, catalog, DCTERMS.title, *CATALOG_TITLE)
    _texts(graph, catalog, DCTERMS.description, *CATALOG_DESCRIPTION)
    publisher = _typed(graph, URIRef(f"{base_url}/#publisher"), FOAF.Agent, FOAF.Organization)
    _texts(graph, publisher, FOAF.name, *PUBLISHER_NAME)
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, FOAF.homepage, _typed(graph, URIRef(f"{base_url}/"), FOAF.Document)))
    for code in ("ZHO", "ENG"):
        language = _typed(graph, URIRef(f"{EU}language/{code}"), DCTERMS.LinguisticSystem)
        graph.add((catalog, DCTERMS.language, language))
    eu_scheme = _typed(graph, URIRef(EU + "data-theme"), SKOS.ConceptScheme)
    graph.add((eu_scheme, DCTERMS.title, Literal("Data theme", lang="en")))
    own_scheme = _typed(graph, THEME_SCHEME, SKOS.ConceptScheme)
    _texts(graph, own_scheme, DCTERMS.title, "GovHub 数据主题", "GovHub data themes")
    graph.add((catalog, DCAT.themeTaxonomy, eu_scheme))
    graph.add((catalog, DCAT.themeTaxonomy, own_scheme))
    if page.modified is not None:
        graph.add((catalog, DCTERMS.modified, _instant(page.modified)))
    for dataset in page.datasets:
        node = add_dataset(graph, dataset, base_url=base_url, divisions=divisions)
        graph.add((catalog, DCAT.dataset, node))
    _add_paging(graph, page, page_url)
    return graph


def _add_paging(graph: Graph, page: CatalogPage, page_url: Callable[[int], str]) -> None:
    """Describe the page as ckanext-dcat does: new and deprecated Hydra names, literal URLs."""
    node = _typed(graph, URIRef(page_url(page.page)), HYDRA.PagedCollection)
    graph.add((node, HYDRA.totalItems, Literal(page.total)))
    graph.add((node, HYDRA.itemsPerPage, Literal(page.page_size)))
    links = {
        (HYDRA.first, HYDRA.firstPage): 1,
        (HYDRA.last, HYDRA.lastPage): page.last_page,
        (HYDRA.next, HYDRA.nextPage): page.page + 1 if page.page < page.last_page else None,
        (HYDRA.previous, HYDRA.previousPage): page.page - 1 if page.page > 1 else None,
    }
    for predicates, number in links.items():
        if number is not None:
            for predicate in predicates:
                graph.add((node, predicate, Literal(page_url(number))))


def serialize(graph: Graph, syntax: Syntax) -> bytes:
    """Serialize `graph` in `syntax` as UTF-8."""
    if syntax is Syntax.JSONLD:
        context = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix}
        return graph.serialize(format="json-ld", context=context, encoding="utf-8")
    return graph.serialize(format=RDFLIB_FORMATS[syntax], encoding="utf-8")
